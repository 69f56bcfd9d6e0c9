//! `vrrp_instance NAME { ... }` and the tracker lists shared with sync groups.

use std::net::IpAddr;

use crate::config::ast::Stmt;
use crate::config::build::ipcfg::{parse_address, parse_route, parse_rule};
use crate::config::build::{Ctx, Keyword, Spanned};
use crate::config::error::{Class, Severity};
use crate::config::model::Config;
use crate::config::model::ipcfg::Origin;
use crate::config::model::vrrp::{
    AntiReplay, Auth, AuthHmac, HmacKey, HmacMode, InitialState, Reverse, Tracked, UnicastPeer, UseIpvlan, UseVmac,
    VrrpInstance,
};

use super::globals::garp_extra_if;
use super::{bool_with, read_decimal, read_int, value};

/// An instance being built, with the names of the trackers defined so far
/// (upstream resolves track_* references while parsing, so a tracker must be
/// defined before the instances that use it).
pub(crate) struct InstanceBuild {
    pub inst: VrrpInstance,
    scripts: Vec<String>,
    files: Vec<String>,
    processes: Vec<String>,
    bfds: Vec<String>,
    /// Whether the instance's family was set by a VIP (the first VIP decides).
    family: Option<bool>,
    auth_type: Option<AuthType>,
    auth_pass: Option<Vec<u8>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AuthType {
    Pass,
    Ah,
}

/// What a tracker list refers to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrackKind {
    Interface,
    Script,
    File,
    Process,
    Bfd,
}

impl TrackKind {
    fn what(self) -> &'static str {
        match self {
            TrackKind::Interface => "interface",
            TrackKind::Script => "script",
            TrackKind::File => "file",
            TrackKind::Process => "process",
            TrackKind::Bfd => "bfd",
        }
    }

    /// The list keyword, as upstream names it in messages.
    fn keyword(self) -> &'static str {
        match self {
            TrackKind::Interface => "track_interface",
            TrackKind::Script => "track_script",
            TrackKind::File => "track_file",
            TrackKind::Process => "track_process",
            TrackKind::Bfd => "track_bfd",
        }
    }
}

/// Parses a tracker list (`NAME [weight N] [reverse|noreverse]` per line).
/// With `known`, names not in it are reported and skipped before their
/// options are read, as upstream does. Upstream rejects duplicates in an
/// instance's lists (`check_duplicates`), not in a sync group's.
pub(crate) fn tracked_list(
    ctx: &mut Ctx,
    owner: &str,
    st: &Stmt,
    kind: TrackKind,
    known: Option<&[String]>,
    check_duplicates: bool,
    out: &mut Vec<Tracked>,
) {
    if !st.args.is_empty() {
        ctx.error(st.span(), format!("Block {} has extra parameters {} ...", st.keyword.text, st.rest()));
    }
    for line in st.children() {
        let name = &line.keyword;
        if known.is_some_and(|k| !k.contains(&name.text)) {
            ctx.error(name.span, format!("({owner}) track {} {} not found, ignoring...", kind.what(), name.text));
            continue;
        }
        if check_duplicates && out.iter().any(|t| t.name.value == name.text) {
            ctx.error(name.span, format!("({owner}) duplicate {} {} - ignoring", kind.keyword(), name.text));
            continue;
        }
        let mut t =
            Tracked { name: Spanned::new(name.text.clone(), name.span), weight: None, reverse: Reverse::Default };
        let mut args = line.args.iter();
        let mut after_weight = false;
        while let Some(w) = args.next() {
            match w.text.as_str() {
                "weight" => {
                    let Some(v) = args.next() else {
                        ctx.error(w.span, format!("({owner}) weight without value specified for {}", name.text));
                        break;
                    };
                    t.weight = weight(ctx, owner, kind, &name.text, v);
                    after_weight = true;
                }
                "reverse" => t.reverse = Reverse::Reverse,
                "noreverse" if kind != TrackKind::Interface => t.reverse = Reverse::NoReverse,
                // Upstream's wording (and spelling) differ before and after the weight.
                other if kind == TrackKind::Interface && after_weight => ctx.error(
                    w.span,
                    format!("({owner}) unknown track_interace {} weight option {other} - ignoring", name.text),
                ),
                other if kind == TrackKind::Interface => ctx.error(
                    w.span,
                    format!("({owner}) unknown track_interface {} option {other} - ignoring", name.text),
                ),
                other => {
                    ctx.error(w.span, format!("({owner}) unknown track {} option {other} - ignoring", kind.what()));
                }
            }
        }
        out.push(t);
    }
}

