//! The VRRP side of the configuration: the vrrp global defaults, scripts,
//! track files and processes, sync groups, garp groups and instances.
//!
//! Instance fields hold effective values: defaults are resolved when the
//! model is built and validated (the instance version falls back to the
//! global `vrrp_version`, garp settings to the global `vrrp_garp_*`, the
//! priority to 255 for `state MASTER` without one, ...), so the runtime never
//! re-derives them.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use super::Script;
use super::ipcfg::{IpAddress, IpRoute, IpRule};
use crate::config::ast::Span;
use crate::config::build::Spanned;

/// Everything the VRRP child runs.
#[derive(Clone, Debug, Default)]
pub struct VrrpConfig {
    /// The vrrp keywords of global_defs.
    pub globals: VrrpGlobals,
    /// `vrrp_script` blocks, in configuration order.
    pub scripts: Vec<VrrpScript>,
    /// `track_file` (and deprecated `vrrp_track_file`) blocks.
    pub track_files: Vec<TrackFile>,
    /// `vrrp_track_process` blocks.
    pub track_processes: Vec<TrackProcess>,
    /// `vrrp_sync_group` blocks.
    pub sync_groups: Vec<SyncGroup>,
    /// `garp_group` blocks.
    pub garp_groups: Vec<GarpGroup>,
    /// `vrrp_instance` blocks, in configuration order.
    pub instances: Vec<VrrpInstance>,
    // Which globals were written, to resolve the defaults that follow others.
    pub(crate) globals_written: GlobalsWritten,
    // Interfaces of garp groups dropped while parsing, still checked for existence.
    pub(crate) removed_garp_interfaces: Vec<Spanned<String>>,
}

/// Globals whose default is another global.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GlobalsWritten {
    pub garp_lower_prio_delay: bool,
    pub garp_lower_prio_repeat: bool,
}

impl VrrpConfig {
    /// Whether there is anything for a VRRP process to do.
    pub fn needs_process(&self) -> bool {
        !self.instances.is_empty()
    }

    /// Every script configured in this part: vrrp_script commands (whether
    /// tracked or not, as upstream counts them), notify scripts of instances
    /// and sync groups, and the vrrp notify FIFO script.
    pub fn scripts(&self) -> Vec<&Script> {
        let mut v: Vec<&Script> = self.scripts.iter().filter_map(|s| s.script.as_ref()).collect();
        for sg in &self.sync_groups {
            v.extend(sg.notify.scripts());
        }
        for i in &self.instances {
            v.extend(i.notify.scripts());
        }
        if let Some(s) = &self.globals.notify_fifo_script {
            v.push(s);
        }
        v
    }

    /// The instance called `name`.
    pub fn instance(&self, name: &str) -> Option<&VrrpInstance> {
        self.instances.iter().find(|i| i.name == name)
    }

    /// The vrrp_script called `name`.
    pub fn script(&self, name: &str) -> Option<&VrrpScript> {
        self.scripts.iter().find(|s| s.name == name)
    }
}

