//! "Global definitions": the first section of every process's `.data`
//! file, line for line as Debian's keepalived 2.2.7 writes it (its build:
//! VRRP, LVS, BFD, SNMP, DBus, nftables, VMAC, process tracking).
//!
//! What a process shows depends on which it is, as in keepalived: only the
//! VRRP child names its default interface and resolves the GARP
//! lower-priority defaults (the others show them unset).

use super::users::Users;
use super::{Lines, fmt_g, line, tf};
use crate::config::model::global::{GlobalConfig, ReloadFile, SmtpHost};
use crate::config::model::lvs::{FlushOnStop, LvsGlobals};
use crate::config::model::vrrp::VrrpGlobals;

/// Which process writes the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Process {
    Parent,
    Vrrp,
    Checker,
    Bfd,
}

/// keepalived's "not set" value of unsigned parameters.
const PARAMETER_UNSET: u32 = u32::MAX;

/// The facts of the running process the section shows beside the configuration.
#[derive(Clone, Debug)]
pub(crate) struct Host<'a> {
    pub process: Process,
    /// The network namespace in use (`-s` or global_defs `net_namespace`).
    pub namespace: Option<&'a str>,
    /// The host name: router_id's default, the SMTP HELO name's.
    pub local_name: &'a str,
    /// Whether pid files are in /run/keepalived (`use_pid_dir`, implied by
    /// an instance or namespace), for the default reload file's name.
    pub use_pid_dir: bool,
    pub users: &'a Users,
    /// The umask keepalived sets (`-u`, else global_defs `umask`).
    pub umask: u32,
    /// The realtime priority and RLIMIT_RTTIME the process runs with (0: none).
    pub cur_rt_priority: u32,
    pub cur_rlimit_rttime: u32,
}

/// The configuration the section shows: every process has all three parts
/// of global_defs (see `config::build::global`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Globals<'a> {
    pub global: &'a GlobalConfig,
    pub vrrp: &'a VrrpGlobals,
    pub lvs: &'a LvsGlobals,
    /// Whether `vrrp_garp_lower_prio_delay` / `_repeat` were written: the
    /// model resolves them from the master settings, keepalived's processes
    /// other than VRRP show them unset unless written.
    pub lower_prio_written: (bool, bool),
}

fn secs_u(d: std::time::Duration) -> u64 {
    d.as_secs()
}

fn on_off_unset(v: Option<bool>) -> &'static str {
    match v {
        None => "unset",
        Some(true) => "on",
        Some(false) => "off",
    }
}

fn en(b: bool) -> &'static str {
    if b { "enabled" } else { "disabled" }
}

fn cpus(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
}

/// The section, header included.
pub(crate) fn render(g: Globals<'_>, host: &Host<'_>) -> String {
    let mut out = Lines::default();
    write(&mut out, g, host);
    out.0
}

