//! The per-instance VRRP state machine (RFC 3768 section 6.4, RFC 5798
//! section 6.4) with keepalived 2.2/2.4's deviations.
//!
//! Pure: no sockets, no tasks, no clock. The runtime feeds [`Input`]s with
//! the time they happened and executes the returned [`Action`]s in order.
//!
//! # Timers are data
//! The instance never asks for a timer. After every call the runtime reads
//! [`Instance::next_deadline`], sleeps until then (or until a packet or event
//! arrives), and calls `handle(now, Input::Timer)`. A `Timer` input before any
//! deadline is harmless (nothing fires). Individual deadlines are visible
//! through [`Instance::deadline`] so tests can assert them exactly.
//!
//! # keepalived deviations reproduced here
//! - An instance starts in BACKUP even with `state MASTER`; only the address
//!   owner (priority 255, `state MASTER`) takes over at once (1 us later, as
//!   keepalived does). Everyone else waits Master_Down_Interval.
//! - Master_Down_Interval is `down_timer_adverts` (default 3) times
//!   Master_Adver_Interval plus Skew_Time, computed from the *effective*
//!   priority (tracking weights included).
//! - A BACKUP with equal priority accepts the master's advert whatever the
//!   addresses; the higher address only wins when two MASTERs meet.
//! - A MASTER hearing a lower-priority advert answers at once with its own
//!   advert (RFC 9568 behaviour) unless `lower_prio_no_advert`/strict mode,
//!   and re-sends gratuitous ARPs if `garp_lower_prio_repeat` is set.
//! - `preempt_delay`: the first lower-priority advert starts the delay; until
//!   it ends such adverts are accepted as if from a better master.
//! - Entering FAULT from MASTER sends two priority-0 adverts, like keepalived.

mod log;
mod params;

pub use log::{LogEvent, LogKind};
pub use params::{Family, GarpParams, InitialState, InstanceParams};

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::vrrp::timer::{Version, master_down_interval, skew_time};

/// keepalived's "1 usec" down timer used to make the address owner take over
/// straight after start-up.
const OWNER_START_DELAY: Duration = Duration::from_micros(1);

/// Range of Master_Adver_Interval we accept from a VRRPv3 advert (the 12-bit
/// centisecond field); an interval of zero would make the down timer expire
/// at once.
const MIN_V3_INTERVAL: Duration = Duration::from_millis(10);
const MAX_V3_INTERVAL: Duration = Duration::from_millis(40_950);

/// Priority carried by the "I am stopping" advert (RFC 3768 section 5.3.4).
const PRIO_STOP: u8 = 0;
/// The address owner's priority.
const PRIO_OWNER: u8 = 255;

/// The VRRP states as keepalived reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Not yet started.
    Init,
    /// Listening for the master's adverts.
    Backup,
    /// Owning the virtual addresses and advertising.
    Master,
    /// Interface or a tracked object down: neither sending nor listening.
    Fault,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Init => "INIT",
            State::Backup => "BACKUP",
            State::Master => "MASTER",
            State::Fault => "FAULT",
        })
    }
}

/// A received advertisement, already decoded and checked by the codec (IP
/// TTL/hop limit 255, checksum, authentication, VRID dispatch). The state
/// machine does the checks that need the instance's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RxAdvert {
    /// IP source address of the packet.
    pub src: IpAddr,
    /// Version nibble.
    pub version: Version,
    /// Priority field.
    pub priority: u8,
    /// Advert interval field (v2: seconds, v3: centiseconds), as a duration.
    pub adver_int: Duration,
    /// The IP addresses carried in the advert, in packet order.
    pub addresses: Vec<IpAddr>,
}

/// What can happen to an instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// An advert for this instance arrived.
    Advert(RxAdvert),
    /// The runtime reached [`Instance::next_deadline`].
    Timer,
    /// `true`: the interface or a non-weighted tracked object went down
    /// (the runtime aggregates them); `false`: all are up again.
    Fault(bool),
    /// New total priority (base priority plus tracking weights); clamped to
    /// 1..=254 and ignored for the address owner, as keepalived does.
    Priority(i32),
    /// Its `vrrp_sync_group` is in FAULT because another member is (`true`),
    /// or no member is any more (`false`). Like [`Input::Fault`], but a
    /// MASTER leaving for FAULT this way sends a single priority-0 advert,
    /// as keepalived's synced members do.
    GroupFault(bool),
    /// Its sync group goes MASTER: a BACKUP member takes over now
    /// (keepalived's `vrrp_sync_master`). Ignored in any other state.
    SyncMaster,
    /// Its sync group goes BACKUP: a MASTER member steps down now
    /// (keepalived's `vrrp_sync_backup`). Ignored in any other state.
    SyncBackup,
    /// The instance stops (SIGTERM, or removed by a reload). With `release`
    /// a MASTER says goodbye with priority 0 and removes its VIPs (RFC 3768 /
    /// RFC 5798 section 6.4.3); without (`--dont-release-vrrp` at SIGTERM)
    /// it leaves the interface as it is, VIPs and all, and sends nothing.
    Shutdown {
        /// Send the priority-0 advert and remove the VIPs.
        release: bool,
    },
}