/// The `vrrp_*` (and related) keywords of global_defs, with upstream's defaults.
#[derive(Clone, Debug, PartialEq)]
pub struct VrrpGlobals {
    /// `vrrp_version` (default 2).
    pub version: u8,
    /// `vrrp_strict`: RFC compliance (no auth, no unicast, no_accept, ...).
    pub strict: bool,
    /// `vrrp_mcast_group4` (default 224.0.0.18).
    pub mcast_group4: Ipv4Addr,
    /// `vrrp_mcast_group6` (default ff02::12).
    pub mcast_group6: Ipv6Addr,
    /// `default_interface` (default eth0): where static addresses without dev go.
    pub default_interface: String,
    /// `vrrp_garp_master_delay` (default 5s; zero = no second burst).
    pub garp_master_delay: Duration,
    /// `vrrp_garp_master_repeat` (default 5).
    pub garp_master_repeat: u32,
    /// `vrrp_garp_lower_prio_delay` (default: garp_master_delay).
    pub garp_lower_prio_delay: Duration,
    /// `vrrp_garp_lower_prio_repeat` (default: garp_master_repeat).
    pub garp_lower_prio_repeat: u32,
    /// `vrrp_garp_master_refresh` (default none).
    pub garp_master_refresh: Option<Duration>,
    /// `vrrp_garp_master_refresh_repeat` (default 1).
    pub garp_master_refresh_repeat: u32,
    /// `vrrp_garp_interval` (default 0).
    pub garp_interval: Duration,
    /// `vrrp_gna_interval` (default 0).
    pub gna_interval: Duration,
    /// `vrrp_min_garp`: one GARP, no repeat.
    pub min_garp: bool,
    /// `vrrp_garp_extra_if [all] SECS`.
    pub garp_extra_if: Option<GarpExtraIf>,
    /// `vrrp_down_timer_adverts` (default 3).
    pub down_timer_adverts: u32,
    /// `vrrp_lower_prio_no_advert` (default: on when vrrp_strict).
    pub lower_prio_no_advert: Option<bool>,
    /// `vrrp_higher_prio_send_advert`.
    pub higher_prio_send_advert: bool,
    /// `v3_checksum_as_v2`.
    pub v3_checksum_as_v2: bool,
    /// `vrrp_iptables [IN [OUT]]`: chain names.
    pub iptables: Option<(String, Option<String>)>,
    /// `vrrp_ipsets [names...]`.
    pub ipsets: Option<Vec<String>>,
    /// `vrrp_nftables [TABLE]`.
    pub nftables: Option<String>,
    /// `vrrp_check_unicast_src`.
    pub check_unicast_src: bool,
    /// `vrrp_skip_check_adv_addr`.
    pub skip_check_adv_addr: bool,
    /// `vrrp_notify_priority_changes`.
    pub notify_priority_changes: bool,
    /// `vrrp_priority` (nice value).
    pub priority: Option<i32>,
    /// `vrrp_no_swap`.
    pub no_swap: bool,
    /// `vrrp_cpu_affinity`.
    pub cpu_affinity: Vec<u32>,
    /// `vrrp_rt_priority`.
    pub rt_priority: Option<u32>,
    /// `vrrp_rlimit_rttime` (microseconds).
    pub rlimit_rttime: Option<u64>,
    /// `vrrp_process_name`.
    pub process_name: Option<String>,
    /// `vrrp_notify_fifo FIFO [user [group]]`.
    pub notify_fifo: Option<Script>,
    /// `vrrp_notify_fifo_script`.
    pub notify_fifo_script: Option<Script>,
    /// `dynamic_interfaces [allow_if_changes]`.
    pub dynamic_interfaces: Option<bool>,
    /// `vrrp_netlink_cmd_rcv_bufs` and its `_force`.
    pub netlink_cmd_rcv_bufs: Option<u32>,
    pub netlink_cmd_rcv_bufs_force: bool,
    /// `vrrp_netlink_monitor_rcv_bufs` and its `_force`.
    pub netlink_monitor_rcv_bufs: Option<u32>,
    pub netlink_monitor_rcv_bufs_force: bool,
    /// `vrrp_rx_bufs_policy MTU|ADVERT|NUMBER`.
    pub rx_bufs_policy: Option<String>,
    /// `vrrp_rx_bufs_multiplier` (default 3).
    pub rx_bufs_multiplier: u32,
    /// `vrrp_startup_delay`.
    pub startup_delay: Option<Duration>,
    /// `vrrp_delay_after_boot`.
    pub delay_after_boot: Option<Duration>,
    /// `log_unknown_vrids`.
    pub log_unknown_vrids: bool,
    /// `vmac_prefix`, `vmac_addr_prefix`.
    pub vmac_prefix: Option<String>,
    pub vmac_addr_prefix: Option<String>,
    /// `max_auto_priority [-1..99]`.
    pub max_auto_priority: Option<i32>,
    /// `min_auto_priority_delay` (microseconds).
    pub min_auto_priority_delay: Option<u64>,
}

