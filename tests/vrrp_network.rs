//! What VRRP does to the box beyond VIPs, ours side by side with Debian's
//! keepalived 2.2.7 on the same configuration in the same network
//! namespaces: VMACs (the MAC a client sees, before and after failover),
//! virtual routes and rules following MASTER, the no_accept / vrrp_strict
//! packet filter (what a client's ping gets, the nftables table), and the
//! upstream samples that use routes, rules and static addresses. Everything
//! is compared as `ip` and `nft` show it, and must be gone after SIGTERM.
//!
//! Topology: a `lan` namespace with bridge br0; nodes n1, n2 (routers) and
//! n3 (client) with an `eth0` on it, 10.78.NET.N/24. Names are unique per
//! process and test; the namespaces go on drop.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Netns, have_program, is_root, require, run};

const OURS: &str = env!("CARGO_BIN_EXE_keepalived");
const DEBIAN: &str = "/usr/sbin/keepalived";
const VRID: u8 = 78;
/// The IPv4 VRRP virtual MAC of VRID 78 (RFC 5798 section 7.3).
const VMAC: &str = "00:00:5e:00:01:4e";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Impl {
    Ours,
    Debian,
}

impl Impl {
    fn bin(self) -> &'static str {
        match self {
            Impl::Ours => OURS,
            Impl::Debian => DEBIAN,
        }
    }
}

/// Root, Debian's keepalived and nft (honest skips, failures under CI).
fn prerequisites() -> bool {
    require("root", is_root())
        && require("Debian's keepalived at /usr/sbin/keepalived", Path::new(DEBIAN).exists())
        && require("nft (Debian package nftables)", have_program("nft"))
        && require("arping (Debian package iputils-arping)", have_program("arping"))
}

struct Lab {
    nodes: Vec<Netns>,
    _lan: Netns,
    dir: PathBuf,
    net: u8,
}

