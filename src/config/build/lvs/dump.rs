//! The readable `-d` dump of the lvs part.

use std::fmt::Write as _;
use std::time::Duration;

use crate::config::model::Config;
use crate::config::model::lvs::{
    CheckCommon, CheckDefaults, Checker, CheckerKind, FlushOnStop, Forwarding, Granularity, LvsConfig, RealServer,
    TunnelCsum, TunnelKind, VirtualServer, VsKey,
};

fn secs(d: Duration) -> String {
    let us = d.as_micros();
    if us % 1_000_000 == 0 { format!("{}s", us / 1_000_000) } else { format!("{}s", d.as_secs_f64()) }
}

/// An optional value, "-" when unset.
fn opt<T: std::fmt::Display>(o: Option<T>) -> String {
    o.map(|v| v.to_string()).unwrap_or_else(|| "-".to_owned())
}

fn fwd(f: Forwarding) -> String {
    match f {
        Forwarding::Nat => "NAT".into(),
        Forwarding::Dr => "DR".into(),
        Forwarding::Tun(t) => {
            let kind = match t.kind {
                TunnelKind::Ipip => "ipip".to_owned(),
                TunnelKind::Gue { port } => format!("gue port {port}"),
                TunnelKind::Gre => "gre".to_owned(),
            };
            let csum = match t.csum {
                TunnelCsum::NoCsum => "nocsum",
                TunnelCsum::Csum => "csum",
                TunnelCsum::RemCsum => "remcsum",
            };
            format!("TUN type {kind} {csum}")
        }
    }
}

/// Appends the readable dump (`-d`) of this part.
pub fn dump(cfg: &Config, out: &mut String) {
    let lvs = &cfg.lvs;
    dump_globals(lvs, out);
    if let Some(ssl) = &lvs.ssl {
        let _ = writeln!(out, "------< SSL definitions >------");
        for (k, v) in [
            ("Password", &ssl.password),
            ("CA-file", &ssl.ca),
            ("Certificate file", &ssl.certificate),
            ("Key file", &ssl.key),
        ] {
            if let Some(v) = v {
                let _ = writeln!(out, " {k} = {v}");
            }
        }
    }
    if !lvs.groups.is_empty() {
        let _ = writeln!(out, "------< LVS Topology >------");
        let _ = writeln!(out, " Virtual Server Groups = {}", lvs.groups.len());
        for g in &lvs.groups {
            let _ = writeln!(out, " Virtual Server Group = {}", g.name);
            for r in &g.ranges {
                let _ = writeln!(out, "   range = {} - {} port {}", r.first, r.last, r.port);
            }
            for f in &g.fwmarks {
                let fam = f.family.map(|f| format!(" {}", f.name())).unwrap_or_default();
                let _ = writeln!(out, "   fwmark = {}{fam}", f.fwmark);
            }
        }
    }
    for vs in &lvs.virtual_servers {
        dump_vs(vs, out);
    }
}

