//! Routes and rules of `virtual_routes` / `virtual_rules` and the static
//! blocks, from the config model to the netlink requests: names resolved
//! (interfaces through the caller, tables, protocols and realms through the
//! iproute2 files), keepalived's defaults applied (protocol `keepalived`,
//! table main). Pure apart from reading the iproute2 name files.

use std::net::IpAddr;

use crate::config::build::ipcfg::iproute2_name;
use crate::config::model::ipcfg::{
    IpRoute, IpRule, MetricKind, Nexthop, NumOrName, RouteMode, RouteType, RuleAction, parse_u32,
};
use crate::netlink::{Encap, HopSpec, RTPROT_KEEPALIVED, RouteAddMode, RouteSpec, RuleKind, RuleSpec};

/// Why a route or rule cannot be sent to the kernel.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum IpcfgError {
    #[error("interface {0} not found")]
    NoInterface(String),
    #[error("unknown {what} {name}")]
    UnknownName { what: &'static str, name: String },
    #[error("unsupported encap {0}")]
    Encap(String),
    #[error("vrf {0} is not supported")]
    Vrf(String),
}

fn num(n: &NumOrName, file: &'static str, what: &'static str) -> Result<u32, IpcfgError> {
    match n {
        NumOrName::Num(v) => Ok(*v),
        NumOrName::Name(s) => iproute2_name(file, s).ok_or(IpcfgError::UnknownName { what, name: s.clone() }),
    }
}

/// `realms [FROM/]TO` as the kernel's `RTA_FLOW` value (FROM << 16 | TO).
pub(crate) fn realms(s: &str) -> Result<u32, IpcfgError> {
    let one = |r: &str| {
        parse_u32(r)
            .or_else(|| iproute2_name("rt_realms", r))
            .filter(|n| *n <= 0xffff)
            .ok_or(IpcfgError::UnknownName { what: "realm", name: r.to_owned() })
    };
    match s.split_once('/') {
        Some((a, b)) => Ok(one(a)? << 16 | one(b)?),
        None => one(s),
    }
}

/// `RTAX_*` of a metric.
fn rtax(k: MetricKind) -> u16 {
    match k {
        MetricKind::Mtu => 2,
        MetricKind::Window => 3,
        MetricKind::Rtt => 4,
        MetricKind::Rttvar => 5,
        MetricKind::Ssthresh => 6,
        MetricKind::Cwnd => 7,
        MetricKind::Advmss => 8,
        MetricKind::Reordering => 9,
        MetricKind::Hoplimit => 10,
        MetricKind::Initcwnd => 11,
        MetricKind::RtoMin => 13,
        MetricKind::Initrwnd => 14,
        MetricKind::Quickack => 15,
        MetricKind::FastopenNoCookie => 17,
    }
}

/// The kernel's unit for the time metrics, as `ip route` converts them
/// (rtt in 1/8 ms, rttvar in 1/4 ms).
fn metric_value(k: MetricKind, v: u32) -> u32 {
    match k {
        MetricKind::Rtt => v.saturating_mul(8),
        MetricKind::Rttvar => v.saturating_mul(4),
        _ => v,
    }
}

fn route_type(t: RouteType) -> u8 {
    match t {
        RouteType::Unicast => 1,
        RouteType::Local => 2,
        RouteType::Broadcast => 3,
        RouteType::Anycast => 4,
        RouteType::Multicast => 5,
        RouteType::Blackhole => 6,
        RouteType::Unreachable => 7,
        RouteType::Prohibit => 8,
        RouteType::Throw => 9,
        RouteType::Nat => 10,
    }
}

/// `encap mpls 100/200 [ttl N]`, `encap ip|ip6 id N dst A src A tos N ttl N`.
pub(crate) fn encap(words: &[String]) -> Result<Encap, IpcfgError> {
    let bad = || IpcfgError::Encap(words.join(" "));
    let kind = words.first().ok_or_else(bad)?;
    match kind.as_str() {
        "mpls" => {
            let labels = words
                .get(1)
                .ok_or_else(bad)?
                .split('/')
                .map(|l| parse_u32(l).filter(|n| *n < (1 << 20)))
                .collect::<Option<Vec<u32>>>()
                .ok_or_else(bad)?;
            let ttl = match (words.get(2).map(String::as_str), words.get(3)) {
                (Some("ttl"), Some(t)) => Some(t.parse().map_err(|_| bad())?),
                _ => None,
            };
            Ok(Encap::Mpls { labels, ttl })
        }
        "ip" | "ip6" => {
            let (mut id, mut dst, mut src, mut tos, mut ttl) = (None, None, None, None, None);
            for pair in words.get(1..).unwrap_or(&[]).chunks(2) {
                let (k, v) = match pair {
                    [k, v] => (k.as_str(), v.as_str()),
                    _ => return Err(bad()),
                };
                match k {
                    "id" => id = Some(v.parse::<u64>().map_err(|_| bad())?),
                    "dst" => dst = Some(v.parse::<IpAddr>().map_err(|_| bad())?),
                    "src" => src = Some(v.parse::<IpAddr>().map_err(|_| bad())?),
                    "tos" | "tc" => tos = Some(parse_u32(v).and_then(|n| u8::try_from(n).ok()).ok_or_else(bad)?),
                    "ttl" | "hoplimit" => ttl = Some(v.parse::<u8>().map_err(|_| bad())?),
                    _ => return Err(bad()),
                }
            }
            Ok(Encap::Ip { id, dst, src, tos, ttl })
        }
        _ => Err(bad()),
    }
}