impl Lab {
    fn new(tag: &str, net: u8) -> Lab {
        let lan = Netns::new(&format!("{tag}l"));
        lan.ip(&["link", "add", "br0", "type", "bridge"]);
        lan.ip(&["link", "set", "br0", "up"]);
        let dir = std::env::temp_dir().join(format!("kr-vnet-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("work dir");
        let mut nodes = Vec::new();
        for i in 1..=3u8 {
            let ns = Netns::new(&format!("{tag}{i}"));
            let v = format!("v{i}");
            lan.ip(&["link", "add", &v, "type", "veth", "peer", "name", "eth0", "netns", &ns.name]);
            lan.ip(&["link", "set", &v, "master", "br0", "up"]);
            ns.ip(&["link", "set", "eth0", "address", &format!("02:00:00:00:{net:02x}:{i:02x}")]);
            ns.ip(&["addr", "add", &format!("10.78.{net}.{i}/24"), "dev", "eth0"]);
            ns.ip(&["link", "set", "eth0", "up"]);
            nodes.push(ns);
        }
        Lab { nodes, _lan: lan, dir, net }
    }

    fn node(&self, n: usize) -> &Netns {
        &self.nodes[n - 1]
    }

    fn vip(&self) -> String {
        format!("10.78.{}.100", self.net)
    }

    fn conf(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.join(name);
        std::fs::write(&p, text).expect("conf");
        p
    }

    /// The MAC that answers n3's ARP request for the VIP (arping), if any.
    /// (n3's neighbour table is no witness: a master's own packets to n3 go
    /// out of eth0 with the VIP as source, with keepalived as with ours.)
    fn client_mac(&self) -> Option<String> {
        let mut c = self.node(3).cmd("arping");
        c.args(["-c", "1", "-w", "2", "-I", "eth0", &self.vip()]);
        let o = run(&mut c);
        let text = String::from_utf8_lossy(&o.stdout).to_string();
        let mac = text.lines().find(|l| l.contains("reply from"))?.split('[').nth(1)?.split(']').next()?.to_lowercase();
        Some(mac)
    }

    /// One bounded ping from n3 to the VIP.
    fn client_ping(&self) -> bool {
        let mut c = self.node(3).cmd("ping");
        c.args(["-c", "1", "-W", "1", &self.vip()]).stdout(Stdio::null()).stderr(Stdio::null());
        run(&mut c).status.success()
    }

    fn flush_client(&self) {
        let _ = run(Command::new("ip").args(["-n", &self.node(3).name, "neigh", "flush", "dev", "eth0"]));
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// A daemon in a namespace.
struct Daemon {
    main: Child,
    log: PathBuf,
    label: String,
}

impl Daemon {
    fn start(ns: &Netns, imp: Impl, conf: &Path, dir: &Path, label: &str) -> Daemon {
        let f = |s: &str| dir.join(format!("{label}{s}"));
        let log = f(&format!("-{imp:?}.log"));
        let _ = std::fs::remove_file(&log);
        let out = std::fs::OpenOptions::new().create(true).append(true).open(&log).expect("log");
        let err = out.try_clone().expect("log");
        let mut c = ns.cmd(imp.bin());
        c.args(["-n", "-l", "-D", "-f"]).arg(conf).arg("-p").arg(f(".pid")).arg("-r").arg(f("-vrrp.pid"));
        c.arg("-c").arg(f("-chk.pid")).stdout(out).stderr(err).stdin(Stdio::null());
        let main = c.spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", imp.bin()));
        Daemon { main, log, label: format!("{label} ({imp:?})") }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits (bounded) until the log has `n` lines containing `what`.
    fn wait_log(&self, what: &str, n: usize, limit: Duration) {
        let t0 = Instant::now();
        while t0.elapsed() < limit {
            if self.log_text().matches(what).count() >= n {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("{}: no {n} x '{what}' in {limit:?}\n{}", self.label, self.log_text());
    }

    /// SIGTERM, and wait (bounded) for the whole daemon to be gone.
    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.main.id().to_string()]).status();
        let t0 = Instant::now();
        while t0.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.main.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.main.kill();
        let _ = self.main.wait();
        panic!("{} did not stop on SIGTERM\n{}", self.label, self.log_text());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.main.try_wait() {
            let _ = self.main.kill();
            let _ = self.main.wait();
        }
    }
}

fn text(ns: &Netns, args: &[&str]) -> String {
    let o = run(Command::new("ip").arg("-n").arg(&ns.name).args(args));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn sorted(lines: impl Iterator<Item = String>) -> String {
    let mut v: Vec<String> = lines.filter(|l| !l.trim().is_empty()).collect();
    v.sort();
    v.join("\n")
}

/// Addresses, routes (every table), rules, links and the nftables ruleset of
/// a namespace, as `ip` and `nft` show them, in a stable order.
fn snapshot(ns: &Netns) -> String {
    let addrs = sorted(text(ns, &["-o", "addr", "show"]).lines().map(|l| {
        // "N: dev    inet A/L ... scope S ..." without the index and lifetimes.
        let l = l.split("\\").next().unwrap_or(l);
        // DAD of a fresh link-local address ends when it ends: not ours to compare.
        let words = l.split_once(": ").map_or(l, |(_, r)| r).split_whitespace();
        words.filter(|w| *w != "tentative").collect::<Vec<_>>().join(" ")
    }));
    let routes = sorted(
        text(ns, &["route", "show", "table", "all"])
            .lines()
            .chain(text(ns, &["-6", "route", "show", "table", "all"]).lines())
            .filter(|l| !l.starts_with("local ") && !l.starts_with("multicast ") && !l.starts_with("broadcast "))
            .filter(|l| !l.starts_with("anycast ") && !l.contains("ff00::/8"))
            .map(str::to_owned),
    );
    let rules = format!("{}{}", text(ns, &["rule"]), text(ns, &["-6", "rule"]));
    let links = sorted(text(ns, &["-o", "link", "show"]).lines().map(|l| {
        let name = l.split(": ").nth(1).unwrap_or("").to_owned();
        let mac = l.split("link/ether ").nth(1).and_then(|m| m.split_whitespace().next()).unwrap_or("");
        let up = if l.contains("state UP") || l.contains(",UP") { "up" } else { "down" };
        format!("{name} {mac} {up}")
    }));
    let nft = nft_ruleset(ns);
    format!("== addresses\n{addrs}\n== routes\n{routes}\n== rules\n{rules}== links\n{links}\n== nft\n{nft}")
}

fn nft_ruleset(ns: &Netns) -> String {
    let o = run(ns.cmd("nft").args(["list", "ruleset"]));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn sysctl(ns: &Netns, ifname: &str, key: &str) -> String {
    let o = run(ns.cmd("cat").arg(format!("/proc/sys/net/ipv4/conf/{ifname}/{key}")));
    String::from_utf8_lossy(&o.stdout).trim().to_owned()
}

fn assert_same(what: &str, debian: &str, ours: &str, logs: &str) {
    if debian != ours {
        panic!("{what}: ours differs from Debian's keepalived\n--- Debian\n{debian}\n--- ours\n{ours}\n{logs}");
    }
}

fn vmac_conf(lab: &Lab, state: &str, prio: u8, xmit_base: bool) -> String {
    format!(
        "global_defs {{\n    vrrp_garp_master_delay 1\n}}\nvrrp_instance VI_1 {{\n    state {state}\n    interface eth0\n    \
         virtual_router_id {VRID}\n    priority {prio}\n    advert_int 1\n    use_vmac\n{}    virtual_ipaddress {{\n        \
         {}/24\n    }}\n}}\n",
        if xmit_base { "    vmac_xmit_base\n" } else { "" },
        lab.vip()
    )
}

/// use_vmac: n3 sees the VIP at the virtual MAC, from whichever router is
/// master, and the VIP answers; the VMAC carries keepalived's settings and
/// goes on SIGTERM. Pairs: ours/ours, ours/Debian, Debian/ours.
#[test]
fn vmac_is_what_the_client_sees_across_failover() {
    if !prerequisites() {
        return;
    }
    for (i, (first, second, xmit_base)) in
        [(Impl::Ours, Impl::Ours, false), (Impl::Ours, Impl::Debian, false), (Impl::Debian, Impl::Ours, true)]
            .into_iter()
            .enumerate()
    {
        let lab = Lab::new(&format!("vm{i}"), 30 + i as u8);
        let c1 = lab.conf("n1.conf", &vmac_conf(&lab, "MASTER", 150, xmit_base));
        let c2 = lab.conf("n2.conf", &vmac_conf(&lab, "BACKUP", 100, xmit_base));
        let mut d1 = Daemon::start(lab.node(1), first, &c1, &lab.dir, "n1");
        d1.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        let mut d2 = Daemon::start(lab.node(2), second, &c2, &lab.dir, "n2");
        d2.wait_log("Entering BACKUP STATE", 1, Duration::from_secs(10));
        let logs = |a: &Daemon, b: &Daemon| format!("{}\n{}\n{}\n{}", a.label, a.log_text(), b.label, b.log_text());
        let vmac_name = format!("vrrp.{VRID}");
        for (n, d) in [(1, &d1), (2, &d2)] {
            let links = text(lab.node(n), &["-d", "link", "show", "dev", &vmac_name]);
            assert!(links.contains(VMAC) && links.contains("macvlan mode private"), "n{n}: {links}\n{}", d.log_text());
            assert_eq!(sysctl(lab.node(n), &vmac_name, "arp_ignore"), "1", "{}", d.label);
            assert_eq!(sysctl(lab.node(n), &vmac_name, "accept_local"), "1", "{}", d.label);
            assert_eq!(sysctl(lab.node(n), &vmac_name, "rp_filter"), "0", "{}", d.label);
            assert_eq!(sysctl(lab.node(n), "eth0", "arp_ignore"), "1", "{}", d.label);
            assert_eq!(sysctl(lab.node(n), "eth0", "arp_filter"), "1", "{}", d.label);
        }
        assert!(lab.client_ping(), "{first:?}/{second:?}: the VIP does not answer\n{}", logs(&d1, &d2));
        assert_eq!(lab.client_mac().as_deref(), Some(VMAC), "{first:?}/{second:?}\n{}", logs(&d1, &d2));
        // The VIP lives on the VMAC, not on eth0.
        assert!(text(lab.node(1), &["-o", "addr", "show", "dev", &vmac_name]).contains(&lab.vip()));

        d1.stop();
        d2.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        lab.flush_client();
        assert!(lab.client_ping(), "{first:?}/{second:?}: the VIP does not answer n2\n{}", logs(&d1, &d2));
        assert_eq!(lab.client_mac().as_deref(), Some(VMAC), "after failover\n{}", logs(&d1, &d2));
        assert!(text(lab.node(2), &["-o", "addr", "show", "dev", &vmac_name]).contains(&lab.vip()));
        // Gone with its daemon; ours also puts eth0's settings back.
        assert!(!text(lab.node(1), &["link", "show"]).contains(&vmac_name), "{}", d1.log_text());
        if first == Impl::Ours {
            assert_eq!(sysctl(lab.node(1), "eth0", "arp_ignore"), "0", "{}", d1.log_text());
            assert_eq!(sysctl(lab.node(1), "eth0", "arp_filter"), "0", "{}", d1.log_text());
            assert_eq!(nft_ruleset(lab.node(1)), "", "{}", d1.log_text());
        }
        d2.stop();
        assert!(!text(lab.node(2), &["link", "show"]).contains(&vmac_name), "{}", d2.log_text());
    }
}

/// The VMAC's nftables table (IGMP moved to the base interface) is Debian's.
#[test]
fn vmac_filter_table_like_debian() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("vf", 40);
    let conf = lab.conf("n1.conf", &vmac_conf(&lab, "BACKUP", 100, false));
    let mut seen = Vec::new();
    for imp in [Impl::Debian, Impl::Ours] {
        let mut d = Daemon::start(lab.node(1), imp, &conf, &lab.dir, "n1");
        d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        seen.push((snapshot(lab.node(1)), d.log_text()));
        d.stop();
        assert_eq!(nft_ruleset(lab.node(1)), "", "{imp:?} left its table\n{}", d.log_text());
    }
    assert_same("VMAC master", &seen[0].0, &seen[1].0, &format!("{}\n{}", seen[0].1, seen[1].1));
}

fn routes_conf(lab: &Lab, prio: u8, strict: bool, extra_global: &str) -> String {
    let net = lab.net;
    format!(
        "global_defs {{\n    vrrp_garp_master_delay 1\n{}{extra_global}}}\nvrrp_instance VI_1 {{\n    state BACKUP\n    \
         interface eth0\n    virtual_router_id {VRID}\n    priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n        \
         {vip}/24\n        fd00:78:{net}::100/64\n    }}\n    virtual_ipaddress_excluded {{\n        10.78.{net}.101/24\n    }}\n    \
         virtual_routes {{\n        10.200.{net}.0/24 via 10.78.{net}.254 dev eth0\n        blackhole 10.201.{net}.0/24 table 100\n        \
         10.202.{net}.0/24 dev eth0 scope link metric 5 mtu 1400\n        src {vip} 10.203.{net}.0/24 nexthop via 10.78.{net}.251 \
         nexthop via 10.78.{net}.252 weight 2\n    }}\n    virtual_rules {{\n        from 10.78.{net}.0/24 table 100 preference 100\n        \
         to 10.204.{net}.0/24 fwmark 7 table 101 preference 101\n        from all iif eth0 ipproto 17 dport 53-54 prohibit preference 102\n    }}\n}}\n",
        if strict { "    vrrp_strict\n" } else { "" },
        vip = lab.vip(),
    )
}

/// A competing master (ours, priority 200, neither strict nor routed) on n2.
fn rival_conf(lab: &Lab) -> String {
    format!(
        "vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {VRID}\n    priority 200\n    \
         advert_int 1\n    virtual_ipaddress {{\n        {}/24\n        fd00:78:{}::100/64\n    }}\n}}\n",
        lab.vip(),
        lab.net
    )
}

/// Runs `conf` on n1 with each daemon through MASTER (alone), BACKUP (n2
/// preempts) and SIGTERM; returns per daemon the three snapshots of n1, and
/// per phase whether n3's ping of the VIP was answered.
fn master_backup_stop(lab: &Lab, conf: &Path) -> Vec<(Impl, [String; 3], [bool; 2], String)> {
    let before = snapshot(lab.node(1));
    let rival = lab.conf("n2.conf", &rival_conf(lab));
    let mut out = Vec::new();
    for imp in [Impl::Debian, Impl::Ours] {
        let mut d = Daemon::start(lab.node(1), imp, conf, &lab.dir, "n1");
        d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(300));
        lab.flush_client();
        let ping_master = lab.client_ping();
        let master = snapshot(lab.node(1));
        let mut r = Daemon::start(lab.node(2), Impl::Ours, &rival, &lab.dir, "n2");
        d.wait_log("Entering BACKUP STATE", 2, Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(300));
        lab.flush_client();
        let ping_backup = lab.client_ping();
        let backup = snapshot(lab.node(1));
        d.stop();
        r.stop();
        let after = snapshot(lab.node(1));
        assert_same("after SIGTERM, against before start", &before, &after, &d.log_text());
        out.push((imp, [master, backup, after], [ping_master, ping_backup], d.log_text()));
    }
    out
}

/// virtual_routes and virtual_rules appear on MASTER, go on BACKUP and on
/// SIGTERM, as with Debian's keepalived.
#[test]
fn routes_and_rules_follow_mastership_like_debian() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("rr", 50);
    let conf = lab.conf("n1.conf", &routes_conf(&lab, 100, false, ""));
    let runs = master_backup_stop(&lab, &conf);
    let (deb, ours) = (&runs[0], &runs[1]);
    let logs = format!("--- Debian\n{}\n--- ours\n{}", deb.3, ours.3);
    assert!(ours.1[0].contains("10.200.50.0/24 via 10.78.50.254 dev eth0 proto keepalived"), "{}", ours.1[0]);
    assert!(ours.1[0].contains("100:\tfrom 10.78.50.0/24 lookup 100 proto keepalived"), "{}", ours.1[0]);
    assert!(!ours.1[1].contains("10.200.50.0/24"), "{}", ours.1[1]);
    for (i, phase) in ["MASTER", "BACKUP", "stopped"].iter().enumerate() {
        assert_same(phase, &deb.1[i], &ours.1[i], &logs);
    }
}

/// vrrp_strict (no_accept): on MASTER the VIPs are in keepalived's nftables
/// table and a client's ping is dropped; on BACKUP (n2 holds the VIP) the
/// ping is answered by n2 and the set is empty; after SIGTERM no table.
#[test]
fn strict_mode_filter_like_debian() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("st", 60);
    let conf = lab.conf("n1.conf", &routes_conf(&lab, 100, true, "    nftables_counters\n"));
    let runs = master_backup_stop(&lab, &conf);
    let (deb, ours) = (&runs[0], &runs[1]);
    let logs = format!("--- Debian\n{}\n--- ours\n{}", deb.3, ours.3);
    assert!(ours.1[0].contains("ip daddr @vips counter"), "{}", ours.1[0]);
    assert!(ours.1[0].contains("elements = { 10.78.60.100, 10.78.60.101 }"), "{}", ours.1[0]);
    assert_eq!(deb.2, [false, true], "Debian: ping on MASTER, on BACKUP\n{logs}");
    assert_eq!(ours.2, [false, true], "ours: ping on MASTER, on BACKUP\n{logs}");
    for (i, phase) in ["MASTER", "BACKUP", "stopped"].iter().enumerate() {
        // Counters count what each run dropped.
        let norm = |s: &str| {
            s.lines().map(|l| l.split(" counter packets").next().unwrap_or(l).to_owned()).collect::<Vec<_>>().join("\n")
        };
        assert_same(phase, &norm(&deb.1[i]), &norm(&ours.1[i]), &logs);
    }
}

/// The address owner (priority 255) accepts even in strict mode: no table,
/// and the VIP answers.
#[test]
fn strict_mode_owner_accepts_like_debian() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("so", 61);
    let conf = lab.conf(
        "n1.conf",
        &format!(
            "global_defs {{\n    vrrp_strict\n}}\nvrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    \
             virtual_router_id {VRID}\n    priority 255\n    advert_int 1\n    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
            lab.vip()
        ),
    );
    for imp in [Impl::Debian, Impl::Ours] {
        let mut d = Daemon::start(lab.node(1), imp, &conf, &lab.dir, "n1");
        d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        lab.flush_client();
        assert!(lab.client_ping(), "{imp:?}: the owner's VIP does not answer\n{}", d.log_text());
        assert_eq!(nft_ruleset(lab.node(1)), "", "{imp:?}\n{}", d.log_text());
        d.stop();
    }
}

/// The upstream samples that use routes, rules and static addresses run:
/// the same addresses, routes, rules and links as Debian's keepalived once
/// MASTER, and all of it gone on SIGTERM.
#[test]
fn upstream_samples_run_like_debian() {
    if !prerequisites() {
        return;
    }
    let dir = common::samples_dir();
    for (i, sample) in
        ["keepalived.conf.vrrp.routes", "keepalived.conf.vrrp.rules", "keepalived.conf.vrrp.static_ipaddress"]
            .iter()
            .enumerate()
    {
        let ns = Netns::new(&format!("sm{i}"));
        for n in 0..4 {
            let peer = format!("pe{n}");
            ns.ip(&["link", "add", &format!("eth{n}"), "type", "veth", "peer", "name", &peer]);
            ns.ip(&["link", "set", &format!("eth{n}"), "up"]);
            ns.ip(&["link", "set", &peer, "up"]);
        }
        ns.ip(&["addr", "add", "192.168.200.1/24", "dev", "eth0"]);
        ns.ip(&["addr", "add", "192.168.0.2/24", "dev", "eth0"]);
        ns.ip(&["addr", "add", "192.168.100.2/24", "dev", "eth1"]);
        let work = std::env::temp_dir().join(format!("kr-vnet-{}-sm{i}", std::process::id()));
        std::fs::create_dir_all(&work).expect("dir");
        let conf = dir.join(sample);
        let before = snapshot(&ns);
        let mut seen = Vec::new();
        for imp in [Impl::Debian, Impl::Ours] {
            let mut d = Daemon::start(&ns, imp, &conf, &work, "s");
            d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
            std::thread::sleep(Duration::from_millis(500));
            let master = snapshot(&ns);
            d.stop();
            let after = snapshot(&ns);
            assert_same(&format!("{sample}: after SIGTERM against before"), &before, &after, &d.log_text());
            seen.push((master, d.log_text()));
        }
        assert_same(sample, &seen[0].0, &seen[1].0, &format!("{}\n{}", seen[0].1, seen[1].1));
        let _ = std::fs::remove_dir_all(&work);
    }
}

/// The source of the adverts n3 sees (two captured, bounded).
fn advert_sources(lab: &Lab) -> Vec<String> {
    let mut c = lab.node(3).cmd("timeout");
    c.args(["4", "tcpdump", "-nni", "eth0", "-c", "2", "ip proto 112"]);
    let o = run(&mut c);
    String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned)).collect()
}

