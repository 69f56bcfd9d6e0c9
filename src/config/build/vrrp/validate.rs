//! Whole-model checks of the vrrp part, in upstream's order: interfaces
//! (reported while parsing upstream, so with a line), then sync groups, then
//! each instance's completion (reported without a line, as upstream does).

use std::net::IpAddr;
use std::time::Duration;

use crate::config::build::Ctx;
use crate::config::build::ipcfg::{
    NON_EXISTENT_INTERFACE, check_address_interface, check_route_interfaces, non_existent_interface_reported,
};
use crate::config::error::{Class, Diagnostic, Severity};
use crate::config::model::Config;
use crate::config::model::vrrp::{Auth, GarpSettings, InitialState, VrrpGlobals, VrrpInstance};
use crate::config::validate::SystemView;

/// A message upstream prints without a file and line.
fn global(ctx: &mut Ctx, severity: Severity, class: Class, msg: impl Into<String>) {
    ctx.diags.push(Diagnostic::new(severity, class, None, msg));
}

/// Checks that need the whole model (references, conflicts, required fields)
/// and resolves every instance's effective values.
pub fn validate(cfg: &mut Config, sys: &SystemView, ctx: &mut Ctx) {
    let g = &mut cfg.vrrp.globals;
    if !cfg.vrrp.globals_written.garp_lower_prio_delay {
        g.garp_lower_prio_delay = g.garp_master_delay;
    }
    if !cfg.vrrp.globals_written.garp_lower_prio_repeat {
        g.garp_lower_prio_repeat = g.garp_master_repeat;
    }

    // Upstream checks interfaces while parsing: put these messages among the
    // parse messages, in line order.
    let mut found = Ctx::default();
    // With dynamic_interfaces, interfaces may appear later.
    let ok = cfg.vrrp.globals.dynamic_interfaces.is_some() || interfaces(cfg, sys, &mut found);
    merge_in_line_order(ctx, found.diags);
    for inst in &mut cfg.vrrp.instances {
        if let Some(v) = &mut inst.use_vmac {
            if v.name.as_deref().is_some_and(|n| sys.is_plain_interface(n)) {
                v.name = None;
            }
        }
    }
    // The global part reports missing interfaces of static addresses first.
    let reported = non_existent_interface_reported(ctx);
    if !ok || reported {
        // Upstream stops checking the configuration here, and keepalived 2.4
        // cannot run it (CONFIG_BAD_IF).
        if reported {
            // Whoever reported it, keepalived 2.4 cannot run the configuration.
            for d in ctx.diags.iter_mut().filter(|d| d.span.is_none() && d.message == NON_EXISTENT_INTERFACE) {
                d.severity = Severity::Fatal;
            }
        } else {
            global(ctx, Severity::Fatal, Class::Reference, NON_EXISTENT_INTERFACE);
        }
        resolve_all(cfg);
        return;
    }
    disable_missing_scripts(cfg, ctx);
    sync_groups(cfg, ctx);
    let globals = cfg.vrrp.globals.clone();
    let weights = Weights {
        scripts: cfg.vrrp.scripts.iter().map(|s| (s.name.clone(), s.weight)).collect(),
        files: cfg.vrrp.track_files.iter().map(|s| (s.name.clone(), s.weight)).collect(),
        processes: cfg.vrrp.track_processes.iter().map(|s| (s.name.clone(), s.weight)).collect(),
        groups_with_weights: cfg
            .vrrp
            .sync_groups
            .iter()
            .filter(|g| g.sync_group_tracking_weight || g.global_tracking)
            .map(|g| g.name.clone())
            .collect(),
    };
    for inst in &mut cfg.vrrp.instances {
        if !complete(inst, &globals, ctx) {
            // Upstream stops completing the configuration at the first
            // instance missing its minimum configuration.
            return;
        }
        own_and_group_trackers(inst, &weights, ctx);
    }
    duplicate_vrids(&cfg.vrrp.instances, ctx);
    for inst in &cfg.vrrp.instances {
        let Some(sg) = inst.sync_group.as_ref().and_then(|g| cfg.vrrp.sync_groups.iter().find(|s| s.name == *g)) else {
            continue;
        };
        for t in &sg.tracking.interfaces {
            // The instance tracks its own interface with weight 0; a
            // different weight on the group is a conflict.
            let own = inst.interface.as_ref().is_some_and(|i| i.value == t.name.value).then_some(0);
            let mine =
                inst.tracking.interfaces.iter().find(|o| o.name.value == t.name.value).map(|o| o.weight.unwrap_or(0));
            if mine.or(own).is_some_and(|w| w != t.weight.unwrap_or(0)) {
                global(
                    ctx,
                    Severity::Warning,
                    Class::Conflict,
                    format!(
                        "({}) track_interface {} is configured on VRRP instance and sync group. Remove vrrp instance or sync group config",
                        inst.name, t.name.value
                    ),
                );
            }
        }
    }
}