/// What the runtime must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send one advert with this priority and our configured interval and VIPs.
    SendAdvert {
        /// Priority field; 0 means "stopping".
        priority: u8,
    },
    /// Add the VIPs, eVIPs, virtual routes and rules. When `accept` is false
    /// the runtime also installs the no_accept filter for the VIPs.
    AddVips {
        /// Accept mode (always true for the address owner).
        accept: bool,
    },
    /// Remove what `AddVips` added (and the no_accept filter if any). Also
    /// emitted at start-up to clear leftovers of a previous run, so addresses
    /// that are not there must be ignored.
    RemoveVips {
        /// Accept mode the addresses were added with.
        accept: bool,
    },
    /// Send `repeat` gratuitous ARPs (IPv4) or unsolicited NAs (IPv6) for
    /// every VIP/eVIP, spaced `interval` apart per interface.
    SendGratuitous {
        /// Messages per address.
        repeat: u32,
        /// `vrrp_garp_interval` or `vrrp_gna_interval`.
        interval: Duration,
    },
    /// `garp_extra_if`: one gratuitous ARP / NA on each interface of the
    /// VIPs beyond the instance's own (its VMACs, or all with `all`).
    SendExtraGratuitous,
    /// The state changed: run notify scripts, fifo, SNMP traps, sync group.
    /// The address owner's start-up passes through a silent BACKUP, so its
    /// first report is `BACKUP -> MASTER`.
    Transition {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
    },
    /// A MASTER heard a lower-priority advert: run `notify_master_rx_lower_pri`.
    MasterRxLowerPriority {
        /// Sender of the advert.
        from: IpAddr,
    },
    /// The instance is stopped (after `Shutdown`): run `notify_stop`.
    Stopped,
    /// The effective priority changed to this (after its log line): with
    /// `notify_priority_changes` the notify FIFOs hear of it.
    PriorityChanged {
        /// The new effective priority.
        priority: u8,
    },
    /// A member of a sync group timed out in BACKUP: it wants to become
    /// MASTER, but only goes when its group agrees ([`Input::SyncMaster`]);
    /// meanwhile its Master_Down_Timer has been armed again.
    SyncWantMaster,
    /// Log this line (skip it unless `--log-detail` if `detail_only()`).
    Log(LogEvent),
}

/// The individual timers behind [`Instance::next_deadline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerKind {
    /// BACKUP: Master_Down_Timer (or Skew_Time after a priority-0 advert).
    MasterDown,
    /// MASTER: next advert (Adver_Timer).
    Advert,
    /// MASTER: the delayed second gratuitous burst (`garp_master_delay`).
    GarpMasterDelay,
    /// MASTER: the earliest pending `garp_lower_prio_delay` burst.
    GarpLowerPrio,
}

/// One VRRP instance's state machine.
#[derive(Debug, Clone)]
pub struct Instance {
    p: InstanceParams,
    state: State,
    stopped: bool,
    faulted: bool,
    // keepalived's `wantstate == MASTER`: decides what leaving FAULT does for the owner.
    want_master: bool,
    // Priority 255 unless an owner conflict reduced it.
    base_priority: u8,
    effective_priority: u8,
    // RFC 5798 section 6.1: learned from the master's adverts in BACKUP (v3).
    master_adver_int: Duration,
    // The value keepalived keeps in `ms_down_timer`; the MasterDown deadline is
    // armed from it whenever an advert is processed.
    ms_down_timer: Duration,
    // keepalived's `sands`: MasterDown in BACKUP, Advert in MASTER.
    sands: Option<Instant>,
    preempt_time: Option<Instant>,
    master_addr: Option<IpAddr>,
    master_priority: u8,
    vips_set: bool,
    garp_delay_at: Option<Instant>,
    garp_lower_prio_at: Vec<Instant>,
    garp_refresh_due: Option<Instant>,
    // Next `garp_extra_if` round.
    garp_extra_due: Option<Instant>,
    // End of `vrrp_startup_delay`: BACKUP timers count from here until then.
    startup_until: Option<Instant>,
    // The sync group holds the instance in FAULT.
    group_fault: bool,
    // A member of a sync group: taking over needs the group's agreement.
    synced: bool,
    // Waiting silently in FAULT for a weight-0 script's first result.
    held: bool,
}