/// The interface's primary address moves: adverts leave from the new one,
/// as Debian's keepalived's do.
#[test]
fn advert_source_follows_the_primary_address_like_debian() {
    if !prerequisites() || !require("tcpdump", have_program("tcpdump")) {
        return;
    }
    let lab = Lab::new("pa", 70);
    let conf = lab.conf(
        "n1.conf",
        &format!(
            "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id {VRID}\n    priority 150\n    \
             advert_int 1\n    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
            lab.vip()
        ),
    );
    for imp in [Impl::Debian, Impl::Ours] {
        let mut d = Daemon::start(lab.node(1), imp, &conf, &lab.dir, "n1");
        d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        assert_eq!(advert_sources(&lab), ["10.78.70.1", "10.78.70.1"], "{imp:?}\n{}", d.log_text());
        lab.node(1).ip(&["addr", "add", "10.79.70.9/24", "dev", "eth0"]);
        lab.node(1).ip(&["addr", "del", "10.78.70.1/24", "dev", "eth0"]);
        std::thread::sleep(Duration::from_millis(1200));
        assert_eq!(advert_sources(&lab), ["10.79.70.9", "10.79.70.9"], "{imp:?}\n{}", d.log_text());
        d.stop();
        lab.node(1).ip(&["addr", "del", "10.79.70.9/24", "dev", "eth0"]);
        lab.node(1).ip(&["addr", "add", "10.78.70.1/24", "dev", "eth0"]);
    }
}

