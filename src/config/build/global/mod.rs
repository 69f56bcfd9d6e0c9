//! Keyword tables and handlers for global_defs and the top-level global blocks.
//!
//! Messages keep upstream's wording (typos included, e.g. "smtp_conect_timeout",
//! "date_use_instance", so that admins grepping for them find them). Where
//! upstream reports a problem with `report_config_error` (which counts for the
//! `-t` exit status) we push an Error; where upstream only logs, a Note.

use std::time::Duration;

use crate::config::ast::{Stmt, Word};
use crate::config::error::{Class, Diagnostic, Severity};
use crate::config::model::Config;
use crate::config::model::global::{Fifo, ReloadFile, ScriptUser};
use crate::config::model::ipcfg::Origin;
use crate::config::validate::SystemView;

use super::{Ctx, Keyword, Spanned, ipcfg};

mod blocks;
mod dump;
mod handlers;
mod values;

pub use dump::dump;
pub(crate) use values::{decimal_msg, number_msg};

use blocks::{interface_up_down_delays, known_track_group, linkbeat_interfaces, track_group};
use handlers::{
    process_name, sched_cpus, sched_priority, sched_rlimit, sched_rt, smtp_server, start_stop_script,
    start_stop_timeout, umask,
};
use values::{bool_arg, deprecated_note, info, missing, path_arg, trim_slash, uint};