impl Instance {
    /// Starts an instance at `now` (RFC 3768/5798 section 6.4.1, keepalived's
    /// `vrrp_init_state`). `params` are normalized first.
    pub fn new(params: InstanceParams, now: Instant) -> (Instance, Vec<Action>) {
        let mut inst = Instance::init(params, now);
        let mut out = Vec::new();
        inst.initial_priority(&mut out);
        if !(inst.want_master && inst.is_owner() && !inst.faulted) {
            // keepalived clears any VIPs a previous run may have left behind
            // before entering BACKUP or FAULT at start-up ("removing VIPs.").
            out.push(Action::RemoveVips { accept: inst.accept() });
        }
        if inst.held {
            // keepalived waits for the script's first result without a word.
            inst.state = State::Fault;
        } else if inst.faulted {
            inst.state = State::Fault;
            inst.log(&mut out, LogKind::EnteringFaultInit);
            out.push(Action::Transition { from: State::Init, to: State::Fault });
        } else if inst.want_master && inst.is_owner() {
            // "The simplest way to become master is to time out from the
            // backup state very quickly": no BACKUP log or notification.
            inst.state = State::Backup;
            inst.ms_down_timer = OWNER_START_DELAY;
            inst.sands = Some(inst.backup_deadline(now));
        } else {
            inst.state = State::Backup;
            inst.log(&mut out, LogKind::EnteringBackupInit);
            out.push(Action::Transition { from: State::Init, to: State::Backup });
            inst.sands = Some(inst.backup_deadline(now));
        }
        (inst, out)
    }

    /// A MASTER that continues across a reload: an instance whose
    /// configuration changed while it was MASTER, on the same interface,
    /// resumes as MASTER at `now` instead of starting over in BACKUP, as
    /// keepalived keeps an instance's state across a reload. It advertises at
    /// once, without a gap, and (re-)adds its VIPs and announces them; there
    /// is no state change to report or log (it was MASTER already), and no
    /// start-up delay. An instance that starts in FAULT (`params.start_in_fault`)
    /// starts as [`Instance::new`] does.
    pub fn resume_master(params: InstanceParams, now: Instant) -> (Instance, Vec<Action>) {
        if params.start_in_fault || params.start_held {
            return Instance::new(params, now);
        }
        let mut params = params;
        params.startup_delay = Duration::ZERO;
        let mut inst = Instance::init(params, now);
        let mut out = Vec::new();
        inst.resumed_priority();
        inst.state = State::Backup;
        inst.take_over(now, false, &mut out);
        (inst, out)
    }

    /// The instance before its first state: not started, timers unset.
    fn init(params: InstanceParams, now: Instant) -> Instance {
        let p = params.normalized();
        let priority = p.priority;
        let mut inst = Instance {
            want_master: p.initial_state == InitialState::Master,
            base_priority: priority,
            effective_priority: priority,
            master_adver_int: p.advert_interval,
            ms_down_timer: Duration::ZERO,
            state: State::Init,
            stopped: false,
            faulted: p.start_in_fault,
            sands: None,
            preempt_time: None,
            master_addr: None,
            master_priority: 0,
            vips_set: false,
            garp_delay_at: None,
            garp_lower_prio_at: Vec::new(),
            garp_refresh_due: None,
            garp_extra_due: None,
            startup_until: if p.startup_delay.is_zero() { None } else { Some(now + p.startup_delay) },
            group_fault: false,
            synced: p.synced,
            held: p.start_held && !p.start_in_fault,
            p,
        };
        inst.faulted |= inst.held;
        inst.ms_down_timer = inst.down_interval();
        inst
    }

    /// keepalived's `initialise_tracking_priorities`: the trackers' total
    /// adjustment at start-up, logged before the first state.
    fn initial_priority(&mut self, out: &mut Vec<Action>) {
        if self.p.tracking != 0 {
            self.on_priority(i32::from(self.p.priority).saturating_add(self.p.tracking), out);
        }
    }

    /// The same for an instance resumed across a reload: it had this
    /// priority already, so nothing is logged or reported.
    fn resumed_priority(&mut self) {
        let mut quiet = Vec::new();
        self.initial_priority(&mut quiet);
    }

    /// A BACKUP that continues across a reload: an instance whose
    /// configuration changed while it was BACKUP keeps its Master_Down_Timer
    /// (`down_at`) instead of starting it again, as keepalived keeps an
    /// instance's state across a reload. Nothing is logged or reported.
    /// An instance that starts in FAULT starts as [`Instance::new`] does.
    pub fn resume_backup(params: InstanceParams, now: Instant, down_at: Option<Instant>) -> (Instance, Vec<Action>) {
        if params.start_in_fault || params.start_held {
            return Instance::new(params, now);
        }
        let mut params = params;
        params.startup_delay = Duration::ZERO;
        let mut inst = Instance::init(params, now);
        let out = Vec::new();
        inst.resumed_priority();
        inst.state = State::Backup;
        inst.sands = Some(down_at.unwrap_or_else(|| inst.backup_deadline(now)));
        (inst, out)
    }

