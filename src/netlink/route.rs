//! Adding and removing routes (`ip route add/del`), every option of
//! keepalived's `virtual_routes` / `static_routes` lines, already resolved
//! to numbers (interface indexes, tables, protocols, realms).

use std::net::IpAddr;

use netlink_packet_core::{NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NetlinkMessage};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::route::{
    MplsLabel, RouteAddress, RouteAttribute, RouteHeader, RouteIp6Tunnel, RouteIpTunnel, RouteLwEnCapType,
    RouteLwTunnelEncap, RouteMessage, RouteMetric, RouteMplsIpTunnel, RouteMplsTtlPropagation, RouteNextHop,
    RouteNextHopFlags, RoutePreference, RouteProtocol, RouteRealm, RouteScope, RouteType, RouteVia,
};

use super::{Netlink, NetlinkError};

/// `RTPROT_KEEPALIVED`: the protocol keepalived marks its routes and rules with.
pub const RTPROT_KEEPALIVED: u8 = 18;

/// How a route goes in relative to routes with the same destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RouteAddMode {
    /// `NLM_F_CREATE` alone (`ip route prepend`).
    #[default]
    Prepend,
    /// `NLM_F_CREATE | NLM_F_EXCL` (`ip route add`).
    Exclusive,
    /// `NLM_F_CREATE | NLM_F_APPEND` (`ip route append`).
    Append,
}

/// A lightweight tunnel encapsulation (`encap mpls|ip|ip6 ...`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encap {
    Mpls { labels: Vec<u32>, ttl: Option<u8> },
    Ip { id: Option<u64>, dst: Option<IpAddr>, src: Option<IpAddr>, tos: Option<u8>, ttl: Option<u8> },
}

/// One hop of a multipath route (or the route's single hop).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HopSpec {
    pub via: Option<IpAddr>,
    pub ifindex: Option<u32>,
    /// Kernel hop weight (configured weight - 1).
    pub hops: u8,
    pub onlink: bool,
    pub realms: Option<u32>,
    pub encap: Option<Encap>,
}

/// One route, as rtnetlink takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteSpec {
    pub v6: bool,
    /// `RTN_*`.
    pub kind: u8,
    pub dst: IpAddr,
    pub dst_len: u8,
    /// IPv6 source prefix (`from`).
    pub from: Option<(IpAddr, u8)>,
    /// Preferred source (`src`).
    pub prefsrc: Option<IpAddr>,
    pub table: u32,
    pub scope: u8,
    pub protocol: u8,
    pub tos: u8,
    pub metric: Option<u32>,
    /// `RTAX_*` values with their lock bit.
    pub metrics: Vec<(u16, u32, bool)>,
    pub congctl: Option<(String, bool)>,
    pub ecn: bool,
    pub pref: Option<u8>,
    pub expires: Option<u32>,
    pub ttl_propagate: Option<bool>,
    /// The single hop (when `nexthops` is empty).
    pub hop: HopSpec,
    pub nexthops: Vec<HopSpec>,
    pub mode: RouteAddMode,
}

/// `RTAX_LOCK`, `RTAX_FEATURES`, `RTAX_CC_ALGO` (the others come from the caller).
const RTAX_FEATURES: u16 = 12;
const RTAX_FEATURE_ECN: u32 = 1;

fn metric(kind: u16, v: u32) -> RouteMetric {
    match kind {
        2 => RouteMetric::Mtu(v),
        3 => RouteMetric::Window(v),
        4 => RouteMetric::Rtt(v),
        5 => RouteMetric::RttVar(v),
        6 => RouteMetric::SsThresh(v),
        7 => RouteMetric::Cwnd(v),
        8 => RouteMetric::Advmss(v),
        9 => RouteMetric::Reordering(v),
        10 => RouteMetric::Hoplimit(v),
        11 => RouteMetric::InitCwnd(v),
        13 => RouteMetric::RtoMin(v),
        14 => RouteMetric::InitRwnd(v),
        15 => RouteMetric::QuickAck(v),
        _ => RouteMetric::FastopenNoCookie(v),
    }
}