impl Default for VrrpGlobals {
    fn default() -> Self {
        VrrpGlobals {
            version: 2,
            strict: false,
            mcast_group4: Ipv4Addr::new(224, 0, 0, 18),
            mcast_group6: Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0x12),
            default_interface: "eth0".into(),
            garp_master_delay: Duration::from_secs(5),
            garp_master_repeat: 5,
            garp_lower_prio_delay: Duration::from_secs(5),
            garp_lower_prio_repeat: 5,
            garp_master_refresh: None,
            garp_master_refresh_repeat: 1,
            garp_interval: Duration::ZERO,
            gna_interval: Duration::ZERO,
            min_garp: false,
            garp_extra_if: None,
            down_timer_adverts: 3,
            lower_prio_no_advert: None,
            higher_prio_send_advert: false,
            v3_checksum_as_v2: false,
            iptables: None,
            ipsets: None,
            nftables: None,
            check_unicast_src: false,
            skip_check_adv_addr: false,
            notify_priority_changes: false,
            priority: None,
            no_swap: false,
            cpu_affinity: Vec::new(),
            rt_priority: None,
            rlimit_rttime: None,
            process_name: None,
            notify_fifo: None,
            notify_fifo_script: None,
            dynamic_interfaces: None,
            netlink_cmd_rcv_bufs: None,
            netlink_cmd_rcv_bufs_force: false,
            netlink_monitor_rcv_bufs: None,
            netlink_monitor_rcv_bufs_force: false,
            rx_bufs_policy: None,
            rx_bufs_multiplier: 3,
            startup_delay: None,
            delay_after_boot: None,
            log_unknown_vrids: false,
            vmac_prefix: None,
            vmac_addr_prefix: None,
            max_auto_priority: None,
            min_auto_priority_delay: None,
        }
    }
}

/// `garp_extra_if [all] SECS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GarpExtraIf {
    pub interval: Duration,
    /// `all`: every interface of the instance, not only VMACs.
    pub all: bool,
}

/// `vrrp_script NAME { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VrrpScript {
    pub name: String,
    pub span: Span,
    /// `script`; `None` makes the block invalid (removed with upstream's message).
    pub script: Option<Script>,
    /// `interval` (default 1s).
    pub interval: Duration,
    /// `timeout` (default: interval).
    pub timeout: Duration,
    /// `weight` -253..253 (default 0).
    pub weight: i32,
    /// `weight ... reverse`.
    pub weight_reverse: bool,
    /// `rise` (default 1).
    pub rise: u32,
    /// `fall` (default 1).
    pub fall: u32,
    /// `init_fail`.
    pub init_fail: bool,
    /// The closing brace of the block (keepalived reports a script it
    /// removes there).
    pub end: Span,
    /// The `user` line, and whether the command was known when it was read
    /// (keepalived names the command so far when the user does not exist).
    pub user_line: Option<(Span, bool)>,
}

impl VrrpScript {
    pub fn new(name: String, span: Span) -> Self {
        VrrpScript {
            name,
            span,
            end: span,
            user_line: None,
            script: None,
            interval: Duration::from_secs(1),
            timeout: Duration::ZERO,
            weight: 0,
            weight_reverse: false,
            rise: 1,
            fall: 1,
            init_fail: false,
        }
    }
}

/// `track_file NAME { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackFile {
    pub name: String,
    pub span: Span,
    /// `file`.
    pub file: Option<String>,
    /// `weight` (default 1).
    pub weight: i32,
    pub weight_reverse: bool,
    /// `init_file [VALUE] [overwrite]`.
    pub init_file: Option<(i64, bool)>,
}

/// How `vrrp_track_process` compares parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamMatch {
    /// Parameters must match exactly (the default when parameters are given).
    Exact,
    /// The configured parameters are a prefix of the process's.
    Partial,
    /// Like partial, and the last parameter may be longer.
    Initial,
}

/// `vrrp_track_process NAME { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackProcess {
    pub name: String,
    pub span: Span,
    /// `process NAME [PARAMS...]`.
    pub process: Option<Vec<String>>,
    pub param_match: Option<ParamMatch>,
    /// `weight` -254..254 (default 0).
    pub weight: i32,
    pub weight_reverse: bool,
    /// `quorum` (default 1).
    pub quorum: u32,
    /// `quorum_max` (default unlimited).
    pub quorum_max: Option<u32>,
    pub fork_delay: Duration,
    pub terminate_delay: Duration,
    pub full_command: bool,
}

/// Whether a tracker's weight adjustment is reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Reverse {
    /// Not written: use the tracked object's default.
    #[default]
    Default,
    Reverse,
    NoReverse,
}