    /// Feeds one input that happened at `now`; returns what to do, in order.
    pub fn handle(&mut self, now: Instant, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        if self.stopped {
            return out;
        }
        match input {
            Input::Advert(adv) => self.on_advert(now, &adv, &mut out),
            Input::Timer => self.on_timer(now, &mut out),
            Input::Fault(true) => self.on_down(now, &mut out),
            Input::Fault(false) => self.on_up(now, &mut out),
            Input::Priority(total) => self.on_priority(total, &mut out),
            Input::GroupFault(true) => self.on_group_fault(now, &mut out),
            Input::GroupFault(false) => self.on_group_up(now, &mut out),
            Input::SyncMaster => {
                if self.state == State::Backup {
                    self.take_over(now, true, &mut out);
                }
            }
            Input::SyncBackup => {
                if self.state == State::Master {
                    self.want_master = false;
                    self.leave_master(now, State::Backup, false, &mut out);
                }
            }
            Input::Shutdown { release } => self.on_shutdown(release, &mut out),
        }
        out
    }

    /// The earliest pending deadline, if any.
    pub fn next_deadline(&self) -> Option<Instant> {
        [self.sands, self.garp_delay_at, self.garp_lower_prio_at.iter().copied().min()].into_iter().flatten().min()
    }

    /// One particular deadline.
    pub fn deadline(&self, kind: TimerKind) -> Option<Instant> {
        match kind {
            TimerKind::MasterDown if self.state == State::Backup => self.sands,
            TimerKind::Advert if self.state == State::Master => self.sands,
            TimerKind::GarpMasterDelay => self.garp_delay_at,
            TimerKind::GarpLowerPrio => self.garp_lower_prio_at.iter().copied().min(),
            _ => None,
        }
    }

    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Has `Shutdown` been handled?
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// Priority we advertise (base plus tracking, clamped).
    pub fn effective_priority(&self) -> u8 {
        self.effective_priority
    }

    /// Master_Adver_Interval (v3: learned from the master while BACKUP).
    pub fn master_adver_int(&self) -> Duration {
        self.master_adver_int
    }

    /// Skew_Time for our current priority and Master_Adver_Interval.
    pub fn skew_time(&self) -> Duration {
        skew_time(self.p.version, self.effective_priority, self.master_adver_int)
    }

    /// Master_Down_Interval for our current priority and Master_Adver_Interval.
    pub fn master_down_interval(&self) -> Duration {
        self.down_interval()
    }

    /// When `preempt_delay` ends, if it is running.
    pub fn preempt_until(&self) -> Option<Instant> {
        self.preempt_time
    }

    /// Source address of the last advert accepted from a master.
    pub fn master_address(&self) -> Option<IpAddr> {
        self.master_addr
    }

    /// Priority of the last advert accepted from a master.
    pub(crate) fn master_priority(&self) -> u8 {
        self.master_priority
    }

    /// keepalived's `wantstate == MASTER`: a MASTER, or a BACKUP that timed
    /// out and waits for its sync group.
    pub fn wants_master(&self) -> bool {
        self.state == State::Master || (self.state == State::Backup && self.want_master)
    }

    /// Is the instance in FAULT for a reason of its own (its interface or
    /// a tracker), not only because of its sync group?
    pub fn own_fault(&self) -> bool {
        self.faulted && !self.held
    }

    /// Is the instance waiting for a weight-0 script's first result?
    pub fn held(&self) -> bool {
        self.held
    }

    /// Puts the instance in (or takes it out of) a sync group.
    pub fn set_synced(&mut self, synced: bool) {
        self.synced = synced;
    }

    /// Are the VIPs currently added?
    pub(crate) fn vips_set(&self) -> bool {
        self.vips_set
    }

    /// The normalized parameters the instance runs with.
    pub fn params(&self) -> &InstanceParams {
        &self.p
    }

    /// Our address moved (the interface's primary address changed): adverts
    /// and the equal-priority tie-break use the new one from now on.
    pub(crate) fn set_primary_address(&mut self, a: IpAddr) {
        self.p.primary_address = a;
    }

    fn is_owner(&self) -> bool {
        self.base_priority == PRIO_OWNER
    }

    fn accept(&self) -> bool {
        self.p.accept || self.is_owner()
    }

    fn down_interval(&self) -> Duration {
        master_down_interval(self.p.version, self.p.down_timer_adverts, self.effective_priority, self.master_adver_int)
    }

    /// When a BACKUP's Master_Down_Timer set at `now` expires: keepalived
    /// counts it from the end of `vrrp_startup_delay` while that lasts.
    fn backup_deadline(&self, now: Instant) -> Instant {
        match self.startup_until {
            Some(start) if now < start => start + self.ms_down_timer,
            _ => now + self.ms_down_timer,
        }
    }

