//! The LVS side of the configuration: virtual servers, real servers, checkers.
//!
//! Settings that can be given on a virtual server, a real server and a
//! checker are stored where they were written (`Option`s); the effective
//! value is resolved by the `effective_*` methods: the virtual server's value
//! is the default for its real servers and the real server's for its
//! checkers, as the man page says. Storing only what was written keeps a
//! 36k-real-server configuration small.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::Script;
use crate::config::ast::Span;

/// `delay_loop` when not given anywhere.
pub const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);
/// `connect_timeout` when not given anywhere.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// `persistence_timeout` given without a value, or implied by `persistence_granularity`.
pub const DEFAULT_PERSISTENCE_TIMEOUT: u32 = 360;
/// `snmp_{vs,rs}_stats_update_interval` default.
pub const DEFAULT_SNMP_STATS_INTERVAL: Duration = Duration::from_secs(5);
/// `nftables_ipvs_start_fwmark` default.
pub const DEFAULT_NFT_START_FWMARK: u32 = 1000;

/// Everything the checker child runs.
#[derive(Clone, Debug, Default)]
pub struct LvsConfig {
    /// The LVS/checker keywords of global_defs.
    pub globals: LvsGlobals,
    /// The top-level `SSL { }` block, for SSL_GET.
    pub ssl: Option<SslConfig>,
    /// `virtual_server_group NAME { }` blocks, in order.
    pub groups: Vec<VirtualServerGroup>,
    /// `virtual_server` blocks, in order (after validation: only the usable ones).
    pub virtual_servers: Vec<VirtualServer>,
}

impl LvsConfig {
    /// Whether there is anything for a checker process to do.
    pub fn needs_process(&self) -> bool {
        !self.virtual_servers.is_empty()
    }

    /// Every script configured in this part: quorum_up/down, notify_up/down,
    /// MISC_CHECK misc_path and lvs_notify_fifo_script.
    pub fn scripts(&self) -> Vec<&Script> {
        let mut v: Vec<&Script> = Vec::new();
        v.extend(self.globals.notify_fifo_script.iter());
        for vs in &self.virtual_servers {
            v.extend(vs.quorum_up.iter());
            v.extend(vs.quorum_down.iter());
            for rs in vs.real_servers.iter().chain(vs.sorry_server.iter()) {
                if let Some(x) = &rs.extra {
                    v.extend(x.notify_up.iter());
                    v.extend(x.notify_down.iter());
                }
                for c in &rs.checkers {
                    if let CheckerKind::Misc(m) = &c.kind {
                        v.push(&m.script);
                    }
                }
            }
        }
        v
    }

    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<&VirtualServerGroup> {
        self.groups.iter().find(|g| g.name == name)
    }
}

/// The LVS/checker keywords of global_defs.
#[derive(Clone, Debug, PartialEq)]
pub struct LvsGlobals {
    pub checker_process_name: Option<String>,
    /// smtp_alert_checker: default for checker alerts (None: follow smtp_alert).
    pub smtp_alert_checker: Option<bool>,
    pub checker_log_all_failures: bool,
    pub sync_daemon: Option<SyncDaemon>,
    pub timeouts: LvsTimeouts,
    pub flush: bool,
    pub flush_on_stop: FlushOnStop,
    /// nftables_ipvs [TABLENAME]: Some("") means the default table.
    pub nftables_ipvs: Option<String>,
    pub nftables_ipvs_priority: Option<i32>,
    pub nftables_ipvs_start_fwmark: u32,
    pub checker_priority: Option<i32>,
    pub checker_no_swap: bool,
    pub checker_cpu_affinity: Vec<u32>,
    pub checker_rt_priority: Option<u32>,
    pub checker_rlimit_rttime: Option<u64>,
    pub snmp_vs_stats_update_interval: Duration,
    pub snmp_rs_stats_update_interval: Duration,
    /// lvs_notify_fifo NAME [user [group]].
    pub notify_fifo: Option<Fifo>,
    pub notify_fifo_script: Option<Script>,
    pub netlink_cmd_rcv_bufs: Option<u32>,
    pub netlink_cmd_rcv_bufs_force: bool,
    pub netlink_monitor_rcv_bufs: Option<u32>,
    pub netlink_monitor_rcv_bufs_force: bool,
    pub rs_init_notifies: bool,
    pub no_checker_emails: bool,
}