/// Instances that would share a socket and a VRID (the same interface,
/// family and VRID, and both multicast or with a unicast peer in common)
/// cannot tell their adverts apart.
fn duplicate_vrids(instances: &[VrrpInstance], ctx: &mut Ctx) {
    for (i, a) in instances.iter().enumerate() {
        for b in instances.iter().skip(i + 1) {
            let same_if = a.interface.as_ref().map(|x| &x.value) == b.interface.as_ref().map(|x| &x.value);
            if a.vrid != b.vrid || a.ipv6 != b.ipv6 || !same_if {
                continue;
            }
            let msg = match (a.is_unicast(), b.is_unicast()) {
                (false, false) if a.mcast_dst_ip == b.mcast_dst_ip => format!(
                    "{} and {} both use VRID {} with {} on interface {}",
                    a.name,
                    b.name,
                    a.vrid,
                    if a.ipv6 { "IPv6" } else { "IPv4" },
                    a.interface.as_ref().map(|x| x.value.as_str()).unwrap_or("(none)")
                ),
                (true, true) if a.unicast_peers.iter().any(|p| b.unicast_peers.iter().any(|q| q.addr == p.addr)) => {
                    format!("({}) duplicate VRID conflict with {} VRID {}", a.name, b.name, a.vrid)
                }
                _ => continue,
            };
            global(ctx, Severity::Error, Class::Conflict, msg);
        }
    }
}

/// Default weights of the trackers, and the sync groups that allow weights.
struct Weights {
    scripts: Vec<(String, i32)>,
    files: Vec<(String, i32)>,
    processes: Vec<(String, i32)>,
    groups_with_weights: Vec<String>,
}

fn default_weight(list: &[(String, i32)], name: &str) -> i32 {
    list.iter().find(|(n, _)| n == name).map(|(_, w)| *w).unwrap_or(0)
}

/// Upstream's rules for an instance's own trackers: its own interface is
/// always tracked, and members of a sync group cannot use weights (all
/// members must move together) unless the group allows them.
fn own_and_group_trackers(inst: &mut VrrpInstance, w: &Weights, ctx: &mut Ctx) {
    let name = inst.name.clone();
    if let Some(own) = inst.interface.as_ref().map(|i| i.value.clone()) {
        inst.tracking.interfaces.retain(|t| {
            let keep = t.name.value != own;
            if !keep {
                global(
                    ctx,
                    Severity::Warning,
                    Class::Conflict,
                    format!("({name}) Ignoring track_interface {own} since own interface"),
                );
            }
            keep
        });
    }
    let Some(group) = inst.sync_group.clone() else { return };
    if w.groups_with_weights.contains(&group) {
        return;
    }
    for t in &mut inst.tracking.interfaces {
        if t.weight.is_some_and(|x| x != 0) {
            global(
                ctx,
                Severity::Warning,
                Class::Conflict,
                format!("({name}) ignoring weight from tracked interface {} due to SYNC group", t.name.value),
            );
            t.weight = Some(0);
        }
    }
    inst.tracking.scripts.retain(|t| {
        let weighted = t.weight.unwrap_or_else(|| default_weight(&w.scripts, &t.name.value)) != 0;
        if weighted {
            global(
                ctx,
                Severity::Warning,
                Class::Conflict,
                format!("({name}) ignoring tracked script {} with weights due to SYNC group", t.name.value),
            );
        }
        !weighted
    });
    for (list, defaults, what) in
        [(&mut inst.tracking.files, &w.files, "file"), (&mut inst.tracking.processes, &w.processes, "process")]
    {
        for t in list.iter_mut() {
            if t.weight.unwrap_or_else(|| default_weight(defaults, &t.name.value)) != 0 {
                global(
                    ctx,
                    Severity::Warning,
                    Class::Conflict,
                    format!(
                        "({name}) ignoring weight from tracked {what} {} due to SYNC group. specify weight 0",
                        t.name.value
                    ),
                );
                t.weight = Some(0);
            }
        }
    }
}

