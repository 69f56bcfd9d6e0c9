//! The VRRP child's runtime: one single-threaded loop that owns every
//! instance's state machine and executes what they ask for.
//!
//! - One raw socket per (interface, family, protocol, unicast or multicast),
//!   shared by the instances on it; a reader task per socket forwards whole
//!   packets to the loop, which finds the instance by VRID, decodes with that
//!   instance's authentication context and counts every refusal.
//! - Timers are the state machines' own deadlines, kept in one ordered set
//!   ([`timers::TimerQueue`]); the loop sleeps until the earliest.
//! - Actions are executed in the order the state machine returns them:
//!   adverts (one IP id and AH sequence number per round, reused for every
//!   unicast peer), VIPs through rtnetlink, gratuitous ARP / unsolicited NA
//!   bursts paced per interface, log lines with keepalived's text.
//! - Interfaces that are down or missing put their instances in FAULT; link
//!   changes arrive through rtnetlink's link multicast group.
//! - Signals: stop (priority-0 adverts, VIPs released unless
//!   `--dont-release-vrrp`), reload (unchanged instances keep running
//!   untouched), data and stats dumps.

mod dump;
mod spec;
mod timers;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::future::LocalBoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use self::dump::{InstanceView, Stats};
use self::spec::{InstanceSpec, VipSpec, is_link_local};
use self::timers::TimerQueue;
use crate::cli::Options;
use crate::config::model::vrrp::{VrrpConfig, VrrpGlobals};
use crate::netlink::{LinkEvent, LinkInfo, Netlink};
use crate::vrrp::auth::{AuthConfig, AuthCtx, TxAuth};
use crate::vrrp::fsm::{Action, Family, Input, Instance, LogKind, RxAdvert, State};
use crate::vrrp::garp;
use crate::vrrp::packet::{
    self, Advert, DropReason, InstanceExpectation, Ipv4Tx, PacketType, decode_ipv4, decode_ipv6, encode_ipv4,
    encode_v6_payload, next_ip_id, peek_vrid_ipv4, peek_vrid_ipv6, validate_for_instance,
};
use crate::vrrp::socket::{GarpSender, VrrpSocket};
use crate::watchdog::child::{ChildContext, ChildExit, ChildSignal};

/// How many received packets may wait for the loop before readers block
/// (the kernel's socket buffer holds the rest).
const RX_QUEUE: usize = 4096;
/// Largest datagram read from a VRRP socket.
const RX_BUF: usize = 65_536;

/// The [`crate::watchdog::child::EntryPoint`] of the VRRP child.
pub fn run(ctx: ChildContext) -> LocalBoxFuture<'static, ChildExit> {
    Box::pin(main_loop(ctx))
}

/// Which socket an instance uses.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct SockKey {
    ifname: String,
    v6: bool,
    proto: u8,
    /// The multicast group joined; `None` for unicast.
    group: Option<IpAddr>,
}

impl SockKey {
    fn unicast(&self) -> bool {
        self.group.is_none()
    }
}

struct SockEntry {
    id: u64,
    sock: Arc<VrrpSocket>,
    reader: JoinHandle<()>,
    /// VRID -> instance slot.
    vrids: HashMap<u8, usize>,
}

/// A packet handed from a reader task to the loop.
struct RxPacket {
    sock: u64,
    data: Vec<u8>,
    src: IpAddr,
    dst: Option<Ipv6Addr>,
    hop_limit: Option<u8>,
}

/// One running instance.
struct Slot {
    spec: InstanceSpec,
    fsm: Instance,
    auth: AuthCtx,
    ip_id: u16,
    /// `None` while the interface is missing.
    sock: Option<SockKey>,
    primary: IpAddr,
    /// Whether the instance was built without a usable interface or address
    /// and must be rebuilt once its interface appears.
    incomplete: bool,
    stats: Stats,
}

/// What a changed instance hands to its replacement on reload.
#[derive(Default)]
struct Carry {
    /// The old `authentication` and `auth_hmac` settings with their state.
    auth: Option<(AuthConfig, Option<spec::HmacSpec>, AuthCtx)>,
    ip_id: u16,
    stats: Stats,
    /// The old instance was MASTER and the new one can take over at once.
    resume_master: bool,
}

/// A state machine for a changed instance that was MASTER: started as if
/// Master_Down_Interval had already passed, so it is MASTER straight away,
/// advertising without a gap. keepalived keeps the state of an instance
/// across a reload; only the adverts, VIPs and gratuitous ARPs of the
/// takeover are kept (the VIPs they share are already there).
fn resume_as_master(mut params: crate::vrrp::fsm::InstanceParams) -> Option<(Instance, Vec<Action>)> {
    params.startup_delay = Duration::ZERO;
    let p = params.clone().normalized();
    let down = crate::vrrp::timer::master_down_interval(p.version, p.down_timer_adverts, p.priority, p.advert_interval);
    let now = Instant::now();
    let past = now.checked_sub(down + Duration::from_millis(1))?;
    let (mut fsm, _start) = Instance::new(params, past);
    let actions = fsm.handle(now, Input::Timer);
    if fsm.state() != State::Master {
        return None;
    }
    let actions = actions
        .into_iter()
        .filter(|a| match a {
            Action::Transition { .. } => false,
            Action::Log(e) => !matches!(e.kind, LogKind::ReceiveAdvertTimeout | LogKind::EnteringMaster),
            _ => true,
        })
        .collect();
    Some((fsm, actions))
}

