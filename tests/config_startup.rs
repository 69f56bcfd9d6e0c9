//! The exit status of the daemon when its configuration cannot run, beside
//! Debian's keepalived 2.2.7 started the same way (`-n -l -D`, pid files in a
//! scratch directory, in a network namespace of the test's own): 2 when the
//! configuration has an error keepalived cannot run with ("exited with
//! permanent error CONFIG. Terminating"), 6 when there is no configuration
//! file to read.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::{Netns, is_root, require};

const DEBIAN: &str = "/usr/sbin/keepalived";

struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let p = std::env::temp_dir().join(format!("kr-startup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Starts `bin` on `conf` in `ns` and returns its exit status (`None`: it
/// was still running after 10 s, i.e. it did start).
fn start(ns: &Netns, bin: &str, conf: &Path, dir: &Path) -> Option<i32> {
    let pid = |n: &str| dir.join(format!("{n}.pid")).to_string_lossy().into_owned();
    let out = Command::new("ip")
        .args(["netns", "exec", &ns.name, "timeout", "10", bin, "-n", "-l", "-D", "-f"])
        .arg(conf)
        .args(["-p", &pid("main"), "-r", &pid("vrrp"), "-c", &pid("check"), "-b", &pid("bfd")])
        .output()
        .expect("run ip netns exec");
    match out.status.code() {
        Some(124) => None,
        c => c,
    }
}

#[test]
fn startup_exit_statuses_are_keepalived_2_2_7s() {
    if !require("root (network namespaces)", is_root())
        || !require("Debian's keepalived at /usr/sbin/keepalived", Path::new(DEBIAN).is_file())
    {
        return;
    }
    let s = Scratch::new();
    let ns = Netns::new("st");
    ns.dummy("eth0");
    let write = |name: &str, text: &str| {
        let p = s.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let instance = |body: &str| {
        format!(
            "vrrp_instance VI_1 {{\n  state BACKUP\n{body}  virtual_router_id 51\n  priority 100\n  virtual_ipaddress {{\n    192.0.2.1/24\n  }}\n}}\n"
        )
    };
    let dir = s.0.join("a-directory");
    std::fs::create_dir_all(&dir).unwrap();
    let cases: Vec<(&str, PathBuf, Option<i32>)> = vec![
        ("missing interface", write("noif.conf", &instance("  interface eth9\n")), Some(2)),
        ("loopback interface", write("lo.conf", &instance("  interface lo\n")), Some(2)),
        ("keyword missing its parameter", write("abort.conf", &instance("  interface\n")), Some(2)),
        ("no such file", s.0.join("missing.conf"), Some(6)),
        ("a directory", dir, Some(6)),
    ];
    let ours = env!("CARGO_BIN_EXE_keepalived");
    let mut failures = Vec::new();
    for (what, conf, want) in &cases {
        let theirs = start(&ns, DEBIAN, conf, &s.0);
        let mine = start(&ns, ours, conf, &s.0);
        if theirs != *want {
            failures.push(format!("{what}: keepalived 2.2.7 exits {theirs:?}, this test expects {want:?}"));
        }
        if mine != theirs {
            failures.push(format!("{what}: ours exits {mine:?}, keepalived 2.2.7 {theirs:?}"));
        }
        // Let the children of a daemon that did start go.
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
