//! Operations, end to end (issue #4): the process tree, respawned children
//! getting back to work, the graceful stop on the wire, and the dump files
//! compared with Debian's keepalived 2.2.7 run the same way.
//!
//! Each test runs its daemons as root in a network namespace of its own
//! (unique name, removed on drop even when the test fails) with a private
//! dump directory (tests/common/daemon.rs); every wait is bounded. Without
//! root (or Debian's keepalived, or tcpdump) a test skips with the reason,
//! and fails under CI or KR_REQUIRE_ALL=1.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::path::Path;
use std::time::Duration;

use common::capture::{Capture, Seen, parse_line};
use common::daemon::{Child, Daemon, Impl, OURS, PidFiles, debian_keepalived};
use common::net::Pair as Lab;
use common::proc::{alive, comm, kill, read_pid};
use common::vrrp::{VIP, instance_on_pair as vrrp_conf};
use common::{Need, needs, wait_until};

/// Time for a priority-100 backup alone on the link to become master:
/// Master_Down_Interval (3 * 1 s + skew, RFC 3768 section 6.1) plus start-up.
const TO_MASTER: Duration = Duration::from_secs(10);

/// Root for the namespaces, tcpdump for the captures.
fn skip() -> bool {
    !needs(&[Need::Root, Need::Program("ip"), Need::Program("tcpdump")])
}

/// Parent + VRRP + checker children; each child killed comes back within
/// 2 s, and the VRRP instance returns to MASTER with its VIP and adverts.
#[test]
fn children_respawn_and_the_instance_returns_to_master() {
    if skip() {
        return;
    }
    let lab = Lab::new("resp");
    let conf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ops/vrrp-checker.conf");
    let cap = Capture::vrrp(&lab.ns, Lab::PEER);
    let mut d = lab.start(Impl::Ours, "ours", &conf, &["--all"]);

    let vrrp = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let vrrp = vrrp.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    let checker = d.wait_child(Child::Checker, None, Duration::from_secs(10));
    let checker = checker.unwrap_or_else(|| panic!("no checker child\n{}", d.log()));
    assert_eq!(comm(d.pid()).as_deref(), Some("keepalived"));
    assert_eq!(read_pid(&d.file("k.pid")), Some(d.pid()));
    // --all: the BFD child runs too, without configuration.
    assert!(d.wait_child(Child::Bfd, None, Duration::from_secs(10)).is_some(), "{}", d.log());
    assert!(d.wait_logged("(VI_1) Entering MASTER STATE", 1, TO_MASTER), "not MASTER\n{}", d.log());
    assert!(wait_until(Duration::from_secs(2), || lab.has_addr(VIP).then_some(())).is_some());

    // The VRRP child dies: back within 2 s, and MASTER again with the VIP.
    kill(vrrp, libc::SIGKILL);
    let vrrp2 = d.wait_child(Child::Vrrp, Some(vrrp), Duration::from_secs(2));
    let vrrp2 = vrrp2.unwrap_or_else(|| panic!("VRRP child not back within 2 s\n{}", d.log()));
    assert!(d.count(&format!("VRRP child process({vrrp}) died: Respawning")) == 1, "{}", d.log());
    assert!(d.wait_logged("(VI_1) Entering MASTER STATE", 2, TO_MASTER), "not MASTER again\n{}", d.log());
    let back = Capture::now();
    assert!(wait_until(Duration::from_secs(2), || lab.has_addr(VIP).then_some(())).is_some());
    // The new child advertises: two adverts of VRID 51 after it became master.
    let adverts = wait_until(Duration::from_secs(4), || {
        let n = cap
            .seen()
            .iter()
            .filter(|s| matches!(s, Seen::Advert { t, vrid: 51, prio: 100 } if *t > back - 0.5))
            .count();
        (n >= 2).then_some(n)
    });
    assert!(adverts.is_some(), "no adverts from the respawned child\n{}\n{}", cap.text(), d.log());
    // keepalived.data says so too.
    d.signal(libc::SIGUSR1);
    let data = d.dump_file("keepalived.data", Duration::from_secs(3)).unwrap_or_default();
    assert!(data.contains("State = MASTER"), "{data}\n{}", d.log());

    // The checker child dies: back within 2 s; the VRRP child is untouched.
    kill(checker, libc::SIGKILL);
    let checker2 = d.wait_child(Child::Checker, Some(checker), Duration::from_secs(2));
    assert!(checker2.is_some(), "checker child not back within 2 s\n{}", d.log());
    assert!(d.count(&format!("Healthcheck child process({checker}) died: Respawning")) == 1, "{}", d.log());
    assert!(alive(vrrp2) && read_pid(&d.file("v.pid")) == Some(vrrp2), "{}", d.log());
    assert_eq!(d.count("(VI_1) Entering MASTER STATE"), 2, "{}", d.log());

    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
    assert!(checker2.is_none_or(|c| !alive(c)) && !alive(vrrp2));
}

