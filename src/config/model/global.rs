//! Global definitions and the top-level global blocks: the namespace and
//! instance keywords before `global_defs`, `global_defs` itself (the keywords
//! the global part owns), `linkbeat_interfaces`, `interface_up_down_delays`,
//! `track_group` and the static address/route/rule blocks.
//!
//! Defaults are the man page's. Values the man page defaults to facts about
//! the machine (router_id and the SMTP HELO name default to the host name)
//! stay `None` here so the model stays pure: the caller fills them in.

use std::net::IpAddr;
use std::time::Duration;

use super::Script;
use super::ipcfg::{IpAddress, IpRoute, IpRule};
use crate::config::ast::Span;
use crate::config::build::Spanned;

/// Upstream's limit on a process name (the kernel's TASK_COMM_LEN - 1).
pub const PROCESS_NAME_MAX: usize = 15;

/// global_defs and the top-level global blocks.
#[derive(Clone, Debug)]
pub struct GlobalConfig {
    // ---- top-level keywords before global_defs ----
    /// `net_namespace NAME`.
    pub net_namespace: Option<Spanned<String>>,
    /// `net_namespace_ipvs [NAME]`: an empty name means the default namespace.
    pub net_namespace_ipvs: Option<Spanned<String>>,
    /// `namespace_with_ipsets`.
    pub namespace_with_ipsets: bool,
    /// `instance NAME`.
    pub instance: Option<Spanned<String>>,
    /// `use_pid_dir`, also implied by `net_namespace` and `instance`.
    pub use_pid_dir: bool,
    /// Top-level `linkbeat_use_polling`.
    pub linkbeat_use_polling: bool,
    /// `child_wait_time SECS` (default 5 s).
    pub child_wait_time: Duration,

    /// Where `global_defs` was written (the first one, if several).
    pub defs_span: Option<Span>,

    // ---- global_defs ----
    /// `tmp_config_directory DIRECTORY`.
    pub tmp_config_directory: Option<Spanned<String>>,
    /// `config_save_dir DIRECTORY`.
    pub config_save_dir: Option<Spanned<String>>,
    /// Process names (`process_names`, `process_name`, `*_process_name`).
    pub process_names: ProcessNames,
    /// `use_symlink_paths [<BOOL>]`: keep symlinks in script paths.
    pub use_symlink_paths: bool,
    /// `set_supplementary_groups`: default for scripts.
    pub set_supplementary_groups: bool,
    /// `startup_script` and its timeout (default 10 s, range [1, 1000] s).
    pub startup_script: Option<Script>,
    pub startup_script_timeout: Duration,
    /// `shutdown_script` and its timeout (default 10 s, range [1, 1000] s).
    pub shutdown_script: Option<Script>,
    pub shutdown_script_timeout: Duration,
    /// Email notification settings.
    pub smtp: Smtp,
    /// `router_id`; `None` means the host name (filled in by the caller).
    pub router_id: Option<Spanned<String>>,
    /// `nftables [TABLE]`: the VRRP firewall table (default name "keepalived").
    pub nftables: Option<Spanned<String>>,
    /// `nftables_priority` (default -1).
    pub nftables_priority: i32,
    /// `nftables_ifindex`.
    pub nftables_ifindex: bool,
    /// `nftables_counters`: shared by the VRRP and IPVS tables.
    pub nftables_counters: bool,
    /// `disable_local_igmp`.
    pub disable_local_igmp: bool,
    /// Scheduling of the BFD child (the VRRP and checker children's are with
    /// the other vrrp_* / checker_* globals in their parts).
    pub bfd_sched: ProcessSched,
    /// SNMP settings.
    pub snmp: Snmp,
    /// DBus settings.
    pub dbus: Dbus,
    /// `script_user USERNAME [[:]GROUPNAME]`.
    pub script_user: Option<ScriptUser>,
    /// `enable_script_security`.
    pub enable_script_security: bool,
    /// `notify_fifo` and `notify_fifo_script`.
    pub notify_fifo: NotifyFifo,
    /// `fifo_write_vrrp_states_on_reload`.
    pub fifo_write_vrrp_states_on_reload: bool,
    /// `process_monitor_rcv_bufs BYTES` and its `_force` flag.
    pub process_monitor_rcv_bufs: Option<u32>,
    pub process_monitor_rcv_bufs_force: bool,
    /// `umask`: the permission bits to mask. Default IXUSR|IRWXG|IRWXO.
    pub umask: Spanned<u32>,
    /// `random_seed`.
    pub random_seed: Option<u32>,
    /// `reload_check_config [LOG_FILE]` (no file: /dev/null).
    pub reload_check_config: Option<String>,
    /// `reload_time_file PATH`.
    pub reload_time_file: Option<Spanned<String>>,
    /// `reload_repeat`.
    pub reload_repeat: bool,
    /// `reload_file [PATH]`.
    pub reload_file: Option<ReloadFile>,
    /// `data_use_instance [<BOOL>]`.
    pub data_use_instance: bool,
    /// `state_file_location`, `stats_file_location`, `json_file_location`.
    pub state_file_location: Option<String>,
    pub stats_file_location: Option<String>,
    pub json_file_location: Option<String>,
    /// `json_version {1|2}` (default 1).
    pub json_version: u8,
    /// `iproute_usr_dir`, `iproute_etc_dir`.
    pub iproute_usr_dir: Option<String>,
    pub iproute_etc_dir: Option<String>,

