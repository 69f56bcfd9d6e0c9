//! Multi-router simulation on an in-memory LAN: 2-5 routers, each a pure
//! `Instance`, driven by a deterministic discrete-event scheduler. Adverts
//! travel as small checksummed byte strings so the corruption hook really
//! corrupts them (the receiving side's checksum check discards them, as the
//! codec would). Drop, delay, corrupt and partition hooks use a seeded PRNG,
//! so every run is reproducible. Every scenario ends by asserting exactly one
//! MASTER, the right one, holding the VIPs.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::fsm::{Action, Input, Instance, InstanceParams, RxAdvert, State};
use keepalived_rs::vrrp::timer::{Version, master_down_interval, skew_time};

const VIP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 100);

/// xorshift64*: small, seedable, good enough to pick drops and delays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn chance(&mut self, per_mille: u32) -> bool {
        self.next() % 1000 < u64::from(per_mille)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

/// Network impairments.
#[derive(Clone, Default)]
struct Hooks {
    drop_per_mille: u32,
    corrupt_per_mille: u32,
    delay: Duration,
    jitter: Duration,
    // Router pairs (either direction) that cannot hear each other.
    partitions: Vec<(usize, usize)>,
}

impl Hooks {
    fn blocked(&self, a: usize, b: usize) -> bool {
        self.partitions.iter().any(|&(x, y)| (x == a && y == b) || (x == b && y == a))
    }
}

