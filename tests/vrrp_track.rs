//! Tracking, sync groups and notifies on real interfaces: our daemon and
//! Debian's keepalived 2.2.7 in network namespaces with real scripts, files,
//! links and processes.
//!
//! - A tracker failing lowers the master's priority by its weight and the
//!   peer (ours, or Debian's keepalived) takes over; recovering, the master
//!   preempts back: for track_script, track_interface, track_file and
//!   track_process.
//! - A sync group of two instances on two interfaces: one interface down
//!   moves both instances to the peer, and back.
//! - Notify scripts and FIFOs: the same calls and the same FIFO lines, line
//!   for line, as Debian's keepalived on the same sequence of events.
//! - A reload keeps a changed BACKUP's down timer and an unchanged
//!   script's state.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::daemon::{Daemon, Impl};
use common::net::Lan;
use common::{Need, needs};

fn skip() -> bool {
    !needs(&[Need::Root, Need::Program("ip")])
}

/// A notify script that appends its name and arguments to `log`.
fn notify_script(lan: &Lan, name: &str, log: &Path) -> PathBuf {
    let p = lan.conf(name, &format!("#!/bin/sh\necho \"{name} $*\" >> {}\n", log.display()));
    chmod_x(&p);
    p
}

fn chmod_x(p: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// The global part every configuration here starts with.
fn globals(extra: &str) -> String {
    format!(
        "global_defs {{\n    script_user root\n    enable_script_security\n    vrrp_garp_master_delay 1\n{extra}}}\n"
    )
}

/// One instance VI_1 (VRID 51) on eth0 with the lab's VIP and `extra` inside.
fn instance(lan: &Lan, name: &str, vrid: u8, prio: u8, dev: &str, vip: &str, extra: &str) -> String {
    let _ = lan;
    format!(
        "vrrp_instance {name} {{\n    interface {dev}\n    virtual_router_id {vrid}\n    priority {prio}\n    advert_int 1\n    \
         virtual_ipaddress {{\n        {vip}/24\n    }}\n{extra}}}\n"
    )
}

fn vip(lan: &Lan) -> String {
    format!("10.77.{}.100", lan.net)
}

/// Waits until host `n` alone holds `ip` on `dev` (of hosts 1 and 2).
fn wait_holder(lan: &Lan, n: usize, dev: &str, ip: &str, limit: Duration, what: &str, ds: &[&Daemon]) {
    let other = 3 - n;
    let ok = common::wait_for(limit, || lan.host(n).has_addr(dev, ip) && !lan.host(other).has_addr(dev, ip));
    assert!(ok.is_some(), "{what}: host {n} is not the sole holder of {ip}\n{}", common::daemon::logs(ds));
}

/// The scenario shared by the four kinds of tracker: host 1 (priority 100,
/// `track`) against host 2 (`peer`, priority 90). `fail` and `recover` act
/// on the tracked object.
struct Case<'a> {
    tag: &'a str,
    net: u8,
    peer: Impl,
    /// The tracked objects' blocks.
    objects: &'a str,
    /// The instance's track_* lines.
    track: &'a str,
    /// What host 1 logs once the object failed.
    log_after_fail: &'a str,
}

fn failover_case(case: Case<'_>, setup: impl FnOnce(&Lan), fail: impl FnOnce(&Lan), recover: impl FnOnce(&Lan)) {
    let Case { tag, net, peer, objects, track, log_after_fail } = case;
    let lan = Lan::new(tag, 2, net);
    setup(&lan);
    let v = vip(&lan);
    let c1 =
        lan.conf("n1.conf", &format!("{}{objects}{}", globals(""), instance(&lan, "VI_1", 51, 100, "eth0", &v, track)));
    let c2 = lan.conf("n2.conf", &format!("{}{}", globals(""), instance(&lan, "VI_1", 51, 90, "eth0", &v, "")));
    let mut d1 = lan.start(1, Impl::Ours, &c1, &[]);
    let mut d2 = lan.start(2, peer, &c2, &[]);
    wait_holder(&lan, 1, "eth0", &v, Duration::from_secs(10), "start", &[&d1, &d2]);
    fail(&lan);
    assert!(
        d1.wait_logged(log_after_fail, 1, Duration::from_secs(5)),
        "no '{log_after_fail}'\n{}",
        common::daemon::logs(&[&d1, &d2])
    );
    assert!(
        d1.wait_logged("(VI_1) Changing effective priority from 100 to 80", 1, Duration::from_secs(3)),
        "{}",
        d1.log()
    );
    wait_holder(&lan, 2, "eth0", &v, Duration::from_secs(8), "after the tracker failed", &[&d1, &d2]);
    recover(&lan);
    assert!(
        d1.wait_logged("(VI_1) Changing effective priority from 80 to 100", 1, Duration::from_secs(5)),
        "{}",
        d1.log()
    );
    wait_holder(&lan, 1, "eth0", &v, Duration::from_secs(8), "after the tracker recovered", &[&d1, &d2]);
    d1.stop(Duration::from_secs(10));
    d2.stop(Duration::from_secs(10));
}

