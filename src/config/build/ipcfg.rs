//! Parsers for address, route and rule lines, shared by the VRRP blocks
//! (`virtual_ipaddress`, `virtual_ipaddress_excluded`, `virtual_routes`,
//! `virtual_rules`) and the global static blocks (`static_ipaddress`,
//! `static_routes`, `static_rules`).
//!
//! Each line of those blocks is a statement whose keyword is the first word
//! of the line. The parsers report problems with upstream's wording and
//! return `None` where upstream drops the line.

use std::net::IpAddr;

use crate::config::ast::{Span, Stmt, Word};
use crate::config::error::{Class, Severity};
use crate::config::model::ipcfg::{
    Broadcast, IpAddress, IpPrefix, IpRoute, IpRule, Metric, MetricKind, Nexthop, NumOrName, Origin, RouteMode,
    RouteType, RuleAction, Scope, parse_u32,
};
use crate::config::validate::SystemView;

use super::{Ctx, Spanned};

/// The message upstream gives for an unparsable address.
fn invalid_ip(ctx: &mut Ctx, w: &Word) {
    ctx.error(w.span, format!("VRRP parsed invalid IP {}. skipping IP...", w.text));
}

/// The span of a whole line: from the keyword to its last argument.
fn line_span(stmt: &Stmt) -> Span {
    let k = stmt.keyword.span;
    match stmt.args.last() {
        Some(l) if l.span.line == k.line && l.span.file == k.file && l.span.col >= k.col => {
            Span { len: l.span.col + l.span.len - k.col, ..k }
        }
        _ => k,
    }
}

/// The words of a line: the keyword and its arguments.
fn words(stmt: &Stmt) -> Vec<&Word> {
    std::iter::once(&stmt.keyword).chain(stmt.args.iter()).collect()
}

/// Upstream's message when an option lacks its value (word positions as upstream counts them).
fn missing_param(ctx: &mut Ctx, words: &[&Word], i: usize) {
    let first = words.first().map(|w| w.text.as_str()).unwrap_or("");
    let (kw, span) = match words.get(i) {
        Some(w) => (w.text.as_str(), w.span),
        None => ("", Span::default()),
    };
    ctx.error(
        span,
        format!(
            "*** Configuration line starting `{first}` is missing a parameter after keyword `{kw}` at word position {}",
            i + 2
        ),
    );
}

/// The value after the option word at `*i`, moving `*i` past both; upstream's
/// missing-parameter message (and `None`, the line is dropped) at the end of
/// the line.
fn option_value<'w>(ctx: &mut Ctx, words: &[&'w Word], i: &mut usize) -> Option<&'w Word> {
    match words.get(*i + 1) {
        Some(v) => {
            *i += 2;
            Some(*v)
        }
        None => {
            missing_param(ctx, words, *i);
            None
        }
    }
}

/// Parses `ADDR[/LEN]`; `default`/`default6` when `allow_default`. Reports
/// upstream's messages; a bad prefix length falls back to the full length.
pub fn parse_prefix(w: &Word, allow_default: bool, ctx: &mut Ctx) -> Option<IpPrefix> {
    if allow_default {
        match w.text.as_str() {
            "default" | "all" => return Some(IpPrefix { addr: IpAddr::from([0u8; 4]), len: 0 }),
            "default6" => return Some(IpPrefix { addr: IpAddr::from([0u16; 8]), len: 0 }),
            _ => {}
        }
    }
    let (a, len) = match w.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (w.text.as_str(), None),
    };
    let Ok(addr) = a.parse::<IpAddr>() else {
        invalid_ip(ctx, w);
        return None;
    };
    let max = IpPrefix::max_len(&addr);
    let len = match len {
        None => max,
        Some(l) => match l.parse::<u32>() {
            Ok(n) if n <= u32::from(max) => n as u8,
            Ok(_) => {
                ctx.error(w.span, format!("number '{l}' outside range [0, {max}]"));
                ctx.error(w.span, format!("Invalid address prefix len {l} for address {} - using {max}", w.text));
                max
            }
            Err(_) => {
                ctx.error(w.span, format!("invalid number '{l}'"));
                ctx.error(w.span, format!("Invalid address prefix len {l} for address {} - using {max}", w.text));
                max
            }
        },
    };
    Some(IpPrefix { addr, len })
}