// On-wire form: version, priority, interval in centiseconds (2 bytes),
// address count, source (4 bytes), addresses (4 bytes each), then an
// internet checksum over everything before it.
fn checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for pair in bytes.chunks(2) {
        let word = u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn encode(version: Version, priority: u8, interval: Duration, src: Ipv4Addr) -> Vec<u8> {
    let centis = (interval.as_millis() / 10) as u16;
    let mut b = vec![version.number(), priority];
    b.extend_from_slice(&centis.to_be_bytes());
    b.push(1);
    b.extend_from_slice(&src.octets());
    b.extend_from_slice(&VIP.octets());
    let c = checksum(&b);
    b.extend_from_slice(&c.to_be_bytes());
    b
}

fn decode(b: &[u8]) -> Option<RxAdvert> {
    if b.len() != 15 {
        return None;
    }
    let (body, sum) = b.split_at(13);
    if checksum(body).to_be_bytes() != [sum[0], sum[1]] {
        return None;
    }
    let version = match body[0] {
        2 => Version::V2,
        3 => Version::V3,
        _ => return None,
    };
    let centis = u16::from_be_bytes([body[2], body[3]]);
    Some(RxAdvert {
        src: IpAddr::from([body[5], body[6], body[7], body[8]]),
        version,
        priority: body[1],
        adver_int: Duration::from_millis(u64::from(centis) * 10),
        addresses: vec![IpAddr::from([body[9], body[10], body[11], body[12]])],
    })
}

struct Router {
    params: InstanceParams,
    addr: Ipv4Addr,
    inst: Option<Instance>,
    holds_vips: bool,
}

#[derive(Debug, Clone)]
struct TransitionRecord {
    at: Duration,
    router: usize,
    to: State,
}

struct Lan {
    base: Instant,
    now: Instant,
    routers: Vec<Router>,
    // (delivery time, sequence) -> (receiver, bytes)
    in_flight: BTreeMap<(Instant, u64), (usize, Vec<u8>)>,
    seq: u64,
    rng: Rng,
    hooks: Hooks,
    transitions: Vec<TransitionRecord>,
    // (time sent, sender, priority) of every advert put on the wire
    sent: Vec<(Duration, usize, u8)>,
    // (time delivered, receiver, sender address, priority)
    delivered: Vec<(Duration, usize, IpAddr, u8)>,
    dropped: u32,
    corrupted: u32,
}

struct Spec {
    priority: u8,
    nopreempt: bool,
    preempt_delay: Duration,
}

fn spec(priority: u8) -> Spec {
    Spec { priority, nopreempt: false, preempt_delay: Duration::ZERO }
}

impl Lan {
    fn new(seed: u64, version: Version, advert: Duration, specs: &[Spec], hooks: Hooks) -> Lan {
        let base = Instant::now();
        let routers = specs
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let addr = Ipv4Addr::new(10, 0, 0, 1 + i as u8);
                let mut p = InstanceParams::new("VI_1", 51, IpAddr::V4(addr)).with_vips(vec![IpAddr::V4(VIP)]);
                p.version = version;
                p.advert_interval = advert;
                p.priority = s.priority;
                p.nopreempt = s.nopreempt;
                p.preempt_delay = s.preempt_delay;
                Router { params: p, addr, inst: None, holds_vips: false }
            })
            .collect();
        Lan {
            base,
            now: base,
            routers,
            in_flight: BTreeMap::new(),
            seq: 0,
            rng: Rng(seed.max(1)),
            hooks,
            transitions: Vec::new(),
            sent: Vec::new(),
            delivered: Vec::new(),
            dropped: 0,
            corrupted: 0,
        }
    }

    fn t(&self) -> Duration {
        self.now.duration_since(self.base)
    }

    fn start(&mut self, i: usize) {
        let (inst, actions) = Instance::new(self.routers[i].params.clone(), self.now);
        self.routers[i].inst = Some(inst);
        self.apply(i, actions);
    }

    fn start_all(&mut self) {
        for i in 0..self.routers.len() {
            self.start(i);
        }
    }

    /// The router vanishes without a word (crash, power loss).
    fn kill(&mut self, i: usize) {
        self.routers[i].inst = None;
        self.routers[i].holds_vips = false;
    }

    /// Orderly stop (SIGTERM): the instance says goodbye.
    fn shutdown(&mut self, i: usize) {
        let actions = match self.routers[i].inst.as_mut() {
            Some(inst) => inst.handle(self.now, Input::Shutdown { release: true }),
            None => return,
        };
        self.apply(i, actions);
        self.routers[i].inst = None;
    }

    fn apply(&mut self, from: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::SendAdvert { priority } => self.broadcast(from, priority),
                Action::AddVips { .. } => self.routers[from].holds_vips = true,
                Action::RemoveVips { .. } => self.routers[from].holds_vips = false,
                Action::Transition { to, .. } => {
                    self.transitions.push(TransitionRecord { at: self.t(), router: from, to });
                }
                Action::SendGratuitous { .. }
                | Action::MasterRxLowerPriority { .. }
                | Action::Stopped
                | Action::Log(_) => {}
            }
        }
    }

    fn broadcast(&mut self, from: usize, priority: u8) {
        let t = self.t();
        self.sent.push((t, from, priority));
        let p = &self.routers[from].params;
        let bytes = encode(p.version, priority, p.advert_interval, self.routers[from].addr);
        for to in 0..self.routers.len() {
            if to == from || self.hooks.blocked(from, to) {
                continue;
            }
            if self.rng.chance(self.hooks.drop_per_mille) {
                self.dropped += 1;
                continue;
            }
            let mut copy = bytes.clone();
            if self.rng.chance(self.hooks.corrupt_per_mille) {
                let bit = self.rng.below((copy.len() * 8) as u64) as usize;
                copy[bit / 8] ^= 1 << (bit % 8);
                self.corrupted += 1;
            }
            let jitter = Duration::from_micros(self.rng.below(self.hooks.jitter.as_micros() as u64 + 1));
            let at = self.now + self.hooks.delay + jitter;
            self.seq += 1;
            self.in_flight.insert((at, self.seq), (to, copy));
        }
    }

    /// Runs every event up to and including `until` (seconds from start).
    fn run_until(&mut self, until: Duration) {
        let end = self.base + until;
        loop {
            let next_packet = self.in_flight.keys().next().map(|k| k.0);
            let next_timer = self
                .routers
                .iter()
                .enumerate()
                .filter_map(|(i, r)| r.inst.as_ref().and_then(|x| x.next_deadline()).map(|d| (d, i)))
                .min();
            // Packets first at equal instants, then routers in index order.
            let packet_first = match (next_packet, next_timer) {
                (Some(p), Some((d, _))) => p <= d,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if packet_first {
                let Some(((at, seq), _)) = self.in_flight.iter().next().map(|(k, v)| (*k, v.clone())) else { break };
                if at > end {
                    break;
                }
                let Some((to, bytes)) = self.in_flight.remove(&(at, seq)) else { break };
                self.now = at;
                let Some(adv) = decode(&bytes) else { continue };
                let t = self.t();
                let actions = match self.routers[to].inst.as_mut() {
                    Some(inst) => {
                        self.delivered.push((t, to, adv.src, adv.priority));
                        inst.handle(at, Input::Advert(adv))
                    }
                    None => continue,
                };
                self.apply(to, actions);
            } else if let Some((d, i)) = next_timer {
                if d > end {
                    break;
                }
                self.now = d;
                let actions = match self.routers[i].inst.as_mut() {
                    Some(inst) => inst.handle(d, Input::Timer),
                    None => continue,
                };
                self.apply(i, actions);
            }
        }
        self.now = end;
    }

    fn masters(&self) -> Vec<usize> {
        (0..self.routers.len())
            .filter(|&i| self.routers[i].inst.as_ref().is_some_and(|x| x.state() == State::Master))
            .collect()
    }

    /// Exactly one MASTER, `expected`, and only it holds the VIPs.
    fn assert_sole_master(&self, expected: usize, what: &str) {
        assert_eq!(self.masters(), vec![expected], "{what}: masters at t={:?}", self.t());
        for (i, r) in self.routers.iter().enumerate() {
            assert_eq!(r.holds_vips, i == expected, "{what}: router {i} VIPs at t={:?}", self.t());
        }
    }

    fn became_master_after(&self, after: Duration) -> Vec<TransitionRecord> {
        self.transitions.iter().filter(|r| r.at > after && r.to == State::Master).cloned().collect()
    }

    fn last_delivery_from(&self, receiver: usize, sender: usize) -> Option<Duration> {
        let src = IpAddr::V4(self.routers[sender].addr);
        self.delivered.iter().rev().find(|d| d.1 == receiver && d.2 == src && d.3 != 0).map(|d| d.0)
    }
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

#[test]
fn highest_priority_wins_at_start() {
    let mut lan = Lan::new(1, Version::V2, secs(1.0), &[spec(100), spec(150), spec(200)], Hooks::default());
    lan.start_all();
    lan.run_until(secs(10.0));
    lan.assert_sole_master(2, "start");
    // The 200 router's down timer (3 + 56/256 s) is the shortest: it is the
    // only router that ever became MASTER.
    let masters = lan.became_master_after(Duration::ZERO);
    assert_eq!(masters.len(), 1);
    assert_eq!(masters[0].router, 2);
    assert_eq!(masters[0].at, master_down_interval(Version::V2, 3, 200, secs(1.0)));
}

#[test]
fn equal_priority_tie_goes_to_highest_address() {
    for n in 2..=5 {
        let specs: Vec<Spec> = (0..n).map(|_| spec(100)).collect();
        let mut lan = Lan::new(7, Version::V2, secs(1.0), &specs, Hooks { delay: secs(0.001), ..Hooks::default() });
        lan.start_all();
        lan.run_until(secs(10.0));
        // All time out together, all become MASTER, and every one but the
        // highest address yields on hearing a same-priority advert.
        lan.assert_sole_master(n - 1, &format!("{n} routers"));
    }
}

#[test]
fn master_crash_failover_within_master_down_interval() {
    let hooks = Hooks { delay: secs(0.002), ..Hooks::default() };
    let mut lan = Lan::new(3, Version::V2, secs(1.0), &[spec(100), spec(150), spec(200)], hooks);
    lan.start_all();
    lan.run_until(secs(10.0));
    lan.assert_sole_master(2, "before crash");
    lan.kill(2);
    let crash = secs(10.0);
    lan.run_until(secs(20.0));
    lan.assert_sole_master(1, "after crash");
    let takeover = lan.became_master_after(crash);
    assert_eq!(takeover.len(), 1, "{takeover:?}");
    let last_heard = lan.last_delivery_from(1, 2).expect("router 1 heard the old master");
    // Exactly 3 s + Skew_Time(150) after the last advert it heard.
    assert_eq!(takeover[0].at - last_heard, master_down_interval(Version::V2, 3, 150, secs(1.0)));
    assert_eq!(takeover[0].at - last_heard, Duration::from_micros(3_414_062));
}

#[test]
fn master_shutdown_failover_after_skew_time() {
    let hooks = Hooks { delay: secs(0.002), ..Hooks::default() };
    let mut lan = Lan::new(4, Version::V2, secs(1.0), &[spec(100), spec(150), spec(200)], hooks);
    lan.start_all();
    lan.run_until(secs(10.5));
    lan.shutdown(2);
    let stop = lan.t();
    assert_eq!(lan.sent.last().map(|s| (s.1, s.2)), Some((2, 0)), "goodbye advert");
    lan.run_until(secs(20.0));
    lan.assert_sole_master(1, "after shutdown");
    let takeover = lan.became_master_after(stop);
    assert_eq!(takeover.len(), 1, "{takeover:?}");
    // Priority 0 received 2 ms later, then Skew_Time(150) = 0.414062 s.
    assert_eq!(takeover[0].at - stop, secs(0.002) + Duration::from_micros(414_062));
}

#[test]
fn v3_figures_crash_and_shutdown() {
    // Two routers at 0.1 s: the 0.361 s / 0.061 s for priority 100.
    let hooks = Hooks { delay: Duration::ZERO, ..Hooks::default() };
    let mut lan = Lan::new(5, Version::V3, secs(0.1), &[spec(100), spec(200)], hooks.clone());
    lan.start_all();
    lan.run_until(secs(2.0));
    lan.assert_sole_master(1, "v3 start");
    lan.kill(1);
    let crash = lan.t();
    lan.run_until(secs(4.0));
    lan.assert_sole_master(0, "v3 crash");
    let last_heard = lan.last_delivery_from(0, 1).expect("heard master");
    let takeover = lan.became_master_after(crash);
    assert_eq!(takeover[0].at - last_heard, Duration::from_micros(360_937));

    let mut lan = Lan::new(6, Version::V3, secs(0.1), &[spec(100), spec(200)], hooks);
    lan.start_all();
    lan.run_until(secs(2.05));
    lan.shutdown(1);
    let stop = lan.t();
    lan.run_until(secs(4.0));
    lan.assert_sole_master(0, "v3 shutdown");
    let takeover = lan.became_master_after(stop);
    assert_eq!(takeover[0].at - stop, Duration::from_micros(60_937));
    assert_eq!(takeover[0].at - stop, skew_time(Version::V3, 100, secs(0.1)));
}

#[test]
fn preemption_back_when_the_higher_router_returns() {
    let hooks = Hooks { delay: secs(0.001), ..Hooks::default() };
    let mut lan = Lan::new(8, Version::V2, secs(1.0), &[spec(100), spec(150), spec(200)], hooks);
    lan.start_all();
    lan.run_until(secs(10.0));
    lan.kill(2);
    lan.run_until(secs(20.0));
    lan.assert_sole_master(1, "while 200 is away");
    lan.start(2);
    let back = lan.t();
    lan.run_until(secs(30.0));
    lan.assert_sole_master(2, "after preemption");
    // It discards the 150 adverts and takes over when its own
    // Master_Down_Timer (started at boot) runs out.
    let takeover = lan.became_master_after(back);
    assert_eq!(takeover.len(), 1);
    assert_eq!(takeover[0].router, 2);
    assert_eq!(takeover[0].at - back, master_down_interval(Version::V2, 3, 200, secs(1.0)));
}

#[test]
fn nopreempt_keeps_the_current_master() {
    let hooks = Hooks { delay: secs(0.001), ..Hooks::default() };
    let specs = [spec(100), spec(150), Spec { nopreempt: true, ..spec(200) }];
    let mut lan = Lan::new(9, Version::V2, secs(1.0), &specs, hooks);
    lan.start_all();
    lan.run_until(secs(10.0));
    // At start nobody is master, so the nopreempt router still wins.
    lan.assert_sole_master(2, "start");
    lan.kill(2);
    lan.run_until(secs(20.0));
    lan.start(2);
    lan.run_until(secs(40.0));
    lan.assert_sole_master(1, "nopreempt router came back");
    // ... until the current master goes away.
    lan.shutdown(1);
    lan.run_until(secs(50.0));
    lan.assert_sole_master(2, "after the 150 router stopped");
}

#[test]
fn preempt_delay_postpones_preemption() {
    let hooks = Hooks { delay: secs(0.001), ..Hooks::default() };
    let specs = [spec(100), Spec { preempt_delay: secs(10.0), ..spec(200) }];
    let mut lan = Lan::new(10, Version::V2, secs(1.0), &specs, hooks);
    lan.start(0);
    lan.run_until(secs(10.0));
    lan.assert_sole_master(0, "alone");
    lan.start(1);
    let back = lan.t();
    lan.run_until(secs(18.0));
    lan.assert_sole_master(0, "inside preempt_delay");
    lan.run_until(secs(40.0));
    lan.assert_sole_master(1, "after preempt_delay");
    let takeover = lan.became_master_after(back);
    let waited = takeover[0].at - back;
    let down = master_down_interval(Version::V2, 3, 200, secs(1.0));
    assert!(waited >= secs(10.0) && waited <= secs(10.0) + down + secs(1.0), "{waited:?}");
}

#[test]
fn partition_then_heal_converges_to_the_highest() {
    let hooks = Hooks { delay: secs(0.001), partitions: vec![(0, 2), (1, 2)], ..Hooks::default() };
    let mut lan = Lan::new(11, Version::V2, secs(1.0), &[spec(100), spec(150), spec(200)], hooks);
    lan.start_all();
    lan.run_until(secs(10.0));
    // Two halves, two masters: {0, 1} elect 1, {2} is alone.
    assert_eq!(lan.masters(), vec![1, 2]);
    lan.hooks.partitions.clear();
    lan.run_until(secs(15.0));
    lan.assert_sole_master(2, "healed");
}

#[test]
fn large_delay_does_not_cause_flapping() {
    // Adverts take up to 0.9 s: still well inside 3 intervals.
    let hooks = Hooks { delay: secs(0.4), jitter: secs(0.5), ..Hooks::default() };
    let mut lan = Lan::new(12, Version::V2, secs(1.0), &[spec(100), spec(150), spec(200), spec(120)], hooks);
    lan.start_all();
    lan.run_until(secs(10.0));
    lan.assert_sole_master(2, "settled");
    let before = lan.transitions.len();
    lan.run_until(secs(120.0));
    assert_eq!(lan.transitions.len(), before, "no state changes in steady state");
    lan.assert_sole_master(2, "after two minutes");
}

#[test]
fn lossy_corrupting_lan_converges_for_many_seeds() {
    let mut runs = 0;
    for seed in 1..=40u64 {
        let n = 2 + (seed % 4) as usize; // 2..=5 routers
        let prios: Vec<u8> = (0..n).map(|i| 50 + ((seed as usize * 37 + i * 53) % 200) as u8).collect();
        // Distinct priorities; the winner is the highest.
        let mut sorted = prios.clone();
        sorted.sort_unstable();
        sorted.dedup();
        if sorted.len() != n {
            continue;
        }
        let expected = prios.iter().enumerate().max_by_key(|(_, p)| **p).map(|(i, _)| i).unwrap_or(0);
        let hooks = Hooks {
            drop_per_mille: 150,
            corrupt_per_mille: 100,
            delay: secs(0.001),
            jitter: secs(0.02),
            partitions: Vec::new(),
        };
        let specs: Vec<Spec> = prios.iter().map(|p| spec(*p)).collect();
        let mut lan = Lan::new(seed, Version::V3, secs(0.1), &specs, hooks);
        lan.start_all();
        lan.run_until(secs(30.0));
        // Heal the network and give it a few intervals to settle.
        lan.hooks.drop_per_mille = 0;
        lan.hooks.corrupt_per_mille = 0;
        lan.run_until(secs(31.0));
        lan.assert_sole_master(expected, &format!("seed {seed}, priorities {prios:?}"));
        assert!(lan.dropped > 0 && lan.corrupted > 0, "seed {seed}: hooks fired");
        runs += 1;
    }
    assert!(runs >= 30, "only {runs} seeds had distinct priorities");
}

#[test]
fn checksum_catches_every_single_bit_flip() {
    let good = encode(Version::V2, 100, secs(1.0), Ipv4Addr::new(10, 0, 0, 1));
    assert!(decode(&good).is_some());
    for bit in 0..good.len() * 8 {
        let mut bad = good.clone();
        bad[bit / 8] ^= 1 << (bit % 8);
        assert!(decode(&bad).is_none(), "bit {bit}");
    }
}

#[test]
fn lossy_lan_master_crash_fails_over_to_the_next_highest() {
    for seed in [21u64, 22, 23, 24, 25] {
        let prios = [90u8, 200, 140, 170, 110];
        let hooks = Hooks {
            drop_per_mille: 100,
            corrupt_per_mille: 50,
            delay: secs(0.001),
            jitter: secs(0.01),
            partitions: Vec::new(),
        };
        let specs: Vec<Spec> = prios.iter().map(|p| spec(*p)).collect();
        let mut lan = Lan::new(seed, Version::V3, secs(0.1), &specs, hooks);
        lan.start_all();
        lan.run_until(secs(10.0));
        lan.hooks.drop_per_mille = 0;
        lan.hooks.corrupt_per_mille = 0;
        lan.run_until(secs(11.0));
        lan.assert_sole_master(1, &format!("seed {seed} before crash"));
        lan.hooks.drop_per_mille = 100;
        lan.hooks.corrupt_per_mille = 50;
        lan.kill(1);
        let crash = lan.t();
        lan.run_until(secs(20.0));
        // Someone took over no later than the slowest backup's down
        // interval after the crash (every timer was armed before it).
        let first = lan.became_master_after(crash).first().map(|r| r.at).expect("a takeover");
        let slowest = master_down_interval(Version::V3, 3, 90, secs(0.1));
        assert!(first - crash <= slowest, "seed {seed}: took {:?}", first - crash);
        lan.hooks.drop_per_mille = 0;
        lan.hooks.corrupt_per_mille = 0;
        lan.run_until(secs(21.0));
        lan.assert_sole_master(3, &format!("seed {seed} after crash"));
    }
}