fn script_case(tag: &str, net: u8, peer: Impl) {
    let flag = std::env::temp_dir().join(format!("kr-track-flag-{}-{tag}", std::process::id()));
    std::fs::write(&flag, "").unwrap();
    let objects = format!(
        "vrrp_script chk {{\n    script \"/usr/bin/test -e {}\"\n    interval 1\n    weight -20\n    fall 2\n    rise 2\n}}\n",
        flag.display()
    );
    let f1 = flag.clone();
    let f2 = flag.clone();
    failover_case(
        Case {
            tag,
            net,
            peer,
            objects: &objects,
            track: "    track_script {\n        chk\n    }\n",
            log_after_fail: "VRRP_Script(chk) failed (exited with status 1)",
        },
        |_| {},
        move |_| std::fs::remove_file(&f1).unwrap(),
        move |_| std::fs::write(&f2, "").unwrap(),
    );
    let _ = std::fs::remove_file(&flag);
}

#[test]
fn track_script_moves_priority_peer_ours() {
    if skip() {
        return;
    }
    script_case("ts", 61, Impl::Ours);
}

#[test]
fn track_script_moves_priority_peer_debian() {
    if skip() || !needs(&[Need::DebianKeepalived]) {
        return;
    }
    script_case("tsd", 62, Impl::Debian);
}

#[test]
fn track_interface_weight() {
    if skip() {
        return;
    }
    failover_case(
        Case {
            tag: "ti",
            net: 63,
            peer: Impl::Ours,
            objects: "",
            track: "    track_interface {\n        trk0 weight -20\n    }\n",
            log_after_fail: "Netlink reports trk0 down",
        },
        |lan| lan.host(1).dummy("trk0"),
        |lan| lan.host(1).ip(&["link", "set", "trk0", "down"]),
        |lan| lan.host(1).ip(&["link", "set", "trk0", "up"]),
    );
}

#[test]
fn track_file_value() {
    if skip() {
        return;
    }
    let file = std::env::temp_dir().join(format!("kr-track-file-{}", std::process::id()));
    let objects =
        format!("track_file tf {{\n    file {}\n    weight -1\n    init_file 0 overwrite\n}}\n", file.display());
    let (a, b) = (file.clone(), file.clone());
    failover_case(
        Case {
            tag: "tf",
            net: 64,
            peer: Impl::Ours,
            objects: &objects,
            track: "    track_file {\n        tf\n    }\n",
            log_after_fail: "(VI_1) Changing effective priority from 100 to 80",
        },
        |_| {},
        move |_| std::fs::write(&a, "20\n").unwrap(),
        move |_| std::fs::write(&b, "0\n").unwrap(),
    );
    let _ = std::fs::remove_file(&file);
}