/// Parses one address line:
/// `<IPADDR>[/<MASK>] [brd <IPADDR>|+|-] [dev <STRING>] [use_vmac] [scope <SCOPE>]
/// [label <LABEL>] [peer <IPADDR>] [home] [-nodad] [mngtmpaddr] [noprefixroute]
/// [autojoin] [no_track] [track_group GROUP] [preferred_lft nn|forever]`.
/// `use_vmac` is for VIPs only and `track_group` for static addresses only.
pub fn parse_address(stmt: &Stmt, origin: Origin, ctx: &mut Ctx) -> Option<IpAddress> {
    let words = words(stmt);
    let first = &stmt.keyword;
    let p = parse_prefix(first, false, ctx)?;
    let mut a = IpAddress::new(p.addr, p.len, first.text.clone(), line_span(stmt));
    let mut i = 1;
    while let Some(w) = words.get(i) {
        let kw = w.text.as_str();
        let takes_value = matches!(kw, "dev" | "scope" | "broadcast" | "brd" | "label" | "peer" | "preferred_lft")
            || (kw == "track_group" && origin == Origin::Static);
        let val = if takes_value {
            match words.get(i + 1) {
                Some(v) => Some(*v),
                None => {
                    ctx.error(w.span, format!("No {kw} parameter specified for {}", first.text));
                    break;
                }
            }
        } else {
            None
        };
        match (kw, val) {
            ("dev", Some(v)) => {
                if a.dev.is_some() {
                    ctx.error(w.span, format!("Cannot specify ipaddress device more than once for {}", first.text));
                    return None;
                }
                a.dev = Some(Spanned::new(v.text.clone(), v.span));
            }
            ("scope", Some(v)) => match Scope::parse(&v.text) {
                Some(s) => a.scope = Some(s),
                None => {
                    ctx.error(v.span, format!("Invalid scope '{}' specified for {} - ignoring", v.text, first.text))
                }
            },
            ("broadcast" | "brd", Some(v)) => {
                if a.addr.is_ipv6() {
                    ctx.error(
                        w.span,
                        format!(
                            "VRRP is trying to assign a broadcast {kw} to the IPv6 address {} !!?? WTF... skipping VIP...",
                            first.text
                        ),
                    );
                    return None;
                }
                a.broadcast = Some(match v.text.as_str() {
                    "+" => Broadcast::SetHostBits,
                    "-" => Broadcast::ClearHostBits,
                    t => match t.parse() {
                        Ok(b) => Broadcast::Addr(b),
                        Err(_) => {
                            ctx.error(
                                v.span,
                                format!("VRRP is trying to assign invalid broadcast {t}. skipping VIP..."),
                            );
                            return None;
                        }
                    },
                });
            }
            ("label", Some(v)) => {
                // IFNAMSIZ - 1
                if v.text.len() > 15 {
                    ctx.error(
                        v.span,
                        format!("Address label {} is longer than maximum length 15 - removing address", v.text),
                    );
                    return None;
                }
                a.label = Some(v.text.clone());
            }
            ("peer", Some(v)) => match v.text.parse() {
                Ok(p) => a.peer = Some(p),
                Err(_) => {
                    invalid_ip(ctx, v);
                    ctx.error(v.span, format!("Invalid peer address {}", v.text));
                    return None;
                }
            },
            ("preferred_lft", Some(v)) => {
                a.preferred_lft = Some(match v.text.as_str() {
                    "forever" => None,
                    t => match parse_u32(t) {
                        Some(n) => Some(n),
                        None => {
                            ctx.error(v.span, format!("Invalid preferred_lft '{t}' for {} - ignoring", first.text));
                            i += 2;
                            continue;
                        }
                    },
                });
            }
            ("track_group", Some(v)) => a.track_group = Some(Spanned::new(v.text.clone(), v.span)),
            ("home", _) => a.home = true,
            ("-nodad", _) => a.nodad = true,
            ("mngtmpaddr", _) => a.mngtmpaddr = true,
            ("noprefixroute", _) => a.noprefixroute = true,
            ("autojoin", _) => a.autojoin = true,
            ("no_track", _) => a.no_track = true,
            ("use_vmac", _) if origin == Origin::Virtual => a.use_vmac = true,
            _ => ctx.push(
                Severity::Error,
                Class::UnknownKeyword,
                w.span,
                format!("Unknown configuration entry '{kw}' for ip address - ignoring"),
            ),
        }
        i += if val.is_some() { 2 } else { 1 };
    }
    if a.addr.is_ipv6() {
        if a.scope.is_some_and(|s| s != Scope::Global) {
            ctx.error(first.span, format!("Cannot specify scope for IPv6 addresses ({}) - ignoring scope", first.text));
            a.scope = None;
        }
        if a.label.take().is_some() {
            ctx.error(first.span, format!("Cannot specify label for IPv6 addresses ({}) - ignoring label", first.text));
        }
    }
    if a.peer.is_some() {
        if first.text.contains('/') {
            ctx.error(first.span, "Cannot specify address prefix when specifying peer address - ignoring");
            a.prefix_len = IpPrefix::max_len(&a.addr);
        }
        if a.broadcast.take().is_some() {
            ctx.error(first.span, "Cannot specify broadcast and peer addresses - ignoring broadcast address");
        }
    }
    Some(a)
}

/// Names of routing protocols known without reading `/etc/iproute2/rt_protos`
/// (the kernel's and iproute2's standard list).
const PROTOCOLS: &[(&str, u32)] = &[
    ("unspec", 0),
    ("redirect", 1),
    ("kernel", 2),
    ("boot", 3),
    ("static", 4),
    ("gated", 8),
    ("ra", 9),
    ("mrt", 10),
    ("zebra", 11),
    ("bird", 12),
    ("dnrouted", 13),
    ("xorp", 14),
    ("ntk", 15),
    ("dhcp", 16),
    ("keepalived", 18),
    ("babel", 42),
    ("openr", 99),
    ("bgp", 186),
    ("isis", 187),
    ("ospf", 188),
    ("rip", 189),
    ("eigrp", 192),
];

/// The keepalived routing protocol number (RTPROT_KEEPALIVED).
pub const RTPROT_KEEPALIVED: u32 = 18;

fn parse_protocol(s: &str) -> Option<NumOrName> {
    if let Some(n) = parse_u32(s) {
        return (n <= 255).then_some(NumOrName::Num(n));
    }
    PROTOCOLS
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, v)| *v)
        .or_else(|| iproute2_name("rt_protos", s).filter(|n| *n <= 255))
        .map(NumOrName::Num)
}

/// Looks a name up in an iproute2 table file (`/etc/iproute2/NAME`, its
/// `NAME.d/*.conf`, then `/usr/share/iproute2/NAME`), as upstream does for
/// routing tables, protocols and realms.
pub fn iproute2_name(file: &str, name: &str) -> Option<u32> {
    let mut paths = Vec::new();
    for dir in ["/etc/iproute2", "/usr/share/iproute2"] {
        paths.push(std::path::PathBuf::from(format!("{dir}/{file}")));
        if let Ok(rd) = std::fs::read_dir(format!("{dir}/{file}.d")) {
            let mut extra: Vec<_> = rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "conf"))
                .collect();
            extra.sort();
            paths.extend(extra);
        }
    }
    paths.iter().filter_map(|p| std::fs::read_to_string(p).ok()).find_map(|text| {
        text.lines().find_map(|l| {
            let l = l.split('#').next().unwrap_or("");
            let mut it = l.split_whitespace();
            let (id, n) = (it.next()?, it.next()?);
            (n == name).then(|| parse_u32(id)).flatten()
        })
    })
}

/// A routing table number or name: the kernel's named tables, or a name
/// from `rt_tables` (unknown names are rejected, as upstream does).
pub fn parse_table(s: &str) -> Option<NumOrName> {
    Some(match s {
        "unspec" => NumOrName::Num(0),
        "default" => NumOrName::Num(253),
        "main" => NumOrName::Num(254),
        "local" => NumOrName::Num(255),
        _ => NumOrName::Num(parse_u32(s).or_else(|| iproute2_name("rt_tables", s))?),
    })
}

/// `realms [FROM/]TO`, numbers or names from `rt_realms`.
fn valid_realms(s: &str) -> bool {
    let ok = |r: &str| parse_u32(r).or_else(|| iproute2_name("rt_realms", r)).is_some_and(|n| n <= 0xffff);
    match s.split_once('/') {
        Some((a, b)) => ok(a) && ok(b),
        None => ok(s),
    }
}

