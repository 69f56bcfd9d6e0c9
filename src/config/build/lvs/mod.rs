//! Keyword tables and handlers for the lvs part of the configuration:
//! `virtual_server_group`, `virtual_server`, `real_server`, the checkers, the
//! `SSL` block and the LVS/checker keywords of global_defs.
//!
//! Messages use upstream keepalived's wording. Values a handler rejects leave
//! the model's default in place, as upstream does.

mod check;
mod dump;
mod global;
mod validate;
mod value;

use std::net::{IpAddr, SocketAddr};

use crate::config::ast::{Stmt, Word};
use crate::config::model::Config;
use crate::config::model::lvs::{
    CheckDefaults, Family, Forwarding, Granularity, OptTimer, Protocol, RealServer, Scheduler, SslConfig, Tunnel,
    TunnelCsum, TunnelKind, VirtualServer, VirtualServerGroup, VsKey, VsgFwmark, VsgRange,
};

use super::{Ctx, Keyword};
use crate::config::error::{Class, Severity};
pub use dump::dump;
pub use global::GLOBAL_DEFS;
pub use validate::{check_references, validate};
use value::{num, timer};

/// Top-level keywords handled here.
pub const TOP: &[Keyword<Config>] = &[
    Keyword::new("virtual_server", virtual_server),
    Keyword::new("virtual_server_group", virtual_server_group),
    Keyword::new("SSL", ssl),
];

// ---------------------------------------------------------------- SSL

const SSL: &[Keyword<SslConfig>] = &[
    Keyword::new("password", |c, s, ctx| ssl_value(&mut c.password, s, ctx, "password")),
    Keyword::new("ca", |c, s, ctx| ssl_value(&mut c.ca, s, ctx, "cafile")),
    Keyword::new("certificate", |c, s, ctx| ssl_value(&mut c.certificate, s, ctx, "certfile")),
    Keyword::new("key", |c, s, ctx| ssl_value(&mut c.key, s, ctx, "keyfile")),
];

fn ssl(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    if c.lvs.ssl.is_some() {
        ctx.warn(s.span(), "SSL context already specified - replacing");
    }
    let mut ssl = SslConfig { span: s.span(), ..SslConfig::default() };
    ctx.apply(&mut ssl, s.children(), SSL);
    c.lvs.ssl = Some(ssl);
}

fn ssl_value(slot: &mut Option<String>, s: &Stmt, ctx: &mut Ctx, what: &str) {
    let Some(w) = ctx.arg(s, 0) else { return };
    if slot.is_some() {
        ctx.warn(s.span(), format!("SSL {what} already specified - replacing"));
    }
    *slot = Some(w.text.clone());
}

// ---------------------------------------------------------------- virtual_server_group

fn virtual_server_group(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    let Some(name) = ctx.arg(s, 0) else { return };
    let mut g = VirtualServerGroup { name: name.text.clone(), ranges: Vec::new(), fwmarks: Vec::new(), span: s.span() };
    for e in s.children() {
        vsg_entry(&mut g, e, ctx);
    }
    if g.ranges.is_empty() && g.fwmarks.is_empty() {
        ctx.error(s.span(), format!("virtual server group {} has no entries - removing", g.name));
        return;
    }
    if g.has_ipv4() && g.has_ipv6() && g.fwmarks.iter().any(|f| f.family.is_none()) {
        ctx.error(
            s.span(),
            format!("virtual server group {} cannot have IPv4, IPv6 and fwmark without family - removing", g.name),
        );
        return;
    }
    c.lvs.groups.push(g);
}