/// Inserts each spanned diagnostic before the first earlier diagnostic of
/// the same file with a later line.
fn merge_in_line_order(ctx: &mut Ctx, new: Vec<Diagnostic>) {
    for mut d in new {
        // Among what reading the VRRP part said (inserted here, it would not
        // be tagged with its part afterwards).
        d.part = Some(crate::config::model::Part::Vrrp);
        let at = d.span.and_then(|s| {
            ctx.diags
                .iter()
                .position(|o| o.part == d.part && o.span.is_none_or(|os| os.file == s.file && os.line > s.line))
        });
        match at {
            Some(i) => ctx.diags.insert(i, d),
            None => ctx.diags.push(d),
        }
    }
}

/// Reports interfaces that do not exist; false if any is missing.
fn interfaces(cfg: &Config, sys: &SystemView, ctx: &mut Ctx) -> bool {
    let mut ok = true;
    for inst in &cfg.vrrp.instances {
        if let (Some(vrf), Some(at)) = (&inst.vrf, inst.vrf_span) {
            ok &= ctx.check_interface(
                sys,
                &crate::config::build::Spanned::new(vrf.clone(), at),
                Severity::Warning,
                |n| format!("({}) WARNING - VRF interface {n} doesn't exist", inst.name),
            );
        }
        if let Some(i) = &inst.interface {
            ok &= ctx.check_interface(sys, i, Severity::Warning, |n| {
                format!("WARNING - interface {n} for vrrp_instance {} doesn't exist", inst.name)
            });
        }
        // keepalived 2.2.7 will not take over an interface of that name that
        // is not its own macvlan.
        if let (Some(name), Some(at)) = (inst.use_vmac.as_ref().and_then(|v| v.name.as_ref()), inst.use_vmac_span) {
            if sys.is_plain_interface(name) {
                ctx.push(
                    Severity::Error,
                    Class::Conflict,
                    at,
                    format!(
                        "({}) interface {name} already exists and is not a private macvlan; ignoring vmac if_name",
                        inst.name
                    ),
                );
            }
        }
        for t in &inst.tracking.interfaces {
            ok &= ctx.check_interface(sys, &t.name, Severity::Warning, |n| {
                format!("({}) tracked interface {n} doesn't exist", inst.name)
            });
        }
        for a in inst.vips.iter().chain(inst.evips.iter()) {
            ok &= check_address_interface(a, sys, ctx);
        }
        for r in &inst.routes {
            ok &= check_route_interfaces(r, sys, ctx);
        }
    }
    let garp_ifaces = cfg.vrrp.garp_groups.iter().flat_map(|g| g.interface.iter().chain(g.interfaces.iter()));
    for i in garp_ifaces.chain(cfg.vrrp.removed_garp_interfaces.iter()) {
        ok &= ctx.check_interface(sys, i, Severity::Warning, |n| {
            format!("WARNING - interface {n} specified for garp_group doesn't exist")
        });
    }
    for sg in &cfg.vrrp.sync_groups {
        for t in &sg.tracking.interfaces {
            ok &= ctx.check_interface(sys, &t.name, Severity::Warning, |n| {
                format!("({}) tracked interface {n} doesn't exist", sg.name)
            });
        }
    }
    ok
}

/// Whether upstream finds a script's program: a path as given, or a bare
/// name in `PATH`. A command starting with `<` is a shell redirection
/// (`</dev/tcp/host/port`) that upstream runs without checking.
fn script_missing(s: &crate::config::model::Script) -> bool {
    let Some(prog) = s.argv.first() else { return true };
    if prog.starts_with('<') {
        return false;
    }
    if prog.contains('/') {
        return !std::path::Path::new(prog).is_file();
    }
    let path = std::env::var_os("PATH")
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    !std::env::split_paths(&path).any(|d| d.join(prog).is_file())
}

/// Upstream disables (and no instance tracks) a vrrp_script whose program
/// it cannot find; it checks only when there are instances.
fn disable_missing_scripts(cfg: &mut Config, ctx: &mut Ctx) {
    if cfg.vrrp.instances.is_empty() {
        return;
    }
    let mut disabled = Vec::new();
    for s in &cfg.vrrp.scripts {
        if s.script.as_ref().is_some_and(script_missing) {
            global(
                ctx,
                Severity::Error,
                Class::Reference,
                format!("Disabling track script {} since not found/accessible", s.name),
            );
            disabled.push(s.name.clone());
        }
    }
    if disabled.is_empty() {
        return;
    }
    cfg.vrrp.scripts.retain(|s| !disabled.contains(&s.name));
    for inst in &mut cfg.vrrp.instances {
        inst.tracking.scripts.retain(|t| !disabled.contains(&t.name.value));
    }
    for sg in &mut cfg.vrrp.sync_groups {
        sg.tracking.scripts.retain(|t| !disabled.contains(&t.name.value));
    }
}