fn hop(nh: &Nexthop, ifindex: &dyn Fn(&str) -> Option<u32>) -> Result<HopSpec, IpcfgError> {
    Ok(HopSpec {
        via: nh.via,
        ifindex: match &nh.dev {
            Some(d) => Some(ifindex(&d.value).ok_or_else(|| IpcfgError::NoInterface(d.value.clone()))?),
            None => None,
        },
        hops: nh.weight.map_or(0, |w| u8::try_from(w.saturating_sub(1)).unwrap_or(u8::MAX)),
        onlink: nh.onlink,
        realms: nh.realms.as_deref().map(realms).transpose()?,
        encap: nh.encap.as_deref().map(encap).transpose()?,
    })
}

/// The netlink request of a configured route.
pub(crate) fn route_spec(r: &IpRoute, ifindex: &dyn Fn(&str) -> Option<u32>) -> Result<RouteSpec, IpcfgError> {
    if let Some(v) = &r.vrf {
        return Err(IpcfgError::Vrf(v.value.clone()));
    }
    let single = Nexthop {
        via: r.via,
        dev: r.dev.clone(),
        weight: None,
        onlink: r.onlink,
        realms: r.realms.clone(),
        encap: r.encap.clone(),
    };
    let kind = route_type(r.kind);
    // iproute2's scopes for the local, broadcast and multicast types.
    let scope = match (r.scope, r.kind) {
        (Some(s), _) => s.value(),
        (None, RouteType::Local | RouteType::Nat) => 254,
        (None, RouteType::Broadcast | RouteType::Multicast | RouteType::Anycast) => 253,
        (None, _) => 0,
    };
    Ok(RouteSpec {
        v6: r.dst.is_ipv6(),
        kind,
        dst: r.dst.addr,
        dst_len: r.dst.len,
        from: r.from.map(|p| (p.addr, p.len)),
        prefsrc: r.src,
        table: r.table.as_ref().map(|t| num(t, "rt_tables", "table")).transpose()?.unwrap_or(254),
        scope,
        protocol: match &r.protocol {
            Some(p) => u8::try_from(num(p, "rt_protos", "protocol")?).unwrap_or(RTPROT_KEEPALIVED),
            None => RTPROT_KEEPALIVED,
        },
        tos: r.tos.unwrap_or(0),
        metric: r.metric,
        metrics: r.metrics.iter().map(|m| (rtax(m.kind), metric_value(m.kind, m.value), m.lock)).collect(),
        congctl: r.congctl.clone(),
        ecn: r.ecn,
        pref: r.pref.as_deref().map(|p| match p {
            "low" => 3,
            "high" => 1,
            _ => 0,
        }),
        expires: r.expires,
        ttl_propagate: r.ttl_propagate,
        hop: if r.nexthops.is_empty() { hop(&single, ifindex)? } else { HopSpec::default() },
        nexthops: r.nexthops.iter().map(|nh| hop(nh, ifindex)).collect::<Result<_, _>>()?,
        mode: match r.mode {
            RouteMode::Prepend => RouteAddMode::Prepend,
            RouteMode::Add => RouteAddMode::Exclusive,
            RouteMode::Append => RouteAddMode::Append,
        },
    })
}

