//! Shared by tests/ops.rs and tests/reload.rs (included with `#[path]`): a
//! namespace with a veth pair, a daemon with a private /tmp, and a packet
//! capture on the peer end of the pair.
//!
//! - `Lab`: namespace `kr<pid>-<tag><n>` (unique, deleted on drop, also on
//!   panic), `kr0` with 192.0.2.1/24, its peer `kr1` up: what kr0 sends is
//!   seen on kr1.
//! - `Daemon`: keepalived (ours or Debian's) started in the namespace inside
//!   a mount namespace of its own with a tmpfs on /tmp, so that the dump
//!   files of parallel tests (and of other people's daemons) never mix; the
//!   test reads them through `/proc/PID/root/tmp`. Killed on drop.
//! - `Capture`: tcpdump on kr1 (adverts and ARP), stopped on drop.
//!
//! Every wait is bounded.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Netns, must};

pub const OURS: &str = env!("CARGO_BIN_EXE_keepalived");
pub const DEBIAN: &str = "/usr/sbin/keepalived";
/// The VIP of the test configurations.
pub const VIP: &str = "192.0.2.100";

/// Polls `f` every 20 ms until it returns `Some`, at most `limit`.
pub fn wait_until<T>(limit: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn kill(pid: i32, sig: i32) {
    if pid > 0 {
        // SAFETY: signals one process this test started (checked by the callers' comm/ppid).
        unsafe { libc::kill(pid, sig) };
    }
}

pub fn read_pid(path: &Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

pub fn comm(pid: i32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm")).ok().map(|s| s.trim().to_owned())
}

pub fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()
}

/// Alive and not a zombie.
pub fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, r)| r.trim_start().starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

/// Handles SIGHUP and no longer blocks it: configuration loaded, handlers in place.
pub fn ready(pid: i32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else { return false };
    let mask = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    };
    let hup = 1u64 << (libc::SIGHUP - 1);
    mask("SigCgt:") & hup != 0 && mask("SigBlk:") & hup == 0
}

/// VmRSS in KiB.
pub fn rss_kib(pid: i32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?.split_whitespace().next()?.parse().ok()
}

/// Open file descriptors.
pub fn fd_count(pid: i32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}

/// A namespace with the veth pair kr0 (192.0.2.1/24) / kr1, and a scratch directory.
pub struct Lab {
    pub ns: Netns,
    pub dir: PathBuf,
}

impl Lab {
    pub fn new(tag: &str) -> Lab {
        let ns = Netns::new(tag);
        ns.ip(&["link", "add", "kr0", "type", "veth", "peer", "name", "kr1"]);
        ns.ip(&["addr", "add", "192.0.2.1/24", "dev", "kr0"]);
        ns.ip(&["link", "set", "kr0", "up"]);
        ns.ip(&["link", "set", "kr1", "up"]);
        // Not under /tmp: the daemons get a tmpfs there.
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(&ns.name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        Lab { ns, dir }
    }

    /// The IPv4 addresses on kr0 (`a.b.c.d/len`).
    pub fn addrs(&self) -> Vec<String> {
        let o = crate::common::run(Command::new("ip").args([
            "-n",
            &self.ns.name,
            "-4",
            "-o",
            "addr",
            "show",
            "dev",
            "kr0",
        ]));
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                w.find(|x| *x == "inet")?;
                w.next().map(str::to_owned)
            })
            .collect()
    }

    pub fn has_addr(&self, ip: &str) -> bool {
        self.addrs().iter().any(|a| a.split('/').next() == Some(ip))
    }

    /// Writes a configuration file into the scratch directory.
    pub fn conf(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).expect("write configuration");
        p
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// One VRRP instance on kr0; `vips` are /24 addresses, `extra` goes in the block.
pub fn vrrp_conf(state: &str, prio: u8, vips: &[&str], extra: &str) -> String {
    let mut s = String::from("global_defs {\n    vrrp_garp_master_delay 1\n}\n");
    s.push_str(&format!(
        "vrrp_instance VI_1 {{\n    state {state}\n    interface kr0\n    virtual_router_id 51\n    \
         priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n"
    ));
    for v in vips {
        s.push_str(&format!("        {v}/24\n"));
    }
    s.push_str("    }\n");
    s.push_str(extra);
    s.push_str("}\n");
    s
}

/// `/run/keepalived/keepalived_NAMESPACE`: the pid directory of a daemon
/// whose configuration names the lab's namespace.
pub fn run_dir(lab: &Lab) -> PathBuf {
    PathBuf::from(format!("/run/keepalived/keepalived_{}", lab.ns.name))
}