/// SIGTERM: a priority-0 advert on the wire, the VIP removed, children
/// reaped, pid files removed, exit 0. With -V (--dont-release-vrrp) the VIP
/// stays.
#[test]
fn sigterm_stops_gracefully() {
    if skip() {
        return;
    }
    let lab = Lab::new("term");
    let conf = lab.conf("k.conf", &vrrp_conf("BACKUP", 100, &[VIP], ""));
    let cap = Capture::vrrp(&lab.ns, Lab::PEER);
    let mut d = lab.start(Impl::Ours, "ours", &conf, &[]);
    let vrrp = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let vrrp = vrrp.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    assert!(d.wait_logged("(VI_1) Entering MASTER STATE", 1, TO_MASTER), "not MASTER\n{}", d.log());
    assert!(wait_until(Duration::from_secs(2), || lab.has_addr(VIP).then_some(())).is_some());

    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
    assert!(!alive(vrrp), "VRRP child left behind");
    for f in ["k.pid", "v.pid"] {
        assert!(!d.file(f).exists(), "{f} left behind\n{}", d.log());
    }
    assert!(!lab.has_addr(VIP), "VIP left on kr0 after SIGTERM: {:?}", lab.addrs());
    let prio0 = wait_until(Duration::from_secs(2), || {
        cap.seen().iter().any(|s| matches!(s, Seen::Advert { vrid: 51, prio: 0, .. })).then_some(())
    });
    assert!(prio0.is_some(), "no priority-0 advert on the wire\n{}\n{}", cap.text(), d.log());
    assert!(!d.log().contains("failed to die"), "{}", d.log());
    drop(d);

    // -V: the VIP stays where it is.
    let mut d = lab.start(Impl::Ours, "keep", &conf, &["-V"]);
    assert!(d.wait_logged("(VI_1) Entering MASTER STATE", 1, TO_MASTER), "not MASTER\n{}", d.log());
    assert!(wait_until(Duration::from_secs(2), || lab.has_addr(VIP).then_some(())).is_some());
    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
    assert!(lab.has_addr(VIP), "-V: the VIP was removed\n{}", d.log());
}

/// global_defs acted on by the parent: `net_namespace` (started in the root
/// namespace, the daemon moves into the lab's before it touches anything),
/// `instance` (pid file names under `/run/keepalived/keepalived_NS/`), and
/// `child_wait_time` (how long a child that does not stop is given: 1 s
/// here, not the default 5 s).
#[test]
fn global_defs_namespace_instance_and_child_wait_time() {
    use std::os::unix::fs::MetadataExt;
    if skip() {
        return;
    }
    let lab = Lab::new("gd");
    // Top-level keywords, before global_defs (keepalived.conf(5)).
    let text = format!("net_namespace {}\ninstance kri\nchild_wait_time 1\n", lab.ns.name)
        + &vrrp_conf("BACKUP", 100, &[VIP], "");
    let conf = lab.conf("k.conf", &text);
    // Started in the root namespace, which it leaves at once; its pid files
    // go to /run/keepalived/keepalived_NS/ (removed with the daemon).
    let pid_files = PidFiles::in_namespace_dir(&lab.ns, Some("kri"));
    let run_dir = pid_files.run_dir().unwrap_or_else(|| panic!("not in a run directory")).to_path_buf();
    let mut d = Daemon::build(Impl::Ours, "ours").conf(&conf).pid_files(pid_files).start();
    let vrrp = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let vrrp = vrrp.unwrap_or_else(|| panic!("no VRRP child (pid files {:?})\n{}", run_dir, d.log()));
    assert_eq!(read_pid(&d.file("k.pid")), Some(d.pid()), "{}", d.log());
    let want = std::fs::metadata(format!("/run/netns/{}", lab.ns.name)).expect("netns file").ino();
    for pid in [d.pid(), vrrp] {
        let link = std::fs::read_link(format!("/proc/{pid}/ns/net")).expect("ns link");
        assert_eq!(link.to_string_lossy(), format!("net:[{want}]"), "pid {pid} is not in the configured namespace");
    }
    assert!(!d.log().contains("not yet implemented"), "{}", d.log());
    assert!(d.wait_logged("(VI_1) Entering MASTER STATE", 1, TO_MASTER), "not MASTER\n{}", d.log());
    assert!(wait_until(Duration::from_secs(2), || lab.has_addr(VIP).then_some(())).is_some());

    // A child that cannot stop (SIGSTOP) is killed after child_wait_time.
    kill(vrrp, libc::SIGSTOP);
    let t0 = std::time::Instant::now();
    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    let took = t0.elapsed();
    assert_eq!(st.code(), Some(0), "{}", d.log());
    assert!(d.log().contains("vrrp process failed to die - forcing termination"), "{}", d.log());
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "stop took {took:?} with child_wait_time 1\n{}",
        d.log()
    );
    assert!(!alive(vrrp));
    for f in ["k.pid", "v.pid"] {
        // The links dangle once the pid files are gone.
        assert!(!d.file(f).exists(), "{f} left behind in {}", run_dir.display());
    }
}

