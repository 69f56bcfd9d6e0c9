//! The process model, end to end: the daemon runs (as root) inside a network
//! namespace that each test creates with a unique name and removes on drop,
//! even when the test fails. Every wait is bounded.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

mod common;
#[path = "data/ops/harness.rs"]
mod harness;

use harness::{alive, comm, kill, ppid, read_pid, ready, wait_until};

const KEEPALIVED: &str = env!("CARGO_BIN_EXE_keepalived");

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn sh(args: &[&str]) -> bool {
    Command::new(args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A network namespace with a veth pair `kr0`/`kr1` (kr0 has 192.0.2.1/24),
/// deleted on drop.
struct Netns(String);

impl Netns {
    fn new(tag: &str) -> Self {
        let name = format!("kr{}-{tag}", std::process::id());
        let _ = sh(&["ip", "netns", "del", &name]);
        assert!(sh(&["ip", "netns", "add", &name]), "ip netns add {name}");
        let ns = Netns(name);
        assert!(sh(&["ip", "-n", &ns.0, "link", "add", "kr0", "type", "veth", "peer", "name", "kr1"]));
        assert!(sh(&["ip", "-n", &ns.0, "addr", "add", "192.0.2.1/24", "dev", "kr0"]));
        assert!(sh(&["ip", "-n", &ns.0, "link", "set", "kr0", "up"]));
        assert!(sh(&["ip", "-n", &ns.0, "link", "set", "kr1", "up"]));
        ns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = sh(&["ip", "netns", "del", &self.0]);
    }
}

/// A running daemon with its own scratch directory; killed and cleaned on drop.
struct Daemon {
    child: Option<Child>,
    dir: PathBuf,
}

impl Daemon {
    fn start(ns: &Netns, tag: &str, extra: &[&str], notify: Option<&Path>) -> Self {
        Self::start_with(ns, tag, extra, notify, "vrrp.conf")
    }

    fn start_with(ns: &Netns, tag: &str, extra: &[&str], notify: Option<&Path>, conf_name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kr-proc-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch");
        let conf = dir.join("keepalived.conf");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cli").join(conf_name);
        std::fs::copy(src, &conf).expect("config");
        let log = std::fs::File::create(dir.join("log")).expect("log");
        // `-s NAME` in `extra`: keepalived enters the namespace itself.
        let mut cmd = if extra.contains(&"-s") {
            Command::new(KEEPALIVED)
        } else {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", &ns.0, KEEPALIVED]);
            c
        };
        cmd.args(["-l", "-G"])
            .args(extra)
            .arg("-f")
            .arg(&conf)
            .args(["-p", &p(&dir, "k.pid"), "-r", &p(&dir, "v.pid"), "-c", &p(&dir, "c.pid"), "-b", &p(&dir, "b.pid")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        match notify {
            Some(sock) => cmd.env("NOTIFY_SOCKET", sock),
            None => cmd.env_remove("NOTIFY_SOCKET"),
        };
        let child = cmd.spawn().expect("spawn keepalived");
        Daemon { child: Some(child), dir }
    }

    fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.file("log")).unwrap_or_default()
    }

    fn signal(&self, sig: i32) {
        kill(self.pid(), sig);
    }

    /// Waits for the daemon to exit, at most `limit`.
    fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        let child = self.child.as_mut()?;
        loop {
            if let Ok(Some(st)) = child.try_wait() {
                self.child = None;
                return Some(st);
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until the VRRP pid file names a live, ready `keepalived_vrrp`
    /// child of the daemon other than `not`, and returns its pid.
    fn wait_vrrp_child(&self, not: Option<i32>, limit: Duration) -> Option<i32> {
        self.wait_child("v.pid", "keepalived_vrrp", not, limit)
    }

    fn wait_child(&self, pid_file: &str, name: &str, not: Option<i32>, limit: Duration) -> Option<i32> {
        wait_until(limit, || {
            let pid = read_pid(&self.file(pid_file))?;
            (Some(pid) != not && comm(pid).as_deref() == Some(name) && ppid(pid) == Some(self.pid()) && ready(pid))
                .then_some(pid)
        })
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(v) = read_pid(&self.file("v.pid"))
            && comm(v).as_deref() == Some("keepalived_vrrp")
        {
            kill(v, libc::SIGKILL);
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// Collects sd_notify datagrams.
struct NotifySocket {
    path: PathBuf,
    sock: UnixDatagram,
}

impl NotifySocket {
    fn new(tag: &str) -> Self {
        let path = std::env::temp_dir().join(format!("kr-notify-{tag}-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let sock = UnixDatagram::bind(&path).expect("bind notify socket");
        sock.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
        NotifySocket { path, sock }
    }

    fn next(&self) -> Option<String> {
        let mut buf = [0u8; 256];
        let n = self.sock.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(buf.get(..n)?).into_owned())
    }
}

impl Drop for NotifySocket {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[test]
fn supervise_respawn_reload_and_stop() {
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("sup");
    let notify = NotifySocket::new("sup");
    let mut d = Daemon::start(&ns, "sup", &["-n", "-d"], Some(&notify.path));

    let first = d.wait_vrrp_child(None, Duration::from_secs(10));
    let first = first.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    assert_eq!(comm(d.pid()).as_deref(), Some("keepalived"));
    assert_eq!(read_pid(&d.file("k.pid")), Some(d.pid()));
    // Only VRRP is configured: no checker or BFD child.
    assert!(!d.file("c.pid").exists() && !d.file("b.pid").exists());
    assert_eq!(notify.next().as_deref(), Some("READY=1"), "{}", d.log());
    // -d: the parent logs the configuration dump.
    let loaded = keepalived_rs::config::load(
        &d.file("keepalived.conf"),
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
    let second = d.wait_vrrp_child(Some(first), Duration::from_secs(2));
    let second = second.unwrap_or_else(|| panic!("VRRP child not respawned within 2 s\n{}", d.log()));
    let log = d.log();
    assert!(log.contains(&format!("pid {first} exited due to signal 9 (Killed)")), "{log}");
    assert!(log.contains(&format!("VRRP child process({first}) died: Respawning")), "{log}");
    assert!(log.contains(&format!("Starting VRRP child process, pid={second}")), "{log}");

    // A reload with a configuration that cannot be read keeps everything running.
    let conf = d.file("keepalived.conf");
    std::fs::rename(&conf, d.file("moved.conf")).expect("move config");
    d.signal(libc::SIGHUP);
    assert_eq!(notify.next().as_deref(), Some("RELOADING=1"));
    assert_eq!(notify.next().as_deref(), Some("READY=1"));
    let refused = wait_until(Duration::from_secs(5), || d.log().contains("Reload failed").then_some(()));
    assert!(refused.is_some(), "{}", d.log());
    std::fs::rename(d.file("moved.conf"), &conf).expect("restore config");
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
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("nr");
    let log_dir = std::env::temp_dir().join(format!("kr-proc-nrlog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&log_dir);
    std::fs::create_dir_all(&log_dir).expect("log dir");
    struct Rm(PathBuf);
    impl Drop for Rm {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _rm = Rm(log_dir.clone());
    let g = format!("-g{}", log_dir.join("k.log").display());
    let mut d = Daemon::start(&ns, "nr", &["-n", "-R", &g, "--flush-log-file"], None);
    let child = d.wait_vrrp_child(None, Duration::from_secs(10));
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
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("dm");
    let mut d = Daemon::start(&ns, "dm", &[], None);
    // The command we ran returns at once; the daemon lives on in a new session.
    let st = d.wait_exit(Duration::from_secs(10)).expect("launcher did not return");
    assert_eq!(st.code(), Some(0));
    let daemon = wait_until(Duration::from_secs(10), || {
        read_pid(&d.file("k.pid")).filter(|p| comm(*p).as_deref() == Some("keepalived"))
    });
    let daemon = daemon.unwrap_or_else(|| panic!("no daemon pid file\n{}", d.log()));
    let vrrp = wait_until(Duration::from_secs(10), || {
        read_pid(&d.file("v.pid"))
            .filter(|v| comm(*v).as_deref() == Some("keepalived_vrrp") && ppid(*v) == Some(daemon))
    });
    // Stop it whatever happens next.
    struct Stop(i32);
    impl Drop for Stop {
        fn drop(&mut self) {
            if comm(self.0).as_deref() == Some("keepalived") {
                kill(self.0, libc::SIGKILL);
            }
        }
    }
    let _guard = Stop(daemon);
    assert!(vrrp.is_some(), "no VRRP child of the daemon");
    // setsid: the daemon leads its own session.
    let stat = std::fs::read_to_string(format!("/proc/{daemon}/stat")).unwrap_or_default();
    let sid: Option<i32> = stat.rsplit_once(')').and_then(|(_, r)| r.split_whitespace().nth(3)?.parse().ok());
    assert_eq!(sid, Some(daemon));
    kill(daemon, libc::SIGTERM);
    let gone = wait_until(Duration::from_secs(10), || (!alive(daemon)).then_some(()));
    assert!(gone.is_some(), "daemon did not stop");
    assert!(!d.file("k.pid").exists() && !d.file("v.pid").exists());
}

#[test]
fn children_do_not_outlive_a_killed_parent() {
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("pd");
    let mut d = Daemon::start(&ns, "pd", &["-n"], None);
    let child = d.wait_vrrp_child(None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    d.signal(libc::SIGKILL);
    assert!(d.wait_exit(Duration::from_secs(5)).is_some());
    // The parent-death signal (SIGTERM) stops the orphan.
    let gone = wait_until(Duration::from_secs(5), || (!alive(child)).then_some(()));
    assert!(gone.is_some(), "VRRP child {child} outlived its parent");
}

#[test]
fn all_with_subsystem_selection() {
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("sel");
    // --all starts children without configuration; -C keeps only the checker
    // among VRRP/checker, -B drops BFD.
    let mut d = Daemon::start(&ns, "sel", &["-n", "--all", "-C", "-B"], None);
    let checker = d.wait_child("c.pid", "keepalived_ipvs", None, Duration::from_secs(10));
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
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("rc");
    let mut d = Daemon::start(&ns, "rc", &["-n"], None);
    let first = d.wait_vrrp_child(None, Duration::from_secs(10));
    let first = first.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    let conf = d.file("keepalived.conf");
    std::fs::rename(&conf, d.file("moved.conf")).expect("move config");
    kill(first, libc::SIGKILL);
    let retried = wait_until(Duration::from_secs(5), || d.log().contains("will retry").then_some(()));
    assert!(retried.is_some(), "{}", d.log());
    assert!(alive(d.pid()), "keepalived stopped\n{}", d.log());
    std::fs::rename(d.file("moved.conf"), &conf).expect("restore config");
    let back = d.wait_vrrp_child(Some(first), Duration::from_secs(10));
    assert!(back.is_some(), "no VRRP child after the file came back\n{}", d.log());
    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
}

#[test]
fn vrrp_process_name_renames_the_child() {
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("pn");
    let mut d = Daemon::start_with(&ns, "pn", &["-n"], None, "vrrp-named.conf");
    let child = d.wait_child("v.pid", "kr_vrrp_named", None, Duration::from_secs(10));
    assert!(child.is_some(), "no child named kr_vrrp_named\n{}", d.log());
    d.signal(libc::SIGTERM);
    let st = d.wait_exit(Duration::from_secs(10)).unwrap_or_else(|| panic!("no exit on SIGTERM\n{}", d.log()));
    assert_eq!(st.code(), Some(0), "{}", d.log());
}

#[test]
fn namespace_option_runs_everything_in_the_named_netns() {
    use std::os::unix::fs::MetadataExt;
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("s");
    let mut d = Daemon::start(&ns, "s", &["-n", "-s", &ns.0.clone()], None);
    let child = d.wait_vrrp_child(None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    let want = std::fs::metadata(format!("/run/netns/{}", ns.0)).expect("netns file").ino();
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
    if !is_root() {
        eprintln!("skipped: needs root for network namespaces");
        return;
    }
    let ns = Netns::new("int");
    let mut d = Daemon::start(&ns, "int", &["-n", "--ignore-sigint"], None);
    let child = d.wait_vrrp_child(None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    d.signal(libc::SIGINT);
    kill(child, libc::SIGINT);
    // Nothing is expected to happen: give it a moment to go wrong.
    assert!(d.wait_exit(Duration::from_millis(500)).is_none(), "stopped on SIGINT\n{}", d.log());
    assert!(alive(child), "{}", d.log());
    d.signal(libc::SIGTERM);
    assert_eq!(d.wait_exit(Duration::from_secs(10)).and_then(|s| s.code()), Some(0), "{}", d.log());
    drop(d);

    let mut d = Daemon::start(&ns, "int2", &["-n"], None);
    let child = d.wait_vrrp_child(None, Duration::from_secs(10));
    let child = child.unwrap_or_else(|| panic!("no VRRP child\n{}", d.log()));
    d.signal(libc::SIGINT);
    assert_eq!(d.wait_exit(Duration::from_secs(10)).and_then(|s| s.code()), Some(0), "{}", d.log());
    assert!(!alive(child));
}
