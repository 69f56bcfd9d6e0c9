//! The process model, end to end: the daemon runs (as root) inside a network
//! namespace that each test creates with a unique name and removes on drop,
//! even when the test fails. Every wait is bounded.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::path::{Path, PathBuf};
use std::time::Duration;

mod common;

use common::daemon::{Child, Daemon, Impl, NotifySocket};
use common::net::Pair;
use common::proc::{alive, comm, kill, ppid, read_pid, session};
use common::{needs_root, wait_until};

/// A namespace with the veth pair kr0 (192.0.2.1/24) / kr1, and a copy of
/// `tests/data/cli/NAME` as `keepalived.conf` in its scratch directory (the
/// tests move it away and back).
fn lab(tag: &str, conf_name: &str) -> (Pair, PathBuf) {
    let lab = Pair::new(tag);
    let conf = lab.dir.join("keepalived.conf");
    std::fs::copy(common::data("cli").join(conf_name), &conf).expect("config");
    (lab, conf)
}

/// Our daemon in `lab`'s namespace (or, with `-s NAME` in `extra`, in the
/// root namespace, which it leaves for NAME itself): `-l -G EXTRA`.
fn start(lab: &Pair, conf: &Path, extra: &[&str], notify: Option<&Path>) -> Daemon {
    let mut b = Daemon::build(Impl::Ours, "ours").options(&["-l", "-G"]).args(extra).conf(conf);
    if !extra.contains(&"-s") {
        b = b.netns(&lab.ns);
    }
    if let Some(n) = notify {
        b = b.notify(n);
    }
    b.start()
}

#[test]
fn supervise_respawn_reload_and_stop() {
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("sup", "vrrp.conf");
    let notify = NotifySocket::new();
    let mut d = start(&lab, &conf, &["-n", "-d"], Some(&notify.path()));

    let first = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let first = first.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    assert_eq!(comm(d.pid()).as_deref(), Some("keepalived"));
    assert_eq!(read_pid(&d.file("k.pid")), Some(d.pid()));
    // Only VRRP is configured: no checker or BFD child.
    assert!(!d.file("c.pid").exists() && !d.file("b.pid").exists());
    assert_eq!(notify.next().as_deref(), Some("READY=1"), "{}", d.log());
    // -d: the parent logs the configuration dump.
    let loaded = keepalived_rs::config::load(
        &conf,
        &keepalived_rs::config::preprocess::Options::default(),
        &keepalived_rs::config::validate::SystemView::default(),
    );
    let dump = keepalived_rs::config::dump(&loaded.config);
    let log = d.log();
    for line in dump.lines().filter(|l| !l.trim().is_empty()).take(5) {
        assert!(log.contains(&format!(": {line}\n")), "{line:?} not logged\n{log}");
    }

    // An unexpected death is respawned at once.
    kill(first, libc::SIGKILL);
    let second = d.wait_child(Child::Vrrp, Some(first), Duration::from_secs(2));
    let second = second.unwrap_or_else(|| panic!("VRRP child not respawned within 2 s\n{}", d.log()));
    let log = d.log();
    assert!(log.contains(&format!("pid {first} exited due to signal 9 (Killed)")), "{log}");
    assert!(log.contains(&format!("VRRP child process({first}) died: Respawning")), "{log}");
    assert!(log.contains(&format!("Starting VRRP child process, pid={second}")), "{log}");

    // A reload with a configuration that cannot be read keeps everything running.
    let moved = lab.dir.join("moved.conf");
    std::fs::rename(&conf, &moved).expect("move config");
    d.signal(libc::SIGHUP);
    assert_eq!(notify.next().as_deref(), Some("RELOADING=1"));
    assert_eq!(notify.next().as_deref(), Some("READY=1"));
    let refused = wait_until(Duration::from_secs(5), || d.log().contains("Reload failed").then_some(()));
    assert!(refused.is_some(), "{}", d.log());
    std::fs::rename(&moved, &conf).expect("restore config");
    assert!(alive(d.pid()) && alive(second), "{}", d.log());
    assert_eq!(read_pid(&d.file("v.pid")), Some(second));

    // SIGUSR1 and SIGUSR2 reach the VRRP child through the parent.
    d.signal(libc::SIGUSR1);
    d.signal(libc::SIGUSR2);
    let printed = wait_until(Duration::from_secs(5), || {
        let log = d.log();
        (log.contains(&format!("Printing VRRP stats for process({second}) on signal"))
            && log.contains(&format!("Printing VRRP data for process({second}) on signal"))
            && log.contains(&format!("Printing parent data for process({}) on signal", d.pid())))
        .then_some(())
    });
    assert!(printed.is_some(), "{}", d.log());

    // SIGTERM: children reaped, pid files removed, exit 0.
    d.signal(libc::SIGTERM);
    assert_eq!(notify.next().as_deref(), Some("STOPPING=1"));
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
    assert!(!alive(second), "VRRP child left behind");
    for f in ["k.pid", "v.pid"] {
        assert!(!d.file(f).exists(), "{f} left behind");
    }
    let log = d.log();
    assert!(log.contains("Stopping") && log.contains("Stopped Keepalived-rs v"), "{log}");
    assert!(!log.contains("failed to die"), "{log}");
}