fn addr(a: IpAddr) -> RouteAddress {
    match a {
        IpAddr::V4(v) => RouteAddress::Inet(v),
        IpAddr::V6(v) => RouteAddress::Inet6(v),
    }
}

fn encap_attrs(e: &Encap) -> (RouteLwEnCapType, Vec<RouteLwTunnelEncap>) {
    match e {
        Encap::Mpls { labels, ttl } => {
            let n = labels.len();
            let stack = labels
                .iter()
                .enumerate()
                .map(|(i, l)| MplsLabel { label: *l, traffic_class: 0, bottom_of_stack: i + 1 == n, ttl: 0 })
                .collect();
            let mut v = vec![RouteLwTunnelEncap::Mpls(RouteMplsIpTunnel::Destination(stack))];
            if let Some(t) = ttl {
                v.push(RouteLwTunnelEncap::Mpls(RouteMplsIpTunnel::Ttl(*t)));
            }
            (RouteLwEnCapType::Mpls, v)
        }
        Encap::Ip { id, dst, src, tos, ttl } => {
            let v6 = matches!(dst, Some(IpAddr::V6(_))) || matches!(src, Some(IpAddr::V6(_)));
            if v6 {
                let mut v = Vec::new();
                if let Some(i) = id {
                    v.push(RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Id(*i)));
                }
                if let Some(IpAddr::V6(d)) = dst {
                    v.push(RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Destination(*d)));
                }
                if let Some(IpAddr::V6(s)) = src {
                    v.push(RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Source(*s)));
                }
                if let Some(t) = tos {
                    v.push(RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Tc(*t)));
                }
                if let Some(t) = ttl {
                    v.push(RouteLwTunnelEncap::Ip6(RouteIp6Tunnel::Hoplimit(*t)));
                }
                (RouteLwEnCapType::Ip6, v)
            } else {
                let mut v = Vec::new();
                if let Some(i) = id {
                    v.push(RouteLwTunnelEncap::Ip(RouteIpTunnel::Id(*i)));
                }
                if let Some(IpAddr::V4(d)) = dst {
                    v.push(RouteLwTunnelEncap::Ip(RouteIpTunnel::Destination(*d)));
                }
                if let Some(IpAddr::V4(s)) = src {
                    v.push(RouteLwTunnelEncap::Ip(RouteIpTunnel::Source(*s)));
                }
                if let Some(t) = tos {
                    v.push(RouteLwTunnelEncap::Ip(RouteIpTunnel::Tos(*t)));
                }
                if let Some(t) = ttl {
                    v.push(RouteLwTunnelEncap::Ip(RouteIpTunnel::Ttl(*t)));
                }
                (RouteLwEnCapType::Ip, v)
            }
        }
    }
}

fn realm(r: u32) -> RouteRealm {
    RouteRealm { source: (r >> 16) as u16, destination: (r & 0xffff) as u16 }
}

/// The gateway attribute: `RTA_GATEWAY` in the route's family, `RTA_VIA` for
/// an IPv6 next hop of an IPv4 route.
fn gateway(v6_route: bool, via: IpAddr) -> RouteAttribute {
    match (v6_route, via) {
        (false, IpAddr::V6(g)) => RouteAttribute::Via(RouteVia::Inet6(g)),
        (true, IpAddr::V4(g)) => RouteAttribute::Via(RouteVia::Inet(g)),
        _ => RouteAttribute::Gateway(addr(via)),
    }
}