/// Where a daemon starts and where its pid files go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// In the lab's namespace, pid files in the scratch directory (`-p -r -c -b`).
    Lab,
    /// In the root namespace, which it leaves at once for the one its
    /// configuration names (`net_namespace`, the lab's): default pid files,
    /// under `/run/keepalived/keepalived_NAMESPACE/`. It touches no interface
    /// before it has moved.
    ConfigNamespace { instance: Option<&'static str> },
}

/// A keepalived (main process and children) in a lab.
pub struct Daemon {
    child: Option<Child>,
    pub dir: PathBuf,
    pub label: String,
}

impl Daemon {
    /// Starts `bin -n -l -D -f conf` with pid files in the scratch directory
    /// (named after `label`), plus `extra`.
    pub fn start(lab: &Lab, bin: &str, label: &str, conf: &Path, extra: &[&str]) -> Daemon {
        Self::start_with(lab, bin, label, conf, extra, Placement::Lab)
    }

    /// Like [`Daemon::start`], with a choice of namespace and pid files.
    pub fn start_with(lab: &Lab, bin: &str, label: &str, conf: &Path, extra: &[&str], how: Placement) -> Daemon {
        let dir = lab.dir.join(label);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("daemon directory");
        let log = std::fs::File::create(dir.join("log")).expect("log file");
        let p = |n: &str| dir.join(n).to_string_lossy().into_owned();
        let mut c = match how {
            Placement::Lab => lab.ns.cmd("unshare"),
            Placement::ConfigNamespace { .. } => Command::new("unshare"),
        };
        // A private /tmp for the dump files; exec keeps the pid: the child we
        // hold is keepalived's main process.
        c.args(["--mount", "--propagation", "private", "sh", "-c", "mount -t tmpfs kr-ops /tmp && exec \"$@\"", "sh"])
            .arg(bin)
            .args(["-n", "-l", "-D", "-f"])
            .arg(conf);
        match how {
            Placement::Lab => {
                c.args(["-p", &p("k.pid"), "-r", &p("v.pid"), "-c", &p("c.pid"), "-b", &p("b.pid")]);
            }
            Placement::ConfigNamespace { instance } => {
                // The default names, which the configuration moves: link them here.
                let suffix = instance.map(|i| format!("_{i}")).unwrap_or_default();
                for (link, stem) in
                    [("k.pid", "keepalived"), ("v.pid", "keepalived_vrrp"), ("c.pid", "keepalived_checkers")]
                {
                    let target = format!("{}/{stem}{suffix}.pid", run_dir(lab).display());
                    let _ = std::os::unix::fs::symlink(target, dir.join(link));
                }
            }
        }
        c.args(extra)
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log);
        let child = match c.spawn() {
            Ok(ch) => ch,
            Err(e) => panic!("cannot start {bin}: {e}"),
        };
        Daemon { child: Some(child), dir, label: label.to_owned() }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    pub fn log(&self) -> String {
        format!("----- {} -----\n{}", self.label, std::fs::read_to_string(self.file("log")).unwrap_or_default())
    }

    /// How many log lines contain `what`.
    pub fn count(&self, what: &str) -> usize {
        std::fs::read_to_string(self.file("log")).unwrap_or_default().matches(what).count()
    }

    pub fn signal(&self, sig: i32) {
        kill(self.pid(), sig);
    }

    /// The pid of a live, ready child named `name` of this daemon whose pid
    /// file is `pid_file`, other than `not` (bounded wait).
    pub fn wait_child(&self, pid_file: &str, name: &str, not: Option<i32>, limit: Duration) -> Option<i32> {
        wait_until(limit, || {
            let pid = read_pid(&self.file(pid_file))?;
            (Some(pid) != not && comm(pid).as_deref() == Some(name) && ppid(pid) == Some(self.pid()) && ready(pid))
                .then_some(pid)
        })
    }

    /// The pids of the main process and its children.
    pub fn tree(&self) -> Vec<i32> {
        let mut pids = vec![self.pid()];
        for f in ["v.pid", "c.pid", "b.pid"] {
            if let Some(p) = read_pid(&self.file(f)).filter(|p| ppid(*p) == Some(self.pid())) {
                pids.push(p);
            }
        }
        pids
    }

    /// Waits until `what` has been logged at least `n` times.
    pub fn wait_logged(&self, what: &str, n: usize, limit: Duration) -> bool {
        wait_until(limit, || (self.count(what) >= n).then_some(())).is_some()
    }

    /// A file of the daemon's private /tmp, once it exists (bounded wait).
    pub fn tmp_file(&self, name: &str, limit: Duration) -> Option<String> {
        let path = format!("/proc/{}/root/tmp/{name}", self.pid());
        wait_until(limit, || std::fs::read_to_string(&path).ok().filter(|s| !s.is_empty()))
    }