fn vsg_entry(g: &mut VirtualServerGroup, e: &Stmt, ctx: &mut Ctx) {
    let first = &e.keyword;
    if first.text == "fwmark" {
        let Some(w) = ctx.arg(e, 0) else { return };
        let Some(m) = num(ctx, w, 0, u32::MAX as i64) else {
            ctx.error(w.span, format!("virtual server group fwmark '{}' invalid - skipping", w.text));
            return;
        };
        let family = match e.arg(1).map(|w| w.text.as_str()) {
            None => None,
            Some("inet") => Some(Family::Inet),
            Some("inet6") => Some(Family::Inet6),
            Some(x) => {
                ctx.error(e.args_span(), format!("Unknown fwmark address family {x} - ignoring"));
                None
            }
        };
        g.fwmarks.push(VsgFwmark { fwmark: m as u32, family, span: e.span() });
        return;
    }
    let port = match e.arg(0) {
        None => 0,
        Some(w) => match value::port(&w.text) {
            Some(p) => p,
            None => {
                ctx.error(w.span, format!("Invalid virtual server group port {} - skipping", w.text));
                return;
            }
        },
    };
    match value::ip_range(&first.text) {
        Ok((a, b)) => g.ranges.push(VsgRange { first: a, last: b, port, span: e.span() }),
        Err(value::RangeError::Invalid) => {
            ctx.error(first.span, format!("Invalid virtual server group IP address {}  - skipping", first.text))
        }
        Err(value::RangeError::EndTooLarge(end)) => {
            ctx.error(first.span, format!("Virtual server group range '{}' end '{}' too large", first.text, end))
        }
        Err(value::RangeError::EndBeforeStart) => {
            ctx.error(first.span, format!("Virtual server group range '{}' end is before start - skipping", first.text))
        }
    }
}

// ---------------------------------------------------------------- virtual_server

/// Why BFD_CHECK does nothing yet (one note).
const BFD_WHY: &str = "BFD is not implemented yet in keepalived-rs: the checker does not run";

/// Keywords of a virtual_server block.
const VS: &[Keyword<VirtualServer>] = &[
    Keyword::new("lvs_sched", vs_sched),
    Keyword::new("lb_algo", vs_sched),
    Keyword::new("flag-1", |v, _, _| v.flags.flag1 = true),
    Keyword::new("flag-2", |v, _, _| v.flags.flag2 = true),
    Keyword::new("flag-3", |v, _, _| v.flags.flag3 = true),
    Keyword::new("sh-port", |v, s, ctx| sched_flag(v, s, ctx, Scheduler::Sh, true)),
    Keyword::new("sh-fallback", |v, s, ctx| sched_flag(v, s, ctx, Scheduler::Sh, false)),
    Keyword::new("mh-port", |v, s, ctx| sched_flag(v, s, ctx, Scheduler::Mh, true)),
    Keyword::new("mh-fallback", |v, s, ctx| sched_flag(v, s, ctx, Scheduler::Mh, false)),
    Keyword::new("ops", |v, _, _| v.flags.ops = true),
    Keyword::new("hashed", |v, _, _| v.flags.hashed = true),
    Keyword::new("lvs_method", |v, s, ctx| {
        if let Some(f) = forwarding(s, ctx, "virtual server") {
            v.forwarding = Some(f);
        }
    }),
    Keyword::new("lb_kind", |v, s, ctx| {
        if let Some(f) = forwarding(s, ctx, "virtual server") {
            v.forwarding = Some(f);
        }
    }),
    Keyword::new("persistence_engine", |v, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            v.persistence.engine = Some(w.text.clone());
        }
    }),
    Keyword::new("persistence_timeout", vs_persistence_timeout),
    Keyword::new("persistence_granularity", vs_persistence_granularity),
    Keyword::new("protocol", vs_protocol),
    Keyword::new("ha_suspend", |v, _, _| v.ha_suspend = true),
    Keyword::not_yet_once(
        "smtp_alert",
        |v, s, ctx| {
            if let Some(b) = bool_arg(s, ctx, "virtual_server smtp_alert parameter") {
                v.smtp_alert = Some(b);
            }
        },
        "",
    ),
    Keyword::new("virtualhost", |v, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            v.virtualhost = Some(w.text.clone());
        }
    }),
    Keyword::not_yet_once(
        "snmp_name",
        |v, s, ctx| {
            if let Some(w) = ctx.arg(s, 0) {
                v.snmp_name = Some(w.text.clone());
            }
        },
        "",
    ),
    Keyword::new("alpha", |v, s, ctx| timing_alpha(&mut v.check, s, ctx)),
    Keyword::new("omega", |v, _, _| v.omega = true),
    Keyword::new("quorum", vs_quorum),
    Keyword::new("hysteresis", |v, s, ctx| {
        if let Some(w) = ctx.arg(s, 0)
            && let Some(h) = num(ctx, w, 0, u32::MAX as i64)
        {
            v.hysteresis = h as u32;
        }
    }),
    Keyword::new("quorum_up", |v, s, ctx| vs_script(&mut v.quorum_up, s, ctx)),
    Keyword::new("quorum_down", |v, s, ctx| vs_script(&mut v.quorum_down, s, ctx)),
    Keyword::new("ip_family", vs_ip_family),
    Keyword::new("sorry_server", vs_sorry_server),
    Keyword::new("sorry_server_inhibit", |v, s, ctx| match &mut v.sorry_server {
        Some(rs) => rs.extra_mut().inhibit = true,
        None => ctx.error(s.span(), "Ignoring sorry_server inhibit used before or without sorry_server"),
    }),
    Keyword::new("sorry_server_lvs_method", |v, s, ctx| {
        let f = forwarding(s, ctx, "real server");
        match &mut v.sorry_server {
            Some(rs) => rs.forwarding = f.or(rs.forwarding),
            None => ctx.error(s.span(), "sorry_server forwarding used without sorry_server"),
        }
    }),
    Keyword::new("connect_timeout", |v, s, ctx| timing_connect_timeout(&mut v.check, s, ctx)),
    Keyword::new("retry", |v, s, ctx| timing_retry(&mut v.check, s, ctx, 1)),
    Keyword::new("delay_before_retry", |v, s, ctx| timing_delay_before_retry(&mut v.check, s, ctx)),
    Keyword::new("warmup", |v, s, ctx| timing_warmup(&mut v.check, s, ctx)),
    Keyword::new("delay_loop", |v, s, ctx| timing_delay_loop(&mut v.check, s, ctx, "virtual server")),
    Keyword::new("inhibit_on_failure", |v, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "inhibit_on_failure parameter") {
            v.check.inhibit_on_failure = Some(b);
        }
    }),
    Keyword::new("real_server", vs_real_server),
];