/// keepalived's process connector works only in the initial network
/// namespace, so this runs against our peer; ours scans /proc.
#[test]
fn track_process_quorum() {
    if skip() || !needs(&[Need::Program("sleep")]) {
        return;
    }
    // A parameter unique to this run, so that no other process matches.
    let arg = format!("9{}", std::process::id());
    let objects = format!("vrrp_track_process sl {{\n    process sleep {arg}\n    weight -20\n    quorum 1\n}}\n");
    let spawn = |arg: &str| Command::new("sleep").arg(arg).spawn().unwrap();
    let holder: std::sync::Mutex<Option<Child>> = std::sync::Mutex::new(Some(spawn(&arg)));
    failover_case(
        Case {
            tag: "tp",
            net: 65,
            peer: Impl::Ours,
            objects: &objects,
            track: "    track_process {\n        sl\n    }\n",
            log_after_fail: "Quorum lost for tracked process sl",
        },
        |_| {},
        |_| {
            if let Some(mut c) = holder.lock().unwrap().take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        },
        |_| *holder.lock().unwrap() = Some(spawn(&arg)),
    );
    if let Some(mut c) = holder.lock().unwrap().take() {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// Adds a second LAN (br1) to `lan`: each host gets eth1 with 10.77.(net+100).i.
fn second_lan(lan: &Lan) {
    let b = lan.bridge();
    b.ip(&["link", "add", "br1", "type", "bridge"]);
    b.ip(&["link", "set", "br1", "up"]);
    for i in 1..=lan.hosts() {
        let w = format!("w{i}");
        b.ip(&["link", "add", &w, "type", "veth", "peer", "name", "eth1", "netns", &lan.host(i).name]);
        b.ip(&["link", "set", &w, "master", "br1", "up"]);
        let h = lan.host(i);
        h.ip(&["addr", "add", &format!("10.77.{}.{i}/24", u32::from(lan.net) + 100), "dev", "eth1"]);
        h.ip(&["link", "set", "eth1", "up"]);
    }
}

fn sync_conf(lan: &Lan, prio: u8) -> String {
    let v1 = vip(lan);
    let v2 = format!("10.77.{}.100", u32::from(lan.net) + 100);
    format!(
        "{}vrrp_sync_group G1 {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\n{}{}",
        globals(""),
        instance(lan, "VI_1", 51, prio, "eth0", &v1, ""),
        instance(lan, "VI_2", 52, prio, "eth1", &v2, "")
    )
}

#[test]
fn sync_group_moves_together() {
    if skip() {
        return;
    }
    let lan = Lan::new("sg", 2, 66);
    second_lan(&lan);
    let (v1, v2) = (vip(&lan), format!("10.77.{}.100", 166));
    let c1 = lan.conf("n1.conf", &sync_conf(&lan, 100));
    let c2 = lan.conf("n2.conf", &sync_conf(&lan, 90));
    let mut d1 = lan.start(1, Impl::Ours, &c1, &[]);
    let mut d2 = lan.start(2, Impl::Ours, &c2, &[]);
    let ds = [&d1, &d2];
    wait_holder(&lan, 1, "eth0", &v1, Duration::from_secs(10), "start VI_1", &ds);
    wait_holder(&lan, 1, "eth1", &v2, Duration::from_secs(3), "start VI_2", &ds);
    assert!(d1.log_text().contains("VRRP_Group(G1) Syncing instances to MASTER state"), "{}", d1.log());
    lan.host(1).ip(&["link", "set", "eth1", "down"]);
    // VI_2's link is down; VI_1 follows it into FAULT and the peer takes both.
    wait_holder(&lan, 2, "eth0", &v1, Duration::from_secs(8), "eth1 down: VI_1", &ds);
    wait_holder(&lan, 2, "eth1", &v2, Duration::from_secs(3), "eth1 down: VI_2", &ds);
    assert!(d1.log_text().contains("VRRP_Group(G1) Syncing instances to FAULT state"), "{}", d1.log());
    assert!(d1.log_text().contains("(VI_1) Entering FAULT STATE"), "{}", d1.log());
    lan.host(1).ip(&["link", "set", "eth1", "up"]);
    wait_holder(&lan, 1, "eth0", &v1, Duration::from_secs(10), "eth1 up: VI_1", &ds);
    wait_holder(&lan, 1, "eth1", &v2, Duration::from_secs(3), "eth1 up: VI_2", &ds);
    assert!(d1.log_text().contains("VRRP_Group(G1) Syncing instances to BACKUP state"), "{}", d1.log());
    d1.stop(Duration::from_secs(10));
    d2.stop(Duration::from_secs(10));
}

/// What a daemon's notify scripts and FIFOs said over one run of events.
struct Heard {
    fifo: Vec<String>,
    calls: Vec<String>,
    log: String,
}

/// Runs `imp` alone on a host through: start (BACKUP, then MASTER), a
/// tracked file lowering VI_3's priority, the sync group's tracked
/// interface down (FAULT) and up (BACKUP, MASTER), then SIGTERM (STOP).
fn notify_run(imp: Impl, tag: &str, net: u8) -> Heard {
    let lan = Lan::new(tag, 1, net);
    lan.host(1).dummy("trk0");
    let calls = lan.dir.join("calls");
    let fifo = lan.dir.join("fifo");
    let file = lan.dir.join("tf");
    let s = |n: &str| notify_script(&lan, n, &calls).display().to_string();
    let v = |last: u8| format!("10.77.{}.{last}", lan.net);
    let group_notify = format!(
        "    notify_master \"{} G1\"\n    notify_backup \"{} G1\"\n    notify_fault \"{} G1\"\n    notify {}\n",
        s("gmaster"),
        s("gbackup"),
        s("gfault"),
        s("gnotify")
    );
    let inst_notify = |n: &str| {
        format!(
            "    notify_master \"{} {n}\"\n    notify_backup \"{} {n}\"\n    notify_fault \"{} {n}\"\n    notify_stop \"{} {n}\"\n    notify {}\n",
            s("master"),
            s("backup"),
            s("fault"),
            s("stop"),
            s("notify")
        )
    };
    let conf = format!(
        "{}track_file tf {{\n    file {}\n    weight -1\n    init_file 0 overwrite\n}}\n\
         vrrp_sync_group G1 {{\n    group {{\n        VI_1\n        VI_2\n    }}\n    track_interface {{\n        trk0\n    }}\n{group_notify}}}\n{}{}{}",
        globals(&format!("    vrrp_notify_fifo {}\n    vrrp_notify_priority_changes\n", fifo.display())),
        file.display(),
        instance(&lan, "VI_1", 51, 100, "eth0", &v(101), &inst_notify("VI_1")),
        instance(&lan, "VI_2", 52, 100, "eth0", &v(102), &inst_notify("VI_2")),
        instance(
            &lan,
            "VI_3",
            53,
            100,
            "eth0",
            &v(103),
            &format!("    track_file {{\n        tf\n    }}\n{}", inst_notify("VI_3"))
        ),
    );
    let c = lan.conf("k.conf", &conf);
    let mut d = lan.start(1, imp, &c, &[]);
    // The daemon creates the FIFO; read it until the daemon closes it.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let t0 = Instant::now();
            while !fifo.exists() && t0.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(5));
            }
            let mut out = String::new();
            if let Ok(mut f) = std::fs::File::open(&fifo) {
                use std::io::Read as _;
                let _ = f.read_to_string(&mut out);
            }
            out
        })
    };
    let host = lan.host(1);
    let all_master = || (101..=103).all(|l| host.has_addr("eth0", &v(l)));
    assert!(common::wait_for(Duration::from_secs(10), all_master).is_some(), "no MASTER\n{}", d.log());
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&file, "5\n").unwrap();
    assert!(
        d.wait_logged("(VI_3) Changing effective priority from 100 to 95", 1, Duration::from_secs(5)),
        "{}",
        d.log()
    );
    std::thread::sleep(Duration::from_millis(500));
    host.ip(&["link", "set", "trk0", "down"]);
    assert!(d.wait_logged("(VI_2) Entering FAULT STATE", 1, Duration::from_secs(5)), "{}", d.log());
    std::thread::sleep(Duration::from_millis(1000));
    host.ip(&["link", "set", "trk0", "up"]);
    let back = || host.has_addr("eth0", &v(101)) && host.has_addr("eth0", &v(102));
    assert!(common::wait_for(Duration::from_secs(10), back).is_some(), "no MASTER again\n{}", d.log());
    std::thread::sleep(Duration::from_millis(500));
    d.stop(Duration::from_secs(10));
    let fifo_text = reader.join().unwrap();
    // Scripts run concurrently: wait for the last ones to append.
    std::thread::sleep(Duration::from_millis(500));
    let mut calls: Vec<String> =
        std::fs::read_to_string(&calls).unwrap_or_default().lines().map(str::to_owned).collect();
    calls.sort();
    Heard { fifo: fifo_text.lines().map(str::to_owned).collect(), calls, log: d.log() }
}