/// Words that start an option of a `nexthop` (as opposed to the route).
/// `parsed`, what the option value `v` means; when it means nothing,
/// upstream's `msg` about it (given its text) and `None`: the line is dropped.
fn or_drop<T>(ctx: &mut Ctx, v: &Word, parsed: Option<T>, msg: impl FnOnce(&str) -> String) -> Option<T> {
    if parsed.is_none() {
        ctx.error(v.span, msg(&v.text));
    }
    parsed
}

/// The `realms` value of a route or of one of its nexthops.
fn realms(ctx: &mut Ctx, v: &Word) -> Option<String> {
    let valid = valid_realms(&v.text).then(|| v.text.clone());
    or_drop(ctx, v, valid, |t| format!("Invalid realms {t} for route"))
}

fn is_nexthop_option(s: &str) -> bool {
    matches!(s, "via" | "gw" | "dev" | "weight" | "onlink" | "realms" | "encap")
}

/// The lightweight tunnel types of `encap`.
const ENCAP_TYPES: &[&str] = &["mpls", "ip", "ip6", "ila", "bpf", "seg6", "seg6local", "ioam6", "rpl", "xfrm"];

/// Consumes `encap TYPE ...` starting at the type word; returns the words
/// and the next index (`None` for a missing or unknown type).
fn parse_encap(words: &[&Word], mut i: usize) -> Option<(Vec<String>, usize)> {
    let kind = words.get(i)?;
    if !ENCAP_TYPES.contains(&kind.text.as_str()) {
        return None;
    }
    let mut out = vec![kind.text.clone()];
    i += 1;
    match kind.text.as_str() {
        "mpls" => {
            out.push(words.get(i)?.text.clone());
            i += 1;
            if words.get(i).is_some_and(|w| w.text == "ttl") {
                out.push("ttl".into());
                out.push(words.get(i + 1)?.text.clone());
                i += 2;
            }
        }
        "ip" | "ip6" => {
            while let Some(w) = words.get(i) {
                if !matches!(w.text.as_str(), "id" | "dst" | "src" | "tos" | "ttl" | "hoplimit" | "tc") {
                    break;
                }
                out.push(w.text.clone());
                out.push(words.get(i + 1)?.text.clone());
                i += 2;
            }
        }
        _ => {
            // seg6, seg6local, bpf, ila: keep the rest of the words up to a
            // known route option.
            while let Some(w) = words.get(i) {
                if is_route_option(&w.text) {
                    break;
                }
                out.push(w.text.clone());
                i += 1;
            }
        }
    }
    Some((out, i))
}

/// Upstream's message for `encap` without a known type.
fn bad_encap(ctx: &mut Ctx, words: &[&Word], i: usize) {
    match words.get(i + 1) {
        Some(t) if !ENCAP_TYPES.contains(&t.text.as_str()) => {
            ctx.error(t.span, format!("Unknown encap type - {}", t.text))
        }
        _ => missing_param(ctx, words, i),
    }
}

/// `encap TYPE ...` with `*i` at the `encap` word: the words after it,
/// moving `*i` past them; upstream's message (and `None`, the line is
/// dropped) when the type is missing or unknown.
fn encap(ctx: &mut Ctx, words: &[&Word], i: &mut usize) -> Option<Vec<String>> {
    match parse_encap(words, *i + 1) {
        Some((e, next)) => {
            *i = next;
            Some(e)
        }
        None => {
            bad_encap(ctx, words, *i);
            None
        }
    }
}

fn is_route_option(s: &str) -> bool {
    matches!(
        s,
        "src"
            | "from"
            | "to"
            | "via"
            | "gw"
            | "or"
            | "dev"
            | "oif"
            | "onlink"
            | "table"
            | "scope"
            | "metric"
            | "priority"
            | "preference"
            | "protocol"
            | "proto"
            | "tos"
            | "dsfield"
            | "realms"
            | "features"
            | "congctl"
            | "pref"
            | "expires"
            | "vrf"
            | "encap"
            | "ttl-propagate"
            | "nexthop"
            | "add"
            | "append"
            | "prepend"
            | "no_track"
            | "track_group"
            | "inet"
            | "inet6"
    ) || MetricKind::ALL.iter().any(|(_, n)| *n == s)
}