fn sync_groups(cfg: &mut Config, ctx: &mut Ctx) {
    let instances: Vec<String> = cfg.vrrp.instances.iter().map(|i| i.name.clone()).collect();
    let mut taken: Vec<(String, String)> = Vec::new();
    let mut keep = Vec::new();
    for mut sg in std::mem::take(&mut cfg.vrrp.sync_groups) {
        if sg.members.is_empty() {
            global(
                ctx,
                Severity::Error,
                Class::Missing,
                format!("Sync group {} has no virtual router(s). removing", sg.name),
            );
            continue;
        }
        let mut members = Vec::new();
        for m in std::mem::take(&mut sg.members) {
            if !instances.contains(&m.value) {
                global(
                    ctx,
                    Severity::Error,
                    Class::Reference,
                    format!("Virtual router {} specified in sync group {} doesn't exist - ignoring", m.value, sg.name),
                );
            } else if taken.iter().any(|(i, _)| *i == m.value) {
                global(
                    ctx,
                    Severity::Error,
                    Class::Conflict,
                    format!(
                        "Virtual router {} cannot exist in more than one sync group; ignoring {}",
                        m.value, sg.name
                    ),
                );
            } else if !members.iter().any(|o: &crate::config::build::Spanned<String>| o.value == m.value) {
                members.push(m);
            }
        }
        if members.is_empty() {
            global(
                ctx,
                Severity::Error,
                Class::Missing,
                format!("Sync group {}, no matching virtual router found in group declaration - removing", sg.name),
            );
            continue;
        }
        if members.len() == 1 {
            global(
                ctx,
                Severity::Warning,
                Class::Other,
                format!("Sync group {} has only 1 virtual router(s) - this probably isn't what you want", sg.name),
            );
        }
        for m in &members {
            taken.push((m.value.clone(), sg.name.clone()));
        }
        sg.members = members;
        keep.push(sg);
    }
    cfg.vrrp.sync_groups = keep;
    for inst in &mut cfg.vrrp.instances {
        inst.sync_group = taken.iter().find(|(i, _)| *i == inst.name).map(|(_, g)| g.clone());
    }
}

/// Effective values from the globals, without messages (used when upstream
/// stops before completing instances, so the model is still usable).
fn resolve_all(cfg: &mut Config) {
    let globals = cfg.vrrp.globals.clone();
    for inst in &mut cfg.vrrp.instances {
        resolve(inst, &globals);
    }
}

fn resolve(inst: &mut VrrpInstance, g: &VrrpGlobals) {
    let w = inst.written.clone();
    if !inst.priority_given {
        // Upstream: an instance configured as MASTER without a priority is the address owner.
        inst.priority = if inst.state == InitialState::Master { 255 } else { 100 };
    }
    // The address owner starts as master (RFC 5798 section 6.4.1).
    if inst.priority == 255 {
        inst.state = InitialState::Master;
    }
    inst.strict = w.strict.unwrap_or(g.strict);
    inst.version = if inst.ipv6 { 3 } else { w.version.unwrap_or(g.version) };
    inst.advert_interval = w.advert_int.unwrap_or(Duration::from_secs(1));
    inst.accept = w.accept.unwrap_or(!inst.strict);
    inst.garp = GarpSettings {
        master_delay: w.garp_master_delay.unwrap_or(g.garp_master_delay),
        master_repeat: w.garp_master_repeat.unwrap_or(g.garp_master_repeat),
        lower_prio_delay: w.garp_lower_prio_delay.or(w.garp_master_delay).unwrap_or(g.garp_lower_prio_delay),
        lower_prio_repeat: w.garp_lower_prio_repeat.or(w.garp_master_repeat).unwrap_or(g.garp_lower_prio_repeat),
        master_refresh: match w.garp_master_refresh {
            Some(d) if d.is_zero() => None,
            Some(d) => Some(d),
            None => g.garp_master_refresh,
        },
        master_refresh_repeat: w.garp_master_refresh_repeat.unwrap_or(g.garp_master_refresh_repeat),
        extra_if: w.garp_extra_if.or(g.garp_extra_if),
    };
    inst.down_timer_adverts = w.down_timer_adverts.unwrap_or(g.down_timer_adverts);
    inst.lower_prio_no_advert = w.lower_prio_no_advert.or(g.lower_prio_no_advert).unwrap_or(inst.strict);
    inst.higher_prio_send_advert = w.higher_prio_send_advert.unwrap_or(g.higher_prio_send_advert);
    inst.skip_check_adv_addr = w.skip_check_adv_addr.unwrap_or(g.skip_check_adv_addr);
    inst.v3_checksum_as_v2 = w.v3_checksum_as_v2.unwrap_or(g.v3_checksum_as_v2);
    inst.check_unicast_src = w.check_unicast_src || g.check_unicast_src;
    inst.mcast_dst_ip = match w.mcast_dst_ip {
        Some(a) if a.is_ipv6() == inst.ipv6 => a,
        _ if inst.ipv6 => IpAddr::V6(g.mcast_group6),
        _ => IpAddr::V4(g.mcast_group4),
    };
}