    // ---- top-level blocks ----
    /// `linkbeat_interfaces { IFNAME [MII|ETHTOOL|IOCTL] ... }`.
    pub linkbeat_interfaces: Vec<LinkbeatInterface>,
    /// `interface_up_down_delays { IFNAME DOWN [UP] ... }`.
    pub interface_up_down_delays: Vec<UpDownDelay>,
    /// `track_group NAME { group { VI ... } }`.
    pub track_groups: Vec<TrackGroup>,
    /// `static_ipaddress`, `static_routes`, `static_rules`: set once, never
    /// moved (same line grammar as the VRRP virtual_* blocks).
    pub static_ipaddress: Vec<IpAddress>,
    pub static_routes: Vec<IpRoute>,
    pub static_rules: Vec<IpRule>,
}

impl Default for GlobalConfig {
    fn default() -> Self {
        GlobalConfig {
            net_namespace: None,
            net_namespace_ipvs: None,
            namespace_with_ipsets: false,
            instance: None,
            use_pid_dir: false,
            linkbeat_use_polling: false,
            child_wait_time: Duration::from_secs(5),
            defs_span: None,
            tmp_config_directory: None,
            config_save_dir: None,
            process_names: ProcessNames::default(),
            use_symlink_paths: false,
            set_supplementary_groups: false,
            startup_script: None,
            startup_script_timeout: Duration::from_secs(10),
            shutdown_script: None,
            shutdown_script_timeout: Duration::from_secs(10),
            smtp: Smtp::default(),
            router_id: None,
            nftables: None,
            nftables_priority: -1,
            nftables_ifindex: false,
            nftables_counters: false,
            disable_local_igmp: false,
            bfd_sched: ProcessSched::default(),
            snmp: Snmp::default(),
            dbus: Dbus::default(),
            script_user: None,
            enable_script_security: false,
            notify_fifo: NotifyFifo::default(),
            fifo_write_vrrp_states_on_reload: false,
            process_monitor_rcv_bufs: None,
            process_monitor_rcv_bufs_force: false,
            umask: Spanned::new(DEFAULT_UMASK, Span::default()),
            random_seed: None,
            reload_check_config: None,
            reload_time_file: None,
            reload_repeat: false,
            reload_file: None,
            data_use_instance: false,
            state_file_location: None,
            stats_file_location: None,
            json_file_location: None,
            json_version: 1,
            iproute_usr_dir: None,
            iproute_etc_dir: None,
            linkbeat_interfaces: Vec::new(),
            interface_up_down_delays: Vec::new(),
            track_groups: Vec::new(),
            static_ipaddress: Vec::new(),
            static_routes: Vec::new(),
            static_rules: Vec::new(),
        }
    }
}

/// The default umask: IXUSR | IRWXG | IRWXO.
pub const DEFAULT_UMASK: u32 = 0o177;

impl GlobalConfig {
    /// Scripts configured in the global part: startup/shutdown and the
    /// notify FIFO script.
    pub fn scripts(&self) -> Vec<&Script> {
        let mut v: Vec<&Script> = self.start_stop_scripts();
        v.extend(self.notify_fifo.script.as_ref());
        v
    }

    /// The startup and shutdown scripts, run by the parent process (upstream
    /// reports them with their own script-security message).
    pub fn start_stop_scripts(&self) -> Vec<&Script> {
        self.startup_script.iter().chain(self.shutdown_script.iter()).collect()
    }

    /// The router id to use, given the host name for the default.
    pub fn router_id_or<'a>(&'a self, host_name: &'a str) -> &'a str {
        self.router_id.as_ref().map(|r| r.value.as_str()).unwrap_or(host_name)
    }

    /// The track group called `name`.
    pub fn track_group(&self, name: &str) -> Option<&TrackGroup> {
        self.track_groups.iter().find(|g| g.name.value == name)
    }
}

/// Names given to the processes (`None`: leave the name unchanged). The VRRP
/// and checker children's names are with their parts' globals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcessNames {
    pub parent: Option<String>,
    pub bfd: Option<String>,
}