/// `-t` with global_defs `net_namespace`: the interfaces are checked in that
/// namespace (kr0 exists only there), as the daemon would see them.
#[test]
fn config_test_checks_interfaces_in_the_configured_namespace() {
    if skip() {
        return;
    }
    let lab = Lab::new("ct");
    let good = format!("net_namespace {}\n", lab.ns.name) + &vrrp_conf("BACKUP", 100, &[VIP], "");
    let bad = good.replace("interface kr0", "interface kr9");
    for (text, ok) in [(good, true), (bad, false)] {
        let conf = lab.conf("t.conf", &text);
        let o = common::run(std::process::Command::new(OURS).arg("-t").arg("-f").arg(&conf));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.success(), ok, "{text}\n{err}");
        assert_eq!(err.contains("interface kr9 for vrrp_instance VI_1 doesn't exist"), !ok, "{err}");
        assert!(!err.contains("kr0"), "{err}");
    }
}

/// global_defs state_file_location (a template: `_checker` and `_parent`
/// go before the extension for those processes), stats_file_location (a
/// directory: it ends in `/`) and json_file_location (a file): the dumps go
/// there, not to /tmp.
#[test]
fn dump_file_locations_from_global_defs() {
    if skip() {
        return;
    }
    let lab = Lab::new("loc");
    let out = lab.dir.join("dumps");
    std::fs::create_dir_all(&out).expect("dump directory");
    let o = out.display();
    let base = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/ops/vrrp-checker.conf"))
        .expect("vrrp-checker.conf");
    let text = format!(
        "global_defs {{\n    state_file_location {o}/state.txt\n    stats_file_location {o}/\n    \
         json_file_location {o}/j.json\n}}\n{base}"
    );
    let d = lab.start(Impl::Ours, "ours", &lab.conf("k.conf", &text), &["--all"]);
    assert!(d.wait_child(Child::Vrrp, None, Duration::from_secs(10)).is_some(), "{}", d.log());
    assert!(d.wait_child(Child::Checker, None, Duration::from_secs(10)).is_some(), "{}", d.log());
    assert!(!d.log().contains("not yet implemented"), "{}", d.log());
    let json = common::run(std::process::Command::new(OURS).arg("--signum=JSON"));
    let json: i32 = String::from_utf8_lossy(&json.stdout).trim().parse().unwrap_or(0);
    for sig in [libc::SIGUSR1, libc::SIGUSR2, json] {
        d.signal(sig);
    }
    let want = [
        ("state.txt", "------< VRRP Topology >------"),
        ("state_checker.txt", ""),
        ("state_parent.txt", "------< Global definitions >------"),
        // Without virtual servers the checker's file is the global part
        // only, as keepalived 2.2.7's (tests/check_vm.rs compares the rest).
        ("state_checker.txt", "------< Global definitions >------"),
        ("keepalived.stats", "VRRP Instance: VI_1"),
        ("j.json", "\"iname\":\"VI_1\""),
    ];
    for (name, has) in want {
        let path = out.join(name);
        let text = wait_until(Duration::from_secs(5), || std::fs::read_to_string(&path).ok());
        let text = text.unwrap_or_else(|| panic!("no {}\n{}", path.display(), d.log()));
        assert!(text.contains(has), "{name}: {text}");
    }
    // Nothing in the tmp dir.
    assert_eq!(d.dump_names(), Vec::<String>::new(), "written to $TMPDIR instead");
}

