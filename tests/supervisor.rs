//! The supervisor with a fake subsystem: this test program is its own
//! keepalived. Run by `cargo test`, it starts itself again as the daemon
//! (`KR_FAKE_DAEMON=1`), whose table of subsystems maps every child kind to
//! [`fake`], an entry point that writes each signal it receives to a file.
//! The real parent (`watchdog::main`) then starts, signals, respawns and
//! stops real child processes running the fake, and the test reads what each
//! one recorded: the seam works without any real subsystem behind it.
//!
//! No prerequisite beyond Linux and `kill(1)`: no root, no network. A harness
//! of its own (`harness = false` in Cargo.toml) because the parent starts its
//! children by re-executing this very program.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use futures_util::future::LocalBoxFuture;
use keepalived_rs::child::{ChildContext, ChildExit, ChildKind, ChildSignal, Subsystems};
use keepalived_rs::{cli, watchdog};

/// Every kind runs the fake.
const FAKE: &Subsystems = &[(ChildKind::Vrrp, fake), (ChildKind::Checker, fake), (ChildKind::Bfd, fake)];

/// The fake subsystem: records its start, each signal and its stop in
/// `$KR_FAKE_DIR/KIND.log`. With `$KR_FAKE_EXIT_KIND` set to `config` or
/// `fatal` it returns that exit at once, as a runtime that cannot run does.
fn fake(ctx: ChildContext) -> LocalBoxFuture<'static, ChildExit> {
    Box::pin(async move {
        let mut ctx = ctx;
        let dir = PathBuf::from(std::env::var_os("KR_FAKE_DIR").unwrap_or_default());
        let log = dir.join(format!("{}.log", ctx.kind.arg()));
        let record = |what: &str| {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
            writeln!(f, "{what}").unwrap();
        };
        record(&format!("start {}", std::process::id()));
        match std::env::var(format!("KR_FAKE_EXIT_{}", ctx.kind.arg())).as_deref() {
            Ok("config") => return ChildExit::Config,
            Ok("fatal") => return ChildExit::Fatal,
            _ => {}
        }
        loop {
            match ctx.signals.recv().await {
                ChildSignal::Stop => {
                    record("stop");
                    return ChildExit::Stopped;
                }
                ChildSignal::Reload => match ctx.reload() {
                    Some(new) => {
                        ctx.config = new;
                        record("reload");
                    }
                    None => record("reload refused"),
                },
                ChildSignal::DumpData => {
                    // Where the seam says the file goes (state_file_location).
                    record(&format!("data {}", ctx.dump_path("keepalived.data").display()));
                }
                ChildSignal::DumpStats => record("stats"),
                ChildSignal::DumpStatsClear => record("stats-clear"),
                ChildSignal::DumpJson => record("json"),
            }
        }
    })
}

/// The daemon side: what `src/bin/keepalived.rs` does, with the fake table.
fn daemon() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    match cli::parse(argv.clone()) {
        cli::Parsed::Run(opts) => watchdog::main(*opts, argv, FAKE),
        _ => {
            eprintln!("bad daemon arguments {argv:?}");
            ExitCode::from(100)
        }
    }
}

