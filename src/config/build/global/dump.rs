//! The readable dump (`-d`) of the global part.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::Duration;

use crate::config::build::Spanned;
use crate::config::model::Config;
use crate::config::model::global::{ReloadFile, SmtpHost};

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
    let p = &g.bfd_sched;
    kv("BFD process priority", p.priority.to_string());
    kv("BFD don't swap", p.no_swap.to_string());
    let cpus: Vec<String> = p.cpu_affinity.iter().map(u32::to_string).collect();
    kv("BFD CPU affinity", if cpus.is_empty() { "(none)".into() } else { cpus.join(" ") });
    kv("BFD realtime priority", p.rt_priority.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into()));
    kv("BFD realtime limit", format!("{} usecs", p.rlimit_rttime));
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
