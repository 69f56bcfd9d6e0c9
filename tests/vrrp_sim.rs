//! Multi-router simulation on an in-memory LAN: 2-5 routers, each a pure
//! `Instance`, driven by a deterministic discrete-event scheduler. Adverts
//! travel as the real codec encodes them (`encode_ipv4`: VRRPv2 without
//! authentication, with PASS or with IPsec-AH, or VRRPv3), and each receiver
//! decodes them with its own authentication context (`decode_ipv4`,
//! `validate_for_instance`), as the runtime does, counting every refusal in
//! its `DropCounters`. The receive path first does what the kernel does
//! before a raw socket sees a packet: it drops an IPv4 header whose checksum
//! is wrong. The corruption hook flips a real bit of the real bytes, so the
//! simulation also proves the decoder's drops: a corrupted advert is dropped
//! and counted, never taken for another. Drop, delay, corrupt and partition
//! hooks use a seeded PRNG, so every run is reproducible. Every scenario ends
//! by asserting exactly one MASTER, the right one, holding the VIPs.

#![allow(unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: a failed assertion is how a test fails

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use keepalived_rs::vrrp::auth::{AuthConfig, AuthCtx, TxAuth};
use keepalived_rs::vrrp::fsm::{Action, Input, Instance, InstanceParams, RxAdvert, State};
use keepalived_rs::vrrp::packet::{
    Advert, DropCounters, DropReason, InstanceExpectation, Ipv4Tx, PacketType, VRRP_GROUP_V4, WireOptions, decode_ipv4,
    encode_ipv4, next_ip_id, validate_for_instance,
};
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

/// How the routers authenticate (VRRPv3 has no authentication).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Auth {
    None,
    /// v2 `auth_type PASS`.
    Pass,
    /// v2 `auth_type AH` (IPsec-AH, with its anti-replay sequence numbers).
    Ah,
}

fn auth_ctx(auth: Auth) -> AuthCtx {
    AuthCtx::new(match auth {
        Auth::None => AuthConfig::None,
        Auth::Pass => AuthConfig::pass("kr-sim"),
        Auth::Ah => AuthConfig::ah("kr-sim"),
    })
}

/// The advert interval in the codec's centiseconds.
fn centis(d: Duration) -> u16 {
    u16::try_from(d.as_millis() / 10).unwrap()
}

/// What the receiving instance should see of an advert (the runtime's
/// conversion from a decoded packet).
fn rx_advert(src: IpAddr, a: &Advert) -> RxAdvert {
    RxAdvert {
        src,
        version: a.version,
        priority: a.priority,
        adver_int: Duration::from_millis(u64::from(a.adver_int) * 10),
        addresses: a.addresses.clone(),
    }
}

/// The kernel drops an IPv4 packet whose header checksum is wrong before any
/// raw socket sees it (ip_rcv): the ones' complement sum of the header is 0xffff.
fn kernel_accepts(bytes: &[u8]) -> bool {
    let Some(&b0) = bytes.first() else { return false };
    let ihl = usize::from(b0 & 0x0f) * 4;
    if b0 >> 4 != 4 || ihl < 20 || bytes.len() < ihl {
        return false;
    }
    let mut sum: u32 = bytes[..ihl].chunks(2).map(|w| u32::from(u16::from_be_bytes([w[0], w[1]]))).sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum == 0xffff
}

/// Encodes one advert round of `router` as it goes on the wire (its IP id,
/// its AH sequence number), as the runtime's `send_advert` does.
fn encode_round(r: &mut Router, priority: u8) -> (Vec<u8>, RxAdvert) {
    let p = &r.params;
    let advert = Advert {
        version: p.version,
        kind: PacketType::Advertisement,
        vrid: p.vrid,
        priority,
        auth_type: None,
        adver_int: centis(p.advert_interval),
        checksum: 0,
        addresses: p.vips.clone(),
        auth_data: None,
    };
    r.ip_id = next_ip_id(r.ip_id);
    if r.inst.as_ref().is_some_and(|i| i.state() == State::Master) {
        r.auth.ah.on_become_master();
    }
    let ah_seq = if matches!(r.auth.config, AuthConfig::Ah(_)) { r.auth.ah.next_tx() } else { 0 };
    let ip = Ipv4Tx { src: r.addr, dst: VRRP_GROUP_V4, ttl: 255, id: r.ip_id };
    let tx = TxAuth { config: &r.auth.config, ah_seq, hmac: None };
    let bytes = encode_ipv4(&advert, &ip, &WireOptions::default(), &tx).unwrap();
    (bytes, rx_advert(IpAddr::V4(r.addr), &advert))
}

