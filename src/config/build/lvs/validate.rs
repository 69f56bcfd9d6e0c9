//! Whole-model checks of the lvs part, done after every block is read, in
//! the order upstream reports them. Upstream prints these without a line
//! number, so the diagnostics carry no span.

use std::collections::HashSet;
use std::net::SocketAddr;

use crate::config::build::Ctx;
use crate::config::error::{Class, Diagnostic, Severity};
use crate::config::model::Config;
use crate::config::model::lvs::{
    CheckerKind, DEFAULT_PERSISTENCE_TIMEOUT, Family, Forwarding, LvsConfig, Protocol, Scheduler, VirtualServer, VsKey,
};
use crate::config::validate::SystemView;

fn note(ctx: &mut Ctx, vs: &VirtualServer, msg: String) {
    ctx.diags.push(Diagnostic::new(Severity::Note, Class::Reference, Some(vs.span), msg));
}

fn warn(ctx: &mut Ctx, msg: String) {
    ctx.diags.push(Diagnostic::new(Severity::Warning, Class::Other, None, msg));
}

/// Checks that need the whole model (references, conflicts, required fields).
pub fn validate(cfg: &mut Config, _sys: &SystemView, ctx: &mut Ctx) {
    let lvs = &mut cfg.lvs;

    let groups = std::mem::take(&mut lvs.groups);
    let mut seen: HashSet<SocketAddr> = HashSet::new();
    lvs.virtual_servers.retain_mut(|vs| {
        if let VsKey::Group(name) = &vs.key {
            // Upstream links groups when the checker starts and only logs
            // these (they do not change the -t exit status): notes here.
            let Some(g) = groups.iter().find(|g| &g.name == name) else {
                note(ctx, vs, format!("Virtual server group {name} specified but not configured - ignoring virtual server {name}"));
                return false;
            };
            let (v4, v6) = (g.has_ipv4(), g.has_ipv6());
            match vs.family {
                Some(_) if v4 && v6 => {
                    note(
                        ctx,
                        vs,
                        format!("{name}: virtual server group with IPv4 & IPv6 doesn't match virtual server {name} - ignoring"),
                    );
                    return false;
                }
                Some(f) if (v4 && f == Family::Inet6) || (v6 && f == Family::Inet) => {
                    note(ctx, vs, format!("{name}: address family doesn't match virtual server {name} - ignoring"));
                    return false;
                }
                Some(_) => {}
                None if v4 != v6 => vs.family = Some(if v4 { Family::Inet } else { Family::Inet6 }),
                None => {
                    if g.fwmarks.iter().any(|f| f.family.is_none()) {
                        note(
                            ctx,
                            vs,
                            format!("{name}: Virtual server {name} address family cannot be determined, defaulting to IPv4"),
                        );
                        vs.family = Some(Family::Inet);
                    } else {
                        vs.family = Some(super::tunnelled_family(vs));
                    }
                }
            }
        }
        check_vs(vs, &mut seen, ctx)
    });
    lvs.groups = groups;
    lvs.virtual_servers.shrink_to_fit();
}

/// Upstream's end-of-configuration checks of one virtual server; false drops it.
fn check_vs(vs: &mut VirtualServer, seen: &mut HashSet<SocketAddr>, ctx: &mut Ctx) -> bool {
    if vs.real_servers.is_empty() && vs.sorry_server.is_none() {
        warn(ctx, format!("Virtual server {} has no real servers - ignoring", vs.display_name()));
        return false;
    }
    let fwmark = matches!(vs.key, VsKey::Fwmark(_));
    if fwmark {
        if vs.protocol.is_some() {
            warn(
                ctx,
                format!(
                    "Warning: Virtual server {}: protocol specified for fwmark - protocol will be ignored",
                    vs.display_name()
                ),
            );
            vs.protocol = None;
        }
    } else if vs.protocol.is_none() {
        warn(ctx, format!("Virtual server {}: no protocol set - defaulting to UDP", vs.display_name()));
        vs.protocol = Some(Protocol::Udp);
    }
    if let VsKey::Addr(sa) = vs.key
        && sa.port() == 0
        && !vs.is_persistent()
    {
        warn(
            ctx,
            format!("Virtual server {}: zero port only valid for persistent services - setting", vs.display_name()),
        );
        vs.persistence.timeout = DEFAULT_PERSISTENCE_TIMEOUT;
    }
    if vs.scheduler.is_none() {
        warn(ctx, format!("Virtual server {}: no scheduler set, setting default 'wlc'", vs.display_name()));
        vs.scheduler = Some(Scheduler::Wlc);
    }
    // A fwmark service has no protocol of its own: upstream does not check it.
    if vs.flags.ops && !fwmark && vs.protocol != Some(Protocol::Udp) {
        warn(ctx, format!("Virtual server {}: one packet scheduling requires UDP - resetting", vs.display_name()));
        vs.flags.ops = false;
    }
    if vs.forwarding.is_none() {
        warn(ctx, format!("Virtual server {}: no forwarding method set, setting default NAT", vs.display_name()));
        vs.forwarding = Some(Forwarding::Nat);
    }
    // Duplicates: one hash set reused across virtual servers, so the check is linear.
    seen.clear();
    let name = vs.display_name();
    let proto = vs.protocol;
    vs.real_servers.retain(|rs| {
        if seen.insert(rs.addr) {
            true
        } else {
            ctx.diags.push(Diagnostic::new(
                Severity::Warning,
                Class::Conflict,
                None,
                format!("VS {name}: real server {} is duplicated - removing second rs", rs.display_name(proto)),
            ));
            false
        }
    });
    // The quorum must be reachable with every real server up.
    let weight_sum = vs.real_servers.iter().fold(0u32, |acc, rs| acc.saturating_add(rs.weight));
    if vs.quorum > weight_sum {
        warn(
            ctx,
            format!(
                "Warning - quorum {} for {} exceeds total weight of real servers {weight_sum}, reducing quorum to {weight_sum}",
                vs.quorum,
                vs.display_name()
            ),
        );
        vs.quorum = weight_sum;
    }
    if vs.hysteresis >= vs.quorum {
        // Upstream's unsigned arithmetic: a quorum of 0 gives u32::MAX.
        let h = vs.quorum.wrapping_sub(1);
        warn(
            ctx,
            format!(
                "Virtual server {}: hysteresis {} >= quorum {}; setting hysteresis to {h}",
                vs.display_name(),
                vs.hysteresis,
                vs.quorum
            ),
        );
        vs.hysteresis = h;
    }
    server_ports(vs, ctx);
    true
}

