//! The VRRP child's runtime: one single-threaded loop that owns every
//! instance's state machine and executes what they ask for.
//!
//! - One raw socket per (interface, family, protocol, unicast or multicast),
//!   shared by the instances on it; a reader task per socket forwards whole
//!   packets to the loop, which finds the instance by VRID, decodes with that
//!   instance's authentication context and counts every refusal.
//! - Timers are the state machines' own deadlines, kept in one ordered set
//!   (`timers::TimerQueue`); the loop sleeps until the earliest.
//! - Actions are executed in the order the state machine returns them:
//!   adverts (one IP id and AH sequence number per round, reused for every
//!   unicast peer), VIPs through rtnetlink, gratuitous ARP / unsolicited NA
//!   bursts paced per interface, log lines with keepalived's text.
//! - Interfaces that are down or missing put their instances in FAULT; link
//!   changes arrive through rtnetlink's link multicast group.
//! - Signals: stop (priority-0 adverts, VIPs released unless
//!   `--dont-release-vrrp`), reload (unchanged instances keep running
//!   untouched), data and stats dumps.
//!
//! - Tracked scripts, files, processes and interfaces move each instance's
//!   priority and FAULT (`track`); members of a `vrrp_sync_group` move
//!   together (`groups`); every state change is notified to scripts and
//!   FIFOs (`notify`).
//!
//! Files: `instances` (start, reload, stop, link changes), `net` (sockets,
//! receive path, adverts), `announce` (VIPs and gratuitous messages),
//! `track`, `groups`, `notify`; pure helpers: `spec` (config -> what an
//! instance runs), `timers`, `dump`.

mod announce;
mod dump;
mod filter;
mod groups;
mod instances;
mod ipcfg;
mod linkbeat;
mod net;
mod notify;
mod report;
mod routes;
mod spec;
mod statics;
mod sysctls;
mod timers;
mod track;
mod vmac;

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::LocalBoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::Instrument as _;

use self::announce::GarpIf;
use self::dump::Stats;
use self::spec::InstanceSpec;
use self::timers::TimerQueue;
use crate::child::{ChildContext, ChildExit, ChildSignal};
use crate::cli::Options;
use crate::clock::{self, Wake};
use crate::config::model::vrrp::VrrpGlobals;
use crate::netlink::{LinkInfo, Netlink};
use crate::script::{NotifyScope, NotifyState, ScriptRunner};
use crate::vrrp::auth::AuthCtx;
use crate::vrrp::fsm::{Action, Input, Instance, State};
use crate::vrrp::socket::VrrpSocket;

use self::groups::{GroupRt, SyncEvent};
use self::notify::{Notifier, NotifyScripts};
use self::track::{Tag, Trackers};

/// How many received packets may wait for the loop before readers block
/// (the kernel's socket buffer holds the rest).
const RX_QUEUE: usize = 4096;
/// Largest datagram read from a VRRP socket. The largest valid advert is an
/// IPv4 header with options (60), AH (24), the VRRP header (8), 255 IPv6
/// addresses (4,080) and the v2 password (8): 4,180 bytes. A longer datagram
/// arrives truncated and fails the decoder's length checks, as it must.
const RX_BUF: usize = 8_192;

/// The [`crate::child::EntryPoint`] of the VRRP child.
pub(crate) fn run(ctx: ChildContext) -> LocalBoxFuture<'static, ChildExit> {
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
    /// The receive buffer asked for (0: the system's default).
    rx_buf: u64,
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
    /// When the instance last changed state (or started).
    last_transition: crate::dump::Stamp,
    /// Whether each VIP, then each eVIP, is on its interface.
    vip_set: Vec<bool>,
    /// Its notify scripts.
    notify: Arc<NotifyScripts>,
    /// What its `Stopped` reports: STOP, DELETED (removed by a reload with
    /// `notify_deleted`), or nothing (replaced by a reload).
    stop_as: Option<NotifyState>,
    /// A peer's advert came with the old unicast checksum: ours go out so too.
    old_checksum: bool,
}

