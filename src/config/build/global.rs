//! Keyword tables and handlers for global_defs and the top-level global blocks.
//!
//! Messages keep upstream's wording (typos included, e.g. "smtp_conect_timeout",
//! "date_use_instance", so that admins grepping for them find them). Where
//! upstream reports a problem with `report_config_error` (which counts for the
//! `-t` exit status) we push an Error; where upstream only logs, a Note.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use crate::config::ast::{Span, Stmt};
use crate::config::error::{Class, Diagnostic, Severity};
use crate::config::model::Config;
use crate::config::model::global::{
    Fifo, GlobalConfig, LinkbeatInterface, LinkbeatType, PROCESS_NAME_MAX, ProcessSched, ReloadFile, ScriptUser,
    SmtpHost, SmtpServer, TrackGroup, UpDownDelay,
};
use crate::config::model::ipcfg::Origin;
use crate::config::validate::SystemView;

use super::{Ctx, Keyword, Spanned, ipcfg, parse_bool, parse_timer};

/// Top-level keywords handled here.
pub const TOP: &[Keyword<Config>] = &[
    Keyword::new("global_defs", global_defs),
    Keyword::not_yet("net_namespace", |c, s, ctx| {
        let Some(w) = s.arg(0) else {
            return missing(ctx, s, "net_namespace name missing - ignoring");
        };
        if c.global.net_namespace.is_some() {
            return ctx.error(w.span, format!("Duplicate net_namespace definition {} - ignoring", w.text));
        }
        c.global.net_namespace = Some(Spanned::new(w.text.clone(), w.span));
        c.global.use_pid_dir = true;
    }),
    Keyword::not_yet("net_namespace_ipvs", |c, s, ctx| {
        if c.global.net_namespace_ipvs.is_some() {
            let name = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
            return ctx.error(s.span(), format!("Duplicate net_namespace_ipvs definition {name} - ignoring"));
        }
        let v = match s.arg(0) {
            Some(w) => Spanned::new(w.text.clone(), w.span),
            None => Spanned::new(String::new(), s.span()),
        };
        c.global.net_namespace_ipvs = Some(v);
    }),
    Keyword::not_yet("namespace_with_ipsets", |c, _, _| c.global.namespace_with_ipsets = true),
    Keyword::new("instance", |c, s, ctx| {
        let Some(w) = s.arg(0) else {
            return missing(ctx, s, "instance name missing - ignoring");
        };
        if c.global.instance.is_some() {
            return ctx.error(w.span, format!("Duplicate instance definition {} - ignoring", w.text));
        }
        c.global.instance = Some(Spanned::new(w.text.clone(), w.span));
        c.global.use_pid_dir = true;
    }),
    Keyword::new("use_pid_dir", |c, _, _| c.global.use_pid_dir = true),
    Keyword::not_yet("linkbeat_use_polling", |c, _, _| c.global.linkbeat_use_polling = true),
    Keyword::not_yet("child_wait_time", |c, s, ctx| {
        if let Some(v) = uint(ctx, s, 0, 0, u64::from(u32::MAX), |t| format!("Invalid child_wait_time {t}")) {
            c.global.child_wait_time = Duration::from_secs(v);
        }
    }),
    Keyword::not_yet("linkbeat_interfaces", linkbeat_interfaces),
    Keyword::not_yet("interface_up_down_delays", interface_up_down_delays),
    Keyword::not_yet("track_group", track_group),
    Keyword::not_yet("static_ipaddress", |c, s, ctx| {
        for line in s.children() {
            if let Some(mut a) = ipcfg::parse_address(line, Origin::Static, ctx) {
                known_track_group(&c.global, &mut a.track_group, ctx);
                c.global.static_ipaddress.push(a);
            }
        }
    }),
    Keyword::not_yet("static_routes", |c, s, ctx| {
        for line in s.children() {
            if let Some(mut r) = ipcfg::parse_route(line, Origin::Static, ctx) {
                // Static routes are tracked too (by their track group).
                if r.dev.is_none() && !r.no_track {
                    ctx.warn(
                        line.span(),
                        format!("Warning - cannot track route {} with no interface specified, not tracking", r.dst),
                    );
                    r.no_track = true;
                }
                known_track_group(&c.global, &mut r.track_group, ctx);
                c.global.static_routes.push(r);
            }
        }
    }),
    Keyword::not_yet("static_rules", |c, s, ctx| {
        for line in s.children() {
            if let Some(mut r) = ipcfg::parse_rule(line, Origin::Static, ctx) {
                known_track_group(&c.global, &mut r.track_group, ctx);
                // Only a rule bound to an interface can be tracked.
                if r.track_group.is_some() && r.iif.is_none() {
                    ctx.error(line.span(), "Static rule cannot have track_group if dev/iif not specified");
                    r.track_group = None;
                }
                c.global.static_rules.push(r);
            }
        }
    }),
];