fn virtual_server(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    let Some(first) = ctx.arg(s, 0) else { return };
    let key = match first.text.as_str() {
        "fwmark" => {
            let Some(w) = ctx.arg(s, 1) else { return };
            // Upstream accepts 0 and then mistakes the service for an address; 0 marks nothing.
            match num(ctx, w, 1, u32::MAX as i64) {
                Some(m) => VsKey::Fwmark(m as u32),
                None => {
                    ctx.error(
                        w.span,
                        format!("virtual server fwmark '{}' must be in [1, {}] - ignoring", w.text, u32::MAX),
                    );
                    return;
                }
            }
        }
        "group" => {
            let Some(w) = ctx.arg(s, 1) else { return };
            VsKey::Group(w.text.clone())
        }
        _ => match server_addr(s, 0, ctx, "virtual server IP") {
            Some(sa) => VsKey::Addr(sa),
            None => return,
        },
    };
    let mut vs = VirtualServer::new(key, s.span());
    if let VsKey::Addr(sa) = &vs.key {
        vs.family = Some(Family::of(&sa.ip()));
    }
    ctx.apply(&mut vs, s.children(), VS);
    vs_end(&mut vs, ctx);
    vs.real_servers.shrink_to_fit();
    c.lvs.virtual_servers.push(vs);
}

/// What upstream does when a virtual server block ends: the sorry server's
/// family, and the family of a fwmark service whose servers are all tunnelled.
fn vs_end(vs: &mut VirtualServer, ctx: &mut Ctx) {
    if let Some(ss) = &vs.sorry_server
        && !vs.effective_forwarding(ss).is_tunnel()
    {
        let fam = Family::of(&ss.addr.ip());
        match vs.family {
            None => vs.family = Some(fam),
            Some(f) if f != fam => {
                ctx.push(
                    Severity::Error,
                    Class::Conflict,
                    ss.span,
                    format!(
                        "Address family of virtual server and sorry server {} don't match - skipping sorry server.",
                        ss.addr.ip()
                    ),
                );
                vs.sorry_server = None;
            }
            Some(_) => {}
        }
    }
    // A group service takes its family from the group, once groups are known.
    if vs.family.is_none() && !matches!(vs.key, VsKey::Group(_)) {
        vs.family = Some(tunnelled_family(vs));
    }
}