#[test]
fn dont_respawn_stops_keepalived() {
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("nr", "vrrp.conf");
    let log_dir = common::TempDir::new("proc-nrlog");
    let g = format!("-g{}", log_dir.join("k.log").display());
    let mut d = start(&lab, &conf, &["-n", "-R", &g, "--flush-log-file"], None);
    let child = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    let child_log = log_dir.join("k_vrrp.log");
    let logged =
        wait_until(Duration::from_secs(10), || std::fs::metadata(&child_log).ok().filter(|m| m.len() > 0).map(|_| ()));
    assert!(logged.is_some(), "the VRRP child wrote nothing to {}", child_log.display());
    kill(child, libc::SIGKILL);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("-R: still running\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
    let log = d.log();
    assert!(log.contains(&format!("VRRP child process({child}) died: Exiting")), "{log}");
    assert!(!log.contains("Respawning"), "{log}");
    assert!(!d.file("k.pid").exists() && !d.file("v.pid").exists());
    // -g: the parent logs to k.log, the VRRP child to k_vrrp.log.
    let parent_log = std::fs::read_to_string(log_dir.join("k.log")).unwrap_or_default();
    assert!(parent_log.contains("died: Exiting"), "{parent_log}");
    let child_log = std::fs::read_to_string(&child_log).unwrap_or_default();
    assert!(!child_log.contains("Starting Keepalived-rs"), "{child_log}");
    assert!(!child_log.contains("died: Exiting"), "{child_log}");
}

#[test]
fn daemonizes_without_dont_fork() {
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("dm", "vrrp.conf");
    let mut d = start(&lab, &conf, &[], None);
    // The command we ran returns at once; the daemon lives on in a new session.
    let st = d.wait_exit(Duration::from_secs(10)).expect("launcher did not return");
    assert_eq!(st.code(), Some(0));
    // From now on the handle signals (and on drop kills) the daemon.
    let daemon = d.adopt_daemonized(Duration::from_secs(10));
    let daemon = daemon.unwrap_or_else(|| panic!("no daemon pid file\n{}", d.log()));
    assert_eq!(comm(daemon).as_deref(), Some("keepalived"));
    let vrrp = wait_until(Duration::from_secs(10), || {
        read_pid(&d.file("v.pid"))
            .filter(|v| comm(*v).as_deref() == Some("keepalived_vrrp") && ppid(*v) == Some(daemon))
    });
    assert!(vrrp.is_some(), "no VRRP child of the daemon");
    // setsid: the daemon leads its own session.
    assert_eq!(session(daemon), Some(daemon));
    kill(daemon, libc::SIGTERM);
    let gone = wait_until(Duration::from_secs(10), || (!alive(daemon)).then_some(()));
    assert!(gone.is_some(), "daemon did not stop");
    assert!(!d.file("k.pid").exists() && !d.file("v.pid").exists());
}

#[test]
fn children_do_not_outlive_a_killed_parent() {
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("pd", "vrrp.conf");
    let mut d = start(&lab, &conf, &["-n"], None);
    let child = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    d.signal(libc::SIGKILL);
    assert!(d.wait_exit(Duration::from_secs(5)).is_some());
    // The parent-death signal (SIGTERM) stops the orphan.
    let gone = wait_until(Duration::from_secs(5), || (!alive(child)).then_some(()));
    assert!(gone.is_some(), "VRRP child {child} outlived its parent");
}

#[test]
fn all_with_subsystem_selection() {
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("sel", "vrrp.conf");
    // --all starts children without configuration; -C keeps only the checker
    // among VRRP/checker, -B drops BFD.
    let mut d = start(&lab, &conf, &["-n", "--all", "-C", "-B"], None);
    let checker = d.wait_child(Child::Checker, None, Duration::from_secs(10));
    let checker = checker.unwrap_or_else(|| panic!("no checker child\n{}", d.log()));
    assert!(!d.file("v.pid").exists() && !d.file("b.pid").exists(), "{}", d.log());
    assert!(d.log().contains(&format!("Starting Healthcheck child process, pid={checker}")), "{}", d.log());
    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0));
    assert!(!alive(checker) && !d.file("c.pid").exists());
}

