#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! IPVS in a real kernel: one boot of the VM (tests/vm/ipvs-vm.sh) runs
//! every case of tests/vm/ipvs-cases.sh: Debian's keepalived 2.2.7 and ours
//! on the same configurations (tests/data/ipvs/vm/), a reload, traffic
//! through NAT and DR virtual servers, the socket-option fallback. Each test
//! here checks one case's results; the first to run boots the VM.
//!
//! Needs root, qemu (or apt to fetch it), ipvsadm, iproute2 and Debian's
//! keepalived; `tests/run-all.sh` installs them. Missing ones, or a VM that
//! does not boot, fail the tests under CI / KR_REQUIRE_ALL=1.

mod common;

use common::vm::{Boot, Run};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const IPVS_EXTRA: &[&str] = &[
    "Shutting down service",
    "Shutting down (inhibited) service",
    "Removing (inhibited) service",
    "Removing Virtual Server",
    "Warning - quorum",
    "Unable to find vrrp instance",
];

static RUN: OnceLock<Result<Run, String>> = OnceLock::new();

/// The results of this file's boot, or `None` when the test must skip.
fn vm() -> Option<&'static Run> {
    common::vm::results(RUN.get_or_init(|| {
        let boot = Boot { tag: "ipvs", data: "tests/data/ipvs/vm", cases: "tests/vm/ipvs-cases.sh", programs: &[] };
        common::vm::boot(&boot, env!("CARGO_BIN_EXE_keepalived"))
    }))
}