/// A tracker's weight, with upstream's per-kind messages.
fn weight(ctx: &mut Ctx, owner: &str, kind: TrackKind, name: &str, v: &crate::config::ast::Word) -> Option<i32> {
    // Upstream reads every weight against [-254, 254] first.
    let n = read_int(ctx, v, -254, 254);
    let msg = match (kind, n) {
        (TrackKind::File | TrackKind::Process, Some(n)) => return Some(n as i32),
        (TrackKind::Script | TrackKind::Bfd, Some(n)) if n.abs() == 254 => {
            ctx.error(v.span, format!("({owner}) weight for {name} cannot be +/-254. Setting to +/-253"));
            return Some(if n < 0 { -253 } else { 253 });
        }
        (_, Some(n)) if n.abs() <= 253 => return Some(n as i32),
        (TrackKind::Interface, _) => {
            format!("({owner}) weight {} for {name} must be between [-253..253] inclusive. Ignoring...", v.text)
        }
        (TrackKind::Script | TrackKind::Bfd, _) => {
            format!("({owner}) track {} {name}: weight must be between [-253..253] inclusive, ignoring...", kind.what())
        }
        (TrackKind::File | TrackKind::Process, None) => {
            format!("({owner}) weight for track {} {name} must be in [-254..254] inclusive. Ignoring...", kind.what())
        }
    };
    ctx.error(v.span, msg);
    None
}

/// Whether `addr` matches the instance's family; the first address of an
/// instance (VIP, source or peer) decides it.
fn same_family(b: &mut InstanceBuild, addr: &IpAddr) -> bool {
    match b.family {
        None => {
            b.family = Some(addr.is_ipv6());
            true
        }
        Some(v6) => v6 == addr.is_ipv6(),
    }
}

fn name(b: &InstanceBuild) -> &str {
    &b.inst.name
}

/// `unicast_src_ip` / `mcast_src_ip` (upstream keeps one source address).
fn src_ip(ctx: &mut Ctx, b: &mut InstanceBuild, st: &Stmt) -> Option<Spanned<IpAddr>> {
    let w = value(ctx, st)?;
    match w.text.parse::<IpAddr>() {
        Ok(a) if !same_family(b, &a) => {
            ctx.error(
                w.span,
                format!(
                    "Configuration error: VRRP instance[{}] and src address[{}] MUST be of the same family !!! Skipping...",
                    name(b),
                    w.text
                ),
            );
            None
        }
        Ok(a) => Some(Spanned::new(a, w.span)),
        Err(_) => {
            ctx.error(
                w.span,
                format!(
                    "Configuration error: VRRP instance[{}] malformed src address[{}]. Skipping...",
                    name(b),
                    w.text
                ),
            );
            None
        }
    }
}

fn garp_u32(ctx: &mut Ctx, b: &InstanceBuild, st: &Stmt) -> Option<u32> {
    let w = value(ctx, st)?;
    let Some(n) = read_int(ctx, w, 0, i64::from(u32::MAX)) else {
        let msg = match st.keyword.text.as_str() {
            "garp_master_repeat" => format!("({}): garp_master_repeat '{}' invalid - ignoring", name(b), w.text),
            kw => format!("({}): Invalid {kw} '{}'", name(b), w.text),
        };
        ctx.error(w.span, msg);
        return None;
    };
    let n = n as u32;
    if n == 0 && st.keyword.text != "garp_lower_prio_repeat" {
        ctx.error(st.span(), format!("({}): {} must be greater than 0, setting to 1", name(b), st.keyword.text));
        return Some(1);
    }
    Some(n)
}