impl Default for LvsGlobals {
    fn default() -> Self {
        LvsGlobals {
            checker_process_name: None,
            smtp_alert_checker: None,
            checker_log_all_failures: false,
            sync_daemon: None,
            timeouts: LvsTimeouts::default(),
            flush: false,
            flush_on_stop: FlushOnStop::No,
            nftables_ipvs: None,
            nftables_ipvs_priority: None,
            nftables_ipvs_start_fwmark: DEFAULT_NFT_START_FWMARK,
            checker_priority: None,
            checker_no_swap: false,
            checker_cpu_affinity: Vec::new(),
            checker_rt_priority: None,
            checker_rlimit_rttime: None,
            snmp_vs_stats_update_interval: DEFAULT_SNMP_STATS_INTERVAL,
            snmp_rs_stats_update_interval: DEFAULT_SNMP_STATS_INTERVAL,
            notify_fifo: None,
            notify_fifo_script: None,
            netlink_cmd_rcv_bufs: None,
            netlink_cmd_rcv_bufs_force: false,
            netlink_monitor_rcv_bufs: None,
            netlink_monitor_rcv_bufs_force: false,
            rs_init_notifies: false,
            no_checker_emails: false,
        }
    }
}

/// A FIFO to write events to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fifo {
    pub path: String,
    pub user: Option<String>,
    pub group: Option<String>,
}

/// lvs_sync_daemon INTERFACE [[inst] VRRP_INSTANCE] [id N] [maxlen N] [port N] [ttl N] [group ADDR].
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SyncDaemon {
    pub interface: String,
    pub instance: Option<String>,
    pub syncid: Option<u8>,
    pub maxlen: Option<u16>,
    pub port: Option<u16>,
    pub ttl: Option<u8>,
    pub group: Option<IpAddr>,
    pub span: Span,
}

/// lvs_timeouts: None leaves the kernel's value unchanged.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LvsTimeouts {
    pub tcp: Option<u32>,
    pub tcpfin: Option<u32>,
    pub udp: Option<u32>,
}

/// lvs_flush_on_stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlushOnStop {
    /// Remove every real server and virtual server one by one.
    No,
    /// Flush the whole IPVS table.
    Full,
    /// Remove keepalived's virtual servers, leaving the kernel to drop their real servers.
    Vs,
}

/// The `SSL { }` block.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SslConfig {
    pub password: Option<String>,
    pub ca: Option<String>,
    pub certificate: Option<String>,
    pub key: Option<String>,
    pub span: Span,
}

/// `virtual_server_group NAME { ... }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VirtualServerGroup {
    pub name: String,
    pub ranges: Vec<VsgRange>,
    pub fwmarks: Vec<VsgFwmark>,
    pub span: Span,
}

impl VirtualServerGroup {
    pub fn has_ipv4(&self) -> bool {
        self.ranges.iter().any(|r| r.first.is_ipv4())
    }
    pub fn has_ipv6(&self) -> bool {
        self.ranges.iter().any(|r| r.first.is_ipv6())
    }
}

/// An address range of a group: `first..=last`, all with `port` (0: none given).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VsgRange {
    pub first: IpAddr,
    pub last: IpAddr,
    pub port: u16,
    pub span: Span,
}

/// `fwmark N [inet|inet6]` in a group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VsgFwmark {
    pub fwmark: u32,
    pub family: Option<Family>,
    pub span: Span,
}

/// An address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub fn of(a: &IpAddr) -> Family {
        if a.is_ipv4() { Family::Inet } else { Family::Inet6 }
    }
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }
}

/// What a virtual server is keyed by.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum VsKey {
    /// `virtual_server IP [PORT]`; port 0 when omitted (persistent services only).
    Addr(SocketAddr),
    /// `virtual_server fwmark N`.
    Fwmark(u32),
    /// `virtual_server group NAME`.
    Group(String),
}

/// L4 protocol of a virtual server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

/// An IPVS scheduler (lvs_sched / lb_algo).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheduler {
    Rr,
    Wrr,
    Lc,
    Wlc,
    Lblc,
    Sh,
    Mh,
    Dh,
    Fo,
    Ovf,
    Lblcr,
    Sed,
    Nq,
    Twos,
}

impl Scheduler {
    pub const ALL: [Scheduler; 14] = [
        Scheduler::Rr,
        Scheduler::Wrr,
        Scheduler::Lc,
        Scheduler::Wlc,
        Scheduler::Lblc,
        Scheduler::Sh,
        Scheduler::Mh,
        Scheduler::Dh,
        Scheduler::Fo,
        Scheduler::Ovf,
        Scheduler::Lblcr,
        Scheduler::Sed,
        Scheduler::Nq,
        Scheduler::Twos,
    ];