/// The netlink request of a configured rule.
pub(crate) fn rule_spec(r: &IpRule) -> Result<RuleSpec, IpcfgError> {
    Ok(RuleSpec {
        v6: r.ipv6,
        invert: r.invert,
        from: r.from.map(|p| (p.addr, p.len)),
        to: r.to.map(|p| (p.addr, p.len)),
        priority: r.priority,
        action: match &r.action {
            RuleAction::Table(t) => RuleKind::Table(num(t, "rt_tables", "table")?),
            RuleAction::Goto(g) => RuleKind::Goto(*g),
            RuleAction::Blackhole => RuleKind::Blackhole,
            RuleAction::Unreachable => RuleKind::Unreachable,
            RuleAction::Prohibit => RuleKind::Prohibit,
            RuleAction::Nop => RuleKind::Nop,
        },
        tos: r.tos.unwrap_or(0),
        fwmark: r.fwmark,
        realms: r.realms.as_deref().map(realms).transpose()?,
        iif: r.iif.clone(),
        oif: r.oif.clone(),
        suppress_prefixlength: r.suppress_prefixlength,
        suppress_ifgroup: match &r.suppress_ifgroup {
            Some(g) => Some(
                parse_u32(g)
                    .or_else(|| iproute2_name("group", g))
                    .ok_or(IpcfgError::UnknownName { what: "group", name: g.clone() })?,
            ),
            None => None,
        },
        tunnel_id: r.tunnel_id,
        uidrange: r.uidrange,
        l3mdev: r.l3mdev,
        protocol: match &r.protocol {
            Some(p) => u8::try_from(num(p, "rt_protos", "protocol")?).unwrap_or(RTPROT_KEEPALIVED),
            None => RTPROT_KEEPALIVED,
        },
        ip_proto: match &r.ip_proto {
            Some(NumOrName::Num(n)) => u8::try_from(*n).ok(),
            Some(NumOrName::Name(n)) => {
                return Err(IpcfgError::UnknownName { what: "ip protocol", name: n.clone() });
            }
            None => None,
        },
        sport: r.sport.map(|(a, b)| (a as u16, b as u16)),
        dport: r.dport.map(|(a, b)| (a as u16, b as u16)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ast::Span;
    use crate::config::build::Ctx;
    use crate::config::build::ipcfg::{parse_route, parse_rule};
    use crate::config::model::ipcfg::Origin;

    fn stmt(line: &str) -> crate::config::ast::Stmt {
        let lines =
            vec![crate::config::preprocess::SourceLine { file: Default::default(), line: 1, text: line.to_owned() }];
        let mut p = crate::config::lexer::parse_lines(&lines);
        p.stmts.remove(0)
    }

    fn route(text: &str) -> IpRoute {
        let stmt = stmt(text);
        let mut ctx = Ctx::default();
        parse_route(&stmt, Origin::Virtual, &mut ctx).unwrap_or_else(|| panic!("{text}: {:?}", ctx.diags))
    }

    fn rule(text: &str) -> IpRule {
        let stmt = stmt(text);
        let mut ctx = Ctx::default();
        parse_rule(&stmt, Origin::Virtual, &mut ctx).unwrap_or_else(|| panic!("{text}: {:?}", ctx.diags))
    }

    fn idx(name: &str) -> Option<u32> {
        match name {
            "eth0" => Some(2),
            "eth1" => Some(3),
            _ => None,
        }
    }

    #[test]
    fn keepalived_defaults() {
        let s = route_spec(&route("192.168.110.0/24 via 192.168.200.254 dev eth1"), &idx).unwrap();
        assert_eq!((s.table, s.protocol, s.scope, s.kind), (254, 18, 0, 1));
        assert_eq!(s.hop.ifindex, Some(3));
        assert_eq!(s.hop.via, Some("192.168.200.254".parse().unwrap()));
        let b = route_spec(&route("blackhole 192.168.113.1/32"), &idx).unwrap();
        assert_eq!((b.kind, b.dst_len, b.hop.ifindex), (6, 32, None));
        let _ = Span::default();
    }

    #[test]
    fn every_option() {
        let s = route_spec(
            &route("src 10.0.0.1 10.1.0.0/16 via 10.0.0.254 dev eth0 table 100 scope link metric 7 protocol 99 tos 4 mtu lock 1400 rtt 10 realms 1/2 append no_track"),
            &idx,
        )
        .unwrap();
        assert_eq!((s.table, s.scope, s.metric, s.protocol, s.tos), (100, 253, Some(7), 99, 4));
        assert_eq!(s.metrics, vec![(2, 1400, true), (4, 80, false)]);
        assert_eq!(s.hop.realms, Some((1 << 16) | 2));
        assert_eq!(s.prefsrc, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(s.mode, RouteAddMode::Append);
        let m = route_spec(&route("10.2.0.0/16 nexthop via 10.0.0.1 dev eth0 weight 2 nexthop via 10.0.0.2"), &idx)
            .unwrap();
        assert_eq!(m.nexthops.len(), 2);
        assert_eq!((m.nexthops[0].hops, m.nexthops[0].ifindex), (1, Some(2)));
        assert_eq!(route_spec(&route("10.3.0.0/16 dev eth9"), &idx), Err(IpcfgError::NoInterface("eth9".into())));
    }

    #[test]
    fn encaps() {
        assert_eq!(
            encap(&["mpls".into(), "100/200".into(), "ttl".into(), "9".into()]),
            Ok(Encap::Mpls { labels: vec![100, 200], ttl: Some(9) })
        );
        assert_eq!(
            encap(&["ip".into(), "id".into(), "5".into(), "dst".into(), "10.0.0.9".into()]),
            Ok(Encap::Ip { id: Some(5), dst: Some("10.0.0.9".parse().unwrap()), src: None, tos: None, ttl: None })
        );
        assert!(encap(&["seg6".into()]).is_err());
    }

    #[test]
    fn rules() {
        let r = rule_spec(&rule("from 192.168.200.0/24 table 2 preference 100")).unwrap();
        assert_eq!((r.priority, r.action, r.protocol), (100, RuleKind::Table(2), 18));
        assert_eq!(r.from, Some(("192.168.200.0".parse().unwrap(), 24)));
        let g =
            rule_spec(&rule("to 10.0.0.0/8 goto 200 preference 100 fwmark 0x10/0xff iif eth0 sport 10-20")).unwrap();
        assert_eq!(g.action, RuleKind::Goto(200));
        assert_eq!(g.fwmark, Some((16, Some(255))));
        assert_eq!((g.iif.as_deref(), g.sport), (Some("eth0"), Some((10, 20))));
    }
}