/// Parses one route line (`ip route add` syntax plus keepalived's
/// `no_track`, `track_group`, `add|append|prepend` and the deprecated
/// `gw` and `or`).
pub fn parse_route(stmt: &Stmt, origin: Origin, ctx: &mut Ctx) -> Option<IpRoute> {
    let words = words(stmt);
    let mut r = IpRoute {
        kind: RouteType::Unicast,
        dst: IpPrefix { addr: IpAddr::from([0u8; 4]), len: 0 },
        src: None,
        from: None,
        via: None,
        dev: None,
        onlink: false,
        nexthops: Vec::new(),
        table: None,
        scope: None,
        metric: None,
        protocol: None,
        tos: None,
        metrics: Vec::new(),
        realms: None,
        ecn: false,
        congctl: None,
        pref: None,
        expires: None,
        vrf: None,
        encap: None,
        ttl_propagate: None,
        mode: RouteMode::Prepend,
        no_track: false,
        track_group: None,
        span: line_span(stmt),
    };
    let mut have_dst = false;
    // `via A or B` makes nexthops without the `nexthop` keyword.
    let mut nexthops_from_or = false;
    let mut inet6: Option<Span> = None;
    let mut from_v4: Option<&Word> = None;
    // Addresses seen, to check the family.
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut i = 0;
    if let Some(t) = words.first().and_then(|w| RouteType::parse(&w.text)) {
        r.kind = t;
        i = 1;
    }
    macro_rules! ip {
        ($w:expr, $what:expr) => {
            match $w.text.parse::<IpAddr>() {
                Ok(a) => {
                    addrs.push(a);
                    a
                }
                Err(_) => {
                    invalid_ip(ctx, $w);
                    ctx.error($w.span, format!("Invalid route {} address {}", $what, $w.text));
                    return None;
                }
            }
        };
    }
    while let Some(w) = words.get(i) {
        let kw = w.text.as_str();
        // Nothing but more nexthops may follow the nexthops.
        if !r.nexthops.is_empty() && kw != "nexthop" && !nexthops_from_or {
            ctx.error(w.span, format!("Route has trailing nonsense after nexthops - {kw}"));
            return None;
        }
        match kw {
            "src" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.src = Some(ip!(v, "src"));
            }
            "from" => {
                let v = option_value(ctx, &words, &mut i)?;
                let p = parse_prefix(v, true, ctx)?;
                if p.addr.is_ipv4() {
                    from_v4 = Some(v);
                } else {
                    addrs.push(p.addr);
                    r.from = Some(p);
                }
            }
            "to" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.dst = parse_prefix(v, true, ctx)?;
                if v.text != "default" {
                    addrs.push(r.dst.addr);
                }
                have_dst = true;
            }
            "via" | "gw" => {
                if kw == "gw" {
                    ctx.push(
                        Severity::Warning,
                        Class::Deprecated,
                        w.span,
                        "\"gw\" for routes is deprecated. Please use \"via\"",
                    );
                }
                let mut v = option_value(ctx, &words, &mut i)?;
                if matches!(v.text.as_str(), "inet" | "inet6") {
                    i -= 1;
                    v = option_value(ctx, &words, &mut i)?;
                }
                r.via = Some(ip!(v, "gateway"));
            }
            "or" => {
                ctx.push(
                    Severity::Warning,
                    Class::Deprecated,
                    w.span,
                    "\"or\" for routes is deprecated. Please use \"nexthop\"",
                );
                let v = option_value(ctx, &words, &mut i)?;
                let alt = ip!(v, "gateway");
                // `via A or B` is a two-path route.
                if r.nexthops.is_empty() {
                    if let Some(first) = r.via.take() {
                        r.nexthops.push(Nexthop { via: Some(first), ..Nexthop::default() });
                    }
                }
                r.nexthops.push(Nexthop { via: Some(alt), ..Nexthop::default() });
                nexthops_from_or = true;
            }
            "dev" | "oif" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.dev = Some(Spanned::new(v.text.clone(), v.span));
            }
            "onlink" => {
                r.onlink = true;
                i += 1;
            }
            "table" => {
                let v = option_value(ctx, &words, &mut i)?;
                let t = or_drop(ctx, v, parse_table(&v.text), |t| format!("Routing table {t} not found for route"))?;
                r.table = Some(t);
            }
            "scope" => {
                let v = option_value(ctx, &words, &mut i)?;
                let s =
                    or_drop(ctx, v, Scope::parse(&v.text), |t| format!("Scope {t} not found or invalid for route"))?;
                r.scope = Some(s);
            }
            "metric" | "priority" | "preference" => {
                let v = option_value(ctx, &words, &mut i)?;
                let n = or_drop(ctx, v, parse_u32(&v.text), |t| format!("Invalid metric {t} specified for route"))?;
                r.metric = Some(n);
            }
            "protocol" | "proto" => {
                let v = option_value(ctx, &words, &mut i)?;
                let p = or_drop(ctx, v, parse_protocol(&v.text), |t| {
                    format!("Protocol {t} not found or invalid for route")
                })?;
                r.protocol = Some(p);
            }
            "tos" | "dsfield" => {
                let v = option_value(ctx, &words, &mut i)?;
                let tos = parse_u32(&v.text).and_then(|n| u8::try_from(n).ok());
                r.tos = Some(or_drop(ctx, v, tos, |t| format!("TOS value {t} is invalid for route"))?);
            }
            "realms" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.realms = Some(realms(ctx, v)?);
            }
            "features" => {
                let v = option_value(ctx, &words, &mut i)?;
                if v.text != "ecn" {
                    ctx.error(v.span, format!("Unknown route feature {}", v.text));
                    return None;
                }
                r.ecn = true;
            }
            "congctl" => {
                let mut v = option_value(ctx, &words, &mut i)?;
                let lock = v.text == "lock";
                if lock {
                    i -= 1;
                    v = option_value(ctx, &words, &mut i)?;
                }
                r.congctl = Some((v.text.clone(), lock));
            }
            "pref" => {
                let v = option_value(ctx, &words, &mut i)?;
                if !matches!(v.text.as_str(), "low" | "medium" | "high") {
                    ctx.error(v.span, format!("Invalid pref {} for route", v.text));
                    return None;
                }
                r.pref = Some(v.text.clone());
            }
            "expires" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.expires = Some(or_drop(ctx, v, parse_u32(&v.text), |t| format!("Invalid expires {t} for route"))?);
            }
            "vrf" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.vrf = Some(Spanned::new(v.text.clone(), v.span));
            }
            "encap" => r.encap = Some(encap(ctx, &words, &mut i)?),
            "ttl-propagate" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.ttl_propagate = match v.text.as_str() {
                    "enabled" => Some(true),
                    "disabled" => Some(false),
                    t => {
                        ctx.error(v.span, format!("Invalid ttl-propagate value {t} for route"));
                        return None;
                    }
                };
            }
            "nexthop" => {
                i += 1;
                let mut nh = Nexthop::default();
                while let Some(w) = words.get(i) {
                    if !is_nexthop_option(&w.text) {
                        break;
                    }
                    match w.text.as_str() {
                        "onlink" => {
                            nh.onlink = true;
                            i += 1;
                        }
                        "via" | "gw" => {
                            let v = option_value(ctx, &words, &mut i)?;
                            nh.via = Some(ip!(v, "nexthop gateway"));
                        }
                        "dev" => {
                            let v = option_value(ctx, &words, &mut i)?;
                            nh.dev = Some(Spanned::new(v.text.clone(), v.span));
                        }
                        "weight" => {
                            let v = option_value(ctx, &words, &mut i)?;
                            match v.text.parse::<u16>() {
                                Ok(n) if (1..=256).contains(&n) => nh.weight = Some(n),
                                _ => {
                                    ctx.error(v.span, format!("Invalid nexthop weight {}", v.text));
                                    return None;
                                }
                            }
                        }
                        "realms" => {
                            let v = option_value(ctx, &words, &mut i)?;
                            nh.realms = Some(realms(ctx, v)?);
                        }
                        _ => nh.encap = Some(encap(ctx, &words, &mut i)?),
                    }
                }
                r.nexthops.push(nh);
            }
            "add" => {
                r.mode = RouteMode::Add;
                i += 1;
            }
            "append" => {
                r.mode = RouteMode::Append;
                i += 1;
            }
            "prepend" => {
                r.mode = RouteMode::Prepend;
                i += 1;
            }
            "no_track" => {
                r.no_track = true;
                i += 1;
            }
            "track_group" if origin == Origin::Static => {
                let v = option_value(ctx, &words, &mut i)?;
                r.track_group = Some(Spanned::new(v.text.clone(), v.span));
            }
            "inet6" => {
                inet6 = Some(w.span);
                i += 1;
            }
            "inet" => i += 1,
            _ => {
                if let Some((kind, name)) = MetricKind::ALL.iter().find(|(_, n)| *n == kw) {
                    let mut v = option_value(ctx, &words, &mut i)?;
                    let lock = v.text == "lock" && kind.lockable();
                    if lock {
                        i -= 1;
                        v = option_value(ctx, &words, &mut i)?;
                    }
                    match parse_u32(&v.text) {
                        Some(n) => r.metrics.push(Metric { kind: *kind, value: n, lock }),
                        None => {
                            ctx.error(v.span, format!("Invalid {name} value {} for route", v.text));
                            return None;
                        }
                    }
                    continue;
                }
                // Anything else is the destination.
                let Ok(p) = parse_prefix_quiet(w) else {
                    invalid_ip(ctx, w);
                    ctx.push(
                        Severity::Error,
                        Class::UnknownKeyword,
                        w.span,
                        format!("unknown route keyword {}", w.text),
                    );
                    return None;
                };
                let p = match p {
                    Some(p) => p,
                    None => parse_prefix(w, true, ctx)?,
                };
                r.dst = p;
                if w.text != "default" {
                    addrs.push(p.addr);
                }
                have_dst = true;
                i += 1;
            }
        }
    }
    if !have_dst {
        ctx.error(
            stmt.span(),
            format!(
                "No destination specified for route {}",
                words.iter().map(|w| w.text.as_str()).collect::<Vec<_>>().join(" ")
            ),
        );
        return None;
    }
    if addrs.iter().any(IpAddr::is_ipv6) && addrs.iter().any(IpAddr::is_ipv4) {
        ctx.error(stmt.span(), "Cannot mix IPv4 and IPv6 addresses for route");
        return None;
    }
    // A route that could be either family is IPv4 unless `inet6` is given.
    let v6 = addrs.iter().any(IpAddr::is_ipv6) || (inet6.is_some() && addrs.is_empty());
    if v6 && r.dst.addr.is_ipv4() && r.dst.len == 0 {
        r.dst.addr = IpAddr::from([0u16; 8]);
    }
    if let Some(s) = inet6 {
        if !v6 {
            ctx.error(s, "inet6 specified for IPv4 route");
        }
    }
    if let Some(w) = from_v4 {
        ctx.error(w.span, format!("route from address only supported with IPv6 ({})", w.text));
    }
    if !v6 {
        if r.expires.take().is_some() {
            ctx.error(stmt.span(), "expires is only valid for IPv6");
        }
        if r.pref.take().is_some() {
            ctx.error(stmt.span(), "pref is only valid for IPv6");
        }
    }
    if origin == Origin::Virtual && !r.no_track {
        if r.dev.is_none() {
            ctx.warn(
                stmt.span(),
                format!("Warning - cannot track route {} with no interface specified, not tracking", r.dst),
            );
            r.no_track = true;
        } else if r.protocol.as_ref().is_some_and(|p| *p != NumOrName::Num(RTPROT_KEEPALIVED)) {
            ctx.error(
                stmt.span(),
                "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
            );
            r.protocol = Some(NumOrName::Num(RTPROT_KEEPALIVED));
        }
    }
    Some(r)
}