/// Keywords of `global_defs` stored in the global model.
pub const GLOBAL_DEFS: &[Keyword<Config>] = &[
    // ---- files and directories ----
    Keyword::not_yet("tmp_config_directory", |c, s, ctx| {
        if c.global.tmp_config_directory.is_some() {
            return ctx.error(s.span(), "tmp_config_directory already specified - ignoring");
        }
        match s.arg(0) {
            Some(w) => c.global.tmp_config_directory = Some(Spanned::new(w.text.clone(), w.span)),
            None => missing(ctx, s, "tmp_config_directory missing directory name"),
        }
    }),
    Keyword::not_yet("config_save_dir", |c, s, ctx| {
        // Upstream creates the directory when reading the configuration; we
        // keep the model pure and leave that to the daemon.
        match s.arg(0) {
            Some(w) => c.global.config_save_dir = Some(Spanned::new(trim_slash(&w.text), w.span)),
            None => missing(ctx, s, "config_save_dir missing directory name"),
        }
    }),
    // ---- process names ----
    Keyword::new("process_names", |c, _, _| {
        let n = &mut c.global.process_names;
        n.parent = Some("keepalived".into());
        // The VRRP child's name lives with the other vrrp_* settings.
        c.vrrp.globals.process_name = Some("keepalived_vrrp".into());
        n.checker = Some("keepalived_ipvs".into());
        n.bfd = Some("keepalived_bfd".into());
    }),
    Keyword::new("process_name", |c, s, ctx| {
        if let Some(n) = process_name(ctx, s) {
            c.global.process_names.parent = Some(n);
        }
    }),
    Keyword::new("checker_process_name", |c, s, ctx| {
        if let Some(n) = process_name(ctx, s) {
            c.global.process_names.checker = Some(n);
        }
    }),
    Keyword::new("lvs_process_name", |c, s, ctx| {
        deprecated_note(ctx, s, "'lvs_process_name' is deprecated - please use 'checker_process_name'");
        if let Some(n) = process_name(ctx, s) {
            c.global.process_names.checker = Some(n);
        }
    }),
    Keyword::new("bfd_process_name", |c, s, ctx| {
        if let Some(n) = process_name(ctx, s) {
            c.global.process_names.bfd = Some(n);
        }
    }),
    // ---- scripts ----
    Keyword::not_yet("use_symlink_paths", |c, s, ctx| {
        if let Some(b) = bool_arg(ctx, s, |t| format!("Invalid value '{t}' for global use_symlink_paths specified")) {
            c.global.use_symlink_paths = b;
        }
    }),
    Keyword::not_yet("set_supplementary_groups", |c, _, _| c.global.set_supplementary_groups = true),
    Keyword::not_yet("startup_script", |c, s, ctx| start_stop_script(&mut c.global.startup_script, "startup", s, ctx)),
    Keyword::not_yet("startup_script_timeout", |c, s, ctx| {
        start_stop_timeout(&mut c.global.startup_script_timeout, "startup", s, ctx)
    }),
    Keyword::not_yet("shutdown_script", |c, s, ctx| {
        start_stop_script(&mut c.global.shutdown_script, "shutdown", s, ctx)
    }),
    Keyword::not_yet("shutdown_script_timeout", |c, s, ctx| {
        start_stop_timeout(&mut c.global.shutdown_script_timeout, "shutdown", s, ctx)
    }),
    Keyword::new("script_user", |c, s, ctx| {
        let Some(u) = s.arg(0) else {
            return missing(ctx, s, "No script username specified");
        };
        let (group, supplementary_groups) = match s.arg(1).map(|w| w.text.as_str()) {
            None => (None, false),
            Some(g) => match g.strip_prefix(':') {
                Some("") => (None, true),
                Some(g) => (Some(g.to_owned()), true),
                None => (Some(g.to_owned()), false),
            },
        };
        c.global.script_user = Some(ScriptUser { user: u.text.clone(), group, supplementary_groups, span: s.span() });
    }),
    Keyword::new("enable_script_security", |c, _, _| c.global.enable_script_security = true),
    // ---- email ----
    Keyword::not_yet("notification_email", |c, s, ctx| {
        let before = c.global.smtp.emails.len();
        for item in s.children() {
            for w in std::iter::once(&item.keyword).chain(item.args.iter()) {
                c.global.smtp.emails.push(Spanned::new(w.text.clone(), w.span));
            }
        }
        if c.global.smtp.emails.len() == before {
            ctx.error(s.span(), "Warning - empty notification_email block");
        }
    }),
    Keyword::not_yet("notification_email_from", |c, s, ctx| match s.arg(0) {
        Some(w) => c.global.smtp.email_from = Some(Spanned::new(w.text.clone(), w.span)),
        None => missing(ctx, s, "emailfrom missing - ignoring"),
    }),
    Keyword::not_yet("smtp_server", smtp_server),
    Keyword::not_yet("smtp_helo_name", |c, s, ctx| match s.arg(0) {
        Some(w) => c.global.smtp.helo_name = Some(w.text.clone()),
        // Upstream ignores it silently.
        None => info(ctx, s.span(), "smtp_helo_name missing - ignoring"),
    }),
    Keyword::not_yet("smtp_connect_timeout", |c, s, ctx| {
        // Upstream counts in microseconds in an unsigned int.
        let max = u64::from(u32::MAX) / 1_000_000;
        let Some(mut v) =
            uint(ctx, s, 0, 0, max, |t| format!("smtp_connect_timeout '{t}' must be in [0, {max}] - ignoring"))
        else {
            return;
        };
        if v == 0 {
            ctx.error(s.span(), "smtp_conect_timeout must be greater than 0, setting to 1");
            v = 1;
        }
        c.global.smtp.connect_timeout = Duration::from_secs(v);
    }),
    Keyword::not_yet("smtp_alert", |c, s, ctx| {
        if let Some(b) = bool_arg(ctx, s, |t| format!("Invalid value '{t}' for global smtp_alert specified")) {
            c.global.smtp.alert = Some(b);
        }
    }),
    Keyword::not_yet("smtp_alert_vrrp", |c, s, ctx| {
        if let Some(b) = bool_arg(ctx, s, |t| format!("Invalid value '{t}' for global smtp_alert_vrrp specified")) {
            c.global.smtp.alert_vrrp = Some(b);
        }
    }),
    Keyword::not_yet("no_email_faults", |c, _, _| c.global.smtp.no_email_faults = true),
    // ---- identity ----
    Keyword::new("router_id", |c, s, ctx| match s.arg(0) {
        Some(w) => c.global.router_id = Some(Spanned::new(w.text.clone(), w.span)),
        None => missing(ctx, s, "routerid name missing - ignoring"),
    }),
    // ---- firewall ----
    Keyword::not_yet("nftables", |c, s, ctx| {
        if c.global.nftables.is_some() {
            return ctx.error(s.span(), "nftables already specified - ignoring");
        }
        let v = match s.arg(0) {
            Some(w) if w.text.len() >= NFT_TABLE_MAXNAMELEN => {
                return ctx.error(w.span, "nftables table name too long - ignoring");
            }
            Some(w) => Spanned::new(w.text.clone(), w.span),
            None => Spanned::new("keepalived".to_owned(), s.span()),
        };
        c.global.nftables = Some(v);
        c.global.nftables_priority = -1;
    }),
    Keyword::not_yet("nftables_priority", |c, s, ctx| match s.arg(0).and_then(|w| w.text.parse::<i32>().ok()) {
        Some(p) => c.global.nftables_priority = p,
        None => {
            let t = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
            number_msg(ctx, s.args_span(), t, true, &format!("[{}, {}]", i32::MIN, i32::MAX));
            ctx.error(s.args_span(), format!("invalid nftables chain priority '{t}'"));
        }
    }),
    Keyword::not_yet("nftables_counters", |c, _, _| c.global.nftables_counters = true),
    Keyword::not_yet("nftables_ifindex", |c, _, _| c.global.nftables_ifindex = true),
    Keyword::not_yet("disable_local_igmp", |c, _, _| c.global.disable_local_igmp = true),
    // ---- scheduling of each child ----
    Keyword::not_yet("checker_priority", |c, s, ctx| sched_priority(&mut c.global.checker_sched, "checker", s, ctx)),
    Keyword::not_yet("bfd_priority", |c, s, ctx| sched_priority(&mut c.global.bfd_sched, "bfd", s, ctx)),
    Keyword::not_yet("checker_no_swap", |c, _, _| c.global.checker_sched.no_swap = true),
    Keyword::not_yet("bfd_no_swap", |c, _, _| c.global.bfd_sched.no_swap = true),
    Keyword::not_yet("checker_cpu_affinity", |c, s, ctx| sched_cpus(&mut c.global.checker_sched, "checker", s, ctx)),
    Keyword::not_yet("bfd_cpu_affinity", |c, s, ctx| sched_cpus(&mut c.global.bfd_sched, "bfd", s, ctx)),
    Keyword::not_yet("checker_rt_priority", |c, s, ctx| sched_rt(&mut c.global.checker_sched, "checker", s, ctx)),
    Keyword::not_yet("bfd_rt_priority", |c, s, ctx| sched_rt(&mut c.global.bfd_sched, "bfd", s, ctx)),
    Keyword::not_yet("checker_rlimit_rttime", |c, s, ctx| sched_rlimit(&mut c.global.checker_sched, "checker", s, ctx)),
    Keyword::not_yet("bfd_rlimit_rttime", |c, s, ctx| sched_rlimit(&mut c.global.bfd_sched, "bfd", s, ctx)),
    // The "rtime" spellings were deprecated on 02/02/2020.
    Keyword::not_yet("vrrp_rlimit_rtime", |c, s, ctx| {
        // The value belongs to the VRRP part: hand the statement to its keyword.
        deprecated_note(ctx, s, "Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'");
        if let Some(k) = super::vrrp::GLOBAL_DEFS.iter().find(|k| k.name == "vrrp_rlimit_rttime") {
            (k.handler)(c, s, ctx);
        }
    }),
    Keyword::not_yet("checker_rlimit_rtime", |c, s, ctx| sched_rlimit(&mut c.global.checker_sched, "checker", s, ctx)),
    Keyword::not_yet("bfd_rlimit_rtime", |c, s, ctx| sched_rlimit(&mut c.global.bfd_sched, "bfd", s, ctx)),
    // ---- SNMP ----
    Keyword::not_yet("snmp_socket", |c, s, ctx| {
        if s.args.len() > 1 {
            return ctx.error(s.args_span(), "Too many parameters specified for snmp_socket - ignoring");
        }
        let Some(w) = s.arg(0) else {
            return missing(ctx, s, "SNMP error : snmp socket name missing");
        };
        if w.text.len() > PATH_MAX - 1 {
            return ctx.error(w.span, "SNMP error : snmp socket name too long - ignored");
        }
        if let Some(old) = &c.global.snmp.socket {
            return ctx.error(w.span, format!("SNMP socket already set to {old} - ignoring"));
        }
        c.global.snmp.socket = Some(w.text.clone());
    }),
    Keyword::not_yet("enable_snmp_vrrp", |c, _, _| c.global.snmp.enable_vrrp = true),
    Keyword::not_yet("enable_snmp_keepalived", |c, s, ctx| {
        deprecated_note(ctx, s, "'enable_snmp_keepalived' is deprecated - please use 'enable_snmp_vrrp'");
        c.global.snmp.enable_vrrp = true;
    }),
    Keyword::not_yet("enable_snmp_checker", |c, _, _| c.global.snmp.enable_checker = true),
    Keyword::not_yet("enable_snmp_rfc", |c, _, _| {
        c.global.snmp.enable_rfcv2 = true;
        c.global.snmp.enable_rfcv3 = true;
    }),
    Keyword::not_yet("enable_snmp_rfcv2", |c, _, _| c.global.snmp.enable_rfcv2 = true),
    Keyword::not_yet("enable_snmp_rfcv3", |c, _, _| c.global.snmp.enable_rfcv3 = true),
    Keyword::not_yet("enable_traps", |c, _, _| c.global.snmp.enable_traps = true),
    // ---- DBus ----
    Keyword::not_yet("enable_dbus", |c, _, _| c.global.dbus.enabled = true),
    Keyword::not_yet("dbus_service_name", |c, s, ctx| match s.arg(0) {
        Some(w) => c.global.dbus.service_name = w.text.clone(),
        None => missing(ctx, s, "dbus_service_name missing - ignoring"),
    }),
    Keyword::not_yet("dbus_no_interface_name", |c, s, ctx| match s.arg(0) {
        Some(w) => c.global.dbus.no_interface_name = w.text.clone(),
        None => missing(ctx, s, "dbus_no_interface_name missing - ignoring"),
    }),
    // ---- notify FIFO ----
    Keyword::not_yet("notify_fifo", |c, s, ctx| {
        let Some(w) = s.arg(0) else {
            return missing(ctx, s, "No notify_fifo name specified");
        };
        if c.global.notify_fifo.fifo.is_some() {
            return ctx.error(w.span, format!("notify_fifo already specified - ignoring {}", w.text));
        }
        c.global.notify_fifo.fifo = Some(Fifo {
            path: w.text.clone(),
            user: s.arg(1).map(|u| u.text.clone()),
            group: s.arg(2).map(|g| g.text.clone()),
            span: s.span(),
        });
    }),
    Keyword::not_yet("notify_fifo_script", |c, s, ctx| {
        let Some(w) = s.arg(0) else {
            return missing(ctx, s, "No notify_fifo_script specified");
        };
        if c.global.notify_fifo.script.is_some() {
            return ctx.error(w.span, format!("notify_fifo_script already specified - ignoring {}", w.text));
        }
        c.global.notify_fifo.script = ctx.script_with_user(s);
    }),
    Keyword::not_yet("fifo_write_vrrp_states_on_reload", |c, _, _| c.global.fifo_write_vrrp_states_on_reload = true),
    // ---- netlink buffers of the process monitor ----
    Keyword::not_yet("process_monitor_rcv_bufs", |c, s, ctx| {
        if s.arg(0).is_none() {
            return missing(ctx, s, "process_monitor_rcv_bufs size missing");
        }
        let v = uint(ctx, s, 0, 0, u64::from(u32::MAX), |t| format!("process_monitor_rcv_bufs size ({t}) invalid"));
        // Upstream treats 0 as "not set".
        if let Some(v) = v.and_then(|v| u32::try_from(v).ok()).filter(|v| *v != 0) {
            c.global.process_monitor_rcv_bufs = Some(v);
        }
    }),
    Keyword::not_yet("process_monitor_rcv_bufs_force", |c, s, ctx| {
        if let Some(b) =
            bool_arg(ctx, s, |t| format!("Invalid value '{t}' for global process_monitor_rcv_bufs_force specified"))
        {
            c.global.process_monitor_rcv_bufs_force = b;
        }
    }),
    // ---- misc ----
    Keyword::not_yet("umask", umask),
    // The preprocessor seeds ${_RANDOM} from it; the model keeps the value.
    Keyword::new("random_seed", |c, s, ctx| {
        if let Some(v) = uint(ctx, s, 0, 0, u64::from(u32::MAX), |t| format!("random_seed {t} invalid")) {
            c.global.random_seed = u32::try_from(v).ok();
        }
    }),
    Keyword::not_yet("reload_check_config", |c, s, _| {
        c.global.reload_check_config = Some(s.arg(0).map(|w| w.text.clone()).unwrap_or_else(|| "/dev/null".into()));
    }),
    Keyword::not_yet("reload_time_file", |c, s, ctx| match (s.arg(0), s.args.len()) {
        (Some(w), 1) => c.global.reload_time_file = Some(Spanned::new(w.text.clone(), w.span)),
        _ => ctx.error(s.span(), "reload_time_file invalid"),
    }),
    Keyword::not_yet("reload_repeat", |c, _, _| c.global.reload_repeat = true),
    Keyword::not_yet("reload_file", |c, s, _| {
        c.global.reload_file = Some(match s.arg(0) {
            Some(w) => ReloadFile::Path(w.text.clone()),
            None => ReloadFile::Default,
        });
    }),
    // The preprocessor applies include_check (to the files included after it)
    // and reports its options; nothing is left for the model.
    Keyword::new("include_check", |_, _, _| {}),
    Keyword::not_yet("data_use_instance", |c, s, ctx| {
        // "date_use_instance" is upstream's spelling in this message.
        if let Some(b) = bool_arg(ctx, s, |t| format!("Invalid value '{t}' for global date_use_instance specified")) {
            c.global.data_use_instance = b;
        }
    }),
    Keyword::not_yet("state_file_location", |c, s, ctx| {
        c.global.state_file_location = path_arg(ctx, s).or(c.global.state_file_location.take())
    }),
    Keyword::not_yet("stats_file_location", |c, s, ctx| {
        c.global.stats_file_location = path_arg(ctx, s).or(c.global.stats_file_location.take())
    }),
    Keyword::not_yet("json_file_location", |c, s, ctx| {
        c.global.json_file_location = path_arg(ctx, s).or(c.global.json_file_location.take())
    }),
    Keyword::not_yet("json_version", |c, s, ctx| {
        if s.arg(0).is_none() {
            return missing(ctx, s, "json_version requires version");
        }
        if let Some(v) = uint(ctx, s, 0, 1, 2, |_| "Invalid JSON version".to_owned()) {
            c.global.json_version = v as u8;
        }
    }),
    Keyword::not_yet("iproute_usr_dir", |c, s, ctx| {
        c.global.iproute_usr_dir = path_arg(ctx, s).or(c.global.iproute_usr_dir.take())
    }),
    Keyword::not_yet("iproute_etc_dir", |c, s, ctx| {
        c.global.iproute_etc_dir = path_arg(ctx, s).or(c.global.iproute_etc_dir.take())
    }),
];