/// The family of a service whose servers are all tunnelled: theirs if they
/// agree, else IPv4.
pub(super) fn tunnelled_family(vs: &VirtualServer) -> Family {
    let mut fams = vs.sorry_server.iter().chain(vs.real_servers.iter()).map(|r| Family::of(&r.addr.ip()));
    match fams.next() {
        Some(f) if fams.all(|g| g == f) => f,
        _ => Family::Inet,
    }
}

fn vs_sched(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = ctx.arg(s, 0) else { return };
    match Scheduler::parse(&w.text) {
        Some(x) => v.scheduler = Some(x),
        None => ctx.error(w.span, format!("Invalid lvs_scheduler '{}' - ignoring", w.text)),
    }
}

/// sh-port/sh-fallback and mh-port/mh-fallback only mean something to their scheduler.
fn sched_flag(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx, sched: Scheduler, port: bool) {
    if v.scheduler != Some(sched) {
        ctx.error(s.span(), format!("{} only applies to {} scheduler - ignoring", s.keyword.text, sched.name()));
    } else if port {
        // IP_VS_SVC_F_SCHED_SH_PORT is scheduler flag 2, the fallback flag 1.
        v.flags.flag2 = true;
    } else {
        v.flags.flag1 = true;
    }
}

/// `NAT|DR|TUN [type {ipip|gue port NUM|gre} [nocsum|csum|remcsum]]`;
/// `who` ("virtual server", "real server") ends upstream's messages.
fn forwarding(s: &Stmt, ctx: &mut Ctx, who: &str) -> Option<Forwarding> {
    let w = ctx.arg(s, 0)?;
    match w.text.as_str() {
        "NAT" => Some(Forwarding::Nat),
        "DR" => Some(Forwarding::Dr),
        // Like upstream, bad tunnel options are reported but the method stays TUN.
        "TUN" => Some(Forwarding::Tun(tunnel(s, ctx, who).unwrap_or_default())),
        x => {
            ctx.error(w.span, format!("PARSER : unknown [{x}] routing method for {who}."));
            None
        }
    }
}

fn tunnel(s: &Stmt, ctx: &mut Ctx, who: &str) -> Option<Tunnel> {
    let mut t = Tunnel::default();
    let mut port: Option<u16> = None;
    let mut i = 1;
    while let Some(w) = s.arg(i) {
        match w.text.as_str() {
            "type" => {
                i += 1;
                let Some(k) = s.arg(i) else {
                    ctx.error(w.span, "No tunnel type specified");
                    return None;
                };
                t.kind = match k.text.as_str() {
                    "ipip" => TunnelKind::Ipip,
                    "gue" => TunnelKind::Gue { port: 0 },
                    "gre" => TunnelKind::Gre,
                    x => {
                        ctx.error(k.span, format!("Unknown tunnel type {x} for {who}."));
                        return None;
                    }
                };
            }
            "port" => {
                i += 1;
                let Some(p) = s.arg(i) else {
                    ctx.error(w.span, "No tunnel port specified");
                    return None;
                };
                port = Some(num(ctx, p, 1, 65535)? as u16);
            }
            "nocsum" => t.csum = TunnelCsum::NoCsum,
            "csum" => t.csum = TunnelCsum::Csum,
            "remcsum" => t.csum = TunnelCsum::RemCsum,
            x => {
                ctx.error(w.span, format!("Unknown tunnel option {x}"));
                return None;
            }
        }
        i += 1;
    }
    match (&mut t.kind, port) {
        (TunnelKind::Gue { port: p }, Some(n)) => *p = n,
        (TunnelKind::Gue { .. }, None) | (_, Some(_)) => {
            ctx.error(s.span(), "gue tunnels require port, otherwise cannot have port.");
            return None;
        }
        _ => {}
    }
    if t.kind == TunnelKind::Gre && t.csum == TunnelCsum::RemCsum {
        ctx.error(s.span(), "gre tunnels do not support remote checksum option.");
        return None;
    }
    Some(t)
}

fn vs_persistence_timeout(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = s.arg(0) else {
        v.persistence.timeout = crate::config::model::lvs::DEFAULT_PERSISTENCE_TIMEOUT;
        return;
    };
    match num(ctx, w, 1, 2_678_400) {
        Some(t) => v.persistence.timeout = t as u32,
        None => ctx.error(w.span, "persistence_timeout invalid"),
    }
}

