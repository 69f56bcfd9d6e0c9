//! The readable dump (`-d`) of the vrrp part.

use std::fmt::Write as _;
use std::time::Duration;

use crate::config::model::Config;
use crate::config::model::Script;
use crate::config::model::vrrp::{Auth, InitialState, Notify, Reverse, Tracked, Tracking};

fn secs(d: Duration) -> String {
    let us = d.as_micros();
    if us % 1_000_000 == 0 { format!("{}s", us / 1_000_000) } else { format!("{:.6}s", d.as_secs_f64()) }
}

fn script(s: &Script) -> String {
    let mut out = s.command_line();
    if let Some(u) = &s.user {
        let _ = write!(out, " (user {u}");
        if let Some(g) = &s.group {
            let _ = write!(out, " group {g}");
        }
        out.push(')');
    }
    out
}

fn tracked(out: &mut String, indent: &str, what: &str, list: &[Tracked]) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "{indent}{what}:");
    for t in list {
        let _ = write!(out, "{indent}  {}", t.name.value);
        if let Some(w) = t.weight {
            let _ = write!(out, " weight {w}");
        }
        match t.reverse {
            Reverse::Default => {}
            Reverse::Reverse => out.push_str(" reverse"),
            Reverse::NoReverse => out.push_str(" noreverse"),
        }
        out.push('\n');
    }
}

fn tracking(out: &mut String, indent: &str, t: &Tracking) {
    tracked(out, indent, "Tracked interfaces", &t.interfaces);
    tracked(out, indent, "Tracked scripts", &t.scripts);
    tracked(out, indent, "Tracked files", &t.files);
    tracked(out, indent, "Tracked processes", &t.processes);
    tracked(out, indent, "Tracked BFDs", &t.bfds);
}

fn notify(out: &mut String, indent: &str, n: &Notify) {
    for (k, v) in [
        ("notify_master", &n.master),
        ("notify_backup", &n.backup),
        ("notify_fault", &n.fault),
        ("notify_stop", &n.stop),
        ("notify_master_rx_lower_pri", &n.master_rx_lower_pri),
        ("notify", &n.any),
    ] {
        if let Some(s) = v {
            let _ = writeln!(out, "{indent}{k} = {}", script(s));
        }
    }
    match &n.deleted {
        Some(Some(s)) => {
            let _ = writeln!(out, "{indent}notify_deleted = {}", script(s));
        }
        Some(None) => {
            let _ = writeln!(out, "{indent}notify_deleted = (no script)");
        }
        None => {}
    }
    if let Some(b) = n.priority_changes {
        let _ = writeln!(out, "{indent}notify_priority_changes = {b}");
    }
    if let Some(b) = n.smtp_alert {
        let _ = writeln!(out, "{indent}smtp_alert = {b}");
    }
}

