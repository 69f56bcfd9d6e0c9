//! The LVS/checker keywords of global_defs. The IPVS ones act (the
//! checker process programs the table, the sync daemon and timeouts), so do
//! `lvs_notify_fifo`, `checker_log_all_failures` and the checker process's
//! name and scheduling (set by the child as it starts and reloads), and its
//! netlink buffers (the address watch of `ha_suspend`); those of checker
//! e-mails and nftables are marked `not_yet`.

use super::bool_arg;
use super::value::{num, timer};
use crate::config::ast::Stmt;
use crate::config::build::{Ctx, Keyword};
use crate::config::model::Config;
use crate::config::model::lvs::{Fifo, FlushOnStop, SyncDaemon};

/// Keywords of `global_defs` that belong to this part (stored in this part's model).
pub const GLOBAL_DEFS: &[Keyword<Config>] = &[
    Keyword::new("checker_process_name", |c, s, ctx| {
        if let Some(w) = ctx.arg(s, 0) {
            c.lvs.globals.checker_process_name = Some(w.text.clone());
        }
    }),
    Keyword::not_yet("smtp_alert_checker", |c, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "smtp_alert_checker value") {
            c.lvs.globals.smtp_alert_checker = Some(b);
        }
    }),
    Keyword::new("checker_log_all_failures", |c, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "checker_log_all_failures value") {
            c.lvs.globals.checker_log_all_failures = b;
        }
    }),
    Keyword::new("lvs_sync_daemon", sync_daemon),
    Keyword::new("lvs_timeouts", timeouts),
    Keyword::new("lvs_flush", |c, _, _| c.lvs.globals.flush = true),
    Keyword::new("lvs_flush_on_stop", |c, s, ctx| {
        c.lvs.globals.flush_on_stop = match s.arg(0).map(|w| w.text.as_str()) {
            None => FlushOnStop::Full,
            Some("VS") => FlushOnStop::Vs,
            Some(x) => {
                ctx.error(s.args_span(), format!("lvs_flush_on_stop option {x} unknown - ignoring"));
                return;
            }
        }
    }),
    Keyword::not_yet("nftables_ipvs", |c, s, _| {
        c.lvs.globals.nftables_ipvs = Some(s.arg(0).map(|w| w.text.clone()).unwrap_or_default());
    }),
    Keyword::not_yet("nftables_ipvs_priority", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, i32::MIN as i64, i32::MAX as i64) {
            Some(p) => c.lvs.globals.nftables_ipvs_priority = Some(p as i32),
            None => ctx.error(w.span, format!("invalid ipvs nftables priority '{}'", w.text)),
        }
    }),
    Keyword::not_yet("nftables_ipvs_start_fwmark", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 1, u32::MAX as i64) {
            Some(m) => c.lvs.globals.nftables_ipvs_start_fwmark = m as u32,
            None => ctx.error(w.span, format!("invalid ipvs nftables start_fwmark priority '{}'", w.text)),
        }
    }),
    Keyword::new("checker_priority", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, -20, 19) {
            Some(p) => c.lvs.globals.checker_priority = Some(p as i32),
            None => ctx.error(w.span, "Invalid checker process priority specified"),
        }
    }),
    Keyword::new("checker_no_swap", |c, _, _| c.lvs.globals.checker_no_swap = true),
    Keyword::new("checker_cpu_affinity", |c, s, ctx| {
        ctx.arg(s, 0);
        let mut cpus = Vec::new();
        for w in &s.args {
            match w.text.parse::<u32>() {
                Ok(n) => cpus.push(n),
                Err(_) => {
                    ctx.error(w.span, format!("Invalid cpu in checker_cpu_affinity '{}'", w.text));
                    return;
                }
            }
        }
        c.lvs.globals.checker_cpu_affinity = cpus;
    }),
    Keyword::new("checker_rt_priority", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        let Some(p) = num(ctx, w, i32::MIN as i64, i32::MAX as i64) else { return };
        let p = if p < 1 {
            ctx.error(
                w.span,
                format!("checker process real-time priority {p} less than minimum 1 - setting to minimum"),
            );
            1
        } else if p > 99 {
            ctx.error(
                w.span,
                format!("checker process real-time priority {p} more than maximum 99 - setting to maximum"),
            );
            99
        } else {
            p
        };
        c.lvs.globals.checker_rt_priority = Some(p as u32);
    }),
    Keyword::new("checker_rlimit_rttime", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        match num(ctx, w, 1, i64::MAX) {
            Some(v) => c.lvs.globals.checker_rlimit_rttime = Some(v as u64),
            None => ctx.error(w.span, "Invalid checker_rlimit_rttime specified"),
        }
    }),
    Keyword::not_yet("snmp_vs_stats_update_interval", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        if let Some(d) = timer(ctx, w, 1000, 30_000_000) {
            c.lvs.globals.snmp_vs_stats_update_interval = d;
        }
    }),
    Keyword::not_yet("snmp_rs_stats_update_interval", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        if let Some(d) = timer(ctx, w, 1000, 30_000_000) {
            c.lvs.globals.snmp_rs_stats_update_interval = d;
        }
    }),
    Keyword::new("lvs_notify_fifo", |c, s, ctx| {
        let Some(w) = ctx.arg(s, 0) else { return };
        c.lvs.globals.notify_fifo = Some(Fifo {
            path: w.text.clone(),
            user: s.arg(1).map(|w| w.text.clone()),
            group: s.arg(2).map(|w| w.text.clone()),
        });
    }),
    Keyword::new("lvs_notify_fifo_script", |c, s, ctx| {
        if let Some(sc) = ctx.script_with_user(s) {
            c.lvs.globals.notify_fifo_script = Some(sc);
        }
    }),
    Keyword::new("lvs_netlink_cmd_rcv_bufs", |c, s, ctx| {
        c.lvs.globals.netlink_cmd_rcv_bufs = bufs(s, ctx).or(c.lvs.globals.netlink_cmd_rcv_bufs);
    }),
    Keyword::new("lvs_netlink_cmd_rcv_bufs_force", |c, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "lvs_netlink_cmd_rcv_bufs_force value") {
            c.lvs.globals.netlink_cmd_rcv_bufs_force = b;
        }
    }),
    Keyword::new("lvs_netlink_monitor_rcv_bufs", |c, s, ctx| {
        c.lvs.globals.netlink_monitor_rcv_bufs = bufs(s, ctx).or(c.lvs.globals.netlink_monitor_rcv_bufs);
    }),
    Keyword::new("lvs_netlink_monitor_rcv_bufs_force", |c, s, ctx| {
        if let Some(b) = bool_arg(s, ctx, "lvs_netlink_monitor_rcv_bufs_force value") {
            c.lvs.globals.netlink_monitor_rcv_bufs_force = b;
        }
    }),
    Keyword::new("rs_init_notifies", |c, _, _| c.lvs.globals.rs_init_notifies = true),
    Keyword::not_yet("no_checker_emails", |c, _, _| c.lvs.globals.no_checker_emails = true),
];

