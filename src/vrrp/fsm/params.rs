//! The state machine's own view of one `vrrp_instance`. The runtime fills it
//! from the config model; [`InstanceParams::normalized`] applies the
//! adjustments keepalived makes after parsing (the config layer prints the
//! matching warnings).

use std::net::IpAddr;
use std::time::Duration;

use crate::vrrp::timer::{Version, normalize_advert_interval};

/// keepalived's upper bound for `preempt_delay` (TIMER_MAX_SEC).
const MAX_PREEMPT_DELAY: Duration = Duration::from_secs(1000);
/// Upper bound for the GARP and start-up delays; far beyond any sane config,
/// it keeps `now + delay` from ever overflowing an `Instant`.
const MAX_DELAY: Duration = Duration::from_secs(24 * 3600);

/// The configured `state` keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InitialState {
    /// `state MASTER`: only the address owner (priority 255) takes over at once;
    /// anyone else starts in BACKUP and takes over after Master_Down_Interval.
    Master,
    /// `state BACKUP` (the default).
    Backup,
}

/// Address family of the instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4: gratuitous ARP.
    V4,
    /// IPv6: unsolicited neighbour advertisements.
    V6,
}

/// Gratuitous ARP / unsolicited NA settings (`vrrp_garp_*`, `garp_master_*`,
/// `garp_lower_prio_*`, `vrrp_garp_interval`, `vrrp_gna_interval`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarpParams {
    /// `garp_master_delay`: second burst this long after becoming MASTER; zero for none (default 5 s).
    pub master_delay: Duration,
    /// `garp_master_repeat`: messages per address in each burst (default 5).
    pub master_repeat: u32,
    /// `garp_master_refresh`: re-announce while MASTER at least this often; zero for never (default).
    pub master_refresh: Duration,
    /// `garp_master_refresh_repeat`: messages per address per refresh (default 1).
    pub master_refresh_repeat: u32,
    /// `garp_lower_prio_delay`: second burst after a lower-priority advert; zero for none.
    pub lower_prio_delay: Duration,
    /// `garp_lower_prio_repeat`: burst when a MASTER hears a lower-priority advert; zero for none.
    pub lower_prio_repeat: u32,
    /// `vrrp_garp_interval`: gap between gratuitous ARPs on one interface.
    pub garp_interval: Duration,
    /// `vrrp_gna_interval`: gap between unsolicited NAs on one interface.
    pub gna_interval: Duration,
    /// `garp_extra_if`: while MASTER, one message per extra interface this
    /// often (checked as adverts go out); zero for never (default).
    pub extra_if: Duration,
}

impl Default for GarpParams {
    fn default() -> Self {
        GarpParams {
            master_delay: Duration::from_secs(5),
            master_repeat: 5,
            master_refresh: Duration::ZERO,
            master_refresh_repeat: 1,
            lower_prio_delay: Duration::from_secs(5),
            lower_prio_repeat: 5,
            garp_interval: Duration::ZERO,
            gna_interval: Duration::ZERO,
            extra_if: Duration::ZERO,
        }
    }
}

/// Everything the state machine needs to know about one instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceParams {
    /// `vrrp_instance` name, used in every log line.
    pub name: String,
    /// `virtual_router_id`.
    pub vrid: u8,
    /// `version` / `vrrp_version`.
    pub version: Version,
    /// Address family of the instance.
    pub family: Family,
    /// `state`.
    pub initial_state: InitialState,
    /// `priority` (1..=255; 255 is the address owner).
    pub priority: u8,
    /// `advert_int` (v2 whole seconds, v3 centiseconds; rounded by `normalized`).
    pub advert_interval: Duration,
    /// `nopreempt`.
    pub nopreempt: bool,
    /// `timer_expired_backup [P]` (with `nopreempt`): a MASTER whose advert
    /// timer fires later than an instance of priority P would wait before
    /// taking over goes back to BACKUP instead of advertising.
    pub timer_expired_backup: Option<u8>,
    /// `preempt_delay`.
    pub preempt_delay: Duration,
    /// `accept` (`no_accept` clears it). The owner always accepts.
    pub accept: bool,
    /// `strict_mode` / `vrrp_strict`.
    pub strict_mode: bool,
    /// `down_timer_adverts` (1..=100, default 3).
    pub down_timer_adverts: u32,
    /// Our primary address on the interface (or `mcast_src_ip`/`unicast_src_ip`):
    /// the source of our adverts and the tie-breaker at equal priority.
    pub primary_address: IpAddr,
    /// The advertised `virtual_ipaddress` list (not the excluded ones), in order.
    pub vips: Vec<IpAddr>,
    /// Total addresses we add when MASTER (VIPs plus eVIPs); gratuitous
    /// messages are only sent when this is non-zero.
    pub address_count: usize,
    /// `skip_check_adv_addr`: don't re-check the VIP list of adverts from the current master.
    pub skip_check_adv_addr: bool,
    /// Gratuitous ARP / NA settings.
    pub garp: GarpParams,
    /// `lower_prio_no_advert` (forced on in strict mode).
    pub lower_prio_no_advert: bool,
    /// `higher_prio_send_advert` (forced off in strict mode).
    pub higher_prio_send_advert: bool,
    /// The interface or a tracked object is already down at start-up.
    pub start_in_fault: bool,
    /// A weight-0 `track_script` has not reported yet: the instance waits
    /// in FAULT without a word (keepalived's `num_script_init`).
    pub start_held: bool,
    /// The trackers' priority adjustment at start-up (keepalived's
    /// `total_priority` minus the base): logged and applied before the
    /// first state; ignored for the address owner.
    pub tracking: i32,
    /// A member of a `vrrp_sync_group`: it takes over only with its group.
    pub synced: bool,
    /// Remaining `vrrp_startup_delay` / `vrrp_delay_after_boot` (the longer)
    /// when the instance starts: BACKUP timers count from its end.
    pub startup_delay: Duration,
}