/// `Ok(Some)` for a well-formed `ADDR[/LEN]` or `default`, `Ok(None)` when the
/// address parses but the prefix length needs [`parse_prefix`]'s messages,
/// `Err` when the word is not an address at all.
fn parse_prefix_quiet(w: &Word) -> Result<Option<IpPrefix>, ()> {
    match w.text.as_str() {
        "default" => return Ok(Some(IpPrefix { addr: IpAddr::from([0u8; 4]), len: 0 })),
        "default6" => return Ok(Some(IpPrefix { addr: IpAddr::from([0u16; 8]), len: 0 })),
        _ => {}
    }
    let (a, len) = match w.text.split_once('/') {
        Some((a, l)) => (a, Some(l)),
        None => (w.text.as_str(), None),
    };
    let addr = a.parse::<IpAddr>().map_err(|_| ())?;
    let max = IpPrefix::max_len(&addr);
    match len {
        None => Ok(Some(IpPrefix { addr, len: max })),
        Some(l) => match l.parse::<u8>() {
            Ok(n) if n <= max => Ok(Some(IpPrefix { addr, len: n })),
            _ => Ok(None),
        },
    }
}

/// The preference upstream gives the first rule written without one; each
/// further such rule gets one less.
pub const RULE_AUTO_PREFERENCE: u32 = 16384;

const NO_PREFERENCE_MSG: &str = "Rule has no preference specified - setting to ";

fn port_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a.parse::<u16>().ok()?, b.parse::<u16>().ok()?),
        None => {
            let a = s.parse::<u16>().ok()?;
            (a, a)
        }
    };
    (a <= b).then_some((u32::from(a), u32::from(b)))
}

fn uid_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    let (a, b) = (a.parse::<u32>().ok()?, b.parse::<u32>().ok()?);
    (a <= b).then_some((a, b))
}