/// nftables' limit on a table name (NFT_TABLE_MAXNAMELEN).
const NFT_TABLE_MAXNAMELEN: usize = 256;
/// Linux PATH_MAX.
const PATH_MAX: usize = 4096;

/// `global_defs { ... }`: its keywords are spread over the parts that use them.
fn global_defs(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    if c.global.defs_span.is_none() {
        c.global.defs_span = Some(s.span());
    }
    ctx.apply_tables(c, s.children(), &[GLOBAL_DEFS, super::vrrp::GLOBAL_DEFS, super::lvs::GLOBAL_DEFS]);
}

// ---------------------------------------------------------------------------
// Value helpers

/// A required value is missing: upstream's message, and the item is ignored.
fn missing(ctx: &mut Ctx, s: &Stmt, msg: &str) {
    ctx.push(Severity::Error, Class::Missing, s.span(), msg);
}

/// Something upstream only logs: shown, but it does not change the exit status.
fn info(ctx: &mut Ctx, span: Span, msg: impl Into<String>) {
    ctx.push(Severity::Note, Class::Other, span, msg);
}

/// A deprecated spelling upstream accepts and only logs about.
fn deprecated_note(ctx: &mut Ctx, s: &Stmt, msg: &str) {
    ctx.push(Severity::Note, Class::Deprecated, s.span(), msg);
}

