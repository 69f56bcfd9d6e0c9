//! What the kernel's IPVS table holds: virtual services and their
//! destinations (real servers), as the kernel keys and describes them. Both
//! interfaces (generic netlink and the socket options) speak these types.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::model::lvs::Family;

/// `AF_INET` as the kernel numbers it.
pub(crate) const AF_INET: u16 = 2;
/// `AF_INET6`.
pub(crate) const AF_INET6: u16 = 10;
/// `IPPROTO_TCP`.
pub(crate) const IPPROTO_TCP: u16 = 6;
/// `IPPROTO_UDP`.
pub(crate) const IPPROTO_UDP: u16 = 17;
/// `IPPROTO_SCTP`.
pub(crate) const IPPROTO_SCTP: u16 = 132;

/// Service flags (`IP_VS_SVC_F_*`).
pub(crate) mod svc_flags {
    pub(crate) const PERSISTENT: u32 = 0x0001;
    pub(crate) const HASHED: u32 = 0x0002;
    pub(crate) const ONEPACKET: u32 = 0x0004;
    pub(crate) const SCHED1: u32 = 0x0008;
    pub(crate) const SCHED2: u32 = 0x0010;
    pub(crate) const SCHED3: u32 = 0x0020;
}

/// Forwarding methods (`IP_VS_CONN_F_*` & `IP_VS_CONN_F_FWD_MASK`).
pub(crate) mod fwd {
    pub(crate) const MASQ: u32 = 0;
    pub(crate) const TUNNEL: u32 = 2;
    pub(crate) const DROUTE: u32 = 3;
    pub(crate) const MASK: u32 = 7;
}

/// Tunnel types (`IP_VS_CONN_F_TUNNEL_TYPE_*`).
pub(crate) mod tun {
    pub(crate) const IPIP: u8 = 0;
    pub(crate) const GUE: u8 = 1;
    pub(crate) const GRE: u8 = 2;
    pub(crate) const F_CSUM: u16 = 1;
    pub(crate) const F_REMCSUM: u16 = 2;
}

/// The kernel's number for an address family.
pub(crate) fn af_number(f: Family) -> u16 {
    match f {
        Family::Inet => AF_INET,
        Family::Inet6 => AF_INET6,
    }
}

/// The family of a kernel number (anything but `AF_INET6` is IPv4).
pub(crate) fn af_of(n: u16) -> Family {
    if n == AF_INET6 { Family::Inet6 } else { Family::Inet }
}

/// The unspecified address of a family.
pub(crate) fn unspecified(f: Family) -> IpAddr {
    match f {
        Family::Inet => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        Family::Inet6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// How the kernel finds a virtual service: by protocol, address and port, or
/// by firewall mark (then protocol, address and port are 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ServiceKey {
    pub(crate) af: u16,
    pub(crate) proto: u16,
    pub(crate) addr: IpAddr,
    pub(crate) port: u16,
    pub(crate) fwmark: u32,
}

impl ServiceKey {
    /// A service by address.
    pub(crate) fn addr(proto: u16, addr: IpAddr, port: u16) -> ServiceKey {
        let af = af_number(Family::of(&addr));
        ServiceKey { af, proto, addr, port, fwmark: 0 }
    }

    /// A service by firewall mark.
    pub(crate) fn fwmark(family: Family, fwmark: u32) -> ServiceKey {
        ServiceKey { af: af_number(family), proto: 0, addr: unspecified(family), port: 0, fwmark }
    }
}

/// keepalived's name of a service in its IPVS error lines: `ADDR:proto:PORT`
/// or `Fwm N` (` inet6` added for IPv6).
impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.fwmark != 0 {
            return write!(f, "Fwm {}{}", self.fwmark, if self.af == AF_INET6 { " inet6" } else { "" });
        }
        let proto = match self.proto {
            IPPROTO_TCP => "tcp".to_owned(),
            IPPROTO_UDP => "udp".to_owned(),
            IPPROTO_SCTP => "sctp".to_owned(),
            p => p.to_string(),
        };
        write!(f, "{}:{}:{}", self.addr, proto, self.port)
    }
}

