//! Addresses, routes and rules as keepalived configures them: the shared
//! model of `virtual_ipaddress`, `virtual_ipaddress_excluded`,
//! `virtual_routes`, `virtual_rules` and the global `static_ipaddress`,
//! `static_routes` and `static_rules` blocks. The syntax follows
//! `ip address/route/rule add` without abbreviated option names.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use crate::config::ast::Span;
use crate::config::build::Spanned;

/// An address with a prefix length (`10.0.0.0/8`, `default` = `0.0.0.0/0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct IpPrefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl IpPrefix {
    pub fn is_ipv6(&self) -> bool {
        self.addr.is_ipv6()
    }

    /// The longest prefix for the family (32 or 128).
    pub fn max_len(addr: &IpAddr) -> u8 {
        if addr.is_ipv6() { 128 } else { 32 }
    }
}

impl fmt::Display for IpPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

/// `scope` of an address or route (`/etc/iproute2/rt_scopes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    Global,
    Site,
    Link,
    Host,
    Nowhere,
    /// A numeric scope that has no name.
    Other(u8),
}

impl Scope {
    /// The kernel's numeric value (RT_SCOPE_*).
    pub fn value(self) -> u8 {
        match self {
            Scope::Global => 0,
            Scope::Site => 200,
            Scope::Link => 253,
            Scope::Host => 254,
            Scope::Nowhere => 255,
            Scope::Other(n) => n,
        }
    }

    /// Parses a scope name or number.
    pub fn parse(s: &str) -> Option<Scope> {
        Some(match s {
            "global" | "universe" => Scope::Global,
            "site" => Scope::Site,
            "link" => Scope::Link,
            "host" => Scope::Host,
            "nowhere" => Scope::Nowhere,
            _ => match parse_u32(s).and_then(|n| u8::try_from(n).ok())? {
                0 => Scope::Global,
                200 => Scope::Site,
                253 => Scope::Link,
                254 => Scope::Host,
                255 => Scope::Nowhere,
                n => Scope::Other(n),
            },
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Global => f.write_str("global"),
            Scope::Site => f.write_str("site"),
            Scope::Link => f.write_str("link"),
            Scope::Host => f.write_str("host"),
            Scope::Nowhere => f.write_str("nowhere"),
            Scope::Other(n) => write!(f, "{n}"),
        }
    }
}

/// A number or a name to be looked up in an iproute2 table file (routing
/// tables, protocols, realms). Names other than the kernel's built-in ones
/// are kept as written; the netlink layer resolves them.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NumOrName {
    Num(u32),
    Name(String),
}

impl fmt::Display for NumOrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NumOrName::Num(n) => write!(f, "{n}"),
            NumOrName::Name(s) => f.write_str(s),
        }
    }
}

/// `brd` of an IPv4 address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broadcast {
    Addr(Ipv4Addr),
    /// `brd +`: the address with all host bits set.
    SetHostBits,
    /// `brd -`: the address with all host bits cleared.
    ClearHostBits,
}

impl fmt::Display for Broadcast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Broadcast::Addr(a) => write!(f, "{a}"),
            Broadcast::SetHostBits => f.write_str("+"),
            Broadcast::ClearHostBits => f.write_str("-"),
        }
    }
}

/// Whether an address/route/rule belongs to a VRRP instance (moved with
/// mastership) or is static (set once, never moved).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Static,
    Virtual,
}