/// An unsigned decimal argument `i` in `[min, max]`: upstream's number
/// message, then `msg` (the keyword's own wording).
fn uint(ctx: &mut Ctx, s: &Stmt, i: usize, min: u64, max: u64, msg: impl FnOnce(&str) -> String) -> Option<u64> {
    let (text, span) = match s.arg(i) {
        Some(w) => (w.text.as_str(), w.span),
        None => ("", s.span()),
    };
    match parse_uint(text) {
        Some(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            number_msg(ctx, span, text, false, &format!("[{min}, {max}]"));
            ctx.error(span, msg(text));
            None
        }
    }
}

/// Upstream's number readers name the bad number first ("invalid number 'x'",
/// "negative number '-1'", "number 'N' outside range [MIN, MAX]"); the
/// keyword's own message follows.
pub(crate) fn number_msg(ctx: &mut Ctx, span: Span, text: &str, signed: bool, range: &str) {
    let msg = match parse_int(text) {
        Some(v) if v < 0 && !signed => format!("negative number '{text}'"),
        Some(_) => format!("number '{text}' outside range {range}"),
        None => format!("invalid number '{text}'"),
    };
    ctx.error(span, msg);
}

/// Like [`number_msg`] for upstream's decimal readers (`digits` decimals in the range).
pub(crate) fn decimal_msg(ctx: &mut Ctx, span: Span, text: &str, min: f64, max: f64, digits: usize) {
    let msg = match parse_timer(text) {
        Some(_) => format!("number '{text}' outside range [{min:.digits$}, {max:.digits$}]"),
        None => format!("invalid number '{text}'"),
    };
    ctx.error(span, msg);
}