/// Top-level keywords handled here.
pub const TOP: &[Keyword<Config>] = &[
    Keyword::new("global_defs", global_defs),
    Keyword::new("net_namespace", |c, s, ctx| {
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
    Keyword::new("linkbeat_use_polling", |c, _, _| c.global.linkbeat_use_polling = true),
    Keyword::new("child_wait_time", |c, s, ctx| {
        if let Some(v) = uint(ctx, s, 0, 0, u64::from(u32::MAX), |t| format!("Invalid child_wait_time {t}")) {
            c.global.child_wait_time = Duration::from_secs(v);
        }
    }),
    Keyword::new("linkbeat_interfaces", linkbeat_interfaces),
    Keyword::new("interface_up_down_delays", interface_up_down_delays),
    Keyword::new("track_group", track_group),
    Keyword::new("static_ipaddress", |c, s, ctx| {
        for line in s.children() {
            if let Some(mut a) = ipcfg::parse_address(line, Origin::Static, ctx) {
                known_track_group(&c.global, &mut a.track_group, ctx);
                c.global.static_ipaddress.push(a);
            }
        }
    }),
    Keyword::new("static_routes", |c, s, ctx| {
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
    Keyword::new("static_rules", |c, s, ctx| {
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
    Keyword::new("config_save_dir", |c, s, ctx| {
        // Upstream creates the directory when reading the configuration; we
        // keep the model pure and leave that to the daemon.
        match s.arg(0) {
            Some(w) => c.global.config_save_dir = Some(Spanned::new(trim_slash(&w.text), w.span)),
            None => missing(ctx, s, "config_save_dir missing directory name"),
        }
    }),
    // ---- process names ----
    Keyword::new("process_names", |c, s, ctx| {
        let n = &mut c.global.process_names;
        n.parent = Some("keepalived".into());
        // The VRRP child's name lives with the other vrrp_* settings.
        c.vrrp.globals.process_name = Some("keepalived_vrrp".into());
        n.bfd = Some("keepalived_bfd".into());
        // The checker child's name belongs to the LVS part.
        let ka_ipvs = Word { text: "keepalived_ipvs".into(), span: s.span(), quoted: false };
        let st = Stmt {
            keyword: Word { text: "checker_process_name".into(), span: s.span(), quoted: false },
            args: vec![ka_ipvs],
            block: None,
        };
        if let Some(k) = super::lvs::GLOBAL_DEFS.iter().find(|k| k.name == "checker_process_name") {
            (k.handler)(c, &st, ctx);
        }
    }),
    Keyword::new("process_name", |c, s, ctx| {
        if let Some(n) = process_name(ctx, s) {
            c.global.process_names.parent = Some(n);
        }
    }),
    // Upstream deprecated this spelling on 12/07/20; the value belongs to the LVS part.
    Keyword::new("lvs_process_name", |c, s, ctx| {
        deprecated_note(ctx, s, "'lvs_process_name' is deprecated - please use 'checker_process_name'");
        delegate(c, s, ctx, super::lvs::GLOBAL_DEFS, "checker_process_name");
    }),
    Keyword::new("bfd_process_name", |c, s, ctx| {
        if let Some(n) = process_name(ctx, s) {
            c.global.process_names.bfd = Some(n);
        }
    }),
    // ---- scripts ----
    Keyword::new("use_symlink_paths", |c, s, ctx| {
        if let Some(b) = bool_arg(ctx, s, |t| format!("Invalid value '{t}' for global use_symlink_paths specified")) {
            c.global.use_symlink_paths = b;
        }
    }),
    Keyword::new("set_supplementary_groups", |c, _, _| c.global.set_supplementary_groups = true),
    Keyword::new("startup_script", |c, s, ctx| start_stop_script(&mut c.global.startup_script, "startup", s, ctx)),
    Keyword::new("startup_script_timeout", |c, s, ctx| {
        start_stop_timeout(&mut c.global.startup_script_timeout, "startup", s, ctx)
    }),
    Keyword::new("shutdown_script", |c, s, ctx| start_stop_script(&mut c.global.shutdown_script, "shutdown", s, ctx)),
    Keyword::new("shutdown_script_timeout", |c, s, ctx| {
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
            // keepalived reports it on the line of the closing brace.
            let at = s.block.as_ref().map_or(s.span(), |b| b.close);
            ctx.error(at, "Warning - empty notification_email block");
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
    Keyword::new("nftables", |c, s, ctx| {
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
    Keyword::new("nftables_priority", |c, s, ctx| match s.arg(0).and_then(|w| w.text.parse::<i32>().ok()) {
        Some(p) => c.global.nftables_priority = p,
        None => {
            let t = s.arg(0).map(|w| w.text.as_str()).unwrap_or("");
            number_msg(ctx, s.args_span(), t, true, &format!("[{}, {}]", i32::MIN, i32::MAX));
            ctx.error(s.args_span(), format!("invalid nftables chain priority '{t}'"));
        }
    }),
    Keyword::new("nftables_counters", |c, _, _| c.global.nftables_counters = true),
    Keyword::new("nftables_ifindex", |c, _, _| c.global.nftables_ifindex = true),
    Keyword::new("disable_local_igmp", |c, _, _| c.global.disable_local_igmp = true),
    // ---- scheduling of each child (no BFD child yet: its settings warn) ----
    Keyword::not_yet("bfd_priority", |c, s, ctx| sched_priority(&mut c.global.bfd_sched, "bfd", s, ctx)),
    Keyword::not_yet("bfd_no_swap", |c, _, _| c.global.bfd_sched.no_swap = true),
    Keyword::not_yet("bfd_cpu_affinity", |c, s, ctx| sched_cpus(&mut c.global.bfd_sched, "bfd", s, ctx)),
    Keyword::not_yet("bfd_rt_priority", |c, s, ctx| sched_rt(&mut c.global.bfd_sched, "bfd", s, ctx)),
    Keyword::not_yet("bfd_rlimit_rttime", |c, s, ctx| sched_rlimit(&mut c.global.bfd_sched, "bfd", s, ctx)),
    // The "rtime" spellings were deprecated on 02/02/2020.
    Keyword::new("vrrp_rlimit_rtime", |c, s, ctx| {
        deprecated_note(ctx, s, "Keyword 'vrrp_rlimit_rtime' is deprecated - please use 'vrrp_rlimit_rttime'");
        delegate(c, s, ctx, super::vrrp::GLOBAL_DEFS, "vrrp_rlimit_rttime");
    }),
    Keyword::new("checker_rlimit_rtime", |c, s, ctx| {
        deprecated_note(ctx, s, "Keyword 'checker_rlimit_rtime' is deprecated - please use 'checker_rlimit_rttime'");
        delegate(c, s, ctx, super::lvs::GLOBAL_DEFS, "checker_rlimit_rttime");
    }),
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
    Keyword::new("notify_fifo", |c, s, ctx| {
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
    Keyword::new("notify_fifo_script", |c, s, ctx| {
        let Some(w) = s.arg(0) else {
            return missing(ctx, s, "No notify_fifo_script specified");
        };
        if c.global.notify_fifo.script.is_some() {
            return ctx.error(w.span, format!("notify_fifo_script already specified - ignoring {}", w.text));
        }
        c.global.notify_fifo.script = ctx.script_with_user(s);
    }),
    Keyword::new("fifo_write_vrrp_states_on_reload", |c, _, _| c.global.fifo_write_vrrp_states_on_reload = true),
    // ---- netlink buffers of the process monitor ----
    Keyword::new("process_monitor_rcv_bufs", |c, s, ctx| {
        if s.arg(0).is_none() {
            return missing(ctx, s, "process_monitor_rcv_bufs size missing");
        }
        let v = uint(ctx, s, 0, 0, u64::from(u32::MAX), |t| format!("process_monitor_rcv_bufs size ({t}) invalid"));
        // Upstream treats 0 as "not set".
        if let Some(v) = v.and_then(|v| u32::try_from(v).ok()).filter(|v| *v != 0) {
            c.global.process_monitor_rcv_bufs = Some(v);
        }
    }),
    Keyword::new("process_monitor_rcv_bufs_force", |c, s, ctx| {
        if let Some(b) =
            bool_arg(ctx, s, |t| format!("Invalid value '{t}' for global process_monitor_rcv_bufs_force specified"))
        {
            c.global.process_monitor_rcv_bufs_force = b;
        }
    }),
    // ---- misc ----
    Keyword::new("umask", umask),
    // The preprocessor seeds ${_RANDOM} from it; the model keeps the value.
    Keyword::new("random_seed", |c, s, ctx| {
        if let Some(v) = uint(ctx, s, 0, 0, u64::from(u32::MAX), |t| format!("random_seed {t} invalid")) {
            c.global.random_seed = u32::try_from(v).ok();
        }
    }),
    Keyword::new("reload_check_config", |c, s, _| {
        c.global.reload_check_config = Some(s.arg(0).map(|w| w.text.clone()).unwrap_or_else(|| "/dev/null".into()));
    }),
    Keyword::new("reload_time_file", |c, s, ctx| match (s.arg(0), s.args.len()) {
        (Some(w), 1) => c.global.reload_time_file = Some(Spanned::new(w.text.clone(), w.span)),
        _ => ctx.error(s.span(), "reload_time_file invalid"),
    }),
    Keyword::new("reload_repeat", |c, _, _| c.global.reload_repeat = true),
    Keyword::new("reload_file", |c, s, _| {
        c.global.reload_file = Some(match s.arg(0) {
            Some(w) => ReloadFile::Path(w.text.clone()),
            None => ReloadFile::Default,
        });
    }),
    // The preprocessor applies include_check (to the files included after it)
    // and reports its options; nothing is left for the model.
    Keyword::new("include_check", |_, _, _| {}),
    Keyword::new("data_use_instance", |c, s, ctx| {
        // "date_use_instance" is upstream's spelling in this message.
        if let Some(b) = bool_arg(ctx, s, |t| format!("Invalid value '{t}' for global date_use_instance specified")) {
            c.global.data_use_instance = b;
        }
    }),
    Keyword::new("state_file_location", |c, s, ctx| {
        c.global.state_file_location = path_arg(ctx, s).or(c.global.state_file_location.take())
    }),
    Keyword::new("stats_file_location", |c, s, ctx| {
        c.global.stats_file_location = path_arg(ctx, s).or(c.global.stats_file_location.take())
    }),
    Keyword::new("json_file_location", |c, s, ctx| {
        c.global.json_file_location = path_arg(ctx, s).or(c.global.json_file_location.take())
    }),
    Keyword::new("json_version", |c, s, ctx| {
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

/// Hands a statement to keyword `name` of the part that owns the value (a
/// deprecated spelling kept here); unknown when that part lacks it.
fn delegate(c: &mut Config, s: &Stmt, ctx: &mut Ctx, table: &[Keyword<Config>], name: &str) {
    match table.iter().find(|k| k.name == name) {
        Some(k) => (k.handler)(c, s, ctx),
        None => ctx.unknown(s, table.iter().map(|k| k.name)),
    }
}

/// `global_defs { ... }`: its keywords are spread over the parts that use them.
fn global_defs(c: &mut Config, s: &Stmt, ctx: &mut Ctx) {
    if c.global.defs_span.is_none() {
        c.global.defs_span = Some(s.span());
    }
    ctx.apply_tables(c, s.children(), &[GLOBAL_DEFS, super::vrrp::GLOBAL_DEFS, super::lvs::GLOBAL_DEFS]);
}

// ---------------------------------------------------------------------------
// Validation

/// Checks that need the whole model (references, conflicts, required fields).
/// keepalived resolves the `smtp_server` name as it reads it: one that does
/// not resolve is invalid ("Invalid smtp server NAME PORT") and ignored.
pub fn resolve_names(cfg: &mut Config, sys: &SystemView, ctx: &mut Ctx) {
    let Some(server) = &cfg.global.smtp.server else { return };
    if let crate::config::model::global::SmtpHost::Name(name) = &server.value.host {
        if !sys.resolves(name) {
            ctx.error(server.span, format!("Invalid smtp server {name} {}", server.value.port));
            cfg.global.smtp.server = None;
        }
    }
}

pub fn validate(cfg: &mut Config, sys: &SystemView, ctx: &mut Ctx) {
    let g = &cfg.global;
    // `dynamic_interfaces` (a VRRP global): interfaces may come and go.
    let dynamic = cfg.vrrp.globals.dynamic_interfaces.is_some();
    // Upstream refuses to run with an interface it does not know here
    // (CONFIG_FATAL), unless interfaces may come and go.
    if !dynamic {
        for lb in &g.linkbeat_interfaces {
            ctx.check_interface(sys, &lb.name, Severity::Fatal, |n| {
                format!("unknown interface {n} specified for linkbeat interface")
            });
        }
        for d in &g.interface_up_down_delays {
            ctx.check_interface(sys, &d.ifname, Severity::Fatal, |n| {
                format!("unknown interface {n} specified for up/down delay")
            });
        }
    }
    // A VRRP matter: said by whoever reads the VRRP part, where upstream says it.
    if cfg.parts.vrrp {
        let before = ctx.diags.len();
        validate_track_groups(cfg, ctx);
        for d in ctx.diags.iter_mut().skip(before) {
            d.part = Some(crate::config::model::Part::Vrrp);
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

/// Members of track groups that name no vrrp_instance.
fn validate_track_groups(cfg: &Config, ctx: &mut Ctx) {
    // Upstream resolves the members once everything is read, and only logs
    // the ones it cannot find.
    for tg in &cfg.global.track_groups {
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
}