#[test]
fn respawn_retries_while_the_config_file_is_broken() {
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("rc", "vrrp.conf");
    let mut d = start(&lab, &conf, &["-n"], None);
    let first = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let first = first.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    let moved = lab.dir.join("moved.conf");
    std::fs::rename(&conf, &moved).expect("move config");
    kill(first, libc::SIGKILL);
    let retried = wait_until(Duration::from_secs(5), || d.log().contains("will retry").then_some(()));
    assert!(retried.is_some(), "{}", d.log());
    assert!(alive(d.pid()), "keepalived stopped\n{}", d.log());
    std::fs::rename(&moved, &conf).expect("restore config");
    let back = d.wait_child(Child::Vrrp, Some(first), Duration::from_secs(10));
    assert!(back.is_some(), "no VRRP child after the file came back\n{}", d.log());
    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
}

#[test]
fn vrrp_process_name_renames_the_child() {
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("pn", "vrrp-named.conf");
    let mut d = start(&lab, &conf, &["-n"], None);
    let child = d.wait_child_named(Child::Vrrp, "kr_vrrp_named", None, Duration::from_secs(10));
    assert!(child.is_some(), "no child named kr_vrrp_named\n{}", d.log());
    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
}

#[test]
fn namespace_option_runs_everything_in_the_named_netns() {
    use std::os::unix::fs::MetadataExt;
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("s", "vrrp.conf");
    let mut d = start(&lab, &conf, &["-n", "-s", &lab.ns.name.clone()], None);
    let child = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    let want = std::fs::metadata(format!("/run/netns/{}", lab.ns.name)).expect("netns file").ino();
    for pid in [d.pid(), child] {
        let link = std::fs::read_link(format!("/proc/{pid}/ns/net")).expect("ns link");
        assert_eq!(link.to_string_lossy(), format!("net:[{want}]"), "pid {pid}");
    }
    // kr0 exists only in the namespace: the configuration was checked there.
    assert!(!d.log().contains("doesn't exist"), "{}", d.log());
    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
}

#[test]
fn sigint_stops_unless_ignored() {
    if !needs_root() {
        return;
    }
    let (lab, conf) = lab("int", "vrrp.conf");
    let mut d = start(&lab, &conf, &["-n", "--ignore-sigint"], None);
    let child = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    d.signal(libc::SIGINT);
    kill(child, libc::SIGINT);
    // Nothing is expected to happen: give it a moment to go wrong.
    assert!(d.wait_exit(Duration::from_millis(500)).is_none(), "stopped on SIGINT\n{}", d.log());
    assert!(alive(child), "{}", d.log());
    d.signal(libc::SIGTERM);
    assert_eq!(d.wait_exit(Duration::from_secs(10)).and_then(|s| s.code()), Some(0), "{}", d.log());
    drop(d);

    let mut d = start(&lab, &conf, &["-n"], None);
    let child = d.wait_child(Child::Vrrp, None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    d.signal(libc::SIGINT);
    assert_eq!(d.wait_exit(Duration::from_secs(10)).and_then(|s| s.code()), Some(0), "{}", d.log());
    assert!(!alive(child));
}