/// A queued gratuitous ARP / NA.
struct GarpFrame {
    v6: bool,
    frame: Vec<u8>,
    addr: IpAddr,
    /// Pause after this one (`vrrp_garp_interval` / `vrrp_gna_interval`).
    gap: Duration,
}

/// The gratuitous ARP / NA sender of one interface with its pacing queue.
struct GarpIf {
    sender: GarpSender,
    ifindex: u32,
    queue: VecDeque<GarpFrame>,
    next_at: Instant,
}

struct Runtime {
    nl: Netlink,
    opts: Arc<Options>,
    globals: VrrpGlobals,
    slots: Vec<Option<Slot>>,
    by_name: HashMap<String, usize>,
    timers: TimerQueue,
    socks: HashMap<SockKey, SockEntry>,
    sock_by_id: HashMap<u64, SockKey>,
    next_sock_id: u64,
    garp: HashMap<String, GarpIf>,
    links: HashMap<String, LinkInfo>,
    rx_tx: mpsc::Sender<RxPacket>,
    unknown_vrids: u64,
}

async fn main_loop(mut ctx: ChildContext) -> ChildExit {
    let (nl, conn) = match Netlink::connect() {
        Ok(x) => x,
        Err(e) => {
            tracing::error!("Unable to open the netlink command channel - {e}");
            return ChildExit::Fatal;
        }
    };
    let conn_task = tokio::spawn(conn);
    let mut links_rx = match crate::netlink::link_monitor() {
        Ok((fut, rx)) => {
            tokio::spawn(fut);
            Some(rx)
        }
        Err(e) => {
            tracing::warn!("Unable to open the netlink reflector, link changes will not be seen - {e}");
            None
        }
    };
    let (rx_tx, mut rx) = mpsc::channel(RX_QUEUE);
    let mut rt = Runtime {
        nl,
        opts: ctx.options.clone(),
        globals: VrrpGlobals::default(),
        slots: Vec::new(),
        by_name: HashMap::new(),
        timers: TimerQueue::default(),
        socks: HashMap::new(),
        sock_by_id: HashMap::new(),
        next_sock_id: 0,
        garp: HashMap::new(),
        links: HashMap::new(),
        rx_tx,
        unknown_vrids: 0,
    };
    rt.apply(&ctx.config.config.vrrp).await;
    loop {
        let wake = rt.next_wake();
        tokio::select! {
            sig = ctx.signals.recv() => match sig {
                ChildSignal::Stop => {
                    rt.stop().await;
                    conn_task.abort();
                    return ChildExit::Stopped;
                }
                ChildSignal::Reload => {
                    if let Some(new) = ctx.reload() {
                        ctx.config = new;
                        rt.apply(&ctx.config.config.vrrp).await;
                        tracing::info!("Reload finished");
                    }
                }
                ChildSignal::DumpData => {
                    tracing::info!("Printing VRRP data for process({}) on signal", std::process::id());
                    write_dump(&ctx, "keepalived.data", &rt.data_text());
                }
                ChildSignal::DumpStats => {
                    tracing::info!("Printing VRRP stats for process({}) on signal", std::process::id());
                    write_dump(&ctx, "keepalived.stats", &rt.stats_text());
                }
                ChildSignal::DumpStatsClear => {
                    tracing::info!("Printing and clearing VRRP stats for process({}) on signal", std::process::id());
                    write_dump(&ctx, "keepalived.stats", &rt.stats_text());
                    rt.clear_stats();
                }
                ChildSignal::DumpJson => {
                    tracing::info!("Printing VRRP as json for process({}) on signal", std::process::id());
                    write_dump(&ctx, "keepalived.json", &rt.json_text());
                }
            },
            Some(pkt) = rx.recv() => rt.on_packet(pkt).await,
            Some(ev) = recv_opt(&mut links_rx) => rt.on_link(ev).await,
            _ = sleep_until(wake) => rt.on_wake().await,
        }
    }
}

async fn recv_opt<T>(rx: &mut Option<mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
        None => std::future::pending().await,
    }
}

fn write_dump(ctx: &ChildContext, file: &str, text: &str) {
    let path = ctx.tmp_dir().join(file);
    if let Err(e) = std::fs::write(&path, text) {
        tracing::error!("Unable to write {} - {e}", path.display());
    }
}

fn wall_clock() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// The advert interval in the codec's centiseconds.
fn centis(d: Duration) -> u16 {
    u16::try_from(d.as_millis() / 10).unwrap_or(u16::MAX)
}

fn mac6(mac: &[u8]) -> Option<[u8; 6]> {
    mac.try_into().ok()
}