/// Appends the section to `out`.
pub(crate) fn write(out: &mut Lines, g: Globals<'_>, host: &Host<'_>) {
    let Globals { global: gl, vrrp: v, lvs, lower_prio_written } = g;
    let users = host.users;
    line!(out, "------< Global definitions >------");
    if let Some(d) = &gl.config_save_dir {
        let mut d = d.value.clone();
        if !d.ends_with('/') {
            d.push('/');
        }
        line!(out, " Config save dir = {d}");
    }
    line!(out, " Network namespace = {}", host.namespace.unwrap_or("(default)"));
    let ipvs_ns = match &gl.net_namespace_ipvs {
        None => "(main namespace)",
        Some(n) if n.value.is_empty() => "(default)",
        Some(n) => n.value.as_str(),
    };
    line!(out, " Network namespace ipvs = {ipvs_ns}");
    if let Some(i) = &gl.instance {
        line!(out, " Instance name = {}", i.value);
    }
    if let Some(n) = &gl.process_names.parent {
        line!(out, " Parent process name = {n}");
    }
    if let Some(n) = &v.process_name {
        line!(out, " VRRP process name = {n}");
    }
    if let Some(n) = &lvs.checker_process_name {
        line!(out, " LVS process name = {n}");
    }
    if let Some(n) = &gl.process_names.bfd {
        line!(out, " BFD process name = {n}");
    }
    line!(out, " Router ID = {}", gl.router_id_or(host.local_name));
    let smtp = &gl.smtp;
    if let Some(sv) = &smtp.server {
        let host_s = match &sv.value.host {
            SmtpHost::Addr(a) => a.to_string(),
            SmtpHost::Name(n) => n.clone(),
        };
        line!(out, " Smtp server = {host_s}");
        line!(out, " Smtp server port = {}", sv.value.port);
        line!(out, " Smtp HELO name = {}", smtp.helo_name.as_deref().unwrap_or(host.local_name));
        line!(out, " Smtp server connection timeout = {}", secs_u(smtp.connect_timeout));
    } else if let Some(h) = &smtp.helo_name {
        line!(out, " Smtp HELO name = {h}");
    }
    let from = match (&smtp.email_from, &smtp.server) {
        (Some(f), _) => Some(f.value.clone()),
        (None, Some(_)) => Some(format!("keepalived@{}", host.local_name)),
        (None, None) => None,
    };
    if let Some(f) = from {
        line!(out, " Email notification from = {f}");
        line!(out, " Email notification to:");
        for e in &smtp.emails {
            line!(out, "   {}", e.value);
        }
    }
    line!(out, " Default smtp_alert = {}", on_off_unset(smtp.alert));
    line!(out, " Default smtp_alert_vrrp = {}", on_off_unset(smtp.alert_vrrp));
    line!(out, " Default smtp_alert_checker = {}", on_off_unset(lvs.smtp_alert_checker));
    line!(out, " Checkers log all failures = {}", tf(lvs.checker_log_all_failures));
    match &gl.reload_check_config {
        Some(f) => line!(out, " Test config before reload, log to {f}"),
        None => line!(out, " No test config before reload"),
    }
    if let Some(f) = &gl.reload_time_file {
        line!(out, " Reload time file = {}{}", f.value, if gl.reload_repeat { " (repeat)" } else { "" });
        line!(out, " No reload scheduled");
    }
    if let Some(rf) = &gl.reload_file {
        let path = match rf {
            ReloadFile::Path(p) => p.clone(),
            ReloadFile::Default => match &gl.instance {
                Some(i) => format!("/run/keepalived/keepalived_{}.reload", i.value),
                None if host.use_pid_dir => "/run/keepalived/keepalived.reload".into(),
                None => "/run/keepalived.reload".into(),
            },
        };
        line!(out, " Reload_file = {path}");
    }
    if let Some(d) = &gl.tmp_config_directory {
        line!(out, " config save directory = {}", d.value);
    }
    if gl.data_use_instance {
        line!(out, " Use instance name in data dumps");
    }
    if let Some(s) = &gl.startup_script {
        let (u, g) = users.script_ids(s);
        line!(
            out,
            " Startup script = {}, uid:gid {u}:{g}, timeout {}",
            users.cmd(s),
            secs_u(gl.startup_script_timeout)
        );
    }
    if let Some(s) = &gl.shutdown_script {
        let (u, g) = users.script_ids(s);
        line!(
            out,
            " Shutdown script = {}, uid:gid {u}:{g} timeout {}",
            users.cmd(s),
            secs_u(gl.shutdown_script_timeout)
        );
    }
    line!(out, " Dynamic interfaces = {}", tf(v.dynamic_interfaces.is_some()));
    if let Some(allow) = v.dynamic_interfaces {
        line!(out, " Allow interface changes = {}", tf(allow));
    }
    if smtp.no_email_faults {
        line!(out, " Send emails for fault transitions = off");
    }
    if let Some(t) = lvs.timeouts.tcp {
        line!(out, " LVS TCP timeout = {t}");
    }
    if let Some(t) = lvs.timeouts.tcpfin {
        line!(out, " LVS TCP FIN timeout = {t}");
    }
    // keepalived 2.2.7 labels the UDP timeout "TCP" too.
    if let Some(t) = lvs.timeouts.udp {
        line!(out, " LVS TCP timeout = {t}");
    }
    if host.process == Process::Vrrp {
        line!(out, " Default interface = {}", v.default_interface);
    }
    line!(out, " Disable local IGMP = {}", if gl.disable_local_igmp { "yes" } else { "no" });
    if let Some(sd) = &lvs.sync_daemon {
        if let Some(i) = &sd.instance {
            if host.process == Process::Vrrp {
                line!(out, " LVS syncd vrrp instance = {i}");
            } else {
                line!(out, " LVS syncd vrrp name = {i}");
            }
        }
        line!(out, " LVS syncd interface = {}", sd.interface);
        line!(out, " LVS syncd syncid = {}", sd.syncid.map_or(PARAMETER_UNSET, u32::from));
        if let Some(m) = sd.maxlen {
            line!(out, " LVS syncd maxlen = {m}");
        }
        if let Some(gr) = &sd.group {
            line!(out, " LVS mcast group {gr}");
        }
        if let Some(p) = sd.port {
            line!(out, " LVS syncd mcast port = {p}");
        }
        if let Some(t) = sd.ttl {
            line!(out, " LVS syncd mcast ttl = {t}");
        }
    }
    line!(out, " LVS flush = {}", tf(lvs.flush));
    let fos = match lvs.flush_on_stop {
        FlushOnStop::Full => "full",
        FlushOnStop::Vs => "VS",
        FlushOnStop::No => "disabled",
    };
    line!(out, " LVS flush on stop = {fos}");
    if let Some(f) = &gl.notify_fifo.fifo {
        let (u, g) = users.fifo_ids(f.user.as_deref(), f.group.as_deref());
        line!(out, " Global notify fifo = {}, uid:gid {u}:{g}", f.path);
        if let Some(s) = &gl.notify_fifo.script {
            let (u, g) = users.script_ids(s);
            line!(out, " Global notify fifo script = {}, uid:gid {u}:{g}", users.cmd(s));
        }
    }
    if let Some(f) = &v.notify_fifo {
        // The VRRP FIFO is kept as a script whose argv[0] is its path.
        let path = f.argv.first().map_or("", String::as_str);
        let (u, g) = users.fifo_ids(f.user.as_deref(), f.group.as_deref());
        line!(out, " VRRP notify fifo = {path}, uid:gid {u}:{g}");
        if let Some(s) = &v.notify_fifo_script {
            let (u, g) = users.script_ids(s);
            line!(out, " VRRP notify fifo script = {}, uid:gid {u}:{g}", users.cmd(s));
        }
    }
    if let Some(f) = &lvs.notify_fifo {
        let (u, g) = users.fifo_ids(f.user.as_deref(), f.group.as_deref());
        line!(out, " LVS notify fifo = {}, uid:gid {u}:{g}", f.path);
        if let Some(s) = &lvs.notify_fifo_script {
            let (u, g) = users.script_ids(s);
            line!(out, " LVS notify fifo script = {}, uid:gid {u}:{g}", users.cmd(s));
        }
    }
    line!(out, " FIFO write vrrp states on reload = {}", tf(gl.fifo_write_vrrp_states_on_reload));
    line!(out, " VRRP notify priority changes = {}", tf(v.notify_priority_changes));
    line!(out, " VRRP IPv4 mcast group = {}", v.mcast_group4);
    line!(out, " VRRP IPv6 mcast group = {}", v.mcast_group6);
    line!(out, " Gratuitous ARP delay = {}", secs_u(v.garp_master_delay));
    line!(out, " Gratuitous ARP repeat = {}", v.garp_master_repeat);
    line!(out, " Gratuitous ARP refresh timer = {}", v.garp_master_refresh.map_or(0, secs_u));
    line!(out, " Gratuitous ARP refresh repeat = {}", v.garp_master_refresh_repeat);
    // Only the VRRP child fills in the defaults that follow the master settings.
    let resolved = host.process == Process::Vrrp;
    let lp_delay =
        if resolved || lower_prio_written.0 { secs_u(v.garp_lower_prio_delay) } else { u64::from(PARAMETER_UNSET) };
    let lp_rep = if resolved || lower_prio_written.1 { v.garp_lower_prio_repeat } else { PARAMETER_UNSET };
    line!(out, " Gratuitous ARP lower priority delay = {lp_delay}");
    line!(out, " Gratuitous ARP lower priority repeat = {lp_rep}");
    line!(out, " Num adverts before down = {}", v.down_timer_adverts);
    match &v.garp_extra_if {
        Some(x) => line!(
            out,
            " Gratuitous ARP for each secondary {} = {}s",
            if x.all { "i/f" } else { "VMAC" },
            x.interval.as_secs()
        ),
        None => line!(out, " Gratuitous ARP for each secondary VMAC = 0s"),
    }
    let lower_no_advert = v.lower_prio_no_advert.unwrap_or(false);
    line!(out, " Send advert after receive lower priority advert = {}", tf(!lower_no_advert));
    line!(out, " Send advert after receive higher priority advert = {}", tf(v.higher_prio_send_advert));
    line!(out, " Gratuitous ARP interval = {:.6}", v.garp_interval.as_secs_f64());
    line!(out, " Gratuitous NA interval = {:.6}", v.gna_interval.as_secs_f64());
    line!(out, " VRRP default protocol version = {}", v.version);
    if let Some(t) = vrrp_table(gl, v) {
        line!(out, " nftables table name = {t}");
        line!(out, " nftables base chain priority = {}", gl.nftables_priority);
        line!(
            out,
            " nftables {}force use ifindex for link local IPv6",
            if gl.nftables_ifindex { "" } else { "don't " }
        );
    }
    if let Some(t) = &lvs.nftables_ipvs {
        let t = if t.is_empty() { "keepalived_ipvs" } else { t.as_str() };
        line!(out, " ipvs nftables table name = {t}");
        line!(out, " ipvs nftables base chain priority = {}", lvs.nftables_ipvs_priority.unwrap_or(-1));
        line!(out, " ipvs nftables start fwmark = {}", lvs.nftables_ipvs_start_fwmark);
    }
    line!(out, " nftables with{} counters", if gl.nftables_counters { "" } else { "out" });
    // Debian's build names the libnftnl it was linked with here; keepalived-rs
    // links none, so it writes no such line.
    line!(out, " VRRP check unicast_src = {}", tf(v.check_unicast_src));
    line!(out, " VRRP skip check advert addresses = {}", tf(v.skip_check_adv_addr));
    line!(out, " VRRP strict mode = {}", tf(v.strict));
    match v.max_auto_priority {
        Some(-1) => line!(out, " Max auto priority = Disabled"),
        p => line!(out, " Max auto priority = {}", p.unwrap_or(0)),
    }
    line!(out, " Min auto priority delay = {} usecs", v.min_auto_priority_delay.unwrap_or(1_000_000));
    line!(out, " VRRP process priority = {}", v.priority.unwrap_or(0));
    line!(out, " VRRP don't swap = {}", tf(v.no_swap));
    line!(out, " VRRP realtime priority = {}", v.rt_priority.unwrap_or(0));
    if !v.cpu_affinity.is_empty() {
        line!(out, " VRRP CPU Affinity = {}", cpus(&v.cpu_affinity));
    }
    line!(out, " VRRP realtime limit = {}", v.rlimit_rttime.unwrap_or(10_000));
    line!(out, " Checker process priority = {}", lvs.checker_priority.unwrap_or(0));
    line!(out, " Checker don't swap = {}", tf(lvs.checker_no_swap));
    line!(out, " Checker realtime priority = {}", lvs.checker_rt_priority.unwrap_or(0));
    if !lvs.checker_cpu_affinity.is_empty() {
        line!(out, " Checker CPU Affinity = {}", cpus(&lvs.checker_cpu_affinity));
    }
    line!(out, " Checker realtime limit = {}", lvs.checker_rlimit_rttime.unwrap_or(10_000));
    let b = &gl.bfd_sched;
    line!(out, " BFD process priority = {}", b.priority);
    line!(out, " BFD don't swap = {}", tf(b.no_swap));
    line!(out, " BFD realtime priority = {}", b.rt_priority.unwrap_or(0));
    if !b.cpu_affinity.is_empty() {
        line!(out, " BFD CPU Affinity = {}", cpus(&b.cpu_affinity));
    }
    line!(out, " BFD realtime limit = {}", b.rlimit_rttime);
    let sn = &gl.snmp;
    line!(out, " SNMP vrrp {}", en(sn.enable_vrrp));
    line!(out, " SNMP checker {}", en(sn.enable_checker));
    line!(out, " SNMP RFCv2 {}", en(sn.enable_rfcv2));
    line!(out, " SNMP RFCv3 {}", en(sn.enable_rfcv3));
    line!(out, " SNMP traps {}", en(sn.enable_traps));
    line!(out, " SNMP socket = {}", sn.socket.as_deref().unwrap_or("default (unix:/var/agentx/master)"));
    line!(out, " DBus {}", en(gl.dbus.enabled));
    // keepalived names the service only when one was configured.
    let dbus_name = if gl.dbus.service_name == crate::config::model::global::Dbus::default().service_name {
        ""
    } else {
        gl.dbus.service_name.as_str()
    };
    line!(out, " DBus service name = {dbus_name}");
    line!(out, " Script security {}", en(gl.enable_script_security));
    let (u, gid) = users.default_ids();
    line!(out, " Default script uid:gid {u}:{gid}");
    line!(out, " vrrp_netlink_cmd_rcv_bufs = {}", v.netlink_cmd_rcv_bufs.unwrap_or(0));
    line!(out, " vrrp_netlink_cmd_rcv_bufs_force = {}", u8::from(v.netlink_cmd_rcv_bufs_force));
    line!(out, " vrrp_netlink_monitor_rcv_bufs = {}", v.netlink_monitor_rcv_bufs.unwrap_or(0));
    line!(out, " vrrp_netlink_monitor_rcv_bufs_force = {}", u8::from(v.netlink_monitor_rcv_bufs_force));
    line!(out, " process_monitor_rcv_bufs = {}", gl.process_monitor_rcv_bufs.unwrap_or(0));
    line!(out, " process_monitor_rcv_bufs_force = {}", u8::from(gl.process_monitor_rcv_bufs_force));
    line!(out, " lvs_netlink_cmd_rcv_bufs = {}", lvs.netlink_cmd_rcv_bufs.unwrap_or(0));
    line!(out, " lvs_netlink_cmd_rcv_bufs_force = {}", u8::from(lvs.netlink_cmd_rcv_bufs_force));
    line!(out, " lvs_netlink_monitor_rcv_bufs = {}", lvs.netlink_monitor_rcv_bufs.unwrap_or(0));
    line!(out, " lvs_netlink_monitor_rcv_bufs_force = {}", u8::from(lvs.netlink_monitor_rcv_bufs_force));
    line!(out, " rs_init_notifies = {}", u8::from(lvs.rs_init_notifies));
    line!(out, " no_checker_emails = {}", u8::from(lvs.no_checker_emails));
    match v.rx_bufs_policy.as_deref() {
        Some(p) if p.eq_ignore_ascii_case("MTU") => line!(out, " rx_bufs_policy = MTU"),
        Some(p) if p.eq_ignore_ascii_case("ADVERT") => line!(out, " rx_bufs_policy = ADVERT"),
        Some(n) => line!(out, " rx_bufs_size = {n}"),
        None => {}
    }
    line!(out, " rx_bufs_multiples = {}", v.rx_bufs_multiplier);
    line!(out, " umask = 0{:o}", host.umask);
    if let Some(d) = v.startup_delay.filter(|d| !d.is_zero()) {
        line!(out, " vrrp_startup_delay = {}", fmt_g(d.as_secs_f64()));
    }
    if v.log_unknown_vrids {
        line!(out, " log_unknown_vrids");
    }
    if let Some(p) = &v.vmac_prefix {
        line!(out, " VMAC prefix = {p}");
    }
    if let Some(p) = &v.vmac_addr_prefix {
        line!(out, " VMAC address prefix = {p}");
    }
    if host.cur_rt_priority != 0 {
        line!(out, " current realtime priority = {}", host.cur_rt_priority);
    }
    if host.cur_rlimit_rttime != 0 {
        line!(out, " current realtime time limit = {}", host.cur_rlimit_rttime);
    }
}