/// One line of a `track_interface`, `track_script`, `track_file`,
/// `track_process` or `track_bfd` list: the name, its optional weight.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tracked {
    pub name: Spanned<String>,
    /// `weight N`; `None` uses the tracked object's default weight.
    pub weight: Option<i32>,
    pub reverse: Reverse,
}

/// The trackers of an instance or sync group.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Tracking {
    pub interfaces: Vec<Tracked>,
    pub scripts: Vec<Tracked>,
    pub files: Vec<Tracked>,
    pub processes: Vec<Tracked>,
    pub bfds: Vec<Tracked>,
    // Names defined before a sync group, to resolve its references while parsing.
    pub(crate) known_scripts: Vec<String>,
    pub(crate) known_files: Vec<String>,
    pub(crate) known_processes: Vec<String>,
    pub(crate) known_bfds: Vec<String>,
}

impl Tracking {
    pub fn is_empty(&self) -> bool {
        self.interfaces.is_empty()
            && self.scripts.is_empty()
            && self.files.is_empty()
            && self.processes.is_empty()
            && self.bfds.is_empty()
    }
}

/// Notify scripts and alert settings of an instance or sync group.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Notify {
    pub master: Option<Script>,
    pub backup: Option<Script>,
    pub fault: Option<Script>,
    pub stop: Option<Script>,
    /// `notify_deleted [script]`: `Some(None)` sends DELETED without a script.
    pub deleted: Option<Option<Script>>,
    pub master_rx_lower_pri: Option<Script>,
    /// `notify`: called for every transition with the state appended.
    pub any: Option<Script>,
    pub priority_changes: Option<bool>,
    pub smtp_alert: Option<bool>,
}

impl Notify {
    pub fn scripts(&self) -> impl Iterator<Item = &Script> {
        [&self.master, &self.backup, &self.fault, &self.stop, &self.master_rx_lower_pri, &self.any]
            .into_iter()
            .flatten()
            .chain(self.deleted.iter().flatten())
    }
}

/// `vrrp_sync_group NAME { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncGroup {
    pub name: String,
    pub span: Span,
    /// `group { ... }`: instance names (only existing instances after validation).
    pub members: Vec<Spanned<String>>,
    pub tracking: Tracking,
    pub notify: Notify,
    /// Deprecated `global_tracking`.
    pub global_tracking: bool,
    pub sync_group_tracking_weight: bool,
}

/// `garp_group { ... }`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct GarpGroup {
    pub span: Span,
    pub garp_interval: Option<Duration>,
    pub gna_interval: Option<Duration>,
    pub interface: Option<Spanned<String>>,
    pub interfaces: Vec<Spanned<String>>,
}

/// `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum InitialState {
    Master,
    #[default]
    Backup,
}

/// VRRP authentication (RFC 2338 section 5.3.6; removed from v2 by RFC 3768).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    /// `auth_type PASS`: the password, at most 8 bytes.
    Pass(Vec<u8>),
    /// `auth_type AH` with its password (at most 8 bytes) as the HMAC key.
    Ah(Vec<u8>),
}

/// `auth_hmac` anti-replay mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AntiReplay {
    #[default]
    Time,
    Monotonic,
}

/// `auth_hmac` rollout mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HmacMode {
    #[default]
    Enforce,
    Permissive,
    ReceiveOnly,
}

/// A key of `auth_hmac`.
#[derive(Clone, PartialEq, Eq)]
pub struct HmacKey {
    pub id: u8,
    /// The key bytes (from hex:, file: or the ASCII value).
    pub key: Vec<u8>,
    pub span: Span,
}

impl std::fmt::Debug for HmacKey {
    // Keep secrets out of debug output and dumps.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HmacKey {{ id: {}, len: {} }}", self.id, self.key.len())
    }
}

/// `auth_hmac { ... }`: keepalived-rs's HMAC-SHA256 advert authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthHmac {
    pub keys: Vec<HmacKey>,
    /// `active_key` (default: the first key).
    pub active_key: u8,
    pub anti_replay: AntiReplay,
    /// `time_window` (default max(3 x advert_int, 5s)).
    pub time_window: Duration,
    pub mode: HmacMode,
    pub span: Span,
}

/// One `unicast_peer` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnicastPeer {
    pub addr: IpAddr,
    pub min_ttl: Option<u8>,
    pub max_ttl: Option<u8>,
    pub span: Span,
}