impl Run {
    /// One ipvsadm view ("-Ln", "-l --daemon"...) of a views file.
    fn view(&self, name: &str, view: &str) -> String {
        let text = self.file(name);
        let mut out = String::new();
        let mut on = false;
        for line in text.lines() {
            if let Some(v) = line.strip_prefix("### ") {
                on = v == view;
            } else if on {
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }
}

const VIEWS: &[&str] = &[
    "-Ln",
    "-Ln --stats",
    "-Ln --thresholds",
    "-Ln --persistent-conn",
    "-Ln --tun-info",
    "-l --daemon",
    "-L --timeout",
];

/// Every view of ours equals keepalived's, running and after SIGTERM, and
/// the log lines about the table are the same.
fn same_as_keepalived(case: &str) {
    let Some(vm) = vm() else { return };
    for suffix in ["views", "after.views"] {
        for v in VIEWS {
            let theirs = vm.view(&format!("{case}.theirs.{suffix}"), v);
            let ours = vm.view(&format!("{case}.ours.{suffix}"), v);
            assert_eq!(ours, theirs, "{case}: ipvsadm {v} ({suffix}) differs from keepalived 2.2.7's");
        }
    }
    let theirs = common::vm::table_lines(IPVS_EXTRA, &vm.log(&format!("{case}.theirs.log")));
    let ours = common::vm::table_lines(IPVS_EXTRA, &vm.log(&format!("{case}.ours.log")));
    assert_eq!(ours, theirs, "{case}: log lines differ from keepalived 2.2.7's");
}

/// The table is empty after SIGTERM (only entries that were not ours stay).
fn nothing_left(vm: &Run, name: &str, foreign: &[&str]) {
    let after = vm.view(name, "-Ln");
    for line in after.lines().skip(3) {
        assert!(foreign.iter().any(|f| line.contains(f)), "{name}: left after SIGTERM: {line}\n{after}");
    }
}

#[test]
fn schedulers_flags_and_protocols() {
    same_as_keepalived("schedulers");
    if let Some(vm) = vm() {
        let v = vm.view("schedulers.ours.views", "-Ln");
        for s in ["rr", "wrr", "lc", "wlc", "lblc", "sh", "mh", "dh", "fo", "ovf", "lblcr", "sed", "nq"] {
            assert!(v.contains(&format!(" {s}")), "no {s} service:\n{v}");
        }
        assert!(v.contains("sh (sh-fallback,sh-port)") || v.contains("sh (sh-port,sh-fallback)"), "{v}");
        assert!(v.contains("SCTP"), "{v}");
        nothing_left(vm, "schedulers.ours.after.views", &[]);
    }
}

#[test]
fn forwarding_methods_tunnels_and_persistence() {
    same_as_keepalived("methods");
    if let Some(vm) = vm() {
        let t = vm.view("methods.ours.views", "-Ln --tun-info");
        for x in ["gue:6080:+c", "gue:6081:r+c", "gre:+c", "gre:-c", "ipip"] {
            assert!(t.contains(x), "no {x} tunnel:\n{t}");
        }
        let v = vm.view("methods.ours.views", "-Ln");
        assert!(v.contains("persistent 120 pe sip"), "{v}");
        assert!(v.contains("persistent 300 mask 255.255.255.0"), "{v}");
        nothing_left(vm, "methods.ours.after.views", &[]);
    }
}

#[test]
fn ipv6_services() {
    same_as_keepalived("ipv6");
    if let Some(vm) = vm() {
        let v = vm.view("ipv6.ours.views", "-Ln");
        assert!(v.contains("[2001:db8::1]:80"), "{v}");
        assert!(v.contains("persistent 100 mask 64"), "{v}");
        nothing_left(vm, "ipv6.ours.after.views", &[]);
    }
}

#[test]
fn virtual_server_groups() {
    same_as_keepalived("groups");
    if let Some(vm) = vm() {
        let v = vm.view("groups.ours.views", "-Ln");
        // A range of three, a single address, a /30: one service each, per protocol.
        for a in ["10.3.0.1:80", "10.3.0.2:80", "10.3.0.3:80", "10.3.1.1:8080", "10.3.2.3:81", "[2001:db8:3::12]:443"] {
            assert!(v.contains(&format!("TCP  {a}")), "no TCP {a}:\n{v}");
        }
        assert!(v.contains("UDP  10.3.0.2:80"), "{v}");
        nothing_left(vm, "groups.ours.after.views", &[]);
    }
}

#[test]
fn quorum_sorry_server_inhibit_and_alpha() {
    same_as_keepalived("quorum");
    if let Some(vm) = vm() {
        let v = vm.view("quorum.ours.views", "-Ln");
        // The sorry server replaces the real servers of 10.5.0.2.
        assert!(v.contains("10.6.9.9:80"), "{v}");
        assert!(!v.contains("10.6.0.3:80"), "{v}");
        nothing_left(vm, "quorum.ours.after.views", &[]);
    }
}

#[test]
fn quorum_and_notify_scripts_run_as_keepalived_runs_them() {
    let Some(vm) = vm() else { return };
    let (ours, theirs) = (vm.file("scripts.ours.result"), vm.file("scripts.theirs.result"));
    assert_eq!(ours, theirs, "the scripts that ran differ from keepalived 2.2.7's");
    // Gained at start, started down with its sorry server, rs_init_notifies,
    // and omega at shutdown.
    for line in ["quorum_up vs1", "quorum_down vs2", "notify_up rs1", "notify_down rs1", "quorum_down vs1"] {
        assert!(ours.contains(line), "{line} did not run:\n{ours}");
    }
    let theirs_log = common::vm::table_lines(IPVS_EXTRA, &vm.log("scripts.theirs.log"));
    assert_eq!(common::vm::table_lines(IPVS_EXTRA, &vm.log("scripts.ours.log")), theirs_log);
}

#[test]
fn sync_daemon_and_timeouts_from_the_checker() {
    same_as_keepalived("syncd");
    if let Some(vm) = vm() {
        let d = vm.view("syncd.ours.views", "-l --daemon");
        assert!(d.contains("master sync daemon (mcast=kr0, syncid=5"), "{d}");
        assert!(d.contains("backup sync daemon (mcast=kr0, syncid=5"), "{d}");
        assert_eq!(vm.view("syncd.ours.views", "-L --timeout").trim(), "Timeout (tcp tcpfin udp): 1000 60 200");
        assert_eq!(vm.view("syncd.ours.after.views", "-l --daemon").trim(), "");
        assert_eq!(vm.view("syncd.ours.after.views", "-L --timeout").trim(), "Timeout (tcp tcpfin udp): 900 120 300");
    }
}

#[test]
fn sync_daemon_follows_its_vrrp_instance() {
    same_as_keepalived("syncd_inst");
    if let Some(vm) = vm() {
        let d = vm.view("syncd_inst.ours.views", "-l --daemon");
        assert!(d.contains("master sync daemon (mcast=kr0, syncid=51"), "{d}");
        assert!(!d.contains("backup"), "{d}");
        assert_eq!(vm.view("syncd_inst.ours.after.views", "-l --daemon").trim(), "");
    }
}

#[test]
fn scheduler_the_kernel_lacks() {
    let Some(vm) = vm() else { return };
    for suffix in ["views", "after.views"] {
        for v in VIEWS {
            assert_eq!(vm.view(&format!("twos.ours.{suffix}"), v), vm.view(&format!("twos.theirs.{suffix}"), v), "{v}");
        }
    }
    // The kernel's refusals, logged as keepalived logs them at start-up
    // (at shutdown keepalived also tries to remove what never existed).
    let errors = |who: &str| -> Vec<String> {
        let log = vm.log(&format!("twos.{who}.log"));
        let stop = log.iter().position(|l| l.starts_with("Stopping")).unwrap_or(log.len());
        log[..stop].iter().filter(|l| l.starts_with("IPVS cmd")).cloned().collect()
    };
    assert_eq!(errors("ours"), errors("theirs"));
    assert!(!errors("ours").is_empty());
}

#[test]
fn lvs_flush_and_flush_on_stop() {
    same_as_keepalived("flush");
    if let Some(vm) = vm() {
        let v = vm.view("flush.ours.views", "-Ln");
        assert!(!v.contains("10.50.0.1"), "lvs_flush left the earlier service:\n{v}");
        assert!(v.contains("10.9.0.1:80"), "{v}");
        nothing_left(vm, "flush.ours.after.views", &[]);
    }
}

#[test]
fn flush_on_stop_vs_leaves_other_services() {
    same_as_keepalived("flushvs");
    if let Some(vm) = vm() {
        let after = vm.view("flushvs.ours.after.views", "-Ln");
        assert!(after.contains("10.50.0.1:80") && after.contains("10.50.1.1:80"), "{after}");
        nothing_left(vm, "flushvs.ours.after.views", &["10.50.0.1:80", "10.50.1.1:80"]);
    }
}

#[test]
fn dont_release_ipvs_keeps_the_table() {
    same_as_keepalived("keep");
    if let Some(vm) = vm() {
        assert_eq!(vm.view("keep.ours.after.views", "-Ln"), vm.view("keep.ours.views", "-Ln"));
        assert!(vm.view("keep.ours.views", "-Ln").contains("10.9.0.3:80"));
    }
}

#[test]
fn services_that_are_not_ours_are_left_alone() {
    same_as_keepalived("foreign");
    if let Some(vm) = vm() {
        for f in ["foreign.ours.views", "foreign.ours.after.views"] {
            let v = vm.view(f, "-Ln");
            assert!(v.contains("TCP  10.50.0.2:80 wlc") && v.contains("10.50.1.2:80"), "{f}:\n{v}");
        }
        nothing_left(vm, "foreign.ours.after.views", &["10.50.0.2:80", "10.50.1.2:80"]);
    }
}

#[test]
fn socket_option_fallback() {
    let Some(vm) = vm() else { return };
    for suffix in ["views", "after.views"] {
        for v in VIEWS {
            assert_eq!(
                vm.view(&format!("sockopt.ours.{suffix}"), v),
                vm.view(&format!("sockopt.theirs.{suffix}"), v),
                "sockopt: ipvsadm {v} ({suffix})"
            );
        }
    }
    let log = vm.log("sockopt.ours.log");
    assert!(log.iter().any(|l| l.contains("using the IP_VS_SO socket options")), "{log:#?}");
    assert!(!log.iter().any(|l| l.starts_with("IPVS cmd")), "{log:#?}");
    // IPv6 cannot go through the socket options: said clearly, IPv4 programmed.
    let v = vm.view("sockopt6.ours.views", "-Ln");
    assert!(v.contains("10.13.0.3:80") && !v.contains("2001:db8::99"), "{v}");
    let log = vm.log("sockopt6.ours.log");
    assert!(
        log.iter().any(|l| l.contains("[2001:db8::99]:tcp:80: IPv6 needs the IPVS generic netlink interface")),
        "{log:#?}"
    );
    nothing_left(vm, "sockopt6.ours.after.views", &[]);
}

/// `-Ln --stats` as (line without numbers, numbers) per entry.
fn stats(view: &str) -> BTreeMap<String, Vec<u64>> {
    view.lines()
        .skip(3)
        .map(|l| {
            let mut it = l.split_whitespace();
            let mut key: Vec<&str> = Vec::new();
            let mut nums = Vec::new();
            for w in it.by_ref() {
                match w.parse::<u64>() {
                    Ok(n) => nums.push(n),
                    Err(_) => key.push(w),
                }
            }
            (key.join(" "), nums)
        })
        .collect()
}

/// A view without its connection columns: the first `keep` fields of each
/// destination line.
fn settings(view: &str, keep: usize) -> String {
    view.lines()
        .map(|l| {
            if l.trim_start().starts_with("->") {
                l.split_whitespace().take(keep).collect::<Vec<_>>().join(" ")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn reload_changes_only_what_changed() {
    let Some(vm) = vm() else { return };
    // The table after the reload is keepalived's (the connection columns
    // count live connections, which differ between runs).
    for (v, keep) in [("-Ln", 4), ("-Ln --thresholds", 4), ("-Ln --persistent-conn", 3), ("-Ln --tun-info", 5)] {
        assert_eq!(
            settings(&vm.view("reload.ours.reloaded.views", v), keep),
            settings(&vm.view("reload.theirs.reloaded.views", v), keep),
            "{v}"
        );
    }
    assert_eq!(
        common::vm::table_lines(IPVS_EXTRA, &vm.log("reload.ours.log")),
        common::vm::table_lines(IPVS_EXTRA, &vm.log("reload.theirs.log")),
        "log lines of the reload"
    );
    for who in ["theirs", "ours"] {
        let before = stats(&vm.view(&format!("reload.{who}.before.views"), "-Ln --stats"));
        let after = stats(&vm.view(&format!("reload.{who}.reloaded.views"), "-Ln --stats"));
        // Traffic reached every service.
        for v in 1..=5 {
            let k = format!("TCP 10.11.0.{v}:80");
            assert!(before.get(&k).is_some_and(|n| n[0] > 0), "{who}: no connection counted on {k}: {before:?}");
        }
        // Entries that stay keep their counters: the untouched service and
        // dest, the service whose scheduler and persistence were edited, the
        // real server whose weight changed, the one whose method changed.
        // (Connections and incoming packets and bytes: the ICMP errors that
        // answer the unanswered connections may still come back out.)
        let inward = |m: &BTreeMap<String, Vec<u64>>, k: &str| m.get(k).map(|n| [n[0], n[1], n[3]]);
        for k in [
            "TCP 10.11.0.2:80",
            "-> 10.12.0.4:80",
            "TCP 10.11.0.4:80",
            "-> 10.12.0.6:80",
            "TCP 10.11.0.1:80",
            "-> 10.12.0.1:80",
            "TCP 10.11.0.5:80",
            "-> 10.12.0.7:80",
        ] {
            assert_eq!(inward(&after, k), inward(&before, k), "{who}: counters of {k} changed across the reload");
        }
        assert!(!after.contains_key("TCP 10.11.0.3:80"), "{who}: removed service still there");
        assert!(after.get("TCP 10.11.0.6:80").is_some_and(|n| n[0] == 0), "{who}: new service {after:?}");
    }
    nothing_left(vm, "reload.ours.after.views", &[]);
}

#[test]
fn traffic_lands_where_the_table_says() {
    let Some(vm) = vm() else { return };
    let result = vm.file("traffic.result");
    let lines: Vec<&str> = result.lines().collect();
    assert_eq!(
        lines,
        ["nat-a rs1", "nat-a rs1", "nat-a rs1", "dr rs3", "dr rs3", "dr rs3", "nat-b rs2", "nat-b rs2", "nat-b rs2"],
        "{result}"
    );
    let a = stats(&vm.view("traffic.ours.a.views", "-Ln --stats"));
    assert_eq!(a.get("-> 10.20.1.2:80").map(|n| n[0]), Some(3), "{a:?}");
    assert_eq!(a.get("-> 10.20.2.2:80").map(|n| n[0]), Some(0), "{a:?}");
    assert_eq!(a.get("-> 10.30.0.2:80").map(|n| n[0]), Some(3), "{a:?}");
    let b = stats(&vm.view("traffic.ours.b.views", "-Ln --stats"));
    // The reload kept the counters and the new weights took the traffic.
    assert_eq!(b.get("-> 10.20.1.2:80").map(|n| n[0]), Some(3), "{b:?}");
    assert_eq!(b.get("-> 10.20.2.2:80").map(|n| n[0]), Some(3), "{b:?}");
}
