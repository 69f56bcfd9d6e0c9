//! Addresses, routes and rules as keepalived 2.2.7 writes them in
//! keepalived.data and keepalived.json (`10.0.0.1/24 dev eth0 scope global
//! set`, `prepend 10.8.0.0/16 via inet 10.2.0.254 dev eth1 proto 18`,
//! `from 10.0.0.0/8 priority 100 tos 0x0 lookup 100`).

use std::net::IpAddr;

use crate::config::model::ipcfg::{
    Broadcast, IpAddress, IpRoute, IpRule, MetricKind, NumOrName, RouteMode, RouteType, RuleAction, Scope,
};

/// `ADDR` when the prefix covers the whole address, else `ADDR/LEN`.
fn addr_len(a: &IpAddr, len: u8) -> String {
    let full = if a.is_ipv6() { 128 } else { 32 };
    if len == full { a.to_string() } else { format!("{a}/{len}") }
}

fn scope_name(s: u8) -> String {
    match s {
        0 => "global".into(),
        200 => "site".into(),
        253 => "link".into(),
        254 => "host".into(),
        255 => "nowhere".into(),
        n => n.to_string(),
    }
}

/// One address line, with what keepalived adds to the configured text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Addr {
    /// Everything before ` set`.
    pub text: String,
}

impl Addr {
    /// The line of `a` on interface `dev` (the configured one or the
    /// instance's / default interface).
    pub(crate) fn of(a: &IpAddress, dev: &str) -> Addr {
        let mut s = addr_len(&a.addr, a.prefix_len);
        if let IpAddr::V4(v4) = a.addr {
            let mask = if a.prefix_len == 0 { 0 } else { u32::MAX << (32 - u32::from(a.prefix_len.min(32))) };
            let brd = match a.broadcast {
                Some(Broadcast::Addr(b)) => Some(b),
                Some(Broadcast::SetHostBits) => Some(std::net::Ipv4Addr::from(u32::from(v4) | !mask)),
                Some(Broadcast::ClearHostBits) => Some(std::net::Ipv4Addr::from(u32::from(v4) & mask)),
                None => None,
            };
            if let Some(b) = brd.filter(|b| !b.is_unspecified()) {
                s.push_str(&format!(" brd {b}"));
            }
        }
        s.push_str(&format!(" dev {dev}"));
        if a.use_vmac {
            s.push_str(" use_vmac");
        }
        // keepalived shows the scope written (global when none, even for a
        // link-local address, whose scope the kernel sets itself).
        s.push_str(&format!(" scope {}", scope_name(a.scope.map_or(0, Scope::value))));
        if let Some(l) = &a.label {
            s.push_str(&format!(" label {l}"));
        }
        if let Some(p) = &a.peer {
            s.push_str(&format!(" peer {p}/{}", a.prefix_len));
        }
        for (on, w) in [
            (a.home, " home"),
            (a.nodad, " -nodad"),
            (a.mngtmpaddr, " mngtmpaddr"),
            (a.noprefixroute, " noprefixroute"),
            (a.autojoin, " autojoin"),
            (a.no_track, " no_track"),
        ] {
            if on {
                s.push_str(w);
            }
        }
        if let Some(g) = &a.track_group {
            s.push_str(&format!(" track_group {}", g.value));
        }
        if a.addr.is_ipv6() {
            match a.preferred_lft {
                Some(Some(0)) => s.push_str(" deprecated"),
                Some(Some(n)) => s.push_str(&format!(" preferred_lft {n}")),
                None | Some(None) => s.push_str(" preferred_lft forever"),
            }
        }
        Addr { text: s }
    }

    /// The line of an address as the runtime adds it (`dev` resolved), for
    /// the common options; an address written with others (use_vmac,
    /// no_track, preferred_lft, a scope the kernel changes...) gives another
    /// line than [`Addr::of`], which is how callers tell it needs the model.
    pub(crate) fn of_request(a: &crate::netlink::AddrSpec, dev: &str) -> Addr {
        let mut s = addr_len(&a.addr, a.prefix_len);
        if let Some(b) = a.broadcast.filter(|b| !b.is_unspecified()) {
            s.push_str(&format!(" brd {b}"));
        }
        s.push_str(&format!(" dev {dev} scope {}", scope_name(a.scope)));
        if let Some(l) = &a.label {
            s.push_str(&format!(" label {l}"));
        }
        if let Some(p) = &a.peer {
            s.push_str(&format!(" peer {p}/{}", a.prefix_len));
        }
        if a.home {
            s.push_str(" home");
        }
        // IPv6 VIPs are added without DAD unless `-nodad` was written.
        if a.addr.is_ipv6() && !a.nodad {
            s.push_str(" -nodad");
        }
        if a.noprefixroute {
            s.push_str(" noprefixroute");
        }
        if a.addr.is_ipv6() {
            s.push_str(" preferred_lft forever");
        }
        Addr { text: s }
    }

