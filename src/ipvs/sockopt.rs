//! The older IPVS interface (pure codec): `IP_VS_SO_SET_*` / `IP_VS_SO_GET_*`
//! socket options on an IPv4 raw socket, each carrying one of the C structs of
//! include/uapi/linux/ip_vs.h. It speaks IPv4 only; persistence engines,
//! tunnel types and the sync daemon's extra settings cannot be expressed.
//!
//! The structs are laid out here byte by byte (x86-64 and every other Linux
//! ABI with 4-byte ints and 8-byte-aligned u64s), so the unsafe system call
//! only ever sees a byte buffer ([`crate::sys::setsockopt_bytes`]).

use std::net::{IpAddr, Ipv4Addr};

use super::nla::DecodeError;
use super::table::{
    AF_INET, Daemon, DestAttrs, DestEntry, DestKey, Info, ServiceAttrs, ServiceEntry, ServiceKey, Stats, SyncState,
    Timeouts, svc_flags,
};

/// `IP_VS_BASE_CTL`.
const BASE: i32 = 64 + 1024 + 64;

/// `IP_VS_SO_SET_*`: also the command numbers keepalived logs.
pub(crate) mod set {
    use super::BASE;
    pub(crate) const ADD: i32 = BASE + 2;
    pub(crate) const EDIT: i32 = BASE + 3;
    pub(crate) const DEL: i32 = BASE + 4;
    pub(crate) const FLUSH: i32 = BASE + 5;
    pub(crate) const ADDDEST: i32 = BASE + 7;
    pub(crate) const DELDEST: i32 = BASE + 8;
    pub(crate) const EDITDEST: i32 = BASE + 9;
    pub(crate) const TIMEOUT: i32 = BASE + 10;
    pub(crate) const STARTDAEMON: i32 = BASE + 11;
    pub(crate) const STOPDAEMON: i32 = BASE + 12;
}

/// `IP_VS_SO_GET_*`.
pub(crate) mod get {
    use super::BASE;
    pub(crate) const INFO: i32 = BASE + 1;
    pub(crate) const SERVICES: i32 = BASE + 2;
    pub(crate) const DESTS: i32 = BASE + 4;
    pub(crate) const TIMEOUT: i32 = BASE + 6;
    #[cfg(test)]
    pub(crate) const DAEMON: i32 = BASE + 7;
}

/// `sizeof(struct ip_vs_service_user)`.
pub(crate) const SERVICE_USER_LEN: usize = 44;
/// `sizeof(struct ip_vs_dest_user)`.
pub(crate) const DEST_USER_LEN: usize = 24;
/// `sizeof(struct ip_vs_stats_user)`.
const STATS_USER_LEN: usize = 56;
/// `sizeof(struct ip_vs_service_entry)`.
pub(crate) const SERVICE_ENTRY_LEN: usize = 104;
/// `sizeof(struct ip_vs_dest_entry)`.
pub(crate) const DEST_ENTRY_LEN: usize = 96;
/// `sizeof(struct ip_vs_get_services)` without entries.
pub(crate) const GET_SERVICES_LEN: usize = 8;
/// `sizeof(struct ip_vs_get_dests)` without entries.
pub(crate) const GET_DESTS_LEN: usize = 24;
/// `sizeof(struct ip_vs_getinfo)`.
pub(crate) const GETINFO_LEN: usize = 12;
/// `sizeof(struct ip_vs_timeout_user)`.
pub(crate) const TIMEOUT_LEN: usize = 12;
/// `sizeof(struct ip_vs_daemon_user)`.
pub(crate) const DAEMON_LEN: usize = 24;
/// `IP_VS_SCHEDNAME_MAXLEN` / `IP_VS_IFNAME_MAXLEN`.
const NAME_LEN: usize = 16;