/// global_defs data_use_instance with `instance kri`: the .data files carry
/// the instance name (`keepalived.kri.data`, `keepalived_parent.kri.data`),
/// the stats file does not: the same files as Debian's 2.2.7 writes.
#[test]
fn data_use_instance_names_the_data_files_like_debian() {
    if skip() {
        return;
    }
    let text = "instance kri\n".to_owned()
        + &vrrp_conf("BACKUP", 100, &[VIP], "").replacen(
            "global_defs {\n",
            "global_defs {\n    data_use_instance\n",
            1,
        );
    let mut runs = vec![(Impl::Ours, Lab::new("duo"))];
    if needs(&[Need::DebianKeepalived]) {
        runs.push((Impl::Debian, Lab::new("dud")));
    }
    let daemons: Vec<Daemon> =
        runs.iter().map(|(imp, lab)| lab.start(*imp, "d", &lab.conf("k.conf", &text), &[])).collect();
    let want = ["keepalived.kri.data", "keepalived.stats", "keepalived_parent.kri.data"];
    for d in &daemons {
        assert!(d.wait_logged("(VI_1) Entering BACKUP STATE", 1, Duration::from_secs(10)), "{}", d.log());
        d.signal(libc::SIGUSR1);
        d.signal(libc::SIGUSR2);
        for name in want {
            assert!(d.dump_file(name, Duration::from_secs(5)).is_some(), "no $TMPDIR/{name}\n{}", d.log());
        }
        assert_eq!(d.dump_names(), want, "{}", d.log());
    }
}

/// Fields of our keepalived.data that 2.2.7 does not print: the counter of
/// adverts for VRIDs no instance has (`log_unknown_vrids`, newer keepalived).
const NEWER_THAN_2_2_7: &[&str] = &["Unknown VRID adverts received"];

/// The section headers (`------< NAME >------`) of a .data file, in order.
fn sections(text: &str) -> Vec<&str> {
    text.lines().filter_map(|l| l.strip_prefix("------< ")?.strip_suffix(" >------")).collect()
}

/// The lines of one section of a .data file.
fn section<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let head = format!("------< {name} >------");
    text.lines().skip_while(|l| *l != head).skip(1).take_while(|l| !l.starts_with("------<")).collect()
}

/// The field name of a .data or .stats line: before ` = ` or `:`; for a
/// line without either (`Multicast address 224.0.0.18`, an address of a
/// list) the words before the first one holding a digit.
fn field(line: &str) -> String {
    let t = line.trim();
    if let Some((k, _)) = t.split_once(" = ") {
        return k.trim().to_owned();
    }
    if let Some((k, _)) = t.split_once(':') {
        // `Virtual IP (1)`: the count is a value.
        return k.split(" (").next().unwrap_or(k).trim().to_owned();
    }
    t.split_whitespace().take_while(|w| !w.chars().any(|c| c.is_ascii_digit())).collect::<Vec<_>>().join(" ")
}

/// Whether `small` appears in `big` in the same order (not necessarily adjacent).
fn in_order(small: &[String], big: &[String]) -> Option<String> {
    let mut it = big.iter();
    for s in small {
        if !it.any(|b| b == s) {
            return Some(s.clone());
        }
    }
    None
}

/// The keys of a flat-enough JSON text, in order: every `"name":`.
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

/// The keys of one object member (`"data"` or `"stats"`) of the first instance.
fn json_member_keys(text: &str, member: &str) -> Vec<String> {
    let keys = json_keys(text);
    let others = ["data", "stats"];
    keys.iter().skip_while(|k| *k != member).skip(1).take_while(|k| !others.contains(&k.as_str())).cloned().collect()
}