#[test]
fn notifies_match_keepalived() {
    if skip() || !needs(&[Need::DebianKeepalived]) {
        return;
    }
    let (ours, theirs) = std::thread::scope(|s| {
        let o = s.spawn(|| notify_run(Impl::Ours, "no", 67));
        let t = s.spawn(|| notify_run(Impl::Debian, "nd", 68));
        (o.join().unwrap(), t.join().unwrap())
    });
    let ctx = format!("{}\n{}", ours.log, theirs.log);
    assert!(theirs.fifo.iter().any(|l| l == "GROUP \"G1\" FAULT 0"), "the reference run saw no group FAULT\n{ctx}");
    eprintln!("FIFO lines of both:\n{}\nscript calls of both:\n{}", theirs.fifo.join("\n"), theirs.calls.join("\n"));
    assert_eq!(ours.fifo, theirs.fifo, "FIFO lines differ\n{ctx}");
    assert_eq!(ours.calls, theirs.calls, "notify script calls differ\n{ctx}");
}

/// A reload that changes a BACKUP instance keeps its Master_Down_Timer; a
/// script whose settings did not change keeps its state (no new
/// "failed" line, the priority stays).
#[test]
fn reload_keeps_backup_timer_and_tracker_state() {
    if skip() {
        return;
    }
    let lan = Lan::new("rl", 1, 69);
    let v = vip(&lan);
    let objects = "vrrp_script chk {\n    script \"/bin/false\"\n    interval 1\n    weight -10\n}\n";
    let body = |garp: u32| {
        format!(
            "{}{objects}{}",
            globals(""),
            instance(
                &lan,
                "VI_1",
                51,
                100,
                "eth0",
                &v,
                &format!("    garp_master_repeat {garp}\n    track_script {{\n        chk\n    }}\n")
            )
            .replace("advert_int 1", "advert_int 4")
        )
    };
    let c = lan.conf("k.conf", &body(5));
    let t0 = Instant::now();
    let mut d = lan.start(1, Impl::Ours, &c, &[]);
    assert!(d.wait_logged("VRRP_Script(chk) failed", 1, Duration::from_secs(5)), "{}", d.log());
    std::thread::sleep(Duration::from_secs(3));
    lan.conf("k.conf", &body(3));
    d.signal(libc::SIGHUP);
    assert!(d.wait_logged("Reload finished", 1, Duration::from_secs(5)), "{}", d.log());
    // Priority 90 (100 - 10): Master_Down_Interval 3 * 4 + 166/256 * 4 s = 14.59 s from the start.
    let up = common::wait_for(Duration::from_secs(25), || lan.host(1).has_addr("eth0", &v));
    assert!(up.is_some(), "never MASTER\n{}", d.log());
    let at = t0.elapsed();
    assert!(
        at < Duration::from_millis(16_500),
        "the reload restarted the down timer: MASTER after {at:?}\n{}",
        d.log()
    );
    assert_eq!(d.count("VRRP_Script(chk) failed"), 1, "{}", d.log());
    assert_eq!(d.count("Changing effective priority"), 1, "{}", d.log());
    d.stop(Duration::from_secs(10));
}