fn dump_globals(lvs: &LvsConfig, out: &mut String) {
    let g = &lvs.globals;
    let _ = writeln!(out, "------< LVS global definitions >------");
    if let Some(n) = &g.checker_process_name {
        let _ = writeln!(out, " checker_process_name = {n}");
    }
    if let Some(b) = g.smtp_alert_checker {
        let _ = writeln!(out, " smtp_alert_checker = {b}");
    }
    let _ = writeln!(out, " checker_log_all_failures = {}", g.checker_log_all_failures);
    if let Some(d) = &g.sync_daemon {
        let _ = writeln!(
            out,
            " lvs_sync_daemon = {} instance {} id {} maxlen {} port {} ttl {} group {}",
            d.interface,
            opt(d.instance.as_deref()),
            opt(d.syncid),
            opt(d.maxlen),
            opt(d.port),
            opt(d.ttl),
            opt(d.group)
        );
    }
    let t = &g.timeouts;
    let _ = writeln!(out, " lvs_timeouts = tcp {} tcpfin {} udp {}", opt(t.tcp), opt(t.tcpfin), opt(t.udp));
    let _ = writeln!(out, " lvs_flush = {}", g.flush);
    let flush_on_stop = match g.flush_on_stop {
        FlushOnStop::No => "no",
        FlushOnStop::Full => "yes",
        FlushOnStop::Vs => "VS",
    };
    let _ = writeln!(out, " lvs_flush_on_stop = {flush_on_stop}");
    if let Some(n) = &g.nftables_ipvs {
        let _ = writeln!(out, " nftables_ipvs = {n:?} priority {}", opt(g.nftables_ipvs_priority));
    }
    let _ = writeln!(out, " nftables_ipvs_start_fwmark = {}", g.nftables_ipvs_start_fwmark);
    if let Some(p) = g.checker_priority {
        let _ = writeln!(out, " checker_priority = {p}");
    }
    let _ = writeln!(out, " checker_no_swap = {}", g.checker_no_swap);
    if !g.checker_cpu_affinity.is_empty() {
        let cpus: Vec<String> = g.checker_cpu_affinity.iter().map(u32::to_string).collect();
        let _ = writeln!(out, " checker_cpu_affinity = {}", cpus.join(" "));
    }
    if let Some(p) = g.checker_rt_priority {
        let _ = writeln!(out, " checker_rt_priority = {p}");
    }
    if let Some(p) = g.checker_rlimit_rttime {
        let _ = writeln!(out, " checker_rlimit_rttime = {p}");
    }
    let _ = writeln!(out, " snmp_vs_stats_update_interval = {}", secs(g.snmp_vs_stats_update_interval));
    let _ = writeln!(out, " snmp_rs_stats_update_interval = {}", secs(g.snmp_rs_stats_update_interval));
    if let Some(f) = &g.notify_fifo {
        let _ = writeln!(
            out,
            " lvs_notify_fifo = {} user {} group {}",
            f.path,
            opt(f.user.as_deref()),
            opt(f.group.as_deref())
        );
    }
    if let Some(s) = &g.notify_fifo_script {
        let _ = writeln!(out, " lvs_notify_fifo_script = {}", s.command_line());
    }
    let _ = writeln!(out, " rs_init_notifies = {}", g.rs_init_notifies);
    let _ = writeln!(out, " no_checker_emails = {}", g.no_checker_emails);
}

fn dump_vs(vs: &VirtualServer, out: &mut String) {
    let key = match &vs.key {
        VsKey::Addr(sa) => format!("{} {}", sa.ip(), sa.port()),
        VsKey::Fwmark(m) => format!("fwmark {m}"),
        VsKey::Group(g) => format!("group {g}"),
    };
    let _ = writeln!(out, " VS = {key}");
    let _ = writeln!(out, "   name = {}", vs.display_name());
    if let Some(f) = vs.family {
        let _ = writeln!(out, "   family = {}", f.name());
    }
    let _ = writeln!(out, "   protocol = {}", vs.protocol.map(|p| p.name()).unwrap_or("none"));
    let _ = writeln!(out, "   lvs_sched = {}", vs.scheduler.map(|s| s.name()).unwrap_or("(unset)"));
    let f = vs.flags;
    let _ = writeln!(
        out,
        "   flags = flag-1 {} flag-2 {} flag-3 {} ops {} hashed {}",
        f.flag1, f.flag2, f.flag3, f.ops, f.hashed
    );
    let _ = writeln!(out, "   lvs_method = {}", vs.forwarding.map(fwd).unwrap_or_else(|| "(unset)".into()));
    let p = &vs.persistence;
    let _ = writeln!(out, "   persistence_timeout = {}", p.timeout);
    match p.granularity {
        Some(Granularity::V4Mask(m)) => {
            let _ = writeln!(out, "   persistence_granularity = {m}");
        }
        Some(Granularity::V6Prefix(n)) => {
            let _ = writeln!(out, "   persistence_granularity = {n}");
        }
        None => {}
    }
    if let Some(e) = &p.engine {
        let _ = writeln!(out, "   persistence_engine = {e}");
    }
    let _ = writeln!(out, "   ha_suspend = {}", vs.ha_suspend);
    let _ = writeln!(out, "   omega = {}", vs.omega);
    let _ = writeln!(out, "   quorum = {}", vs.quorum);
    let _ = writeln!(out, "   hysteresis = {}", vs.hysteresis);
    for (k, v) in [
        ("smtp_alert", vs.smtp_alert.map(|b| b.to_string())),
        ("virtualhost", vs.virtualhost.clone()),
        ("snmp_name", vs.snmp_name.clone()),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "   {k} = {v}");
        }
    }
    for (k, s) in [("quorum_up", &vs.quorum_up), ("quorum_down", &vs.quorum_down)] {
        if let Some(s) = s {
            let _ = writeln!(out, "   {k} = {}", s.command_line());
        }
    }
    dump_defaults(&vs.check, "   ", out);
    if let Some(ss) = &vs.sorry_server {
        let _ = writeln!(out, "   sorry_server = {} {}", ss.addr.ip(), ss.addr.port());
        let _ = writeln!(out, "     lvs_method = {}", fwd(vs.effective_forwarding(ss)));
        let _ = writeln!(out, "     inhibit = {}", ss.extra.as_ref().is_some_and(|x| x.inhibit));
    }
    for rs in &vs.real_servers {
        dump_rs(vs, rs, out);
    }
}

