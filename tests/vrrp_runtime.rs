//! The VRRP runtime on the wire: our daemon against itself and against
//! Debian's keepalived 2.2.7, in network namespaces joined by a bridge.
//!
//! Topology per test (names unique per process and test, deleted on drop):
//! a `lan` namespace with bridge br0, and nodes n1, n2, n3 each with an
//! `eth0` veth end on the bridge. n1 and n2 run VRRP daemons, n3 observes:
//! it pings the VIP after every failover and checks its neighbour entry
//! moved to the new master's MAC (gratuitous ARP / unsolicited NA).
//!
//! Timing bounds come from RFC 3768 section 6.1 / RFC 5798 section 6.1:
//! after a crash the backup takes over within Master_Down_Interval of the
//! last advert it heard (so within that much of the kill); after a graceful
//! stop (priority-0 advert) within Skew_Time.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::daemon::{Child, Daemon, Impl, debian_keepalived, logs};
use common::net::{Lan, Netns};
use common::{Need, needs, run, wait_for};

/// Allowance for the measurement itself (one poll, the `ip` command, a busy
/// machine), on top of the protocol's bound.
const MEASURE_SLACK: Duration = Duration::from_millis(150);

/// Master_Down_Interval of a priority-100 backup with a 1 s advert interval:
/// 3 * 1 s + (256 - 100) / 256 s.
const DOWN_V2_P100: Duration = Duration::from_micros(3_609_375);
/// Skew_Time of a priority-100 backup, 1 s interval.
const SKEW_P100: Duration = Duration::from_micros(609_375);

/// A crash failover lands between Master_Down_Interval after the last advert
/// before the kill (at most one advert interval earlier) and Master_Down_Interval
/// after the kill (plus the 100 ms allowance and the measurement's slack). A
/// faster one means the backup was not hearing the master's adverts.
fn crash_bound_ok(t: Duration) -> bool {
    let low = DOWN_V2_P100.saturating_sub(Duration::from_millis(1050));
    (low..=DOWN_V2_P100 + Duration::from_millis(100) + MEASURE_SLACK).contains(&t)
}

/// A graceful failover takes Skew_Time after the priority-0 advert.
fn graceful_bound_ok(t: Duration) -> bool {
    (SKEW_P100.saturating_sub(Duration::from_millis(50))..=SKEW_P100 + Duration::from_millis(100) + MEASURE_SLACK)
        .contains(&t)
}

/// The protocol variants the tests run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// VRRPv2 multicast, PASS authentication.
    V2Pass,
    /// VRRPv3 multicast over IPv4.
    V3,
    /// VRRPv2 multicast with IPsec-AH.
    Ah,
    /// VRRPv2 unicast peers with PASS.
    Unicast,
    /// VRRPv3 over IPv6.
    V6,
    /// VRRPv3 over IPv6 to a unicast peer.
    V6Unicast,
}

impl Mode {
    fn v6(self) -> bool {
        matches!(self, Mode::V6 | Mode::V6Unicast)
    }
}

/// Three hosts on a bridge (common::net::Lan): n1 and n2 run VRRP daemons,
/// n3 observes.
struct Lab {
    lan: Lan,
}

impl Lab {
    fn new(tag: &str, net: u8) -> Lab {
        Lab { lan: Lan::new(tag, 3, net) }
    }

    fn node(&self, n: usize) -> &Netns {
        self.lan.host(n)
    }

    fn addr(&self, n: usize) -> String {
        self.lan.v4(n)
    }

    fn vip(&self, mode: Mode) -> String {
        if mode.v6() { self.lan.v6(100) } else { self.lan.v4(100) }
    }

    /// Whether node `n` holds the VIP.
    fn has_vip(&self, n: usize, mode: Mode) -> bool {
        self.node(n).has_addr("eth0", &self.vip(mode))
    }

    /// Whether node `n` holds `ip` on `dev`.
    fn has(&self, n: usize, dev: &str, ip: &str) -> bool {
        self.node(n).has_addr(dev, ip)
    }

    /// Polls until `f` holds; the elapsed time, or `None` after `limit`.
    fn wait(&self, limit: Duration, mut f: impl FnMut(&Lab) -> bool) -> Option<Duration> {
        wait_for(limit, || f(self))
    }