fn garp_delay(ctx: &mut Ctx, b: &InstanceBuild, st: &Stmt) -> Option<std::time::Duration> {
    let who = format!("({}): ", name(b));
    super::globals::garp_delay(ctx, st, &who)
}

/// An instance <BOOL> option with upstream's message.
fn set_bool(ctx: &mut Ctx, b: &InstanceBuild, st: &Stmt) -> Option<bool> {
    let (n, kw) = (name(b).to_owned(), st.keyword.text.clone());
    bool_with(ctx, st, |v| match kw.as_str() {
        "smtp_alert" => format!("Invalid vrrp_instance smtp_alert parameter {v}"),
        "notify_priority_changes" => format!("({n}) Invalid value '{v}' for notify_priority_changes specified"),
        _ => format!("({n}) invalid {kw} {v} specified"),
    })
}

const AUTH: &[Keyword<InstanceBuild>] = &[
    Keyword::new("auth_type", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match w.text.as_str() {
            "PASS" => b.auth_type = Some(AuthType::Pass),
            "AH" => b.auth_type = Some(AuthType::Ah),
            t => ctx.error(w.span, format!("({}) unknown authentication type '{t}'", name(b))),
        }
    }),
    Keyword::new("auth_pass", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        let mut p = w.text.as_bytes().to_vec();
        // RFC 2338 section 5.3.10: the password field is 8 octets.
        if p.len() > 8 {
            ctx.warn(w.span, "Truncating auth_pass to 8 characters");
            p.truncate(8);
        }
        b.auth_pass = Some(p);
    }),
];

/// Reads a key value: `hex:...`, `file:PATH` or an ASCII string.
fn hmac_key_bytes(text: &str) -> Result<Vec<u8>, String> {
    if let Some(h) = text.strip_prefix("hex:") {
        if h.len() % 2 != 0 {
            return Err("odd number of hex digits".into());
        }
        let mut out = Vec::with_capacity(h.len() / 2);
        let bytes = h.as_bytes();
        for pair in bytes.chunks(2) {
            let s = std::str::from_utf8(pair).map_err(|_| "invalid hex".to_string())?;
            out.push(u8::from_str_radix(s, 16).map_err(|_| format!("invalid hex digits '{s}'"))?);
        }
        Ok(out)
    } else if let Some(p) = text.strip_prefix("file:") {
        let data = std::fs::read(p).map_err(|e| format!("cannot read {p}: {}", crate::config::error::io_reason(&e)))?;
        let trimmed = data.strip_suffix(b"\n").unwrap_or(&data);
        Ok(trimmed.to_vec())
    } else {
        Ok(text.as_bytes().to_vec())
    }
}

const AUTH_HMAC: &[Keyword<AuthHmac>] = &[
    Keyword::new("key", |h, st, ctx| {
        let (Some(id), Some(k)) = (st.arg(0), st.arg(1)) else {
            ctx.push(Severity::Error, Class::Missing, st.span(), "auth_hmac key requires an id and a value");
            return;
        };
        let Some(n) = read_int(ctx, id, 1, 255) else { return };
        match hmac_key_bytes(&k.text) {
            Ok(bytes) if (32..=64).contains(&bytes.len()) => {
                if h.keys.iter().any(|o| o.id == n as u8) {
                    ctx.error(id.span, format!("auth_hmac key {n} defined more than once - ignoring"));
                } else {
                    h.keys.push(HmacKey { id: n as u8, key: bytes, span: st.span() });
                }
            }
            Ok(bytes) => ctx.error(
                k.span,
                format!("auth_hmac key {n} is {} bytes long - must be 32 to 64 bytes - ignoring", bytes.len()),
            ),
            Err(e) => ctx.error(k.span, format!("auth_hmac key {n}: {e} - ignoring")),
        }
    }),
    Keyword::new("active_key", |h, st, ctx| {
        if let Some(n) = value(ctx, st).and_then(|w| read_int(ctx, w, 1, 255)) {
            h.active_key = n as u8;
        }
    }),
    Keyword::new("anti_replay", |h, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match w.text.as_str() {
            "time" => h.anti_replay = AntiReplay::Time,
            "monotonic" => h.anti_replay = AntiReplay::Monotonic,
            t => ctx.error(w.span, format!("auth_hmac anti_replay '{t}' invalid - must be time or monotonic")),
        }
    }),
    Keyword::new("time_window", |h, st, ctx| {
        if let Some(n) = value(ctx, st).and_then(|w| read_int(ctx, w, 1, 300)) {
            h.time_window = std::time::Duration::from_secs(n as u64);
        }
    }),
    Keyword::new("mode", |h, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match w.text.as_str() {
            "enforce" => h.mode = HmacMode::Enforce,
            "permissive" => h.mode = HmacMode::Permissive,
            "receive-only" => h.mode = HmacMode::ReceiveOnly,
            t => {
                ctx.error(w.span, format!("auth_hmac mode '{t}' invalid - must be enforce, permissive or receive-only"))
            }
        }
    }),
];

