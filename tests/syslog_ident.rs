//! The syslog ident carries global_defs `net_namespace` and `instance`
//! (`Keepalived_NS_INSTANCE`, `Keepalived_vrrp_NS_INSTANCE`), and a reload
//! that changes the instance name keeps the running configuration with
//! keepalived's message: checked on ours and on Debian's keepalived 2.2.7,
//! each with a /dev/log of its own (a private mount namespace whose /dev/log
//! is a socket this test reads) that must receive the same idents and lines.
//!
//! Needs root and Debian's keepalived; honest skip otherwise.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const OURS: &str = env!("CARGO_BIN_EXE_keepalived");

/// The lines received on a socket standing in for /dev/log.
struct Syslog {
    sock: UnixDatagram,
    lines: Vec<String>,
}

impl Syslog {
    fn bind(path: &Path) -> Syslog {
        let sock = UnixDatagram::bind(path).expect("bind the syslog socket");
        sock.set_read_timeout(Some(Duration::from_millis(100))).expect("timeout");
        Syslog { sock, lines: Vec::new() }
    }

    /// Reads until a line contains `what` (true) or `limit` passes.
    fn wait_for(&mut self, what: &str, limit: Duration) -> bool {
        let end = Instant::now() + limit;
        let mut buf = [0u8; 4096];
        loop {
            if self.lines.iter().any(|l| l.contains(what)) {
                return true;
            }
            if Instant::now() > end {
                return false;
            }
            if let Ok(n) = self.sock.recv(&mut buf) {
                self.lines.push(String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned());
            }
        }
    }

