//! The vrrp keywords of global_defs.

use std::net::IpAddr;
use std::time::Duration;

use crate::config::ast::Stmt;
use crate::config::build::{Ctx, Keyword};
use crate::config::model::Config;
use crate::config::model::vrrp::GarpExtraIf;

use super::{opt_bool, read_decimal, read_int, value};

/// `vrrp_garp_extra_if [all] SECS` (also used by instances).
pub(crate) fn garp_extra_if(ctx: &mut Ctx, st: &Stmt, who: &str) -> Option<Option<GarpExtraIf>> {
    let mut all = false;
    let mut secs = None;
    for w in &st.args {
        if w.text == "all" {
            all = true;
        } else {
            secs = Some(w);
        }
    }
    let Some(w) = secs else {
        ctx.error(st.span(), format!("{who}{} requires a value", st.keyword.text));
        return None;
    };
    if w.text == "0" {
        return Some(None);
    }
    match read_int(ctx, w, 1, 86400) {
        Some(n) => Some(Some(GarpExtraIf { interval: std::time::Duration::from_secs(n as u64), all })),
        None => {
            ctx.error(w.span, format!("{who}{} '{}' invalid - ignoring", st.keyword.text, w.text));
            None
        }
    }
}

const IPTABLES_NOT_SUPPORTED: &str = "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option";

/// Upstream's longest delay in seconds (a 32-bit count of microseconds).
const MAX_DELAY: f64 = 4294.967295;

/// `vrrp_garp_master_delay` and the like: whole seconds up to 4294.
pub(crate) fn garp_delay(ctx: &mut Ctx, st: &Stmt, who: &str) -> Option<Duration> {
    let w = value(ctx, st)?;
    match read_int(ctx, w, 0, 4294) {
        Some(n) => Some(Duration::from_secs(n as u64)),
        None => {
            ctx.error(w.span, format!("{who}{} '{}' invalid - ignoring", st.keyword.text, w.text));
            None
        }
    }
}

/// A decimal delay up to 4294.967295 s with upstream's "is invalid" message.
fn small_delay(ctx: &mut Ctx, st: &Stmt, min: f64) -> Option<Duration> {
    let w = value(ctx, st)?;
    // 0 (the default) is refused: keepalived 2.2.7's range starts at 1 us
    // (2.4 takes 0), and `-t` agrees with 2.2.7 wherever it flags a file.
    match read_decimal(ctx, w, if min == 0.0 { 0.000001 } else { min }, MAX_DELAY) {
        Some(d) => Some(d),
        None => {
            ctx.error(w.span, format!("{} '{}' is invalid", st.keyword.text, w.text));
            None
        }
    }
}

fn mcast(c: &mut Config, st: &Stmt, ctx: &mut Ctx, v6: bool) {
    let Some(w) = value(ctx, st) else { return };
    match w.text.parse::<IpAddr>() {
        Ok(IpAddr::V4(a)) if !v6 && a.is_multicast() => c.vrrp.globals.mcast_group4 = a,
        Ok(IpAddr::V6(a)) if v6 && a.is_multicast() => c.vrrp.globals.mcast_group6 = a,
        _ => ctx.error(w.span, format!("{} [{}] is not multicast. Skipping", st.keyword.text, w.text)),
    }
}

fn u32_opt(ctx: &mut Ctx, st: &Stmt, min: i64, max: i64) -> Option<u32> {
    value(ctx, st).and_then(|w| read_int(ctx, w, min, max)).map(|n| n as u32)
}