fn vips(b: &mut InstanceBuild, st: &Stmt, ctx: &mut Ctx, excluded: bool) {
    for line in st.children() {
        let Some(a) = parse_address(line, Origin::Virtual, ctx) else { continue };
        if excluded {
            b.inst.evips.push(a);
            continue;
        }
        if !same_family(b, &a.addr) {
            ctx.error(
                line.span(),
                format!("({}): address family must match VRRP instance [{}] - ignoring", name(b), a.text),
            );
            continue;
        }
        b.inst.vips.push(a);
    }
}

fn use_vmac(st: &Stmt) -> UseVmac {
    let mut v = UseVmac::default();
    let mut args = st.args.iter().peekable();
    while let Some(w) = args.next() {
        match w.text.as_str() {
            "name" => v.name = args.next().map(|n| n.text.clone()),
            "netlink_notify_msg" => v.netlink_notify_msg = true,
            "group" => v.group = args.next().map(|n| n.text.clone()),
            t => {
                let octets: Option<Vec<u8>> = t.split(':').map(|o| u8::from_str_radix(o, 16).ok()).collect();
                match octets {
                    Some(o) if t.contains(':') && (o.len() == 5 || o.len() == 6) => v.mac = Some(o),
                    _ => v.name = Some(t.to_owned()),
                }
            }
        }
    }
    v
}

fn use_ipvlan(st: &Stmt) -> UseIpvlan {
    let mut v = UseIpvlan::default();
    let mut args = st.args.iter();
    while let Some(w) = args.next() {
        match w.text.as_str() {
            "name" => v.name = args.next().map(|n| n.text.clone()),
            "group" => v.group = args.next().map(|n| n.text.clone()),
            m @ ("bridge" | "private" | "vepa") => v.mode = Some(m.to_owned()),
            t if t.split('/').next().is_some_and(|a| a.parse::<IpAddr>().is_ok()) => v.addr = Some(t.to_owned()),
            t => v.name = Some(t.to_owned()),
        }
    }
    v
}

