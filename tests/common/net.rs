//! Network namespaces that remove themselves: one namespace ([`Netns`]), a
//! namespace holding a veth pair ([`Pair`]), and hosts on a bridge ([`Lan`]).
//!
//! Names are `kr<pid>-<tag><n>`: unique per test process and per call, so
//! that parallel tests and other people's runs never meet. Everything is
//! deleted on drop, also when the test panics. Addresses are the documentation
//! ranges (192.0.2.0/24, 2001:db8::/32) or 10.77.x.0/24 and fd00:77:x::/64,
//! which exist only inside the namespaces.

use std::process::{Command, Stdio};

use super::{TempDir, must, run, seq};

/// A network namespace created for one test, deleted on drop (also when the
/// test panics): what runs in it is killed first.
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Creates `kr<pid>-<tag><n>` with loopback up.
    pub fn new(tag: &str) -> Netns {
        let name = format!("kr{}-{}{}", std::process::id(), tag, seq());
        must(Command::new("ip").args(["netns", "add", &name]));
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME ARGS...`, which must succeed.
    pub fn ip(&self, args: &[&str]) {
        must(Command::new("ip").arg("-n").arg(&self.name).args(args));
    }

    /// `ip -n NAME ARGS...`: its standard output, whether it succeeded or not.
    pub fn ip_out(&self, args: &[&str]) -> String {
        let o = run(Command::new("ip").arg("-n").arg(&self.name).args(args));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// A command run inside the namespace (`ip netns exec`).
    pub fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }

    /// Adds an interface that is up with carrier: one end of a veth pair whose
    /// other end (`kp<n>`) stays in the namespace too. (The test kernel has no
    /// dummy or vlan drivers.)
    pub fn dummy(&self, ifname: &str) {
        let peer = format!("kp{}", seq());
        self.ip(&["link", "add", ifname, "type", "veth", "peer", "name", &peer]);
        self.ip(&["link", "set", &peer, "up"]);
        self.ip(&["link", "set", ifname, "up"]);
    }

    /// The addresses on `dev` (`a.b.c.d/len`, `x::y/len`), both families.
    pub fn addrs(&self, dev: &str) -> Vec<String> {
        self.ip_out(&["-o", "addr", "show", "dev", dev])
            .lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                w.find(|x| *x == "inet" || *x == "inet6")?;
                w.next().map(str::to_owned)
            })
            .collect()
    }

    /// Whether `dev` holds the address `ip` (any prefix length).
    pub fn has_addr(&self, dev: &str, ip: &str) -> bool {
        self.addrs(dev).iter().any(|a| a.split('/').next() == Some(ip))
    }

    /// The link-layer address of `ip`'s neighbour entry on `dev`, if any.
    pub fn neighbour(&self, dev: &str, ip: &str) -> Option<String> {
        let text = self.ip_out(&["neigh", "show", ip, "dev", dev]);
        let mut words = text.split_whitespace();
        words.find(|w| *w == "lladdr")?;
        words.next().map(str::to_owned)
    }

    /// One ping (`-c 1 -W 1`) from the namespace; `ping` must be installed.
    pub fn ping(&self, ip: &str) -> bool {
        let mut c = self.cmd("ping");
        if ip.contains(':') {
            c.arg("-6");
        }
        c.args(["-c", "1", "-W", "1", ip]).stdout(Stdio::null()).stderr(Stdio::null());
        run(&mut c).status.success()
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        // Whatever still runs in it (a daemon's child the test did not stop).
        if let Ok(o) = Command::new("ip").args(["netns", "pids", &self.name]).output() {
            for pid in String::from_utf8_lossy(&o.stdout).split_whitespace().filter_map(|p| p.parse().ok()) {
                super::proc::kill(pid, libc::SIGKILL);
            }
        }
        let _ = Command::new("ip").args(["netns", "del", &self.name]).output();
    }
}

/// The two-host shortcut: one namespace holding the veth pair `kr0`
/// (192.0.2.1/24, up) / `kr1` (up, no address). What `kr0` sends is seen on
/// `kr1`, so a daemon on `kr0` and a [`super::capture::Capture`] on `kr1`
/// need no bridge.
pub struct Pair {
    pub ns: Netns,
    /// Scratch space for the test's files (configurations...).
    pub dir: TempDir,
}

impl Pair {
    pub const IF: &str = "kr0";
    pub const PEER: &str = "kr1";
    pub const ADDR: &str = "192.0.2.1";

    pub fn new(tag: &str) -> Pair {
        let ns = Netns::new(tag);
        ns.ip(&["link", "add", Self::IF, "type", "veth", "peer", "name", Self::PEER]);
        ns.ip(&["addr", "add", &format!("{}/24", Self::ADDR), "dev", Self::IF]);
        ns.ip(&["link", "set", Self::IF, "up"]);
        ns.ip(&["link", "set", Self::PEER, "up"]);
        Pair { ns, dir: TempDir::new(tag) }
    }

    /// Writes a file (a configuration) into the scratch directory.
    pub fn conf(&self, name: &str, text: &str) -> std::path::PathBuf {
        self.dir.write(name, text)
    }

    /// The IPv4 addresses on kr0.
    pub fn addrs(&self) -> Vec<String> {
        self.ns.addrs(Self::IF).into_iter().filter(|a| !a.contains(':')).collect()
    }

    /// Whether kr0 holds `ip`.
    pub fn has_addr(&self, ip: &str) -> bool {
        self.ns.has_addr(Self::IF, ip)
    }
}

/// Hosts on a bridge: a namespace `..l<n>` with the bridge `br0`, and
/// `hosts` namespaces each with `eth0` (a veth whose other end is on the
/// bridge). Host `i` (from 1) has MAC 02:00:00:00:NET:i, 10.77.NET.i/24 and
/// fd00:77:NET::i/64 (no DAD). `net` only tells the labs of one test
/// process apart in logs; the namespaces isolate them anyway.
pub struct Lan {
    hosts: Vec<Netns>,
    // Dropped last: the hosts' veth ends go with it.
    bridge: Netns,
    pub net: u8,
    /// Scratch space for the test's files (configurations...).
    pub dir: TempDir,
}

impl Lan {
    pub fn new(tag: &str, hosts: usize, net: u8) -> Lan {
        let bridge = Netns::new(&format!("{tag}l"));
        bridge.ip(&["link", "add", "br0", "type", "bridge"]);
        bridge.ip(&["link", "set", "br0", "up"]);
        let mut lan = Lan { hosts: Vec::new(), bridge, net, dir: TempDir::new(tag) };
        for _ in 0..hosts {
            lan.add_host(tag);
        }
        lan
    }

    /// Adds the next host and returns its number.
    pub fn add_host(&mut self, tag: &str) -> usize {
        let i = self.hosts.len() + 1;
        let net = self.net;
        let ns = Netns::new(&format!("{tag}{i}-"));
        let v = format!("v{i}");
        self.bridge.ip(&["link", "add", &v, "type", "veth", "peer", "name", "eth0", "netns", &ns.name]);
        self.bridge.ip(&["link", "set", &v, "master", "br0", "up"]);
        ns.ip(&["link", "set", "eth0", "address", &self.mac(i)]);
        ns.ip(&["addr", "add", &format!("10.77.{net}.{i}/24"), "dev", "eth0"]);
        ns.ip(&["-6", "addr", "add", &format!("fd00:77:{net}::{i}/64"), "dev", "eth0", "nodad"]);
        ns.ip(&["link", "set", "eth0", "up"]);
        self.hosts.push(ns);
        i
    }

    /// Host `i` (from 1).
    pub fn host(&self, i: usize) -> &Netns {
        match self.hosts.get(i.wrapping_sub(1)) {
            Some(h) => h,
            None => panic!("no host {i} on this lan ({} hosts)", self.hosts.len()),
        }
    }

    pub fn hosts(&self) -> usize {
        self.hosts.len()
    }

    /// The bridge's namespace (a capture on `br0` sees every host).
    pub fn bridge(&self) -> &Netns {
        &self.bridge
    }

    /// Writes a file (a configuration) into the scratch directory.
    pub fn conf(&self, name: &str, text: &str) -> std::path::PathBuf {
        self.dir.write(name, text)
    }

    /// Host `i`'s IPv4 address.
    pub fn v4(&self, i: usize) -> String {
        format!("10.77.{}.{i}", self.net)
    }

    /// Host `i`'s IPv6 address.
    pub fn v6(&self, i: usize) -> String {
        format!("fd00:77:{}::{i}", self.net)
    }

    /// Host `i`'s MAC address.
    pub fn mac(&self, i: usize) -> String {
        format!("02:00:00:00:{:02x}:{i:02x}", self.net)
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Hosts first, then the bridge (field order would drop them after).
        self.hosts.clear();
    }
}