    /// Removes a file of the daemon's private /tmp.
    pub fn rm_tmp_file(&self, name: &str) {
        let _ = std::fs::remove_file(format!("/proc/{}/root/tmp/{name}", self.pid()));
    }

    /// Waits for the main process to exit, at most `limit`.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + limit;
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
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let main = c.id() as i32;
            for f in ["v.pid", "c.pid", "b.pid"] {
                if let Some(p) = read_pid(&self.file(f)).filter(|p| ppid(*p) == Some(main)) {
                    kill(p, libc::SIGKILL);
                }
            }
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// One packet seen by the capture.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    /// A VRRP advert: capture time (s), VRID, priority.
    Advert { t: f64, vrid: u8, prio: u8 },
    /// An ARP packet about `ip` (request or reply naming it as sender).
    Arp { t: f64, ip: String },
}

impl Seen {
    pub fn t(&self) -> f64 {
        match self {
            Seen::Advert { t, .. } | Seen::Arp { t, .. } => *t,
        }
    }
}

/// tcpdump on kr1: every advert and ARP packet kr0 sends.
pub struct Capture {
    child: Child,
    out: PathBuf,
}

impl Capture {
    pub fn start(lab: &Lab, tag: &str) -> Capture {
        let out = lab.dir.join(format!("{tag}.cap"));
        let err = lab.dir.join(format!("{tag}.cap.err"));
        let mut c = lab.ns.cmd("tcpdump");
        c.args(["-i", "kr1", "-nn", "-l", "-tt", "--immediate-mode", "vrrp or arp"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).expect("capture file"))
            .stderr(std::fs::File::create(&err).expect("capture file"));
        let child = match c.spawn() {
            Ok(ch) => ch,
            Err(e) => panic!("cannot start tcpdump: {e}"),
        };
        let cap = Capture { child, out };
        let listening = wait_until(Duration::from_secs(5), || {
            std::fs::read_to_string(&err).ok().filter(|s| s.contains("listening on")).map(|_| ())
        });
        assert!(listening.is_some(), "tcpdump did not start: {}", std::fs::read_to_string(&err).unwrap_or_default());
        cap
    }

    /// The capture so far, as text (for failure messages).
    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Everything seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.text().lines().filter_map(parse_line).collect()
    }

    /// The current time on the capture's clock (tcpdump -tt prints wall-clock seconds).
    pub fn now() -> f64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `1795697904.185107 IP 192.0.2.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, ...`
/// `1795697904.185107 ARP, Request who-has 192.0.2.100 tell 192.0.2.100, length 28`
/// `1795697904.185107 ARP, Reply 192.0.2.100 is-at 9a:11:..., length 28`
fn parse_line(line: &str) -> Option<Seen> {
    let mut words = line.split_whitespace();
    let t: f64 = words.next()?.parse().ok()?;
    let rest: Vec<&str> = words.collect();
    let after = |key: &str| rest.iter().position(|w| *w == key).and_then(|i| rest.get(i + 1)).copied();
    if rest.iter().any(|w| w.starts_with("VRRPv")) && rest.contains(&"Advertisement,") {
        let num = |key: &str| after(key)?.trim_end_matches(',').parse().ok();
        return Some(Seen::Advert { t, vrid: num("vrid")?, prio: num("prio")? });
    }
    if rest.first() == Some(&"ARP,") {
        let ip = after("tell").or_else(|| after("Reply"))?.trim_end_matches(',').to_owned();
        return Some(Seen::Arp { t, ip });
    }
    None
}

/// The longest time between consecutive adverts of `vrid` seen in `[from, to]`
/// (counting from `from` to the first and from the last to `to`).
pub fn longest_silence(seen: &[Seen], vrid: u8, from: f64, to: f64) -> f64 {
    let mut last = from;
    let mut worst: f64 = 0.0;
    for s in seen {
        if let Seen::Advert { t, vrid: v, prio } = s
            && *v == vrid
            && *prio > 0
            && *t >= from
            && *t <= to
        {
            worst = worst.max(t - last);
            last = *t;
        }
    }
    worst.max(to - last)
}

/// Runs `ip` in the lab (for set-up steps that must succeed).
pub fn ip(lab: &Lab, args: &[&str]) {
    must(Command::new("ip").arg("-n").arg(&lab.ns.name).args(args));
}

#[cfg(test)]
mod parse_tests {
    use super::*;

    #[test]
    fn tcpdump_lines() {
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
        assert!((longest_silence(&seen, 51, 10.0, 14.0) - 2.5).abs() < 1e-9);
    }
}