impl Slot {
    /// Its wire options, with the old unicast checksum once a peer used it.
    fn wire_options(&self) -> crate::vrrp::packet::WireOptions {
        let mut o = self.spec.wire_options();
        if self.old_checksum {
            o.unicast_checksum = crate::vrrp::packet::UnicastChecksum::Old;
        }
        o
    }

    /// The instance's span (see [`instance_span`]).
    fn span(&self) -> tracing::Span {
        instance_span(&self.spec.name, self.spec.vrid)
    }
}

/// The span of one instance, with its name and VRID as fields. The log lines
/// recorded inside keep keepalived's text (the logger ignores spans). Made
/// for each piece of work, not kept: a thousand live spans would cost a
/// quarter of a megabyte.
fn instance_span(name: &str, vrid: u8) -> tracing::Span {
    tracing::info_span!("instance", name = %name, vrid)
}

struct Runtime {
    nl: Netlink,
    opts: Arc<Options>,
    globals: VrrpGlobals,
    slots: Vec<Option<Slot>>,
    timers: TimerQueue,
    socks: HashMap<SockKey, SockEntry>,
    sock_by_id: HashMap<u64, SockKey>,
    next_sock_id: u64,
    garp: HashMap<String, GarpIf>,
    links: HashMap<String, LinkInfo>,
    rx_tx: mpsc::Sender<RxPacket>,
    unknown_vrids: u64,
    /// The configuration's part of the dump files.
    dump_conf: dump::VrrpConf,
    /// Whether `vrrp_garp_lower_prio_delay` / `_repeat` were written.
    lower_prio_written: (bool, bool),
    statics: statics::Statics,
    /// Per interface: IPv6 forwarding when last checked for an unsolicited NA, and when.
    gna_checks: HashMap<String, (bool, crate::dump::Stamp)>,
    /// The IPVS sync daemon bound to one of the instances (`lvs_sync_daemon
    /// IF inst NAME`): it follows that instance's state.
    syncd: Option<crate::ipvs::syncd::VrrpSyncd>,
    /// VMACs we run: name -> ifindex.
    vmacs: HashMap<String, u32>,
    /// Base interfaces of VMACs with the settings to put back.
    base_settings: HashMap<String, vmac::BaseSettings>,
    /// `static_routes` and `static_rules` that are set.
    static_routes: routes::StaticRoutes,
    /// The no_accept / VMAC packet filter.
    filter: filter::Filter,
    /// `garp_group` blocks, and when each pace (group or interface) may send next.
    garp_groups: Vec<announce::GarpGroupSpec>,
    garp_pace: HashMap<String, Instant>,
    /// Tracked scripts, files and processes.
    trackers: Trackers,
    /// Track and FIFO scripts: terminated at reload and shutdown.
    track_runner: ScriptRunner<Tag>,
    /// Notify scripts: left to finish (notify_stop: 1 s).
    notify_runner: ScriptRunner<Tag>,
    notifier: Notifier,
    /// Notify scripts by instance name (kept across a reload with the slot).
    groups: Vec<GroupRt>,
    /// Sync group work waiting for the current actions to finish.
    sync_queue: VecDeque<SyncEvent>,
    /// The inotify instance watching tracked files' directories.
    inotify: Option<tokio::io::unix::AsyncFd<std::fs::File>>,
    /// The first configuration is being applied (start-up delays, group notifies).
    starting: bool,
    /// The kernel's process connector, while processes are tracked.
    proc_events: Option<netlink_sys::TokioSocket>,
    /// promote_secondaries and disable_local_igmp, to put back at the end.
    sysctls: sysctls::Sysctls,
    /// `process_monitor_rcv_bufs` of the process connector.
    proc_rcvbuf: Option<crate::netlink::RcvBuf>,
    /// `interface_up_down_delays` and linkbeat: the state instances see.
    linkgate: crate::vrrp::linkgate::LinkGate,
    /// The polling of linkbeat interfaces.
    linkbeat: linkbeat::Linkbeat,
    /// Instances with `track_src_ip` whose source address is missing.
    src_missing: HashSet<String>,
}