const INSTANCE: &[Keyword<InstanceBuild>] = &[
    Keyword::new("state", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match w.text.as_str() {
            "MASTER" => b.inst.state = InitialState::Master,
            "BACKUP" => b.inst.state = InitialState::Backup,
            t => {
                ctx.error(w.span, format!("({}) unknown state '{t}', defaulting to BACKUP", name(b)));
                b.inst.state = InitialState::Backup;
            }
        }
    }),
    Keyword::new("interface", |b, st, ctx| {
        if let Some(w) = value(ctx, st) {
            if w.text == "lo" {
                ctx.error(
                    st.span(),
                    format!("({}) cannot use a loopback interface (lo) for vrrp - ignoring", b.inst.name),
                );
                return;
            }
            b.inst.interface = Some(Spanned::new(w.text.clone(), w.span));
        }
    }),
    Keyword::not_yet("vrf", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        // keepalived 2.2.7 keeps the interface given first.
        if b.inst.interface.is_some() {
            ctx.error(st.span(), format!("({}) Cannot specify VRF interface and interface - ignoring", b.inst.name));
            return;
        }
        b.inst.vrf = Some(w.text.clone());
        b.inst.vrf_span = Some(st.span());
    }),
    Keyword::new("virtual_router_id", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        b.inst.written.vrid_given = true;
        match read_int(ctx, w, 1, 255) {
            Some(n) => b.inst.vrid = n as u8,
            None => ctx.error(w.span, format!("({}): VRID '{}' not valid - must be between 1 & 255", name(b), w.text)),
        }
    }),
    Keyword::new("priority", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 1, 255) {
            Some(n) => {
                b.inst.priority = n as u8;
                b.inst.priority_given = true;
            }
            None => ctx
                .error(w.span, format!("({}) Priority not valid! must be between 1 & 255. Using default 100", name(b))),
        }
    }),
    Keyword::new("advert_int", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_decimal(ctx, w, 0.01, 255.0) {
            Some(d) => b.inst.written.advert_int = Some(d),
            None => ctx
                .error(w.span, format!("({}) Advert interval ({}) not valid! Must be > 0 - ignoring", name(b), w.text)),
        }
    }),
    Keyword::new("version", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match super::read_signed(ctx, w, 2, 3) {
            Some(n) => b.inst.written.version = Some(n as u8),
            None => ctx.error(w.span, format!("({}): Version must be either 2 or 3", name(b))),
        }
    }),
    Keyword::new("authentication", |b, st, ctx| ctx.apply(b, st.children(), AUTH)),
    Keyword::new("auth_hmac", |b, st, ctx| {
        let mut h = AuthHmac {
            keys: Vec::new(),
            active_key: 0,
            anti_replay: AntiReplay::Time,
            time_window: std::time::Duration::ZERO,
            mode: HmacMode::Enforce,
            span: st.span(),
        };
        ctx.apply(&mut h, st.children(), AUTH_HMAC);
        b.inst.auth_hmac = Some(h);
    }),
    Keyword::new("nopreempt", |b, _, _| b.inst.nopreempt = true),
    Keyword::new("preempt", |b, _, _| b.inst.nopreempt = false),
    Keyword::new("preempt_delay", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_decimal(ctx, w, 0.0, 1000.0) {
            Some(d) => b.inst.preempt_delay = d,
            None => ctx.error(w.span, format!("({}) Preempt_delay not valid! must be between 0-1000", name(b))),
        }
    }),
    Keyword::new("accept", |b, _, _| b.inst.written.accept = Some(true)),
    Keyword::new("no_accept", |b, _, _| b.inst.written.accept = Some(false)),
    Keyword::new("strict_mode", |b, st, ctx| b.inst.written.strict = set_bool(ctx, b, st)),
    Keyword::new("virtual_ipaddress", |b, st, ctx| vips(b, st, ctx, false)),
    Keyword::new("virtual_ipaddress_excluded", |b, st, ctx| vips(b, st, ctx, true)),
    Keyword::new("no_virtual_ipaddress", |b, _, _| b.inst.no_virtual_ipaddress = true),
    Keyword::new("virtual_routes", |b, st, ctx| {
        for line in st.children() {
            if let Some(r) = parse_route(line, Origin::Virtual, ctx) {
                b.inst.routes.push(r);
            }
        }
    }),
    Keyword::new("virtual_rules", |b, st, ctx| {
        for line in st.children() {
            if let Some(r) = parse_rule(line, Origin::Virtual, ctx) {
                b.inst.rules.push(r);
            }
        }
    }),
    Keyword::new("unicast_src_ip", |b, st, ctx| {
        b.inst.written.unicast_keyword = true;
        b.inst.unicast_src_ip = src_ip(ctx, b, st)
    }),
    Keyword::new("unicast_peer", |b, st, ctx| {
        b.inst.written.unicast_keyword = true;
        for line in st.children() {
            let Ok(addr) = line.keyword.text.parse::<IpAddr>() else {
                ctx.error(
                    line.span(),
                    format!(
                        "Configuration error: VRRP instance[{}] malformed unicast peer address[{}]. Skipping...",
                        name(b),
                        line.keyword.text
                    ),
                );
                continue;
            };
            if !same_family(b, &addr) {
                ctx.error(
                    line.span(),
                    format!(
                        "Configuration error: VRRP instance[{}] and unicast peer address[{}] MUST be of the same family !!! Skipping...",
                        name(b),
                        line.keyword.text
                    ),
                );
                continue;
            }
            let mut p = UnicastPeer { addr, min_ttl: None, max_ttl: None, span: line.span() };
            // Options come in pairs: a name and its value.
            let mut args = line.args.iter();
            while let Some(k) = args.next() {
                let Some(v) = args.next() else {
                    ctx.error(k.span, format!("({}) {} is missing a value", name(b), k.text));
                    break;
                };
                match k.text.as_str() {
                    "min_ttl" => p.min_ttl = read_int(ctx, v, 0, 255).map(|n| n as u8).or(p.min_ttl),
                    "max_ttl" => p.max_ttl = read_int(ctx, v, 0, 255).map(|n| n as u8).or(p.max_ttl),
                    t => ctx.error(k.span, format!("({}) unknown unicast_peer option {t}", name(b))),
                }
            }
            if let (Some(min), Some(max)) = (p.min_ttl, p.max_ttl) {
                if min > max {
                    ctx.error(
                        line.span(),
                        format!("({}) min_ttl {min} > max_ttl {max} - all packets will be discarded", name(b)),
                    );
                }
            }
            if p.min_ttl.is_some() || p.max_ttl.is_some() {
                b.inst.written.check_unicast_src = true;
            }
            b.inst.unicast_peers.push(p);
        }
    }),
    Keyword::new("unicast_ttl", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 0, 255) {
            Some(n) => {
                b.inst.unicast_ttl = Some(n as u8);
                b.inst.written.unicast_keyword = true;
            }
            None => ctx.error(w.span, format!("({}): TTL '{}' not valid - must be between 0 & 255", name(b), w.text)),
        }
    }),
    Keyword::new("unicast_fault_no_peer", |b, _, _| b.inst.unicast_fault_no_peer = true),
    Keyword::new("check_unicast_src", |b, _, _| b.inst.written.check_unicast_src = true),
    Keyword::new("mcast_src_ip", |b, st, ctx| b.inst.mcast_src_ip = src_ip(ctx, b, st)),
    Keyword::new("mcast_dst_ip", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        let Ok(a) = w.text.parse::<IpAddr>() else {
            ctx.error(w.span, format!("({}) mcast_dst_ip {} is invalid - ignoring", name(b), w.text));
            return;
        };
        // Upstream sets the instance's family from the address before checking it.
        if !same_family(b, &a) {
            ctx.error(
                w.span,
                format!("({}) mcast dest address {} MUST match VRRP instance family. Skipping...", name(b), w.text),
            );
            return;
        }
        match a {
            // VRRP adverts stay on the link (RFC 5798 section 5.1.2.2).
            IpAddr::V6(v6) if !(v6.is_multicast() && v6.segments().first().is_some_and(|s| s & 0x000f == 2)) => ctx
                .error(w.span, format!("({}) mcast_dst_ip {} not link-local multicast. Skipping...", name(b), w.text)),
            IpAddr::V4(v4) if !v4.is_multicast() => {
                ctx.error(w.span, format!("({}) mcast_dst_ip {} not multicast. Skipping...", name(b), w.text))
            }
            _ => b.inst.written.mcast_dst_ip = Some(a),
        }
    }),
    Keyword::new("track_src_ip", |b, _, _| b.inst.track_src_ip = true),
    Keyword::new("garp_master_delay", |b, st, ctx| b.inst.written.garp_master_delay = garp_delay(ctx, b, st)),
    Keyword::new("garp_master_repeat", |b, st, ctx| b.inst.written.garp_master_repeat = garp_u32(ctx, b, st)),
    Keyword::new("garp_lower_prio_delay", |b, st, ctx| b.inst.written.garp_lower_prio_delay = garp_delay(ctx, b, st)),
    Keyword::new("garp_lower_prio_repeat", |b, st, ctx| b.inst.written.garp_lower_prio_repeat = garp_u32(ctx, b, st)),
    Keyword::new("garp_master_refresh", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 0, i64::from(u32::MAX)) {
            Some(n) => b.inst.written.garp_master_refresh = Some(std::time::Duration::from_secs(n as u64)),
            None => ctx.error(w.span, format!("({}): Invalid garp_master_refresh '{}' - ignoring", name(b), w.text)),
        }
    }),
    Keyword::new("garp_master_refresh_repeat", |b, st, ctx| {
        b.inst.written.garp_master_refresh_repeat = garp_u32(ctx, b, st)
    }),
    Keyword::new("garp_extra_if", |b, st, ctx| {
        let who = format!("({}): ", name(b));
        if let Some(v) = garp_extra_if(ctx, st, &who) {
            b.inst.written.garp_extra_if = v;
        }
    }),
    Keyword::new("down_timer_adverts", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 1, 100) {
            Some(n) => b.inst.written.down_timer_adverts = Some(n as u32),
            None => ctx.error(w.span, format!("({}): Invalid down_timer_adverts [1:100] '{}'", name(b), w.text)),
        }
    }),
    Keyword::new("timer_expired_backup", |b, st, ctx| {
        b.inst.timer_expired_backup = match st.arg(0) {
            None => Some(254),
            Some(w) => read_int(ctx, w, 1, 254).map(|n| n as u8),
        }
    }),
    Keyword::new("lower_prio_no_advert", |b, st, ctx| b.inst.written.lower_prio_no_advert = set_bool(ctx, b, st)),
    Keyword::new("higher_prio_send_advert", |b, st, ctx| b.inst.written.higher_prio_send_advert = set_bool(ctx, b, st)),
    Keyword::new("skip_check_adv_addr", |b, st, ctx| b.inst.written.skip_check_adv_addr = set_bool(ctx, b, st)),
    Keyword::new("v3_checksum_as_v2", |b, st, ctx| b.inst.written.v3_checksum_as_v2 = set_bool(ctx, b, st)),
    Keyword::new("old_unicast_checksum", |b, st, ctx| match st.arg(0) {
        None => b.inst.old_unicast_checksum = Some(true),
        Some(w) if w.text == "never" => b.inst.old_unicast_checksum = Some(false),
        Some(w) => ctx.error(w.span, format!("({}) Unknown old_unicast_chksum mode {} - ignoring", name(b), w.text)),
    }),
    Keyword::new("use_vmac", |b, st, _| {
        b.inst.use_vmac = Some(use_vmac(st));
        b.inst.use_vmac_span = Some(st.span());
    }),
    Keyword::new("use_vmac_addr", |b, _, _| b.inst.use_vmac_addr = true),
    Keyword::new("vmac_xmit_base", |b, _, _| b.inst.vmac_xmit_base = true),
    Keyword::new("use_ipvlan", |b, st, _| b.inst.use_ipvlan = Some(use_ipvlan(st))),
    // Deprecated by the man page but silent upstream: it makes the instance IPv6.
    Keyword::new("native_ipv6", |b, _, _| {
        b.inst.native_ipv6 = true;
        if b.family.is_none() {
            b.family = Some(true);
        }
    }),
    Keyword::new("dont_track_primary", |b, _, _| b.inst.dont_track_primary = true),
    Keyword::new("track_interface", |b, st, ctx| {
        let owner = b.inst.name.clone();
        tracked_list(ctx, &owner, st, TrackKind::Interface, None, true, &mut b.inst.tracking.interfaces)
    }),
    Keyword::new("track_script", |b, st, ctx| {
        let owner = b.inst.name.clone();
        tracked_list(ctx, &owner, st, TrackKind::Script, Some(&b.scripts), true, &mut b.inst.tracking.scripts);
    }),
    Keyword::new("track_file", |b, st, ctx| {
        let owner = b.inst.name.clone();
        tracked_list(ctx, &owner, st, TrackKind::File, Some(&b.files), true, &mut b.inst.tracking.files);
    }),
    Keyword::new("track_process", |b, st, ctx| {
        let owner = b.inst.name.clone();
        tracked_list(ctx, &owner, st, TrackKind::Process, Some(&b.processes), true, &mut b.inst.tracking.processes);
    }),
    Keyword::not_yet("track_bfd", |b, st, ctx| {
        let owner = b.inst.name.clone();
        tracked_list(ctx, &owner, st, TrackKind::Bfd, Some(&b.bfds), true, &mut b.inst.tracking.bfds)
    }),
    Keyword::new("notify_master", |b, st, ctx| b.inst.notify.master = ctx.script_with_user(st)),
    Keyword::new("notify_backup", |b, st, ctx| b.inst.notify.backup = ctx.script_with_user(st)),
    Keyword::new("notify_fault", |b, st, ctx| b.inst.notify.fault = ctx.script_with_user(st)),
    Keyword::new("notify_stop", |b, st, ctx| b.inst.notify.stop = ctx.script_with_user(st)),
    Keyword::new("notify_deleted", |b, st, ctx| {
        b.inst.notify.deleted = Some(if st.args.is_empty() { None } else { ctx.script_with_user(st) })
    }),
    Keyword::new("notify", |b, st, ctx| b.inst.notify.any = ctx.script_with_user(st)),
    Keyword::new("notify_master_rx_lower_pri", |b, st, ctx| {
        b.inst.notify.master_rx_lower_pri = ctx.script_with_user(st)
    }),
    Keyword::new("notify_priority_changes", |b, st, ctx| b.inst.notify.priority_changes = set_bool(ctx, b, st)),
    Keyword::not_yet("smtp_alert", |b, st, ctx| b.inst.notify.smtp_alert = set_bool(ctx, b, st)),
    Keyword::new("promote_secondaries", |b, _, _| b.inst.promote_secondaries = true),
    Keyword::new("kernel_rx_buf_size", |b, st, ctx| {
        b.inst.kernel_rx_buf_size =
            value(ctx, st).and_then(|w| read_int(ctx, w, 0, i64::from(u32::MAX))).map(|n| n as u32)
    }),
    Keyword::new("linkbeat_use_polling", |b, st, ctx| {
        b.inst.linkbeat_use_polling = true;
        ctx.push(
            Severity::Warning,
            Class::Deprecated,
            st.span(),
            format!("({}) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block", name(b)),
        );
    }),
    Keyword::new("debug", |b, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 0, 4) {
            Some(n) => b.inst.debug = Some(n as u8),
            None => ctx.error(w.span, format!("({}) Debug value '{}' not valid; must be between 0-4", name(b), w.text)),
        }
    }),
    Keyword::new("lvs_sync_daemon_interface", |b, st, ctx| {
        let n = name(b).to_owned();
        ctx.push(
            Severity::Warning,
            Class::Deprecated,
            st.span(),
            format!("({n}) Specifying lvs_sync_daemon_interface against a vrrp is deprecated."),
        );
        ctx.push(Severity::Warning, Class::Deprecated, st.span(), "        Please use global lvs_sync_daemon");
        b.inst.lvs_sync_daemon_interface = st.arg(0).map(|w| w.text.clone());
    }),
];