    /// Waits until node `n` is the only VIP holder.
    fn wait_sole_holder(&self, n: usize, mode: Mode, limit: Duration, what: &str, daemons: &[&Daemon]) -> Duration {
        let other = if n == 1 { 2 } else { 1 };
        match self.wait(limit, |l| l.has_vip(n, mode) && !l.has_vip(other, mode)) {
            Some(d) => d,
            None => panic!("{what}: n{n} did not become the only VIP holder in {limit:?}\n{}", logs(daemons)),
        }
    }

    /// n3's neighbour entry for the VIP (the MAC), if any.
    fn observer_mac(&self, mode: Mode) -> Option<String> {
        self.node(3).neighbour("eth0", &self.vip(mode))
    }

    /// n3 pings the VIP (one echo, bounded).
    fn observer_ping(&self, mode: Mode) -> bool {
        self.node(3).ping(&self.vip(mode))
    }

    /// After a takeover by node `n`: n3's entry moves to n's MAC without n3
    /// asking (gratuitous ARP / NA), and the VIP answers.
    fn check_observer(&self, n: usize, mode: Mode, what: &str, daemons: &[&Daemon]) {
        let want = self.lan.mac(n);
        if self.observer_mac(mode).is_none() {
            // A gratuitous ARP only updates an entry n3 already has.
            assert!(self.observer_ping(mode), "{what}: the VIP does not answer n3's ping\n{}", logs(daemons));
        }
        let moved = self.wait(Duration::from_secs(2), |l| l.observer_mac(mode).as_deref() == Some(want.as_str()));
        assert!(
            moved.is_some(),
            "{what}: n3's neighbour entry for the VIP is {:?}, not n{n}'s {want}\n{}",
            self.observer_mac(mode),
            logs(daemons)
        );
        assert!(self.observer_ping(mode), "{what}: the VIP does not answer n3's ping\n{}", logs(daemons));
        assert_eq!(self.observer_mac(mode).as_deref(), Some(want.as_str()), "{what}: after the ping");
    }

    /// Writes node `n`'s configuration and returns its path.
    fn conf(&self, n: usize, mode: Mode, state: &str, prio: u8, extra: &str) -> PathBuf {
        let peer = if n == 1 { 2 } else { 1 };
        let mut s = String::from("global_defs {\n");
        if matches!(mode, Mode::V3 | Mode::V6 | Mode::V6Unicast) {
            s.push_str("    vrrp_version 3\n");
        }
        s.push_str("    vrrp_garp_master_delay 1\n}\n");
        s.push_str(&format!(
            "vrrp_instance VI_1 {{\n    state {state}\n    interface eth0\n    virtual_router_id 77\n    \
             priority {prio}\n    advert_int 1\n"
        ));
        match mode {
            Mode::V2Pass => {
                s.push_str("    authentication {\n        auth_type PASS\n        auth_pass s3cret\n    }\n")
            }
            Mode::Ah => s.push_str("    authentication {\n        auth_type AH\n        auth_pass s3cret\n    }\n"),
            Mode::Unicast => {
                s.push_str(&format!(
                    "    unicast_src_ip {}\n    unicast_peer {{\n        {}\n    }}\n",
                    self.addr(n),
                    self.addr(peer)
                ));
                s.push_str("    authentication {\n        auth_type PASS\n        auth_pass s3cret\n    }\n");
            }
            Mode::V6Unicast => s.push_str(&format!(
                "    unicast_src_ip {}\n    unicast_peer {{\n        {}\n    }}\n",
                self.lan.v6(n),
                self.lan.v6(peer)
            )),
            Mode::V3 | Mode::V6 => {}
        }
        let len = if mode.v6() { 64 } else { 24 };
        s.push_str(&format!("    virtual_ipaddress {{\n        {}/{len}\n    }}\n", self.vip(mode)));
        s.push_str(extra);
        s.push_str("}\n");
        self.lan.conf(&format!("n{n}.conf"), &s)
    }

    fn start(&self, n: usize, imp: Impl, conf: &Path) -> Daemon {
        self.lan.start(n, imp, conf, &[])
    }
}

/// Root, and ping for the observer.
fn skip() -> bool {
    !needs(&[Need::Root, Need::Program("ip"), Need::Program("ping")])
}