    fn log(&self, out: &mut Vec<Action>, kind: LogKind) {
        out.push(Action::Log(LogEvent { instance: self.p.name.clone(), kind }));
    }

    fn gratuitous(&self, out: &mut Vec<Action>, repeat: u32) {
        if !self.vips_set || repeat == 0 || self.p.address_count == 0 {
            return;
        }
        let interval = match self.p.family {
            Family::V4 => self.p.garp.garp_interval,
            Family::V6 => self.p.garp.gna_interval,
        };
        out.push(Action::SendGratuitous { repeat, interval });
    }

    /// Instance-level checks of keepalived's `vrrp_check_packet` (RFC 3768
    /// section 7.1, RFC 5798 section 7.1). `check_addr` asks for the VIP list
    /// comparison, skipped for the known master with `skip_check_adv_addr`.
    fn advert_acceptable(&self, adv: &RxAdvert, check_addr: bool, out: &mut Vec<Action>) -> bool {
        // MUST verify the VRRP version.
        if adv.version != self.p.version {
            let kind = LogKind::WrongVersion { received: adv.version.number(), expected: self.p.version.number() };
            self.log(out, kind);
            return false;
        }
        // RFC 3768 section 7.1: MUST verify that the Adver Interval matches the
        // local one, else discard ("to prevent concurrent VRID running").
        if self.p.version == Version::V2 && adv.adver_int != self.p.advert_interval {
            let kind = LogKind::AdvertIntervalMismatch {
                mine_secs: self.p.advert_interval.as_secs(),
                received_secs: adv.adver_int.as_secs(),
            };
            self.log(out, kind);
            return false;
        }
        if adv.addresses.len() != self.p.vips.len() {
            let kind = LogKind::UnexpectedAddressCount { received: adv.addresses.len(), expected: self.p.vips.len() };
            self.log(out, kind);
            return false;
        }
        // MAY verify that the IP address(es) associated with the VRID are valid.
        if check_addr {
            if let Some(missing) = self.p.vips.iter().find(|vip| !adv.addresses.contains(vip)) {
                self.log(out, LogKind::VipNotInAdvert { vrid: self.p.vrid, address: *missing });
                return false;
            }
        }
        true
    }

    fn on_advert(&mut self, now: Instant, adv: &RxAdvert, out: &mut Vec<Action>) {
        match self.state {
            State::Backup => {
                self.backup_rx(now, adv, out);
                self.sands = Some(self.backup_deadline(now));
            }
            State::Master => {
                let left = self.master_rx(now, adv, out);
                if !left && !self.p.lower_prio_no_advert {
                    // keepalived re-arms the advert timer after every advert
                    // it processed as MASTER, since it has usually just sent one.
                    self.sands = Some(now + self.p.advert_interval);
                }
            }
            // Adverts are ignored while in FAULT or not yet started.
            State::Fault | State::Init => {}
        }
    }

    /// RFC 3768 / RFC 5798 section 6.4.2, keepalived's `vrrp_state_backup`.
    fn backup_rx(&mut self, now: Instant, adv: &RxAdvert, out: &mut Vec<Action>) {
        let check_addr = !self.p.skip_check_adv_addr || self.master_addr != Some(adv.src);
        let mut ignore = !self.advert_acceptable(adv, check_addr, out);
        if ignore {
            // fall through to the timer adjustment below
        } else if adv.priority == PRIO_STOP {
            // The master is stopping: take over after Skew_Time only.
            self.log(out, LogKind::BackupReceivedPriorityZero);
            self.ms_down_timer = self.skew_time();
        } else if self.p.nopreempt
            || adv.priority >= self.effective_priority
            || (!self.p.preempt_delay.is_zero() && self.preempt_time.is_none_or(|t| t > now))
        {
            if self.p.version == Version::V3 {
                // RFC 5798 section 6.4.2: set Master_Adver_Interval to the
                // advert's interval and recompute the timers from it.
                let learned = adv.adver_int.clamp(MIN_V3_INTERVAL, MAX_V3_INTERVAL);
                if learned != self.master_adver_int {
                    self.log(out, LogKind::AdvertIntervalUpdated { from: self.master_adver_int, to: learned });
                    self.master_adver_int = learned;
                }
            }
            self.ms_down_timer = self.down_interval();
            self.master_addr = Some(adv.src);
            self.master_priority = adv.priority;
            if !self.p.preempt_delay.is_zero() {
                if adv.priority >= self.effective_priority {
                    if self.preempt_time.take().is_some() {
                        self.log(out, LogKind::StopPreemptDelay);
                    }
                } else if self.preempt_time.is_none() {
                    self.log(out, LogKind::StartPreemptDelay { delay: self.p.preempt_delay });
                    self.preempt_time = Some(now + self.p.preempt_delay);
                }
            }
            self.want_master = false;
        } else {
            // Preemption: let the Master_Down_Timer run out.
            self.log(out, LogKind::BackupDiscardingLowerPriority { priority: adv.priority, from: adv.src });
            ignore = true;
            self.master_addr = Some(adv.src);
        }
        if ignore {
            // Keep the current deadline: re-arming from `now` must land on it.
            self.ms_down_timer = self.sands.map_or(Duration::ZERO, |s| s.saturating_duration_since(now));
        }
    }