    /// The line with ` set` when the address is on its interface.
    pub(crate) fn line(&self, set: bool) -> String {
        if set { format!("{} set", self.text) } else { self.text.clone() }
    }
}

/// iproute2's names of routing protocols (/etc/iproute2/rt_protos).
fn proto_number(p: &NumOrName) -> String {
    match p {
        NumOrName::Num(n) => n.to_string(),
        NumOrName::Name(n) => match n.as_str() {
            "redirect" => "1",
            "kernel" => "2",
            "boot" => "3",
            "static" => "4",
            "gated" => "8",
            "ra" => "9",
            "mrt" => "10",
            "zebra" => "11",
            "bird" => "12",
            "dnrouted" => "13",
            "xorp" => "14",
            "ntk" => "15",
            "dhcp" => "16",
            "keepalived" => "18",
            "babel" => "42",
            "bgp" => "186",
            "isis" => "187",
            "ospf" => "188",
            "rip" => "189",
            "eigrp" => "192",
            other => other,
        }
        .to_owned(),
    }
}

/// Routing table names the kernel knows without /etc/iproute2/rt_tables.
fn table_number(t: &NumOrName) -> String {
    match t {
        NumOrName::Num(n) => n.to_string(),
        NumOrName::Name(n) => match n.as_str() {
            "default" => "253".into(),
            "main" => "254".into(),
            "local" => "255".into(),
            other => other.to_owned(),
        },
    }
}

/// keepalived's protocol for the routes it installs (RTPROT_KEEPALIVED).
const RTPROT_KEEPALIVED: &str = "18";

/// A route line. `set`: installed now; `quirk_ifindex`: keepalived 2.2.7
/// appends `[installed ifindex 0]` to the static routes it has installed.
pub(crate) fn route(r: &IpRoute, set: bool, quirk_ifindex: bool) -> String {
    let mut s = String::from(match r.mode {
        RouteMode::Add => "add ",
        RouteMode::Append => "append ",
        RouteMode::Prepend => "prepend ",
    });
    if r.kind != RouteType::Unicast {
        s.push_str(r.kind.name());
        s.push(' ');
    }
    if r.dst.len == 0 && r.dst.addr.is_unspecified() {
        s.push_str("default");
    } else {
        s.push_str(&addr_len(&r.dst.addr, r.dst.len));
    }
    if let Some(f) = &r.from {
        s.push_str(&format!(" from {}", addr_len(&f.addr, f.len)));
    }
    if let Some(p) = &r.src {
        s.push_str(&format!(" src {p}"));
    }
    if let Some(t) = r.tos {
        s.push_str(&format!(" tos {t}"));
    }
    if let Some(e) = &r.encap {
        s.push_str(&format!(" encap {}", e.join(" ")));
    }
    if let Some(v) = &r.via {
        s.push_str(&format!(" via {} {v}", if v.is_ipv6() { "inet6" } else { "inet" }));
    }
    if let Some(d) = &r.dev {
        s.push_str(&format!(" dev {}", d.value));
    }
    if let Some(t) = r.table.as_ref().map(table_number).filter(|t| t != "254") {
        s.push_str(&format!(" table {t}"));
    }
    s.push_str(&format!(" proto {}", r.protocol.as_ref().map_or(RTPROT_KEEPALIVED.to_owned(), proto_number)));
    if let Some(sc) = r.scope {
        s.push_str(&format!(" scope {}", sc.value()));
    }
    if let Some(m) = r.metric {
        s.push_str(&format!(" metric {m}"));
    }
    if r.onlink && !r.dst.addr.is_ipv6() {
        s.push_str(" onlink");
    }
    if let Some(rl) = &r.realms {
        s.push_str(&realms(rl));
    }
    if let Some(e) = r.expires {
        s.push_str(&format!(" expires {e}sec"));
    }
    if let Some((c, lock)) = &r.congctl {
        s.push_str(&format!(" congctl {c}{}", if *lock { "lock " } else { "" }));
    }
    let metric = |k: MetricKind| r.metrics.iter().find(|m| m.kind == k);
    for (k, name) in [(MetricKind::Rtt, "rtt"), (MetricKind::Rttvar, "rttvar")] {
        if let Some(m) = metric(k) {
            s.push_str(&format!(" {name}{} {}ms", if m.lock { " lock" } else { "" }, m.value));
        }
    }
    if let Some(m) = metric(MetricKind::RtoMin) {
        s.push_str(&format!(" rto_min{} {}ms", if m.lock { " lock" } else { "" }, m.value));
    }
    if r.ecn {
        s.push_str(" features ecn");
    }
    for (k, name, lockable) in [
        (MetricKind::Mtu, "mtu", true),
        (MetricKind::Window, "window", false),
        (MetricKind::Ssthresh, "ssthresh", true),
        (MetricKind::Cwnd, "cwnd", true),
        (MetricKind::Advmss, "advmss", true),
        (MetricKind::Reordering, "reordering", true),
        (MetricKind::Hoplimit, "hoplimit", false),
        (MetricKind::Initcwnd, "initcwnd", false),
        (MetricKind::Initrwnd, "initrwnd", false),
        (MetricKind::Quickack, "quickack", false),
    ] {
        if let Some(m) = metric(k) {
            let lock = if lockable && m.lock { "lock " } else { "" };
            s.push_str(&format!(" {name} {lock}{}", m.value));
        }
    }
    if let Some(p) = &r.pref {
        s.push_str(&format!(" pref {p}"));
    }
    if let Some(m) = metric(MetricKind::FastopenNoCookie) {
        s.push_str(&format!(" fastopen_no_cookie {}", m.value));
    }
    if let Some(t) = r.ttl_propagate {
        s.push_str(&format!(" ttl-propagate {}abled", if t { "en" } else { "dis" }));
    }
    for nh in &r.nexthops {
        s.push_str(" nexthop");
        if let Some(v) = &nh.via {
            s.push_str(&format!(" via inet{} {v}", if v.is_ipv6() { "6" } else { "" }));
        }
        if let Some(d) = &nh.dev {
            s.push_str(&format!(" dev {}", d.value));
        }
        if let Some(w) = nh.weight {
            s.push_str(&format!(" weight {w}"));
        }
        if nh.onlink {
            s.push_str(" onlink");
        }
        if let Some(rl) = &nh.realms {
            s.push_str(&realms(rl));
        }
    }
    if r.no_track {
        s.push_str(" no_track");
    }
    if let Some(g) = &r.track_group {
        s.push_str(&format!(" track_group {}", g.value));
    }
    if set && quirk_ifindex && !r.no_track {
        s.push_str(" [installed ifindex 0]");
    }
    s
}