impl RouteSpec {
    pub(crate) fn to_message(&self) -> RouteMessage {
        let mut m = RouteMessage::default();
        let h: &mut RouteHeader = &mut m.header;
        h.address_family = if self.v6 {
            netlink_packet_route::AddressFamily::Inet6
        } else {
            netlink_packet_route::AddressFamily::Inet
        };
        h.destination_prefix_length = self.dst_len;
        h.source_prefix_length = self.from.map_or(0, |f| f.1);
        h.tos = self.tos;
        h.table = u8::try_from(self.table).unwrap_or(RouteHeader::RT_TABLE_UNSPEC);
        h.protocol = RouteProtocol::from(self.protocol);
        h.scope = RouteScope::from(self.scope);
        h.kind = RouteType::from(self.kind);
        let a = &mut m.attributes;
        a.push(RouteAttribute::Destination(addr(self.dst)));
        if let Some((f, _)) = self.from {
            a.push(RouteAttribute::Source(addr(f)));
        }
        if self.table > 255 {
            a.push(RouteAttribute::Table(self.table));
        }
        if let Some(p) = self.prefsrc {
            a.push(RouteAttribute::PrefSource(addr(p)));
        }
        if let Some(p) = self.metric {
            a.push(RouteAttribute::Priority(p));
        }
        let mut metrics = Vec::new();
        let mut lock = 0u32;
        for (k, v, l) in &self.metrics {
            metrics.push(metric(*k, *v));
            if *l {
                lock |= 1 << k;
            }
        }
        if self.ecn {
            metrics.push(RouteMetric::Features(RTAX_FEATURE_ECN));
            let _ = RTAX_FEATURES;
        }
        if let Some((c, l)) = &self.congctl {
            metrics.push(RouteMetric::CcAlgo(c.clone()));
            if *l {
                lock |= 1 << 16;
            }
        }
        if lock != 0 {
            metrics.insert(0, RouteMetric::Lock(lock));
        }
        if !metrics.is_empty() {
            a.push(RouteAttribute::Metrics(metrics));
        }
        if let Some(p) = self.pref {
            a.push(RouteAttribute::Preference(RoutePreference::from(p)));
        }
        if let Some(e) = self.expires {
            a.push(RouteAttribute::Expires(e));
        }
        if let Some(t) = self.ttl_propagate {
            a.push(RouteAttribute::TtlPropagate(if t {
                RouteMplsTtlPropagation::Enabled
            } else {
                RouteMplsTtlPropagation::Disabled
            }));
        }
        if self.nexthops.is_empty() {
            let hop = &self.hop;
            if let Some(g) = hop.via {
                a.push(gateway(self.v6, g));
            }
            if let Some(i) = hop.ifindex {
                a.push(RouteAttribute::Oif(i));
            }
            if let Some(r) = hop.realms {
                a.push(RouteAttribute::Realm(realm(r)));
            }
            if let Some(e) = &hop.encap {
                let (t, v) = encap_attrs(e);
                a.push(RouteAttribute::EncapType(t));
                a.push(RouteAttribute::Encap(v));
            }
            if hop.onlink {
                m.header.flags |= netlink_packet_route::route::RouteFlags::Onlink;
            }
        } else {
            let hops = self
                .nexthops
                .iter()
                .map(|nh| {
                    let mut attrs = Vec::new();
                    if let Some(g) = nh.via {
                        attrs.push(gateway(self.v6, g));
                    }
                    if let Some(r) = nh.realms {
                        attrs.push(RouteAttribute::Realm(realm(r)));
                    }
                    if let Some(e) = &nh.encap {
                        let (t, v) = encap_attrs(e);
                        attrs.push(RouteAttribute::EncapType(t));
                        attrs.push(RouteAttribute::Encap(v));
                    }
                    let mut hop = RouteNextHop::default();
                    hop.flags = if nh.onlink { RouteNextHopFlags::Onlink } else { RouteNextHopFlags::empty() };
                    hop.hops = nh.hops;
                    hop.interface_index = nh.ifindex.unwrap_or(0);
                    hop.attributes = attrs;
                    hop
                })
                .collect();
            m.attributes.push(RouteAttribute::MultiPath(hops));
        }
        m
    }
}