/// `vrrp_instance NAME { ... }`.
pub(super) fn vrrp_instance(c: &mut Config, st: &Stmt, ctx: &mut Ctx) {
    let Some(n) = super::block_name(ctx, st) else { return };
    if c.vrrp.instances.iter().any(|i| i.name == n.text) {
        ctx.error(n.span, format!("vrrp instance {} already defined", n.text));
        return;
    }
    let mut b = InstanceBuild {
        inst: VrrpInstance::new(n.text.clone(), st.span()),
        scripts: c.vrrp.scripts.iter().map(|s| s.name.clone()).collect(),
        files: c.vrrp.track_files.iter().map(|s| s.name.clone()).collect(),
        processes: c.vrrp.track_processes.iter().map(|s| s.name.clone()).collect(),
        bfds: c.bfd.instances.iter().map(|i| i.name.value.clone()).collect(),
        family: None,
        auth_type: None,
        auth_pass: None,
    };
    ctx.apply(&mut b, st.children(), INSTANCE);
    b.inst.ipv6 = b.family.unwrap_or(false);
    b.inst.auth = match (b.auth_type, b.auth_pass) {
        (Some(AuthType::Pass), p) => Some(Auth::Pass(p.unwrap_or_default())),
        (Some(AuthType::Ah), p) => Some(Auth::Ah(p.unwrap_or_default())),
        (None, _) => None,
    };
    c.vrrp.instances.push(b.inst);
}