    /// RFC 3768 / RFC 5798 section 6.4.3, keepalived's `vrrp_state_master_rx`.
    /// Returns true when the instance left MASTER.
    fn master_rx(&mut self, now: Instant, adv: &RxAdvert, out: &mut Vec<Action>) -> bool {
        if !self.advert_acceptable(adv, true, out) {
            return false;
        }
        let addr_cmp = self.compare_with_our_address(adv.src);
        let ours = self.effective_priority;
        let sender_wins = adv.priority > ours || (adv.priority == ours && addr_cmp == Ordering::Greater);
        if adv.priority == PRIO_STOP || (self.p.higher_prio_send_advert && sender_wins) {
            // Answer a stopping router at once so backups see a live master;
            // with higher_prio_send_advert, make the winner re-send its GARPs.
            out.push(Action::SendAdvert { priority: ours });
            if adv.priority == PRIO_STOP {
                self.log(out, LogKind::MasterReceivedPriorityZero);
                return false;
            }
        }
        if adv.priority == ours {
            if addr_cmp == Ordering::Equal {
                self.log(out, LogKind::EqualPriorityOwnAddress);
            } else if ours == PRIO_OWNER {
                self.log(out, LogKind::OwnerConflict);
                self.effective_priority = PRIO_OWNER - 1;
                self.base_priority = PRIO_OWNER - 1;
            }
        }
        let ours = self.effective_priority;
        if adv.priority < ours || (adv.priority == ours && addr_cmp == Ordering::Less) {
            // RFC 3768 section 6.4.3 says discard; keepalived (and RFC 9568)
            // re-asserts itself with an advert to force a new election.
            let forcing_election = !self.p.lower_prio_no_advert;
            let kind =
                LogKind::MasterReceivedLowerPriority { from: adv.src, priority: adv.priority, ours, forcing_election };
            self.log(out, kind);
            if forcing_election {
                out.push(Action::SendAdvert { priority: ours });
            }
            if self.p.garp.lower_prio_repeat > 0 {
                self.gratuitous(out, self.p.garp.lower_prio_repeat);
                if !self.p.garp.lower_prio_delay.is_zero() {
                    self.garp_lower_prio_at.push(now + self.p.garp.lower_prio_delay);
                }
            }
            out.push(Action::MasterRxLowerPriority { from: adv.src });
            return false;
        }
        if adv.priority > ours || (adv.priority == ours && addr_cmp == Ordering::Greater) {
            let kind = if adv.priority > ours {
                LogKind::MasterReceivedHigherPriority { from: adv.src, priority: adv.priority, ours }
            } else {
                LogKind::MasterReceivedSamePriorityHigherIp { from: adv.src, priority: adv.priority }
            };
            self.log(out, kind);
            if self.p.version == Version::V3 {
                let learned = adv.adver_int.clamp(MIN_V3_INTERVAL, MAX_V3_INTERVAL);
                if learned != self.master_adver_int {
                    self.log(out, LogKind::AdvertIntervalUpdated { from: self.master_adver_int, to: learned });
                    self.master_adver_int = learned;
                }
            }
            self.master_addr = Some(adv.src);
            self.master_priority = adv.priority;
            self.want_master = false;
            self.leave_master(now, State::Backup, false, out);
            return true;
        }
        false
    }

    /// Equal priority is broken by the primary address (RFC 5798 section
    /// 6.4.3); addresses of different families never compare.
    fn compare_with_our_address(&self, src: IpAddr) -> Ordering {
        match (src, self.p.primary_address) {
            (IpAddr::V4(a), IpAddr::V4(b)) => a.cmp(&b),
            (IpAddr::V6(a), IpAddr::V6(b)) => a.cmp(&b),
            _ => Ordering::Equal,
        }
    }