/// Our daemon against itself, VRRPv2 with PASS: one holder (the higher
/// priority), crash failover within Master_Down_Interval, graceful failover
/// around Skew_Time, preemption back on restart, n3 following by GARP.
#[test]
fn ours_pair_v2_failover_preempt_and_garp() {
    if skip() {
        return;
    }
    let lab = Lab::new("op", 11);
    let mode = Mode::V2Pass;
    let c1 = lab.conf(1, mode, "MASTER", 150, "");
    let c2 = lab.conf(2, mode, "BACKUP", 100, "");
    let mut d2 = lab.start(2, Impl::Ours, &c2);
    let mut d1 = lab.start(1, Impl::Ours, &c1);
    lab.wait_sole_holder(1, mode, Duration::from_secs(10), "start", &[&d1, &d2]);
    // Stays that way for a couple of adverts.
    let stable = lab.wait(Duration::from_millis(2500), |l| !l.has_vip(1, mode) || l.has_vip(2, mode));
    assert!(stable.is_none(), "the VIP moved or was doubled while n1 was master\n{}", logs(&[&d1, &d2]));
    lab.check_observer(1, mode, "n1 master", &[&d1, &d2]);

    // Crash: the backup waits Master_Down_Interval from the last advert.
    d1.crash();
    let t = lab.wait(Duration::from_secs(8), |l| l.has_vip(2, mode));
    let t = t.unwrap_or_else(|| panic!("n2 did not take over after the crash\n{}", logs(&[&d1, &d2])));
    eprintln!("ours/ours v2 SIGKILL -> n2 holds the VIP after {t:?}");
    assert!(crash_bound_ok(t), "crash failover took {t:?}\n{}", logs(&[&d1, &d2]));
    // SIGKILL leaves the VIP on n1, as with keepalived; a restart clears it.
    lab.check_observer(2, mode, "n2 master after crash", &[&d1, &d2]);

    // Restart: n1 (150) preempts n2 (100).
    let mut d1 = lab.start(1, Impl::Ours, &c1);
    let t = lab.wait_sole_holder(1, mode, Duration::from_secs(10), "preempt after restart", &[&d1, &d2]);
    eprintln!("ours/ours v2 restart -> n1 preempts after {t:?}");
    lab.check_observer(1, mode, "n1 master again", &[&d1, &d2]);
    std::thread::sleep(Duration::from_millis(1200));

    // Graceful: n1 sends priority 0, n2 takes over after Skew_Time.
    d1.signal(libc::SIGTERM);
    let t = lab.wait(Duration::from_secs(8), |l| l.has_vip(2, mode));
    let t = t.unwrap_or_else(|| panic!("n2 did not take over after SIGTERM\n{}", logs(&[&d1, &d2])));
    eprintln!("ours/ours v2 SIGTERM -> n2 holds the VIP after {t:?}");
    assert!(graceful_bound_ok(t), "graceful failover took {t:?}\n{}", logs(&[&d1, &d2]));
    d1.reap(Duration::from_secs(10));
    assert!(!lab.has_vip(1, mode), "n1 kept the VIP after SIGTERM");
    let log1 = d1.log_text();
    assert!(log1.contains("(VI_1) sent 0 priority"), "{log1}");
    assert!(log1.contains("(VI_1) removing VIPs."), "{log1}");
    lab.check_observer(2, mode, "n2 master after SIGTERM", &[&d1, &d2]);

    let mut d1 = lab.start(1, Impl::Ours, &c1);
    lab.wait_sole_holder(1, mode, Duration::from_secs(10), "preempt after the second restart", &[&d1, &d2]);
    let log2 = d2.log_text();
    for line in [
        "(VI_1) Entering BACKUP STATE (init)",
        "(VI_1) Entering MASTER STATE",
        "(VI_1) setting VIPs.",
        &format!("Sending gratuitous ARP on eth0 for {}", lab.vip(mode)),
        "(VI_1) Master received advert from 10.77.11.1 with higher priority 150, ours 100",
        "(VI_1) Entering BACKUP STATE",
    ] {
        assert!(log2.contains(line), "n2's log lacks {line:?}\n{log2}");
    }
    d1.signal(libc::SIGTERM);
    d2.signal(libc::SIGTERM);
    d1.reap(Duration::from_secs(10));
    d2.reap(Duration::from_secs(10));
}