/// Whether the interface forwards IPv6 (the NA router flag, RFC 4861 section 7.2.4).
fn ipv6_forwarding(ifname: &str) -> bool {
    std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{ifname}/forwarding")).is_ok_and(|s| s.trim() == "1")
}

fn log_event(e: &crate::vrrp::fsm::LogEvent) {
    if e.detail_only() {
        tracing::debug!("{e}");
    } else {
        tracing::info!("{e}");
    }
}

impl Runtime {
    fn slot(&self, idx: usize) -> Option<&Slot> {
        self.slots.get(idx).and_then(Option::as_ref)
    }

    fn slot_mut(&mut self, idx: usize) -> Option<&mut Slot> {
        self.slots.get_mut(idx).and_then(Option::as_mut)
    }

    fn next_wake(&self) -> Option<Instant> {
        let garp = self.garp.values().filter(|g| !g.queue.is_empty()).map(|g| g.next_at).min();
        [self.timers.next(), garp].into_iter().flatten().min()
    }

    /// Looks up every interface the specs use.
    async fn refresh_links(&mut self, specs: &[InstanceSpec]) {
        let mut names: Vec<String> = Vec::new();
        for s in specs {
            for n in s.interfaces() {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        for n in names {
            match self.nl.link_by_name(&n).await {
                Ok(info) => {
                    self.links.insert(n, info);
                }
                Err(_) => {
                    self.links.remove(&n);
                }
            }
        }
    }

    /// Starts, keeps, rebuilds or removes instances to match `cfg`.
    async fn apply(&mut self, cfg: &VrrpConfig) {
        self.globals = cfg.globals.clone();
        let specs: Vec<InstanceSpec> =
            cfg.instances.iter().map(|i| InstanceSpec::from_model(i, &cfg.globals)).collect();
        self.refresh_links(&specs).await;
        let running: Vec<(String, usize)> = self.by_name.iter().map(|(n, i)| (n.clone(), *i)).collect();
        let mut carried: HashMap<String, Carry> = HashMap::new();
        for (name, idx) in running {
            match (specs.iter().find(|s| s.name == name), self.slot(idx)) {
                (Some(new), Some(old)) if *new == old.spec => {}
                (Some(new), Some(_)) => {
                    let new = new.clone();
                    let carry = self.detach(idx, &new).await;
                    carried.insert(name, carry);
                }
                _ => self.remove_instance(idx).await,
            }
        }
        for s in specs {
            if !self.by_name.contains_key(&s.name) {
                let carry = carried.remove(&s.name);
                self.add_instance(s, carry).await;
            }
        }
        self.close_unused_sockets();
    }

    /// Takes a running instance out for a changed configuration. What the
    /// new one must continue (AH and `auth_hmac` counters, the IP id, the
    /// counters, mastership) comes back as a [`Carry`]. A MASTER that can stay
    /// one on the same interface keeps the VIPs both configurations share and
    /// sends no goodbye; anything else is stopped as if removed.
    async fn detach(&mut self, idx: usize, new: &InstanceSpec) -> Carry {
        let (was_master, same_place, old_spec) = match self.slot(idx) {
            Some(s) => (
                s.fsm.state() == State::Master,
                s.spec.interface == new.interface
                    && s.spec.family == new.family
                    && new.interface.as_ref().and_then(|i| self.links.get(i)).is_some_and(|l| l.running),
                s.spec.clone(),
            ),
            None => return Carry::default(),
        };
        let resume_master = was_master && same_place;
        if resume_master {
            let wanted: Vec<&VipSpec> = new.vips.iter().chain(&new.evips).collect();
            let stale: Vec<VipSpec> =
                old_spec.vips.iter().chain(&old_spec.evips).filter(|v| !wanted.contains(v)).cloned().collect();
            for v in stale {
                tracing::debug!("({}) removing VIP {}", old_spec.name, v.describe());
                if let Some(ifindex) = self.links.get(&v.dev).map(|l| l.index) {
                    if let Err(e) = self.nl.del_address(&v.addr_spec(ifindex)).await {
                        tracing::error!("({}) cannot remove VIP {} - {e}", old_spec.name, v.describe());
                    }
                }
            }
        } else {
            let actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(Instant::now(), Input::Shutdown),
                None => return Carry::default(),
            };
            self.execute(idx, actions).await;
        }
        self.timers.set(idx, None);
        let Some(slot) = self.slots.get_mut(idx).and_then(Option::take) else { return Carry::default() };
        self.by_name.remove(&slot.spec.name);
        if let Some(e) = slot.sock.as_ref().and_then(|k| self.socks.get_mut(k)) {
            e.vrids.remove(&slot.spec.vrid);
        }
        Carry {
            auth: Some((slot.spec.auth.clone(), slot.spec.hmac.clone(), slot.auth)),
            ip_id: slot.ip_id,
            stats: slot.stats,
            resume_master,
        }
    }

    /// The instance's own address: `mcast_src_ip`/`unicast_src_ip`, else the
    /// interface's first IPv4 address or its IPv6 link-local address
    /// (RFC 5798 section 5.1.2.1), never one of the instance's VIPs.
    async fn primary_address(&self, spec: &InstanceSpec, ifindex: u32) -> Option<IpAddr> {
        if let Some(a) = spec.src_ip {
            return Some(a);
        }
        let addrs = self.nl.addresses(ifindex).await.ok()?;
        let is_vip = |a: &IpAddr| spec.vips.iter().chain(&spec.evips).any(|v| v.addr == *a);
        addrs.into_iter().map(|(a, _)| a).find(|a| {
            !is_vip(a)
                && match (spec.family, a) {
                    (Family::V4, IpAddr::V4(_)) => true,
                    (Family::V6, IpAddr::V6(v6)) => is_link_local(v6),
                    _ => false,
                }
        })
    }

    fn sock_key(spec: &InstanceSpec) -> Option<SockKey> {
        Some(SockKey {
            ifname: spec.interface.clone()?,
            v6: spec.family == Family::V6,
            proto: spec.protocol(),
            group: (!spec.is_unicast()).then_some(spec.mcast_dst),
        })
    }

    /// Opens (or reuses) the socket for `key` on interface `ifindex`.
    fn ensure_socket(&mut self, key: &SockKey, ifindex: u32) -> bool {
        if self.socks.contains_key(key) {
            return true;
        }
        let opened = match key.group {
            Some(IpAddr::V6(g)) => VrrpSocket::open_v6_group(&key.ifname, ifindex, Some(g)),
            Some(IpAddr::V4(g)) => VrrpSocket::open_v4_group(&key.ifname, ifindex, i32::from(key.proto), Some(g)),
            None if key.v6 => VrrpSocket::open_v6_group(&key.ifname, ifindex, None),
            None => VrrpSocket::open_v4_group(&key.ifname, ifindex, i32::from(key.proto), None),
        };
        match opened {
            Ok(sock) => {
                let id = self.next_sock_id;
                self.next_sock_id += 1;
                let sock = Arc::new(sock);
                let reader = spawn_reader(id, sock.clone(), self.rx_tx.clone());
                tracing::debug!(
                    "VRRP sockpool: [ifindex({ifindex:3}), family({}), proto({}), {}]",
                    if key.v6 { "IPv6" } else { "IPv4" },
                    key.proto,
                    key.group.map_or_else(|| "unicast".to_owned(), |g| format!("multicast, address({g})"))
                );
                self.sock_by_id.insert(id, key.clone());
                self.socks.insert(key.clone(), SockEntry { id, sock, reader, vrids: HashMap::new() });
                true
            }
            Err(e) => {
                tracing::error!("cannot open VRRP socket on {} - {e}", key.ifname);
                false
            }
        }
    }

    fn close_unused_sockets(&mut self) {
        let unused: Vec<SockKey> =
            self.socks.iter().filter(|(_, e)| e.vrids.is_empty()).map(|(k, _)| k.clone()).collect();
        for k in unused {
            if let Some(e) = self.socks.remove(&k) {
                e.reader.abort();
                self.sock_by_id.remove(&e.id);
            }
        }
    }

    async fn add_instance(&mut self, spec: InstanceSpec, carry: Option<Carry>) {
        let Some(key) = Self::sock_key(&spec) else {
            tracing::error!("({}) an instance without interface is not supported yet - ignoring it", spec.name);
            return;
        };
        if let Some(other) = self.socks.get(&key).and_then(|e| e.vrids.get(&spec.vrid)) {
            let other = self.slot(*other).map_or("?", |s| s.spec.name.as_str());
            tracing::error!(
                "({}) VRID {} is already used by {other} on {} - ignoring the instance",
                spec.name,
                spec.vrid,
                key.ifname
            );
            return;
        }
        if !spec.accept {
            tracing::warn!("({}) no_accept is not implemented yet: the VIPs accept traffic", spec.name);
        }
        let link = self.links.get(&key.ifname).cloned();
        let mut fault = link.as_ref().is_none_or(|l| !l.running);
        let mut primary = None;
        let mut sock = None;
        if let Some(l) = &link {
            primary = self.primary_address(&spec, l.index).await;
            if self.ensure_socket(&key, l.index) {
                sock = Some(key.clone());
            }
        }
        if link.is_none() {
            tracing::warn!("({}) interface {} not found", spec.name, key.ifname);
        } else if primary.is_none() {
            tracing::warn!("({}) no usable source address on {}", spec.name, key.ifname);
        }
        let incomplete = primary.is_none() || sock.is_none();
        fault |= incomplete;
        let unspecified = if spec.family == Family::V6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        let primary = primary.unwrap_or(unspecified);
        let carry = carry.unwrap_or_default();
        let params = spec.params(primary, fault);
        let resumed = if carry.resume_master && !fault { resume_as_master(params.clone()) } else { None };
        let (fsm, actions) = match resumed {
            Some(x) => x,
            None => Instance::new(params, Instant::now()),
        };
        let mut auth = spec.auth_ctx();
        if let Some((old_auth, old_hmac, old_ctx)) = carry.auth {
            // Peers remember our sequence numbers: continue them.
            if old_auth == spec.auth {
                auth.ah = old_ctx.ah;
            }
            if old_hmac == spec.hmac {
                auth.hmac = old_ctx.hmac;
            }
        }
        let idx = self.slots.iter().position(Option::is_none).unwrap_or(self.slots.len());
        let slot =
            Slot { auth, fsm, ip_id: carry.ip_id, sock: sock.clone(), primary, incomplete, stats: carry.stats, spec };
        if let Some(k) = &sock {
            if let Some(e) = self.socks.get_mut(k) {
                e.vrids.insert(slot.spec.vrid, idx);
            }
        }
        self.by_name.insert(slot.spec.name.clone(), idx);
        if idx == self.slots.len() {
            self.slots.push(Some(slot));
        } else if let Some(s) = self.slots.get_mut(idx) {
            *s = Some(slot);
        }
        self.execute(idx, actions).await;
    }

    /// Stops an instance (priority-0 advert if MASTER, VIPs released) and forgets it.
    async fn remove_instance(&mut self, idx: usize) {
        let actions = match self.slot_mut(idx) {
            Some(s) => s.fsm.handle(Instant::now(), Input::Shutdown),
            None => return,
        };
        self.execute(idx, actions).await;
        self.timers.set(idx, None);
        if let Some(slot) = self.slots.get_mut(idx).and_then(Option::take) {
            self.by_name.remove(&slot.spec.name);
            if let Some(e) = slot.sock.as_ref().and_then(|k| self.socks.get_mut(k)) {
                e.vrids.remove(&slot.spec.vrid);
            }
        }
    }

    async fn stop(&mut self) {
        let idxs: Vec<usize> = (0..self.slots.len()).collect();
        let keep = self.opts.dont_release_vrrp;
        for idx in idxs {
            let mut actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(Instant::now(), Input::Shutdown),
                None => continue,
            };
            if keep {
                // `--dont-release-vrrp`: keepalived leaves the interface as it
                // is, VIPs and all, and does not say goodbye either.
                actions.retain(|a| match a {
                    Action::SendAdvert { priority } => *priority != 0,
                    Action::RemoveVips { .. } => false,
                    Action::Log(e) => e.kind != LogKind::SentPriorityZero,
                    _ => true,
                });
            }
            self.execute(idx, actions).await;
        }
        for e in self.socks.values() {
            e.reader.abort();
        }
    }