/// garp_group: the gratuitous ARPs on its interface are paced by its
/// garp_interval (the global one is 0), as Debian's keepalived paces them.
/// (How many go out differs: with any pacing, 2.2.7 sends three in all for
/// two addresses and vrrp_garp_master_repeat 3, ours the six the repeat
/// asks for, as with the global vrrp_garp_interval.)
#[test]
fn garp_group_paces_gratuitous_arps_like_debian() {
    if !prerequisites() || !require("tcpdump", have_program("tcpdump")) {
        return;
    }
    let lab = Lab::new("gg", 80);
    let conf = lab.conf(
        "n1.conf",
        &format!(
            "global_defs {{\n    vrrp_garp_master_delay 0\n    vrrp_garp_master_repeat 3\n}}\ngarp_group {{\n    \
             garp_interval 0.3\n    interfaces {{\n        eth0\n    }}\n}}\nvrrp_instance VI_1 {{\n    state BACKUP\n    \
             interface eth0\n    virtual_router_id {VRID}\n    priority 150\n    advert_int 1\n    virtual_ipaddress {{\n        \
             {}/24\n        10.78.80.101/24\n    }}\n}}\n",
            lab.vip()
        ),
    );
    for imp in [Impl::Debian, Impl::Ours] {
        let mut d = Daemon::start(lab.node(1), imp, &conf, &lab.dir, "n1");
        // Listen from before the takeover (BACKUP for 3 adverts) to well after.
        d.wait_log("Entering BACKUP STATE", 1, Duration::from_secs(10));
        let mut c = lab.node(3).cmd("timeout");
        c.args(["7", "tcpdump", "-l", "-ttnni", "eth0", "arp"]);
        let o = run(&mut c);
        d.stop();
        let out = String::from_utf8_lossy(&o.stdout).to_string();
        let times: Vec<f64> = out
            .lines()
            .filter(|l| ["10.78.80.100", "10.78.80.101"].iter().any(|v| l.contains(&format!("tell {v},"))))
            .filter_map(|l| l.split_whitespace().next().and_then(|t| t.parse().ok()))
            .collect();
        assert!(times.len() >= 3, "{imp:?}: GARPs {out}\n{}", d.log_text());
        let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|g| (0.25..0.45).contains(g)), "{imp:?}: gaps {gaps:?}\n{out}\n{}", d.log_text());
    }
}