/// `use_vmac [[name] NAME] [MAC] [netlink_notify_msg] [group GROUP]`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UseVmac {
    pub name: Option<String>,
    /// 5 or 6 octets; with 5, the VRID is the last octet.
    pub mac: Option<Vec<u8>>,
    pub netlink_notify_msg: bool,
    pub group: Option<String>,
}

/// `use_ipvlan [[name] NAME] [IP/LEN] [bridge|private|vepa] [group GROUP]`.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct UseIpvlan {
    pub name: Option<String>,
    pub addr: Option<String>,
    pub mode: Option<String>,
    pub group: Option<String>,
}

/// The GARP/NA settings of an instance (defaults from the globals).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GarpSettings {
    pub master_delay: Duration,
    pub master_repeat: u32,
    pub lower_prio_delay: Duration,
    pub lower_prio_repeat: u32,
    pub master_refresh: Option<Duration>,
    pub master_refresh_repeat: u32,
    pub extra_if: Option<GarpExtraIf>,
}

/// `vrrp_instance NAME { ... }` with effective values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VrrpInstance {
    pub name: String,
    pub span: Span,
    /// `interface`; `None` only for unicast instances without one.
    pub interface: Option<Spanned<String>>,
    /// `vrf` (unicast without interface).
    pub vrf: Option<String>,
    /// Where `vrf` and `use_vmac` were written.
    pub vrf_span: Option<Span>,
    pub use_vmac_span: Option<Span>,
    /// `virtual_router_id` 1..255 (0 only while invalid: such a config is fatal).
    pub vrid: u8,
    /// `priority` 1..255; 255 = address owner. Defaults to 255 for
    /// `state MASTER` without a priority (upstream's rule), 100 otherwise.
    pub priority: u8,
    /// Whether `priority` was written.
    pub priority_given: bool,
    /// `advert_int`: v2 whole seconds, v3 in 10 ms units (RFC 5798 section 5.2.7).
    pub advert_interval: Duration,
    /// Effective VRRP version (2 or 3): instance `version`, else global
    /// `vrrp_version`; IPv6 instances always 3.
    pub version: u8,
    /// Whether the instance runs over IPv6 (decided by its first VIP).
    pub ipv6: bool,
    pub state: InitialState,
    /// `nopreempt` (cleared when the initial state is MASTER).
    pub nopreempt: bool,
    /// `preempt_delay` 0..1000 s (cleared when the initial state is MASTER).
    pub preempt_delay: Duration,
    /// Effective accept mode (`accept`/`no_accept`; strict mode implies no_accept).
    pub accept: bool,
    /// Effective strict mode (`strict_mode`, else global vrrp_strict).
    pub strict: bool,
    pub auth: Option<Auth>,
    pub auth_hmac: Option<AuthHmac>,
    pub vips: Vec<IpAddress>,
    pub evips: Vec<IpAddress>,
    pub no_virtual_ipaddress: bool,
    pub routes: Vec<IpRoute>,
    pub rules: Vec<IpRule>,
    pub unicast_src_ip: Option<Spanned<IpAddr>>,
    pub unicast_peers: Vec<UnicastPeer>,
    pub unicast_ttl: Option<u8>,
    pub unicast_fault_no_peer: bool,
    pub check_unicast_src: bool,
    pub mcast_src_ip: Option<Spanned<IpAddr>>,
    /// `mcast_dst_ip`, else the global group for the family.
    pub mcast_dst_ip: IpAddr,
    pub track_src_ip: bool,
    pub garp: GarpSettings,
    pub down_timer_adverts: u32,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub skip_check_adv_addr: bool,
    pub v3_checksum_as_v2: bool,
    pub old_unicast_checksum: Option<bool>,
    pub timer_expired_backup: Option<u8>,
    pub use_vmac: Option<UseVmac>,
    pub use_vmac_addr: bool,
    pub vmac_xmit_base: bool,
    pub use_ipvlan: Option<UseIpvlan>,
    pub dont_track_primary: bool,
    pub tracking: Tracking,
    pub notify: Notify,
    pub promote_secondaries: bool,
    pub kernel_rx_buf_size: Option<u32>,
    pub linkbeat_use_polling: bool,
    pub native_ipv6: bool,
    pub debug: Option<u8>,
    /// Deprecated `lvs_sync_daemon_interface`.
    pub lvs_sync_daemon_interface: Option<String>,
    /// The sync group it belongs to (filled by validation).
    pub sync_group: Option<String>,
    // What was written, to resolve defaults during validation.
    pub(crate) written: Written,
}