/// Upstream's port rules: a server that is not masqueraded answers on the
/// service's port (none for a fwmark service); a masqueraded server without
/// a port takes the service's.
fn server_ports(vs: &mut VirtualServer, ctx: &mut Ctx) {
    let name = vs.display_name();
    let vs_fwd = vs.forwarding.unwrap_or(Forwarding::Nat);
    let nat = |rs: &crate::config::model::lvs::RealServer| rs.forwarding.unwrap_or(vs_fwd) == Forwarding::Nat;
    match vs.key {
        VsKey::Fwmark(_) => {
            for rs in &mut vs.real_servers {
                if !nat(rs) && rs.addr.port() != 0 {
                    warn(
                        ctx,
                        format!(
                            "WARNING - fwmark virtual server {name}, real server {} has port specified - clearing",
                            rs.display_name(None)
                        ),
                    );
                    rs.addr.set_port(0);
                }
            }
            if let Some(ss) = &mut vs.sorry_server
                && !nat(ss)
                && ss.addr.port() != 0
            {
                warn(ctx, format!("WARNING - virtual server {name}, sorry server has port specified - clearing"));
                ss.addr.set_port(0);
            }
        }
        VsKey::Addr(sa) => {
            let port = sa.port();
            let proto = vs.protocol;
            for rs in &mut vs.real_servers {
                if rs.addr.port() == 0 {
                    rs.addr.set_port(port);
                } else if !nat(rs) && rs.addr.port() != port {
                    warn(
                        ctx,
                        format!(
                            "WARNING - virtual server {name} and real server {} ports don't match - resetting",
                            rs.display_name(proto)
                        ),
                    );
                    rs.addr.set_port(port);
                }
            }
            if let Some(ss) = &mut vs.sorry_server
                && !nat(ss)
            {
                if ss.addr.port() == 0 {
                    ss.addr.set_port(port);
                } else if ss.addr.port() != port {
                    warn(
                        ctx,
                        format!("WARNING - virtual server {name} and sorry server ports don't match - resetting"),
                    );
                    ss.addr.set_port(port);
                }
            }
        }
        VsKey::Group(_) => {}
    }
}

/// Checks the names FILE_CHECK and BFD_CHECK refer to, with upstream's
/// messages, and drops the checkers whose target does not exist.
///
/// The names live in other parts of the model (`track_file` blocks in the
/// vrrp part, `bfd_instance` blocks in the bfd part), so the caller passes
/// lookups over them.
pub fn check_references(
    lvs: &mut LvsConfig,
    has_track_file: &dyn Fn(&str) -> bool,
    has_bfd: &dyn Fn(&str) -> bool,
    ctx: &mut Ctx,
) {
    for vs in &mut lvs.virtual_servers {
        let proto = vs.protocol;
        for rs in vs.real_servers.iter_mut() {
            let rsname = rs.display_name(proto);
            rs.checkers.retain(|c| match &c.kind {
                CheckerKind::File(f) if !has_track_file(&f.track_file) => {
                    ctx.error(c.span, format!("track_file {} not found", f.track_file));
                    ctx.error(c.span, "FILE_CHECK has no track_file specified - ignoring");
                    false
                }
                CheckerKind::Bfd(b) if !has_bfd(&b.name) => {
                    ctx.error(c.span, format!("({rsname}) BFD_CHECK - BFD {} not configured", b.name));
                    false
                }
                _ => true,
            });
        }
    }
}