/// SIGUSR1 / SIGUSR2 / the JSON signal, sent to the main process of ours
/// and of Debian's 2.2.7 (each in its own namespace, same configuration,
/// both MASTER): keepalived.data, keepalived.stats and keepalived.json
/// appear in the tmp dir with the same section and field names for the
/// VRRP part (ours prints a subset of 2.2.7's fields, in 2.2.7's order).
#[test]
fn dump_files_match_debian_layout() {
    if skip() {
        return;
    }
    if !needs(&[Need::DebianKeepalived]) {
        return;
    }
    let ours_lab = Lab::new("dmo");
    let deb_lab = Lab::new("dmd");
    // VI_2 on kr2, whose link is down: FAULT, so that the files must tell
    // the two instances' states apart.
    for lab in [&ours_lab, &deb_lab] {
        lab.ns.ip(&["link", "add", "kr2", "type", "veth", "peer", "name", "kr3"]);
    }
    let vi2 = "vrrp_instance VI_2 {\n    state BACKUP\n    interface kr2\n    virtual_router_id 52\n    \
               priority 100\n    advert_int 1\n    virtual_ipaddress {\n        198.51.100.100/24\n    }\n}\n";
    let text = vrrp_conf("BACKUP", 100, &[VIP], "") + vi2;
    let ours = ours_lab.start(Impl::Ours, "ours", &ours_lab.conf("k.conf", &text), &[]);
    let deb = deb_lab.start(Impl::Debian, "debian", &deb_lab.conf("k.conf", &text), &[]);
    let debian = debian_keepalived();
    let mut files = Vec::new();
    for (d, bin) in [(&ours, Path::new(OURS)), (&deb, debian.as_path())] {
        assert!(d.wait_logged("(VI_1) Entering MASTER STATE", 1, TO_MASTER), "not MASTER\n{}", d.log());
        // 2.2.7 logs "(VI_2) entering FAULT state" at start-up.
        let fault =
            wait_until(TO_MASTER, || d.log().to_lowercase().contains("(vi_2) entering fault state").then_some(()));
        assert!(fault.is_some(), "VI_2 not FAULT\n{}", d.log());
        let signum = common::run(std::process::Command::new(bin).arg("--signum=JSON"));
        let json: i32 = String::from_utf8_lossy(&signum.stdout).trim().parse().unwrap_or(0);
        assert!(json > 0, "{} --signum=JSON: {signum:?}", bin.display());
        let mut got = Vec::new();
        for (sig, file) in
            [(libc::SIGUSR1, "keepalived.data"), (libc::SIGUSR2, "keepalived.stats"), (json, "keepalived.json")]
        {
            d.rm_dump_file(file);
            d.signal(sig);
            let text = d.dump_file(file, Duration::from_secs(5));
            got.push(
                text.unwrap_or_else(|| panic!("{}: no $TMPDIR/{file} after signal {sig}\n{}", bin.display(), d.log())),
            );
        }
        files.push(got);
    }
    let (o, b) = (&files[0], &files[1]);

    // keepalived.data: our sections are 2.2.7's (2.2.7 also has global,
    // sockpool and interface sections); the VRRP Topology fields are a
    // subset of 2.2.7's, in its order, and the values we both print agree.
    let (od, bd) = (&o[0], &b[0]);
    let (os, bs) = (sections(od), sections(bd));
    assert!(os.contains(&"VRRP Topology") && bs.contains(&"VRRP Topology"), "{od}\n----\n{bd}");
    let missing: Vec<&&str> = os.iter().filter(|s| !bs.contains(s)).collect();
    assert!(missing.is_empty(), "sections {missing:?} are not in 2.2.7's keepalived.data");
    let (ot, bt) = (section(od, "VRRP Topology"), section(bd, "VRRP Topology"));
    let of: Vec<String> =
        ot.iter().map(|l| field(l)).filter(|f| !f.is_empty() && !NEWER_THAN_2_2_7.contains(&f.as_str())).collect();
    let bf: Vec<String> = bt.iter().map(|l| field(l)).filter(|f| !f.is_empty()).collect();
    assert_eq!(
        in_order(&of, &bf),
        None,
        "a field of ours is not in 2.2.7's VRRP Topology (or out of order)\n{od}\n----\n{bd}"
    );
    for want in
        ["VRRP Instance", "State", "Interface", "Virtual Router ID", "Priority", "Effective priority", "Virtual IP"]
    {
        assert!(of.iter().any(|f| f == want), "our keepalived.data lacks {want:?}\n{od}");
    }
    let same = ["VRRP Instance", "VRRP Version", "State", "Interface", "Using src_ip", "Virtual Router ID", "Priority"];
    for line in &ot {
        let f = field(line);
        if same.contains(&f.as_str()) || line.contains(" dev kr0 ") {
            assert!(bt.contains(line), "{line:?} differs from 2.2.7\n{od}\n----\n{bd}");
        }
    }

    // keepalived.stats: the same lines but for the counts.
    let shape = |s: &str| s.lines().map(field).collect::<Vec<_>>();
    assert_eq!(shape(&o[1]), shape(&b[1]), "keepalived.stats layout\n{}\n----\n{}", o[1], b[1]);
    assert!(o[1].starts_with("VRRP Instance: VI_1\n"), "{}", o[1]);

    // keepalived.json: "data" keys a subset of 2.2.7's in its order, "stats" keys the same.
    let (oj, bj) = (&o[2], &b[2]);
    let (odk, bdk) = (json_member_keys(oj, "data"), json_member_keys(bj, "data"));
    assert!(!odk.is_empty() && !bdk.is_empty(), "{oj}\n----\n{bj}");
    assert_eq!(
        in_order(&odk, &bdk),
        None,
        "a json data key of ours is not in 2.2.7's (or out of order)\n{oj}\n----\n{bj}"
    );
    assert_eq!(json_member_keys(oj, "stats"), json_member_keys(bj, "stats"), "{oj}\n----\n{bj}");
    for kv in ["\"iname\":\"VI_1\"", "\"vrid\":51", "\"state\":2", "\"base_priority\":100", "\"auth_type\":0"] {
        assert!(oj.contains(kv) && bj.contains(kv), "{kv} not in both\n{oj}\n----\n{bj}");
    }
    // Each instance's state, in each file.
    for (name, state, number) in [("VI_1", "MASTER", 2), ("VI_2", "FAULT", 3)] {
        for (who, files) in [("ours", o), ("2.2.7", b)] {
            let data = &files[0];
            let block: Vec<&str> = data
                .lines()
                .skip_while(|l| l.trim() != format!("VRRP Instance = {name}"))
                .skip(1)
                .take_while(|l| !l.trim_start().starts_with("VRRP Instance ="))
                .collect();
            assert!(block.iter().any(|l| l.trim() == format!("State = {state}")), "{who}: {name} not {state}\n{data}");
            assert!(files[1].contains(&format!("VRRP Instance: {name}\n")), "{who}: {name} not in stats");
            let json = &files[2];
            let at = json.find(&format!("\"iname\":\"{name}\"")).unwrap_or(usize::MAX);
            let rest = json.get(at..).unwrap_or("");
            let object = rest.split("\"stats\"").next().unwrap_or("");
            assert!(object.contains(&format!("\"state\":{number},")), "{who}: {name} state not {number}\n{json}");
        }
    }
}