fn bufs(s: &Stmt, ctx: &mut Ctx) -> Option<u32> {
    let w = ctx.arg(s, 0)?;
    let v = num(ctx, w, 1, u32::MAX as i64);
    if v.is_none() {
        ctx.error(w.span, format!("Invalid {} size '{}'", s.keyword.text, w.text));
    }
    v.map(|v| v as u32)
}

/// `lvs_timeouts [tcp SECS] [tcpfin SECS] [udp SECS]`.
fn timeouts(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    if s.args.is_empty() {
        ctx.error(s.span(), "No arguments for lvs_timeouts");
        return;
    }
    let t = &mut c.lvs.globals.timeouts;
    let mut i = 0;
    while let Some(k) = s.arg(i) {
        let Some(v) = s.arg(i + 1) else {
            ctx.error(k.span, format!("No value specified for lvs_timeout {}", k.text));
            return;
        };
        let slot = match k.text.as_str() {
            "tcp" => &mut t.tcp,
            "tcpfin" => &mut t.tcpfin,
            "udp" => &mut t.udp,
            x => {
                ctx.error(k.span, format!("Unknown option {x} specified for lvs_timeouts"));
                return;
            }
        };
        match num(ctx, v, 1, 86400 * 31) {
            Some(n) => *slot = Some(n as u32),
            None => ctx.error(v.span, format!("Invalid lvs_timeout {} ({}) - ignoring", k.text, v.text)),
        }
        i += 2;
    }
}

/// `lvs_sync_daemon IF [[inst] VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR]`.
fn sync_daemon(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    let Some(ifname) = ctx.arg(s, 0) else { return };
    let mut d = SyncDaemon { interface: ifname.text.clone(), span: s.span(), ..SyncDaemon::default() };
    let mut i = 1;
    while let Some(k) = s.arg(i) {
        let v = s.arg(i + 1);
        let need = |ctx: &mut Ctx| {
            if v.is_none() {
                ctx.error(k.span, format!("lvs_sync_daemon {} requires a value", k.text));
            }
            v
        };
        match k.text.as_str() {
            "inst" => {
                let Some(v) = need(ctx) else { return };
                d.instance = Some(v.text.clone());
            }
            "id" => {
                let Some(v) = need(ctx) else { return };
                match num(ctx, v, 0, 255) {
                    Some(n) => d.syncid = Some(n as u8),
                    None => ctx.error(v.span, format!("Invalid syncid ({}) - defaulting to vrid", v.text)),
                }
            }
            "maxlen" => {
                let Some(v) = need(ctx) else { return };
                match num(ctx, v, 1, 65535 - 20 - 8) {
                    Some(n) => d.maxlen = Some(n as u16),
                    None => ctx.error(v.span, format!("Invalid lvs_sync_daemon maxlen ({}) - ignoring", v.text)),
                }
            }
            "port" => {
                let Some(v) = need(ctx) else { return };
                match num(ctx, v, 1, 65535) {
                    Some(n) => d.port = Some(n as u16),
                    None => ctx.error(v.span, format!("Invalid lvs_sync_daemon port ({}) - ignoring", v.text)),
                }
            }
            "ttl" => {
                let Some(v) = need(ctx) else { return };
                match num(ctx, v, 1, 255) {
                    Some(n) => d.ttl = Some(n as u8),
                    None => ctx.error(v.span, format!("Invalid lvs_sync_daemon ttl ({}) - ignoring", v.text)),
                }
            }
            "group" => {
                let Some(v) = need(ctx) else { return };
                match v.text.parse() {
                    Ok(a) => d.group = Some(a),
                    Err(_) => ctx.error(v.span, format!("Invalid lvs_sync_daemon group ({}) - ignoring", v.text)),
                }
            }
            name if i == 1 && d.instance.is_none() => {
                d.instance = Some(name.to_owned());
                i += 1;
                continue;
            }
            x => {
                ctx.error(k.span, format!("Unknown option {x} specified for lvs_sync_daemon"));
                return;
            }
        }
        i += 2;
    }
    c.lvs.globals.sync_daemon = Some(d);
}