    /// The kernel's name of the scheduler.
    pub fn name(self) -> &'static str {
        match self {
            Scheduler::Rr => "rr",
            Scheduler::Wrr => "wrr",
            Scheduler::Lc => "lc",
            Scheduler::Wlc => "wlc",
            Scheduler::Lblc => "lblc",
            Scheduler::Sh => "sh",
            Scheduler::Mh => "mh",
            Scheduler::Dh => "dh",
            Scheduler::Fo => "fo",
            Scheduler::Ovf => "ovf",
            Scheduler::Lblcr => "lblcr",
            Scheduler::Sed => "sed",
            Scheduler::Nq => "nq",
            Scheduler::Twos => "twos",
        }
    }

    pub fn parse(s: &str) -> Option<Scheduler> {
        Scheduler::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// Scheduler flags (`-b` of ipvsadm) and service flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SchedFlags {
    /// flag-1 (also sh-fallback / mh-fallback for the sh / mh schedulers).
    pub flag1: bool,
    /// flag-2 (also sh-port / mh-port).
    pub flag2: bool,
    pub flag3: bool,
    /// One-packet scheduling (`ops`, UDP only).
    pub ops: bool,
    /// `hashed`.
    pub hashed: bool,
}

/// The IPVS forwarding method (lvs_method / lb_kind).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forwarding {
    Nat,
    Dr,
    Tun(Tunnel),
}

impl Forwarding {
    pub fn is_tunnel(self) -> bool {
        matches!(self, Forwarding::Tun(_))
    }
}

/// Tunnel options of `TUN [type {ipip|gue port N|gre} [nocsum|csum|remcsum]]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Tunnel {
    pub kind: TunnelKind,
    pub csum: TunnelCsum,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TunnelKind {
    #[default]
    Ipip,
    Gue {
        port: u16,
    },
    Gre,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TunnelCsum {
    #[default]
    NoCsum,
    Csum,
    RemCsum,
}

/// Persistence of a virtual server.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Persistence {
    /// Seconds; 0 when not persistent.
    pub timeout: u32,
    /// -M: a netmask (IPv4) or prefix length (IPv6).
    pub granularity: Option<Granularity>,
    /// persistence_engine (e.g. sip).
    pub engine: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Granularity {
    V4Mask(std::net::Ipv4Addr),
    V6Prefix(u8),
}

/// An optional checker timer, held as whole microseconds in 8 bytes where an
/// `Option<Duration>` takes 16 (every checker of a large configuration has
/// several). Checker timers are read with microsecond resolution and are
/// below `u64::MAX` microseconds, so nothing is lost.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OptTimer(u64);

impl OptTimer {
    /// Not set.
    pub const NONE: OptTimer = OptTimer(u64::MAX);

    /// A set timer (truncated to whole microseconds, saturated below `u64::MAX` of them).
    pub fn some(d: Duration) -> Self {
        OptTimer(u64::try_from(d.as_micros()).unwrap_or(u64::MAX).min(u64::MAX - 1))
    }

    pub fn get(self) -> Option<Duration> {
        (self.0 != u64::MAX).then(|| Duration::from_micros(self.0))
    }

    pub fn is_some(self) -> bool {
        self.0 != u64::MAX
    }
}

impl Default for OptTimer {
    fn default() -> Self {
        OptTimer::NONE
    }
}

impl std::fmt::Debug for OptTimer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// Checker timing defaults that a virtual server passes to its real servers
/// and a real server to its checkers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CheckDefaults {
    pub connect_timeout: OptTimer,
    pub retry: Option<u32>,
    pub delay_before_retry: OptTimer,
    pub warmup: OptTimer,
    pub delay_loop: OptTimer,
    pub inhibit_on_failure: Option<bool>,
    pub alpha: Option<bool>,
}