/// Why a request cannot be expressed with socket options.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Unsupported {
    #[error("IPv6 virtual service {0} cannot be programmed through the IPVS socket options (no generic netlink)")]
    Ipv6Service(ServiceKey),
    #[error("IPv6 real server {0} cannot be programmed through the IPVS socket options (no generic netlink)")]
    Ipv6Dest(DestKey),
    #[error("persistence engine {0} needs the IPVS generic netlink interface")]
    PersistenceEngine(String),
    #[error("scheduler name {0} is too long")]
    SchedulerName(String),
    #[error("interface name {0} is too long")]
    InterfaceName(String),
}

fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    if let Some(s) = buf.get_mut(at..at + bytes.len()) {
        s.copy_from_slice(bytes);
    }
}

fn v4(a: &IpAddr) -> Option<[u8; 4]> {
    match a {
        IpAddr::V4(x) => Some(x.octets()),
        IpAddr::V6(_) => None,
    }
}

fn name16(s: &str) -> Option<[u8; NAME_LEN]> {
    let mut out = [0u8; NAME_LEN];
    // NUL-terminated within the 16 bytes.
    if s.len() >= NAME_LEN {
        return None;
    }
    out[..s.len()].copy_from_slice(s.as_bytes());
    Some(out)
}

/// The protocol field: the socket options check it is TCP, UDP or SCTP even
/// for a fwmark service, which has none (ipvsadm says TCP then too).
fn sockopt_proto(k: &ServiceKey) -> u16 {
    if k.fwmark != 0 && k.proto == 0 { super::table::IPPROTO_TCP } else { k.proto }
}

/// `struct ip_vs_service_user` for a service (attributes zero for a delete).
pub(crate) fn service_user(k: &ServiceKey, a: Option<&ServiceAttrs>) -> Result<[u8; SERVICE_USER_LEN], Unsupported> {
    let mut b = [0u8; SERVICE_USER_LEN];
    if k.af != AF_INET {
        return Err(Unsupported::Ipv6Service(*k));
    }
    put(&mut b, 0, &sockopt_proto(k).to_ne_bytes());
    if k.fwmark == 0 {
        put(&mut b, 4, &v4(&k.addr).ok_or(Unsupported::Ipv6Service(*k))?);
        put(&mut b, 8, &k.port.to_be_bytes());
    }
    put(&mut b, 12, &k.fwmark.to_ne_bytes());
    if let Some(a) = a {
        if !a.pe_name.is_empty() {
            return Err(Unsupported::PersistenceEngine(a.pe_name.clone()));
        }
        put(&mut b, 16, &name16(&a.sched).ok_or_else(|| Unsupported::SchedulerName(a.sched.clone()))?);
        put(&mut b, 32, &a.flags.to_ne_bytes());
        put(&mut b, 36, &a.timeout.to_ne_bytes());
        put(&mut b, 40, &a.netmask.to_ne_bytes());
    }
    Ok(b)
}

/// `struct ip_vs_service_user` followed by `struct ip_vs_dest_user`.
pub(crate) fn service_dest_user(
    s: &ServiceKey,
    d: &DestKey,
    a: Option<&DestAttrs>,
) -> Result<[u8; SERVICE_USER_LEN + DEST_USER_LEN], Unsupported> {
    let mut b = [0u8; SERVICE_USER_LEN + DEST_USER_LEN];
    put(&mut b, 0, &service_user(s, None)?);
    let o = SERVICE_USER_LEN;
    put(&mut b, o, &v4(&d.addr).ok_or(Unsupported::Ipv6Dest(*d))?);
    put(&mut b, o + 4, &d.port.to_be_bytes());
    if let Some(a) = a {
        put(&mut b, o + 8, &a.fwd.to_ne_bytes());
        put(&mut b, o + 12, &a.weight.to_ne_bytes());
        put(&mut b, o + 16, &a.u_thresh.to_ne_bytes());
        put(&mut b, o + 20, &a.l_thresh.to_ne_bytes());
    }
    Ok(b)
}

/// `struct ip_vs_timeout_user`.
pub(crate) fn timeout_user(t: &Timeouts) -> [u8; TIMEOUT_LEN] {
    let mut b = [0u8; TIMEOUT_LEN];
    put(&mut b, 0, &t.tcp.to_ne_bytes());
    put(&mut b, 4, &t.tcp_fin.to_ne_bytes());
    put(&mut b, 8, &t.udp.to_ne_bytes());
    b
}

