//! PING_CHECK: one ICMP (or ICMPv6) echo request on an unprivileged ping
//! socket (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6: the kernel sets the identifier
//! and checksum and hands back only our replies); an echo reply within
//! `connect_timeout` is up, anything else (another ICMP type, an error, no
//! answer) is down.
//!
//! Ping sockets are only allowed to groups in `net.ipv4.ping_group_range`
//! (which governs ICMPv6 too), by default nobody ("1 0"). keepalived 2.2.7,
//! when a configuration has a PING_CHECK, lowers the range's start to 0 so
//! that gid 0 may use them, keeping the end, logs a warning when it widens a
//! range that allowed other groups ("Warning: ... being expanded from A B to
//! 0 B"), and puts the old start back when it stops. The setting belongs to
//! the network namespace the checker runs in. [`widen_ping_group_range`] and
//! [`restore_ping_group_range`] do the same.

use std::io;
use std::sync::atomic::{AtomicU16, Ordering};

use socket2::Protocol;

use super::conn::{ConnOpts, ConnectError, dgram_connect};
use super::state::{Failure, Outcome};

/// The sysctl keepalived widens.
pub const PING_GROUP_RANGE: &str = "/proc/sys/net/ipv4/ping_group_range";

/// keepalived's ICMP_BUFSIZE: the echo payload length.
const PAYLOAD_LEN: usize = 128;

static SEQ: AtomicU16 = AtomicU16::new(0);

/// An echo request (RFC 792 / RFC 4443 section 4.1): identifier and checksum
/// zero, the kernel fills them in.
pub fn echo_request(v6: bool, seq: u16) -> Vec<u8> {
    let mut p = vec![if v6 { 128 } else { 8 }, 0, 0, 0, 0, 0];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend((0..PAYLOAD_LEN).map(|i| i as u8));
    p
}

/// Whether a received ICMP message is an echo reply.
pub fn is_echo_reply(v6: bool, data: &[u8]) -> bool {
    data.len() >= 8 && data.first() == Some(&if v6 { 129 } else { 0 })
}

/// Runs one PING_CHECK probe.
pub async fn probe(opts: &ConnOpts) -> Outcome {
    let v6 = opts.target.is_ipv6();
    let mut o = opts.clone();
    o.target.set_port(0);
    let proto = if v6 { Protocol::ICMPV6 } else { Protocol::ICMPV4 };
    let sock = match dgram_connect(&o, proto) {
        Ok(s) => s,
        Err(ConnectError::Socket(_) | ConnectError::Bind(_)) => {
            return Outcome::Rescheduled(format!(
                "ICMP{} connect fail to create socket. Rescheduling.",
                if v6 { "v6" } else { "" }
            ));
        }
        Err(_) => return Outcome::Failure(Failure::Failed),
    };
    let req = echo_request(v6, SEQ.fetch_add(1, Ordering::Relaxed));
    if sock.send(&req).await.is_err() {
        // keepalived logs each failed send, whatever the checker's state.
        tracing::info!("send ICMP packet fail");
        return Outcome::Failure(Failure::Failed);
    }
    let mut buf = [0u8; 8 + PAYLOAD_LEN];
    match tokio::time::timeout(opts.timeout, sock.recv(&mut buf)).await {
        Err(_) => Outcome::Failure(Failure::Timeout),
        Ok(Ok(n)) if is_echo_reply(v6, buf.get(..n).unwrap_or_default()) => Outcome::Success,
        Ok(_) => Outcome::Failure(Failure::Failed),
    }
}

/// Parses the sysctl's "START<TAB>END\n".
pub fn parse_range(s: &str) -> Option<(u64, u64)> {
    let line = s.strip_suffix('\n')?;
    let (a, b) = line.split_once(['\t', ' '])?;
    let a: u64 = a.parse().ok()?;
    let b: u64 = b.trim_start().parse().ok()?;
    (a < 1 << 32 && b < 1 << 32).then_some((a, b))
}

/// What widening a range read as `contents` means: `None` when gid 0 is
/// already allowed, else the text to write, the start to restore later and
/// keepalived's warning when other groups were allowed already.
pub fn widened(contents: &str) -> Option<(String, u64, Option<String>)> {
    let (start, end) = parse_range(contents)?;
    if start == 0 {
        return None;
    }
    let warning = (start > 1 && end > 1)
        .then(|| format!("Warning: {PING_GROUP_RANGE} being expanded from {start} {end} to 0 {end}"));
    Some((format!("0\t{end}\t\n"), start, warning))
}

/// Lets gid 0 use ping sockets in this network namespace. Returns the start
/// to restore and the warning to log, or `None` when nothing was changed.
pub fn widen_ping_group_range() -> io::Result<Option<(u64, Option<String>)>> {
    let cur = std::fs::read_to_string(PING_GROUP_RANGE)?;
    match widened(&cur) {
        None => Ok(None),
        Some((text, start, warning)) => {
            std::fs::write(PING_GROUP_RANGE, text)?;
            Ok(Some((start, warning)))
        }
    }
}

/// Puts back the start saved by [`widen_ping_group_range`].
pub fn restore_ping_group_range(start: u64) -> io::Result<()> {
    let cur = std::fs::read_to_string(PING_GROUP_RANGE)?;
    let (_, end) = parse_range(&cur).ok_or_else(|| io::Error::other("unreadable ping_group_range"))?;
    std::fs::write(PING_GROUP_RANGE, format!("{start}\t{end}\t\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_parsing_and_widening() {
        assert_eq!(parse_range("1\t0\n"), Some((1, 0)));
        assert_eq!(parse_range("100 2000\n"), Some((100, 2000)));
        assert_eq!(parse_range("1\t0"), None);
        assert_eq!(parse_range("x\t0\n"), None);
        assert_eq!(widened("0\t4294967294\n"), None);
        // The kernel's default: nobody; gid 0 only after (no warning).
        assert_eq!(widened("1\t0\n"), Some(("0\t0\t\n".into(), 1, None)));
        let (text, start, warn) = widened("100\t2000\n").unwrap_or_default();
        assert_eq!((text.as_str(), start), ("0\t2000\t\n", 100));
        assert_eq!(
            warn.as_deref(),
            Some("Warning: /proc/sys/net/ipv4/ping_group_range being expanded from 100 2000 to 0 2000")
        );
    }

    #[test]
    fn echo_messages() {
        let r = echo_request(false, 0x0102);
        assert_eq!(r.get(..8), Some(&[8, 0, 0, 0, 0, 0, 1, 2][..]));
        assert_eq!(r.len(), 136);
        assert_eq!(echo_request(true, 0).first(), Some(&128));
        assert!(is_echo_reply(false, &[0, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!is_echo_reply(false, &[3, 3, 0, 0, 0, 0, 0, 0]));
        assert!(is_echo_reply(true, &[129, 0, 0, 0, 0, 0, 0, 0]));
        assert!(!is_echo_reply(true, &[129, 0, 0]));
    }
}