impl InstanceParams {
    /// keepalived's defaults for an instance called `name`, VRID `vrid`, with
    /// `primary_address` as our address and no VIPs.
    pub fn new(name: impl Into<String>, vrid: u8, primary_address: IpAddr) -> Self {
        let family = if primary_address.is_ipv4() { Family::V4 } else { Family::V6 };
        InstanceParams {
            name: name.into(),
            vrid,
            // IPv6 instances are always VRRPv3.
            version: if family == Family::V6 { Version::V3 } else { Version::V2 },
            family,
            initial_state: InitialState::Backup,
            priority: 100,
            advert_interval: Duration::from_secs(1),
            nopreempt: false,
            timer_expired_backup: None,
            preempt_delay: Duration::ZERO,
            accept: true,
            strict_mode: false,
            down_timer_adverts: 3,
            primary_address,
            vips: Vec::new(),
            address_count: 0,
            skip_check_adv_addr: false,
            garp: GarpParams::default(),
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            start_in_fault: false,
            start_held: false,
            tracking: 0,
            synced: false,
            startup_delay: Duration::ZERO,
        }
    }

    /// Sets the advertised VIPs (and the address count to match).
    pub fn with_vips(mut self, vips: Vec<IpAddr>) -> Self {
        self.address_count = vips.len();
        self.vips = vips;
        self
    }

    /// Is this instance the address owner (priority 255)?
    pub(crate) fn is_owner(&self) -> bool {
        self.priority == 255
    }

    /// The parameters keepalived actually runs with after
    /// `vrrp_complete_instance()`: interval rounding, `nopreempt` and
    /// `preempt_delay` cleared where they cannot work, strict-mode overrides.
    /// [`super::Instance::new`] calls this, so callers need not.
    pub fn normalized(mut self) -> Self {
        if self.priority == 0 {
            // Priority 0 is reserved for "stopping" (RFC 3768 section 5.3.4).
            self.priority = 1;
        }
        self.advert_interval = normalize_advert_interval(self.version, self.advert_interval);
        self.down_timer_adverts = self.down_timer_adverts.clamp(1, 100);
        self.preempt_delay = self.preempt_delay.min(MAX_PREEMPT_DELAY);
        self.startup_delay = self.startup_delay.min(MAX_DELAY);
        for d in [
            &mut self.garp.master_delay,
            &mut self.garp.master_refresh,
            &mut self.garp.lower_prio_delay,
            &mut self.garp.garp_interval,
            &mut self.garp.gna_interval,
        ] {
            *d = (*d).min(MAX_DELAY);
        }
        if self.strict_mode && self.initial_state == InitialState::Master && !self.is_owner() {
            // "State MASTER must match being address owner"
            self.initial_state = InitialState::Backup;
        }
        if self.is_owner() {
            self.nopreempt = false;
        }
        if self.initial_state == InitialState::Master {
            self.nopreempt = false;
            self.preempt_delay = Duration::ZERO;
        }
        if self.strict_mode || self.nopreempt {
            self.preempt_delay = Duration::ZERO;
        }
        if self.strict_mode {
            self.lower_prio_no_advert = true;
            self.higher_prio_send_advert = false;
            self.garp.lower_prio_repeat = 0;
            self.garp.lower_prio_delay = Duration::ZERO;
        }
        self
    }
}