/// `struct ip_vs_daemon_user` (the interface name only matters to a start).
pub(crate) fn daemon_user(state: SyncState, ifname: &str, syncid: u32) -> Result<[u8; DAEMON_LEN], Unsupported> {
    let mut b = [0u8; DAEMON_LEN];
    put(&mut b, 0, &state.number().to_ne_bytes());
    put(&mut b, 4, &name16(ifname).ok_or_else(|| Unsupported::InterfaceName(ifname.to_owned()))?);
    put(&mut b, 20, &syncid.to_ne_bytes());
    Ok(b)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    u32::from_ne_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    if let Some(s) = b.get(at..at + 8) {
        x.copy_from_slice(s);
    }
    u64::from_ne_bytes(x)
}

fn be16_at(b: &[u8], at: usize) -> u16 {
    let mut x = [0u8; 2];
    if let Some(s) = b.get(at..at + 2) {
        x.copy_from_slice(s);
    }
    u16::from_be_bytes(x)
}

fn ipv4_at(b: &[u8], at: usize) -> IpAddr {
    let mut x = [0u8; 4];
    if let Some(s) = b.get(at..at + 4) {
        x.copy_from_slice(s);
    }
    IpAddr::V4(Ipv4Addr::from(x))
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(b.get(..end).unwrap_or(&[])).into_owned()
}

fn need(what: &'static str, b: &[u8], want: usize) -> Result<(), DecodeError> {
    if b.len() < want { Err(DecodeError::BadLength { what, attr: 0, want, have: b.len() }) } else { Ok(()) }
}

/// `struct ip_vs_stats_user`.
fn stats_user(b: &[u8]) -> Stats {
    Stats {
        conns: u32_at(b, 0).into(),
        inpkts: u32_at(b, 4).into(),
        outpkts: u32_at(b, 8).into(),
        inbytes: u64_at(b, 16),
        outbytes: u64_at(b, 24),
        cps: u32_at(b, 32).into(),
        inpps: u32_at(b, 36).into(),
        outpps: u32_at(b, 40).into(),
        inbps: u32_at(b, 44).into(),
        outbps: u32_at(b, 48).into(),
    }
}

/// `struct ip_vs_getinfo`.
pub(crate) fn decode_info(b: &[u8]) -> Result<Info, DecodeError> {
    need("getinfo", b, GETINFO_LEN)?;
    Ok(Info { version: u32_at(b, 0), conn_tab_size: u32_at(b, 4), num_services: Some(u32_at(b, 8)) })
}

/// The request buffer of `IP_VS_SO_GET_SERVICES` for `n` entries.
pub(crate) fn get_services_buf(n: u32) -> Vec<u8> {
    let mut b = vec![0u8; GET_SERVICES_LEN + n as usize * SERVICE_ENTRY_LEN];
    put(&mut b, 0, &n.to_ne_bytes());
    b
}

/// Decodes the reply of `IP_VS_SO_GET_SERVICES`.
pub(crate) fn decode_services(b: &[u8]) -> Result<Vec<(ServiceEntry, u32)>, DecodeError> {
    need("get_services", b, GET_SERVICES_LEN)?;
    let n = u32_at(b, 0) as usize;
    need("get_services", b, GET_SERVICES_LEN + n * SERVICE_ENTRY_LEN)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let e = b.get(GET_SERVICES_LEN + i * SERVICE_ENTRY_LEN..).unwrap_or(&[]);
        // The kernel counts IPv6 services in GET_INFO but lists only IPv4
        // ones here, leaving the rest of the entries zero: no protocol and
        // no fwmark is no service.
        if u32_at(e, 0) & 0xffff == 0 && u32_at(e, 12) == 0 {
            continue;
        }
        out.push(decode_service_entry(e));
    }
    Ok(out)
}