/// Unsigned decimal, as upstream's read_unsigned (an optional '+').
fn parse_uint(t: &str) -> Option<u64> {
    let t = t.strip_prefix('+').unwrap_or(t);
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// Signed decimal.
fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    let v = i64::try_from(parse_uint(digits)?).ok()?;
    Some(if neg { -v } else { v })
}

/// An optional <BOOL> (absent: true); `msg` words the error.
fn bool_arg(ctx: &mut Ctx, s: &Stmt, msg: impl FnOnce(&str) -> String) -> Option<bool> {
    match s.arg(0) {
        None => Some(true),
        Some(w) => match parse_bool(&w.text) {
            Some(b) => Some(b),
            None => {
                ctx.error(w.span, msg(&w.text));
                None
            }
        },
    }
}

/// A path argument (the file location keywords).
fn path_arg(ctx: &mut Ctx, s: &Stmt) -> Option<String> {
    match s.arg(0) {
        Some(w) => Some(w.text.clone()),
        None => {
            missing(ctx, s, &format!("{} requires a path - ignoring", s.keyword.text));
            None
        }
    }
}

fn trim_slash(p: &str) -> String {
    match p.strip_suffix('/') {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => p.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// global_defs handlers

/// A process name, truncated to what the kernel keeps.
fn process_name(ctx: &mut Ctx, s: &Stmt) -> Option<String> {
    let Some(w) = s.arg(0) else {
        missing(ctx, s, "Process name missing");
        return None;
    };
    if w.text.len() > PROCESS_NAME_MAX {
        ctx.error(w.span, format!("Process name {} more than {} characters, truncating", w.text, PROCESS_NAME_MAX));
        let mut end = PROCESS_NAME_MAX;
        while !w.text.is_char_boundary(end) {
            end -= 1;
        }
        return Some(w.text[..end].to_owned());
    }
    Some(w.text.clone())
}

fn start_stop_script(dest: &mut Option<crate::config::model::Script>, kind: &str, s: &Stmt, ctx: &mut Ctx) {
    if dest.is_some() {
        return ctx.error(s.span(), format!("{kind} script already specified"));
    }
    if s.arg(0).is_none() {
        return missing(ctx, s, &format!("{kind} script missing"));
    }
    match ctx.script_with_user(s) {
        Some(script) => *dest = Some(script),
        None => ctx.error(s.span(), format!("Invalid {kind} script")),
    }
}

fn start_stop_timeout(dest: &mut Duration, kind: &str, s: &Stmt, ctx: &mut Ctx) {
    if s.arg(0).is_none() {
        return missing(ctx, s, &format!("{kind}_script_timeout requires value"));
    }
    if let Some(v) =
        uint(ctx, s, 0, 1, 1000, |t| format!("{kind}_script_timeout '{t}' must be in [1, 1000] - ignoring"))
    {
        *dest = Duration::from_secs(v);
    }
}

fn smtp_server(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    let Some(h) = s.arg(0) else {
        return missing(ctx, s, "smtp_server requires a value");
    };
    let port_text = s.arg(1).map(|w| w.text.as_str()).unwrap_or("25");
    let port = parse_uint(port_text).filter(|p| (1..=65535).contains(p));
    if port.is_none() {
        let span = s.arg(1).map(|w| w.span).unwrap_or(s.span());
        // Upstream reads the port twice for an address (as an address, then as a name).
        let times = if h.text.parse::<IpAddr>().is_ok() { 2 } else { 1 };
        for _ in 0..times {
            number_msg(ctx, span, port_text, false, "[1, 65535]");
        }
    }
    let host = match h.text.parse::<IpAddr>() {
        Ok(a) => Some(SmtpHost::Addr(a)),
        Err(_) if is_host_name(&h.text) => Some(SmtpHost::Name(h.text.clone())),
        Err(_) => None,
    };
    match (host, port) {
        (Some(host), Some(port)) => {
            c.global.smtp.server = Some(Spanned::new(SmtpServer { host, port: port as u16 }, h.span));
        }
        _ => ctx.error(s.args_span(), format!("Invalid smtp server {} {}", h.text, port_text)),
    }
}

/// Whether `s` can be a DNS name (RFC 1123 letters, digits, '-', '.').
fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn sched_priority(p: &mut ProcessSched, proc_: &str, s: &Stmt, ctx: &mut Ctx) {
    let Some(w) = s.arg(0) else {
        return missing(ctx, s, &format!("No {proc_} process priority specified"));
    };
    match parse_int(&w.text).filter(|v| (-20..=19).contains(v)) {
        Some(v) => p.priority = v as i8,
        None => {
            number_msg(ctx, w.span, &w.text, true, "[-20, 19]");
            ctx.error(w.span, format!("Invalid {proc_} process priority specified"));
        }
    }
}

fn sched_rt(p: &mut ProcessSched, proc_: &str, s: &Stmt, ctx: &mut Ctx) {
    // SCHED_RR's range on Linux.
    const MIN: i64 = 1;
    const MAX: i64 = 99;
    let Some(w) = s.arg(0) else {
        return missing(ctx, s, &format!("No {proc_} process real-time priority specified"));
    };
    let Some(mut v) = parse_int(&w.text) else {
        number_msg(ctx, w.span, &w.text, true, "");
        return ctx.error(w.span, format!("{proc_} process real-time priority '{}' invalid", w.text));
    };
    if v < MIN {
        ctx.error(
            w.span,
            format!("{proc_} process real-time priority {v} less than minimum {MIN} - setting to minimum"),
        );
        v = MIN;
    } else if v > MAX {
        ctx.error(
            w.span,
            format!("{proc_} process real-time priority {v} greater than maximum {MAX} - setting to maximum"),
        );
        v = MAX;
    }
    p.rt_priority = Some(v as u8);
}

fn sched_cpus(p: &mut ProcessSched, proc_: &str, s: &Stmt, ctx: &mut Ctx) {
    if s.args.is_empty() {
        return missing(ctx, s, &format!("No {proc_} cpu_id set specified"));
    }
    let mut cpus = Vec::new();
    for w in &s.args {
        // Upstream also checks the id against the CPUs online; that is a fact
        // about the machine, checked when the process starts.
        match parse_uint(&w.text).and_then(|v| u32::try_from(v).ok()).filter(|v| *v < CPU_SETSIZE) {
            Some(v) => cpus.push(v),
            None => {
                number_msg(ctx, w.span, &w.text, false, &format!("[0, {}]", CPU_SETSIZE - 1));
                // Upstream resets the set at the first error.
                p.cpu_affinity.clear();
                return ctx.error(w.span, format!("Invalid cpu_id:{} specified for {proc_} process", w.text));
            }
        }
    }
    p.cpu_affinity = cpus;
}

/// glibc's CPU_SETSIZE.
const CPU_SETSIZE: u32 = 1024;

fn sched_rlimit(p: &mut ProcessSched, proc_: &str, s: &Stmt, ctx: &mut Ctx) {
    let kw = s.keyword.text.as_str();
    if let Some(base) = kw.strip_suffix("rtime").filter(|b| !b.ends_with('r')) {
        deprecated_note(ctx, s, &format!("Keyword '{kw}' is deprecated - please use '{base}rttime'"));
    }
    let text = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
    let span = s.arg(0).map(|w| w.span).unwrap_or(s.span());
    match parse_uint(text).and_then(|v| u32::try_from(v).ok()).filter(|v| *v >= 1) {
        // The kernel halves the soft limit, which must stay non-zero.
        Some(v) => p.rlimit_rttime = v.max(2),
        None => {
            number_msg(ctx, span, text, false, &format!("[1, {}]", u32::MAX));
            ctx.error(span, format!("Invalid {proc_} real-time limit - {text}"));
        }
    }
}

fn umask(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    const ALL: u32 = 0o777;
    let Some(first) = s.arg(0) else {
        return missing(ctx, s, "Missing parameter(s) to umask option");
    };
    let bits = if first.text.starts_with(|ch: char| ch.is_ascii_digit()) {
        if s.args.len() != 1 {
            return ctx.error(s.args_span(), "Extra parameter(s) to umask option");
        }
        match parse_c_number(&first.text).filter(|v| v & !ALL == 0) {
            Some(v) => v,
            None => return ctx.error(first.span, format!("invalid umask value {}", first.text)),
        }
    } else {
        let mut bits = 0;
        let mut need_or = false;
        for w in &s.args {
            let mut rest = w.text.as_str();
            while !rest.is_empty() {
                if need_or {
                    match rest.strip_prefix('|') {
                        Some(r) => {
                            rest = r;
                            need_or = false;
                            continue;
                        }
                        None => return ctx.error(w.span, format!("Invalid umask syntax {}", w.text)),
                    }
                }
                let Some(bit) = rest.get(..5).and_then(umask_bit) else {
                    return ctx.error(w.span, format!("Unknown umask bit {rest}"));
                };
                bits |= bit;
                rest = rest.get(5..).unwrap_or("");
                need_or = true;
            }
        }
        if !need_or {
            return ctx.error(s.args_span(), "umask missing bit value");
        }
        bits
    };
    c.global.umask = Spanned::new(bits, s.args_span());
}

fn umask_bit(name: &str) -> Option<u32> {
    Some(match name {
        "IRUSR" => 0o400,
        "IWUSR" => 0o200,
        "IXUSR" => 0o100,
        "IRWXU" => 0o700,
        "IRGRP" => 0o040,
        "IWGRP" => 0o020,
        "IXGRP" => 0o010,
        "IRWXG" => 0o070,
        "IROTH" => 0o004,
        "IWOTH" => 0o002,
        "IXOTH" => 0o001,
        "IRWXO" => 0o007,
        _ => return None,
    })
}

/// A number as C's strtol with base 0 reads it: 0x hex, leading 0 octal, else decimal.
fn parse_c_number(t: &str) -> Option<u32> {
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u32::from_str_radix(h, 16).ok()
    } else if t.len() > 1 && t.starts_with('0') {
        u32::from_str_radix(&t[1..], 8).ok()
    } else {
        t.parse().ok()
    }
}

// ---------------------------------------------------------------------------
// Top-level blocks

fn linkbeat_interfaces(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    for item in s.children() {
        let kind = match item.arg(0).map(|w| w.text.as_str()) {
            None => LinkbeatType::Auto,
            Some("MII") => LinkbeatType::Mii,
            Some("ETHTOOL") => LinkbeatType::Ethtool,
            Some("IOCTL") => LinkbeatType::Ioctl,
            Some(_) => LinkbeatType::Auto,
        };
        if let Some(w) = item.arg(0).filter(|_| kind == LinkbeatType::Auto || item.args.len() > 1) {
            ctx.error(w.span, format!("extra characters {} in linkbeat interface", w.text));
        }
        c.global
            .linkbeat_interfaces
            .push(LinkbeatInterface { name: Spanned::new(item.keyword.text.clone(), item.span()), kind });
    }
}

fn interface_up_down_delays(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    for item in s.children() {
        let ifname = &item.keyword.text;
        let Some(down_w) = item.arg(0) else {
            info(ctx, item.span(), format!("No timeouts specified for {ifname} up/down delays"));
            continue;
        };
        if item.args.len() > 2 {
            info(ctx, item.args_span(), format!("Too many parameters for {ifname} up/down delays"));
        }
        let read = |t: &str| parse_timer(t).filter(|d| *d <= Duration::from_secs(255));
        let Some(down) = read(&down_w.text) else {
            decimal_msg(ctx, down_w.span, &down_w.text, 0.0, 255.0, 6);
            info(ctx, down_w.span, format!("Invalid down delay {} for {ifname}", down_w.text));
            continue;
        };
        let up = match item.arg(1) {
            // The man page: an omitted up delay is the down delay.
            None => down,
            Some(w) => match read(&w.text) {
                Some(d) => d,
                None => {
                    decimal_msg(ctx, w.span, &w.text, 0.0, 255.0, 6);
                    info(ctx, w.span, format!("Invalid up delay {} for {ifname}", w.text));
                    continue;
                }
            },
        };
        let ifname = Spanned::new(ifname.clone(), item.span());
        match c.global.interface_up_down_delays.iter_mut().find(|d| d.ifname.value == ifname.value) {
            Some(d) => {
                d.down = down;
                d.up = up;
            }
            None => c.global.interface_up_down_delays.push(UpDownDelay { ifname, down, up }),
        }
    }
}

/// A track_group while its block is read.
struct TrackGroupBuild {
    g: TrackGroup,
    seen_group: bool,
}

const TRACK_GROUP: &[Keyword<TrackGroupBuild>] = &[Keyword::new("group", |b, s, ctx| {
    if b.seen_group {
        return ctx.error(s.span(), format!("Group list already specified for sync group {}", b.g.name.value));
    }
    for item in s.children() {
        for w in std::iter::once(&item.keyword).chain(item.args.iter()) {
            b.g.members.push(Spanned::new(w.text.clone(), w.span));
        }
    }
    // An empty group block leaves the list unset, so another may follow.
    b.seen_group = !b.g.members.is_empty();
    if b.g.members.is_empty() {
        ctx.error(s.span(), format!("Warning - track group {} has empty group block", b.g.name.value));
    }
})];

fn track_group(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    let (Some(name), 1) = (s.arg(0), s.args.len()) else {
        return ctx.error(s.span(), "track_group must have a name - skipping");
    };
    if c.global.track_group(&name.text).is_some() {
        return ctx.error(name.span, format!("track_group {} already defined", name.text));
    }
    let mut b = TrackGroupBuild {
        g: TrackGroup { name: Spanned::new(name.text.clone(), name.span), members: Vec::new(), span: s.span() },
        seen_group: false,
    };
    ctx.apply(&mut b, s.children(), TRACK_GROUP);
    let g = b.g;
    if g.members.is_empty() {
        return ctx.error(s.span(), format!("Static track group {} has no members - removing", g.name.value));
    }
    c.global.track_groups.push(g);
}

/// Upstream looks the group up when it reads the line, so a track_group must
/// be defined before the static line that names it; an unknown one is dropped.
fn known_track_group(g: &GlobalConfig, tg: &mut Option<Spanned<String>>, ctx: &mut Ctx) {
    if let Some(name) = tg.as_ref().filter(|n| g.track_group(&n.value).is_none()) {
        ctx.push(Severity::Error, Class::Reference, name.span, format!("track_group {} not found", name.value));
        *tg = None;
    }
}

// ---------------------------------------------------------------------------
// Validation

/// Checks that need the whole model (references, conflicts, required fields).
pub fn validate(cfg: &mut Config, sys: &SystemView, ctx: &mut Ctx) {
    let g = &cfg.global;
    // `dynamic_interfaces` (a VRRP global): interfaces may come and go.
    let dynamic = cfg.vrrp.globals.dynamic_interfaces.is_some();
    // Upstream refuses to run with an interface it does not know here
    // (CONFIG_FATAL), unless interfaces may come and go.
    if !dynamic {
        for lb in &g.linkbeat_interfaces {
            if !sys.has_interface(&lb.name.value) {
                ctx.push(
                    Severity::Fatal,
                    Class::Reference,
                    lb.name.span,
                    format!("unknown interface {} specified for linkbeat interface", lb.name.value),
                );
            }
        }
        for d in &g.interface_up_down_delays {
            if !sys.has_interface(&d.ifname.value) {
                ctx.push(
                    Severity::Fatal,
                    Class::Reference,
                    d.ifname.span,
                    format!("unknown interface {} specified for up/down delay", d.ifname.value),
                );
            }
        }
    }
    // Upstream resolves the members once everything is read, and only logs
    // the ones it cannot find.
    for tg in &g.track_groups {
        for m in tg.members.iter().filter(|m| cfg.vrrp.instance(&m.value).is_none()) {
            info(
                ctx,
                m.span,
                format!(
                    "Virtual router {} specified in track group {} doesn't exist - ignoring",
                    m.value, tg.name.value
                ),
            );
        }
    }
    // Interfaces that do not exist: upstream warns and carries on (they may
    // appear later with dynamic_interfaces).
    if !dynamic {
        // Upstream checks them as it reads each line: keep its order.
        let mut found = Ctx::default();
        let mut ok = true;
        for a in &g.static_ipaddress {
            ok &= ipcfg::check_address_interface(a, sys, &mut found);
        }
        for r in &g.static_routes {
            ok &= ipcfg::check_route_interfaces(r, sys, &mut found);
        }
        for d in found.diags {
            let at = d.span.and_then(|s| {
                ctx.diags.iter().position(|o| o.span.is_some_and(|os| os.file == s.file && os.line > s.line))
            });
            match at {
                Some(i) => ctx.diags.insert(i, d),
                None => ctx.diags.push(d),
            }
        }
        if !ok {
            ctx.diags.push(Diagnostic::new(
                Severity::Error,
                Class::Reference,
                None,
                "Non-existent interface specified in configuration",
            ));
        }
    }
}

// ---------------------------------------------------------------------------
// Dump

/// Appends the readable dump (`-d`) of this part.
pub fn dump(cfg: &Config, out: &mut String) {
    let g = &cfg.global;
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "(none)".into());
    let sopt = |o: &Option<Spanned<String>>| o.as_ref().map(|s| s.value.clone()).unwrap_or_else(|| "(none)".into());
    let _ = writeln!(out, "------< Global definitions >------");
    let mut kv = |k: &str, v: String| {
        let _ = writeln!(out, " {k} = {v}");
    };
    kv("Network namespace", sopt(&g.net_namespace));
    kv(
        "Network namespace ipvs",
        match &g.net_namespace_ipvs {
            None => "(none)".into(),
            Some(n) if n.value.is_empty() => "(default)".into(),
            Some(n) => n.value.clone(),
        },
    );
    kv("Namespace with ipsets", g.namespace_with_ipsets.to_string());
    kv("Instance name", sopt(&g.instance));
    kv("Use pid dir", g.use_pid_dir.to_string());
    kv("Linkbeat use polling", g.linkbeat_use_polling.to_string());
    kv("Child wait time", secs(g.child_wait_time));
    kv("Tmp config directory", sopt(&g.tmp_config_directory));
    kv("Config save dir", sopt(&g.config_save_dir));
    let pn = &g.process_names;
    kv("Parent process name", opt(&pn.parent));
    kv("Checker process name", opt(&pn.checker));
    kv("BFD process name", opt(&pn.bfd));
    kv("Use symlink paths", g.use_symlink_paths.to_string());
    kv("Set supplementary groups", g.set_supplementary_groups.to_string());
    kv("Startup script", g.startup_script.as_ref().map(script_str).unwrap_or_else(|| "(none)".into()));
    kv("Startup script timeout", secs(g.startup_script_timeout));
    kv("Shutdown script", g.shutdown_script.as_ref().map(script_str).unwrap_or_else(|| "(none)".into()));
    kv("Shutdown script timeout", secs(g.shutdown_script_timeout));
    kv("Router ID", g.router_id.as_ref().map(|r| r.value.clone()).unwrap_or_else(|| "(host name)".into()));
    let m = &g.smtp;
    kv(
        "Smtp server",
        match &m.server {
            None => "(none)".into(),
            Some(sv) => match &sv.value.host {
                SmtpHost::Addr(IpAddr::V6(a)) => format!("[{a}]:{}", sv.value.port),
                SmtpHost::Addr(a) => format!("{a}:{}", sv.value.port),
                SmtpHost::Name(n) => format!("{n}:{}", sv.value.port),
            },
        },
    );
    kv("Smtp HELO name", m.helo_name.clone().unwrap_or_else(|| "(host name)".into()));
    kv("Smtp server connection timeout", secs(m.connect_timeout));
    kv("Email notification from", sopt(&m.email_from));
    for e in &m.emails {
        kv("Email notification", e.value.clone());
    }
    kv("Default smtp_alert", tri(m.alert));
    kv("Default smtp_alert_vrrp", tri(m.alert_vrrp));
    kv("No email faults", m.no_email_faults.to_string());
    kv("nftables table", sopt(&g.nftables));
    kv("nftables priority", g.nftables_priority.to_string());
    kv("nftables ifindex", g.nftables_ifindex.to_string());
    kv("nftables counters", g.nftables_counters.to_string());
    kv("Disable local IGMP", g.disable_local_igmp.to_string());
    for (name, p) in [("Checker", &g.checker_sched), ("BFD", &g.bfd_sched)] {
        kv(&format!("{name} process priority"), p.priority.to_string());
        kv(&format!("{name} don't swap"), p.no_swap.to_string());
        kv(
            &format!("{name} CPU affinity"),
            if p.cpu_affinity.is_empty() {
                "(none)".into()
            } else {
                p.cpu_affinity.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
            },
        );
        kv(
            &format!("{name} realtime priority"),
            p.rt_priority.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into()),
        );
        kv(&format!("{name} realtime limit"), format!("{} usecs", p.rlimit_rttime));
    }
    let sn = &g.snmp;
    kv("SNMP socket", sn.socket.clone().unwrap_or_else(|| "(default)".into()));
    kv("SNMP vrrp", sn.enable_vrrp.to_string());
    kv("SNMP checker", sn.enable_checker.to_string());
    kv("SNMP RFCv2", sn.enable_rfcv2.to_string());
    kv("SNMP RFCv3", sn.enable_rfcv3.to_string());
    kv("SNMP traps", sn.enable_traps.to_string());
    kv("DBus", g.dbus.enabled.to_string());
    kv("DBus service name", g.dbus.service_name.clone());
    kv("DBus no interface name", g.dbus.no_interface_name.clone());
    kv(
        "Script user",
        match &g.script_user {
            None => "(default)".into(),
            Some(u) => match &u.group {
                Some(gr) => format!("{} {}{gr}", u.user, if u.supplementary_groups { ":" } else { "" }),
                None => u.user.clone(),
            },
        },
    );
    kv("Script security", g.enable_script_security.to_string());
    kv(
        "Notify FIFO",
        g.notify_fifo
            .fifo
            .as_ref()
            .map(|f| {
                let mut s = f.path.clone();
                for x in [&f.user, &f.group].into_iter().flatten() {
                    s.push(' ');
                    s.push_str(x);
                }
                s
            })
            .unwrap_or_else(|| "(none)".into()),
    );
    kv("Notify FIFO script", g.notify_fifo.script.as_ref().map(script_str).unwrap_or_else(|| "(none)".into()));
    kv("FIFO write vrrp states on reload", g.fifo_write_vrrp_states_on_reload.to_string());
    kv(
        "Process monitor netlink receive buffer",
        g.process_monitor_rcv_bufs.map(|v| v.to_string()).unwrap_or_else(|| "(default)".into()),
    );
    kv("Process monitor netlink receive buffer force", g.process_monitor_rcv_bufs_force.to_string());
    kv("umask", format!("0{:o}", g.umask.value));
    kv("Random seed", g.random_seed.map(|v| v.to_string()).unwrap_or_else(|| "(time based)".into()));
    kv("Reload check config", opt(&g.reload_check_config));
    kv("Reload time file", sopt(&g.reload_time_file));
    kv("Reload repeat", g.reload_repeat.to_string());
    kv(
        "Reload file",
        match &g.reload_file {
            None => "(none)".into(),
            Some(ReloadFile::Default) => "(default)".into(),
            Some(ReloadFile::Path(p)) => p.clone(),
        },
    );
    kv("Data use instance", g.data_use_instance.to_string());
    kv("State file location", opt(&g.state_file_location));
    kv("Stats file location", opt(&g.stats_file_location));
    kv("JSON file location", opt(&g.json_file_location));
    kv("JSON version", g.json_version.to_string());
    kv("iproute usr dir", opt(&g.iproute_usr_dir));
    kv("iproute etc dir", opt(&g.iproute_etc_dir));
    for lb in &g.linkbeat_interfaces {
        kv("Linkbeat interface", format!("{} {}", lb.name.value, format!("{:?}", lb.kind).to_ascii_uppercase()));
    }
    for d in &g.interface_up_down_delays {
        kv("Up/down delays", format!("{} down {} up {}", d.ifname.value, secs(d.down), secs(d.up)));
    }
    for tg in &g.track_groups {
        let members: Vec<&str> = tg.members.iter().map(|m| m.value.as_str()).collect();
        kv("Static track group", format!("{} members {}", tg.name.value, members.join(" ")));
    }
    for a in &g.static_ipaddress {
        kv("Static address", a.to_string());
    }
    for r in &g.static_routes {
        kv("Static route", r.to_string());
    }
    for r in &g.static_rules {
        kv("Static rule", r.to_string());
    }
}

/// A duration in seconds, with the fraction (microseconds) only when there is one.
pub(crate) fn secs(d: Duration) -> String {
    if d.subsec_micros() == 0 {
        format!("{} s", d.as_secs())
    } else {
        let frac = format!("{:06}", d.subsec_micros());
        format!("{}.{} s", d.as_secs(), frac.trim_end_matches('0'))
    }
}

fn tri(b: Option<bool>) -> String {
    b.map(|b| b.to_string()).unwrap_or_else(|| "(unset)".into())
}

fn script_str(s: &crate::config::model::Script) -> String {
    let mut out = s.command_line();
    if let Some(u) = &s.user {
        out.push_str(&format!(" (user {u}"));
        if let Some(g) = &s.group {
            out.push_str(&format!(" group {g}"));
        }
        out.push(')');
    }
    out
}