fn dump_defaults(c: &CheckDefaults, ind: &str, out: &mut String) {
    if let Some(v) = c.alpha {
        let _ = writeln!(out, "{ind}alpha = {v}");
    }
    for (k, v) in [
        ("connect_timeout", c.connect_timeout.get()),
        ("delay_before_retry", c.delay_before_retry.get()),
        ("warmup", c.warmup.get()),
        ("delay_loop", c.delay_loop.get()),
    ] {
        if let Some(v) = v {
            let _ = writeln!(out, "{ind}{k} = {}", secs(v));
        }
    }
    if let Some(v) = c.retry {
        let _ = writeln!(out, "{ind}retry = {v}");
    }
    if let Some(v) = c.inhibit_on_failure {
        let _ = writeln!(out, "{ind}inhibit_on_failure = {v}");
    }
}

fn dump_rs(vs: &VirtualServer, rs: &RealServer, out: &mut String) {
    let _ = writeln!(out, "   RS = {} {}", rs.addr.ip(), rs.addr.port());
    let _ = writeln!(out, "     weight = {}", rs.weight);
    let _ = writeln!(out, "     lvs_method = {}", fwd(vs.effective_forwarding(rs)));
    if rs.uthreshold != 0 || rs.lthreshold != 0 {
        let _ = writeln!(out, "     uthreshold = {} lthreshold = {}", rs.uthreshold, rs.lthreshold);
    }
    if let Some(x) = &rs.extra {
        for (k, s) in [("notify_up", &x.notify_up), ("notify_down", &x.notify_down)] {
            if let Some(s) = s {
                let _ = writeln!(out, "     {k} = {}", s.command_line());
            }
        }
        for (k, v) in [
            ("smtp_alert", x.smtp_alert.map(|b| b.to_string())),
            ("virtualhost", x.virtualhost.clone()),
            ("snmp_name", x.snmp_name.clone()),
        ] {
            if let Some(v) = v {
                let _ = writeln!(out, "     {k} = {v}");
            }
        }
    }
    dump_defaults(&rs.check(), "     ", out);
    for c in &rs.checkers {
        dump_checker(vs, rs, c, out);
    }
}