fn vs_persistence_granularity(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = ctx.arg(s, 0) else { return };
    let fam = v.family.unwrap_or(if w.text.contains('.') { Family::Inet } else { Family::Inet6 });
    let g = match fam {
        Family::Inet6 => match w.text.parse::<u8>() {
            Ok(n) if (1..=128).contains(&n) => Granularity::V6Prefix(n),
            _ => {
                ctx.error(w.span, format!("Invalid IPv6 persistence_granularity specified - {}", w.text));
                return;
            }
        },
        Family::Inet => match w.text.parse::<std::net::Ipv4Addr>() {
            Ok(m) => {
                let bits = u32::from(m);
                // A solid mask: ones followed by zeros only.
                if bits.leading_ones() + bits.trailing_zeros() != 32 {
                    ctx.error(w.span, format!("IPv4 persistence_granularity netmask is not solid - {}", w.text));
                    return;
                }
                Granularity::V4Mask(m)
            }
            Err(_) => {
                ctx.error(w.span, format!("Invalid IPv4 persistence_granularity specified - {}", w.text));
                return;
            }
        },
    };
    v.persistence.granularity = Some(g);
    if v.family.is_none() {
        v.family = Some(fam);
    }
    if v.persistence.timeout == 0 {
        v.persistence.timeout = crate::config::model::lvs::DEFAULT_PERSISTENCE_TIMEOUT;
    }
}

fn vs_protocol(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = ctx.arg(s, 0) else { return };
    let p = match w.text.to_ascii_uppercase().as_str() {
        "TCP" => Protocol::Tcp,
        "UDP" => Protocol::Udp,
        "SCTP" => Protocol::Sctp,
        _ => {
            ctx.error(w.span, format!("Unknown protocol {} - ignoring", w.text));
            return;
        }
    };
    v.protocol = Some(p);
    v.protocol_span = Some(s.span());
}

fn vs_quorum(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = ctx.arg(s, 0) else { return };
    match num(ctx, w, 1, u32::MAX as i64) {
        Some(q) => v.quorum = q as u32,
        None => {
            ctx.error(w.span, format!("Quorum {} must be in [1, {}]. Setting to 1.", w.text, u32::MAX));
            v.quorum = 1;
        }
    }
}

fn vs_script(slot: &mut Option<crate::config::model::Script>, s: &Stmt, ctx: &mut Ctx) {
    if let Some(sc) = ctx.script_with_user(s) {
        *slot = Some(sc);
    }
}

fn vs_ip_family(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = ctx.arg(s, 0) else { return };
    let f = match w.text.as_str() {
        "inet" => Family::Inet,
        "inet6" => Family::Inet6,
        x => {
            ctx.error(w.span, format!("unknown address family {x}"));
            return;
        }
    };
    match v.family {
        Some(cur) if cur != f => {
            ctx.error(w.span, format!("Virtual server specified family {} conflicts with server family", w.text))
        }
        _ => {
            v.family = Some(f);
            v.ip_family = Some(f);
        }
    }
}

/// `IP [PORT]` of a virtual, real or sorry server; `what` names it in
/// upstream's "Invalid real server ip address/port A/P - skipping".
fn server_addr(s: &Stmt, first: usize, ctx: &mut Ctx, what: &str) -> Option<SocketAddr> {
    let a = ctx.arg(s, first)?;
    let p = s.arg(first + 1);
    let port = match p {
        None => Some(0),
        // Port 0 is taken (keepalived 2.2.7 does: all ports, or fwmark),
        // though its range message says [1, 65535]; so is a port of zeros
        // ("00", a legacy spelling upstream reads as no port).
        Some(w) if !w.text.is_empty() && w.text.bytes().all(|b| b == b'0') => Some(0),
        Some(w) => num(ctx, w, 1, 65535).map(|p| p as u16),
    };
    match (a.text.parse::<IpAddr>(), port) {
        (Ok(ip), Some(port)) => Some(SocketAddr::new(ip, port)),
        _ => {
            ctx.error(a.span, format!("Invalid {what} address/port {}/{} - skipping", a.text, text(p)));
            None
        }
    }
}

fn vs_sorry_server(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx) {
    if let Some(sa) = server_addr(s, 0, ctx, "sorry server ip") {
        let mut rs = RealServer::new(sa, s.span());
        rs.forwarding = v.forwarding;
        v.sorry_server = Some(rs);
    }
}