    /// The idents seen (`<30>Mmm dd hh:mm:ss IDENT[PID]: ...`).
    fn idents(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .lines
            .iter()
            .filter_map(|l| l.get(20..).and_then(|r| r.split('[').next()).map(str::to_owned))
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// keepalived started in a mount namespace whose /dev/log is `sock` and
/// whose /run is private; it moves into the network namespace its
/// configuration names.
struct Daemon {
    child: Child,
    dir: PathBuf,
}

impl Daemon {
    fn start(bin: &str, conf: &Path, sock: &Path, dir: &Path) -> Daemon {
        let log = std::fs::File::create(dir.join("stderr")).expect("log");
        // /dev is a tmpfs holding what keepalived uses of the real one, plus /dev/log.
        // The scratch mount points are in the test's directory (removed
        // with it), which may be under /tmp with the checkout: /tmp itself
        // is left as it is, or it would hide the binary.
        let script = "set -e; mkdir -p \"$KR_DIR/odev\"; mount --bind /dev \"$KR_DIR/odev\"; mount -t tmpfs kr-dev /dev; \
                      for d in null zero urandom random; do touch /dev/$d; mount --bind \"$KR_DIR/odev/$d\" /dev/$d; done; \
                      touch /dev/log; mount --bind \"$KR_SOCK\" /dev/log; \
                      mkdir -p \"$KR_DIR/orun\"; mount --rbind /run \"$KR_DIR/orun\"; mount -t tmpfs kr-run /run; \
                      mkdir -p /run/netns; mount --rbind \"$KR_DIR/orun/netns\" /run/netns; exec \"$@\"";
        let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
        let mut c = Command::new("unshare");
        c.args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(script)
            .arg("sh")
            .arg(bin)
            .args(["-n", "-D", "-f"])
            .arg(conf)
            .args(["-p", &p("k.pid"), "-r", &p("v.pid"), "-c", &p("c.pid"), "-b", &p("b.pid")])
            .env("KR_SOCK", sock)
            .env("KR_DIR", dir)
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log);
        let child = c.spawn().unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        Daemon { child, dir: dir.to_owned() }
    }

    fn hup(&self) {
        let _ = Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status();
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.join("stderr")).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn conf(ns: &str, instance: &str) -> String {
    format!(
        "net_namespace {ns}\ninstance {instance}\nglobal_defs {{\n    router_id ident\n}}\n\
         vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id 51\n    priority 100\n    \
         advert_int 1\n    virtual_ipaddress {{\n        192.0.2.100/24\n    }}\n}}\n"
    )
}

/// Runs one implementation; returns the idents it used and its lines.
fn run(bin: &str, tag: &str) -> (Vec<String>, Vec<String>) {
    let ns = common::Netns::new(tag);
    ns.dummy("eth0");
    ns.ip(&["addr", "add", "192.0.2.1/24", "dev", "eth0"]);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(&ns.name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let sock = dir.join("log.sock");
    let mut log = Syslog::bind(&sock);
    let conf_path = dir.join("k.conf");
    std::fs::write(&conf_path, conf(&ns.name, "lb1")).expect("configuration");
    let d = Daemon::start(bin, &conf_path, &sock, &dir);
    let vrrp = format!("Keepalived_vrrp_{}_lb1", ns.name);
    assert!(
        log.wait_for(&format!("{vrrp}["), Duration::from_secs(10)),
        "{bin}: no line from {vrrp}\n{:#?}\n{}",
        log.lines,
        d.stderr()
    );
    assert!(log.wait_for("(VI_1) Entering BACKUP STATE", Duration::from_secs(10)), "{bin}: {:#?}", log.lines);
    // A reload that changes the instance name: refused, with keepalived's words.
    std::fs::write(&conf_path, conf(&ns.name, "lb2")).expect("configuration");
    d.hup();
    let refused = "Cannot change instance name at a reload - please restart keepalived";
    assert!(log.wait_for(refused, Duration::from_secs(10)), "{bin}: no {refused:?}\n{:#?}", log.lines);
    // Still running as lb1: a dump goes to syslog under the same idents.
    std::thread::sleep(Duration::from_millis(500));
    drop(d);
    log.wait_for("Stopped", Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(&dir);
    let generic: Vec<String> = log.idents().into_iter().map(|i| i.replace(&ns.name, "NS")).collect();
    let lines = log.lines.iter().map(|l| l.get(20..).unwrap_or("").replace(&ns.name, "NS")).collect();
    (generic, lines)
}

#[test]
fn ident_has_namespace_and_instance_and_reload_refuses_a_new_instance() {
    if !common::needs(&[common::Need::Root, common::Need::Program("ip"), common::Need::DebianKeepalived]) {
        return;
    }
    let debian = common::daemon::debian_keepalived();
    let (deb, deb_lines) = run(&debian.to_string_lossy(), "idd");
    let (ours, ours_lines) = run(OURS, "ido");
    eprintln!("idents: 2.2.7 {deb:?}, ours {ours:?}");
    // Before the configuration is read the parent logs as plain Keepalived.
    for want in ["Keepalived", "Keepalived_NS_lb1", "Keepalived_vrrp_NS_lb1"] {
        assert!(deb.iter().any(|i| i == want), "2.2.7 did not use {want}: {deb:?}");
        assert!(ours.iter().any(|i| i == want), "ours did not use {want}: {ours:?}\n{ours_lines:#?}");
    }
    let stray: Vec<&String> = ours.iter().filter(|i| !deb.contains(i)).collect();
    assert!(stray.is_empty(), "idents 2.2.7 does not use: {stray:?}\n2.2.7: {deb:?}\n{deb_lines:#?}");
    // The refusal comes from the parent, under its ident, in both.
    let who = |lines: &[String]| {
        lines
            .iter()
            .find(|l| l.contains("Cannot change instance name"))
            .and_then(|l| l.split('[').next())
            .map(str::to_owned)
    };
    assert_eq!(who(&deb_lines), Some("Keepalived_NS_lb1".to_owned()), "{deb_lines:#?}");
    assert_eq!(who(&ours_lines), who(&deb_lines), "{ours_lines:#?}");
}