/// Completes one instance as upstream does, with its messages. Returns false
/// when upstream stops checking the configuration.
fn complete(inst: &mut VrrpInstance, g: &VrrpGlobals, ctx: &mut Ctx) -> bool {
    resolve(inst, g);
    let name = inst.name.clone();
    // Upstream's minimum configuration: without it keepalived stops checking
    // the configuration (`-t` exits 5) and cannot run it (its VRRP process
    // exits with a configuration error, keepalived with status 2).
    if inst.vrid == 0 {
        global(ctx, Severity::Fatal, Class::Missing, format!("({name}) the virtual router id must be set"));
        return false;
    }
    if inst.interface.is_none() && inst.unicast_peers.is_empty() {
        global(ctx, Severity::Fatal, Class::Missing, format!("({name}) Unknown interface!"));
        return false;
    }
    if inst.vips.is_empty() && !inst.no_virtual_ipaddress {
        // VRRPv3 requires at least one address (RFC 5798 section 5.2.6).
        if inst.version == 3 || inst.strict {
            global(
                ctx,
                Severity::Error,
                Class::Missing,
                format!("({name}) No VIP specified; at least one is required"),
            );
            return false;
        }
        // Upstream prints this one twice.
        for _ in 0..2 {
            global(
                ctx,
                Severity::Warning,
                Class::Missing,
                format!("({name}) No VIP specified; at least one is sensible"),
            );
        }
    }
    if inst.unicast_ttl.is_some() && inst.unicast_peers.is_empty() {
        global(
            ctx,
            Severity::Error,
            Class::Conflict,
            format!("({name}): Cannot use unicast_ttl without unicast peers - resetting"),
        );
        inst.unicast_ttl = None;
    }
    if inst.written.unicast_keyword && inst.unicast_peers.is_empty() && !inst.unicast_fault_no_peer {
        global(
            ctx,
            Severity::Warning,
            Class::Deprecated,
            format!(
                "({name}) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration."
            ),
        );
    }
    if inst.strict {
        if inst.state == InitialState::Master && !inst.is_address_owner() {
            global(
                ctx,
                Severity::Error,
                Class::Conflict,
                format!("({name}) State MASTER must match being address owner"),
            );
            inst.state = InitialState::Backup;
        }
        if inst.auth.take().is_some() {
            global(
                ctx,
                Severity::Error,
                Class::Conflict,
                format!("({name}) Strict mode does not support authentication. Ignoring."),
            );
        }
        if inst.version == 2 && inst.written.accept == Some(true) {
            global(
                ctx,
                Severity::Error,
                Class::Conflict,
                format!("({name}) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting"),
            );
            inst.accept = false;
        }
    }
    if matches!(inst.auth, Some(Auth::Ah(_))) && inst.state == InitialState::Master && !inst.is_address_owner() {
        global(
            ctx,
            Severity::Error,
            Class::Conflict,
            format!("({name}) Initial state master is incompatible with AH authentication - clearing"),
        );
        inst.state = InitialState::Backup;
    }
    if inst.state == InitialState::Master {
        if inst.nopreempt {
            global(
                ctx,
                Severity::Error,
                Class::Conflict,
                format!("({name}) Warning - nopreempt will not work with initial state MASTER - clearing"),
            );
            inst.nopreempt = false;
        }
        if !inst.preempt_delay.is_zero() {
            global(
                ctx,
                Severity::Error,
                Class::Conflict,
                format!("({name}) Warning - preempt delay will not work with initial state MASTER - clearing"),
            );
            inst.preempt_delay = Duration::ZERO;
        }
    }
    if inst.nopreempt && !inst.preempt_delay.is_zero() {
        global(
            ctx,
            Severity::Error,
            Class::Conflict,
            format!("({name}) preempt_delay is incompatible with nopreempt mode - resetting"),
        );
        inst.preempt_delay = Duration::ZERO;
    }
    if inst.version == 3 && inst.auth.take().is_some() {
        global(
            ctx,
            Severity::Error,
            Class::Conflict,
            format!("({name}) VRRP version 3 does not support authentication. Ignoring."),
        );
    }
    if inst.auth.is_some() && inst.auth_hmac.is_some() {
        global(
            ctx,
            Severity::Error,
            Class::Conflict,
            format!("({name}) authentication and auth_hmac are mutually exclusive - ignoring authentication"),
        );
        inst.auth = None;
    }
    advert_interval(inst, ctx);
    if inst.use_vmac_addr {
        for a in inst.vips.iter().chain(&inst.evips).filter(|a| a.use_vmac) {
            global(
                ctx,
                Severity::Warning,
                Class::Conflict,
                format!("({name}) use_vmac_addr specified and use_vmac specified for VIP/eVIP {}", a.text),
            );
        }
    }
    if inst.promote_secondaries && (inst.use_vmac.is_some() || inst.use_ipvlan.is_some()) {
        // keepalived sets it on every VMAC anyway.
        global(
            ctx,
            Severity::Error,
            Class::Conflict,
            format!("({name}) promote_secondaries is automatically set for vmacs - ignoring"),
        );
        inst.promote_secondaries = false;
    }
    if let Some(h) = &mut inst.auth_hmac {
        if h.keys.is_empty() {
            global(
                ctx,
                Severity::Error,
                Class::Missing,
                format!("({name}) auth_hmac has no keys - ignoring auth_hmac"),
            );
            inst.auth_hmac = None;
        } else {
            if h.active_key == 0 {
                h.active_key = h.keys.first().map(|k| k.id).unwrap_or(1);
            } else if !h.keys.iter().any(|k| k.id == h.active_key) {
                global(
                    ctx,
                    Severity::Error,
                    Class::Reference,
                    format!(
                        "({name}) auth_hmac active_key {} is not defined - using key {}",
                        h.active_key,
                        h.keys.first().map(|k| k.id).unwrap_or(1)
                    ),
                );
                h.active_key = h.keys.first().map(|k| k.id).unwrap_or(1);
            }
            if h.time_window.is_zero() {
                h.time_window = (inst.advert_interval * 3).max(Duration::from_secs(5));
            }
        }
    }
    true
}