    /// Timers and paced gratuitous messages that are due.
    async fn on_wake(&mut self) {
        let now = Instant::now();
        for idx in self.timers.pop_due(now) {
            let actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(now, Input::Timer),
                None => continue,
            };
            self.execute(idx, actions).await;
        }
        self.flush_garp(now);
    }

    async fn on_packet(&mut self, pkt: RxPacket) {
        let Some(key) = self.sock_by_id.get(&pkt.sock) else { return };
        let Some(entry) = self.socks.get(key) else { return };
        let (dst_multicast, vrid) = if key.v6 {
            (pkt.dst.is_some_and(|d| d.is_multicast()), peek_vrid_ipv6(&pkt.data))
        } else {
            let dst = pkt.data.get(16).is_some_and(|b| (224..240).contains(b));
            (dst, peek_vrid_ipv4(&pkt.data))
        };
        // A raw socket sees every packet of its protocol on the interface:
        // the unicast and the multicast socket each take their own kind.
        if dst_multicast == key.unicast() {
            return;
        }
        let Ok(vrid) = vrid else {
            return;
        };
        let Some(&idx) = entry.vrids.get(&vrid) else {
            self.unknown_vrids = self.unknown_vrids.saturating_add(1);
            if self.globals.log_unknown_vrids {
                tracing::info!("Unknown VRID({vrid}) received on interface({}). ignoring...", key.ifname);
            }
            return;
        };
        let v6 = key.v6;
        let now = Instant::now();
        let Some(slot) = self.slot_mut(idx) else { return };
        if matches!(slot.fsm.state(), State::Fault | State::Init) {
            // keepalived ignores adverts while in FAULT or not yet started.
            return;
        }
        let opts = slot.spec.wire_options();
        let decoded = if v6 {
            let src = match pkt.src {
                IpAddr::V6(a) => a,
                IpAddr::V4(_) => Ipv6Addr::UNSPECIFIED,
            };
            let dst = pkt.dst.unwrap_or(Ipv6Addr::UNSPECIFIED);
            decode_ipv6(&pkt.data, src, dst, pkt.hop_limit, &opts, &mut slot.auth, wall_clock())
        } else {
            decode_ipv4(&pkt.data, &opts, &mut slot.auth, wall_clock())
        };
        let rx = match decoded {
            Ok(rx) => rx,
            Err(reason) => return drop_advert(slot, &reason),
        };
        let params = slot.fsm.params();
        let exp = InstanceExpectation {
            vrid: params.vrid,
            version: params.version.into(),
            adver_int: centis(params.advert_interval),
            addresses: &params.vips,
            check_addresses: !(params.skip_check_adv_addr && slot.fsm.master_address() == Some(rx.src)),
            unicast_peers: &slot.spec.unicast_peers,
            check_unicast_src: slot.spec.check_unicast_src,
        };
        if let Err(reason) = validate_for_instance(&rx, &exp) {
            return drop_advert(slot, &reason);
        }
        if rx.ah_seq.is_some() && slot.fsm.state() == State::Backup {
            slot.auth.ah.clear_cycle();
        }
        slot.stats.adverts_rcvd = slot.stats.adverts_rcvd.saturating_add(1);
        if rx.advert.priority == 0 {
            slot.stats.pri_zero_rcvd = slot.stats.pri_zero_rcvd.saturating_add(1);
        }
        let adv = RxAdvert {
            src: rx.src,
            version: rx.advert.version.into(),
            priority: rx.advert.priority,
            adver_int: Duration::from_millis(u64::from(rx.advert.adver_int) * 10),
            addresses: rx.advert.addresses,
        };
        let actions = slot.fsm.handle(now, Input::Advert(adv));
        self.execute(idx, actions).await;
    }

    async fn on_link(&mut self, ev: LinkEvent) {
        match ev {
            LinkEvent::Link { info, removed } => self.on_link_change(info, removed).await,
            LinkEvent::Address { ifindex } => {
                // An instance waiting for a source address may now have one.
                let Some(name) = self.links.values().find(|l| l.index == ifindex && l.running).map(|l| l.name.clone())
                else {
                    return;
                };
                for idx in self.slots_on(&name) {
                    if self.slot(idx).is_some_and(|s| s.incomplete) {
                        self.rebuild(idx).await;
                    }
                }
            }
        }
    }

    /// The slots whose instance runs on interface `name`.
    fn slots_on(&self, name: &str) -> Vec<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().filter(|s| s.spec.interface.as_deref() == Some(name)).map(|_| i))
            .collect()
    }

    /// Builds an instance again from its spec (it was started without a
    /// usable interface or address).
    async fn rebuild(&mut self, idx: usize) {
        if let Some(spec) = self.slot(idx).map(|s| s.spec.clone()) {
            self.remove_instance(idx).await;
            self.close_unused_sockets();
            self.add_instance(spec, None).await;
        }
    }

    async fn on_link_change(&mut self, info: LinkInfo, removed: bool) {
        let name = info.name.clone();
        let was_running = self.links.get(&name).map(|l| l.running);
        let now_running = if removed { None } else { Some(info.running) };
        if removed {
            self.links.remove(&name);
        } else {
            self.links.insert(name.clone(), info);
        }
        if was_running == now_running {
            return;
        }
        // The index or MAC may change: reopen the gratuitous ARP channel on next use.
        self.garp.remove(&name);
        if removed {
            // Sockets bound to a vanished interface are useless: drop them.
            let gone: Vec<SockKey> = self.socks.keys().filter(|k| k.ifname == name).cloned().collect();
            for k in gone {
                if let Some(e) = self.socks.remove(&k) {
                    e.reader.abort();
                    self.sock_by_id.remove(&e.id);
                }
            }
        }
        for idx in self.slots_on(&name) {
            let incomplete = self.slot(idx).is_some_and(|s| s.incomplete);
            if now_running == Some(true) && incomplete {
                self.rebuild(idx).await;
                continue;
            }
            if removed {
                if let Some(slot) = self.slot_mut(idx) {
                    slot.incomplete = true;
                    slot.sock = None;
                }
            }
            let up = now_running == Some(true);
            let actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(Instant::now(), Input::Fault(!up)),
                None => continue,
            };
            self.execute(idx, actions).await;
        }
    }

    /// Executes a state machine's actions in order, then re-arms its timer.
    async fn execute(&mut self, idx: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::SendAdvert { priority } => self.send_advert(idx, priority).await,
                Action::AddVips { .. } => self.set_vips(idx, true).await,
                Action::RemoveVips { .. } => self.set_vips(idx, false).await,
                Action::SendGratuitous { repeat, interval } => self.queue_gratuitous(idx, repeat, interval),
                Action::Transition { from, to } => {
                    if let Some(s) = self.slot_mut(idx) {
                        if to == State::Master {
                            s.stats.became_master = s.stats.became_master.saturating_add(1);
                        }
                        if from == State::Master {
                            s.stats.released_master = s.stats.released_master.saturating_add(1);
                        }
                    }
                }
                // Notify scripts are not run yet (the config layer says so).
                Action::MasterRxLowerPriority { .. } | Action::Stopped => {}
                Action::Log(e) => log_event(&e),
            }
        }
        let deadline = self.slot(idx).and_then(|s| s.fsm.next_deadline());
        self.timers.set(idx, deadline);
        self.flush_garp(Instant::now());
    }

    async fn send_advert(&mut self, idx: usize, priority: u8) {
        let Some(slot) = self.slots.get_mut(idx).and_then(Option::as_mut) else { return };
        let Some(sock) = slot.sock.as_ref().and_then(|k| self.socks.get(k)).map(|e| e.sock.clone()) else {
            return;
        };
        let p = slot.fsm.params();
        let advert = Advert {
            version: p.version.into(),
            kind: PacketType::Advertisement,
            vrid: p.vrid,
            priority,
            auth_type: None,
            adver_int: centis(p.advert_interval),
            checksum: 0,
            addresses: p.vips.clone(),
            auth_data: None,
        };
        let targets: Vec<IpAddr> = if slot.spec.is_unicast() {
            slot.spec.unicast_peers.iter().map(|u| u.addr).collect()
        } else {
            vec![slot.spec.mcast_dst]
        };
        let ttl = if slot.spec.is_unicast() { slot.spec.unicast_ttl } else { packet::VRRP_TTL };
        let opts = slot.spec.wire_options();
        let wall = wall_clock();
        let mut out: Vec<(IpAddr, Vec<u8>)> = Vec::with_capacity(targets.len());
        match slot.primary {
            IpAddr::V4(src) => {
                // One IP id and one AH sequence number per advert round.
                slot.ip_id = next_ip_id(slot.ip_id);
                if slot.fsm.state() == State::Master {
                    slot.auth.ah.on_become_master();
                }
                let ah_seq = if matches!(slot.auth.config, AuthConfig::Ah(_)) { slot.auth.ah.next_tx() } else { 0 };
                let hmac = slot.auth.hmac.as_mut().and_then(|h| h.next_tx(wall));
                let tx = TxAuth { config: &slot.auth.config, ah_seq, hmac };
                for t in targets {
                    let IpAddr::V4(dst) = t else { continue };
                    let ip = Ipv4Tx { src, dst, ttl, id: slot.ip_id };
                    match encode_ipv4(&advert, &ip, &opts, &tx) {
                        Ok(b) => out.push((t, b)),
                        Err(e) => tracing::error!("({}) cannot build advert - {e}", slot.spec.name),
                    }
                }
            }
            IpAddr::V6(src) => {
                let hmac = slot.auth.hmac.as_mut().and_then(|h| h.next_tx(wall));
                for t in targets {
                    let IpAddr::V6(dst) = t else { continue };
                    match encode_v6_payload(&advert, src, dst, hmac.as_ref()) {
                        Ok(b) => out.push((t, b)),
                        Err(e) => tracing::error!("({}) cannot build advert - {e}", slot.spec.name),
                    }
                }
            }
        }
        slot.stats.adverts_sent = slot.stats.adverts_sent.saturating_add(1);
        if priority == 0 {
            slot.stats.pri_zero_sent = slot.stats.pri_zero_sent.saturating_add(1);
        }
        let name = slot.spec.name.clone();
        for (dst, bytes) in out {
            let r = match dst {
                IpAddr::V4(d) => sock.send_v4(&bytes, d).await,
                IpAddr::V6(d) => sock.send_v6(&bytes, d).await,
            };
            if let Err(e) = r {
                tracing::info!("({name}) Unable to send advert to {dst} - {e}");
            }
        }
    }

    /// Adds (or removes) the VIPs and eVIPs, logging keepalived's lines.
    async fn set_vips(&mut self, idx: usize, add: bool) {
        let Some(slot) = self.slot(idx) else { return };
        let name = slot.spec.name.clone();
        let groups = [("VIPs", slot.spec.vips.clone()), ("E-VIPs", slot.spec.evips.clone())];
        for (what, list) in groups {
            if list.is_empty() {
                continue;
            }
            tracing::debug!("({name}) {} {what}.", if add { "setting" } else { "removing" });
            for v in &list {
                let Some(ifindex) = self.links.get(&v.dev).map(|l| l.index) else {
                    if add {
                        tracing::error!("({name}) cannot add {}: interface {} not found", v.describe(), v.dev);
                    }
                    continue;
                };
                let spec = v.addr_spec(ifindex);
                let r = if add {
                    self.nl.add_address(&spec).await.map(|_| ())
                } else {
                    self.nl.del_address(&spec).await.map(|_| ())
                };
                if let Err(e) = r {
                    let verb = if add { "add" } else { "remove" };
                    tracing::error!("({name}) cannot {verb} VIP {} - {e}", v.describe());
                }
            }
        }
    }

    /// Queues `repeat` gratuitous ARPs / NAs per address: the first round
    /// address by address, then the repeats, paced by `interval` per interface.
    fn queue_gratuitous(&mut self, idx: usize, repeat: u32, interval: Duration) {
        let Some(slot) = self.slot(idx) else { return };
        let name = slot.spec.name.clone();
        let addrs: Vec<VipSpec> = slot.spec.vips.iter().chain(&slot.spec.evips).cloned().collect();
        let now = Instant::now();
        for round in 0..repeat {
            for v in &addrs {
                let Some(link) = self.links.get(&v.dev).cloned() else { continue };
                let Some(mac) = mac6(&link.mac) else { continue };
                let (v6, frame) = match v.addr {
                    IpAddr::V4(a) => (false, garp::gratuitous_arp(mac, a)),
                    IpAddr::V6(a) => (true, garp::unsolicited_na(mac, a, ipv6_forwarding(&v.dev))),
                };
                if round == 0 {
                    let what = if v6 { "Unsolicited Neighbour Adverts" } else { "gratuitous ARPs" };
                    tracing::debug!("({name}) Sending/queueing {what} on {} for {}", v.dev, v.addr);
                }
                if !self.garp.contains_key(&v.dev) {
                    match GarpSender::open(&v.dev, link.index, true, true) {
                        Ok(sender) => {
                            let g = GarpIf { sender, ifindex: link.index, queue: VecDeque::new(), next_at: now };
                            self.garp.insert(v.dev.clone(), g);
                        }
                        Err(e) => {
                            tracing::error!("Unable to open the gratuitous ARP channel on {} - {e}", v.dev);
                            continue;
                        }
                    }
                }
                if let Some(g) = self.garp.get_mut(&v.dev) {
                    g.queue.push_back(GarpFrame { v6, frame, addr: v.addr, gap: interval });
                }
                if round == 0 {
                    // keepalived sends the first of each address as it queues it.
                    self.flush_garp(now);
                }
            }
        }
    }

    /// Sends the queued gratuitous messages that are due.
    fn flush_garp(&mut self, now: Instant) {
        for (ifname, g) in &mut self.garp {
            while g.next_at <= now {
                let Some(f) = g.queue.pop_front() else { break };
                let r = if f.v6 {
                    tracing::debug!("Sending unsolicited Neighbour Advert on {ifname} for {}", f.addr);
                    g.sender.send_na(&f.frame, g.ifindex)
                } else {
                    tracing::debug!("Sending gratuitous ARP on {ifname} for {}", f.addr);
                    g.sender.send_arp_frame(&f.frame)
                };
                if let Err(e) = r {
                    tracing::info!("Error sending gratuitous message on {ifname} for {} - {e}", f.addr);
                }
                if !f.gap.is_zero() {
                    g.next_at = now + f.gap;
                }
            }
            if g.queue.is_empty() && g.next_at < now {
                g.next_at = now;
            }
        }
    }

    fn views(&self) -> Vec<InstanceView<'_>> {
        self.slots
            .iter()
            .flatten()
            .map(|s| {
                let p = s.fsm.params();
                InstanceView {
                    name: &s.spec.name,
                    version: p.version,
                    state: s.fsm.state(),
                    interface: s.spec.interface.as_deref().unwrap_or(""),
                    src_ip: Some(s.primary),
                    mcast_dst: s.spec.mcast_dst,
                    unicast_peers: s.spec.unicast_peers.iter().map(|u| u.addr).collect(),
                    vrid: p.vrid,
                    priority: p.priority,
                    effective_priority: s.fsm.effective_priority(),
                    advert_interval: p.advert_interval,
                    master_down: s.fsm.master_down_interval(),
                    accept: p.accept,
                    nopreempt: p.nopreempt,
                    auth: &s.auth.config,
                    master_router: s.fsm.master_address(),
                    master_priority: s.fsm.master_priority(),
                    vips: s.spec.vips.iter().map(VipSpec::describe).collect(),
                    evips: s.spec.evips.iter().map(VipSpec::describe).collect(),
                    vips_set: s.fsm.vips_set(),
                }
            })
            .collect()
    }

    fn data_text(&self) -> String {
        dump::data(&self.views(), self.unknown_vrids)
    }

    fn stats_text(&self) -> String {
        dump::stats(self.slots.iter().flatten().map(|s| (s.spec.name.as_str(), &s.stats)))
    }

    fn json_text(&self) -> String {
        dump::json(&self.views(), self.slots.iter().flatten().map(|s| &s.stats))
    }

    fn clear_stats(&mut self) {
        for s in self.slots.iter_mut().flatten() {
            s.stats = Stats::default();
        }
        self.unknown_vrids = 0;
    }
}

/// Counts and logs a refused advert.
fn drop_advert(slot: &mut Slot, reason: &DropReason) {
    slot.stats.drops.bump(reason);
    tracing::info!("({}) {reason}", slot.spec.name);
}

/// Reads one socket until the loop goes away.
fn spawn_reader(id: u64, sock: Arc<VrrpSocket>, tx: mpsc::Sender<RxPacket>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut buf = vec![0u8; RX_BUF];
        loop {
            match sock.recv(&mut buf).await {
                Ok(r) => {
                    let data = buf.get(..r.len).unwrap_or(&[]).to_vec();
                    let pkt = RxPacket { sock: id, data, src: r.src, dst: r.dst, hop_limit: r.hop_limit };
                    if tx.send(pkt).await.is_err() {
                        return;
                    }
                }
                Err(e) => {
                    tracing::debug!("VRRP socket receive error - {e}");
                    // Do not spin on a persistent error.
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    })
}