/// Runs one interop scenario between `high` (priority 150, on n1) and `low`
/// (100, on n2), one of them ours and the other Debian's keepalived. n1
/// becomes master; crash -> n2 takes over within Master_Down_Interval; n1
/// restarts and preempts n2; (ours only) a reload that changes n1's
/// instance keeps it master; SIGTERM -> n2 takes over after Skew_Time. n3
/// follows every move; neither side complains about the other's adverts.
fn interop(tag: &str, net: u8, mode: Mode, high: Impl, low: Impl) {
    if skip() || !needs(&[Need::DebianKeepalived]) {
        return;
    }
    let lab = Lab::new(tag, net);
    // keepalived refuses `state MASTER` with AH: let priorities decide.
    let first = if mode == Mode::Ah { "BACKUP" } else { "MASTER" };
    let c1 = lab.conf(1, mode, first, 150, "");
    let c2 = lab.conf(2, mode, "BACKUP", 100, "");
    let (deb_node, deb_conf) = if high == Impl::Debian { (1, &c1) } else { (2, &c2) };
    let t = run(lab.node(deb_node).cmd(&debian_keepalived().to_string_lossy()).args(["-t", "-f"]).arg(deb_conf));
    assert!(t.status.success(), "Debian's keepalived refuses the config: {}", String::from_utf8_lossy(&t.stderr));
    let who = format!("{mode:?} {high:?}(150)/{low:?}(100)");
    let mut d2 = lab.start(2, low, &c2);
    let mut d1 = lab.start(1, high, &c1);
    lab.wait_sole_holder(1, mode, Duration::from_secs(10), &format!("{who} start"), &[&d1, &d2]);
    let stable = lab.wait(Duration::from_millis(2500), |l| !l.has_vip(1, mode) || l.has_vip(2, mode));
    assert!(stable.is_none(), "{who}: the VIP moved or was doubled\n{}", logs(&[&d1, &d2]));
    lab.check_observer(1, mode, &format!("{who}: n1 master"), &[&d1, &d2]);

    d1.crash();
    let t = lab.wait(Duration::from_secs(8), |l| l.has_vip(2, mode));
    let t = t.unwrap_or_else(|| panic!("{who}: n2 did not take over\n{}", logs(&[&d1, &d2])));
    eprintln!("{who}: SIGKILL n1 -> n2 holds the VIP after {t:?}");
    assert!(crash_bound_ok(t), "{who}: crash failover took {t:?}\n{}", logs(&[&d1, &d2]));
    lab.check_observer(2, mode, &format!("{who}: n2 master"), &[&d1, &d2]);

    let mut d1 = lab.start(1, high, &c1);
    let t = lab.wait_sole_holder(1, mode, Duration::from_secs(10), &format!("{who} preempt"), &[&d1, &d2]);
    eprintln!("{who}: n1 restarted, preempts after {t:?}");
    lab.check_observer(1, mode, &format!("{who}: n1 master again"), &[&d1, &d2]);

    if high == Impl::Ours {
        // A reload that changes our instance keeps it MASTER, its sequence
        // numbers (AH) continuing: Debian never takes over.
        let evip = if mode.v6() { format!("fd00:77:{net}::101/64") } else { format!("10.77.{net}.101/24") };
        lab.conf(1, mode, first, 150, &format!("    virtual_ipaddress_excluded {{\n        {evip}\n    }}\n"));
        d1.signal_child(Child::Vrrp, libc::SIGHUP);
        let moved = lab.wait(Duration::from_millis(2500), |l| l.has_vip(2, mode) || !l.has_vip(1, mode));
        assert!(moved.is_none(), "{who}: the VIP moved on reload\n{}", logs(&[&d1, &d2]));
    } else {
        std::thread::sleep(Duration::from_millis(1200));
    }

    d1.signal(libc::SIGTERM);
    let t = lab.wait(Duration::from_secs(8), |l| l.has_vip(2, mode));
    let t = t.unwrap_or_else(|| panic!("{who}: n2 did not take over on SIGTERM\n{}", logs(&[&d1, &d2])));
    eprintln!("{who}: SIGTERM n1 -> n2 holds the VIP after {t:?}");
    assert!(graceful_bound_ok(t), "{who}: graceful failover took {t:?}\n{}", logs(&[&d1, &d2]));
    d1.reap(Duration::from_secs(10));
    lab.check_observer(2, mode, &format!("{who}: n2 master after SIGTERM"), &[&d1, &d2]);
    // Neither side refused the other's adverts.
    for d in [&d1, &d2] {
        let log = d.log_text();
        for bad in ["invalid", "mismatch", "wrong version", "Invalid", "already processed", "checksum"] {
            assert!(!log.contains(bad), "{who}: {} complained ({bad})\n{log}", d.label);
        }
    }
    d2.signal(libc::SIGTERM);
    d2.reap(Duration::from_secs(10));
}