/// The states and effective priorities of a keepalived.data dump, by instance.
fn dump_states(data: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut name = None;
    let mut state = None;
    for l in data.lines() {
        let l = l.trim();
        if let Some(n) = l.strip_prefix("VRRP Instance = ") {
            name = Some(n.to_owned());
            state = None;
        } else if let Some(s) = l.strip_prefix("State = ") {
            state = Some(s.to_owned());
        } else if let (Some(p), Some(n), Some(s)) = (l.strip_prefix("Effective priority = "), &name, &state) {
            out.push((n.clone(), s.clone(), p.to_owned()));
            name = None;
        }
    }
    out.sort();
    out
}

/// Runs upstream's sample `file` alone on a host whose eth0..eth3 and eth0.1 exist
/// with an address each; the final state and effective priority of every
/// instance after `settle`.
fn sample_run(imp: Impl, file: &str, tag: &str, net: u8, settle: Duration) -> (Vec<(String, String, String)>, String) {
    let lan = Lan::new(tag, 1, net);
    let h = lan.host(1);
    for (i, dev) in ["eth1", "eth2", "eth3", "eth0.1"].iter().enumerate() {
        h.dummy(dev);
        h.ip(&["addr", "add", &format!("10.78.{}.{}/24", net, i + 1), "dev", dev]);
    }
    let conf = common::samples_dir().join(file);
    let mut d = lan.start(1, imp, &conf, &[]);
    std::thread::sleep(settle);
    d.signal(libc::SIGUSR1);
    let data = d.dump_file("keepalived.data", Duration::from_secs(5)).unwrap_or_default();
    d.stop(Duration::from_secs(10));
    (dump_states(&data), d.log())
}