// ---------------------------------------------------------------- real_server

const RS: &[Keyword<RealServer>] = &[
    Keyword::new("weight", |r, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 0, i32::MAX as i64) {
            Some(x) => r.weight = x as u32,
            None => ctx.error(w.span, format!("Real server weight {} is outside range 0-{}", w.text, i32::MAX)),
        }
    }),
    Keyword::new("lvs_method", |r, s, ctx| {
        if let Some(f) = forwarding(s, ctx, "real server") {
            r.forwarding = Some(f);
        }
    }),
    Keyword::new("lb_kind", |r, s, ctx| {
        if let Some(f) = forwarding(s, ctx, "real server") {
            r.forwarding = Some(f);
        }
    }),
    Keyword::new("notify_up", |r, s, ctx| rs_notify(r, s, ctx, true)),
    Keyword::new("notify_down", |r, s, ctx| rs_notify(r, s, ctx, false)),
    Keyword::new("uthreshold", |r, s, ctx| {
        if let Some(w) = ctx.arg(s, 0)
            && let Some(x) = num(ctx, w, 0, u32::MAX as i64)
        {
            r.uthreshold = x as u32;
        }
    }),
    Keyword::new("lthreshold", |r, s, ctx| {
        if let Some(w) = ctx.arg(s, 0)
            && let Some(x) = num(ctx, w, 0, u32::MAX as i64)
        {
            r.lthreshold = x as u32;
        }
    }),
    Keyword::not_yet_once(
        "smtp_alert",
        |r, s, ctx| {
            if let Some(b) = bool_arg(s, ctx, "real_server smtp_alert parameter") {
                r.extra_mut().smtp_alert = Some(b);
            }
        },
        "",
    ),
    Keyword::new("virtualhost", |r, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            r.extra_mut().virtualhost = Some(w.text.clone());
        }
    }),
    Keyword::not_yet_once(
        "snmp_name",
        |r, s, ctx| {
            if let Some(w) = ctx.arg(s, 0) {
                r.extra_mut().snmp_name = Some(w.text.clone());
            }
        },
        "",
    ),
    Keyword::new("alpha", |r, s, ctx| timing_alpha(&mut r.extra_mut().check, s, ctx)),
    Keyword::new("connect_timeout", |r, s, ctx| timing_connect_timeout(&mut r.extra_mut().check, s, ctx)),
    Keyword::new("retry", |r, s, ctx| timing_retry(&mut r.extra_mut().check, s, ctx, 1)),
    Keyword::new("delay_before_retry", |r, s, ctx| timing_delay_before_retry(&mut r.extra_mut().check, s, ctx)),
    Keyword::new("warmup", |r, s, ctx| timing_warmup(&mut r.extra_mut().check, s, ctx)),
    Keyword::new("delay_loop", |r, s, ctx| timing_delay_loop(&mut r.extra_mut().check, s, ctx, "real server")),
    Keyword::new("inhibit_on_failure", |r, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "inhibit_on_failure parameter") {
            r.extra_mut().check.inhibit_on_failure = Some(b);
        }
    }),
    Keyword::new("HTTP_GET", check::http_get),
    Keyword::new("SSL_GET", check::ssl_get),
    Keyword::new("TCP_CHECK", check::tcp_check),
    Keyword::new("SMTP_CHECK", check::smtp_check),
    Keyword::new("DNS_CHECK", check::dns_check),
    Keyword::new("MISC_CHECK", check::misc_check),
    Keyword::not_yet_once("BFD_CHECK", check::bfd_check, BFD_WHY),
    Keyword::new("FILE_CHECK", check::file_check),
    Keyword::new("PING_CHECK", check::ping_check),
    Keyword::new("UDP_CHECK", check::udp_check),
];