#[test]
fn interop_debian_v2_pass() {
    interop("dp", 21, Mode::V2Pass, Impl::Ours, Impl::Debian);
}

#[test]
fn interop_debian_v3() {
    interop("d3", 22, Mode::V3, Impl::Ours, Impl::Debian);
}

#[test]
fn interop_debian_ah() {
    interop("da", 23, Mode::Ah, Impl::Ours, Impl::Debian);
}

#[test]
fn interop_debian_unicast() {
    interop("du", 24, Mode::Unicast, Impl::Ours, Impl::Debian);
}

#[test]
fn interop_debian_ipv6_v3() {
    interop("d6", 25, Mode::V6, Impl::Ours, Impl::Debian);
}

#[test]
fn interop_debian_ipv6_unicast() {
    interop("d7", 26, Mode::V6Unicast, Impl::Ours, Impl::Debian);
}

/// Debian's keepalived as the higher priority, ours as the backup.
#[test]
fn interop_debian_master_v2_pass() {
    interop("bp", 27, Mode::V2Pass, Impl::Debian, Impl::Ours);
}

#[test]
fn interop_debian_master_v3() {
    interop("b3", 28, Mode::V3, Impl::Debian, Impl::Ours);
}

#[test]
fn interop_debian_master_ah() {
    interop("ba", 29, Mode::Ah, Impl::Debian, Impl::Ours);
}

#[test]
fn interop_debian_master_unicast() {
    interop("bu", 30, Mode::Unicast, Impl::Debian, Impl::Ours);
}

