//! Helpers shared by the integration tests: network namespaces that clean up
//! after themselves, and locating the shared reference material.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

/// Whether the tests run as root (network namespaces need it). CI does.
pub fn is_root() -> bool {
    // SAFETY-free check: the effective uid is in /proc/self/status.
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
/// `if !require("root", is_root()) { return; }`.
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

/// Whether `program` is found on PATH.
pub fn have_program(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(program).is_file()))
}

/// `../shared` beside the checkout.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("shared")
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

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A network namespace created for one test, deleted on drop (also when the test panics).
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `kr<pid>-<tag><n>` with loopback up.
    pub fn new(tag: &str) -> Netns {
        let name = format!("kr{}-{}{}", std::process::id(), tag, SEQ.fetch_add(1, Ordering::SeqCst));
        must(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS...`, which must succeed.
    pub fn ip(&self, args: &[&str]) {
        must(Command::new("ip").arg("-n").arg(&self.name).args(args));
    }

    /// A command run inside the namespace.
    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Adds an interface that is up with carrier: one end of a veth pair whose
    /// other end (`kp<n>`) stays in the namespace too. (The test kernel has no
    /// dummy or vlan drivers.)
    pub fn dummy(&self, ifname: &str) {
        let peer = format!("kp{}", SEQ.fetch_add(1, Ordering::SeqCst));
        self.ip(&["link", "add", ifname, "type", "veth", "peer", "name", &peer]);
        self.ip(&["link", "set", &peer, "up"]);
        self.ip(&["link", "set", ifname, "up"]);
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
    }
}

/// Runs the test named `inner` of the current test binary inside `ns`, with
/// `KR_INNER=1` so the inner test knows to do the work; panics with its output
/// when it fails. The inner test returns immediately when `KR_INNER` is unset.
pub fn run_inner_in(ns: &Netns, inner: &str, env: &[(&str, &str)]) {
    let exe = std::env::current_exe().expect("current test binary");
    let mut c = ns.cmd(exe.to_str().expect("utf-8 path"));
    c.args([inner, "--exact", "--nocapture", "--test-threads=1"]).env("KR_INNER", "1");
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