/// One line of `virtual_ipaddress`, `virtual_ipaddress_excluded` or `static_ipaddress`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpAddress {
    pub addr: IpAddr,
    /// The prefix length; 32 or 128 when not given.
    pub prefix_len: u8,
    /// The address as written (`10.0.0.1` or `10.0.0.1/24`), for messages.
    pub text: String,
    pub broadcast: Option<Broadcast>,
    /// `dev`: the interface; `None` means the VRRP instance's interface (or
    /// default_interface for static addresses).
    pub dev: Option<Spanned<String>>,
    pub scope: Option<Scope>,
    pub label: Option<String>,
    /// `peer`: the other end of a point-to-point address.
    pub peer: Option<IpAddr>,
    /// IPv6 `home` flag.
    pub home: bool,
    /// IPv6 `-nodad`.
    pub nodad: bool,
    /// IPv6 `mngtmpaddr`.
    pub mngtmpaddr: bool,
    pub noprefixroute: bool,
    pub autojoin: bool,
    /// `use_vmac` on a VIP: create a VMAC on `dev` for this address.
    pub use_vmac: bool,
    /// `no_track`: deleting the address does not take the instance out of master.
    pub no_track: bool,
    /// `track_group` (static addresses only).
    pub track_group: Option<Spanned<String>>,
    /// `preferred_lft`: `None` = kernel default, `Some(None)` = forever.
    pub preferred_lft: Option<Option<u32>>,
    /// The whole line.
    pub span: Span,
}

impl IpAddress {
    /// A bare address line (`ADDR[/LEN]`) with every option unset.
    pub fn new(addr: std::net::IpAddr, prefix_len: u8, text: String, span: crate::config::ast::Span) -> Self {
        IpAddress {
            addr,
            prefix_len,
            text,
            broadcast: None,
            dev: None,
            scope: None,
            label: None,
            peer: None,
            home: false,
            nodad: false,
            mngtmpaddr: false,
            noprefixroute: false,
            autojoin: false,
            use_vmac: false,
            no_track: false,
            track_group: None,
            preferred_lft: None,
            span,
        }
    }

    /// `ADDR/LEN` as upstream names the address in messages.
    pub fn prefix(&self) -> IpPrefix {
        IpPrefix { addr: self.addr, len: self.prefix_len }
    }
}

impl fmt::Display for IpAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix_len)?;
        if let Some(b) = &self.broadcast {
            write!(f, " brd {b}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {}", d.value)?;
        }
        if let Some(s) = &self.scope {
            write!(f, " scope {s}")?;
        }
        if let Some(l) = &self.label {
            write!(f, " label {l}")?;
        }
        if let Some(p) = &self.peer {
            write!(f, " peer {p}")?;
        }
        for (on, name) in [
            (self.home, "home"),
            (self.nodad, "-nodad"),
            (self.mngtmpaddr, "mngtmpaddr"),
            (self.noprefixroute, "noprefixroute"),
            (self.autojoin, "autojoin"),
            (self.use_vmac, "use_vmac"),
            (self.no_track, "no_track"),
        ] {
            if on {
                write!(f, " {name}")?;
            }
        }
        if let Some(g) = &self.track_group {
            write!(f, " track_group {}", g.value)?;
        }
        match self.preferred_lft {
            Some(Some(n)) => write!(f, " preferred_lft {n}")?,
            Some(None) => write!(f, " preferred_lft forever")?,
            None => {}
        }
        Ok(())
    }
}

/// The route type written before the destination (`blackhole 10.0.0.0/8`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RouteType {
    #[default]
    Unicast,
    Local,
    Broadcast,
    Anycast,
    Multicast,
    Blackhole,
    Unreachable,
    Prohibit,
    Throw,
    Nat,
}

impl RouteType {
    pub fn parse(s: &str) -> Option<RouteType> {
        Some(match s {
            "unicast" => RouteType::Unicast,
            "local" => RouteType::Local,
            "broadcast" => RouteType::Broadcast,
            "anycast" => RouteType::Anycast,
            "multicast" => RouteType::Multicast,
            "blackhole" => RouteType::Blackhole,
            "unreachable" => RouteType::Unreachable,
            "prohibit" => RouteType::Prohibit,
            "throw" => RouteType::Throw,
            "nat" => RouteType::Nat,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            RouteType::Unicast => "unicast",
            RouteType::Local => "local",
            RouteType::Broadcast => "broadcast",
            RouteType::Anycast => "anycast",
            RouteType::Multicast => "multicast",
            RouteType::Blackhole => "blackhole",
            RouteType::Unreachable => "unreachable",
            RouteType::Prohibit => "prohibit",
            RouteType::Throw => "throw",
            RouteType::Nat => "nat",
        }
    }
}

/// How a route is installed relative to matching routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum RouteMode {
    /// The kernel's default (`ip route prepend`).
    #[default]
    Prepend,
    /// `add`: only if there is no matching route.
    Add,
    /// `append`: after any matching route.
    Append,
}

