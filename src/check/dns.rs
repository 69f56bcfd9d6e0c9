//! DNS_CHECK: one query over UDP (RFC 1035 section 4.1), recursion desired;
//! any response with our id and rcode 0 is up, even without answers; an
//! error rcode (NXDOMAIN, REFUSED...) is down, as is no answer within
//! `connect_timeout`. Datagrams that are too short, carry another id or are
//! not responses are ignored while waiting, as keepalived does.

use super::conn::{ConnOpts, ConnectError, udp_connect};
use super::state::{Failure, Outcome};
use crate::config::model::lvs::DnsType;

/// RFC 1035 section 4.1.1: the fixed header.
const HEADER_LEN: usize = 12;
/// keepalived's DNS_BUFFER_SIZE.
const BUFFER_SIZE: usize = 768;

/// The TYPE value of a query type (RFC 1035 section 3.2.2, RFC 3596).
pub fn type_code(t: DnsType) -> u16 {
    match t {
        DnsType::A => 1,
        DnsType::Ns => 2,
        DnsType::Cname => 5,
        DnsType::Soa => 6,
        DnsType::Mx => 15,
        DnsType::Txt => 16,
        DnsType::Aaaa => 28,
    }
}

/// Builds the query keepalived sends: header with `id` and RD, one question
/// for `name` (`.` is the root) of `qtype`, class IN.
pub fn query(id: u16, name: &str, qtype: DnsType) -> Vec<u8> {
    let mut q = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&0x0100u16.to_be_bytes()); // RD
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]); // QDCOUNT 1
    if name != "." {
        for label in name.strip_suffix('.').unwrap_or(name).split('.') {
            let label = label.as_bytes();
            let len = label.len().min(63);
            q.push(len as u8);
            q.extend_from_slice(label.get(..len).unwrap_or_default());
        }
    }
    q.push(0);
    q.extend_from_slice(&type_code(qtype).to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes()); // IN
    q
}

/// What a received datagram means for the query with `id`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply {
    /// Not ours (short, other id, not a response): keep waiting.
    Ignore,
    /// A response with rcode 0.
    Ok,
    /// A response with this error rcode.
    Error(u8),
}

/// Classifies a datagram (RFC 1035 section 4.1.1: QR bit, RCODE).
pub fn classify(id: u16, data: &[u8]) -> Reply {
    let (Some(hdr_id), Some(flags)) = (data.get(0..2), data.get(2..4)) else { return Reply::Ignore };
    if data.len() < HEADER_LEN || hdr_id != id.to_be_bytes() {
        return Reply::Ignore;
    }
    let flags = u16::from_be_bytes([flags[0], flags[1]]);
    if flags & 0x8000 == 0 {
        return Reply::Ignore;
    }
    match (flags & 0x000f) as u8 {
        0 => Reply::Ok,
        rcode => Reply::Error(rcode),
    }
}

/// Runs one DNS_CHECK probe; `rs` names the real server in the
/// rescheduling lines.
pub async fn probe(opts: &ConnOpts, name: &str, qtype: DnsType, id: u16, rs: &str) -> Outcome {
    let text = |t: String| Outcome::Failure(Failure::Text(t));
    let sock = match udp_connect(opts) {
        Ok(s) => s,
        Err(ConnectError::Socket(_)) => {
            return Outcome::Rescheduled(format!("DNS_CHECK ({rs}) failed to create socket. Rescheduling."));
        }
        Err(ConnectError::Bind(_)) => {
            return Outcome::Rescheduled(format!("DNS_CHECK ({rs}) UDP socket bind failed. Rescheduling."));
        }
        Err(_) => return text(format!("network unreachable for {}", opts.target_pair())),
    };
    let q = query(id, name, qtype);
    let exchange = async {
        match sock.send(&q).await {
            Ok(n) if n == q.len() => {}
            Ok(_) => return text("failed to write all of the datagram.".into()),
            Err(_) => return text("failed to write socket.".into()),
        }
        let mut buf = [0u8; BUFFER_SIZE];
        loop {
            match sock.recv(&mut buf).await {
                Err(e) => {
                    let errno = e.raw_os_error().unwrap_or(0);
                    return text(format!("failed to read socket; errno {errno} ({})", strerror(&e)));
                }
                Ok(n) => match classify(id, buf.get(..n).unwrap_or_default()) {
                    Reply::Ignore => continue,
                    Reply::Ok => return Outcome::Success,
                    Reply::Error(rcode) => return text(format!("read error occurred. (rcode = {rcode})")),
                },
            }
        }
    };
    match tokio::time::timeout(opts.timeout, exchange).await {
        Ok(o) => o,
        Err(_) => Outcome::Failure(Failure::Timeout),
    }
}

/// The C library's wording of an error, as keepalived's `strerror`.
fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    // std renders "Connection refused (os error 111)".
    match s.find(" (os error") {
        Some(i) => s.get(..i).unwrap_or_default().to_owned(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn queries_like_keepalived() {
        assert_eq!(query(0x1234, ".", DnsType::Soa), vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1]);
        let q = query(1, "www.example.com", DnsType::A);
        assert_eq!(q.get(12..), Some(&b"\x03www\x07example\x03com\x00\x00\x01\x00\x01"[..]));
        assert_eq!(
            query(1, "example.com.", DnsType::Aaaa).get(12..),
            Some(&b"\x07example\x03com\x00\x00\x1c\x00\x01"[..])
        );
    }

    #[test]
    fn replies() {
        let mut r = vec![0xab, 0xcd, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0];
        assert_eq!(classify(0xabcd, &r), Reply::Ok);
        assert_eq!(classify(0xabce, &r), Reply::Ignore);
        assert_eq!(classify(0xabcd, r.get(..11).unwrap_or_default()), Reply::Ignore);
        r[3] = 0x83; // NXDOMAIN
        assert_eq!(classify(0xabcd, &r), Reply::Error(3));
        r[2] = 0x01; // a query, not a response
        assert_eq!(classify(0xabcd, &r), Reply::Ignore);
    }

    #[tokio::test]
    async fn probe_against_scripted_server() {
        let srv = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = srv.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let h = tokio::spawn(async move {
            let mut buf = [0u8; 512];
            for flags in [[0x81u8, 0x80], [0x81, 0x83]] {
                let Ok((n, peer)) = srv.recv_from(&mut buf).await else { return };
                let mut reply = buf.get(..n).unwrap_or_default().to_vec();
                // First some noise with another id, then the answer.
                let mut noise = reply.clone();
                noise[0] ^= 0xff;
                noise[2] = 0x81;
                let _ = srv.send_to(&noise, peer).await;
                reply[2] = flags[0];
                reply[3] = flags[1];
                let _ = srv.send_to(&reply, peer).await;
            }
        });
        let o = ConnOpts::new(addr, Duration::from_secs(2));
        assert_eq!(probe(&o, ".", DnsType::Soa, 7, "rs").await, Outcome::Success);
        let nx = probe(&o, "nope.example", DnsType::A, 8, "rs").await;
        assert_eq!(nx, Outcome::Failure(Failure::Text("read error occurred. (rcode = 3)".into())));
        let _ = h.await;
        // Nobody listens any more: the port unreachable comes back as ECONNREFUSED.
        let r = probe(&o, ".", DnsType::Soa, 9, "rs").await;
        assert_eq!(r, Outcome::Failure(Failure::Text("failed to read socket; errno 111 (Connection refused)".into())));
    }
}