/// Appends the readable dump (`-d`) of this part.
pub fn dump(cfg: &Config, out: &mut String) {
    let v = &cfg.vrrp;
    let g = &v.globals;
    let _ = writeln!(out, "------< VRRP globals >------");
    let _ = writeln!(out, " vrrp_version = {}", g.version);
    let _ = writeln!(out, " vrrp_strict = {}", g.strict);
    let _ = writeln!(out, " vrrp_mcast_group4 = {}", g.mcast_group4);
    let _ = writeln!(out, " vrrp_mcast_group6 = {}", g.mcast_group6);
    let _ = writeln!(out, " default_interface = {}", g.default_interface);
    let _ = writeln!(out, " vrrp_garp_master_delay = {}", secs(g.garp_master_delay));
    let _ = writeln!(out, " vrrp_garp_master_repeat = {}", g.garp_master_repeat);
    let _ = writeln!(out, " vrrp_garp_lower_prio_delay = {}", secs(g.garp_lower_prio_delay));
    let _ = writeln!(out, " vrrp_garp_lower_prio_repeat = {}", g.garp_lower_prio_repeat);
    let _ = writeln!(
        out,
        " vrrp_garp_master_refresh = {}",
        g.garp_master_refresh.map(secs).unwrap_or_else(|| "none".into())
    );
    let _ = writeln!(out, " vrrp_garp_master_refresh_repeat = {}", g.garp_master_refresh_repeat);
    let _ = writeln!(out, " vrrp_garp_interval = {}", secs(g.garp_interval));
    let _ = writeln!(out, " vrrp_gna_interval = {}", secs(g.gna_interval));
    let _ = writeln!(out, " vrrp_min_garp = {}", g.min_garp);
    let _ = writeln!(out, " vrrp_down_timer_adverts = {}", g.down_timer_adverts);
    let _ = writeln!(out, " vrrp_check_unicast_src = {}", g.check_unicast_src);
    let _ = writeln!(out, " vrrp_skip_check_adv_addr = {}", g.skip_check_adv_addr);
    let _ = writeln!(out, " v3_checksum_as_v2 = {}", g.v3_checksum_as_v2);
    let _ = writeln!(out, " vrrp_rx_bufs_multiplier = {}", g.rx_bufs_multiplier);
    if let Some(d) = g.startup_delay {
        let _ = writeln!(out, " vrrp_startup_delay = {}", secs(d));
    }
    if let Some(s) = &g.notify_fifo {
        let _ = writeln!(out, " vrrp_notify_fifo = {}", script(s));
    }
    if let Some(s) = &g.notify_fifo_script {
        let _ = writeln!(out, " vrrp_notify_fifo_script = {}", script(s));
    }

    for s in &v.scripts {
        let _ = writeln!(out, "------< VRRP script {} >------", s.name);
        if let Some(sc) = &s.script {
            let _ = writeln!(out, " script = {}", script(sc));
        }
        let _ = writeln!(out, " interval = {}", secs(s.interval));
        let _ = writeln!(out, " timeout = {}", secs(s.timeout));
        let _ = writeln!(out, " weight = {}{}", s.weight, if s.weight_reverse { " reverse" } else { "" });
        let _ = writeln!(out, " rise = {}", s.rise);
        let _ = writeln!(out, " fall = {}", s.fall);
        let _ = writeln!(out, " init_fail = {}", s.init_fail);
    }
    for t in &v.track_files {
        let _ = writeln!(out, "------< Track file {} >------", t.name);
        let _ = writeln!(out, " file = {}", t.file.as_deref().unwrap_or(""));
        let _ = writeln!(out, " weight = {}{}", t.weight, if t.weight_reverse { " reverse" } else { "" });
        if let Some((val, ow)) = t.init_file {
            let _ = writeln!(out, " init_file = {val}{}", if ow { " overwrite" } else { "" });
        }
    }
    for t in &v.track_processes {
        let _ = writeln!(out, "------< Track process {} >------", t.name);
        let _ = writeln!(out, " process = {}", t.process.as_deref().unwrap_or_default().join(" "));
        if let Some(m) = t.param_match {
            let _ = writeln!(out, " param_match = {m:?}");
        }
        let _ = writeln!(out, " weight = {}{}", t.weight, if t.weight_reverse { " reverse" } else { "" });
        let _ = writeln!(out, " quorum = {}", t.quorum);
        let _ = writeln!(
            out,
            " quorum_max = {}",
            t.quorum_max.map(|q| q.to_string()).unwrap_or_else(|| "unlimited".into())
        );
        let _ = writeln!(out, " fork_delay = {}", secs(t.fork_delay));
        let _ = writeln!(out, " terminate_delay = {}", secs(t.terminate_delay));
        let _ = writeln!(out, " full_command = {}", t.full_command);
    }
    for sg in &v.sync_groups {
        let _ = writeln!(out, "------< VRRP sync group {} >------", sg.name);
        let names: Vec<&str> = sg.members.iter().map(|m| m.value.as_str()).collect();
        let _ = writeln!(out, " group = {}", names.join(" "));
        tracking(out, " ", &sg.tracking);
        notify(out, " ", &sg.notify);
        if sg.sync_group_tracking_weight {
            let _ = writeln!(out, " sync_group_tracking_weight = true");
        }
    }
    for gg in &v.garp_groups {
        let _ = writeln!(out, "------< GARP group >------");
        if let Some(d) = gg.garp_interval {
            let _ = writeln!(out, " garp_interval = {}", secs(d));
        }
        if let Some(d) = gg.gna_interval {
            let _ = writeln!(out, " gna_interval = {}", secs(d));
        }
        if let Some(i) = &gg.interface {
            let _ = writeln!(out, " interface = {}", i.value);
        }
        let names: Vec<&str> = gg.interfaces.iter().map(|m| m.value.as_str()).collect();
        if !names.is_empty() {
            let _ = writeln!(out, " interfaces = {}", names.join(" "));
        }
    }
    for i in &v.instances {
        let _ = writeln!(out, "------< VRRP instance {} >------", i.name);
        let _ = writeln!(out, " state = {}", if i.state == InitialState::Master { "MASTER" } else { "BACKUP" });
        let _ = writeln!(out, " interface = {}", i.interface.as_ref().map(|s| s.value.as_str()).unwrap_or("(none)"));
        let _ = writeln!(out, " virtual_router_id = {}", i.vrid);
        let _ = writeln!(out, " priority = {}", i.priority);
        let _ = writeln!(out, " advert_int = {}", secs(i.advert_interval));
        let _ = writeln!(out, " version = {}", i.version);
        let _ = writeln!(out, " family = {}", if i.ipv6 { "IPv6" } else { "IPv4" });
        let _ = writeln!(out, " nopreempt = {}", i.nopreempt);
        let _ = writeln!(out, " preempt_delay = {}", secs(i.preempt_delay));
        let _ = writeln!(out, " accept = {}", i.accept);
        let _ = writeln!(out, " strict_mode = {}", i.strict);
        match &i.auth {
            Some(Auth::Pass(p)) => {
                let _ = writeln!(out, " authentication = PASS ({} bytes)", p.len());
            }
            Some(Auth::Ah(p)) => {
                let _ = writeln!(out, " authentication = AH ({} bytes)", p.len());
            }
            None => {}
        }
        if let Some(h) = &i.auth_hmac {
            let ids: Vec<String> = h.keys.iter().map(|k| k.id.to_string()).collect();
            let _ = writeln!(
                out,
                " auth_hmac = keys [{}] active {} anti_replay {:?} window {} mode {:?}",
                ids.join(","),
                h.active_key,
                h.anti_replay,
                secs(h.time_window),
                h.mode
            );
        }
        if let Some(a) = &i.mcast_src_ip {
            let _ = writeln!(out, " mcast_src_ip = {}", a.value);
        }
        let _ = writeln!(out, " mcast_dst_ip = {}", i.mcast_dst_ip);
        if let Some(a) = &i.unicast_src_ip {
            let _ = writeln!(out, " unicast_src_ip = {}", a.value);
        }
        if !i.unicast_peers.is_empty() {
            let _ = writeln!(out, " unicast_peers:");
            for p in &i.unicast_peers {
                let _ = write!(out, "   {}", p.addr);
                if let Some(t) = p.min_ttl {
                    let _ = write!(out, " min_ttl {t}");
                }
                if let Some(t) = p.max_ttl {
                    let _ = write!(out, " max_ttl {t}");
                }
                out.push('\n');
            }
        }
        if let Some(t) = i.unicast_ttl {
            let _ = writeln!(out, " unicast_ttl = {t}");
        }
        let _ = writeln!(out, " check_unicast_src = {}", i.check_unicast_src);
        let _ = writeln!(out, " garp_master_delay = {}", secs(i.garp.master_delay));
        let _ = writeln!(out, " garp_master_repeat = {}", i.garp.master_repeat);
        let _ = writeln!(out, " garp_lower_prio_delay = {}", secs(i.garp.lower_prio_delay));
        let _ = writeln!(out, " garp_lower_prio_repeat = {}", i.garp.lower_prio_repeat);
        let _ = writeln!(
            out,
            " garp_master_refresh = {}",
            i.garp.master_refresh.map(secs).unwrap_or_else(|| "none".into())
        );
        let _ = writeln!(out, " garp_master_refresh_repeat = {}", i.garp.master_refresh_repeat);
        let _ = writeln!(out, " down_timer_adverts = {}", i.down_timer_adverts);
        let _ = writeln!(out, " lower_prio_no_advert = {}", i.lower_prio_no_advert);
        let _ = writeln!(out, " higher_prio_send_advert = {}", i.higher_prio_send_advert);
        let _ = writeln!(out, " skip_check_adv_addr = {}", i.skip_check_adv_addr);
        if let Some(g) = &i.sync_group {
            let _ = writeln!(out, " sync_group = {g}");
        }
        if let Some(vm) = &i.use_vmac {
            let _ = writeln!(out, " use_vmac = {}", vm.name.as_deref().unwrap_or("(auto)"));
        }
        for (what, list) in [("virtual_ipaddress", &i.vips), ("virtual_ipaddress_excluded", &i.evips)] {
            if !list.is_empty() {
                let _ = writeln!(out, " {what}:");
                for a in list {
                    let _ = writeln!(out, "   {a}");
                }
            }
        }
        if !i.routes.is_empty() {
            let _ = writeln!(out, " virtual_routes:");
            for r in &i.routes {
                let _ = writeln!(out, "   {r}");
            }
        }
        if !i.rules.is_empty() {
            let _ = writeln!(out, " virtual_rules:");
            for r in &i.rules {
                let _ = writeln!(out, "   {r}");
            }
        }
        tracking(out, " ", &i.tracking);
        notify(out, " ", &i.notify);
    }
}