/// The receive path of the runtime (`on_packet`): decode with the
/// receiver's authentication context, then the instance's checks.
fn receive(r: &mut Router, bytes: &[u8]) -> Result<RxAdvert, DropReason> {
    let mut auth = std::mem::replace(&mut r.auth, auth_ctx(Auth::None));
    let decoded = decode_ipv4(bytes, &WireOptions::default(), &mut auth, Duration::ZERO);
    r.auth = auth;
    let rx = decoded?;
    let p = &r.params;
    let master = r.inst.as_ref().and_then(|i| i.master_address());
    let exp = InstanceExpectation {
        vrid: p.vrid,
        version: p.version,
        adver_int: centis(p.advert_interval),
        addresses: &p.vips,
        check_addresses: !(p.skip_check_adv_addr && master == Some(rx.src)),
        unicast_peers: &[],
        check_unicast_src: false,
    };
    validate_for_instance(&rx, &exp)?;
    if rx.ah_seq.is_some() && r.inst.as_ref().is_some_and(|i| i.state() == State::Backup) {
        r.auth.ah.clear_cycle();
    }
    Ok(rx_advert(rx.src, &rx.advert))
}

struct Router {
    params: InstanceParams,
    addr: Ipv4Addr,
    inst: Option<Instance>,
    holds_vips: bool,
    /// The authentication settings and state (AH sequence numbers).
    auth: AuthCtx,
    ip_id: u16,
    /// What the decoder refused, by reason.
    drops: DropCounters,
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
    // (delivery time, sequence) -> the packet
    in_flight: BTreeMap<(Instant, u64), InFlight>,
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
    auth: Auth,
    /// Corrupted packets that reached a running router.
    corrupted_live: u32,
    /// Corrupted packets the kernel's header check dropped.
    kernel_drops: u32,
    /// Corrupted packets the decoder refused (counted in the receiver's `drops`).
    corrupt_decoder_drops: u32,
    /// Intact packets the decoder refused (AH replays), with the reason.
    clean_drops: Vec<DropReason>,
}