/// A reload that drops a virtual route and changes a rule of a MASTER: the
/// dropped route and the old rule go, the rest stays, all gone on SIGTERM.
#[test]
fn reload_updates_routes_and_rules_of_a_master() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("rl", 90);
    let text = |extra_route: bool, pref: u32| {
        format!(
            "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id {VRID}\n    priority 150\n    \
             advert_int 1\n    virtual_ipaddress {{\n        {}/24\n    }}\n    virtual_routes {{\n        10.50.90.0/24 dev eth0\n{}    }}\n    \
             virtual_rules {{\n        from 10.60.90.0/24 table 7 preference {pref}\n    }}\n}}\n",
            lab.vip(),
            if extra_route { "        10.51.90.0/24 dev eth0\n" } else { "" }
        )
    };
    let conf = lab.conf("n1.conf", &text(true, 70));
    let mut d = Daemon::start(lab.node(1), Impl::Ours, &conf, &lab.dir, "n1");
    d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
    let s = snapshot(lab.node(1));
    assert!(s.contains("10.51.90.0/24 dev eth0 proto keepalived") && s.contains("70:\tfrom 10.60.90.0/24"), "{s}");
    lab.conf("n1.conf", &text(false, 71));
    let _ = Command::new("kill").args(["-HUP", &d.main.id().to_string()]).status();
    d.wait_log("Reload finished", 1, Duration::from_secs(10));
    let s = snapshot(lab.node(1));
    assert!(!s.contains("10.51.90.0/24") && !s.contains("70:\tfrom"), "{s}\n{}", d.log_text());
    assert!(s.contains("10.50.90.0/24 dev eth0 proto keepalived") && s.contains("71:\tfrom 10.60.90.0/24"), "{s}");
    d.stop();
    let s = snapshot(lab.node(1));
    assert!(!s.contains("10.50.90.0/24") && !s.contains("10.60.90.0/24"), "{s}");
}

