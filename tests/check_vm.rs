#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The health checkers driving IPVS in a real kernel: one boot of the VM
//! (tests/vm/ipvs-vm.sh) runs every case of tests/vm/check-cases.sh. Debian's
//! keepalived 2.2.7 and ours run the same scenarios (tests/data/check/vm/)
//! against real listeners in the VM; after each step the table is sampled
//! once it has settled, and the two sequences of tables must be the same.
//! Then ours alone: a reload keeps the checkers' state, and the two
//! deployments this project started from, end to end in network namespaces.
//! Each test here checks one case's results; the first to run boots the VM.
//!
//! Needs root, qemu (or apt to fetch it), ipvsadm, iproute2 and Debian's
//! keepalived; `tests/run-all.sh` installs them. Missing ones, or a VM that
//! does not boot, fail the tests under CI / KR_REQUIRE_ALL=1.

mod common;

use common::vm::{Boot, Run};
use std::sync::OnceLock;

static RUN: OnceLock<Result<Run, String>> = OnceLock::new();

/// The results of this file's boot, or `None` when the test must skip.
fn vm() -> Option<&'static Run> {
    common::vm::results(RUN.get_or_init(|| {
        let boot = Boot {
            tag: "check",
            data: "tests/data/check/vm",
            cases: "tests/vm/check-cases.sh",
            programs: &[("dnsmasq (dnsmasq-base)", "/usr/sbin/dnsmasq", "dnsmasq")],
        };
        common::vm::boot(&boot, env!("CARGO_BIN_EXE_keepalived"))
    }))
}

impl Run {
    /// A scenario's sequence of tables: (label, table) per sample, the
    /// label without the timing note.
    fn seq(&self, name: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for line in self.file(name).lines() {
            if let Some(label) = line.strip_prefix("## ") {
                let label = label.split(" (changed after").next().unwrap_or(label).to_owned();
                out.push((label, String::new()));
            } else if let Some((_, t)) = out.last_mut() {
                t.push_str(line);
                t.push('\n');
            }
        }
        out
    }
}

/// Ours went through the same tables as keepalived 2.2.7, step by step, and
/// said the same about them.
fn same_sequence(case: &str) -> Option<&'static Run> {
    let vm = vm()?;
    let theirs = vm.seq(&format!("{case}.theirs.seq"));
    let ours = vm.seq(&format!("{case}.ours.seq"));
    assert!(!theirs.is_empty(), "{case}: no samples");
    for (i, (t, o)) in theirs.iter().zip(&ours).enumerate() {
        assert_eq!(o, t, "{case}: sample {i} ({}) differs from keepalived 2.2.7's", t.0);
    }
    assert_eq!(ours.len(), theirs.len(), "{case}: number of samples");
    let lines = |who: &str| common::vm::table_lines(&[], &vm.log(&format!("{case}.{who}.log")));
    assert_eq!(lines("ours"), lines("theirs"), "{case}: log lines differ from keepalived 2.2.7's");
    Some(vm)
}

/// The table of a sample.
fn table<'a>(seq: &'a [(String, String)], label: &str) -> &'a str {
    seq.iter().find(|(l, _)| l == label).map(|(_, t)| t.as_str()).unwrap_or_else(|| panic!("no sample {label}"))
}

/// The lines of a sample's table that name `what`.
fn rows<'a>(t: &'a str, what: &str) -> Vec<&'a str> {
    t.lines().filter(|l| l.contains(what)).collect()
}

/// The weight ipvsadm shows for destination `dest` in table `t`.
fn weight(t: &str, dest: &str) -> Option<u32> {
    t.lines().find(|l| l.contains(dest)).and_then(|l| l.split_whitespace().nth(3)).and_then(|w| w.parse().ok())
}

/// Seconds since midnight of a log line's time stamp ("Fri Dec  4 21:55:07 2026: ...").
fn stamp(l: &str) -> Option<u32> {
    let t = l.get(11..19)?;
    let mut it = t.split(':').map(|x| x.parse::<u32>().ok());
    Some(it.next()?? * 3600 + it.next()?? * 60 + it.next()??)
}

#[test]
fn a_verdict_removes_and_readds_or_inhibits() {
    let Some(vm) = same_sequence("verdict") else { return };
    let s = vm.seq("verdict.ours.seq");
    let start = table(&s, "start");
    assert!(start.contains("127.0.1.1:9001") && start.contains("127.0.1.2:9002"), "{start}");
    let t = table(&s, "unlisten 9001");
    assert!(!t.contains("127.0.1.1:9001"), "not removed:\n{t}");
    assert_eq!(weight(table(&s, "unlisten 9002"), "127.0.1.2:9002"), Some(0), "not inhibited to weight 0");
    assert_eq!(table(&s, "listen 9002"), start);
    // notify_down then notify_up ran, as keepalived ran them.
    assert_eq!(vm.file("verdict.ours.notes"), vm.file("verdict.theirs.notes"));
    assert_eq!(vm.file("verdict.ours.notes"), "down rs1\nup rs1\n");
}