/// Email notification settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Smtp {
    /// `notification_email { ... }`: each address as written (a display
    /// name in quotes is kept).
    pub emails: Vec<Spanned<String>>,
    /// `notification_email_from`; `None`: keepalived@HOSTNAME.
    pub email_from: Option<Spanned<String>>,
    /// `smtp_server HOST [PORT]`.
    pub server: Option<Spanned<SmtpServer>>,
    /// `smtp_helo_name`; `None`: the host name.
    pub helo_name: Option<String>,
    /// `smtp_connect_timeout` (default 30 s).
    pub connect_timeout: Duration,
    /// `smtp_alert`, `smtp_alert_vrrp` (`None`: not set, the per-instance default applies).
    pub alert: Option<bool>,
    pub alert_vrrp: Option<bool>,
    /// `no_email_faults`.
    pub no_email_faults: bool,
}

impl Default for Smtp {
    fn default() -> Self {
        Smtp {
            emails: Vec::new(),
            email_from: None,
            server: None,
            helo_name: None,
            connect_timeout: Duration::from_secs(30),
            alert: None,
            alert_vrrp: None,
            no_email_faults: false,
        }
    }
}

/// The SMTP server: an address, or a host name to resolve later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpServer {
    pub host: SmtpHost,
    /// Default 25.
    pub port: u16,
}

/// An SMTP server host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmtpHost {
    Addr(IpAddr),
    /// A domain name, resolved when mail is sent (resolution needs the network).
    Name(String),
}

/// Scheduling settings of one child process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessSched {
    /// `*_priority` (nice value, -20..=19, default 0).
    pub priority: i8,
    /// `*_no_swap`.
    pub no_swap: bool,
    /// `*_cpu_affinity`: CPU ids (empty: no restriction).
    pub cpu_affinity: Vec<u32>,
    /// `*_rt_priority` (SCHED_RR priority, 1..=99).
    pub rt_priority: Option<u8>,
    /// `*_rlimit_rttime` in microseconds (default 10000, minimum 2).
    pub rlimit_rttime: u32,
}

impl Default for ProcessSched {
    fn default() -> Self {
        ProcessSched { priority: 0, no_swap: false, cpu_affinity: Vec::new(), rt_priority: None, rlimit_rttime: 10_000 }
    }
}

/// SNMP settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snmp {
    /// `snmp_socket`; `None`: unix:/var/agentx/master.
    pub socket: Option<String>,
    pub enable_vrrp: bool,
    pub enable_checker: bool,
    pub enable_rfcv2: bool,
    pub enable_rfcv3: bool,
    pub enable_traps: bool,
}

/// DBus settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dbus {
    pub enabled: bool,
    /// Default org.keepalived.Vrrp1.
    pub service_name: String,
    /// Default "none".
    pub no_interface_name: String,
}

impl Default for Dbus {
    fn default() -> Self {
        Dbus { enabled: false, service_name: "org.keepalived.Vrrp1".into(), no_interface_name: "none".into() }
    }
}

/// `script_user USERNAME [[:]GROUPNAME]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptUser {
    pub user: String,
    pub group: Option<String>,
    /// A ':' before the group name: set supplementary groups.
    pub supplementary_groups: bool,
    pub span: Span,
}

/// `notify_fifo FIFO_NAME [username [groupname]]` and its script.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotifyFifo {
    pub fifo: Option<Fifo>,
    /// `notify_fifo_script`: the FIFO name is passed as the last argument.
    pub script: Option<Script>,
}

/// A FIFO to write notifications to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fifo {
    pub path: String,
    pub user: Option<String>,
    pub group: Option<String>,
    pub span: Span,
}

/// `reload_file [PATH]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReloadFile {
    /// keepalived.reload in the PID directory.
    Default,
    Path(String),
}

/// The kind of link polling asked for an interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkbeatType {
    /// MII, else ETHTOOL, else ioctl: whatever the interface supports.
    Auto,
    Mii,
    Ethtool,
    Ioctl,
}

/// One line of `linkbeat_interfaces`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkbeatInterface {
    pub name: Spanned<String>,
    pub kind: LinkbeatType,
}

/// One line of `interface_up_down_delays`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpDownDelay {
    pub ifname: Spanned<String>,
    /// Delay before acting on the interface going down (at most 255 s).
    pub down: Duration,
    /// Delay before acting on it coming up (default 0, as keepalived 2.2.7).
    pub up: Duration,
}

/// `track_group NAME { group { VI_1 VI_2 } }`: VRRP instances that go to
/// FAULT when a static address/route/rule of the group cannot be restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackGroup {
    pub name: Spanned<String>,
    /// The vrrp_instance names.
    pub members: Vec<Spanned<String>>,
    pub span: Span,
}