/// Values as written, before defaults and rules are applied.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Written {
    pub version: Option<u8>,
    pub advert_int: Option<Duration>,
    pub accept: Option<bool>,
    pub strict: Option<bool>,
    pub garp_master_delay: Option<Duration>,
    pub garp_master_repeat: Option<u32>,
    pub garp_lower_prio_delay: Option<Duration>,
    pub garp_lower_prio_repeat: Option<u32>,
    pub garp_master_refresh: Option<Duration>,
    pub garp_master_refresh_repeat: Option<u32>,
    pub garp_extra_if: Option<GarpExtraIf>,
    pub down_timer_adverts: Option<u32>,
    pub lower_prio_no_advert: Option<bool>,
    pub higher_prio_send_advert: Option<bool>,
    pub skip_check_adv_addr: Option<bool>,
    pub v3_checksum_as_v2: Option<bool>,
    pub mcast_dst_ip: Option<IpAddr>,
    pub check_unicast_src: bool,
    /// Whether the VRID was written (valid or not).
    pub vrid_given: bool,
    /// Whether a unicast keyword (unicast_peer, unicast_src_ip, unicast_ttl) was written.
    pub unicast_keyword: bool,
}

impl VrrpInstance {
    pub fn new(name: String, span: Span) -> Self {
        VrrpInstance {
            name,
            span,
            interface: None,
            vrf: None,
            vrf_span: None,
            use_vmac_span: None,
            vrid: 0,
            priority: 100,
            priority_given: false,
            advert_interval: Duration::from_secs(1),
            version: 2,
            ipv6: false,
            state: InitialState::Backup,
            nopreempt: false,
            preempt_delay: Duration::ZERO,
            accept: true,
            strict: false,
            auth: None,
            auth_hmac: None,
            vips: Vec::new(),
            evips: Vec::new(),
            no_virtual_ipaddress: false,
            routes: Vec::new(),
            rules: Vec::new(),
            unicast_src_ip: None,
            unicast_peers: Vec::new(),
            unicast_ttl: None,
            unicast_fault_no_peer: false,
            check_unicast_src: false,
            mcast_src_ip: None,
            mcast_dst_ip: IpAddr::V4(Ipv4Addr::new(224, 0, 0, 18)),
            track_src_ip: false,
            garp: GarpSettings {
                master_delay: Duration::from_secs(5),
                master_repeat: 5,
                lower_prio_delay: Duration::from_secs(5),
                lower_prio_repeat: 5,
                master_refresh: None,
                master_refresh_repeat: 1,
                extra_if: None,
            },
            down_timer_adverts: 3,
            lower_prio_no_advert: false,
            higher_prio_send_advert: false,
            skip_check_adv_addr: false,
            v3_checksum_as_v2: false,
            old_unicast_checksum: None,
            timer_expired_backup: None,
            use_vmac: None,
            use_vmac_addr: false,
            vmac_xmit_base: false,
            use_ipvlan: None,
            dont_track_primary: false,
            tracking: Tracking::default(),
            notify: Notify::default(),
            promote_secondaries: false,
            kernel_rx_buf_size: None,
            linkbeat_use_polling: false,
            native_ipv6: false,
            debug: None,
            lvs_sync_daemon_interface: None,
            sync_group: None,
            written: Written::default(),
        }
    }

    /// Whether the instance sends adverts by unicast.
    pub fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    /// Whether this router owns the addresses (priority 255, RFC 5798 section 5.2.4).
    pub fn is_address_owner(&self) -> bool {
        self.priority == 255
    }

    /// The interface an address of this instance goes on: its own `dev`,
    /// else the instance's interface (a VMAC, if any, is the runtime's choice).
    pub fn address_interface<'a>(&'a self, a: &'a IpAddress) -> Option<&'a str> {
        a.dev.as_ref().or(self.interface.as_ref()).map(|d| d.value.as_str())
    }
}