/// A `virtual_server` block.
#[derive(Clone, Debug, PartialEq)]
pub struct VirtualServer {
    pub key: VsKey,
    pub span: Span,
    /// None until validation resolves the default.
    pub protocol: Option<Protocol>,
    /// Where `protocol` was written (for the fwmark warning).
    pub protocol_span: Option<Span>,
    /// None until validation resolves the default (wlc).
    pub scheduler: Option<Scheduler>,
    pub flags: SchedFlags,
    /// None until validation resolves the default (NAT).
    pub forwarding: Option<Forwarding>,
    pub persistence: Persistence,
    pub ha_suspend: bool,
    pub smtp_alert: Option<bool>,
    pub virtualhost: Option<String>,
    pub snmp_name: Option<String>,
    pub omega: bool,
    /// Minimum total weight of live servers; default 1.
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<Script>,
    pub quorum_down: Option<Script>,
    pub ip_family: Option<Family>,
    /// The address family of the service, as resolved from its address,
    /// ip_family, persistence_granularity or its non-tunnelled servers.
    pub family: Option<Family>,
    pub sorry_server: Option<RealServer>,
    /// The defaults for real servers (alpha, connect_timeout, ... inhibit_on_failure).
    pub check: CheckDefaults,
    pub real_servers: Vec<RealServer>,
}

impl VirtualServer {
    pub fn new(key: VsKey, span: Span) -> Self {
        VirtualServer {
            key,
            span,
            protocol: None,
            protocol_span: None,
            scheduler: None,
            flags: SchedFlags::default(),
            forwarding: None,
            persistence: Persistence::default(),
            ha_suspend: false,
            smtp_alert: None,
            virtualhost: None,
            snmp_name: None,
            omega: false,
            quorum: 1,
            hysteresis: 0,
            quorum_up: None,
            quorum_down: None,
            ip_family: None,
            family: None,
            sorry_server: None,
            check: CheckDefaults::default(),
            real_servers: Vec::new(),
        }
    }

    /// Upstream's name of the service in messages: `[IP]:proto:PORT`, `FWM N` or the group name.
    pub fn display_name(&self) -> String {
        match &self.key {
            VsKey::Addr(sa) => {
                let p = self.protocol.map(Protocol::name).unwrap_or("none");
                format!("[{}]:{}:{}", sa.ip(), p, sa.port())
            }
            VsKey::Fwmark(m) => format!("FWM {m}"),
            VsKey::Group(g) => g.clone(),
        }
    }

    pub fn is_persistent(&self) -> bool {
        self.persistence.timeout > 0
    }

    /// The forwarding method of a real server (its own, else the virtual server's, else NAT).
    pub fn effective_forwarding(&self, rs: &RealServer) -> Forwarding {
        rs.forwarding.or(self.forwarding).unwrap_or(Forwarding::Nat)
    }

    /// inhibit_on_failure of a real server (its own, else the virtual server's,
    /// else false); the sorry server's is sorry_server_inhibit.
    pub fn effective_inhibit_on_failure(&self, rs: &RealServer) -> bool {
        rs.check().inhibit_on_failure.or(self.check.inhibit_on_failure).unwrap_or(false)
    }

    /// The Host header for an HTTP_GET/SSL_GET url: the url's virtualhost,
    /// else the real server's, else the virtual server's.
    pub fn effective_virtualhost<'a>(&'a self, rs: &'a RealServer, url: &'a Url) -> Option<&'a str> {
        url.virtualhost
            .as_deref()
            .or(rs.extra.as_ref().and_then(|x| x.virtualhost.as_deref()))
            .or(self.virtualhost.as_deref())
    }

    /// smtp_alert of a real server: its own, else the virtual server's, else
    /// `global` (smtp_alert_checker / smtp_alert of global_defs).
    pub fn effective_smtp_alert(&self, rs: &RealServer, global: bool) -> bool {
        rs.extra.as_ref().and_then(|x| x.smtp_alert).or(self.smtp_alert).unwrap_or(global)
    }
}

/// A `real_server` (or `sorry_server`) of a virtual server.
#[derive(Clone, Debug, PartialEq)]
pub struct RealServer {
    /// Port 0 when not given.
    pub addr: SocketAddr,
    pub span: Span,
    /// Default 1.
    pub weight: u32,
    pub forwarding: Option<Forwarding>,
    pub uthreshold: u32,
    pub lthreshold: u32,
    /// Rarely used settings (notify scripts, the real server's own checker
    /// defaults...), boxed to keep large configurations small.
    pub extra: Option<Box<RealServerExtra>>,
    pub checkers: Vec<Checker>,
}

impl RealServer {
    pub fn new(addr: SocketAddr, span: Span) -> Self {
        RealServer {
            addr,
            span,
            weight: 1,
            forwarding: None,
            uthreshold: 0,
            lthreshold: 0,
            extra: None,
            checkers: Vec::new(),
        }
    }