/// ` realm N` or ` realms FROM/TO`.
fn realms(r: &str) -> String {
    match r.split_once('/') {
        Some((a, b)) if a != "0" => format!(" realms {a}/{b}"),
        Some((_, b)) => format!(" realm {b}"),
        None => format!(" realm {r}"),
    }
}

/// A rule line.
pub(crate) fn rule(r: &IpRule) -> String {
    let mut s = String::new();
    if r.from.is_none() && r.to.is_none() && r.ipv6 {
        s.push_str("inet6 ");
    }
    if r.invert {
        s.push_str("not ");
    }
    match &r.from {
        Some(p) => s.push_str(&format!("from {}", addr_len(&p.addr, p.len))),
        None => s.push_str("from all"),
    }
    if let Some(p) = &r.to {
        s.push_str(&format!(" to {}", addr_len(&p.addr, p.len)));
    }
    s.push_str(&format!(" priority {}", r.priority));
    s.push_str(&format!(" tos {:#x}", r.tos.unwrap_or(0)));
    if let Some((m, mask)) = r.fwmark {
        s.push_str(&format!(" fwmark {m:#x}"));
        if let Some(mask) = mask.filter(|m| *m != u32::MAX) {
            s.push_str(&format!("/{mask:#x}"));
        }
    }
    if let Some(i) = &r.iif {
        s.push_str(&format!(" iif {i}"));
    }
    if let Some(o) = &r.oif {
        s.push_str(&format!(" oif {o}"));
    }
    if let Some(p) = r.suppress_prefixlength {
        s.push_str(&format!(" suppress_prefixlen {p}"));
    }
    if let Some(g) = &r.suppress_ifgroup {
        s.push_str(&format!(" suppress_ifgroup {g}"));
    }
    if let Some(t) = r.tunnel_id {
        s.push_str(&format!(" tunnel-id {t}"));
    }
    if let Some((a, b)) = r.uidrange {
        s.push_str(&format!(" uidrange {a}-{b}"));
    }
    if r.l3mdev {
        s.push_str(" l3mdev");
    }
    s.push_str(&format!(" protocol {}", r.protocol.as_ref().map_or(RTPROT_KEEPALIVED.to_owned(), proto_number)));
    if let Some(p) = &r.ip_proto {
        s.push_str(&format!(" ipproto {p}"));
    }
    if let Some((a, b)) = r.sport {
        s.push_str(&format!(" sport {a}-{b}"));
    }
    if let Some((a, b)) = r.dport {
        s.push_str(&format!(" dport {a}-{b}"));
    }
    if let Some(rl) = &r.realms {
        let (a, b) = rl.split_once('/').unwrap_or(("0", rl));
        s.push_str(&format!(" realms {a}/{b}"));
    }
    match &r.action {
        RuleAction::Table(t) => s.push_str(&format!(" lookup {}", table_number(t))),
        RuleAction::Goto(g) => s.push_str(&format!(" goto {g}")),
        RuleAction::Nop => s.push_str(" nop"),
        RuleAction::Blackhole => s.push_str(" type blackhole"),
        RuleAction::Unreachable => s.push_str(" type unreachable"),
        RuleAction::Prohibit => s.push_str(" type prohibit"),
    }
    if r.no_track {
        s.push_str(" no_track");
    }
    if let Some(g) = &r.track_group {
        s.push_str(&format!(" track_group {}", g.value));
    }
    s
}