/// A service's settings.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct ServiceAttrs {
    pub(crate) sched: String,
    /// `IP_VS_SVC_F_*`, without `HASHED` (the kernel sets it on every service).
    pub(crate) flags: u32,
    /// Persistence timeout in seconds (0: not persistent).
    pub(crate) timeout: u32,
    /// The persistence netmask: an IPv4 mask as the kernel stores it (network
    /// order bytes read as a host u32) or an IPv6 prefix length.
    pub(crate) netmask: u32,
    /// The persistence engine (empty for none).
    pub(crate) pe_name: String,
}

/// A destination (real server) of a service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct DestKey {
    pub(crate) addr: IpAddr,
    pub(crate) port: u16,
}

impl DestKey {
    pub(crate) fn af(&self) -> u16 {
        af_number(Family::of(&self.addr))
    }
}

impl fmt::Display for DestKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.addr, self.port)
    }
}

/// A destination's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub(crate) struct DestAttrs {
    /// Forwarding method ([`fwd`]).
    pub(crate) fwd: u32,
    pub(crate) weight: i32,
    pub(crate) u_thresh: u32,
    pub(crate) l_thresh: u32,
    /// Tunnel type, port and flags (tunnelled destinations only, else 0).
    pub(crate) tun_type: u8,
    pub(crate) tun_port: u16,
    pub(crate) tun_flags: u16,
}

/// Traffic counters of a service or destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Stats {
    pub(crate) conns: u64,
    pub(crate) inpkts: u64,
    pub(crate) outpkts: u64,
    pub(crate) inbytes: u64,
    pub(crate) outbytes: u64,
    pub(crate) cps: u64,
    pub(crate) inpps: u64,
    pub(crate) outpps: u64,
    pub(crate) inbps: u64,
    pub(crate) outbps: u64,
}

impl Stats {
    /// Adds another set of counters (a virtual server spread over several
    /// kernel services sums them).
    pub(crate) fn add(&mut self, o: &Stats) {
        self.conns = self.conns.saturating_add(o.conns);
        self.inpkts = self.inpkts.saturating_add(o.inpkts);
        self.outpkts = self.outpkts.saturating_add(o.outpkts);
        self.inbytes = self.inbytes.saturating_add(o.inbytes);
        self.outbytes = self.outbytes.saturating_add(o.outbytes);
        self.cps = self.cps.saturating_add(o.cps);
        self.inpps = self.inpps.saturating_add(o.inpps);
        self.outpps = self.outpps.saturating_add(o.outpps);
        self.inbps = self.inbps.saturating_add(o.inbps);
        self.outbps = self.outbps.saturating_add(o.outbps);
    }
}

/// A service as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServiceEntry {
    pub(crate) key: ServiceKey,
    pub(crate) attrs: ServiceAttrs,
    pub(crate) stats: Stats,
}

/// A destination as the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DestEntry {
    pub(crate) key: DestKey,
    pub(crate) attrs: DestAttrs,
    pub(crate) active_conns: u32,
    pub(crate) inact_conns: u32,
    pub(crate) persist_conns: u32,
    pub(crate) stats: Stats,
}

/// Connection-sync daemon states (`IP_VS_STATE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SyncState {
    Master,
    Backup,
}

impl SyncState {
    pub(crate) fn number(self) -> u32 {
        match self {
            SyncState::Master => 1,
            SyncState::Backup => 2,
        }
    }

    pub(crate) fn from_number(n: u32) -> Option<SyncState> {
        match n {
            1 => Some(SyncState::Master),
            2 => Some(SyncState::Backup),
            _ => None,
        }
    }
}

/// A connection-sync daemon: how it is started and how the kernel reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Daemon {
    pub(crate) state: SyncState,
    pub(crate) ifname: String,
    pub(crate) syncid: u32,
    /// 0: the kernel's default (as for port and ttl).
    pub(crate) maxlen: u16,
    pub(crate) port: u16,
    pub(crate) ttl: u8,
    pub(crate) group: Option<IpAddr>,
}

/// Connection timeouts in seconds (0 in a request: leave unchanged).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Timeouts {
    pub(crate) tcp: u32,
    pub(crate) tcp_fin: u32,
    pub(crate) udp: u32,
}