    pub fn extra_mut(&mut self) -> &mut RealServerExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// The real server's own checker defaults (alpha, connect_timeout ...
    /// inhibit_on_failure), as written.
    pub fn check(&self) -> CheckDefaults {
        self.extra.as_ref().map(|x| x.check).unwrap_or_default()
    }

    /// Upstream's name in messages: `[IP]:PORT` with the protocol when known.
    pub fn display_name(&self, proto: Option<Protocol>) -> String {
        format!("[{}]:{}:{}", self.addr.ip(), proto.map(Protocol::name).unwrap_or("none"), self.addr.port())
    }
}

/// Rarely used real server settings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RealServerExtra {
    pub notify_up: Option<Script>,
    pub notify_down: Option<Script>,
    pub smtp_alert: Option<bool>,
    pub virtualhost: Option<String>,
    pub snmp_name: Option<String>,
    /// sorry_server_inhibit (for the sorry server only).
    pub inhibit: bool,
    /// The real server's own checker defaults; see [`RealServer::check`].
    pub check: CheckDefaults,
}

/// One health checker of a real server.
#[derive(Clone, Debug, PartialEq)]
pub struct Checker {
    pub kind: CheckerKind,
    pub span: Span,
    pub common: CheckCommon,
}

impl Checker {
    pub fn new(kind: CheckerKind, span: Span) -> Self {
        Checker { kind, span, common: CheckCommon::default() }
    }

    /// delay_loop: the checker's, else the real server's, else the virtual server's, else 60 s.
    pub fn effective_delay_loop(&self, rs: &RealServer, vs: &VirtualServer) -> Duration {
        self.common
            .timing
            .delay_loop
            .get()
            .or(rs.check().delay_loop.get())
            .or(vs.check.delay_loop.get())
            .unwrap_or(DEFAULT_DELAY_LOOP)
    }

    /// connect_timeout: checker, real server, virtual server, else 5 s.
    pub fn effective_connect_timeout(&self, rs: &RealServer, vs: &VirtualServer) -> Duration {
        self.common
            .timing
            .connect_timeout
            .get()
            .or(rs.check().connect_timeout.get())
            .or(vs.check.connect_timeout.get())
            .unwrap_or(DEFAULT_CONNECT_TIMEOUT)
    }

    /// retry: checker, real server, virtual server, else 3 for DNS_CHECK, 0 for MISC_CHECK, 1 otherwise.
    pub fn effective_retry(&self, rs: &RealServer, vs: &VirtualServer) -> u32 {
        self.common.timing.retry.or(rs.check().retry).or(vs.check.retry).unwrap_or(match self.kind {
            CheckerKind::Dns(_) => 3,
            CheckerKind::Misc(_) => 0,
            _ => 1,
        })
    }

    /// delay_before_retry: checker, real server, virtual server, else delay_loop
    /// for DNS_CHECK, 3 s for HTTP_GET/SSL_GET, 1 s otherwise.
    pub fn effective_delay_before_retry(&self, rs: &RealServer, vs: &VirtualServer) -> Duration {
        match self
            .common
            .timing
            .delay_before_retry
            .get()
            .or(rs.check().delay_before_retry.get())
            .or(vs.check.delay_before_retry.get())
        {
            Some(d) => d,
            None => match self.kind {
                CheckerKind::Dns(_) => self.effective_delay_loop(rs, vs),
                CheckerKind::Http(_) | CheckerKind::Ssl(_) => Duration::from_secs(3),
                _ => Duration::from_secs(1),
            },
        }
    }

    /// warmup: checker, real server, virtual server, else delay_loop (0 disables).
    pub fn effective_warmup(&self, rs: &RealServer, vs: &VirtualServer) -> Duration {
        match self.common.timing.warmup.get().or(rs.check().warmup.get()).or(vs.check.warmup.get()) {
            Some(d) => d,
            None => self.effective_delay_loop(rs, vs),
        }
    }

    /// alpha: checker, real server, virtual server, else false.
    pub fn effective_alpha(&self, rs: &RealServer, vs: &VirtualServer) -> bool {
        self.common.timing.alpha.or(rs.check().alpha).or(vs.check.alpha).unwrap_or(false)
    }