/// Parses one rule line (`ip rule add` syntax plus `no_track`,
/// `track_group` and `inet6`). A rule without a preference gets one, counting
/// down from 16384 over every rule of the configuration (static and virtual),
/// with upstream's warning.
pub fn parse_rule(stmt: &Stmt, origin: Origin, ctx: &mut Ctx) -> Option<IpRule> {
    let words = words(stmt);
    let mut r = IpRule {
        ipv6: false,
        invert: false,
        from: None,
        to: None,
        priority: 0,
        priority_given: false,
        action: RuleAction::Table(NumOrName::Num(254)),
        tos: None,
        fwmark: None,
        realms: None,
        iif: None,
        oif: None,
        suppress_prefixlength: None,
        suppress_ifgroup: None,
        tunnel_id: None,
        uidrange: None,
        l3mdev: false,
        protocol: None,
        ip_proto: None,
        sport: None,
        dport: None,
        no_track: false,
        track_group: None,
        span: line_span(stmt),
    };
    let mut inet6 = false;
    let mut families: Vec<bool> = Vec::new();
    let mut i = 0;
    macro_rules! bad {
        ($v:expr, $what:expr) => {{
            ctx.error($v.span, format!("Invalid rule {} {}", $what, $v.text));
            return None;
        }};
    }
    while let Some(w) = words.get(i) {
        let kw = w.text.as_str();
        match kw {
            "not" => {
                r.invert = true;
                i += 1;
            }
            "from" | "to" => {
                let v = option_value(ctx, &words, &mut i)?;
                if v.text == "all" {
                    continue;
                }
                let addr_part = v.text.split_once('/').map(|(a, _)| a).unwrap_or(&v.text);
                if addr_part.parse::<IpAddr>().is_err() {
                    invalid_ip(ctx, v);
                    ctx.error(v.span, format!("Invalid rule {kw} address {}", v.text));
                    return None;
                }
                let p = parse_prefix(v, false, ctx)?;
                families.push(p.is_ipv6());
                if kw == "from" {
                    r.from = Some(p);
                } else {
                    r.to = Some(p);
                }
            }
            "preference" | "priority" | "order" => {
                let v = option_value(ctx, &words, &mut i)?;
                match parse_u32(&v.text) {
                    Some(n) => {
                        r.priority = n;
                        r.priority_given = true;
                    }
                    None => bad!(v, "preference"),
                }
            }
            "table" | "lookup" => {
                let v = option_value(ctx, &words, &mut i)?;
                let t = or_drop(ctx, v, parse_table(&v.text), |t| format!("Routing table {t} not found for rule"))?;
                r.action = RuleAction::Table(t);
            }
            "goto" => {
                let v = option_value(ctx, &words, &mut i)?;
                match parse_u32(&v.text) {
                    Some(n) => r.action = RuleAction::Goto(n),
                    None => bad!(v, "goto target"),
                }
            }
            "blackhole" => {
                r.action = RuleAction::Blackhole;
                i += 1;
            }
            "unreachable" => {
                r.action = RuleAction::Unreachable;
                i += 1;
            }
            "prohibit" => {
                r.action = RuleAction::Prohibit;
                i += 1;
            }
            "nop" => {
                r.action = RuleAction::Nop;
                i += 1;
            }
            "tos" | "dsfield" => {
                let v = option_value(ctx, &words, &mut i)?;
                match parse_u32(&v.text).and_then(|n| u8::try_from(n).ok()) {
                    Some(t) => r.tos = Some(t),
                    None => bad!(v, "tos"),
                }
            }
            "fwmark" => {
                let v = option_value(ctx, &words, &mut i)?;
                let (m, mask) = match v.text.split_once('/') {
                    Some((m, k)) => (parse_u32(m), Some(parse_u32(k))),
                    None => (parse_u32(&v.text), None),
                };
                match (m, mask) {
                    (Some(m), None) => r.fwmark = Some((m, None)),
                    (Some(m), Some(Some(k))) => r.fwmark = Some((m, Some(k))),
                    _ => bad!(v, "fwmark"),
                }
            }
            "realms" => {
                let v = option_value(ctx, &words, &mut i)?;
                if !valid_realms(&v.text) {
                    bad!(v, "realms");
                }
                r.realms = Some(v.text.clone());
            }
            "iif" | "iifname" | "dev" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.iif = Some(v.text.clone());
            }
            "oif" | "oifname" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.oif = Some(v.text.clone());
            }
            "suppress_prefixlength" | "sup_pl" => {
                let v = option_value(ctx, &words, &mut i)?;
                match v.text.parse::<i32>() {
                    Ok(n) if (-1..=128).contains(&n) => r.suppress_prefixlength = Some(n),
                    _ => bad!(v, "suppress_prefixlength"),
                }
            }
            "suppress_ifgroup" | "sup_group" => {
                let v = option_value(ctx, &words, &mut i)?;
                r.suppress_ifgroup = Some(v.text.clone());
            }
            "tunnel_id" => {
                let v = option_value(ctx, &words, &mut i)?;
                match v.text.parse::<u64>() {
                    Ok(n) => r.tunnel_id = Some(n),
                    Err(_) => bad!(v, "tunnel_id"),
                }
            }
            "uidrange" => {
                let v = option_value(ctx, &words, &mut i)?;
                match uid_range(&v.text) {
                    Some(u) => r.uidrange = Some(u),
                    None => bad!(v, "uidrange"),
                }
            }
            "l3mdev" => {
                r.l3mdev = true;
                i += 1;
            }
            "protocol" => {
                let v = option_value(ctx, &words, &mut i)?;
                match parse_protocol(&v.text) {
                    Some(p) => r.protocol = Some(p),
                    None => bad!(v, "protocol"),
                }
            }
            "ipproto" | "ip_proto" => {
                let v = option_value(ctx, &words, &mut i)?;
                let p = match v.text.to_ascii_lowercase().as_str() {
                    "tcp" => Some(6),
                    "udp" => Some(17),
                    "icmp" => Some(1),
                    "ipv6-icmp" | "icmpv6" => Some(58),
                    "sctp" => Some(132),
                    t => parse_u32(t).filter(|n| *n <= 255),
                };
                match p {
                    Some(n) => r.ip_proto = Some(NumOrName::Num(n)),
                    None => bad!(v, "ipproto"),
                }
            }
            "sport" | "dport" => {
                let v = option_value(ctx, &words, &mut i)?;
                match port_range(&v.text) {
                    Some(p) if kw == "sport" => r.sport = Some(p),
                    Some(p) => r.dport = Some(p),
                    None => bad!(v, kw),
                }
            }
            "no_track" => {
                r.no_track = true;
                i += 1;
            }
            "track_group" if origin == Origin::Static => {
                let v = option_value(ctx, &words, &mut i)?;
                r.track_group = Some(Spanned::new(v.text.clone(), v.span));
            }
            "inet6" => {
                inet6 = true;
                i += 1;
            }
            "inet" => i += 1,
            _ => {
                ctx.push(Severity::Error, Class::UnknownKeyword, w.span, format!("Unknown rule option {kw}"));
                return None;
            }
        }
    }
    if families.iter().any(|f| *f) && families.iter().any(|f| !*f) {
        ctx.error(stmt.span(), "Cannot mix IPv4 and IPv6 addresses for rule");
        return None;
    }
    r.ipv6 = inet6 || families.iter().any(|f| *f);
    if !r.priority_given {
        let earlier = ctx.diags.iter().filter(|d| d.message.starts_with(NO_PREFERENCE_MSG)).count() as u32;
        r.priority = RULE_AUTO_PREFERENCE.saturating_sub(earlier);
        ctx.error(stmt.span(), format!("{NO_PREFERENCE_MSG}{}. This is probably not what you want.", r.priority));
    }
    if let RuleAction::Goto(target) = r.action {
        if r.priority >= target {
            ctx.error(stmt.span(), format!("Invalid rule - preference {} >= goto target {target}", r.priority));
            return None;
        }
    }
    Some(r)
}