/// A route metric (RTAX_*) settable on a route line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricKind {
    Mtu,
    Hoplimit,
    Advmss,
    Rtt,
    Rttvar,
    Reordering,
    Window,
    Cwnd,
    Ssthresh,
    RtoMin,
    Initcwnd,
    Initrwnd,
    Quickack,
    FastopenNoCookie,
}

impl MetricKind {
    /// Every metric with its configuration keyword.
    pub const ALL: [(MetricKind, &'static str); 14] = [
        (MetricKind::Mtu, "mtu"),
        (MetricKind::Hoplimit, "hoplimit"),
        (MetricKind::Advmss, "advmss"),
        (MetricKind::Rtt, "rtt"),
        (MetricKind::Rttvar, "rttvar"),
        (MetricKind::Reordering, "reordering"),
        (MetricKind::Window, "window"),
        (MetricKind::Cwnd, "cwnd"),
        (MetricKind::Ssthresh, "ssthresh"),
        (MetricKind::RtoMin, "rto_min"),
        (MetricKind::Initcwnd, "initcwnd"),
        (MetricKind::Initrwnd, "initrwnd"),
        (MetricKind::Quickack, "quickack"),
        (MetricKind::FastopenNoCookie, "fastopen_no_cookie"),
    ];

    pub fn name(self) -> &'static str {
        MetricKind::ALL.iter().find(|(k, _)| *k == self).map(|(_, n)| *n).unwrap_or("?")
    }

    /// Whether the metric may be preceded by `lock`.
    pub fn lockable(self) -> bool {
        !matches!(self, MetricKind::Quickack | MetricKind::FastopenNoCookie)
    }
}

/// One metric value; `lock` stops the kernel from changing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Metric {
    pub kind: MetricKind,
    pub value: u32,
    pub lock: bool,
}

/// One `nexthop` of a multipath route (or the single `or` alternative).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Nexthop {
    pub via: Option<IpAddr>,
    pub dev: Option<Spanned<String>>,
    /// `weight` 1..256 (kernel hop weight is weight-1).
    pub weight: Option<u16>,
    pub onlink: bool,
    pub realms: Option<String>,
    /// `encap ...` as written.
    pub encap: Option<Vec<String>>,
}

/// One line of `virtual_routes` or `static_routes`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRoute {
    pub kind: RouteType,
    pub dst: IpPrefix,
    /// `src`: the preferred source address.
    pub src: Option<IpAddr>,
    /// `from`: source prefix (IPv6 only).
    pub from: Option<IpPrefix>,
    pub via: Option<IpAddr>,
    pub dev: Option<Spanned<String>>,
    pub onlink: bool,
    pub nexthops: Vec<Nexthop>,
    pub table: Option<NumOrName>,
    pub scope: Option<Scope>,
    /// `metric` / `priority` / `preference`.
    pub metric: Option<u32>,
    pub protocol: Option<NumOrName>,
    /// `tos` / `dsfield`.
    pub tos: Option<u8>,
    pub metrics: Vec<Metric>,
    pub realms: Option<String>,
    /// `features ecn`.
    pub ecn: bool,
    pub congctl: Option<(String, bool)>,
    /// IPv6 router preference `pref low|medium|high`.
    pub pref: Option<String>,
    /// IPv6 `expires` seconds.
    pub expires: Option<u32>,
    pub vrf: Option<Spanned<String>>,
    pub encap: Option<Vec<String>>,
    pub ttl_propagate: Option<bool>,
    pub mode: RouteMode,
    /// `no_track`: the instance does not leave master if the route goes.
    pub no_track: bool,
    pub track_group: Option<Spanned<String>>,
    pub span: Span,
}

