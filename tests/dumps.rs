//! keepalived.data (SIGUSR1), keepalived.stats (SIGUSR2), keepalived.json
//! (the JSON signal) and keepalived_parent.data of ours against Debian's
//! keepalived 2.2.7, run on the same configuration in identical network
//! namespaces (same interface names, MAC addresses, IPv4 and IPv6 addresses,
//! and for the BACKUP case the same peer: a Debian keepalived MASTER in a
//! namespace of its own at the other end of eth0).
//!
//! The files must be equal line for line (the JSON: equal values and the
//! same member order) except for figures that change at run time, each
//! masked in both files before comparing (see [`normalize_data`],
//! [`normalize_stats`], [`normalize_json`]):
//! - times: `Last transition`, `Read timeout`, `GARP/GNA next time`, the
//!   time of the last IPv6 forwarding check, `last_transition` in the JSON;
//! - file descriptor numbers (`fd_in N, fd_out M` of instances and sockets):
//!   keepalived opens two per socket, keepalived-rs one;
//! - advert counters (`Advertisements: Received/Sent`, `advert_rcvd`,
//!   `advert_sent`): they depend on how long each daemon ran;
//! - Debian's build line `libnftnl version 1.2.3` (the library it is linked
//!   with; keepalived-rs links none, so it has no such line);
//! - in the track-script case only, the outcome of running the script
//!   (`Result`, `Init state`, `Status` of the VRRP Script): keepalived-rs
//!   does not run track scripts yet and shows the script as not yet run.
//!
//! Needs root (namespaces) and Debian's keepalived; honest skip otherwise
//! (a failure under CI or KR_REQUIRE_ALL=1).

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::time::Duration;

use common::daemon::{Daemon, Impl};
use common::{Need, Netns, TempDir};

/// One configuration run by both.
struct Case {
    tag: &'static str,
    conf: &'static str,
    /// Configuration of a Debian keepalived at the other end of eth0.
    peer: Option<&'static str>,
    /// Log lines both must have written before the files are taken.
    settled: &'static [&'static str],
    /// Lines (trimmed, by prefix) whose value depends on running track scripts.
    script_outcome: bool,
}

/// The interfaces of each namespace: eth0 (with a peer end `p0`), eth1 (its
/// peer `kp1` in the same namespace), fixed MACs so that both runs see the
/// same interfaces and link-local addresses.
fn wire(ns: &Netns) {
    let n = |args: &[&str]| ns.ip(args);
    n(&[
        "link",
        "add",
        "eth0",
        "address",
        "02:00:00:00:01:01",
        "type",
        "veth",
        "peer",
        "name",
        "p0",
        "address",
        "02:00:00:00:01:02",
    ]);
    n(&[
        "link",
        "add",
        "eth1",
        "address",
        "02:00:00:00:02:01",
        "type",
        "veth",
        "peer",
        "name",
        "kp1",
        "address",
        "02:00:00:00:02:02",
    ]);
    for i in ["eth0", "eth1", "kp1", "p0"] {
        n(&["link", "set", i, "up"]);
    }
    n(&["addr", "add", "10.1.0.1/24", "dev", "eth0"]);
    n(&["addr", "add", "fd00:1::1/64", "dev", "eth0", "nodad"]);
    n(&["addr", "add", "10.2.0.1/24", "dev", "eth1"]);
}

/// Moves p0 into `peer`, addressed 10.1.0.2/24.
fn attach_peer(ns: &Netns, peer: &Netns) {
    ns.ip(&["link", "set", "p0", "netns", &peer.name]);
    peer.ip(&["addr", "add", "10.1.0.2/24", "dev", "p0"]);
    peer.ip(&["link", "set", "p0", "up"]);
}

/// The four files of one run.
struct Files {
    data: String,
    stats: String,
    json: String,
    parent: String,
}