    fn on_timer(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.sands.is_some_and(|t| t <= now) {
            match self.state {
                State::Backup => {
                    // RFC 3768 / RFC 5798 section 6.4.2: Master_Down_Timer fired.
                    self.log(out, LogKind::ReceiveAdvertTimeout);
                    if self.synced {
                        // keepalived's `vrrp_sync_can_goto_master`: want
                        // MASTER, wait a full Master_Down_Interval again
                        // unless the group agrees at once.
                        self.want_master = true;
                        self.ms_down_timer = self.down_interval();
                        self.sands = Some(now + self.ms_down_timer);
                        out.push(Action::SyncWantMaster);
                    } else {
                        self.goto_master(now, out);
                    }
                }
                State::Master => {
                    if self.timer_expired_backup(now, out) {
                        return;
                    }
                    // RFC 3768 / RFC 5798 section 6.4.3: Adver_Timer fired.
                    self.master_tx(now, out);
                    self.sands = Some(now + self.p.advert_interval);
                }
                State::Fault | State::Init => self.sands = None,
            }
        }
        if self.garp_delay_at.is_some_and(|t| t <= now) {
            self.garp_delay_at = None;
            self.gratuitous(out, self.p.garp.master_repeat);
        }
        let before = self.garp_lower_prio_at.len();
        self.garp_lower_prio_at.retain(|t| *t > now);
        for _ in self.garp_lower_prio_at.len()..before {
            self.gratuitous(out, self.p.garp.lower_prio_repeat);
        }
    }

    /// Transition to MASTER (RFC 3768 / RFC 5798 section 6.4.1/6.4.2):
    /// advert first, so the old master drops the VIPs before our GARPs.
    fn goto_master(&mut self, now: Instant, out: &mut Vec<Action>) {
        self.take_over(now, true, out);
    }

    /// What becoming MASTER does; `announce`: the state change is logged and
    /// reported (not when a MASTER resumes after a reload).
    fn take_over(&mut self, now: Instant, announce: bool, out: &mut Vec<Action>) {
        let from = self.state;
        self.state = State::Master;
        self.want_master = true;
        self.sands = Some(now + self.p.advert_interval);
        out.push(Action::SendAdvert { priority: self.effective_priority });
        if announce {
            self.log(out, LogKind::EnteringMaster);
        }
        if self.p.version == Version::V3 && self.master_adver_int != self.p.advert_interval {
            // A master advertises its own configured interval.
            self.log(out, LogKind::AdvertIntervalLocal { from: self.master_adver_int, to: self.p.advert_interval });
        }
        self.master_adver_int = self.p.advert_interval;
        out.push(Action::AddVips { accept: self.accept() });
        self.vips_set = true;
        self.gratuitous(out, self.p.garp.master_repeat);
        if !self.p.garp.master_refresh.is_zero() {
            self.garp_refresh_due = Some(now + self.p.garp.master_refresh);
        }
        if !self.p.garp.extra_if.is_zero() {
            self.garp_extra_due = Some(now + self.p.garp.extra_if);
        }
        if announce {
            out.push(Action::Transition { from, to: State::Master });
        }
        if !self.p.garp.master_delay.is_zero() {
            self.garp_delay_at = Some(now + self.p.garp.master_delay);
        }
    }

    /// `timer_expired_backup`: the last advert went out one interval before
    /// the timer was due; if an instance of the given priority would have
    /// declared us down since, it may be MASTER now: back to BACKUP.
    fn timer_expired_backup(&mut self, now: Instant, out: &mut Vec<Action>) -> bool {
        let (Some(other), true, Some(due)) = (self.p.timer_expired_backup, self.p.nopreempt, self.sands) else {
            return false;
        };
        let last_sent = due.checked_sub(self.p.advert_interval).unwrap_or(due);
        let since_advert = now.saturating_duration_since(last_sent);
        let other_down = master_down_interval(self.p.version, self.p.down_timer_adverts, other, self.p.advert_interval);
        if since_advert < other_down {
            return false;
        }
        self.log(out, LogKind::TimerExpiredBackup { since_advert, other_priority: other });
        self.leave_master(now, State::Backup, false, out);
        true
    }

    /// Periodic advert while MASTER, with the `garp_master_refresh` check.
    fn master_tx(&mut self, now: Instant, out: &mut Vec<Action>) {
        out.push(Action::SendAdvert { priority: self.effective_priority });
        if let Some(due) = self.garp_refresh_due {
            if now > due {
                self.gratuitous(out, self.p.garp.master_refresh_repeat);
                self.garp_refresh_due = Some(now + self.p.garp.master_refresh);
            }
        }
        if self.garp_extra_due.is_some_and(|due| now >= due) {
            out.push(Action::SendExtraGratuitous);
            self.garp_extra_due = Some(now + self.p.garp.extra_if);
        }
    }

    /// Leaves MASTER for BACKUP or FAULT (keepalived's `vrrp_state_leave_master`).
    fn leave_master(&mut self, now: Instant, to: State, send_stop: bool, out: &mut Vec<Action>) {
        if to == State::Backup {
            self.log(out, LogKind::EnteringBackup);
            self.preempt_time = None;
        } else {
            self.log(out, LogKind::EnteringFault);
            out.push(Action::SendAdvert { priority: PRIO_STOP });
        }
        self.restore_interface(send_stop, out);
        self.state = to;
        out.push(Action::Transition { from: State::Master, to });
        self.ms_down_timer = self.down_interval();
        self.sands = if to == State::Backup { Some(self.backup_deadline(now)) } else { None };
    }

