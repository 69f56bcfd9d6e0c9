//! Packet capture: tcpdump on an interface of a test's namespace, read as
//! text. `--immediate-mode` hands every packet over at once, so that one
//! sent just before a process exits is in the capture, not in a buffer;
//! stopping asks tcpdump to finish (SIGINT) before it is killed.
//! Needs `tcpdump` ([`super::Need::Program`]).

use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::time::Duration;

use super::proc::{alive, kill};
use super::{Netns, TempDir, wait_until};

/// tcpdump writing what it sees on one interface.
pub struct Capture {
    child: Option<Child>,
    out: PathBuf,
    _dir: TempDir,
}

impl Capture {
    /// Starts `tcpdump -i IFACE -nn -l -tt --immediate-mode FILTER` in `ns`
    /// and waits (bounded) until it listens.
    pub fn start(ns: &Netns, iface: &str, filter: &str) -> Capture {
        let dir = TempDir::new("cap");
        let out = dir.join("cap.txt");
        let err = dir.join("cap.err");
        let file = |p: &PathBuf| match std::fs::File::create(p) {
            Ok(f) => f,
            Err(e) => panic!("cannot create {}: {e}", p.display()),
        };
        let mut c = ns.cmd("tcpdump");
        c.args(["-i", iface, "-nn", "-l", "-tt", "--immediate-mode", filter])
            .stdin(Stdio::null())
            .stdout(file(&out))
            .stderr(file(&err));
        let child = match c.spawn() {
            Ok(ch) => ch,
            Err(e) => panic!("cannot start tcpdump: {e}"),
        };
        let cap = Capture { child: Some(child), out, _dir: dir };
        let listening = wait_until(Duration::from_secs(5), || {
            std::fs::read_to_string(&err).ok().filter(|s| s.contains("listening on")).map(|_| ())
        });
        assert!(listening.is_some(), "tcpdump did not start: {}", std::fs::read_to_string(&err).unwrap_or_default());
        cap
    }

    /// VRRP adverts and ARP on `iface` (what a VRRP test looks at).
    pub fn vrrp(ns: &Netns, iface: &str) -> Capture {
        Self::start(ns, iface, "vrrp or arp")
    }

    /// The capture so far, as text (tcpdump's lines; for failure messages).
    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    /// Every advert and ARP packet seen so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.text().lines().filter_map(parse_line).collect()
    }

    /// The current time on the capture's clock (tcpdump -tt prints wall-clock seconds).
    pub fn now() -> f64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
    }

    /// Stops tcpdump: SIGINT (it writes out what it holds), then SIGKILL
    /// after a second. What it saw stays readable.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let pid = c.id() as i32;
            kill(pid, libc::SIGINT);
            let done = wait_until(Duration::from_secs(1), || matches!(c.try_wait(), Ok(Some(_))).then_some(()));
            if done.is_none() && alive(pid) {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.stop();
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

/// `1795697904.185107 IP 192.0.2.1 > 224.0.0.18: VRRPv2, Advertisement, vrid 51, prio 150, ...`
/// `1795697904.185107 ARP, Request who-has 192.0.2.100 tell 192.0.2.100, length 28`
/// `1795697904.185107 ARP, Reply 192.0.2.100 is-at 9a:11:..., length 28`
pub fn parse_line(line: &str) -> Option<Seen> {
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

/// The longest time between consecutive adverts of `vrid` (priority > 0)
/// seen in `[from, to]`, counting from `from` to the first and from the last
/// to `to`.
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