/// One `struct ip_vs_service_entry`, with its number of destinations.
fn decode_service_entry(e: &[u8]) -> (ServiceEntry, u32) {
    let proto = u16::from_ne_bytes([e.first().copied().unwrap_or(0), e.get(1).copied().unwrap_or(0)]);
    let fwmark = u32_at(e, 12);
    let key = if fwmark != 0 {
        ServiceKey::fwmark(crate::config::model::lvs::Family::Inet, fwmark)
    } else {
        ServiceKey::addr(proto, ipv4_at(e, 4), be16_at(e, 8))
    };
    let attrs = ServiceAttrs {
        sched: cstr(e.get(16..32).unwrap_or(&[])),
        flags: u32_at(e, 32) & !svc_flags::HASHED,
        timeout: u32_at(e, 36),
        netmask: u32_at(e, 40),
        pe_name: String::new(),
    };
    let stats = stats_user(e.get(48..48 + STATS_USER_LEN).unwrap_or(&[]));
    (ServiceEntry { key, attrs, stats }, u32_at(e, 44))
}

/// The request buffer of `IP_VS_SO_GET_DESTS` for a service with `n` destinations.
pub(crate) fn get_dests_buf(k: &ServiceKey, n: u32) -> Result<Vec<u8>, Unsupported> {
    let mut b = vec![0u8; GET_DESTS_LEN + n as usize * DEST_ENTRY_LEN];
    if k.af != AF_INET {
        return Err(Unsupported::Ipv6Service(*k));
    }
    put(&mut b, 0, &sockopt_proto(k).to_ne_bytes());
    if k.fwmark == 0 {
        put(&mut b, 4, &v4(&k.addr).ok_or(Unsupported::Ipv6Service(*k))?);
        put(&mut b, 8, &k.port.to_be_bytes());
    }
    put(&mut b, 12, &k.fwmark.to_ne_bytes());
    put(&mut b, 16, &n.to_ne_bytes());
    Ok(b)
}

/// Decodes the reply of `IP_VS_SO_GET_DESTS`.
pub(crate) fn decode_dests(b: &[u8]) -> Result<Vec<DestEntry>, DecodeError> {
    need("get_dests", b, GET_DESTS_LEN)?;
    let n = u32_at(b, 16) as usize;
    need("get_dests", b, GET_DESTS_LEN + n * DEST_ENTRY_LEN)?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let e = b.get(GET_DESTS_LEN + i * DEST_ENTRY_LEN..).unwrap_or(&[]);
        out.push(DestEntry {
            key: DestKey { addr: ipv4_at(e, 0), port: be16_at(e, 4) },
            attrs: DestAttrs {
                fwd: u32_at(e, 8) & super::table::fwd::MASK,
                weight: u32_at(e, 12) as i32,
                u_thresh: u32_at(e, 16),
                l_thresh: u32_at(e, 20),
                ..DestAttrs::default()
            },
            active_conns: u32_at(e, 24),
            inact_conns: u32_at(e, 28),
            persist_conns: u32_at(e, 32),
            stats: stats_user(e.get(40..40 + STATS_USER_LEN).unwrap_or(&[])),
        });
    }
    Ok(out)
}

/// Decodes `struct ip_vs_timeout_user`.
pub(crate) fn decode_timeouts(b: &[u8]) -> Result<Timeouts, DecodeError> {
    need("timeouts", b, TIMEOUT_LEN)?;
    Ok(Timeouts { tcp: u32_at(b, 0), tcp_fin: u32_at(b, 4), udp: u32_at(b, 8) })
}