    /// Drops everything MASTER owns; optionally tells the others we stop.
    fn restore_interface(&mut self, send_stop: bool, out: &mut Vec<Action>) {
        if send_stop {
            out.push(Action::SendAdvert { priority: PRIO_STOP });
            self.log(out, LogKind::SentPriorityZero);
        }
        self.garp_delay_at = None;
        self.garp_lower_prio_at.clear();
        self.garp_refresh_due = None;
        self.garp_extra_due = None;
        if self.vips_set {
            out.push(Action::RemoveVips { accept: self.accept() });
            self.vips_set = false;
        }
    }

    fn in_fault(&self) -> bool {
        self.faulted || self.group_fault
    }

    fn on_down(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.held {
            // The script the instance waited for failed: FAULT is reported
            // (notifies) without a log line, as keepalived does.
            self.held = false;
            out.push(Action::Transition { from: State::Init, to: State::Fault });
            return;
        }
        if self.faulted {
            return;
        }
        let was = self.in_fault();
        self.faulted = true;
        if !was {
            self.enter_fault(now, true, out);
        }
    }

    fn on_group_fault(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.group_fault {
            return;
        }
        let was = self.in_fault();
        self.group_fault = true;
        if !was {
            self.enter_fault(now, false, out);
        }
    }

    /// Enters FAULT; `send_stop`: a MASTER says goodbye twice (its own
    /// fault) rather than once (its group's).
    fn enter_fault(&mut self, now: Instant, send_stop: bool, out: &mut Vec<Action>) {
        self.want_master = false;
        match self.state {
            State::Master => self.leave_master(now, State::Fault, send_stop, out),
            State::Backup | State::Init => {
                let from = self.state;
                self.log(out, LogKind::EnteringFault);
                self.state = State::Fault;
                out.push(Action::Transition { from, to: State::Fault });
                self.master_adver_int = self.p.advert_interval;
                self.ms_down_timer = self.down_interval();
                self.sands = None;
            }
            State::Fault => {}
        }
    }

    fn on_up(&mut self, now: Instant, out: &mut Vec<Action>) {
        if !self.faulted {
            return;
        }
        self.faulted = false;
        self.held = false;
        self.leave_fault(now, out);
    }

    fn on_group_up(&mut self, now: Instant, out: &mut Vec<Action>) {
        if !self.group_fault {
            return;
        }
        self.group_fault = false;
        self.leave_fault(now, out);
    }

    fn leave_fault(&mut self, now: Instant, out: &mut Vec<Action>) {
        if self.in_fault() || self.state != State::Fault {
            return;
        }
        self.master_adver_int = self.p.advert_interval;
        if self.want_master && self.is_owner() {
            // Only an owner that started in FAULT keeps wanting MASTER.
            self.goto_master(now, out);
            return;
        }
        self.want_master = false;
        self.log(out, LogKind::EnteringBackup);
        self.state = State::Backup;
        out.push(Action::Transition { from: State::Fault, to: State::Backup });
        self.preempt_time = None;
        self.ms_down_timer = self.down_interval();
        self.sands = Some(self.backup_deadline(now));
    }

    /// keepalived's `vrrp_set_effective_priority`: a BACKUP's running
    /// Master_Down_Timer moves by the change of Skew_Time, either way.
    fn on_priority(&mut self, total: i32, out: &mut Vec<Action>) {
        if self.is_owner() {
            // The owner's priority cannot be changed by tracking.
            return;
        }
        let new = u8::try_from(total.clamp(1, i32::from(PRIO_OWNER - 1))).unwrap_or(PRIO_OWNER - 1);
        if new == self.effective_priority {
            return;
        }
        self.log(out, LogKind::ChangingPriority { from: self.effective_priority, to: new });
        self.effective_priority = new;
        let old_down = self.ms_down_timer;
        self.ms_down_timer = self.down_interval();
        if self.state == State::Backup {
            self.sands = self.sands.map(|s| {
                if old_down < self.ms_down_timer {
                    s + (self.ms_down_timer - old_down)
                } else {
                    s.checked_sub(old_down - self.ms_down_timer).unwrap_or(s)
                }
            });
        }
        out.push(Action::PriorityChanged { priority: new });
    }

    fn on_shutdown(&mut self, release: bool, out: &mut Vec<Action>) {
        if self.state == State::Master && release {
            // RFC 3768 / RFC 5798 section 6.4.3 Shutdown event.
            self.restore_interface(true, out);
        }
        self.garp_delay_at = None;
        self.garp_lower_prio_at.clear();
        self.sands = None;
        self.stopped = true;
        out.push(Action::Stopped);
    }
}