/// A packet on the wire.
#[derive(Clone)]
struct InFlight {
    to: usize,
    bytes: Vec<u8>,
    corrupted: bool,
    /// What the sender sent, as the receiver must see it if it accepts it.
    sent: RxAdvert,
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
                Router {
                    params: p,
                    addr,
                    inst: None,
                    holds_vips: false,
                    auth: auth_ctx(Auth::None),
                    ip_id: 0,
                    drops: DropCounters::default(),
                }
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
            auth: Auth::None,
            corrupted_live: 0,
            kernel_drops: 0,
            corrupt_decoder_drops: 0,
            clean_drops: Vec::new(),
        }
    }

    /// Every router authenticates with `auth` (VRRPv2 only).
    fn with_auth(mut self, auth: Auth) -> Lan {
        self.auth = auth;
        for r in &mut self.routers {
            r.auth = auth_ctx(auth);
        }
        self
    }

    /// Decoder drops over all routers.
    fn decoder_drops(&self) -> u64 {
        self.routers.iter().map(|r| r.drops.total()).sum()
    }

    /// Every corrupted packet was dropped, by the kernel's header check or
    /// by the decoder (and then counted), and the decoder refused no intact
    /// packet but AH replays.
    fn assert_corruption_dropped(&self, what: &str) {
        assert_eq!(
            self.kernel_drops + self.corrupt_decoder_drops,
            self.corrupted_delivered(),
            "{what}: every corrupted packet dropped"
        );
        assert_eq!(
            self.decoder_drops(),
            u64::from(self.corrupt_decoder_drops) + self.clean_drops.len() as u64,
            "{what}: every decoder drop counted"
        );
        for d in &self.clean_drops {
            assert!(matches!(d, DropReason::AhSeqReplay { .. }), "{what}: intact packet dropped: {d}");
        }
    }

    /// Corrupted packets that reached a live receiver.
    fn corrupted_delivered(&self) -> u32 {
        self.corrupted_live
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

    /// The router vanishes without a word (crash, power loss). Its process
    /// is gone: a restart begins with fresh counters.
    fn kill(&mut self, i: usize) {
        let r = &mut self.routers[i];
        r.inst = None;
        r.holds_vips = false;
        r.auth = auth_ctx(self.auth);
        r.ip_id = 0;
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
                | Action::SendExtraGratuitous
                | Action::MasterRxLowerPriority { .. }
                | Action::Stopped
                | Action::PriorityChanged { .. }
                | Action::SyncWantMaster
                | Action::Log(_) => {}
            }
        }
    }

    fn broadcast(&mut self, from: usize, priority: u8) {
        let t = self.t();
        self.sent.push((t, from, priority));
        // One multicast packet: every receiver gets the same bytes.
        let (bytes, sent) = encode_round(&mut self.routers[from], priority);
        for to in 0..self.routers.len() {
            if to == from || self.hooks.blocked(from, to) {
                continue;
            }
            if self.rng.chance(self.hooks.drop_per_mille) {
                self.dropped += 1;
                continue;
            }
            let mut copy = bytes.clone();
            let corrupted = self.rng.chance(self.hooks.corrupt_per_mille);
            if corrupted {
                let bit = self.rng.below((copy.len() * 8) as u64) as usize;
                copy[bit / 8] ^= 1 << (bit % 8);
                self.corrupted += 1;
            }
            let jitter = Duration::from_micros(self.rng.below(self.hooks.jitter.as_micros() as u64 + 1));
            let at = self.now + self.hooks.delay + jitter;
            self.seq += 1;
            self.in_flight.insert((at, self.seq), InFlight { to, bytes: copy, corrupted, sent: sent.clone() });
        }
    }

    /// Hands a packet to its receiver: the kernel's header check, the
    /// decoder, then the state machine. `None` when nothing reaches it.
    fn deliver(&mut self, pkt: &InFlight) -> Option<RxAdvert> {
        let r = &mut self.routers[pkt.to];
        r.inst.as_ref()?;
        if pkt.corrupted {
            self.corrupted_live += 1;
        }
        if !kernel_accepts(&pkt.bytes) {
            assert!(pkt.corrupted, "the encoder built a bad IPv4 header");
            self.kernel_drops += 1;
            return None;
        }
        match receive(r, &pkt.bytes) {
            Ok(adv) => {
                // A corrupted packet is never taken for another advert.
                assert!(!pkt.corrupted, "a corrupted advert was accepted: {adv:?}, sent {:?}", pkt.sent);
                assert_eq!(adv, pkt.sent, "decoded what was sent");
                Some(adv)
            }
            Err(reason) => {
                r.drops.bump(&reason);
                if pkt.corrupted {
                    self.corrupt_decoder_drops += 1;
                } else {
                    self.clean_drops.push(reason);
                }
                None
            }
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
                let Some(pkt) = self.in_flight.remove(&(at, seq)) else { break };
                self.now = at;
                let Some(adv) = self.deliver(&pkt) else { continue };
                let to = pkt.to;
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
        lan.assert_corruption_dropped(&format!("seed {seed}"));
        runs += 1;
    }
    assert!(runs >= 30, "only {runs} seeds had distinct priorities");
}

/// The wire forms the simulation runs: VRRPv2 without authentication, with
/// PASS and with AH, and VRRPv3.
const WIRE_FORMS: [(Version, Auth); 4] =
    [(Version::V2, Auth::None), (Version::V2, Auth::Pass), (Version::V2, Auth::Ah), (Version::V3, Auth::None)];