/// What `GET_INFO` reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Info {
    /// `IP_VS_VERSION_CODE`, e.g. 0x010201 for 1.2.1.
    pub(crate) version: u32,
    pub(crate) conn_tab_size: u32,
    /// Number of services (reported by the socket option only).
    pub(crate) num_services: Option<u32>,
}

/// A set of services with their destinations, in a stable order: the table
/// the configuration asks for, or what the kernel holds of it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Table {
    services: Vec<TableService>,
    index: std::collections::HashMap<ServiceKey, usize>,
}

/// One service of a [`Table`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TableService {
    pub(crate) key: ServiceKey,
    pub(crate) attrs: ServiceAttrs,
    pub(crate) dests: Vec<(DestKey, DestAttrs)>,
}

impl TableService {
    /// The destination `key`, if present.
    pub(crate) fn dest(&self, key: &DestKey) -> Option<&DestAttrs> {
        self.dests.iter().find(|(k, _)| k == key).map(|(_, a)| a)
    }

    /// Sets a destination (replacing one with the same key).
    pub(crate) fn set_dest(&mut self, key: DestKey, attrs: DestAttrs) {
        match self.dests.iter_mut().find(|(k, _)| *k == key) {
            Some(d) => d.1 = attrs,
            None => self.dests.push((key, attrs)),
        }
    }

    /// Removes a destination.
    pub(crate) fn remove_dest(&mut self, key: &DestKey) {
        self.dests.retain(|(k, _)| k != key);
    }
}

impl Table {
    pub(crate) fn services(&self) -> impl Iterator<Item = &TableService> {
        self.services.iter()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    pub(crate) fn get(&self, key: &ServiceKey) -> Option<&TableService> {
        self.index.get(key).and_then(|&i| self.services.get(i))
    }

    pub(crate) fn get_mut(&mut self, key: &ServiceKey) -> Option<&mut TableService> {
        self.index.get(key).and_then(|&i| self.services.get_mut(i))
    }

    pub(crate) fn contains(&self, key: &ServiceKey) -> bool {
        self.index.contains_key(key)
    }

    /// Adds a service, or replaces its settings if present (keeping its
    /// destinations and its place); returns it.
    pub(crate) fn upsert(&mut self, key: ServiceKey, attrs: ServiceAttrs) -> &mut TableService {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.services.push(TableService { key, attrs: attrs.clone(), dests: Vec::new() });
                let i = self.services.len() - 1;
                self.index.insert(key, i);
                i
            }
        };
        let s = &mut self.services[i];
        s.attrs = attrs;
        s
    }

    /// The service `key`, added with `attrs` if missing (an existing one
    /// keeps its settings: the first virtual server to claim a kernel
    /// service configures it, as keepalived does).
    pub(crate) fn entry(&mut self, key: ServiceKey, attrs: ServiceAttrs) -> &mut TableService {
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.services.push(TableService { key, attrs, dests: Vec::new() });
                let i = self.services.len() - 1;
                self.index.insert(key, i);
                i
            }
        };
        &mut self.services[i]
    }

    /// Removes a service and its destinations.
    pub(crate) fn remove(&mut self, key: &ServiceKey) {
        if let Some(i) = self.index.remove(key) {
            self.services.remove(i);
            for (j, s) in self.services.iter().enumerate().skip(i) {
                self.index.insert(s.key, j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_in_error_lines() {
        let k = ServiceKey::addr(IPPROTO_TCP, "10.0.0.1".parse().unwrap(), 80);
        assert_eq!(k.to_string(), "10.0.0.1:tcp:80");
        let k = ServiceKey::addr(IPPROTO_SCTP, "2001:db8::1".parse().unwrap(), 9);
        assert_eq!(k.to_string(), "2001:db8::1:sctp:9");
        assert_eq!(ServiceKey::fwmark(Family::Inet, 5).to_string(), "Fwm 5");
        assert_eq!(ServiceKey::fwmark(Family::Inet6, 5).to_string(), "Fwm 5 inet6");
        let d = DestKey { addr: "10.0.0.2".parse().unwrap(), port: 8080 };
        assert_eq!(d.to_string(), "10.0.0.2:8080");
    }
}