impl Netlink {
    /// Adds a route. A route that is already there is not an error.
    pub async fn add_route(&self, spec: &RouteSpec) -> Result<(), NetlinkError> {
        let mode = match spec.mode {
            RouteAddMode::Prepend => 0,
            RouteAddMode::Exclusive => NLM_F_EXCL,
            RouteAddMode::Append => NLM_F_APPEND,
        };
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::NewRoute(spec.to_message()));
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | mode;
        match self.ack(req).await {
            Err(e) if e.is_exists() => Ok(()),
            r => r,
        }
    }

    /// Removes a route. A route that is not there is not an error.
    pub async fn del_route(&self, spec: &RouteSpec) -> Result<(), NetlinkError> {
        let mut msg = spec.to_message();
        // Match the route whatever scope the kernel gave it.
        msg.header.scope = RouteScope::NoWhere;
        let mut req = NetlinkMessage::from(RouteNetlinkMessage::DelRoute(msg));
        req.header.flags = NLM_F_REQUEST | NLM_F_ACK;
        match self.ack(req).await {
            Err(e) if e.is_not_found() => Ok(()),
            r => r,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> RouteSpec {
        RouteSpec {
            v6: false,
            kind: 1,
            dst: "192.168.110.0".parse().unwrap(),
            dst_len: 24,
            from: None,
            prefsrc: None,
            table: 254,
            scope: 0,
            protocol: RTPROT_KEEPALIVED,
            tos: 0,
            metric: None,
            metrics: Vec::new(),
            congctl: None,
            ecn: false,
            pref: None,
            expires: None,
            ttl_propagate: None,
            hop: HopSpec { via: Some("192.168.200.254".parse().unwrap()), ifindex: Some(5), ..HopSpec::default() },
            nexthops: Vec::new(),
            mode: RouteAddMode::Prepend,
        }
    }

    #[test]
    fn single_hop_route() {
        let m = spec().to_message();
        assert_eq!(m.header.table, 254);
        assert_eq!(m.header.protocol, RouteProtocol::from(18u8));
        assert!(m.attributes.contains(&RouteAttribute::Oif(5)));
        assert!(
            m.attributes.contains(&RouteAttribute::Gateway(RouteAddress::Inet("192.168.200.254".parse().unwrap())))
        );
    }

    #[test]
    fn big_table_metrics_and_multipath() {
        let mut s = spec();
        s.table = 1000;
        s.metrics = vec![(2, 1400, true), (8, 1300, false)];
        s.nexthops = vec![
            HopSpec { via: Some("10.0.0.1".parse().unwrap()), hops: 1, ..HopSpec::default() },
            HopSpec { via: Some("10.0.0.2".parse().unwrap()), ifindex: Some(3), ..HopSpec::default() },
        ];
        let m = s.to_message();
        assert_eq!(m.header.table, 0);
        assert!(m.attributes.contains(&RouteAttribute::Table(1000)));
        assert!(m.attributes.contains(&RouteAttribute::Metrics(vec![
            RouteMetric::Lock(1 << 2),
            RouteMetric::Mtu(1400),
            RouteMetric::Advmss(1300)
        ])));
        assert!(!m.attributes.iter().any(|a| matches!(a, RouteAttribute::Oif(_))));
        let mp = m.attributes.iter().find_map(|a| match a {
            RouteAttribute::MultiPath(h) => Some(h.clone()),
            _ => None,
        });
        let mp = mp.unwrap();
        assert_eq!((mp[0].hops, mp[1].interface_index), (1, 3));
    }

    #[test]
    fn mpls_encap_marks_bottom_of_stack() {
        let (t, v) = encap_attrs(&Encap::Mpls { labels: vec![100, 200], ttl: Some(5) });
        assert_eq!(t, RouteLwEnCapType::Mpls);
        match &v[0] {
            RouteLwTunnelEncap::Mpls(RouteMplsIpTunnel::Destination(l)) => {
                assert!(!l[0].bottom_of_stack && l[1].bottom_of_stack);
            }
            other => panic!("{other:?}"),
        }
    }
}