/// Reload: an unchanged instance keeps running untouched (no new state, no
/// gap in mastership); a new instance starts; a removed one releases its
/// VIP; a broken file keeps the running config. Dumps on SIGUSR1/SIGUSR2.
#[test]
fn ours_reload_and_dumps() {
    if skip() {
        return;
    }
    let lab = Lab::new("rl", 31);
    let mode = Mode::V3;
    let c1 = lab.conf(1, mode, "MASTER", 150, "");
    let mut d1 = lab.start(1, Impl::Ours, &c1);
    lab.wait_sole_holder(1, mode, Duration::from_secs(10), "start", &[&d1]);
    let before = d1.log_text().matches("Entering").count();

    // Unchanged config: nothing moves.
    d1.signal_child(Child::Vrrp, libc::SIGHUP);
    let moved = lab.wait(Duration::from_millis(1500), |l| !l.has_vip(1, mode));
    assert!(moved.is_none(), "the VIP went away on a no-op reload\n{}", d1.log_text());
    assert_eq!(d1.log_text().matches("Entering").count(), before, "{}", d1.log_text());

    // A second instance appears.
    let extra = "}\nvrrp_instance VI_2 {\n    state MASTER\n    interface eth0\n    virtual_router_id 78\n    \
                 priority 150\n    advert_int 1\n    virtual_ipaddress {\n        10.77.31.200/24\n    }\n";
    lab.conf(1, mode, "MASTER", 150, extra);
    d1.signal_child(Child::Vrrp, libc::SIGHUP);
    let has200 = |l: &Lab| l.has(1, "eth0", "10.77.31.200");
    assert!(lab.wait(Duration::from_secs(6), has200).is_some(), "VI_2 did not start\n{}", d1.log_text());
    assert!(lab.has_vip(1, mode), "VI_1 lost its VIP when VI_2 was added");

    // Dumps, in the daemon's own $TMPDIR.
    d1.signal_child(Child::Vrrp, libc::SIGUSR2);
    let stats = lab.wait(Duration::from_secs(3), |_| {
        std::fs::read_to_string(d1.dump_dir().join("keepalived.stats")).is_ok_and(|s| s.contains("VRRP Instance: VI_2"))
    });
    assert!(stats.is_some(), "no keepalived.stats\n{}", d1.log_text());
    d1.signal_child(Child::Vrrp, libc::SIGUSR1);
    let data = lab.wait(Duration::from_secs(3), |_| {
        std::fs::read_to_string(d1.dump_dir().join("keepalived.data"))
            .is_ok_and(|s| s.contains("10.77.31.200/24 dev eth0"))
    });
    assert!(data.is_some(), "no keepalived.data\n{}", d1.log_text());

    // A broken file keeps what runs.
    std::fs::write(&c1, "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 0\n}\n").expect("write");
    d1.signal_child(Child::Vrrp, libc::SIGHUP);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(lab.has_vip(1, mode) && has200(&lab), "a broken reload changed the running config\n{}", d1.log_text());

    // VI_2 removed: its VIP is released. VI_1 changed (a new excluded VIP):
    // it stays MASTER without a gap and adds the new address.
    let entering = d1.log_text().matches("Entering").count();
    lab.conf(1, mode, "MASTER", 150, "    virtual_ipaddress_excluded {\n        10.77.31.101/24\n    }\n");
    d1.signal_child(Child::Vrrp, libc::SIGHUP);
    let has101 = |l: &Lab| l.has(1, "eth0", "10.77.31.101");
    let dropped = lab.wait(Duration::from_secs(3), |l| !l.has_vip(1, mode) || (has101(l) && !has200(l)));
    assert!(lab.has_vip(1, mode), "VI_1 lost its VIP on a reload that changed it\n{}", d1.log_text());
    assert!(dropped.is_some(), "VI_2's VIP stayed or VI_1's new one did not come\n{}", d1.log_text());
    let gap = lab.wait(Duration::from_millis(1500), |l| !l.has_vip(1, mode));
    assert!(gap.is_none(), "VI_1's VIP went away after the reload\n{}", d1.log_text());
    assert_eq!(d1.log_text().matches("Entering").count(), entering, "{}", d1.log_text());
    assert!(!d1.log_text().contains("(VI_1) sent 0 priority"), "{}", d1.log_text());
    d1.signal(libc::SIGTERM);
    d1.reap(Duration::from_secs(10));
    assert!(!lab.has_vip(1, mode), "VIP left after SIGTERM");
}

/// An interface going down puts the instance in FAULT (VIPs dropped); back
/// up, it returns to BACKUP and, alone, to MASTER. An instance whose
/// interface does not exist yet starts in FAULT and runs once it appears.
#[test]
fn ours_link_down_is_fault_and_back() {
    if skip() {
        return;
    }
    let lab = Lab::new("lk", 41);
    let mode = Mode::V2Pass;
    // dynamic_interfaces: without it keepalived 2.4 refuses a configuration
    // that names an interface which does not exist.
    let late = "}\nglobal_defs {\n    dynamic_interfaces\n}\nvrrp_instance VI_2 {\n    interface eth1\n    virtual_router_id 79\n    priority 150\n    \
                advert_int 1\n    virtual_ipaddress {\n        10.77.42.200/24\n    }\n";
    let c1 = lab.conf(1, mode, "MASTER", 150, late);
    let mut d1 = lab.start(1, Impl::Ours, &c1);
    lab.wait_sole_holder(1, mode, Duration::from_secs(10), "start", &[&d1]);
    assert!(d1.log_text().contains("(VI_2) entering FAULT state"), "{}", d1.log_text());

    lab.node(1).ip(&["link", "set", "eth0", "down"]);
    let fault = lab.wait(Duration::from_secs(3), |_| d1.log_text().contains("(VI_1) Entering FAULT STATE\n"));
    assert!(fault.is_some(), "no FAULT on link down\n{}", d1.log_text());
    assert!(lab.wait(Duration::from_secs(2), |l| !l.has_vip(1, mode)).is_some(), "VIP kept in FAULT");
    lab.node(1).ip(&["link", "set", "eth0", "up"]);
    lab.wait_sole_holder(1, mode, Duration::from_secs(10), "back from FAULT", &[&d1]);

    // eth1 appears (a veth pair inside n1), then gets its address.
    lab.node(1).ip(&["link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"]);
    lab.node(1).ip(&["link", "set", "eth1p", "up"]);
    lab.node(1).ip(&["link", "set", "eth1", "up"]);
    lab.node(1).ip(&["addr", "add", "10.77.42.1/24", "dev", "eth1"]);
    let has200 = |l: &Lab| l.has(1, "eth1", "10.77.42.200");
    assert!(lab.wait(Duration::from_secs(8), has200).is_some(), "VI_2 did not start on eth1\n{}", d1.log_text());
    d1.signal(libc::SIGTERM);
    d1.reap(Duration::from_secs(10));
}