#[test]
fn every_single_bit_flip_is_dropped_and_counted() {
    for (version, auth) in WIRE_FORMS {
        let interval = if version == Version::V2 { secs(1.0) } else { secs(0.1) };
        let mut lan = Lan::new(1, version, interval, &[spec(100), spec(200)], Hooks::default()).with_auth(auth);
        lan.start_all();
        let (good, sent) = encode_round(&mut lan.routers[0], 100);
        let mut reasons = std::collections::BTreeSet::new();
        let mut kernel = 0;
        for bit in 0..good.len() * 8 {
            let mut bad = good.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            if !kernel_accepts(&bad) {
                kernel += 1;
                continue;
            }
            let r = &mut lan.routers[1];
            let before = r.drops.total();
            let reason = receive(r, &bad).expect_err(&format!("{version:?} {auth:?}: bit {bit} accepted"));
            r.drops.bump(&reason);
            assert_eq!(r.drops.total(), before + 1);
            reasons.insert(reason.counter_name());
        }
        // The IPv4 header (20 bytes) is the kernel's; everything after it is the decoder's.
        assert_eq!(kernel, 20 * 8, "{version:?} {auth:?}");
        let expected: &[&str] = match (version, auth) {
            (Version::V2, Auth::Ah) => &["ah_icv_mismatch"],
            (Version::V2, Auth::Pass) => &["auth_failure", "checksum_err"],
            _ => &["checksum_err"],
        };
        for name in expected {
            assert!(reasons.contains(name), "{version:?} {auth:?}: {reasons:?}");
        }
        // The intact packet still decodes to what was sent (the counters did not move).
        assert_eq!(receive(&mut lan.routers[1], &good), Ok(sent), "{version:?} {auth:?}");
    }
}

#[test]
fn authenticated_lans_elect_fail_over_and_stop() {
    for auth in [Auth::Pass, Auth::Ah] {
        let hooks = Hooks { delay: secs(0.002), ..Hooks::default() };
        let mut lan = Lan::new(13, Version::V2, secs(1.0), &[spec(100), spec(150), spec(200)], hooks).with_auth(auth);
        lan.start_all();
        lan.run_until(secs(10.0));
        lan.assert_sole_master(2, &format!("{auth:?} start"));
        lan.kill(2);
        let crash = lan.t();
        lan.run_until(secs(20.0));
        lan.assert_sole_master(1, &format!("{auth:?} after crash"));
        let takeover = lan.became_master_after(crash);
        let last_heard = lan.last_delivery_from(1, 2).expect("router 1 heard the old master");
        assert_eq!(takeover[0].at - last_heard, master_down_interval(Version::V2, 3, 150, secs(1.0)));
        lan.shutdown(1);
        let stop = lan.t();
        lan.run_until(secs(30.0));
        lan.assert_sole_master(0, &format!("{auth:?} after shutdown"));
        let takeover = lan.became_master_after(stop);
        assert_eq!(takeover[0].at - stop, secs(0.002) + skew_time(Version::V2, 100, secs(1.0)));
        // Nothing refused on a clean LAN: the AH sequence numbers of a new
        // master continue above the old master's.
        assert_eq!(lan.decoder_drops(), 0, "{auth:?}: {:?}", lan.clean_drops);
    }
}

#[test]
fn corrupted_adverts_are_dropped_and_counted_with_every_wire_form() {
    for (version, auth) in WIRE_FORMS {
        let interval = if version == Version::V2 { secs(1.0) } else { secs(0.1) };
        for seed in 31..=34u64 {
            let prios = [120u8, 200, 160];
            let hooks = Hooks { corrupt_per_mille: 100, delay: secs(0.001), jitter: secs(0.005), ..Hooks::default() };
            let specs: Vec<Spec> = prios.iter().map(|p| spec(*p)).collect();
            let mut lan = Lan::new(seed, version, interval, &specs, hooks).with_auth(auth);
            lan.start_all();
            lan.run_until(interval * 300);
            lan.hooks.corrupt_per_mille = 0;
            lan.run_until(interval * 310);
            let what = format!("{version:?} {auth:?} seed {seed}");
            lan.assert_sole_master(1, &what);
            assert!(lan.corrupted > 0 && lan.corrupt_decoder_drops > 0 && lan.kernel_drops > 0, "{what}: hooks fired");
            lan.assert_corruption_dropped(&what);
        }
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
        lan.assert_corruption_dropped(&format!("seed {seed}"));
    }
}
