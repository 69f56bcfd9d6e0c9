//! UDP_CHECK: send the payload (or keepalived's filler) on a connected UDP
//! socket and wait `connect_timeout`. An ICMP error (port or host
//! unreachable, seen as an error on the socket) is a failure. Without
//! `require_reply`, silence is success; with it, a reply is needed, of
//! `min_reply_length..=max_reply_length` bytes, matching the `require_reply`
//! bytes where their mask says (only as many bytes as both have).

use super::conn::{ConnOpts, ConnectError, udp_connect};
use super::state::{Failure, Outcome};
use crate::config::model::lvs::UdpCheck;

/// keepalived sends this many filler bytes when no payload is configured.
pub const FILLER_LEN: usize = 32;

/// The filler payload.
pub fn filler() -> Vec<u8> {
    (0..FILLER_LEN).map(|i| b'a' + (i % 26) as u8).collect()
}

/// keepalived's check_udp_reply: whether a reply is acceptable.
pub fn reply_ok(cfg: &UdpCheck, data: &[u8]) -> bool {
    if data.len() < usize::from(cfg.min_reply_length) || data.len() > usize::from(cfg.max_reply_length) {
        return false;
    }
    let Some((want, mask)) = &cfg.reply else { return true };
    // The mask has 1 bits where the reply must match (0 for 'X' nibbles).
    want.iter().zip(data).enumerate().all(|(i, (w, d))| (w ^ d) & mask.get(i).copied().unwrap_or(0xff) == 0)
}

/// Runs one UDP_CHECK probe.
pub async fn probe(opts: &ConnOpts, cfg: &UdpCheck) -> Outcome {
    let sock = match udp_connect(opts) {
        Ok(s) => s,
        Err(ConnectError::Socket(_)) => {
            return Outcome::Rescheduled("UDP connect fail to create socket. Rescheduling.".into());
        }
        Err(ConnectError::Bind(_)) => return Outcome::Rescheduled("UDP socket bind failed. Rescheduling.".into()),
        Err(_) => return Outcome::Failure(Failure::Failed),
    };
    let payload = cfg.payload.clone().unwrap_or_else(filler);
    match sock.send(&payload).await {
        Ok(n) if n == payload.len() => {}
        _ => return Outcome::Failure(Failure::Failed),
    }
    let mut buf = vec![0u8; usize::from(cfg.max_reply_length) + 1];
    match tokio::time::timeout(opts.timeout, sock.recv(&mut buf)).await {
        Err(_) if cfg.require_reply => Outcome::Failure(Failure::Timeout),
        Err(_) => Outcome::Success,
        Ok(Err(_)) => Outcome::Failure(Failure::Failed),
        Ok(Ok(_)) if !cfg.require_reply => Outcome::Success,
        Ok(Ok(n)) if reply_ok(cfg, buf.get(..n).unwrap_or_default()) => Outcome::Success,
        Ok(Ok(_)) => Outcome::Failure(Failure::Mismatch),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn cfg(require: bool, reply: Option<(&[u8], &[u8])>) -> UdpCheck {
        UdpCheck {
            payload: Some(b"ping".to_vec()),
            require_reply: require,
            reply: reply.map(|(a, b)| (a.to_vec(), b.to_vec())),
            ..UdpCheck::default()
        }
    }

    #[test]
    fn reply_matching_with_mask_and_lengths() {
        let c = cfg(true, Some((b"\x12\x30", b"\xff\xf0"))); // "12 3X"
        assert!(reply_ok(&c, b"\x12\x3f"));
        assert!(reply_ok(&c, b"\x12\x35extra"));
        assert!(!reply_ok(&c, b"\x13\x30"));
        // Only the bytes both have are compared.
        assert!(reply_ok(&c, b"\x12"));
        let mut c = cfg(true, None);
        c.min_reply_length = 2;
        c.max_reply_length = 3;
        assert!(!reply_ok(&c, b"a"));
        assert!(reply_ok(&c, b"ab"));
        assert!(!reply_ok(&c, b"abcd"));
    }

    #[tokio::test]
    async fn silence_reply_and_refusal() {
        let srv = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = srv.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let o = ConnOpts::new(addr, Duration::from_millis(300));
        // Nobody answers: fine without require_reply, a failure with it.
        assert_eq!(probe(&o, &cfg(false, None)).await, Outcome::Success);
        assert_eq!(probe(&o, &cfg(true, None)).await, Outcome::Failure(Failure::Timeout));
        // A fresh server for the replies (the first one has two datagrams queued).
        drop(srv);
        let srv = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let o = ConnOpts::new(srv.local_addr().unwrap_or_else(|e| panic!("{e}")), Duration::from_millis(300));
        let h = tokio::spawn(async move {
            let mut buf = [0u8; 64];
            for answer in [&b"pong"[..], b"nope"] {
                if let Ok((_, peer)) = srv.recv_from(&mut buf).await {
                    let _ = srv.send_to(answer, peer).await;
                }
            }
        });
        let want = cfg(true, Some((b"pong", b"\xff\xff\xff\xff")));
        assert_eq!(probe(&o, &want).await, Outcome::Success);
        assert_eq!(probe(&o, &want).await, Outcome::Failure(Failure::Mismatch));
        let _ = h.await;
        // The socket is gone: ICMP port unreachable.
        assert_eq!(probe(&o, &cfg(false, None)).await, Outcome::Failure(Failure::Failed));
    }
}