/// `-V` (--dont-release-vrrp): a stopping MASTER leaves its VIPs in place
/// and, like Debian's keepalived, sends no priority-0 advert; the owner (priority 255,
/// `state MASTER`) takes over at once on start-up.
#[test]
fn ours_owner_starts_master_and_dont_release_keeps_vips() {
    if skip() {
        return;
    }
    let lab = Lab::new("dv", 51);
    let mode = Mode::V2Pass;
    let c1 = lab.conf(1, mode, "MASTER", 255, "");
    let mut d1 = lab.lan.start(1, Impl::Ours, &c1, &["-V"]);
    // The owner does not wait Master_Down_Interval.
    let t = lab.wait_sole_holder(1, mode, Duration::from_secs(3), "owner start", &[&d1]);
    assert!(t < Duration::from_secs(2), "the owner took {t:?} to become master");
    d1.signal(libc::SIGTERM);
    d1.reap(Duration::from_secs(10));
    let log = d1.log_text();
    assert!(!log.contains("(VI_1) sent 0 priority"), "{log}");
    assert!(log.contains("Stopping"), "{log}");
    assert!(lab.has_vip(1, mode), "-V: the VIP was released\n{log}");
}

/// Refused adverts are counted per instance and logged with keepalived's
/// text; adverts for a VRID nobody runs are logged with `log_unknown_vrids`.
#[test]
fn ours_counts_refused_and_unknown_adverts() {
    if skip() {
        return;
    }
    let lab = Lab::new("rf", 61);
    let conf = |n: usize, pass: &str, extra: &str| {
        let text = format!(
            "global_defs {{\n    log_unknown_vrids\n}}\nvrrp_instance KR_AUTH_{n} {{\n    interface eth0\n    \
             virtual_router_id 77\n    priority 100\n    advert_int 1\n    authentication {{\n        \
             auth_type PASS\n        auth_pass {pass}\n    }}\n    virtual_ipaddress {{\n        10.77.61.100/24\n    \
             }}\n}}\n{extra}"
        );
        lab.lan.conf(&format!("n{n}.conf"), &text)
    };
    let other = "vrrp_instance OTHER {\n    interface eth0\n    virtual_router_id 99\n    priority 100\n    \
                 advert_int 1\n    virtual_ipaddress {\n        10.77.61.99/24\n    }\n}\n";
    let c1 = conf(1, "s3cret", "");
    let c2 = conf(2, "wrong", other);
    let d1 = lab.start(1, Impl::Ours, &c1);
    let d2 = lab.start(2, Impl::Ours, &c2);
    let seen = lab.wait(Duration::from_secs(10), |_| {
        let log = d1.log_text();
        log.contains("(KR_AUTH_1) received an invalid passwd!")
            && log.contains("Unknown VRID(99) received on interface(eth0). ignoring...")
    });
    assert!(seen.is_some(), "{}", logs(&[&d1, &d2]));
    d1.signal_child(Child::Vrrp, libc::SIGUSR2);
    let counted = lab.wait(Duration::from_secs(3), |_| {
        let stats = std::fs::read_to_string(d1.dump_dir().join("keepalived.stats")).unwrap_or_default();
        let block = stats.split("VRRP Instance: ").find(|b| b.starts_with("KR_AUTH_1\n")).unwrap_or("").to_owned();
        let failures = block
            .lines()
            .skip_while(|l| !l.contains("Authentication Errors:"))
            .find_map(|l| l.trim().strip_prefix("Failure: ").and_then(|n| n.parse::<u64>().ok()));
        failures.is_some_and(|n| n > 0)
    });
    assert!(counted.is_some(), "no authentication failures counted\n{}", logs(&[&d1, &d2]));
}