fn vs_real_server(v: &mut VirtualServer, s: &Stmt, ctx: &mut Ctx) {
    let Some(sa) = server_addr(s, 0, ctx, "real server ip") else { return };
    let mut rs = RealServer::new(sa, s.span());
    ctx.apply(&mut rs, s.children(), RS);
    // A Vec's first push reserves room for four checkers; most real servers
    // have one, and large configurations have tens of thousands of them.
    rs.checkers.shrink_to_fit();
    // Tunnelled servers may differ in family from the virtual server.
    if !v.effective_forwarding(&rs).is_tunnel() {
        let fam = Family::of(&sa.ip());
        match v.family {
            None => v.family = Some(fam),
            Some(f) if f != fam => {
                ctx.push(
                    Severity::Error,
                    Class::Conflict,
                    s.span(),
                    format!(
                        "Address family of virtual server and real server {} don't match - skipping real server.",
                        sa.ip()
                    ),
                );
                return;
            }
            Some(_) => {}
        }
    }
    v.real_servers.push(rs);
}

fn rs_notify(r: &mut RealServer, s: &Stmt, ctx: &mut Ctx, up: bool) {
    let name = if up { "notify_up" } else { "notify_down" };
    let x = r.extra_mut();
    let slot = if up { &mut x.notify_up } else { &mut x.notify_down };
    if slot.is_some() {
        let rest = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
        let rsname = format!("[{}]:{}", r.addr.ip(), r.addr.port());
        ctx.error(s.span(), format!("({rsname}) {name} script already specified - ignoring {rest}"));
        return;
    }
    if let Some(sc) = ctx.script_with_user(s) {
        *slot = Some(sc);
    }
}

// ---------------------------------------------------------------- shared value handlers

/// An optional <BOOL> (absent: true) with upstream's "Invalid X Y" message.
fn bool_arg(s: &Stmt, ctx: &mut Ctx, what: &str) -> Option<bool> {
    ctx.bool_opt_with(s, 0, |t| format!("Invalid {what} {t}"))
}

fn timing_alpha(t: &mut CheckDefaults, s: &Stmt, _ctx: &mut Ctx) {
    // keepalived 2.2.7 takes `alpha` with any value (`alpha 5`) silently as
    // on; a yes/no value is honoured.
    match s.arg(0).map(|w| w.text.to_ascii_lowercase()) {
        Some(v) if matches!(v.as_str(), "no" | "false" | "off" | "0") => t.alpha = Some(false),
        Some(v) if matches!(v.as_str(), "yes" | "true" | "on" | "1") => t.alpha = Some(true),
        _ => t.alpha = Some(true),
    }
}

fn timing_connect_timeout(t: &mut CheckDefaults, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = ctx.arg(s, 0) else { return };
    match timer(ctx, w, 1, u32::MAX as u64) {
        Some(d) => t.connect_timeout = OptTimer::some(d),
        None => ctx.error(w.span, format!("connect_timeout {} invalid - ignoring", w.text)),
    }
}

fn timing_retry(t: &mut CheckDefaults, s: &Stmt, ctx: &mut Ctx, min: i64) {
    let Some(w) = ctx.arg(s, 0) else { return };
    match num(ctx, w, min, u32::MAX as i64) {
        Some(r) => t.retry = Some(r as u32),
        None => ctx.error(w.span, format!("retry value invalid - {}", w.text)),
    }
}

fn timing_delay_before_retry(t: &mut CheckDefaults, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = ctx.arg(s, 0) else { return };
    match timer(ctx, w, 0, u64::MAX - 1) {
        Some(d) => t.delay_before_retry = OptTimer::some(d),
        None => ctx.error(w.span, format!("delay_before_retry {} invalid - ignoring", w.text)),
    }
}

fn timing_warmup(t: &mut CheckDefaults, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = ctx.arg(s, 0) else { return };
    match timer(ctx, w, 0, u64::MAX - 1) {
        Some(d) => t.warmup = OptTimer::some(d),
        None => ctx.error(w.span, format!("warmup {} invalid - ignoring", w.text)),
    }
}

fn timing_delay_loop(t: &mut CheckDefaults, s: &Stmt, ctx: &mut Ctx, who: &str) {
    let Some(w) = ctx.arg(s, 0) else { return };
    match timer(ctx, w, 1, u64::MAX - 1) {
        Some(d) => t.delay_loop = OptTimer::some(d),
        None => ctx.error(w.span, format!("{who} delay loop '{}' invalid - ignoring", w.text)),
    }
}

/// The text of argument `i` or an empty string, for messages.
fn text(w: Option<&Word>) -> &str {
    w.map(|w| w.text.as_str()).unwrap_or("")
}