/// promote_secondaries and disable_local_igmp set while the daemon runs and
/// put back on SIGTERM; fifo_write_vrrp_states_on_reload writes the sync
/// groups' states (and only the groups', as keepalived 2.2.7, a group of
/// one included) after a reload.
#[test]
fn kernel_settings_and_fifo_states_on_reload() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("ps", 95);
    let n1 = lab.node(1);
    let igmp = || {
        let o = run(n1.cmd("cat").arg("/proc/sys/net/ipv4/igmp_link_local_mcast_reports"));
        String::from_utf8_lossy(&o.stdout).trim().to_owned()
    };
    assert_eq!((sysctl(n1, "eth0", "promote_secondaries"), igmp()), ("0".to_owned(), "1".to_owned()));
    let fifo = lab.dir.join("fifo");
    assert!(run(Command::new("mkfifo").arg(&fifo)).status.success());
    let lines = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    {
        let (fifo, lines) = (fifo.clone(), lines.clone());
        // Each opening of the FIFO by the daemon (start, reload) is read to its end.
        std::thread::spawn(move || {
            use std::io::BufRead as _;
            while let Ok(f) = std::fs::File::open(&fifo) {
                for l in std::io::BufReader::new(f).lines().map_while(Result::ok) {
                    lines.lock().unwrap().push_str(&format!("{l}\n"));
                }
            }
        });
    }
    let conf = lab.conf(
        "n1.conf",
        &format!(
            "global_defs {{\n    vrrp_notify_fifo {}\n    fifo_write_vrrp_states_on_reload\n    disable_local_igmp\n}}\n\
             vrrp_sync_group G {{\n    group {{\n        VI_1\n        VI_2\n    }}\n}}\n\
             vrrp_sync_group G1 {{\n    group {{\n        VI_4\n    }}\n}}\n\
             vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id {VRID}\n    priority 150\n    \
             advert_int 1\n    promote_secondaries\n    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n\
             vrrp_instance VI_2 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 79\n    priority 150\n    \
             advert_int 1\n    virtual_ipaddress {{\n        10.78.95.101/24\n    }}\n}}\n\
             vrrp_instance VI_3 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 80\n    priority 150\n    \
             advert_int 1\n    virtual_ipaddress {{\n        10.78.95.102/24\n    }}\n}}\n\
             vrrp_instance VI_4 {{\n    state MASTER\n    interface eth0\n    virtual_router_id 81\n    priority 150\n    \
             advert_int 1\n    virtual_ipaddress {{\n        10.78.95.103/24\n    }}\n}}\n",
            fifo.display(),
            lab.vip()
        ),
    );
    let mut d = Daemon::start(n1, Impl::Ours, &conf, &lab.dir, "n1");
    d.wait_log("Entering MASTER STATE", 4, Duration::from_secs(10));
    assert_eq!(sysctl(n1, "eth0", "promote_secondaries"), "1", "{}", d.log_text());
    assert_eq!(igmp(), "0", "{}", d.log_text());
    let t0 = Instant::now();
    let both = |l: &str| l.contains("GROUP \"G\" MASTER") && l.contains("GROUP \"G1\" MASTER");
    while !both(&lines.lock().unwrap()) && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = lines.lock().unwrap().clone();
    let _ = Command::new("kill").args(["-HUP", &d.main.id().to_string()]).status();
    d.wait_log("Reload finished", 1, Duration::from_secs(10));
    // A group of one is a group, as keepalived 2.2.7 has it.
    assert!(both(&before), "{before}");
    let want = format!("{before}GROUP \"G\" MASTER 0\nGROUP \"G1\" MASTER 0\n");
    let t0 = Instant::now();
    while *lines.lock().unwrap() != want && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(*lines.lock().unwrap(), want, "{}", d.log_text());
    d.stop();
    assert_eq!(sysctl(n1, "eth0", "promote_secondaries"), "0", "{}", d.log_text());
    assert_eq!(igmp(), "1", "{}", d.log_text());
}

/// interface_up_down_delays: a bounce shorter than the down delay goes
/// unnoticed, a lasting one puts the instance in FAULT once the delay has
/// passed (up again at once: keepalived 2.2.7's up delay defaults to 0).
/// linkbeat_interfaces: the interface's state comes from polling the driver
/// (ethtool on a veth, MII being unsupported), not from netlink.
#[test]
fn link_delays_and_linkbeat_polling() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("lb", 96);
    let peer_link = |up: bool| lab._lan.ip(&["link", "set", "v1", if up { "up" } else { "down" }]);
    let conf = |global: &str| {
        format!(
            "{global}\nvrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id {VRID}\n    \
             priority 150\n    advert_int 1\n    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
            lab.vip()
        )
    };
    // Delays.
    let c = lab.conf("delays.conf", &conf("interface_up_down_delays {\n    eth0 1.5\n}"));
    let mut d = Daemon::start(lab.node(1), Impl::Ours, &c, &lab.dir, "delays");
    d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
    peer_link(false);
    std::thread::sleep(Duration::from_millis(400));
    peer_link(true);
    std::thread::sleep(Duration::from_millis(2000));
    assert!(!d.log_text().contains("FAULT"), "a short bounce is not acted on\n{}", d.log_text());
    assert!(!d.log_text().contains("Netlink reports eth0"), "{}", d.log_text());
    let t0 = Instant::now();
    peer_link(false);
    d.wait_log("Entering FAULT STATE", 1, Duration::from_secs(5));
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(1400), "FAULT after {took:?}, before the down delay\n{}", d.log_text());
    assert!(d.log_text().contains("Netlink reports eth0 down"), "{}", d.log_text());
    peer_link(true);
    d.wait_log("Entering BACKUP STATE", 1, Duration::from_secs(3));
    d.stop();

    // Linkbeat.
    let c = lab.conf("linkbeat.conf", &conf("linkbeat_interfaces {\n    eth0 MII\n}"));
    let mut d = Daemon::start(lab.node(1), Impl::Ours, &c, &lab.dir, "linkbeat");
    d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
    let log = d.log_text();
    assert!(log.contains("Using MII-BMSR/ETHTOOL NIC polling thread(s)..."), "{log}");
    assert!(log.contains("(eth0): Configured linkbeat type MII not supported, using ETHTOOL"), "{log}");
    peer_link(false);
    d.wait_log("Linkbeat reports eth0 down", 1, Duration::from_secs(3));
    d.wait_log("Entering FAULT STATE", 1, Duration::from_secs(3));
    peer_link(true);
    d.wait_log("Linkbeat reports eth0 up", 1, Duration::from_secs(3));
    d.wait_log("Entering BACKUP STATE", 1, Duration::from_secs(3));
    assert!(!d.log_text().contains("Netlink reports eth0"), "netlink's word is not used\n{}", d.log_text());
    d.stop();
}