fn dump_checker(vs: &VirtualServer, rs: &RealServer, c: &Checker, out: &mut String) {
    let _ = writeln!(out, "     {} = {}", c.type_name(), c.effective_target(rs));
    let ind = "       ";
    if !matches!(c.kind, CheckerKind::Bfd(_) | CheckerKind::File(_)) {
        let _ = writeln!(out, "{ind}connect_timeout = {}", secs(c.effective_connect_timeout(rs, vs)));
        let _ = writeln!(out, "{ind}delay_loop = {}", secs(c.effective_delay_loop(rs, vs)));
        let _ = writeln!(out, "{ind}retry = {}", c.effective_retry(rs, vs));
        let _ = writeln!(out, "{ind}delay_before_retry = {}", secs(c.effective_delay_before_retry(rs, vs)));
        let _ = writeln!(out, "{ind}warmup = {}", secs(c.effective_warmup(rs, vs)));
        let _ = writeln!(out, "{ind}alpha = {}", c.effective_alpha(rs, vs));
        dump_common(&c.common, ind, out);
    }
    match &c.kind {
        CheckerKind::Tcp | CheckerKind::Ping => {}
        CheckerKind::Http(h) | CheckerKind::Ssl(h) => {
            let _ = writeln!(out, "{ind}http_protocol = {}", h.http_protocol.name());
            let _ = writeln!(out, "{ind}fast_recovery = {}", h.fast_recovery);
            if matches!(c.kind, CheckerKind::Ssl(_)) {
                let _ = writeln!(
                    out,
                    "{ind}enable_sni = {} sni_name = {} tls_compliant = {}",
                    h.enable_sni,
                    opt(h.sni_name.as_deref()),
                    h.tls_compliant
                );
            }
            for u in &h.urls {
                let _ = writeln!(out, "{ind}url = {}", u.path.as_deref().unwrap_or("(none)"));
                if let Some(d) = u.digest {
                    let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
                    let _ = writeln!(out, "{ind}  digest = {hex}");
                }
                let codes: Vec<String> = if u.status_codes.is_empty() {
                    vec!["200-299".into()]
                } else {
                    u.status_codes
                        .iter()
                        .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}-{b}") })
                        .collect()
                };
                let _ = writeln!(out, "{ind}  status_code = {}", codes.join(" "));
                if let Some(v) = &u.virtualhost {
                    let _ = writeln!(out, "{ind}  virtualhost = {v}");
                }
                if let Some(r) = &u.regex {
                    let _ = writeln!(
                        out,
                        "{ind}  regex = {r} (no_match {}) options [{}]",
                        u.regex_no_match,
                        u.regex_options.join(" ")
                    );
                }
            }
        }
        CheckerKind::Smtp(m) => {
            let _ = writeln!(out, "{ind}helo_name = {}", m.helo_name.as_deref().unwrap_or("(default)"));
            for h in &m.hosts {
                let _ = writeln!(out, "{ind}host =");
                dump_common(h, "         ", out);
            }
        }
        CheckerKind::Dns(d) => {
            let _ = writeln!(out, "{ind}type = {}", d.qtype.name());
            let _ = writeln!(out, "{ind}name = {}", d.name);
        }
        CheckerKind::Misc(m) => {
            let _ = writeln!(out, "{ind}misc_path = {}", m.script.command_line());
            if let Some(u) = &m.script.user {
                let _ = writeln!(out, "{ind}user = {u} {}", m.script.group.as_deref().unwrap_or(""));
            }
            let t = m.timeout.unwrap_or(c.effective_delay_loop(rs, vs));
            let _ = writeln!(out, "{ind}misc_timeout = {}", secs(t));
            let _ = writeln!(out, "{ind}misc_dynamic = {}", m.dynamic);
        }
        CheckerKind::Bfd(b) => {
            let _ = writeln!(out, "{ind}name = {}", b.name);
        }
        CheckerKind::File(f) => {
            let _ = writeln!(out, "{ind}track_file = {}", f.track_file);
            let _ = writeln!(out, "{ind}dynamic = {}", f.dynamic);
            let _ = writeln!(out, "{ind}weight = {}{}", f.weight, if f.reverse { " reverse" } else { "" });
        }
        CheckerKind::Udp(u) => {
            let hex = |v: &[u8]| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
            let _ =
                writeln!(out, "{ind}payload = {}", u.payload.as_deref().map(hex).unwrap_or_else(|| "(random)".into()));
            let _ = writeln!(out, "{ind}require_reply = {}", u.require_reply);
            if let Some((d, m)) = &u.reply {
                let _ = writeln!(out, "{ind}reply = {} mask {}", hex(d), hex(m));
            }
            let _ = writeln!(out, "{ind}min_reply_length = {}", u.min_reply_length);
            let _ = writeln!(out, "{ind}max_reply_length = {}", u.max_reply_length);
        }
    }
}

fn dump_common(c: &CheckCommon, ind: &str, out: &mut String) {
    if let Some(p) = c.connect_port {
        let _ = writeln!(out, "{ind}connect_port = {p}");
    }
    if let Some(b) = c.log_all_failures {
        let _ = writeln!(out, "{ind}log_all_failures = {b}");
    }
    if let Some(x) = &c.conn {
        if let Some(a) = x.connect_ip {
            let _ = writeln!(out, "{ind}connect_ip = {a}");
        }
        if let Some(a) = x.bindto {
            let _ = writeln!(out, "{ind}bindto = {a}");
        }
        if let Some(a) = &x.bind_if {
            let _ = writeln!(out, "{ind}bind_if = {a}");
        }
        if let Some(a) = x.bind_port {
            let _ = writeln!(out, "{ind}bind_port = {a}");
        }
        if let Some(a) = x.fwmark {
            let _ = writeln!(out, "{ind}fwmark = {a}");
        }
    }
}