/// Keywords of `global_defs` that belong to the vrrp part.
pub(super) const GLOBAL_DEFS: &[Keyword<Config>] = &[
    Keyword::new("vrrp_version", |c, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match super::read_signed(ctx, w, 2, 3) {
            Some(n) => c.vrrp.globals.version = n as u8,
            None => ctx.error(w.span, "VRRP Error: Version must be either 2 or 3"),
        }
    }),
    Keyword::new("vrrp_strict", |c, _, _| c.vrrp.globals.strict = true),
    Keyword::new("vrrp_mcast_group4", |c, st, ctx| mcast(c, st, ctx, false)),
    Keyword::new("vrrp_mcast_group6", |c, st, ctx| mcast(c, st, ctx, true)),
    Keyword::new("default_interface", |c, st, ctx| {
        if let Some(w) = value(ctx, st) {
            c.vrrp.globals.default_interface = w.text.clone();
        }
    }),
    Keyword::new("vrrp_garp_master_delay", |c, st, ctx| {
        if let Some(d) = garp_delay(ctx, st, "") {
            c.vrrp.globals.garp_master_delay = d;
        }
    }),
    Keyword::new("vrrp_garp_master_repeat", |c, st, ctx| {
        if let Some(n) = u32_opt(ctx, st, 0, i64::from(u32::MAX)) {
            if n == 0 {
                ctx.error(st.span(), "vrrp_garp_master_repeat must be greater than 0, setting to 1");
            }
            c.vrrp.globals.garp_master_repeat = n.max(1);
        }
    }),
    Keyword::new("vrrp_garp_lower_prio_delay", |c, st, ctx| {
        if let Some(d) = garp_delay(ctx, st, "") {
            c.vrrp.globals.garp_lower_prio_delay = d;
            c.vrrp.globals_written.garp_lower_prio_delay = true;
        }
    }),
    Keyword::new("vrrp_garp_lower_prio_repeat", |c, st, ctx| {
        if let Some(n) = u32_opt(ctx, st, 0, i64::from(u32::MAX)) {
            c.vrrp.globals.garp_lower_prio_repeat = n;
            c.vrrp.globals_written.garp_lower_prio_repeat = true;
        }
    }),
    Keyword::new("vrrp_garp_master_refresh", |c, st, ctx| {
        if let Some(n) = value(ctx, st).and_then(|w| read_int(ctx, w, 0, i64::from(u32::MAX))) {
            c.vrrp.globals.garp_master_refresh = (n != 0).then(|| Duration::from_secs(n as u64));
        }
    }),
    Keyword::new("vrrp_garp_master_refresh_repeat", |c, st, ctx| {
        if let Some(n) = u32_opt(ctx, st, 0, i64::from(u32::MAX)) {
            if n == 0 {
                ctx.error(st.span(), "vrrp_garp_master_refresh_repeat must be greater than 0, setting to 1");
            }
            c.vrrp.globals.garp_master_refresh_repeat = n.max(1);
        }
    }),
    Keyword::new("vrrp_garp_interval", |c, st, ctx| {
        if let Some(d) = small_delay(ctx, st, 0.0) {
            c.vrrp.globals.garp_interval = d;
        }
    }),
    Keyword::new("vrrp_gna_interval", |c, st, ctx| {
        if let Some(d) = small_delay(ctx, st, 0.0) {
            c.vrrp.globals.gna_interval = d;
        }
    }),
    Keyword::new("vrrp_min_garp", |c, st, ctx| {
        if let Some(b) = opt_bool(ctx, st) {
            let g = &mut c.vrrp.globals;
            g.min_garp = b;
            // One GARP/NA and no second burst: new defaults for every instance.
            if b {
                g.garp_master_repeat = 1;
                g.garp_master_delay = std::time::Duration::ZERO;
            }
        }
    }),
    Keyword::new("vrrp_garp_extra_if", |c, st, ctx| {
        if let Some(v) = garp_extra_if(ctx, st, "") {
            c.vrrp.globals.garp_extra_if = v;
        }
    }),
    Keyword::new("vrrp_down_timer_adverts", |c, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 1, 100) {
            Some(n) => c.vrrp.globals.down_timer_adverts = n as u32,
            None => ctx.error(w.span, format!("Invalid vrrp_down_timer_adverts [1:100] '{}'", w.text)),
        }
    }),
    Keyword::new("vrrp_lower_prio_no_advert", |c, st, ctx| {
        if let Some(b) = opt_bool(ctx, st) {
            c.vrrp.globals.lower_prio_no_advert = Some(b);
        }
    }),
    Keyword::new("vrrp_higher_prio_send_advert", |c, st, ctx| {
        if let Some(b) = opt_bool(ctx, st) {
            c.vrrp.globals.higher_prio_send_advert = b;
        }
    }),
    Keyword::new("v3_checksum_as_v2", |c, st, ctx| {
        if let Some(b) = opt_bool(ctx, st) {
            c.vrrp.globals.v3_checksum_as_v2 = b;
        }
    }),
    // Debian builds keepalived with nftables only, and so does keepalived-rs.
    Keyword::new("vrrp_iptables", |c, st, ctx| {
        let mut a = st.args.iter().map(|w| w.text.clone());
        c.vrrp.globals.iptables = Some((a.next().unwrap_or_else(|| "keepalived".into()), a.next()));
        ctx.warn(st.span(), IPTABLES_NOT_SUPPORTED);
        c.vrrp.globals.nftables.get_or_insert_with(|| "keepalived".into());
    }),
    // vrrp_ipsets: Debian's keepalived 2.2.7 (built with nftables only) does
    // not know it: "Unknown keyword 'vrrp_ipsets'", as here.
    Keyword::new("vrrp_nftables", |c, st, _| {
        c.vrrp.globals.nftables = Some(st.arg(0).map(|w| w.text.clone()).unwrap_or_else(|| "keepalived".into()));
    }),
    Keyword::new("vrrp_check_unicast_src", |c, _, _| c.vrrp.globals.check_unicast_src = true),
    // Upstream ignores any argument.
    Keyword::new("vrrp_skip_check_adv_addr", |c, _, _| c.vrrp.globals.skip_check_adv_addr = true),
    Keyword::new("vrrp_notify_priority_changes", |c, st, ctx| {
        if let Some(b) = opt_bool(ctx, st) {
            c.vrrp.globals.notify_priority_changes = b;
        }
    }),
    Keyword::new("vrrp_priority", |c, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, -20, 19) {
            Some(n) => c.vrrp.globals.priority = Some(n as i32),
            None => ctx.error(w.span, "Invalid vrrp process priority specified"),
        }
    }),
    Keyword::new("vrrp_no_swap", |c, _, _| c.vrrp.globals.no_swap = true),
    Keyword::new("vrrp_cpu_affinity", |c, st, ctx| {
        for w in &st.args {
            if let Some(n) = read_int(ctx, w, 0, 4095) {
                c.vrrp.globals.cpu_affinity.push(n as u32);
            }
        }
    }),
    Keyword::new("vrrp_rt_priority", |c, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match w.text.parse::<i64>() {
            Ok(n) if n > 99 => {
                ctx.error(
                    w.span,
                    format!("vrrp process real-time priority {n} greater than maximum 99 - setting to maximum"),
                );
                c.vrrp.globals.rt_priority = Some(99);
            }
            _ => {
                if let Some(n) = read_int(ctx, w, 1, 99) {
                    c.vrrp.globals.rt_priority = Some(n as u32);
                }
            }
        }
    }),
    Keyword::new("vrrp_rlimit_rttime", |c, st, ctx| {
        if let Some(n) = value(ctx, st).and_then(|w| read_int(ctx, w, 1, i64::from(u32::MAX))) {
            c.vrrp.globals.rlimit_rttime = Some(n as u64);
        }
    }),
    Keyword::new("vrrp_process_name", |c, st, ctx| {
        if let Some(w) = value(ctx, st) {
            c.vrrp.globals.process_name = Some(w.text.clone());
        }
    }),
    Keyword::new("vrrp_notify_fifo", |c, st, ctx| c.vrrp.globals.notify_fifo = ctx.script_with_user(st)),
    Keyword::new("vrrp_notify_fifo_script", |c, st, ctx| c.vrrp.globals.notify_fifo_script = ctx.script_with_user(st)),
    Keyword::new("dynamic_interfaces", |c, st, ctx| match st.arg(0) {
        None => c.vrrp.globals.dynamic_interfaces = Some(false),
        Some(w) if w.text == "allow_if_changes" => c.vrrp.globals.dynamic_interfaces = Some(true),
        Some(w) => ctx.error(w.span, format!("Unknown dynamic_interfaces option '{}'", w.text)),
    }),
    Keyword::new("vrrp_netlink_cmd_rcv_bufs", |c, st, ctx| {
        c.vrrp.globals.netlink_cmd_rcv_bufs = u32_opt(ctx, st, 0, i64::from(u32::MAX))
    }),
    Keyword::new("vrrp_netlink_cmd_rcv_bufs_force", |c, st, ctx| {
        c.vrrp.globals.netlink_cmd_rcv_bufs_force = opt_bool(ctx, st).unwrap_or(false)
    }),
    Keyword::new("vrrp_netlink_monitor_rcv_bufs", |c, st, ctx| {
        c.vrrp.globals.netlink_monitor_rcv_bufs = u32_opt(ctx, st, 0, i64::from(u32::MAX))
    }),
    Keyword::new("vrrp_netlink_monitor_rcv_bufs_force", |c, st, ctx| {
        c.vrrp.globals.netlink_monitor_rcv_bufs_force = opt_bool(ctx, st).unwrap_or(false)
    }),
    Keyword::new("vrrp_rx_bufs_policy", |c, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        let t = w.text.to_ascii_uppercase();
        if t == "MTU" || t == "ADVERT" {
            c.vrrp.globals.rx_bufs_policy = Some(t);
        } else if read_int(ctx, w, 1, i64::from(u32::MAX)).is_some() {
            c.vrrp.globals.rx_bufs_policy = Some(w.text.clone());
        } else {
            ctx.error(w.span, format!("Invalid vrrp_rx_bufs_policy {}", w.text));
        }
    }),
    Keyword::new("vrrp_rx_bufs_multiplier", |c, st, ctx| {
        let Some(w) = value(ctx, st) else { return };
        match read_int(ctx, w, 1, i64::from(u32::MAX)) {
            Some(n) => c.vrrp.globals.rx_bufs_multiplier = n as u32,
            None => ctx.error(w.span, format!("Invalid vrrp_rx_bufs_multiplier {}", w.text)),
        }
    }),
    Keyword::new("vrrp_startup_delay", |c, st, ctx| c.vrrp.globals.startup_delay = small_delay(ctx, st, 0.001)),
    Keyword::new("vrrp_delay_after_boot", |c, st, ctx| c.vrrp.globals.delay_after_boot = small_delay(ctx, st, 0.001)),
    Keyword::new("log_unknown_vrids", |c, _, _| c.vrrp.globals.log_unknown_vrids = true),
    Keyword::new("vmac_prefix", |c, st, ctx| c.vrrp.globals.vmac_prefix = value(ctx, st).map(|w| w.text.clone())),
    Keyword::new("vmac_addr_prefix", |c, st, ctx| {
        c.vrrp.globals.vmac_addr_prefix = value(ctx, st).map(|w| w.text.clone())
    }),
    Keyword::new("max_auto_priority", |c, st, ctx| match st.arg(0) {
        None => c.vrrp.globals.max_auto_priority = Some(99),
        Some(w) => match read_int(ctx, w, -1, 99) {
            Some(n) => c.vrrp.globals.max_auto_priority = Some(n as i32),
            None => ctx.error(
                w.span,
                format!("max_auto_priority '{}' must be in [0, 99] (or -1 to disable) - ignoring", w.text),
            ),
        },
    }),
    Keyword::new("min_auto_priority_delay", |c, st, ctx| {
        if let Some(n) = value(ctx, st).and_then(|w| read_int(ctx, w, 1, i64::from(u32::MAX))) {
            c.vrrp.globals.min_auto_priority_delay = Some(n as u64);
        }
    }),
];