/// The VRRP nftables table: global_defs `nftables [TABLE]`, or
/// `vrrp_nftables`; keepalived's default name is "keepalived".
fn vrrp_table(gl: &GlobalConfig, v: &VrrpGlobals) -> Option<String> {
    let name = |s: &str| if s.is_empty() { "keepalived".to_owned() } else { s.to_owned() };
    gl.nftables.as_ref().map(|t| name(&t.value)).or_else(|| v.nftables.as_deref().map(name))
}

/// The global definitions a process keeps to write its `.data` file after
/// it has dropped the rest of the configuration (the parent does).
#[derive(Clone, Debug, Default)]
pub(crate) struct OwnedGlobals {
    pub global: GlobalConfig,
    pub vrrp: VrrpGlobals,
    pub lvs: LvsGlobals,
    pub lower_prio_written: (bool, bool),
}

impl OwnedGlobals {
    /// Takes the global definitions of a loaded configuration.
    pub(crate) fn of(cfg: &crate::config::model::Config) -> OwnedGlobals {
        let w = &cfg.vrrp.globals_written;
        OwnedGlobals {
            global: cfg.global.clone(),
            vrrp: cfg.vrrp.globals.clone(),
            lvs: cfg.lvs.globals.clone(),
            lower_prio_written: (w.garp_lower_prio_delay, w.garp_lower_prio_repeat),
        }
    }

    pub(crate) fn view(&self) -> Globals<'_> {
        Globals { global: &self.global, vrrp: &self.vrrp, lvs: &self.lvs, lower_prio_written: self.lower_prio_written }
    }
}

/// The host name (router_id's default) and the script users, read now.
pub(crate) fn host_facts(g: &GlobalConfig) -> (String, Users) {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").map(|s| s.trim().to_owned()).unwrap_or_default();
    (name, Users::system(g.script_user.as_ref(), g.use_symlink_paths))
}

/// A `.data` file that holds only the global definitions: the parent's
/// (`keepalived_parent.data`, as keepalived 2.2.7 writes it).
/// `umask`: `-u`, which wins over global_defs `umask`.
pub(crate) fn process_data(g: Globals<'_>, process: Process, namespace: Option<&str>, umask: Option<u32>) -> String {
    let (local, users) = host_facts(g.global);
    let host = Host {
        process,
        namespace,
        local_name: &local,
        use_pid_dir: g.global.use_pid_dir || g.global.instance.is_some() || namespace.is_some(),
        users: &users,
        umask: umask.unwrap_or(g.global.umask.value),
        cur_rt_priority: 0,
        cur_rlimit_rttime: 0,
    };
    render(g, &host)
}
