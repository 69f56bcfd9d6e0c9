//! The test lab shared by the integration tests (`mod common;` in a test
//! file). Nothing here names an absolute path of this machine: the test data
//! is in the repository, scratch files go to the temp dir and are removed.
//!
//! - this file: prerequisites ([`needs`], [`require`]: a missing one fails
//!   under CI or `KR_REQUIRE_ALL=1`, else the test says why it skips),
//!   running commands, bounded waits, scratch directories, test data paths;
//! - [`net`]: network namespaces (one [`net::Netns`], a veth [`net::Pair`],
//!   hosts on a bridge [`net::Lan`]);
//! - [`daemon`]: ours or Debian's keepalived in a namespace ([`daemon::Daemon`]),
//!   with a private dump directory, pid files and log; sd_notify;
//! - [`capture`]: tcpdump on an interface, parsed ([`capture::Capture`]);
//! - [`proc`]: what /proc says about a process, signals;
//! - [`vrrp`]: VRRP configurations for these topologies.
#![allow(dead_code)]

pub mod capture;
pub mod daemon;
pub mod net;
pub mod proc;
pub mod vm;
pub mod vrrp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub use net::Netns;

/// Whether the tests run as root (network namespaces need it). CI does.
pub fn is_root() -> bool {
    // The effective uid, from /proc/self/status (no unsafe needed).
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(2) == Some("0")))
        .unwrap_or(false)
}

/// Whether CI (`CI` set) or `KR_REQUIRE_ALL=1` asks for every prerequisite:
/// then a test whose prerequisite is missing fails instead of skipping.
pub fn require_all() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty()) || std::env::var("KR_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

/// Checks a test's prerequisite (`what`, e.g. "root", "Debian's keepalived
/// at /usr/sbin/keepalived", "tcpdump"). Present: `true`. Missing: panics
/// under [`require_all`], else prints why the test is skipped and returns
/// `false` (the caller returns at once). Use it as
/// `if !require("root", is_root()) { return; }`, or [`needs`].
pub fn require(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    if require_all() {
        panic!("missing prerequisite: {what} (CI or KR_REQUIRE_ALL=1 requires it)");
    }
    eprintln!("SKIPPED: missing prerequisite: {what}");
    false
}

/// A prerequisite of a test, for [`needs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Need {
    /// Root: network and mount namespaces, raw sockets.
    Root,
    /// Debian's keepalived 2.2.7, the interop peer and oracle
    /// ([`daemon::debian_keepalived`]; `KR_DEBIAN_KEEPALIVED` overrides its path).
    DebianKeepalived,
    /// Debian's genhash ([`daemon::debian_genhash`]; `KR_DEBIAN_GENHASH` overrides its path).
    DebianGenhash,
    /// A program on PATH (`tcpdump`, `ping`, `ipvsadm`...).
    Program(&'static str),
}

impl Need {
    fn check(&self) -> (String, bool) {
        match self {
            Need::Root => ("root (network namespaces)".into(), is_root()),
            Need::DebianKeepalived => {
                let p = daemon::debian_keepalived();
                (format!("Debian's keepalived at {}", p.display()), p.is_file())
            }
            Need::DebianGenhash => {
                let p = daemon::debian_genhash();
                (format!("Debian's genhash at {}", p.display()), p.is_file())
            }
            Need::Program(p) => (format!("{p} on PATH"), have_program(p)),
        }
    }
}

/// [`require`] for each of `list`, in order: `false` (skip) at the first
/// missing one, a panic under [`require_all`].
/// `if !needs(&[Need::Root, Need::Program("tcpdump")]) { return; }`
pub fn needs(list: &[Need]) -> bool {
    list.iter().all(|n| {
        let (what, present) = n.check();
        require(&what, present)
    })
}

/// Root: what every namespace test needs.
pub fn needs_root() -> bool {
    needs(&[Need::Root, Need::Program("ip")])
}

/// Whether `program` is found on PATH.
pub fn have_program(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// The repository's root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/data/REL` in the repository.
pub fn data(rel: &str) -> PathBuf {
    repo().join("tests").join("data").join(rel)
}

/// Upstream keepalived's sample configurations with the verdicts and
/// messages keepalived 2.2.7 gives them (tests/data/keepalived-samples/README.md).
pub fn samples_dir() -> PathBuf {
    data("keepalived-samples")
}

/// Runs a command and returns its output; panics with the command line when it cannot start.
pub fn run(cmd: &mut Command) -> Output {
    match cmd.output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run {cmd:?}: {e}"),
    }
}

/// Runs a command that must succeed.
pub fn must(cmd: &mut Command) {
    let o = run(cmd);
    assert!(o.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&o.stderr));
}

/// How often the waits poll.
pub const POLL: Duration = Duration::from_millis(10);

/// Polls `f` every [`POLL`] until it returns `Some`, at most `limit`.
pub fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Polls `f` until it holds: the time it took, or `None` after `limit`.
pub fn wait_for(limit: Duration, mut f: impl FnMut() -> bool) -> Option<Duration> {
    let t0 = Instant::now();
    wait_until(limit, || f().then(|| t0.elapsed()))
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A number unique within this test process (for names).
pub fn seq() -> u32 {
    SEQ.fetch_add(1, Ordering::SeqCst)
}

/// A scratch directory `kr-TAG-PID-N` in the temp dir, removed on drop (also
/// when the test fails: what it held is in the failure message; set
/// `KR_KEEP=1` to keep it, its path is then printed).
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("kr-{tag}-{}-{}", std::process::id(), seq()));
        let _ = std::fs::remove_dir_all(&p);
        if let Err(e) = std::fs::create_dir_all(&p) {
            panic!("cannot create {}: {e}", p.display());
        }
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// `DIR/rel`.
    pub fn join(&self, rel: &str) -> PathBuf {
        self.0.join(rel)
    }

    /// Writes `DIR/rel` (creating its directories) and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.0.join(rel);
        if let Some(d) = p.parent() {
            let _ = std::fs::create_dir_all(d);
        }
        if let Err(e) = std::fs::write(&p, text) {
            panic!("cannot write {}: {e}", p.display());
        }
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var("KR_KEEP").is_ok_and(|v| v == "1") {
            eprintln!("kept {}", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Runs the test named `inner` of the current test binary inside `ns`, with
/// `KR_INNER=1` so the inner test knows to do the work; panics with its output
/// when it fails. The inner test is `#[ignore]`d (so that it does not count
/// as a test of its own) and returns at once when `KR_INNER` is unset.
pub fn run_inner_in(ns: &Netns, inner: &str, env: &[(&str, &str)]) {
    let exe = std::env::current_exe().expect("current test binary");
    let mut c = ns.cmd(exe.to_str().expect("utf-8 path"));
    c.args([inner, "--exact", "--include-ignored", "--nocapture", "--test-threads=1"]).env("KR_INNER", "1");
    for (k, v) in env {
        c.env(k, v);
    }
    let o = run(&mut c);
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(o.status.success() && out.contains("1 passed"), "inner test {inner} failed in {}:\n{out}", ns.name);
}

/// Whether this is the inner half of a [`run_inner_in`] pair.
pub fn inner() -> bool {
    std::env::var_os("KR_INNER").is_some()
}