impl fmt::Display for IpRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind != RouteType::Unicast {
            write!(f, "{} ", self.kind.name())?;
        }
        write!(f, "{}", self.dst)?;
        if let Some(s) = &self.src {
            write!(f, " src {s}")?;
        }
        if let Some(s) = &self.from {
            write!(f, " from {s}")?;
        }
        if let Some(v) = &self.via {
            write!(f, " via {v}")?;
        }
        if let Some(d) = &self.dev {
            write!(f, " dev {}", d.value)?;
        }
        if self.onlink {
            f.write_str(" onlink")?;
        }
        if let Some(t) = &self.table {
            write!(f, " table {t}")?;
        }
        if let Some(s) = &self.scope {
            write!(f, " scope {s}")?;
        }
        if let Some(m) = &self.metric {
            write!(f, " metric {m}")?;
        }
        if let Some(p) = &self.protocol {
            write!(f, " protocol {p}")?;
        }
        if let Some(t) = &self.tos {
            write!(f, " tos {t}")?;
        }
        for m in &self.metrics {
            write!(f, " {}{} {}", m.kind.name(), if m.lock { " lock" } else { "" }, m.value)?;
        }
        if let Some(r) = &self.realms {
            write!(f, " realms {r}")?;
        }
        if self.ecn {
            f.write_str(" features ecn")?;
        }
        if let Some((c, lock)) = &self.congctl {
            write!(f, " congctl{} {c}", if *lock { " lock" } else { "" })?;
        }
        if let Some(p) = &self.pref {
            write!(f, " pref {p}")?;
        }
        if let Some(e) = &self.expires {
            write!(f, " expires {e}")?;
        }
        if let Some(v) = &self.vrf {
            write!(f, " vrf {}", v.value)?;
        }
        if let Some(e) = &self.encap {
            write!(f, " encap {}", e.join(" "))?;
        }
        if let Some(t) = self.ttl_propagate {
            write!(f, " ttl-propagate {}", if t { "enabled" } else { "disabled" })?;
        }
        for nh in &self.nexthops {
            f.write_str(" nexthop")?;
            if let Some(v) = &nh.via {
                write!(f, " via {v}")?;
            }
            if let Some(d) = &nh.dev {
                write!(f, " dev {}", d.value)?;
            }
            if let Some(w) = &nh.weight {
                write!(f, " weight {w}")?;
            }
            if nh.onlink {
                f.write_str(" onlink")?;
            }
            if let Some(r) = &nh.realms {
                write!(f, " realms {r}")?;
            }
            if let Some(e) = &nh.encap {
                write!(f, " encap {}", e.join(" "))?;
            }
        }
        match self.mode {
            RouteMode::Prepend => {}
            RouteMode::Add => f.write_str(" add")?,
            RouteMode::Append => f.write_str(" append")?,
        }
        if self.no_track {
            f.write_str(" no_track")?;
        }
        if let Some(g) = &self.track_group {
            write!(f, " track_group {}", g.value)?;
        }
        Ok(())
    }
}

/// What a rule does when it matches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleAction {
    /// `table`/`lookup` (the default action; `main` when no table is given).
    Table(NumOrName),
    /// `goto PREFERENCE`.
    Goto(u32),
    Blackhole,
    Unreachable,
    Prohibit,
    Nop,
}

impl fmt::Display for RuleAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleAction::Table(t) => write!(f, "table {t}"),
            RuleAction::Goto(g) => write!(f, "goto {g}"),
            RuleAction::Blackhole => f.write_str("blackhole"),
            RuleAction::Unreachable => f.write_str("unreachable"),
            RuleAction::Prohibit => f.write_str("prohibit"),
            RuleAction::Nop => f.write_str("nop"),
        }
    }
}