/// Starts `imp` on the case, waits until it has settled and takes its files.
fn run(case: &Case, imp: Impl, tag: &str) -> (Files, String) {
    let ns = Netns::new(tag);
    wire(&ns);
    let dir = TempDir::new(tag);
    let peer_ns;
    let _peer = match case.peer {
        Some(conf) => {
            peer_ns = Netns::new(&format!("{tag}p"));
            attach_peer(&ns, &peer_ns);
            let d = Daemon::build(Impl::Debian, "peer").netns(&peer_ns).conf(&dir.write("peer.conf", conf)).start();
            // MASTER before ours starts, so that ours hears it from the start.
            assert!(d.wait_logged("Entering MASTER STATE", 1, Duration::from_secs(15)), "peer\n{}", d.log());
            Some(d)
        }
        None => None,
    };
    // Link-local addresses appear when the links come up; DAD takes a moment.
    std::thread::sleep(Duration::from_millis(1500));
    let d = Daemon::build(imp, tag).netns(&ns).conf(&dir.write("k.conf", case.conf)).start();
    for line in case.settled {
        assert!(d.wait_logged(line, 1, Duration::from_secs(15)), "{imp:?}: no {line:?}\n{}", d.log());
    }
    // Let the VIP additions and the first gratuitous ARPs finish, and a
    // BACKUP hear its master's adverts.
    std::thread::sleep(Duration::from_millis(2500));
    let bin = imp.bin();
    let signum = common::run(std::process::Command::new(&bin).arg("--signum=JSON"));
    let json_sig: i32 = String::from_utf8_lossy(&signum.stdout).trim().parse().unwrap_or(0);
    assert!(json_sig > 0, "{imp:?} --signum=JSON: {signum:?}");
    let take = |sig: i32, file: &str| {
        d.rm_dump_file(file);
        d.signal(sig);
        d.dump_file(file, Duration::from_secs(5)).unwrap_or_else(|| panic!("{imp:?}: no {file}\n{}", d.log()))
    };
    let data = take(libc::SIGUSR1, "keepalived.data");
    let parent = take(libc::SIGUSR1, "keepalived_parent.data");
    let stats = take(libc::SIGUSR2, "keepalived.stats");
    let json = take(json_sig, "keepalived.json");
    (Files { data, stats, json, parent }, d.log())
}

/// The value after `key` replaced by `<runtime>`.
fn mask_after(line: &str, key: &str) -> Option<String> {
    let at = line.find(key)?;
    Some(format!("{}{key}<runtime>", &line[..at]))
}

/// keepalived.data / keepalived_parent.data with the run-time figures masked.
fn normalize_data(text: &str, script_outcome: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_scripts = false;
    for line in text.lines() {
        if line.starts_with("------<") {
            in_scripts = line == "------< VRRP Scripts >------";
        }
        let t = line.trim_start();
        if t.starts_with("libnftnl version") {
            continue;
        }
        let masked = ["Last transition = ", "Read timeout = ", "GARP next time ", "GNA next time ", "Last checked "]
            .iter()
            .find_map(|k| mask_after(line, k));
        if let Some(m) = masked {
            out.push(m);
        } else if t.starts_with("fd_in ") {
            out.push(format!("{}fd_in <runtime>", &line[..line.len() - t.len()]));
        } else if script_outcome
            && in_scripts
            && (t.starts_with("Result = ") || t.starts_with("Init state = ") || t.starts_with("Status = "))
        {
            out.push(format!("{} <script outcome>", t.split(" = ").next().unwrap_or(t)));
        } else {
            out.push(line.to_owned());
        }
    }
    out
}

/// keepalived.stats with the advert counters masked.
fn normalize_stats(text: &str) -> Vec<String> {
    let mut section = "";
    text.lines()
        .map(|line| {
            if line.starts_with("  ") && !line.starts_with("    ") {
                section = line.trim();
            }
            if section == "Advertisements:" && line.starts_with("    ") {
                mask_after(line, ": ").unwrap_or_else(|| line.to_owned())
            } else {
                line.to_owned()
            }
        })
        .collect()
}

/// keepalived.json parsed, with the run-time members masked.
fn normalize_json(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"));
    if let Some(list) = v.as_array_mut() {
        for e in list {
            for (obj, key) in [("data", "last_transition"), ("stats", "advert_rcvd"), ("stats", "advert_sent")] {
                if let Some(x) = e.get_mut(obj).and_then(|o| o.get_mut(key)) {
                    *x = serde_json::Value::String("<runtime>".into());
                }
            }
        }
    }
    v
}