    /// Where to connect: connect_ip / connect_port, else the real server's.
    pub fn effective_target(&self, rs: &RealServer) -> SocketAddr {
        let ip = self.common.conn.as_ref().and_then(|c| c.connect_ip).unwrap_or(rs.addr.ip());
        let port = self.common.connect_port.unwrap_or(rs.addr.port());
        SocketAddr::new(ip, port)
    }

    /// log_all_failures: the checker's, else global_defs' checker_log_all_failures.
    pub fn effective_log_all_failures(&self, globals: &LvsGlobals) -> bool {
        self.common.log_all_failures.unwrap_or(globals.checker_log_all_failures)
    }

    /// The checker block's keyword.
    pub fn type_name(&self) -> &'static str {
        self.kind.name()
    }
}

/// The settings all checkers (but BFD_CHECK and FILE_CHECK) share.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct CheckCommon {
    /// alpha, connect_timeout, retry, delay_before_retry, warmup, delay_loop.
    pub timing: CheckDefaults,
    pub connect_port: Option<u16>,
    pub log_all_failures: Option<bool>,
    /// connect_ip, bindto, bind_if, bind_port, fwmark (rare: boxed).
    pub conn: Option<Box<ConnOpts>>,
}

/// Rarely used connection options of a checker.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ConnOpts {
    pub connect_ip: Option<IpAddr>,
    pub bindto: Option<IpAddr>,
    pub bind_if: Option<String>,
    pub bind_port: Option<u16>,
    pub fwmark: Option<u32>,
}

/// The checker types and their own settings.
#[derive(Clone, Debug, PartialEq)]
pub enum CheckerKind {
    Tcp,
    Http(Box<HttpCheck>),
    Ssl(Box<HttpCheck>),
    Smtp(Box<SmtpCheck>),
    Dns(Box<DnsCheck>),
    Misc(Box<MiscCheck>),
    Bfd(Box<BfdCheck>),
    File(Box<FileCheck>),
    Ping,
    Udp(Box<UdpCheck>),
}

impl CheckerKind {
    pub fn name(&self) -> &'static str {
        match self {
            CheckerKind::Tcp => "TCP_CHECK",
            CheckerKind::Http(_) => "HTTP_GET",
            CheckerKind::Ssl(_) => "SSL_GET",
            CheckerKind::Smtp(_) => "SMTP_CHECK",
            CheckerKind::Dns(_) => "DNS_CHECK",
            CheckerKind::Misc(_) => "MISC_CHECK",
            CheckerKind::Bfd(_) => "BFD_CHECK",
            CheckerKind::File(_) => "FILE_CHECK",
            CheckerKind::Ping => "PING_CHECK",
            CheckerKind::Udp(_) => "UDP_CHECK",
        }
    }
}

/// The HTTP protocol variant of `http_protocol` (HTTP_GET / SSL_GET) and of
/// genhash's `-P`: one type for the configuration and the HTTP probe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpProtocol {
    /// `HTTP/1.0` without a `Connection` header (keepalived's default).
    #[default]
    V1_0,
    /// `HTTP/1.0` plus `Connection: close`.
    V1_0C,
    /// `HTTP/1.1`, which keepalived always sends with `Connection: close`.
    V1_1,
}

impl HttpProtocol {
    /// Parses the spellings keepalived accepts: `1.0`, `1.0c`, `1.0C`, `1.1`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "1.0" => Some(HttpProtocol::V1_0),
            "1.0C" | "1.0c" => Some(HttpProtocol::V1_0C),
            "1.1" => Some(HttpProtocol::V1_1),
            _ => None,
        }
    }

    /// The value as the configuration dump shows it.
    pub fn name(self) -> &'static str {
        match self {
            HttpProtocol::V1_0 => "1.0",
            HttpProtocol::V1_0C => "1.0C",
            HttpProtocol::V1_1 => "1.1",
        }
    }
}

/// HTTP_GET / SSL_GET settings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HttpCheck {
    pub http_protocol: HttpProtocol,
    pub fast_recovery: bool,
    pub urls: Vec<Url>,
    /// SSL_GET: send SNI.
    pub enable_sni: bool,
    pub sni_name: Option<String>,
    pub tls_compliant: bool,
}