async fn main_loop(mut ctx: ChildContext) -> ChildExit {
    let vg = &ctx.config.config.vrrp.globals;
    let monitor_buf = crate::netlink::RcvBuf::of(vg.netlink_monitor_rcv_bufs, vg.netlink_monitor_rcv_bufs_force);
    let cmd_buf = crate::netlink::RcvBuf::of(vg.netlink_cmd_rcv_bufs, vg.netlink_cmd_rcv_bufs_force);
    let mut links_rx = match crate::netlink::link_monitor_with(monitor_buf) {
        Ok((fut, rx)) => {
            tracing::debug!("Registering Kernel netlink reflector");
            tokio::spawn(fut);
            Some(rx)
        }
        Err(e) => {
            tracing::warn!("Unable to open the netlink reflector, link changes will not be seen - {e}");
            None
        }
    };
    let (nl, conn) = match Netlink::connect_with(cmd_buf) {
        Ok(x) => x,
        Err(e) => {
            tracing::error!("Unable to open the netlink command channel - {e}");
            return ChildExit::Fatal;
        }
    };
    let conn_task = tokio::spawn(conn);
    tracing::debug!("Registering Kernel netlink command channel");
    let (rx_tx, mut rx) = mpsc::channel(RX_QUEUE);
    let (track_runner, mut track_done) = ScriptRunner::new(crate::script::runner::DEFAULT_LIMIT);
    // Nobody waits for notify scripts: their completions are not kept.
    let (notify_runner, notify_done) = ScriptRunner::new(crate::script::runner::DEFAULT_LIMIT);
    drop(notify_done);
    let mut rt = Runtime {
        nl,
        opts: ctx.options.clone(),
        globals: VrrpGlobals::default(),
        slots: Vec::new(),
        timers: TimerQueue::default(),
        socks: HashMap::new(),
        sock_by_id: HashMap::new(),
        next_sock_id: 0,
        garp: HashMap::new(),
        links: HashMap::new(),
        rx_tx,
        unknown_vrids: 0,
        dump_conf: dump::VrrpConf::default(),
        lower_prio_written: (false, false),
        statics: statics::Statics::default(),
        gna_checks: HashMap::new(),
        syncd: None,
        vmacs: HashMap::new(),
        base_settings: HashMap::new(),
        static_routes: routes::StaticRoutes::default(),
        filter: filter::Filter::new(&ctx.config.config.global),
        garp_groups: Vec::new(),
        garp_pace: HashMap::new(),
        trackers: Trackers::default(),
        track_runner,
        notify_runner,
        notifier: Notifier::none(),
        groups: Vec::new(),
        sync_queue: VecDeque::new(),
        inotify: None,
        starting: true,
        proc_events: None,
        sysctls: sysctls::Sysctls::default(),
        linkgate: crate::vrrp::linkgate::LinkGate::default(),
        linkbeat: linkbeat::Linkbeat::default(),
        src_missing: HashSet::new(),
        proc_rcvbuf: crate::netlink::RcvBuf::of(
            ctx.config.config.global.process_monitor_rcv_bufs,
            ctx.config.config.global.process_monitor_rcv_bufs_force,
        ),
    };
    // The specs hold what the instances run: the VRRP and LVS parts of the
    // parsed configuration are not kept beside them (a reload reads the file
    // again). The small global part stays: the dump files show it.
    let vrrp = std::mem::take(&mut ctx.config.config.vrrp);
    keep_lvs_globals(&mut ctx.config);
    rt.bind_syncd(ctx.config.config.lvs.globals.sync_daemon.as_ref(), &vrrp);
    rt.apply(&vrrp, &ctx.config.config.global).await;
    rt.starting = false;
    drop(vrrp);
    crate::sys::trim_heap();
    let mut wake = Wake::precise();
    let mut reloads = 0u32;
    loop {
        let wake_at = rt.next_wake();
        tokio::select! {
            sig = ctx.signals.recv() => match sig {
                ChildSignal::Stop => {
                    rt.stop().await;
                    conn_task.abort();
                    return ChildExit::Stopped;
                }
                ChildSignal::Reload => {
                    if let Some(mut new) = ctx.reload() {
                        reloads += 1;
                        // config_save_dir: the state before and after each reload.
                        rt.save_state(&ctx, reloads, "pre").await;
                        let vrrp = std::mem::take(&mut new.config.vrrp);
                        keep_lvs_globals(&mut new);
                        rt.bind_syncd(new.config.lvs.globals.sync_daemon.as_ref(), &vrrp);
                        rt.apply(&vrrp, &new.config.global).await;
                        rt.follow_syncd();
                        drop(vrrp);
                        ctx.config = new;
                        if ctx.config.config.global.fifo_write_vrrp_states_on_reload {
                            rt.fifo_group_states();
                        }
                        rt.save_state(&ctx, reloads, "post").await;
                        crate::sys::trim_heap();
                        tracing::info!("Reload finished");
                    }
                }
                ChildSignal::DumpData => {
                    tracing::info!("Printing VRRP data for process({}) on signal", std::process::id());
                    write_dump(&ctx, "keepalived.data", &rt.data_text(&ctx).await);
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
            Some(done) = track_done.recv() => rt.on_script_done(done).await,
            () = inotify_event(rt.inotify.as_ref()) => rt.on_files_changed().await,
            data = proc_event(rt.proc_events.as_mut()) => rt.on_proc_events(data).await,
            _ = wake.until(wake_at) => rt.on_wake().await,
        }
    }
}

/// Drops the LVS part of a loaded configuration but its global_defs
/// keywords, which keepalived.data shows.
fn keep_lvs_globals(loaded: &mut crate::config::Loaded) {
    let globals = std::mem::take(&mut loaded.config.lvs.globals);
    loaded.config.lvs = crate::config::model::lvs::LvsConfig { globals, ..Default::default() };
}

/// Waits for the inotify instance to report something in a watched
/// directory (the events are drained: any of them re-reads the files).
async fn inotify_event(fd: Option<&tokio::io::unix::AsyncFd<std::fs::File>>) {
    use std::io::Read as _;
    let Some(fd) = fd else { return std::future::pending().await };
    loop {
        let Ok(mut guard) = fd.readable().await else { return std::future::pending().await };
        let mut buf = [0u8; 4096];
        match guard.try_io(|f| f.get_ref().read(&mut buf)) {
            Ok(_) => return,
            Err(_would_block) => continue,
        }
    }
}

/// The next datagram of the process connector (`None` on a read error).
async fn proc_event(sock: Option<&mut netlink_sys::TokioSocket>) -> Option<Vec<u8>> {
    use netlink_sys::AsyncSocketExt as _;
    let Some(sock) = sock else { return std::future::pending().await };
    sock.recv_from_full().await.ok().map(|(data, _)| data)
}

async fn recv_opt<T>(rx: &mut Option<mpsc::UnboundedReceiver<T>>) -> Option<T> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

impl Runtime {
    /// `fifo_write_vrrp_states_on_reload`: after a reload, each sync group's
    /// state on the notify FIFOs, as keepalived 2.2.7 writes them (groups
    /// only: an instance outside a group gets no line).
    fn fifo_group_states(&mut self) {
        let states: Vec<(String, State)> = self.groups.iter().map(|g| (g.sg.name.clone(), g.sg.state)).collect();
        for (name, state) in states {
            let st = match state {
                State::Master => NotifyState::Master,
                State::Backup => NotifyState::Backup,
                State::Fault => NotifyState::Fault,
                State::Init => continue,
            };
            self.notifier.fifo_state(NotifyScope::Group, &name, st, 0);
        }
    }

    /// global_defs `config_save_dir`: keepalived.data's text in
    /// `DIR/keepalived_vrrp.PID.N.pre` (before reload N) and `.post` (after).
    async fn save_state(&self, ctx: &ChildContext, n: u32, when: &str) {
        let Some(dir) = ctx.config.config.global.config_save_dir.as_ref().map(|d| d.value.clone()) else { return };
        let path = std::path::Path::new(&dir).join(format!("keepalived_vrrp.{}.{n}.{when}", std::process::id()));
        if let Err(e) = std::fs::write(&path, self.data_text(ctx).await) {
            tracing::error!("Unable to write {} - {e}", path.display());
        }
    }
}

fn write_dump(ctx: &ChildContext, file: &str, text: &str) {
    let path = ctx.dump_path(file);
    if let Err(e) = std::fs::write(&path, text) {
        tracing::error!("Unable to write {} - {e}", path.display());
    }
}

/// The advert interval in the codec's centiseconds.
fn centis(d: Duration) -> u16 {
    u16::try_from(d.as_millis() / 10).unwrap_or(u16::MAX)
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
        [self.timers.next(), self.next_garp(), self.trackers.next_deadline(), self.next_link_wake()]
            .into_iter()
            .flatten()
            .min()
    }

    /// The slot of the instance called `name`.
    fn slot_named(&self, name: &str) -> Option<usize> {
        self.slots.iter().position(|s| s.as_ref().is_some_and(|s| s.spec.name == name))
    }

    async fn stop(&mut self) {
        if let Some(s) = self.syncd.as_mut() {
            s.stop();
        }
        let idxs: Vec<usize> = (0..self.slots.len()).collect();
        // `--dont-release-vrrp`: keepalived leaves the interface as it is,
        // VIPs and all, and does not say goodbye either.
        let release = !self.opts.dont_release_vrrp;
        self.track_runner.terminate_all();
        for idx in idxs {
            let actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(clock::now(), Input::Shutdown { release }),
                None => continue,
            };
            self.execute(idx, actions).await;
        }
        // Then the groups, as keepalived's `notify_shutdown` does.
        for g in &self.groups {
            self.notifier.state(&self.notify_runner, NotifyScope::Group, &g.sg.name, NotifyState::Stop, 0, &g.notify);
        }
        for e in self.socks.values() {
            e.reader.abort();
        }
        // What the instances brought with them goes with them.
        let specs: Vec<InstanceSpec> = self.slots.iter().flatten().map(|s| s.spec.clone()).collect();
        if release {
            for s in &specs {
                self.remove_vmac(s).await;
            }
        }
        self.clear_static_routes().await;
        self.remove_statics().await;
        self.filter.shutdown().await;
        self.sysctls.restore();
        self.notifier.close_all();
        // notify_stop scripts are killed after 1 s; others are left to finish.
        let _ = tokio::time::timeout(Duration::from_millis(1500), self.notify_runner.idle()).await;
    }

    /// Timers and paced gratuitous messages that are due.
    async fn on_wake(&mut self) {
        let now = clock::now();
        // max_auto_priority: a loop that runs late raises its own priority.
        if let Some(due) = self.next_wake().filter(|d| *d < now) {
            crate::child::sched::ran_late(now - due);
        }
        for idx in self.timers.pop_due(now) {
            let actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(now, Input::Timer),
                None => continue,
            };
            self.execute(idx, actions).await;
        }
        self.flush_garp(now);
        self.run_trackers(now).await;
        self.delayed_links(now).await;
        self.poll_links(now).await;
    }

    /// Executes a state machine's actions in order, then re-arms its timer,
    /// inside the instance's span.
    async fn execute(&mut self, idx: usize, actions: Vec<Action>) {
        let span = self.slot(idx).map_or_else(tracing::Span::none, Slot::span);
        self.execute_actions(idx, actions).instrument(span).await;
        self.drain_sync().await;
    }

    async fn execute_actions(&mut self, idx: usize, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::SendAdvert { priority } => self.send_advert(idx, priority).await,
                Action::AddVips { accept } => {
                    if !accept {
                        self.set_filter(idx, true).await;
                    }
                    self.set_vips(idx, true).await;
                    self.set_routes(idx, true).await;
                }
                Action::RemoveVips { accept } => {
                    self.set_routes(idx, false).await;
                    self.set_vips(idx, false).await;
                    if !accept {
                        self.set_filter(idx, false).await;
                    }
                }
                Action::SendGratuitous { repeat, interval } => self.queue_gratuitous(idx, repeat, interval),
                Action::SendExtraGratuitous => self.queue_extra_gratuitous(idx),
                Action::Transition { from, to } => {
                    if let (Some(sd), Some(s)) = (self.syncd.as_mut(), self.slots.get(idx).and_then(Option::as_ref))
                        && sd.instance() == s.spec.name
                    {
                        sd.follow(to == State::Master);
                    }
                    if let Some(s) = self.slot_mut(idx) {
                        s.last_transition = crate::dump::Stamp::from_epoch(crate::clock::wall());
                        if to == State::Master {
                            s.stats.became_master = s.stats.became_master.saturating_add(1);
                        }
                        if from == State::Master {
                            s.stats.released_master = s.stats.released_master.saturating_add(1);
                        }
                    }
                    let state = match to {
                        State::Master => Some(NotifyState::Master),
                        State::Backup => Some(NotifyState::Backup),
                        State::Fault => Some(NotifyState::Fault),
                        State::Init => None,
                    };
                    if let (Some(state), Some(s)) = (state, self.slots.get(idx).and_then(Option::as_ref)) {
                        let prio = s.fsm.effective_priority();
                        self.notifier.state(
                            &self.notify_runner,
                            NotifyScope::Instance,
                            &s.spec.name,
                            state,
                            prio,
                            &s.notify,
                        );
                    }
                    self.sync_queue.push_back(SyncEvent::Transition { idx, from, to });
                }
                Action::MasterRxLowerPriority { .. } => {
                    if let Some(s) = self.slots.get(idx).and_then(Option::as_ref) {
                        let prio = s.fsm.effective_priority();
                        self.notifier.rx_lower(&self.notify_runner, &s.spec.name, prio, &s.notify);
                    }
                }
                Action::Stopped => {
                    if let Some(s) = self.slots.get(idx).and_then(Option::as_ref) {
                        if let Some(state) = s.stop_as {
                            let prio = s.fsm.effective_priority();
                            self.notifier.state(
                                &self.notify_runner,
                                NotifyScope::Instance,
                                &s.spec.name,
                                state,
                                prio,
                                &s.notify,
                            );
                        }
                    }
                }
                Action::PriorityChanged { priority } => {
                    if let Some(s) = self.slots.get(idx).and_then(Option::as_ref) {
                        let master = s.fsm.state() == State::Master;
                        self.notifier.priority(&s.spec.name, master, priority, &s.notify);
                    }
                }
                Action::SyncWantMaster => self.sync_queue.push_back(SyncEvent::WantMaster { idx }),
                Action::Log(e) => log_event(&e),
            }
        }
        let deadline = self.slot(idx).and_then(|s| s.fsm.next_deadline());
        self.timers.set(idx, deadline);
        self.flush_garp(clock::now());
    }

    /// `lvs_sync_daemon ... inst NAME`: the sync daemon follows instance NAME
    /// (its VRID is the default sync id). Unbound, the checker child runs it.
    fn bind_syncd(
        &mut self,
        sd: Option<&crate::config::model::lvs::SyncDaemon>,
        cfg: &crate::config::model::vrrp::VrrpConfig,
    ) {
        use crate::ipvs::syncd::{Config, VrrpSyncd};
        let Some((sd, name)) = sd.and_then(|d| d.instance.as_deref().map(|n| (d, n))) else {
            if let Some(mut s) = self.syncd.take() {
                s.stop();
            }
            return;
        };
        let Some(vrid) = cfg.instances.iter().find(|i| i.name == name).map(|i| i.vrid) else {
            tracing::info!("Unable to find vrrp instance {name} for lvs_syncd - clearing lvs_syncd config");
            if let Some(mut s) = self.syncd.take() {
                s.stop();
            }
            return;
        };
        let config = Config::from_config(sd);
        match self.syncd.as_mut() {
            Some(s) if s.instance() == name => s.reload(config, vrid),
            _ => {
                if let Some(mut s) = self.syncd.take() {
                    s.stop();
                }
                match VrrpSyncd::new(config, vrid) {
                    Ok(s) => self.syncd = Some(s),
                    Err(e) => tracing::error!("IPVS: Can't initialize ipvs for the sync daemon: {e}"),
                }
            }
        }
    }

    /// After a reload, the sync daemon runs for its instance's current state.
    fn follow_syncd(&mut self) {
        let Some(sd) = self.syncd.as_mut() else { return };
        let state = self.slots.iter().flatten().find(|s| s.spec.name == sd.instance()).map(|s| s.fsm.state());
        if let Some(st) = state
            && st != State::Init
        {
            sd.follow(st == State::Master);
        }
    }

    fn clear_stats(&mut self) {
        for s in self.slots.iter_mut().flatten() {
            s.stats = Stats::default();
        }
        self.unknown_vrids = 0;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id};
    use tracing::{Event, Subscriber};
    use tracing_subscriber::layer::{Context, Layer};
    use tracing_subscriber::prelude::*;
    use tracing_subscriber::registry::LookupSpan;

    use super::instance_span;
    use crate::log::{KeepalivedLayer, LogOptions};

    /// Records each span's name and fields, and the spans each event is in.
    #[derive(Clone, Default)]
    struct Spans(Arc<Mutex<Vec<String>>>);

    struct Fields(String);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }

    impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Spans {
        fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
            let mut f = Fields(String::new());
            attrs.record(&mut f);
            self.0.lock().unwrap().push(format!("span {}{}", attrs.metadata().name(), f.0));
        }

        fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
            let scope: Vec<String> = ctx
                .event_scope(event)
                .map(|s| s.from_root().map(|sp| sp.name().to_owned()).collect())
                .unwrap_or_default();
            self.0.lock().unwrap().push(format!("event in {}", scope.join("/")));
        }
    }

    #[test]
    fn instance_spans_carry_name_and_vrid_and_leave_the_lines_alone() {
        let dir = std::env::temp_dir().join(format!("kr-span-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("k.log");
        let opts = LogOptions { syslog: false, file: Some(file.clone()), flush_file: true, ..LogOptions::default() };
        let spans = Spans::default();
        let sub = tracing_subscriber::registry()
            .with(KeepalivedLayer::with_syslog_socket(&opts, &dir.join("none")))
            .with(spans.clone());
        tracing::subscriber::with_default(sub, || {
            let vrrp = tracing::info_span!("vrrp", pid = 7);
            let _v = vrrp.enter();
            let inst = instance_span("VI_1", 51);
            inst.in_scope(|| tracing::info!("(VI_1) Entering MASTER STATE"));
        });
        let seen = spans.0.lock().unwrap().clone();
        assert_eq!(seen, ["span vrrp pid=7", "span instance name=VI_1 vrid=51", "event in vrrp/instance"]);
        let text = std::fs::read_to_string(&file).unwrap();
        // keepalived's line exactly, after the console time stamp: no span field added.
        let line = text.lines().next().unwrap();
        assert_eq!(line.split_once(": ").map(|(_, m)| m), Some("(VI_1) Entering MASTER STATE"), "{line}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