/// Upstream's samples that track scripts and interfaces and group
/// instances run (not only parse) as with keepalived 2.2.7: the same
/// instances end in the same states with the same effective priorities.
#[test]
fn samples_run_like_keepalived() {
    if skip() || !needs(&[Need::DebianKeepalived]) {
        return;
    }
    let samples = [
        ("keepalived.conf.vrrp.scripts", 70),
        ("keepalived.conf.vrrp.sync", 72),
        ("keepalived.conf.vrrp.localcheck", 74),
        ("keepalived.conf.track_interface", 76),
    ];
    std::thread::scope(|s| {
        let runs: Vec<_> = samples
            .iter()
            .map(|(file, net)| {
                let settle = Duration::from_secs(9);
                let o = s.spawn(move || sample_run(Impl::Ours, file, &format!("so{net}"), *net, settle));
                let t = s.spawn(move || sample_run(Impl::Debian, file, &format!("sd{net}"), net + 1, settle));
                (file, o, t)
            })
            .collect();
        for (file, o, t) in runs {
            let (ours, ours_log) = o.join().unwrap();
            let (theirs, theirs_log) = t.join().unwrap();
            assert!(!theirs.is_empty(), "{file}: no instance in keepalived's dump\n{theirs_log}");
            eprintln!("{file}: {theirs:?}");
            assert_eq!(ours, theirs, "{file}: final states differ\n{ours_log}\n{theirs_log}");
        }
    });
}

/// One run of a notify FIFO read by its `vrrp_notify_fifo_script` running as
/// `script_user nobody`, on an interface without an IPv4 address (FAULT)
/// whose IPv6 link-local address finishes DAD meanwhile: the FIFO's owner
/// and the lines the script read.
fn fifo_script_run(imp: Impl, tag: &str, net: u8) -> (u32, Vec<String>, String) {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let lan = Lan::new(tag, 1, net);
    let host = lan.host(1);
    host.ip(&["link", "add", "k0", "type", "veth", "peer", "name", "k1"]);
    host.ip(&["link", "set", "k1", "up"]);
    host.ip(&["link", "set", "k0", "up"]);
    std::fs::set_permissions(lan.dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = lan.dir.join("out.log");
    std::fs::write(&out, "").unwrap();
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o666)).unwrap();
    let script = lan.conf("fifo.sh", &format!("#!/bin/sh\nexec cat \"$1\" >> {}\n", out.display()));
    chmod_x(&script);
    let fifo = lan.dir.join("v.fifo");
    let conf = format!(
        "global_defs {{\n    script_user nobody\n    enable_script_security\n    vrrp_notify_fifo {}\n    \
         vrrp_notify_fifo_script {}\n}}\n{}",
        fifo.display(),
        script.display(),
        instance(&lan, "VI_1", 51, 100, "k0", &vip(&lan), "")
    );
    let c = lan.conf("k.conf", &conf);
    let mut d = lan.start(1, imp, &c, &[]);
    assert!(d.wait_logged("(VI_1) entering FAULT state", 1, Duration::from_secs(5)), "{}", d.log());
    // The link-local address is there once DAD is done (about 1 s).
    std::thread::sleep(Duration::from_millis(3000));
    let owner = std::fs::metadata(&fifo).map(|m| m.uid()).unwrap_or(u32::MAX);
    d.stop(Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(300));
    let lines = std::fs::read_to_string(&out).unwrap_or_default();
    // keepalived 2.2.7 ends the FIFO script before its STOP line is read.
    let lines = lines.lines().filter(|l| !l.ends_with(" STOP 100")).map(str::to_owned).collect();
    (owner, lines, d.log())
}

#[test]
fn fifo_script_user_owns_the_fifo_and_fault_is_told_once_like_keepalived() {
    if skip() || !needs(&[Need::DebianKeepalived]) {
        return;
    }
    let (t_owner, t_lines, t_log) = fifo_script_run(Impl::Debian, "ffd", 61);
    let (o_owner, o_lines, o_log) = fifo_script_run(Impl::Ours, "ffo", 62);
    assert_eq!(t_lines, ["INSTANCE \"VI_1\" FAULT 100"], "the reference run\n{t_log}");
    assert_eq!(o_owner, t_owner, "the FIFO's owner differs from keepalived 2.2.7's\n{o_log}");
    assert_eq!(o_lines, t_lines, "FIFO lines differ\n{o_log}");
}