/// RFC 3768 section 5.3.7: v2 adverts carry whole seconds; RFC 5798 section
/// 5.2.7: v3 adverts carry centiseconds in 12 bits (at most 40.95 s).
fn advert_interval(inst: &mut VrrpInstance, ctx: &mut Ctx) {
    let name = inst.name.clone();
    let us = inst.advert_interval.as_micros() as u64;
    if inst.version == 2 {
        if us % 1_000_000 != 0 {
            global(
                ctx,
                Severity::Error,
                Class::BadValue,
                format!("({name}) VRRPv2 advertisement interval {:.6}s must be an integer. rounding", us as f64 / 1e6),
            );
            let secs = ((us + 500_000) / 1_000_000).max(1);
            inst.advert_interval = Duration::from_secs(secs);
        }
    } else if us > 40_950_000 {
        global(
            ctx,
            Severity::Error,
            Class::BadValue,
            format!(
                "({name}) VRRPv3 advertisement interval {:.2}s is out of range. Must be less than 40.96s. Setting to 40.95s",
                us as f64 / 1e6
            ),
        );
        inst.advert_interval = Duration::from_millis(40_950);
    } else if us % 10_000 != 0 {
        global(
            ctx,
            Severity::Error,
            Class::BadValue,
            format!(
                "({name}) VRRPv3 advertisement interval {:.6}s must be in units of 10ms - rounding",
                us as f64 / 1e6
            ),
        );
        let cs = ((us + 5_000) / 10_000).max(1);
        inst.advert_interval = Duration::from_millis(cs * 10);
    }
}