#[test]
fn field_names() {
    assert_eq!(field("   State = MASTER"), "State");
    assert_eq!(field("   Virtual IP (1):"), "Virtual IP");
    assert_eq!(field("   Multicast address 224.0.0.18"), "Multicast address");
    assert_eq!(field("     192.0.2.100/24 dev kr0 scope global set"), "");
    assert_eq!(field("    Received: 3"), "Received");
    assert_eq!(
        json_keys(r#"[{"data":{"iname":"a\"b","vips":["x"]},"stats":{"n":1}}]"#),
        ["data", "iname", "vips", "stats", "n"]
    );
    assert_eq!(in_order(&["a".into(), "c".into()], &["a".into(), "b".into(), "c".into()]), None);
    assert_eq!(in_order(&["c".into(), "a".into()], &["a".into(), "b".into(), "c".into()]), Some("a".into()));
}

#[test]
fn capture_parses_tcpdump_lines() {
    assert_eq!(
        parse_line(
            "1795697904.185107 IP 192.0.2.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, authtype none, intvl 1s, length 20"
        ),
        Some(Seen::Advert { t: 1795697904.185107, vrid: 51, prio: 150 })
    );
    assert_eq!(
        parse_line("1795697904.5 ARP, Request who-has 192.0.2.100 tell 192.0.2.100, length 28"),
        Some(Seen::Arp { t: 1795697904.5, ip: "192.0.2.100".into() })
    );
    assert_eq!(parse_line("garbage"), None);
    let seen = [
        Seen::Advert { t: 10.0, vrid: 51, prio: 100 },
        Seen::Advert { t: 11.0, vrid: 51, prio: 100 },
        Seen::Advert { t: 13.5, vrid: 51, prio: 100 },
        Seen::Advert { t: 12.0, vrid: 52, prio: 100 },
    ];
    assert!((common::capture::longest_silence(&seen, 51, 10.0, 14.0) - 2.5).abs() < 1e-9);
}