/// `ha_suspend`: suspended while the address is away (a dead server stays
/// in), probing while it is there, with keepalived's lines.
#[test]
fn ha_suspend_follows_the_virtual_server_address() {
    let Some(vm) = same_sequence("suspend") else { return };
    let s = vm.seq("suspend.ours.seq");
    assert!(table(&s, "start").contains("127.0.1.1:9061"), "a suspended checker took the server out");
    assert!(!table(&s, "ip addr add 10.61.0.60/32 dev lo").contains("127.0.1.1:9061"), "not checked once active");
    assert!(!table(&s, "ip addr del 10.61.0.60/32 dev lo; listen 9061").contains("127.0.1.1:9061"));
    let lines = |who: &str| -> Vec<String> {
        vm.log(&format!("suspend.{who}.log")).into_iter().filter(|l| l.contains("healthchecker for service")).collect()
    };
    assert_eq!(lines("ours"), lines("theirs"), "the activation lines differ from keepalived 2.2.7's");
    let words: Vec<String> = lines("ours").iter().filter_map(|l| l.split(' ').next().map(str::to_owned)).collect();
    assert_eq!(words, ["Deactivating", "Activating", "Suspending", "Activating", "Suspending"], "{:?}", lines("ours"));
}

#[test]
fn http_get_readds_one_delay_loop_after_its_first_good_check() {
    let Some(vm) = same_sequence("http") else { return };
    let s = vm.seq("http.ours.seq");
    assert!(rows(table(&s, r#"echo "changed" >/tmp/www/check.html"#), "127.0.1.3:8080").is_empty());
    assert_eq!(weight(table(&s, r#"echo "health page" >/tmp/www/check.html"#), "127.0.1.3:8080"), Some(4));
    // delay_loop 3, no fast_recovery: the first good check after the
    // failure is logged, the server is added at the next one.
    for who in ["ours", "theirs"] {
        let log = vm.file(&format!("http.{who}.log"));
        let first_good = log.lines().find(|l| l.contains("MD5 digest success")).and_then(stamp);
        let added = log.lines().find(|l| l.contains("Adding service [127.0.1.3]")).and_then(stamp);
        let (Some(a), Some(b)) = (first_good, added) else { panic!("{who}: no recovery in the log:\n{log}") };
        assert!((2..=4).contains(&(b - a)), "{who}: re-added {} s after its first good check", b - a);
    }
}

#[test]
fn quorum_hysteresis_and_sorry_server_as_the_man_page_says() {
    let Some(vm) = same_sequence("quorum") else { return };
    let s = vm.seq("quorum.ours.seq");
    let sorry = "127.0.1.9:9009";
    // 3 -> 2 -> 1: the quorum (2, hysteresis 1) holds down to 1.
    for step in ["start", "unlisten 9011", "unlisten 9012"] {
        assert!(rows(table(&s, step), sorry).is_empty(), "{step}: sorry server in use:\n{}", table(&s, step));
    }
    // 0: lost, the sorry server alone at weight 1.
    let lost = table(&s, "unlisten 9013");
    assert_eq!(weight(lost, sorry), Some(1), "{lost}");
    assert_eq!(lost.lines().filter(|l| l.contains("->")).count(), 1, "{lost}");
    // 1 and 2 back are not 2 + 1: still the sorry server; 3 gains it again.
    for step in ["listen 9011", "listen 9012"] {
        assert_eq!(weight(table(&s, step), sorry), Some(1), "{step}");
    }
    let gained = table(&s, "listen 9013");
    assert!(rows(gained, sorry).is_empty(), "{gained}");
    assert_eq!(gained.lines().filter(|l| l.contains("->")).count(), 3, "{gained}");
    // The lvs_notify_fifo lines, as keepalived writes them.
    let fifo = vm.file("quorum.ours.fifo");
    assert_eq!(fifo, vm.file("quorum.theirs.fifo"));
    assert!(fifo.contains("RS [127.0.1.13]:tcp:9013 [10.61.0.3]:tcp:80 DOWN\n"), "{fifo}");
    assert!(fifo.contains("VS [10.61.0.3]:tcp:80 DOWN\n") && fifo.contains("VS [10.61.0.3]:tcp:80 UP\n"), "{fifo}");
}

#[test]
fn failing_servers_are_in_the_table_at_start_until_their_first_failure() {
    let Some(vm) = same_sequence("start") else { return };
    let s = vm.seq("start.ours.seq");
    let first = table(&s, "first");
    // Without alpha: in at start; with alpha (9033): not until it works.
    assert!(first.contains("127.0.1.31:9031") && first.contains("127.0.1.32:9032"), "{first}");
    assert!(!first.contains("127.0.1.33:9033"), "{first}");
    let start = table(&s, "start");
    assert!(!start.contains("127.0.1.31:9031"), "{start}");
    assert!(table(&s, "listen 9033").contains("127.0.1.33:9033"));
}

#[test]
fn a_database_pool_follows_its_misc_dynamic_scripts() {
    let Some(vm) = same_sequence("db") else { return };
    let s = vm.seq("db.ours.seq");
    let w = |step: &str, n: u32| weight(table(&s, step), &format!("127.0.2.{n}:5432"));
    assert_eq!(w("start", 1), Some(10));
    assert_eq!(w("db 1 5", 1), Some(3), "exit 5: weight 3");
    assert_eq!(w("db 2 1", 2), None, "exit 1: down");
    assert_eq!(w("db 3 255", 3), Some(253), "exit 255: weight 253");
    assert_eq!(w("db 2 4", 2), Some(2), "exit 4 while down: back at weight 2");
    assert_eq!(w("db 1 0", 1), Some(10), "exit 0: the configured weight");
    assert_eq!(w("db 3 2", 3), Some(0), "exit 2: weight 0, still in the table");
    // The scripts ran as keepalived_script (uid 1500), and both said so.
    assert_eq!(vm.file("db.uids").trim(), "1500");
    for who in ["ours", "theirs"] {
        let log = vm.log(&format!("db.{who}.log"));
        assert!(
            log.iter()
                .any(|l| l == "SECURITY VIOLATION - check scripts are being executed but script_security not enabled."),
            "{who}: {log:?}"
        );
    }
}

#[test]
fn file_check_adds_the_file_value_times_its_weight() {
    let Some(vm) = same_sequence("file") else { return };
    let s = vm.seq("file.ours.seq");
    let w = |step: &str| weight(table(&s, step), "127.0.3.1:80");
    assert_eq!(w("start"), Some(5));
    assert_eq!(w("echo 3 >/tmp/tf1"), Some(8), "5 + 3");
    assert_eq!(w("echo -5 >/tmp/tf1"), Some(0), "5 - 5: still in the table");
    assert_eq!(w("echo 2 >/tmp/tf1"), Some(7));
    assert_eq!(w("rm -f /tmp/tf1"), Some(5), "a removed file reads 0");
}

#[test]
fn ping_check_and_ping_group_range() {
    let Some(vm) = same_sequence("ping") else { return };
    let s = vm.seq("ping.ours.seq");
    let t = table(&s, "start");
    assert!(t.contains("127.0.0.1:80") && !t.contains("10.99.99.99:80"), "{t}");
    // Widened to gid 0 while running, put back after.
    assert!(s.iter().any(|(l, _)| l == "range 0 0"), "{s:?}");
    assert_eq!(vm.file("ping.after").trim(), "after 1 0");
}

#[test]
fn dns_and_smtp_verdicts() {
    let Some(vm) = same_sequence("dns_smtp") else { return };
    let s = vm.seq("dns_smtp.ours.seq");
    let start = table(&s, "start");
    // An answer and an empty NOERROR reply are up; NXDOMAIN is down.
    assert!(start.contains("127.0.6.1:53") && start.contains("127.0.6.2:53"), "{start}");
    assert!(!start.contains("127.0.6.3:53"), "{start}");
    assert!(start.contains("127.0.6.11:25"), "{start}");
    for (step, up) in
        [("echo 554 >/tmp/smtp.mode", false), ("echo ok >/tmp/smtp.mode", true), ("echo 502 >/tmp/smtp.mode", false)]
    {
        assert_eq!(table(&s, step).contains("127.0.6.11:25"), up, "{step}:\n{}", table(&s, step));
    }
    let t = table(&s, "dns_down");
    assert!(!t.contains("127.0.6.1:53") && !t.contains("127.0.6.2:53"), "{t}");
    assert!(table(&s, "dns_up").contains("127.0.6.1:53"));
}

#[test]
fn a_reload_keeps_the_checkers_state() {
    let Some(vm) = vm() else { return };
    let s = vm.seq("reload.ours.seq");
    let label = &s.last().unwrap().0;
    // The failed server never came back, the healthy one was not checked
    // again (its next check is one delay_loop, 10 s, after the last).
    assert!(label.contains("failed server seen=no"), "{label}");
    let hits: Vec<&str> = label.split("before=").nth(1).unwrap().split(" after=").collect();
    assert_eq!(hits[0], hits[1], "the healthy server was checked again at the reload: {label}");
    assert_eq!(table(&s, label), table(&s, "start"));
    // keepalived 2.2.7 checks every server again from scratch (shown, not asserted).
    eprintln!("keepalived 2.2.7: {}", vm.seq("reload.theirs.seq").last().unwrap().0);
    let log = vm.log("reload.ours.log");
    assert!(log.iter().filter(|l| l.starts_with("Activating healthchecker")).count() == 4, "{log:?}");
}

#[test]
fn keepalived_check_data_is_keepalived_s() {
    let Some(vm) = vm() else { return };
    // Ours links no libnftnl (README, "Dump files").
    let clean = |t: &str| -> String {
        t.lines().filter(|l| !l.starts_with(" libnftnl version")).map(|l| format!("{l}\n")).collect()
    };
    let (ours, theirs) = (clean(vm.file("dump.ours.data")), clean(vm.file("dump.theirs.data")));
    assert!(ours.contains("------< Health checkers >------"), "{ours}");
    assert_eq!(ours, theirs);
}

/// The client's requests of an end-to-end case: (seconds, ok, server).
fn client(vm: &Run, case: &str) -> Vec<(f64, bool, String)> {
    vm.file(&format!("{case}.client"))
        .lines()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let t: f64 = w.next()?.parse().ok()?;
            let ok = w.next()? == "ok";
            Some((t, ok, w.next().unwrap_or("").to_owned()))
        })
        .collect()
}

fn event(vm: &Run, case: &str, name: &str) -> f64 {
    let events = vm.file(&format!("{case}.events"));
    events
        .lines()
        .find_map(|l| l.strip_prefix(name).and_then(|t| t.trim().parse().ok()))
        .unwrap_or_else(|| panic!("{case}: no {name} in {events}"))
}

/// Requests keep being answered: after a real server dies (once the checkers
/// took it out) and after the MASTER director dies (once VRRP failed over).
fn two_directors(case: &str) {
    let Some(vm) = vm() else { return };
    let reqs = client(vm, case);
    let (r1_dies, d1_dies) = (event(vm, case, "r1-dies"), event(vm, case, "d1-dies"));
    let fails = |from: f64, to: f64| reqs.iter().filter(|(t, ok, _)| *t >= from && *t < to && !ok).count();
    let total = |from: f64, to: f64| reqs.iter().filter(|(t, _, _)| *t >= from && *t < to).count();
    let end = reqs.last().map_or(0.0, |r| r.0 + 1.0);
    eprintln!(
        "{case}: {} requests, {} failed: {} before r1 died, {} while it was taken out, {} during the failover",
        reqs.len(),
        fails(0.0, end),
        fails(0.0, r1_dies),
        fails(r1_dies, d1_dies),
        fails(d1_dies, end)
    );
    assert_eq!(fails(0.0, r1_dies), 0, "{case}: failures before anything died");
    assert!(reqs.iter().any(|(t, ok, s)| *t < r1_dies && *ok && s == "r1"), "{case}: r1 never answered");
    // The checkers take r1 out within a few seconds; then only r2 answers.
    let settled = r1_dies + 4.0;
    assert_eq!(fails(settled, d1_dies), 0, "{case}: failures after r1 was taken out");
    assert!(reqs.iter().filter(|(t, _, _)| *t >= settled && *t < d1_dies).all(|(_, _, s)| s == "r2"));
    // VRRP fails over (master down interval 3.6 s): then everything is answered.
    let over = d1_dies + 6.0;
    assert!(total(over, end) >= 10, "{case}: too few requests after the failover");
    assert_eq!(fails(over, end), 0, "{case}: failures after the failover");
    let tables = vm.file(&format!("{case}.tables"));
    let after_r1 = tables.split("### ").find(|t| t.starts_with("d1 after r1 died")).unwrap();
    assert!(!after_r1.contains("10.70.0.21:80"), "{after_r1}");
    assert!(after_r1.contains("10.70.0.21:53"), "the UDP service kept r1:\n{after_r1}");
    let d2 = tables.split("### ").find(|t| t.starts_with("d2 after d1 died")).unwrap();
    assert!(d2.contains("10.70.0.200/24"), "no VIP on d2:\n{d2}");
    assert!(d2.contains("10.70.0.22:80") && !d2.contains("10.70.0.21:80"), "{d2}");
}

#[test]
fn two_directors_of_ours_in_front_of_dr_real_servers() {
    two_directors("e2e_ours");
}

#[test]
fn a_director_of_ours_and_keepalived_s_in_front_of_dr_real_servers() {
    two_directors("e2e_mixed");
}