/// One `url { }` of HTTP_GET / SSL_GET.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Url {
    pub path: Option<String>,
    /// MD5 digest, lower-case hex, 16 bytes.
    pub digest: Option<[u8; 16]>,
    /// Inclusive status code ranges; empty means 200-299.
    pub status_codes: Vec<(u16, u16)>,
    pub virtualhost: Option<String>,
    pub regex: Option<String>,
    pub regex_no_match: bool,
    pub regex_options: Vec<String>,
    pub regex_stack: Option<(u64, u64)>,
    pub regex_min_offset: Option<u64>,
    pub regex_max_offset: Option<u64>,
    pub tls_compliant: bool,
    pub span: Span,
}

impl Url {
    /// Whether a status code is accepted.
    pub fn accepts(&self, code: u16) -> bool {
        if self.status_codes.is_empty() {
            (200..=299).contains(&code)
        } else {
            self.status_codes.iter().any(|&(a, b)| (a..=b).contains(&code))
        }
    }
}

/// SMTP_CHECK settings.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct SmtpCheck {
    pub helo_name: Option<String>,
    /// The deprecated `host { }` sub-blocks (each a connection target).
    pub hosts: Vec<CheckCommon>,
}

/// DNS query types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DnsType {
    A,
    Ns,
    Cname,
    #[default]
    Soa,
    Mx,
    Txt,
    Aaaa,
}

impl DnsType {
    pub const ALL: [DnsType; 7] =
        [DnsType::A, DnsType::Ns, DnsType::Cname, DnsType::Soa, DnsType::Mx, DnsType::Txt, DnsType::Aaaa];
    pub fn name(self) -> &'static str {
        match self {
            DnsType::A => "A",
            DnsType::Ns => "NS",
            DnsType::Cname => "CNAME",
            DnsType::Soa => "SOA",
            DnsType::Mx => "MX",
            DnsType::Txt => "TXT",
            DnsType::Aaaa => "AAAA",
        }
    }
}

/// DNS_CHECK settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsCheck {
    pub qtype: DnsType,
    /// Default ".".
    pub name: String,
}

impl Default for DnsCheck {
    fn default() -> Self {
        DnsCheck { qtype: DnsType::Soa, name: ".".to_owned() }
    }
}

/// MISC_CHECK settings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct MiscCheck {
    pub script: Script,
    /// The closing brace of the MISC_CHECK block (keepalived reports a script
    /// it removes there), and its `user` line.
    pub end: Span,
    pub user_at: Option<Span>,
    /// misc_timeout; None: delay_loop.
    pub timeout: Option<Duration>,
    pub dynamic: bool,
}

/// BFD_CHECK settings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BfdCheck {
    pub name: String,
}

/// FILE_CHECK settings.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FileCheck {
    pub track_file: String,
    pub dynamic: bool,
    /// Weight multiplier (default 1) and `reverse`.
    pub weight: i32,
    pub reverse: bool,
}

/// UDP_CHECK settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UdpCheck {
    /// None: a random payload.
    pub payload: Option<Vec<u8>>,
    pub require_reply: bool,
    /// Expected reply bytes with a mask of the bits that matter (X nibbles are 0).
    pub reply: Option<(Vec<u8>, Vec<u8>)>,
    pub min_reply_length: u16,
    pub max_reply_length: u16,
}

impl Default for UdpCheck {
    fn default() -> Self {
        UdpCheck { payload: None, require_reply: false, reply: None, min_reply_length: 0, max_reply_length: 255 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large configuration holds one of these per real server: keep them
    /// from growing unnoticed (keepalived -t on 36,544 real servers must stay
    /// under half of keepalived 2.2.7's memory).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn per_real_server_memory_stays_small() {
        assert!(std::mem::size_of::<Checker>() <= 96, "{}", std::mem::size_of::<Checker>());
        assert!(std::mem::size_of::<RealServer>() <= 104, "{}", std::mem::size_of::<RealServer>());
        assert!(std::mem::size_of::<CheckDefaults>() <= 48);
    }

    #[test]
    fn timers_round_trip() {
        assert_eq!(OptTimer::default().get(), None);
        assert!(!OptTimer::NONE.is_some());
        for d in
            [Duration::ZERO, Duration::from_micros(1), Duration::from_millis(1500), Duration::from_micros(u64::MAX - 1)]
        {
            assert_eq!(OptTimer::some(d).get(), Some(d));
        }
        // Beyond the range checker timers are read in: saturated, still set.
        assert_eq!(OptTimer::some(Duration::MAX).get(), Some(Duration::from_micros(u64::MAX - 1)));
        assert_eq!(format!("{:?}", OptTimer::some(Duration::from_secs(3))), "Some(3s)");
    }
}