/// garp_extra_if all: while MASTER, one gratuitous ARP every interval on
/// each other interface of the VIPs (not the instance's own).
#[test]
fn garp_extra_if_repeats_on_other_interfaces() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("gx", 97);
    let n1 = lab.node(1);
    n1.ip(&["link", "add", "x0", "type", "veth", "peer", "name", "x1"]);
    n1.ip(&["link", "set", "x1", "up"]);
    n1.ip(&["link", "set", "x0", "up"]);
    n1.ip(&["addr", "add", "10.79.97.1/24", "dev", "x0"]);
    let conf = |extra: &str| {
        format!(
            "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id {VRID}\n    priority 150\n    \
             advert_int 1\n    garp_master_delay 0\n    garp_master_repeat 1\n{extra}    virtual_ipaddress {{\n        {}/24\n        \
             10.79.97.100/24 dev x0\n    }}\n}}\n",
            lab.vip()
        )
    };
    for (extra, want_more) in [("", false), ("    garp_extra_if all 1\n", true)] {
        let c = lab.conf("gx.conf", &conf(extra));
        let mut d = Daemon::start(n1, Impl::Ours, &c, &lab.dir, if want_more { "extra" } else { "plain" });
        d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(3600));
        let log = d.log_text();
        let on_x0 = log.matches("Sending gratuitous ARP on x0 for 10.79.97.100").count();
        let on_eth0 = log.matches(&format!("Sending gratuitous ARP on eth0 for {}", lab.vip())).count();
        assert_eq!(on_eth0, 1, "never on the instance's own interface\n{log}");
        if want_more {
            assert!(on_x0 >= 3, "{on_x0} on x0\n{log}");
        } else {
            assert_eq!(on_x0, 1, "{log}");
        }
        d.stop();
    }
}

/// track_src_ip, as keepalived.conf(5) describes it: an instance whose
/// mcast_src_ip is not on its interface starts in FAULT, leaves it when the
/// address is added and returns to it when the address goes. (Debian's
/// keepalived 2.2.7 only acts on it when a unicast socket cannot bind, and
/// never recovers then: it is not the oracle here.)
#[test]
fn track_src_ip_follows_the_source_address() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("ts", 98);
    let n1 = lab.node(1);
    let conf = |track: &str| {
        format!(
            "vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {VRID}\n    priority 150\n    \
             advert_int 1\n{track}    mcast_src_ip 10.78.98.50\n    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
            lab.vip()
        )
    };
    let c = lab.conf("ts.conf", &conf("    track_src_ip\n"));
    let mut d = Daemon::start(n1, Impl::Ours, &c, &lab.dir, "ts");
    d.wait_log("(VI_1): entering FAULT state (src address not configured)", 1, Duration::from_secs(10));
    d.wait_log("(VI_1) entering FAULT state", 1, Duration::from_secs(5));
    n1.ip(&["addr", "add", "10.78.98.50/24", "dev", "eth0"]);
    d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
    n1.ip(&["addr", "del", "10.78.98.50/24", "dev", "eth0"]);
    d.wait_log("Entering FAULT STATE", 1, Duration::from_secs(5));
    d.stop();
    // Without it, the missing address is no reason for FAULT.
    let c = lab.conf("plain.conf", &conf(""));
    let mut d = Daemon::start(n1, Impl::Ours, &c, &lab.dir, "plain");
    d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
    assert!(!d.log_text().contains("FAULT"), "{}", d.log_text());
    d.stop();
}

/// track_group: a deleted static address is put back, the group's members
/// go to FAULT while the interface of one of its statics is down, and its
/// static route is put back when the interface comes up; Debian's
/// keepalived and ours alike.
#[test]
fn track_group_and_static_restore_like_debian() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("tg", 99);
    let n1 = lab.node(1);
    n1.ip(&["link", "add", "x0", "type", "veth", "peer", "name", "x1"]);
    n1.ip(&["link", "set", "x1", "up"]);
    n1.ip(&["link", "set", "x0", "up"]);
    n1.ip(&["addr", "add", "10.79.99.1/24", "dev", "x0"]);
    let conf = lab.conf(
        "tg.conf",
        &format!(
            "track_group G1 {{\n    group {{\n        VI_1\n    }}\n}}\nstatic_ipaddress {{\n    10.78.99.61/24 dev eth0\n    \
             10.79.99.60/24 dev x0 track_group G1\n}}\nstatic_routes {{\n    10.55.99.0/24 via 10.79.99.254 dev x0 track_group G1\n}}\n\
             vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    \
             virtual_router_id {VRID}\n    priority 150\n    advert_int 1\n    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
            lab.vip()
        ),
    );
    let has = |addr: &str| text(n1, &["-o", "addr", "show"]).contains(addr);
    for imp in [Impl::Debian, Impl::Ours] {
        let mut d = Daemon::start(n1, imp, &conf, &lab.dir, &format!("tg{imp:?}"));
        d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        assert!(has("10.78.99.61/24") && has("10.79.99.60/24"), "{imp:?}\n{}", d.log_text());
        n1.ip(&["addr", "del", "10.78.99.61/24", "dev", "eth0"]);
        d.wait_log(
            "Restoring deleted static address 10.78.99.61/24 dev eth0 scope global set",
            1,
            Duration::from_secs(5),
        );
        let t0 = Instant::now();
        while !has("10.78.99.61/24") && t0.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(has("10.78.99.61/24"), "{imp:?} did not put it back\n{}", d.log_text());
        n1.ip(&["link", "set", "x0", "down"]);
        d.wait_log("Entering FAULT STATE", 1, Duration::from_secs(5));
        let route = || text(n1, &["route", "show"]).contains("10.55.99.0/24 via 10.79.99.254 dev x0");
        assert!(!route(), "{imp:?}: the kernel drops the route with its interface");
        n1.ip(&["link", "set", "x0", "up"]);
        d.wait_log("Entering BACKUP STATE", 1, Duration::from_secs(5));
        d.wait_log("Restoring deleted static route", 1, Duration::from_secs(5));
        assert!(route(), "{imp:?} did not put the route back\n{}", d.log_text());
        d.wait_log("Entering MASTER STATE", 2, Duration::from_secs(10));
        d.stop();
        assert!(!has("10.78.99.61/24") && !has("10.79.99.60/24"), "{imp:?} left statics\n{}", d.log_text());
    }
}