/// Every member name of a JSON text, in order (serde_json's maps are sorted,
/// so the order is checked on the text).
fn json_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b.get(i) == Some(&b'"') {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b.get(j) != Some(&b'"') {
                j += if b.get(j) == Some(&b'\\') { 2 } else { 1 };
            }
            if b.get(j + 1) == Some(&b':') {
                keys.push(text.get(start..j).unwrap_or("").to_owned());
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    keys
}

/// The first differing line of two normalized files, for the failure message.
fn first_diff(a: &[String], b: &[String]) -> String {
    for (n, (x, y)) in a.iter().zip(b.iter()).enumerate() {
        if x != y {
            return format!("line {}: 2.2.7 {x:?}\n          ours  {y:?}", n + 1);
        }
    }
    format!("lengths differ: 2.2.7 {} lines, ours {}", a.len(), b.len())
}

fn compare(case: &Case) {
    if !common::needs(&[Need::Root, Need::Program("ip"), Need::DebianKeepalived]) {
        return;
    }
    let (deb, deb_log, ours, ours_log) = std::thread::scope(|s| {
        let a = s.spawn(|| run(case, Impl::Debian, &format!("{}d", case.tag)));
        let b = s.spawn(|| run(case, Impl::Ours, &format!("{}o", case.tag)));
        let (deb, dl) = a.join().expect("Debian's run");
        let (ours, ol) = b.join().expect("our run");
        (deb, dl, ours, ol)
    });
    let logs = format!("{deb_log}\n{ours_log}");
    let (dd, od) = (normalize_data(&deb.data, case.script_outcome), normalize_data(&ours.data, case.script_outcome));
    assert!(
        dd == od,
        "keepalived.data differs: {}\n----- 2.2.7 -----\n{}\n----- ours -----\n{}\n{logs}",
        first_diff(&dd, &od),
        deb.data,
        ours.data
    );
    let (dp, op) = (normalize_data(&deb.parent, false), normalize_data(&ours.parent, false));
    assert!(
        dp == op,
        "keepalived_parent.data differs: {}\n{}\n----\n{}",
        first_diff(&dp, &op),
        deb.parent,
        ours.parent
    );
    let (ds, os) = (normalize_stats(&deb.stats), normalize_stats(&ours.stats));
    assert!(ds == os, "keepalived.stats differs: {}\n{}\n----\n{}", first_diff(&ds, &os), deb.stats, ours.stats);
    assert_eq!(
        normalize_json(&deb.json),
        normalize_json(&ours.json),
        "keepalived.json values\n{}\n----\n{}",
        deb.json,
        ours.json
    );
    assert_eq!(
        json_keys(&deb.json),
        json_keys(&ours.json),
        "keepalived.json member order\n{}\n----\n{}",
        deb.json,
        ours.json
    );
}

/// VRRPv2 with PASS authentication, two instances on two interfaces, a VIP
/// with a label, excluded VIPs, a tracked interface, a static address.
#[test]
fn v2_pass_excluded_static_and_track_interface() {
    compare(&Case {
        tag: "dv2",
        conf: "global_defs {\n    router_id LVS_A\n    vrrp_garp_master_delay 3\n}\n\
               static_ipaddress {\n    10.9.9.9/32 dev eth1\n}\n\
               vrrp_instance VI_1 {\n    state MASTER\n    interface eth0\n    virtual_router_id 51\n    priority 150\n    \
               advert_int 1\n    authentication {\n        auth_type PASS\n        auth_pass secret1\n    }\n    \
               track_interface {\n        eth1\n    }\n    virtual_ipaddress {\n        10.1.0.100/24\n        \
               10.1.0.101/24 dev eth0 label eth0:1\n    }\n    virtual_ipaddress_excluded {\n        10.1.0.200/24\n    }\n}\n\
               vrrp_instance VI_2 {\n    state BACKUP\n    interface eth1\n    virtual_router_id 52\n    priority 100\n    \
               advert_int 1\n    virtual_ipaddress {\n        10.2.0.100/24\n    }\n}\n",
        peer: None,
        settled: &["(VI_1) Entering MASTER STATE", "(VI_2) Entering MASTER STATE"],
        script_outcome: false,
    });
}

/// VRRPv3: unicast peers with a configured source, nopreempt, 500 ms
/// adverts; an IPv6 instance with a link-local and a global VIP.
#[test]
fn v3_unicast_and_ipv6() {
    compare(&Case {
        tag: "dv3",
        conf: "global_defs {\n    vrrp_version 3\n}\n\
               vrrp_instance VI_U {\n    state BACKUP\n    interface eth0\n    virtual_router_id 60\n    priority 120\n    \
               advert_int 0.5\n    nopreempt\n    unicast_src_ip 10.1.0.1\n    unicast_peer {\n        10.1.0.2\n        \
               10.1.0.3\n    }\n    virtual_ipaddress {\n        10.1.0.60/24\n    }\n}\n\
               vrrp_instance VI_6 {\n    state BACKUP\n    interface eth1\n    virtual_router_id 61\n    priority 90\n    \
               preempt_delay 5\n    virtual_ipaddress {\n        fe80::61/64\n        fd00:2::61/64\n    }\n}\n",
        peer: None,
        settled: &["(VI_U) Entering MASTER STATE", "(VI_6) Entering MASTER STATE"],
        script_outcome: false,
    });
}

/// IPsec-AH authentication and a second instance, both BACKUP to a Debian
/// MASTER at the other end (Master router, Master priority), in a sync
/// group with a notify script; one tracks a script, one has a notify script.
#[test]
fn ah_backup_sync_group_and_track_script() {
    compare(&Case {
        tag: "dah",
        conf: "vrrp_script chk {\n    script \"/bin/true\"\n    interval 1\n}\n\
               vrrp_sync_group G1 {\n    group {\n        VI_A\n        VI_B\n    }\n    notify_master \"/bin/true master\"\n}\n\
               vrrp_instance VI_A {\n    state BACKUP\n    interface eth0\n    virtual_router_id 70\n    priority 100\n    \
               advert_int 1\n    authentication {\n        auth_type AH\n        auth_pass s3cret\n    }\n    \
               track_script {\n        chk\n    }\n    notify_backup \"/bin/true backup\"\n    \
               virtual_ipaddress {\n        10.1.0.70/24\n    }\n}\n\
               vrrp_instance VI_B {\n    state BACKUP\n    interface eth0\n    virtual_router_id 71\n    priority 100\n    \
               advert_int 1\n    virtual_ipaddress {\n        10.1.0.71/24\n    }\n}\n",
        peer: Some(
            "vrrp_instance PA {\n    state MASTER\n    interface p0\n    virtual_router_id 70\n    priority 200\n    \
             advert_int 1\n    authentication {\n        auth_type AH\n        auth_pass s3cret\n    }\n    \
             virtual_ipaddress {\n        10.1.0.70/24\n    }\n}\n\
             vrrp_instance PB {\n    state MASTER\n    interface p0\n    virtual_router_id 71\n    priority 200\n    \
             advert_int 1\n    virtual_ipaddress {\n        10.1.0.71/24\n    }\n}\n",
        ),
        settled: &["(VI_A) Entering BACKUP STATE", "(VI_B) Entering BACKUP STATE"],
        script_outcome: true,
    });
}

/// Many global_defs (email, SMTP, script user and security, GARP settings
/// that create per-interface delay groups, LVS flush, dynamic interfaces,
/// umask, traps), a VIP with brd/scope that the kernel refuses (not " set"
/// in either), virtual routes and rules, a generic notify script.
#[test]
fn global_definitions_routes_and_rules() {
    compare(&Case {
        tag: "dgl",
        conf: "global_defs {\n    notification_email {\n        admin@example.com\n        ops@example.com\n    }\n    \
               notification_email_from ka@example.com\n    smtp_server 127.0.0.1 2525\n    smtp_connect_timeout 20\n    \
               router_id R1\n    script_user nobody\n    enable_script_security\n    vrrp_garp_master_repeat 3\n    \
               vrrp_garp_master_refresh 60\n    vrrp_garp_lower_prio_repeat 2\n    vrrp_higher_prio_send_advert\n    \
               vrrp_check_unicast_src\n    vrrp_skip_check_adv_addr\n    vrrp_garp_interval 0.001\n    \
               vrrp_gna_interval 0.000001\n    max_auto_priority 50\n    lvs_flush\n    dynamic_interfaces\n    \
               vrrp_notify_priority_changes\n    umask 0022\n    enable_traps\n}\n\
               vrrp_instance VI_1 {\n    state BACKUP\n    interface eth0\n    virtual_router_id 80\n    priority 100\n    \
               advert_int 1\n    notify \"/bin/echo\" root\n    virtual_ipaddress {\n        \
               10.1.0.80/24 brd + dev eth0 scope site\n        10.1.0.81\n    }\n    virtual_routes {\n        \
               10.50.0.0/16 via 10.1.0.254 dev eth0 metric 5\n    }\n    virtual_rules {\n        \
               from 10.1.0.80 table 100 priority 200\n    }\n}\n",
        peer: None,
        settled: &["(VI_1) Entering MASTER STATE"],
        script_outcome: false,
    });
}

/// The masks leave everything else alone.
#[test]
fn normalizing_masks_only_runtime_figures() {
    let d = " VRRP Instance = VI_1\n   Last transition = 1.000001 (x)\n   fd_in 13, fd_out 14\n   Priority = 100\n \
             libnftnl version 1.2.3\n";
    assert_eq!(
        normalize_data(d, false),
        vec![" VRRP Instance = VI_1", "   Last transition = <runtime>", "   fd_in <runtime>", "   Priority = 100"]
    );
    let s = "VRRP Instance: VI_1\n  Advertisements:\n    Received: 3\n    Sent: 9\n  Became master: 1\n  Packet Errors:\n    Length: 2\n";
    assert_eq!(
        normalize_stats(s),
        vec![
            "VRRP Instance: VI_1",
            "  Advertisements:",
            "    Received: <runtime>",
            "    Sent: <runtime>",
            "  Became master: 1",
            "  Packet Errors:",
            "    Length: 2"
        ]
    );
    assert_eq!(json_keys(r#"[{"data":{"iname":"a\"b","vrid":1},"stats":{}}]"#), vec!["data", "iname", "vrid", "stats"]);
}