/// Decodes the two `struct ip_vs_daemon_user` of `IP_VS_SO_GET_DAEMON`
/// (state 0: not running).
pub(crate) fn decode_daemons(b: &[u8]) -> Result<Vec<Daemon>, DecodeError> {
    need("daemons", b, 2 * DAEMON_LEN)?;
    let mut out = Vec::new();
    for i in 0..2 {
        let d = b.get(i * DAEMON_LEN..).unwrap_or(&[]);
        if let Some(state) = SyncState::from_number(u32_at(d, 0)) {
            out.push(Daemon {
                state,
                ifname: cstr(d.get(4..20).unwrap_or(&[])),
                syncid: u32_at(d, 20),
                maxlen: 0,
                port: 0,
                ttl: 0,
                group: None,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc() -> ServiceKey {
        ServiceKey::addr(6, "10.1.2.3".parse().unwrap(), 80)
    }

    #[test]
    fn service_user_layout() {
        let a = ServiceAttrs {
            sched: "wrr".into(),
            flags: svc_flags::PERSISTENT,
            timeout: 300,
            netmask: u32::from_ne_bytes([255, 255, 255, 0]),
            pe_name: String::new(),
        };
        let b = service_user(&svc(), Some(&a)).unwrap();
        let mut want = [0u8; 44];
        want[0..2].copy_from_slice(&6u16.to_ne_bytes());
        want[4..8].copy_from_slice(&[10, 1, 2, 3]);
        want[8..10].copy_from_slice(&[0, 80]);
        want[16..19].copy_from_slice(b"wrr");
        want[32..36].copy_from_slice(&1u32.to_ne_bytes());
        want[36..40].copy_from_slice(&300u32.to_ne_bytes());
        want[40..44].copy_from_slice(&[255, 255, 255, 0]);
        assert_eq!(b, want);
    }

    #[test]
    fn fwmark_service_has_no_address() {
        let k = ServiceKey::fwmark(crate::config::model::lvs::Family::Inet, 7);
        let b = service_user(&k, None).unwrap();
        assert_eq!(&b[4..10], &[0; 6]);
        assert_eq!(&b[12..16], &7u32.to_ne_bytes());
    }

    #[test]
    fn dest_follows_service() {
        let d = DestKey { addr: "10.9.9.9".parse().unwrap(), port: 8080 };
        let a = DestAttrs { fwd: 3, weight: 5, u_thresh: 10, l_thresh: 2, ..DestAttrs::default() };
        let b = service_dest_user(&svc(), &d, Some(&a)).unwrap();
        assert_eq!(&b[44..48], &[10, 9, 9, 9]);
        assert_eq!(&b[48..50], &8080u16.to_be_bytes());
        assert_eq!(&b[52..56], &3u32.to_ne_bytes());
        assert_eq!(&b[56..60], &5i32.to_ne_bytes());
        assert_eq!(&b[60..64], &10u32.to_ne_bytes());
        assert_eq!(&b[64..68], &2u32.to_ne_bytes());
    }

    #[test]
    fn ipv6_and_engines_are_refused_with_a_reason() {
        let k = ServiceKey::addr(6, "2001:db8::1".parse().unwrap(), 80);
        assert_eq!(service_user(&k, None), Err(Unsupported::Ipv6Service(k)));
        assert!(service_user(&k, None).unwrap_err().to_string().contains("IPv6 virtual service 2001:db8::1:tcp:80"));
        let a = ServiceAttrs { sched: "rr".into(), flags: 1, timeout: 1, netmask: 0, pe_name: "sip".into() };
        assert_eq!(service_user(&svc(), Some(&a)), Err(Unsupported::PersistenceEngine("sip".into())));
        let d = DestKey { addr: "2001:db8::2".parse().unwrap(), port: 80 };
        assert_eq!(service_dest_user(&svc(), &d, None), Err(Unsupported::Ipv6Dest(d)));
        assert_eq!(
            daemon_user(SyncState::Master, "a-very-long-interface", 1),
            Err(Unsupported::InterfaceName("a-very-long-interface".into()))
        );
    }

    #[test]
    fn short_replies_are_errors() {
        assert!(decode_info(&[0; 11]).is_err());
        assert!(decode_services(&[1, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert_eq!(decode_services(&get_services_buf(0)).unwrap(), vec![]);
        assert!(decode_dests(&[0; 10]).is_err());
        assert!(decode_daemons(&[0; 47]).is_err());
        assert_eq!(decode_daemons(&[0; 48]).unwrap(), vec![]);
    }
}