/// Upstream's message, once per configuration, when an interface it names
/// does not exist (CONFIG_BAD_IF): keepalived 2.4 cannot run such a
/// configuration and stops checking it there.
pub const NON_EXISTENT_INTERFACE: &str = "Non-existent interface specified in configuration";

/// Whether [`NON_EXISTENT_INTERFACE`] has been reported already.
pub fn non_existent_interface_reported(ctx: &Ctx) -> bool {
    ctx.diags.iter().any(|d| d.span.is_none() && d.message == NON_EXISTENT_INTERFACE)
}

/// Upstream's message for an address on an interface that does not exist.
/// Returns whether the interface exists.
pub fn check_address_interface(a: &IpAddress, sys: &SystemView, ctx: &mut Ctx) -> bool {
    match &a.dev {
        Some(d) => ctx.check_interface(sys, d, Severity::Warning, |n| {
            format!("WARNING - interface {n} for ip address {} doesn't exist", a.text)
        }),
        None => true,
    }
}

/// Upstream's message for a route (or nexthop) on an interface that does not
/// exist, and for a VRF that does not exist. Returns whether all interfaces
/// exist.
pub fn check_route_interfaces(r: &IpRoute, sys: &SystemView, ctx: &mut Ctx) -> bool {
    let mut ok = true;
    let devs = r.dev.iter().chain(r.nexthops.iter().filter_map(|n| n.dev.as_ref()));
    for d in devs {
        ok &= ctx.check_interface(sys, d, Severity::Warning, |n| {
            format!("WARNING - interface {n} for VROUTE nexthop doesn't exist")
        });
    }
    if let Some(v) = &r.vrf {
        if !sys.has_interface(&v.value) {
            // Reported, but not a missing interface in upstream's sense.
            ctx.push(Severity::Error, Class::Reference, v.span, format!("VRF {} not found for route", v.value));
        }
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::lexer::parse_lines;
    use crate::config::preprocess::SourceLine;

    fn stmt(line: &str) -> Stmt {
        let lines = vec![SourceLine { file: Default::default(), line: 1, text: line.to_owned() }];
        let mut p = parse_lines(&lines);
        assert!(p.diags.is_empty(), "{:?}", p.diags);
        p.stmts.remove(0)
    }

    fn msgs(ctx: &Ctx) -> Vec<String> {
        ctx.diags.iter().map(|d| d.message.clone()).collect()
    }

    #[test]
    fn addresses() {
        let mut ctx = Ctx::default();
        let a = parse_address(
            &stmt("192.168.200.18/24 brd - dev eth0 label eth0:1 -nodad no_track"),
            Origin::Virtual,
            &mut ctx,
        );
        let a = a.expect("valid address");
        assert_eq!(a.prefix_len, 24);
        assert_eq!(a.broadcast, Some(Broadcast::ClearHostBits));
        assert_eq!(a.dev.as_ref().map(|d| d.value.as_str()), Some("eth0"));
        assert!(a.nodad && a.no_track);
        assert_eq!(a.to_string(), "192.168.200.18/24 brd - dev eth0 label eth0:1 -nodad no_track");
        assert!(ctx.diags.is_empty());

        let a = parse_address(&stmt("192.168.200.23/33 dev eth0 scope bogus bogus"), Origin::Virtual, &mut ctx);
        assert_eq!(a.map(|a| a.prefix_len), Some(32));
        assert_eq!(
            msgs(&ctx),
            [
                "number '33' outside range [0, 32]",
                "Invalid address prefix len 33 for address 192.168.200.23/33 - using 32",
                "Invalid scope 'bogus' specified for 192.168.200.23/33 - ignoring",
                "Unknown configuration entry 'bogus' for ip address - ignoring",
            ]
        );

        let mut ctx = Ctx::default();
        assert!(parse_address(&stmt("192.168.100./24"), Origin::Virtual, &mut ctx).is_none());
        assert!(parse_address(&stmt("fe80::1/64 brd 1.2.3.4"), Origin::Virtual, &mut ctx).is_none());
        assert!(parse_address(&stmt("10.0.0.1 dev a dev b"), Origin::Virtual, &mut ctx).is_none());
        assert!(parse_address(&stmt("10.0.0.1 label abcdefghijklmnopq"), Origin::Virtual, &mut ctx).is_none());
        assert_eq!(
            msgs(&ctx),
            [
                "VRRP parsed invalid IP 192.168.100./24. skipping IP...",
                "VRRP is trying to assign a broadcast brd to the IPv6 address fe80::1/64 !!?? WTF... skipping VIP...",
                "Cannot specify ipaddress device more than once for 10.0.0.1",
                "Address label abcdefghijklmnopq is longer than maximum length 15 - removing address",
            ]
        );

        // track_group is for static addresses only.
        let mut ctx = Ctx::default();
        let a = parse_address(&stmt("10.0.0.1 track_group G"), Origin::Static, &mut ctx);
        assert_eq!(a.and_then(|a| a.track_group).map(|g| g.value), Some("G".to_owned()));
        assert!(ctx.diags.is_empty());
        let _ = parse_address(&stmt("10.0.0.1 track_group G"), Origin::Virtual, &mut ctx);
        assert_eq!(ctx.diags.len(), 2);
    }

    #[test]
    fn routes() {
        let mut ctx = Ctx::default();
        let r = parse_route(
            &stmt("src 192.168.100.1 192.168.109.0/24 via 192.168.200.254 dev eth1"),
            Origin::Virtual,
            &mut ctx,
        )
        .expect("valid route");
        assert_eq!(r.to_string(), "192.168.109.0/24 src 192.168.100.1 via 192.168.200.254 dev eth1");
        assert!(ctx.diags.is_empty());

        let r =
            parse_route(&stmt("192.168.113.0/24 via 192.168.100.252 or 192.168.100.253"), Origin::Virtual, &mut ctx)
                .expect("valid route");
        assert_eq!(r.nexthops.len(), 2);
        let r = parse_route(&stmt("blackhole 192.168.113.1/32"), Origin::Virtual, &mut ctx).expect("valid");
        assert_eq!(r.kind, RouteType::Blackhole);
        let r = parse_route(&stmt("0.0.0.0/0 gw 192.168.0.1 table 100"), Origin::Virtual, &mut ctx).expect("valid");
        assert_eq!(r.table, Some(NumOrName::Num(100)));
        assert_eq!(
            msgs(&ctx),
            [
                "\"or\" for routes is deprecated. Please use \"nexthop\"",
                "Warning - cannot track route 192.168.113.0/24 with no interface specified, not tracking",
                "Warning - cannot track route 192.168.113.1/32 with no interface specified, not tracking",
                "\"gw\" for routes is deprecated. Please use \"via\"",
                "Warning - cannot track route 0.0.0.0/0 with no interface specified, not tracking",
            ]
        );

        // Static routes are not tracked, so no warning without dev.
        let mut ctx = Ctx::default();
        let r = parse_route(
            &stmt("192.168.100.0/24 table 6909 nexthop via 192.168.101.1 dev wlan0 onlink weight 1 nexthop via 192.168.101.2 dev wlan0 onlink weight 2"),
            Origin::Static,
            &mut ctx,
        )
        .expect("valid");
        assert_eq!(r.nexthops.len(), 2);
        let r = parse_route(
            &stmt("2001:470:69e9:1:2::4 dev p33p1.2 table 6909 tos 0x04 protocol bird scope link priority 12 mtu 1000 hoplimit 100 advmss 101 rtt 102 rttvar 103 reordering 104 window 105 cwnd 106 ssthresh lock 107 rto_min 108 initcwnd 109 append initrwnd 110 features ecn fastopen_no_cookie 1"),
            Origin::Static,
            &mut ctx,
        )
        .expect("valid");
        assert_eq!(r.mode, RouteMode::Append);
        assert_eq!(r.metrics.len(), 13);
        assert!(r.metrics.iter().any(|m| m.kind == MetricKind::Ssthresh && m.lock && m.value == 107));
        assert!(ctx.diags.is_empty(), "{:?}", msgs(&ctx));

        let mut ctx = Ctx::default();
        assert!(parse_route(&stmt("10.0.0.0/8 dev eth0 bogus 3"), Origin::Virtual, &mut ctx).is_none());
        assert!(parse_route(&stmt("10.0.0.0/8 dev eth0 metric"), Origin::Virtual, &mut ctx).is_none());
        assert!(parse_route(&stmt("10.0.0.0/8 dev eth0 via inet6 fe80::1"), Origin::Virtual, &mut ctx).is_none());
        assert!(parse_route(&stmt("10.0.0.0/8 dev eth0 scope bogus"), Origin::Virtual, &mut ctx).is_none());
        assert!(parse_route(&stmt("10.0.0.0/8 dev eth0 realms PQA/0x14"), Origin::Virtual, &mut ctx).is_none());
        let r = parse_route(&stmt("10.0.0.0/8 dev eth0 protocol bird"), Origin::Virtual, &mut ctx).expect("valid");
        assert_eq!(r.protocol, Some(NumOrName::Num(RTPROT_KEEPALIVED)));
        assert_eq!(
            msgs(&ctx),
            [
                "VRRP parsed invalid IP bogus. skipping IP...",
                "unknown route keyword bogus",
                "*** Configuration line starting `10.0.0.0/8` is missing a parameter after keyword `metric` at word position 5",
                "Cannot mix IPv4 and IPv6 addresses for route",
                "Scope bogus not found or invalid for route",
                "Invalid realms PQA/0x14 for route",
                "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
            ]
        );
    }

    #[test]
    fn rules() {
        let mut ctx = Ctx::default();
        let r = parse_rule(&stmt("from 192.168.100.0/24 table 1"), Origin::Static, &mut ctx).expect("valid");
        assert_eq!(r.priority, 16384);
        assert!(parse_rule(&stmt("to 192.168.100./24 table 1"), Origin::Static, &mut ctx).is_none());
        let r = parse_rule(&stmt("from 192.168.200.0/24 table 2"), Origin::Virtual, &mut ctx).expect("valid");
        assert_eq!(r.priority, 16383);
        assert!(parse_rule(&stmt("from 1.2.3.5 goto 7 preference 9"), Origin::Virtual, &mut ctx).is_none());
        assert!(parse_rule(&stmt("from 1.2.3.5 pref 9"), Origin::Virtual, &mut ctx).is_none());
        assert_eq!(
            msgs(&ctx),
            [
                "Rule has no preference specified - setting to 16384. This is probably not what you want.",
                "VRRP parsed invalid IP 192.168.100./24. skipping IP...",
                "Invalid rule to address 192.168.100./24",
                "Rule has no preference specified - setting to 16383. This is probably not what you want.",
                "Invalid rule - preference 9 >= goto target 7",
                "Unknown rule option pref",
            ]
        );
        let mut ctx = Ctx::default();
        let r = parse_rule(
            &stmt("to 1:2:3:4:6:6:7:0/112 from 8:6:5:4:3:2::/96 l3mdev protocol 12 ip_proto UDP sport 10-20 dport 20-30 preference 5"),
            Origin::Static,
            &mut ctx,
        )
        .expect("valid");
        assert!(r.ipv6 && r.l3mdev);
        assert_eq!(r.sport, Some((10, 20)));
        let r = parse_rule(
            &stmt("from 192.168.28.0/24 to 192.168.29.0/26 table 100 iif p33p1 oif wlan0 tos 22 fwmark 24/12 preference 39 realms 30/20 goto 40"),
            Origin::Static,
            &mut ctx,
        )
        .expect("valid");
        assert_eq!(r.action, RuleAction::Goto(40));
        assert_eq!(r.fwmark, Some((24, Some(12))));
        assert!(ctx.diags.is_empty(), "{:?}", msgs(&ctx));
    }
}