/// A private directory with the configuration, pid files and the fakes' logs.
struct Lab {
    dir: PathBuf,
    daemon: Option<Child>,
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut d) = self.daemon.take() {
            signal(d.id() as i32, "TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && d.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = d.kill();
            let _ = d.wait();
        }
        // Children left over (a failed test) are ours: the pid files say which.
        for f in ["vrrp.pid", "checker.pid", "bfd.pid"] {
            if let Some(pid) = read_pid(&self.dir.join(f)) {
                signal(pid, "KILL");
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn read_pid(p: &Path) -> Option<i32> {
    std::fs::read_to_string(p).ok()?.trim().parse().ok()
}

fn signal(pid: i32, sig: &str) {
    let ok = Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status().is_ok_and(|s| s.success());
    assert!(ok, "kill -{sig} {pid} failed");
}

impl Lab {
    fn new(tag: &str) -> Lab {
        let dir = std::env::temp_dir().join(format!("kr-supervisor-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let conf = format!("global_defs {{\n    state_file_location {}/\n}}\n", dir.display());
        std::fs::write(dir.join("keepalived.conf"), conf).unwrap();
        Lab { dir, daemon: None }
    }

    /// Starts the daemon (this program again) in the foreground, every child
    /// running the fake; `env` is added to its environment.
    fn start(&mut self, env: &[(&str, &str)]) {
        let exe = std::env::current_exe().unwrap();
        let d = &self.dir;
        let out = std::fs::File::create(d.join("daemon.out")).unwrap();
        let mut cmd = Command::new(exe);
        cmd.env("KR_FAKE_DAEMON", "1")
            .env("KR_FAKE_DIR", d)
            .args(["--dont-fork", "--log-console", "--no-syslog", "--all", "--log-detail"])
            .arg(format!("--use-file={}", d.join("keepalived.conf").display()))
            .arg(format!("--pid={}", d.join("keepalived.pid").display()))
            .arg(format!("--vrrp_pid={}", d.join("vrrp.pid").display()))
            .arg(format!("--checkers_pid={}", d.join("checker.pid").display()))
            .arg(format!("--bfd_pid={}", d.join("bfd.pid").display()))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out);
        for (k, v) in env {
            cmd.env(k, v);
        }
        self.daemon = Some(cmd.spawn().unwrap());
    }

    fn pid(&self) -> i32 {
        self.daemon.as_ref().unwrap().id() as i32
    }

    fn log(&self, kind: &str) -> Vec<String> {
        std::fs::read_to_string(self.dir.join(format!("{kind}.log")))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    fn daemon_output(&self) -> String {
        std::fs::read_to_string(self.dir.join("daemon.out")).unwrap_or_default()
    }

    /// Waits (5 s at most) until `what` holds.
    fn wait_for(&self, what: &str, cond: impl Fn(&Lab) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !cond(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}\ndaemon output:\n{}",
                self.daemon_output()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn count(&self, kind: &str, prefix: &str) -> usize {
        self.log(kind).iter().filter(|l| l.starts_with(prefix)).count()
    }

    /// Waits for the daemon to exit; its status code.
    fn wait_exit(&mut self) -> Option<i32> {
        let mut d = self.daemon.take().unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(st) = d.try_wait().unwrap() {
                return st.code();
            }
            if Instant::now() > deadline {
                let _ = d.kill();
                let _ = d.wait();
                panic!("the daemon did not exit\n{}", self.daemon_output());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

const KINDS: [&str; 3] = ["vrrp", "checker", "bfd"];

/// Start, reload, dumps, a crashed child respawned, stop.
fn lifecycle() {
    let mut lab = Lab::new("life");
    lab.start(&[]);
    lab.wait_for("every child started", |l| KINDS.iter().all(|k| l.count(k, "start ") == 1));
    for (k, f) in [("vrrp", "vrrp.pid"), ("checker", "checker.pid"), ("bfd", "bfd.pid")] {
        // The pid file names the process the fake runs in.
        let started = lab.log(k)[0].clone();
        lab.wait_for("the pid file", |l| read_pid(&l.dir.join(f)).is_some());
        assert_eq!(started, format!("start {}", read_pid(&lab.dir.join(f)).unwrap()), "{k}");
    }

    // SIGHUP reaches every child, which reloads through the seam.
    signal(lab.pid(), "HUP");
    lab.wait_for("every child reloaded", |l| KINDS.iter().all(|k| l.count(k, "reload") == 1));
    assert!(KINDS.iter().all(|k| lab.count(k, "reload refused") == 0));

    // SIGUSR1: every child dumps where state_file_location says, the parent too.
    signal(lab.pid(), "USR1");
    lab.wait_for("every child's data", |l| KINDS.iter().all(|k| l.count(k, "data ") == 1));
    let dir = lab.dir.display().to_string();
    assert_eq!(lab.log("vrrp").last().unwrap(), &format!("data {dir}/keepalived.data"));
    assert_eq!(lab.log("checker").last().unwrap(), &format!("data {dir}/keepalived.data"));
    lab.wait_for("the parent's data", |l| l.dir.join("keepalived_parent.data").is_file());

    // SIGUSR2 and SIGJSON are the VRRP process's only.
    signal(lab.pid(), "USR2");
    lab.wait_for("the VRRP stats", |l| l.count("vrrp", "stats") == 1);
    signal(lab.pid(), &format!("{}", libc::SIGRTMIN() + 2));
    lab.wait_for("the VRRP json", |l| l.count("vrrp", "json") == 1);

    // A child killed outright is started again (the first quick death at once).
    let old = read_pid(&lab.dir.join("checker.pid")).unwrap();
    signal(old, "KILL");
    lab.wait_for("the checker respawned", |l| l.count("checker", "start ") == 2);
    let new = lab.log("checker").last().unwrap().clone();
    assert_ne!(new, format!("start {old}"));
    lab.wait_for("its new pid file", |l| read_pid(&l.dir.join("checker.pid")).is_some_and(|p| p != old));
    assert!(lab.daemon_output().contains(&format!("Healthcheck child process({old}) died: Respawning")));

    // SIGTERM: every child stops cleanly, the parent exits 0, pid files go.
    signal(lab.pid(), "TERM");
    assert_eq!(lab.wait_exit(), Some(0), "{}", lab.daemon_output());
    for k in KINDS {
        assert_eq!(lab.log(k).last().map(String::as_str), Some("stop"), "{k}: {:?}", lab.log(k));
        assert_eq!(lab.count(k, "stats"), usize::from(k == "vrrp"), "{k}: {:?}", lab.log(k));
        assert_eq!(lab.count(k, "json"), usize::from(k == "vrrp"), "{k}: {:?}", lab.log(k));
    }
    for f in ["keepalived.pid", "vrrp.pid", "checker.pid", "bfd.pid"] {
        assert!(!lab.dir.join(f).exists(), "{f} left behind");
    }
}

/// A subsystem that returns `ChildExit::Config` at start stops keepalived
/// with keepalived 2.2.7's status 2, the other children stopped cleanly.
fn permanent_error_stops_keepalived() {
    let mut lab = Lab::new("config");
    lab.start(&[("KR_FAKE_EXIT_checker", "config")]);
    assert_eq!(lab.wait_exit(), Some(2), "{}", lab.daemon_output());
    let out = lab.daemon_output();
    assert!(out.contains("Keepalived_healthcheckers exited with permanent error CONFIG. Terminating"), "{out}");
    assert_eq!(lab.log("checker").len(), 1, "started once, never respawned");
    for k in ["vrrp", "bfd"] {
        if lab.count(k, "start ") > 0 {
            assert_eq!(lab.log(k).last().map(String::as_str), Some("stop"), "{k}: {:?}", lab.log(k));
        }
    }

    let mut lab = Lab::new("fatal");
    lab.start(&[("KR_FAKE_EXIT_vrrp", "fatal")]);
    assert_eq!(lab.wait_exit(), Some(2), "{}", lab.daemon_output());
    assert!(lab.daemon_output().contains("Keepalived_vrrp exited with permanent error FATAL. Terminating"));
}

fn main() -> ExitCode {
    if std::env::var_os("KR_FAKE_DAEMON").is_some() {
        return daemon();
    }
    let tests: [(&str, fn()); 2] =
        [("lifecycle", lifecycle), ("permanent_error_stops_keepalived", permanent_error_stops_keepalived)];
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let mut failed = 0;
    println!("\nrunning {} tests", tests.len());
    for (name, f) in tests {
        if !filter.is_empty() && !filter.iter().any(|p| name.contains(p.as_str())) {
            continue;
        }
        match std::panic::catch_unwind(f) {
            Ok(()) => println!("test {name} ... ok"),
            Err(_) => {
                println!("test {name} ... FAILED");
                failed += 1;
            }
        }
    }
    println!("\ntest result: {}. {failed} failed", if failed == 0 { "ok" } else { "FAILED" });
    if failed == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