/// use_vmac_addr (and use_vmac on a VIP): the VIPs on another interface get
/// a VMAC of their own there (vrrp1.VRID, the same virtual MAC), with the
/// same addresses, links and filter as Debian's keepalived; all gone on
/// SIGTERM.
#[test]
fn address_vmacs_like_debian() {
    if !prerequisites() {
        return;
    }
    let lab = Lab::new("va", 100);
    let n1 = lab.node(1);
    n1.ip(&["link", "add", "x0", "type", "veth", "peer", "name", "x1"]);
    n1.ip(&["link", "set", "x0", "address", "02:00:00:00:64:10"]);
    n1.ip(&["link", "set", "x1", "address", "02:00:00:00:64:11"]);
    n1.ip(&["link", "set", "x1", "up"]);
    n1.ip(&["link", "set", "x0", "up"]);
    n1.ip(&["addr", "add", "10.79.100.1/24", "dev", "x0"]);
    let conf = lab.conf(
        "va.conf",
        &format!(
            "vrrp_instance VI_1 {{\n    state MASTER\n    interface eth0\n    virtual_router_id {VRID}\n    priority 150\n    \
             advert_int 1\n    use_vmac\n    use_vmac_addr\n    virtual_ipaddress {{\n        {}/24\n        \
             10.79.100.100/24 dev x0\n    }}\n    virtual_ipaddress_excluded {{\n        10.79.100.101/24 dev x0 use_vmac\n    }}\n}}\n",
            lab.vip()
        ),
    );
    let mut seen = Vec::new();
    for imp in [Impl::Debian, Impl::Ours] {
        let mut d = Daemon::start(n1, imp, &conf, &lab.dir, &format!("va{imp:?}"));
        d.wait_log("Entering MASTER STATE", 1, Duration::from_secs(10));
        d.wait_log(
            "use_vmac_addr specified and use_vmac specified for VIP/eVIP 10.79.100.101/24",
            1,
            Duration::from_secs(2),
        );
        std::thread::sleep(Duration::from_millis(500));
        let links = text(n1, &["-d", "link", "show", "dev", &format!("vrrp1.{VRID}")]);
        assert!(links.contains(VMAC) && links.contains("macvlan mode private"), "{imp:?}: {links}\n{}", d.log_text());
        assert_eq!(sysctl(n1, &format!("vrrp1.{VRID}"), "arp_ignore"), "1", "{imp:?}");
        assert_eq!(sysctl(n1, "x0", "arp_filter"), "1", "{imp:?}");
        seen.push((snapshot(n1), d.log_text()));
        d.stop();
        let s = snapshot(n1);
        assert!(!s.contains("vrrp1.") && !s.contains("10.79.100.100"), "{imp:?} left\n{s}");
    }
    assert_same("address VMACs", &seen[0].0, &seen[1].0, &format!("{}\n{}", seen[0].1, seen[1].1));
}

/// vrrp_netlink_cmd_rcv_bufs / vrrp_netlink_monitor_rcv_bufs with _force:
/// the VRRP child's rtnetlink sockets get those receive buffers (the kernel
/// doubles what it is given), as `ss` shows them.
#[test]
fn netlink_receive_buffers() {
    if !prerequisites() || !require("ss (Debian package iproute2)", have_program("ss")) {
        return;
    }
    let lab = Lab::new("rb", 101);
    let n1 = lab.node(1);
    let conf = lab.conf(
        "rb.conf",
        &format!(
            "global_defs {{\n    vrrp_netlink_monitor_rcv_bufs 300000\n    vrrp_netlink_monitor_rcv_bufs_force\n    \
             vrrp_netlink_cmd_rcv_bufs 400000\n    vrrp_netlink_cmd_rcv_bufs_force\n}}\n\
             vrrp_instance VI_1 {{\n    state BACKUP\n    interface eth0\n    virtual_router_id {VRID}\n    priority 100\n    \
             advert_int 1\n    virtual_ipaddress {{\n        {}/24\n    }}\n}}\n",
            lab.vip()
        ),
    );
    let mut d = Daemon::start(n1, Impl::Ours, &conf, &lab.dir, "rb");
    d.wait_log("Entering BACKUP STATE", 1, Duration::from_secs(10));
    let o = run(n1.cmd("ss").args(["-f", "netlink", "-m", "-p"]));
    let ss = String::from_utf8_lossy(&o.stdout).into_owned();
    let ours: Vec<&str> = ss.lines().filter(|l| l.contains("rtnl:")).collect();
    assert!(ours.iter().any(|l| l.contains("rb800000")), "command socket\n{ss}");
    assert!(ours.iter().any(|l| l.contains("rb600000")), "monitor socket\n{ss}");
    d.stop();
}