/// An inclusive range of ports or uids.
pub type Range32 = (u32, u32);

/// One line of `virtual_rules` or `static_rules`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpRule {
    /// IPv6 rule (an IPv6 address was given, or `inet6`).
    pub ipv6: bool,
    /// `not`: invert the match.
    pub invert: bool,
    /// `from`: `None` is `all`.
    pub from: Option<IpPrefix>,
    pub to: Option<IpPrefix>,
    /// `preference`/`priority`/`order`; assigned (with upstream's warning) when absent.
    pub priority: u32,
    /// Whether the preference was written (false: keepalived assigned one).
    pub priority_given: bool,
    pub action: RuleAction,
    pub tos: Option<u8>,
    /// `fwmark MARK[/MASK]`.
    pub fwmark: Option<(u32, Option<u32>)>,
    pub realms: Option<String>,
    pub iif: Option<String>,
    pub oif: Option<String>,
    pub suppress_prefixlength: Option<i32>,
    pub suppress_ifgroup: Option<String>,
    pub tunnel_id: Option<u64>,
    pub uidrange: Option<Range32>,
    pub l3mdev: bool,
    pub protocol: Option<NumOrName>,
    pub ip_proto: Option<NumOrName>,
    pub sport: Option<Range32>,
    pub dport: Option<Range32>,
    pub no_track: bool,
    pub track_group: Option<Spanned<String>>,
    pub span: Span,
}

impl fmt::Display for IpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.invert {
            f.write_str("not ")?;
        }
        match &self.from {
            Some(p) => write!(f, "from {p}")?,
            None => f.write_str("from all")?,
        }
        if let Some(p) = &self.to {
            write!(f, " to {p}")?;
        }
        write!(f, " preference {}", self.priority)?;
        if let Some(t) = &self.tos {
            write!(f, " tos {t}")?;
        }
        if let Some((m, mask)) = &self.fwmark {
            write!(f, " fwmark {m:#x}")?;
            if let Some(mask) = mask {
                write!(f, "/{mask:#x}")?;
            }
        }
        if let Some(r) = &self.realms {
            write!(f, " realms {r}")?;
        }
        if let Some(i) = &self.iif {
            write!(f, " iif {i}")?;
        }
        if let Some(o) = &self.oif {
            write!(f, " oif {o}")?;
        }
        if let Some(s) = &self.suppress_prefixlength {
            write!(f, " suppress_prefixlength {s}")?;
        }
        if let Some(s) = &self.suppress_ifgroup {
            write!(f, " suppress_ifgroup {s}")?;
        }
        if let Some(t) = &self.tunnel_id {
            write!(f, " tunnel_id {t}")?;
        }
        if let Some((a, b)) = &self.uidrange {
            write!(f, " uidrange {a}-{b}")?;
        }
        if self.l3mdev {
            f.write_str(" l3mdev")?;
        }
        if let Some(p) = &self.protocol {
            write!(f, " protocol {p}")?;
        }
        if let Some(p) = &self.ip_proto {
            write!(f, " ipproto {p}")?;
        }
        if let Some((a, b)) = &self.sport {
            write!(f, " sport {a}-{b}")?;
        }
        if let Some((a, b)) = &self.dport {
            write!(f, " dport {a}-{b}")?;
        }
        if !self.l3mdev {
            write!(f, " {}", self.action)?;
        }
        if self.ipv6 {
            f.write_str(" inet6")?;
        }
        if self.no_track {
            f.write_str(" no_track")?;
        }
        if let Some(g) = &self.track_group {
            write!(f, " track_group {}", g.value)?;
        }
        Ok(())
    }
}

/// Parses a decimal, `0x` hex or `0` octal unsigned number as iproute2 does.
pub fn parse_u32(s: &str) -> Option<u32> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u32::from_str_radix(&s[1..], 8).ok()
    } else {
        s.parse().ok()
    }
}
