//! `keepalived_check.data`: what the checker child writes on SIGUSR1, in
//! Debian's keepalived 2.2.7 layout (SSL definitions, LVS Topology with
//! virtual server groups, virtual and real servers, Health checkers).
//!
//! # The checker runtime's state
//!
//! [`CheckerView::from_config`] builds the view from the configuration with
//! every run-time figure at keepalived's starting value (nothing alive, no
//! checker run yet). On SIGUSR1 the checker child builds one
//! ([`super::checker_data`]) and sets the run-time fields from what runs
//! (`crate::ipvs::report`):
//! [`VsView::alive`], [`VsView::quorum_state_up`], [`RsView::alive`],
//! [`RsView::set`], [`RsView::effective_weight`], [`RsView::num_failed_checkers`],
//! [`CheckView::up`], [`CheckView::has_run`], [`CheckView::cur_weight`],
//! [`CheckView::retry_it`], [`MiscView::last_ran`] / `last_status`, then calls
//! [`data`]. The file layout is entirely here; the runtime never formats.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::users::Users;
use super::{Lines, Stamp, line, yn};
use crate::config::model::Script;
use crate::config::model::lvs::{
    self, CheckerKind, Forwarding, Granularity, LvsConfig, Protocol, RealServer, TunnelCsum, TunnelKind, VirtualServer,
    VsKey,
};

/// The whole checker part of the file.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct CheckerView {
    /// The `SSL { }` block (or the context SSL_GET checkers made).
    pub ssl: Option<SslView>,
    pub groups: Vec<VsgView>,
    pub virtual_servers: Vec<VsView>,
    /// Every checker, in the order keepalived queues them (configuration order).
    pub checkers: Vec<CheckView>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct SslView {
    pub password: Option<String>,
    pub ca: Option<String>,
    pub certificate: Option<String>,
    pub key: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VsgView {
    pub name: String,
    pub have_ipv4: bool,
    pub have_ipv6: bool,
    pub entries: Vec<VsgEntryView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum VsgEntryView {
    Range { first: IpAddr, last: IpAddr, port: u16, alive: [u32; 3], reloaded: bool },
    Fwmark { mark: u32, family: Option<lvs::Family>, alive4: u32, alive6: u32, reloaded: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ScriptView {
    pub cmd: String,
    pub uid: u32,
    pub gid: u32,
}

impl ScriptView {
    fn of(s: &Script, users: &Users) -> ScriptView {
        let (uid, gid) = users.script_ids(s);
        ScriptView { cmd: users.cmd(s), uid, gid }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VsView {
    pub key: VsKey,
    pub protocol: Option<Protocol>,
    pub virtualhost: Option<String>,
    pub snmp_name: Option<String>,
    /// `None`: unknown (a group with both families shows "IPv4 & IPv6").
    pub family: Option<lvs::Family>,
    pub both_families: bool,
    pub connection_to: Duration,
    pub delay_loop: Duration,
    pub sched: String,
    pub flags: lvs::SchedFlags,
    pub persistence_timeout: u32,
    pub granularity: Option<Granularity>,
    pub alpha: bool,
    pub omega: bool,
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub inhibit: bool,
    pub quorum: u32,
    pub hysteresis: u32,
    pub quorum_up: Option<ScriptView>,
    pub quorum_down: Option<ScriptView>,
    pub ha_suspend: bool,
    pub smtp_alert: bool,
    pub forwarding: Forwarding,
    pub sorry: Option<SorryView>,
    // Run-time state.
    pub alive: bool,
    pub quorum_state_up: bool,
    pub reloaded: bool,
    pub real_servers: Vec<RsView>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SorryView {
    pub addr: SocketAddr,
    pub duplicates_rs: bool,
    pub forwarding: Forwarding,
    pub inhibit: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct RsView {
    pub addr: SocketAddr,
    pub forwarding: Forwarding,
    pub alpha: bool,
    pub connection_to: Duration,
    pub l_threshold: u32,
    pub u_threshold: u32,
    pub delay_loop: Duration,
    pub retry: Option<u32>,
    pub delay_before_retry: Option<Duration>,
    pub warmup: Option<Duration>,
    pub inhibit: bool,
    pub notify_up: Option<ScriptView>,
    pub notify_down: Option<ScriptView>,
    pub virtualhost: Option<String>,
    pub snmp_name: Option<String>,
    pub smtp_alert: bool,
    pub iweight: i64,
    // Run-time state.
    pub effective_weight: i64,
    pub previous_effective_weight: i64,
    pub alive: bool,
    pub num_failed_checkers: u32,
    pub set: bool,
    pub reloaded: bool,
    pub tracked_bfds: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ConnView {
    pub dst: SocketAddr,
    pub bindto: Option<SocketAddr>,
    pub bind_if: Option<String>,
    pub fwmark: Option<u32>,
    pub timeout: Duration,
    pub last_errno: i32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MiscView {
    pub script: ScriptView,
    pub timeout: Duration,
    pub dynamic: bool,
    pub last_ran: Stamp,
    pub last_status: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UrlView {
    pub path: String,
    pub digest: Option<[u8; 16]>,
    /// Accepted status codes as ranges; empty means 200-299.
    pub status_codes: Vec<(u16, u16)>,
    pub virtualhost: Option<String>,
}

/// The checker-specific lines.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum MethodView {
    Tcp,
    Http {
        ssl: bool,
        protocol: &'static str,
        virtualhost: Option<String>,
        enable_sni: bool,
        fast_recovery: bool,
        urls: Vec<UrlView>,
        failed_url: Option<String>,
    },
    Smtp {
        helo: String,
    },
    Dns {
        qtype: &'static str,
        name: String,
    },
    Misc(MiscView),
    Udp {
        payload_len: Option<usize>,
        require_reply: bool,
        min_reply: u16,
        max_reply: u16,
        reply_len: usize,
        reply_mask: Option<bool>,
    },
    Ping,
    File {
        name: String,
        reloaded: bool,
    },
    Bfd {
        name: String,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CheckView {
    /// `[10.0.0.1]:tcp:80`, `FWM 7` or `[GROUP]:80`.
    pub vs: String,
    /// `[10.0.0.2]:tcp:80`.
    pub rs: String,
    pub enabled: bool,
    pub up: bool,
    pub has_run: bool,
    pub cur_weight: i32,
    pub alpha: bool,
    pub delay_loop: Duration,
    pub warmup: Duration,
    pub retry: u32,
    pub delay_before_retry: Duration,
    pub retry_it: u32,
    pub default_delay_before_retry: Duration,
    pub log_all_failures: bool,
    pub conn: Option<ConnView>,
    pub method: MethodView,
}

/// `SECS.USECS` as keepalived's `format_decimal(.., 6)` prints a timer.
fn dec6(d: Duration) -> String {
    format!("{}.{:06}", d.as_secs(), d.subsec_micros())
}

fn us(d: Duration) -> u128 {
    d.as_micros()
}

fn on(b: bool) -> &'static str {
    if b { "ON" } else { "OFF" }
}

fn abled(b: bool) -> &'static str {
    if b { "en" } else { "dis" }
}

/// `[ADDR]:PROTO:PORT`, keepalived's "trio".
fn trio(a: &SocketAddr, proto: Option<Protocol>) -> String {
    format!("[{}]:{}:{}", a.ip(), proto.map_or("none", Protocol::name), a.port())
}

/// How keepalived names a virtual server in lines about it.
fn fmt_vs(vs: &VirtualServer) -> String {
    match &vs.key {
        VsKey::Group(g) => format!("[{g}]:0"),
        VsKey::Fwmark(m) => format!("FWM {m}"),
        VsKey::Addr(a) => trio(a, vs.protocol),
    }
}

/// keepalived's default connect timeout and delay loop (5 s, 60 s).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const DEFAULT_DELAY_LOOP: Duration = Duration::from_secs(60);

impl CheckerView {
    /// The view of `cfg` before anything has run (see the module documentation).
    pub(crate) fn from_config(cfg: &LvsConfig, users: &Users, global_smtp_alert: Option<bool>) -> CheckerView {
        let ssl_used = cfg
            .virtual_servers
            .iter()
            .flat_map(|vs| vs.real_servers.iter())
            .any(|rs| rs.checkers.iter().any(|c| matches!(c.kind, CheckerKind::Ssl(_))));
        let ssl = match &cfg.ssl {
            Some(s) => Some(SslView {
                password: s.password.clone(),
                ca: s.ca.clone(),
                certificate: s.certificate.clone(),
                key: s.key.clone(),
            }),
            None if ssl_used => Some(SslView::default()),
            None => None,
        };
        let groups = cfg
            .groups
            .iter()
            .map(|g| VsgView {
                name: g.name.clone(),
                have_ipv4: g.has_ipv4(),
                have_ipv6: g.has_ipv6(),
                entries: g
                    .ranges
                    .iter()
                    .map(|r| VsgEntryView::Range {
                        first: r.first,
                        last: r.last,
                        port: r.port,
                        alive: [0; 3],
                        reloaded: false,
                    })
                    .chain(g.fwmarks.iter().map(|f| VsgEntryView::Fwmark {
                        mark: f.fwmark,
                        family: f.family,
                        alive4: 0,
                        alive6: 0,
                        reloaded: false,
                    }))
                    .collect(),
            })
            .collect();
        let smtp_default = cfg.globals.smtp_alert_checker.or(global_smtp_alert).unwrap_or(false);
        // A real server's own default is on (keepalived keeps it so for
        // backwards compatibility); it does not inherit its virtual server's.
        let rs_smtp_default = cfg.globals.smtp_alert_checker.or(global_smtp_alert).unwrap_or(true);
        let mut checkers = Vec::new();
        let mut virtual_servers = Vec::new();
        for vs in &cfg.virtual_servers {
            let vs_name = fmt_vs(vs);
            let rs_views = vs
                .real_servers
                .iter()
                .map(|rs| {
                    for c in &rs.checkers {
                        checkers.push(check_view(&vs_name, vs, rs, c, cfg, users));
                    }
                    rs_view(vs, rs, users, rs_smtp_default)
                })
                .collect();
            let family = match &vs.key {
                VsKey::Addr(a) => Some(lvs::Family::of(&a.ip())),
                _ => vs.family.or(vs.ip_family),
            };
            let both = match &vs.key {
                VsKey::Group(g) => cfg.group(g).is_some_and(|g| g.has_ipv4() && g.has_ipv6()),
                _ => false,
            };
            virtual_servers.push(VsView {
                key: vs.key.clone(),
                protocol: vs.protocol,
                virtualhost: vs.virtualhost.clone(),
                snmp_name: vs.snmp_name.clone(),
                family,
                both_families: both,
                connection_to: vs.check.connect_timeout.get().unwrap_or(DEFAULT_CONNECT_TIMEOUT),
                delay_loop: vs.check.delay_loop.get().unwrap_or(DEFAULT_DELAY_LOOP),
                sched: vs.scheduler.map_or("", lvs::Scheduler::name).to_owned(),
                flags: vs.flags,
                persistence_timeout: vs.persistence.timeout,
                granularity: vs.persistence.granularity,
                alpha: vs.check.alpha.unwrap_or(false),
                omega: vs.omega,
                retry: vs.check.retry,
                delay_before_retry: vs.check.delay_before_retry.get(),
                warmup: vs.check.warmup.get(),
                inhibit: vs.check.inhibit_on_failure.unwrap_or(false),
                quorum: vs.quorum,
                hysteresis: vs.hysteresis,
                quorum_up: vs.quorum_up.as_ref().map(|s| ScriptView::of(s, users)),
                quorum_down: vs.quorum_down.as_ref().map(|s| ScriptView::of(s, users)),
                ha_suspend: vs.ha_suspend,
                smtp_alert: vs.smtp_alert.unwrap_or(smtp_default),
                forwarding: vs.forwarding.unwrap_or(Forwarding::Nat),
                sorry: vs.sorry_server.as_ref().map(|s| SorryView {
                    addr: s.addr,
                    duplicates_rs: vs.real_servers.iter().any(|r| r.addr == s.addr),
                    forwarding: vs.effective_forwarding(s),
                    inhibit: vs.effective_inhibit_on_failure(s),
                }),
                alive: false,
                quorum_state_up: false,
                reloaded: false,
                real_servers: rs_views,
            });
        }
        CheckerView { ssl, groups, virtual_servers, checkers }
    }
}

fn rs_view(vs: &VirtualServer, rs: &RealServer, users: &Users, smtp_default: bool) -> RsView {
    let c = rs.check();
    let x = rs.extra.as_deref();
    let weight = i64::from(rs.weight);
    RsView {
        addr: rs.addr,
        forwarding: vs.effective_forwarding(rs),
        alpha: c.alpha.or(vs.check.alpha).unwrap_or(false),
        connection_to: c.connect_timeout.get().or(vs.check.connect_timeout.get()).unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        l_threshold: rs.lthreshold,
        u_threshold: rs.uthreshold,
        delay_loop: c.delay_loop.get().or(vs.check.delay_loop.get()).unwrap_or(DEFAULT_DELAY_LOOP),
        retry: c.retry.or(vs.check.retry),
        delay_before_retry: c.delay_before_retry.get().or(vs.check.delay_before_retry.get()),
        warmup: c.warmup.get().or(vs.check.warmup.get()),
        inhibit: vs.effective_inhibit_on_failure(rs),
        notify_up: x.and_then(|x| x.notify_up.as_ref()).map(|s| ScriptView::of(s, users)),
        notify_down: x.and_then(|x| x.notify_down.as_ref()).map(|s| ScriptView::of(s, users)),
        virtualhost: x.and_then(|x| x.virtualhost.clone()),
        snmp_name: x.and_then(|x| x.snmp_name.clone()),
        smtp_alert: x.and_then(|x| x.smtp_alert).unwrap_or(smtp_default),
        iweight: weight,
        effective_weight: weight,
        // Set by a reload (the weight it carried over), else 0.
        previous_effective_weight: 0,
        alive: false,
        num_failed_checkers: 0,
        set: false,
        reloaded: false,
        tracked_bfds: rs
            .checkers
            .iter()
            .filter_map(|c| match &c.kind {
                CheckerKind::Bfd(b) => Some(b.name.clone()),
                _ => None,
            })
            .collect(),
    }
}

fn check_view(
    vs_name: &str,
    vs: &VirtualServer,
    rs: &RealServer,
    c: &lvs::Checker,
    cfg: &LvsConfig,
    users: &Users,
) -> CheckView {
    let delay_loop = c.effective_delay_loop(rs, vs);
    let retry = c.effective_retry(rs, vs);
    let conn = match &c.kind {
        CheckerKind::Misc(_) | CheckerKind::File(_) | CheckerKind::Bfd(_) => None,
        _ => {
            let o = c.common.conn.as_deref();
            Some(ConnView {
                dst: c.effective_target(rs),
                bindto: o.and_then(|o| o.bindto).map(|a| SocketAddr::new(a, o.and_then(|o| o.bind_port).unwrap_or(0))),
                bind_if: o.and_then(|o| o.bind_if.clone()),
                fwmark: o.and_then(|o| o.fwmark),
                timeout: c.effective_connect_timeout(rs, vs),
                last_errno: 0,
            })
        }
    };
    let method = match &c.kind {
        CheckerKind::Tcp => MethodView::Tcp,
        CheckerKind::Ping => MethodView::Ping,
        CheckerKind::Http(h) | CheckerKind::Ssl(h) => MethodView::Http {
            ssl: matches!(c.kind, CheckerKind::Ssl(_)),
            protocol: h.http_protocol.name(),
            virtualhost: rs.extra.as_ref().and_then(|x| x.virtualhost.clone()).or(vs.virtualhost.clone()),
            enable_sni: h.enable_sni,
            fast_recovery: h.fast_recovery,
            urls: h
                .urls
                .iter()
                .map(|u| UrlView {
                    path: u.path.clone().unwrap_or_default(),
                    digest: u.digest,
                    status_codes: u.status_codes.clone(),
                    virtualhost: u.virtualhost.clone(),
                })
                .collect(),
            failed_url: None,
        },
        CheckerKind::Smtp(s) => MethodView::Smtp { helo: s.helo_name.clone().unwrap_or_default() },
        CheckerKind::Dns(d) => MethodView::Dns { qtype: d.qtype.name(), name: d.name.clone() },
        CheckerKind::Misc(m) => MethodView::Misc(MiscView {
            script: ScriptView::of(&m.script, users),
            timeout: m.timeout.unwrap_or(delay_loop),
            dynamic: m.dynamic,
            last_ran: Stamp::default(),
            last_status: 0,
        }),
        CheckerKind::Udp(u) => MethodView::Udp {
            payload_len: u.payload.as_ref().map(Vec::len),
            require_reply: u.require_reply,
            min_reply: u.min_reply_length,
            max_reply: u.max_reply_length,
            reply_len: u.reply.as_ref().map_or(0, |(d, _)| d.len()),
            reply_mask: u.reply.as_ref().map(|(_, m)| !m.is_empty()),
        },
        CheckerKind::File(f) => MethodView::File { name: f.track_file.clone(), reloaded: false },
        CheckerKind::Bfd(b) => MethodView::Bfd { name: b.name.clone() },
    };
    CheckView {
        vs: vs_name.to_owned(),
        rs: trio(&rs.addr, vs.protocol),
        enabled: true,
        up: false,
        has_run: false,
        cur_weight: 0,
        alpha: c.effective_alpha(rs, vs),
        delay_loop,
        warmup: c.effective_warmup(rs, vs),
        retry,
        delay_before_retry: c.effective_delay_before_retry(rs, vs),
        retry_it: 0,
        default_delay_before_retry: c.effective_delay_before_retry(rs, vs),
        log_all_failures: c.effective_log_all_failures(&cfg.globals),
        conn,
        method,
    }
}

/// The checker child's file: `global` (the "Global definitions" section,
/// see [`super::global`]) then the checker sections.
pub(crate) fn data(global: &str, v: &CheckerView) -> String {
    let mut out = Lines(global.to_owned());
    if let Some(s) = &v.ssl {
        line!(out, "------< SSL definitions >------");
        if s.password.is_none() && s.ca.is_none() && s.certificate.is_none() && s.key.is_none() {
            line!(out, " Using autogen SSL context");
        }
        if let Some(p) = &s.password {
            line!(out, " Password : {p}");
        }
        if let Some(p) = &s.ca {
            line!(out, " CA-file : {p}");
        }
        if let Some(p) = &s.certificate {
            line!(out, " Certificate file : {p}");
        }
        if let Some(p) = &s.key {
            line!(out, " Key file : {p}");
        }
    }
    if !v.virtual_servers.is_empty() {
        line!(out, "------< LVS Topology >------");
        // IP_VS_VERSION_CODE of the kernel headers keepalived is built with.
        line!(out, " System is compiled with LVS v1.2.1");
        for g in &v.groups {
            vsg(&mut out, g);
        }
        for vs in &v.virtual_servers {
            vs_lines(&mut out, vs);
        }
    }
    if !v.checkers.is_empty() {
        line!(out, "------< Health checkers >------");
        for c in &v.checkers {
            checker(&mut out, c);
        }
    }
    out.0
}

fn vsg(out: &mut Lines, g: &VsgView) {
    line!(out, " ------< Virtual server group >------");
    line!(out, " Virtual Server Group = {}, IPv4 = {}, IPv6 = {}", g.name, yn(g.have_ipv4), yn(g.have_ipv6));
    for e in &g.entries {
        match e {
            VsgEntryView::Range { first, last, port, alive, reloaded } => {
                if first == last {
                    line!(out, "   VIP = {first}, VPORT = {port}");
                } else {
                    line!(out, "   VIP Range = {first}-{last}, VPORT = {port}");
                }
                line!(out, "     Alive: {} tcp, {} udp, {} sctp", alive[0], alive[1], alive[2]);
                line!(out, "     reloaded = {}", if *reloaded { "True" } else { "False" });
            }
            VsgEntryView::Fwmark { mark, family, alive4, alive6, reloaded } => {
                let fam = match family {
                    Some(lvs::Family::Inet) => " IPv4",
                    Some(lvs::Family::Inet6) => " IPv6",
                    None => "",
                };
                line!(out, "   FWMARK = {mark}{fam}");
                line!(out, "     Alive: {alive4} IPv4, {alive6} IPv6");
                line!(out, "     reloaded = {}", if *reloaded { "True" } else { "False" });
            }
        }
    }
}

fn forwarding(out: &mut Lines, prefix: &str, f: Forwarding) {
    let m = "forwarding method = ";
    match f {
        Forwarding::Nat => line!(out, "   {prefix}{m}NAT"),
        Forwarding::Dr => line!(out, "   {prefix}{m}DR"),
        Forwarding::Tun(t) => {
            let csum = match t.csum {
                TunnelCsum::NoCsum => ", no checksum",
                TunnelCsum::Csum => ", checksum",
                TunnelCsum::RemCsum => ", remote checksum",
            };
            // keepalived 2.2.7 drops the prefix on GUE and GRE lines.
            match t.kind {
                TunnelKind::Ipip => line!(out, "   {prefix}{m}TUN, type = IPIP"),
                TunnelKind::Gue { port } => line!(out, "   {m}TUN, type = GUE, port = {port}{csum}"),
                TunnelKind::Gre => line!(out, "   {m}TUN, type = GRE{csum}"),
            }
        }
    }
}

fn vs_lines(out: &mut Lines, vs: &VsView) {
    line!(out, " ------< Virtual server >------");
    match &vs.key {
        VsKey::Group(g) => line!(out, " VS GROUP = [{g}]:0"),
        VsKey::Fwmark(m) => line!(out, " VS FWMARK = {m}"),
        VsKey::Addr(a) => line!(out, " VS VIP = {}, VPORT = {}", a.ip(), a.port()),
    }
    if let Some(h) = &vs.virtualhost {
        line!(out, "   VirtualHost = {h}");
    }
    if let Some(n) = &vs.snmp_name {
        line!(out, "   SNMP name = '{n}'");
    }
    match (vs.family, vs.both_families) {
        (Some(lvs::Family::Inet), _) => line!(out, "   Address family = inet"),
        (Some(lvs::Family::Inet6), _) => line!(out, "   Address family = inet6"),
        (None, true) => line!(out, "   Address family = IPv4 & IPv6"),
        (None, false) => line!(out, "   Address family = unknown"),
    }
    line!(out, "   connection timeout = {}", dec6(vs.connection_to));
    line!(out, "   delay_loop = {}", dec6(vs.delay_loop));
    line!(out, "   lvs_sched = {}", vs.sched);
    line!(out, "   Hashed = {}abled", abled(vs.flags.hashed));
    match vs.sched.as_str() {
        "sh" => {
            line!(out, "   sh-port = {}abled", abled(vs.flags.flag2));
            line!(out, "   sh-fallback = {}abled", abled(vs.flags.flag1));
        }
        "mh" => {
            line!(out, "   mh-port = {}abled", abled(vs.flags.flag2));
            line!(out, "   mh-fallback = {}abled", abled(vs.flags.flag1));
        }
        _ => {
            line!(out, "   flag-1 = {}abled", abled(vs.flags.flag1));
            line!(out, "   flag-2 = {}abled", abled(vs.flags.flag2));
            line!(out, "   flag-3 = {}abled", abled(vs.flags.flag3));
        }
    }
    let inactive = vs.flags.ops && vs.protocol != Some(Protocol::Udp);
    line!(
        out,
        "   One packet scheduling = {}abled{}",
        abled(vs.flags.ops),
        if inactive { " (inactive due to not UDP)" } else { "" }
    );
    if vs.persistence_timeout != 0 {
        line!(out, "   persistence timeout = {}", vs.persistence_timeout);
    }
    match vs.granularity {
        Some(Granularity::V4Mask(m)) => line!(out, "   persistence granularity = {m}"),
        Some(Granularity::V6Prefix(p)) => line!(out, "   persistence granularity = {p}"),
        None => {}
    }
    match vs.protocol {
        Some(Protocol::Tcp) => line!(out, "   protocol = TCP"),
        Some(Protocol::Udp) => line!(out, "   protocol = UDP"),
        Some(Protocol::Sctp) => line!(out, "   protocol = SCTP"),
        None => line!(out, "   protocol = none"),
    }
    line!(out, "   alpha is {}", on(vs.alpha));
    line!(out, "   omega is {}", on(vs.omega));
    if let Some(r) = vs.retry {
        line!(out, "   Retry count = {r}");
    }
    if let Some(d) = vs.delay_before_retry {
        line!(out, "   Retry delay = {}", dec6(d));
    }
    if let Some(d) = vs.warmup {
        line!(out, "   Warmup = {}", dec6(d));
    }
    line!(out, "   Inhibit on failure is {}", on(vs.inhibit));
    line!(out, "   quorum = {}, hysteresis = {}", vs.quorum, vs.hysteresis);
    if let Some(s) = &vs.quorum_up {
        line!(out, "   Quorum up notify script = {}, uid:gid {}:{}", s.cmd, s.uid, s.gid);
    }
    if let Some(s) = &vs.quorum_down {
        line!(out, "   Quorum down notify script = {}, uid:gid {}:{}", s.cmd, s.uid, s.gid);
    }
    if vs.ha_suspend {
        line!(out, "   Using HA suspend");
    }
    line!(out, "   Using smtp notification = {}", yn(vs.smtp_alert));
    forwarding(out, "default ", vs.forwarding);
    if let Some(s) = &vs.sorry {
        line!(
            out,
            "   sorry server {}= {}",
            if s.duplicates_rs { "(duplicates rs) " } else { "" },
            trio(&s.addr, vs.protocol)
        );
        forwarding(out, "  ", s.forwarding);
        line!(out, "     Inhibit on failure is {}", on(s.inhibit));
    }
    line!(out, "   alive = {}", u8::from(vs.alive));
    line!(out, "   quorum_state_up = {}", u8::from(vs.quorum_state_up));
    line!(out, "   reloaded = {}", u8::from(vs.reloaded));
    for rs in &vs.real_servers {
        rs_lines(out, rs);
    }
}

/// The weight IPVS is given: keepalived's `real_weight`, the effective
/// weight clamped to what IPVS takes.
fn real_weight(w: i64) -> i64 {
    w.clamp(0, i64::from(i32::MAX))
}

fn rs_lines(out: &mut Lines, rs: &RsView) {
    line!(out, "   ------< Real server >------");
    line!(
        out,
        "   RIP = {}, RPORT = {}, WEIGHT = {} EFF WEIGHT = {}",
        rs.addr.ip(),
        rs.addr.port(),
        real_weight(rs.effective_weight),
        rs.effective_weight
    );
    forwarding(out, "", rs.forwarding);
    line!(out, "   Alpha is {}", on(rs.alpha));
    line!(out, "   connection timeout = {}", dec6(rs.connection_to));
    line!(out, "   connection limit range = {} -> {}", rs.l_threshold, rs.u_threshold);
    line!(out, "   Delay loop = {}", dec6(rs.delay_loop));
    if let Some(r) = rs.retry {
        line!(out, "   Retry count = {r}");
    }
    if let Some(d) = rs.delay_before_retry {
        line!(out, "   Retry delay = {}", dec6(d));
    }
    if let Some(d) = rs.warmup {
        line!(out, "   Warmup = {}", dec6(d));
    }
    line!(out, "   Inhibit on failure is {}", on(rs.inhibit));
    if let Some(s) = &rs.notify_up {
        line!(out, "     RS up notify script = {}, uid:gid {}:{}", s.cmd, s.uid, s.gid);
    }
    if let Some(s) = &rs.notify_down {
        line!(out, "     RS down notify script = {}, uid:gid {}:{}", s.cmd, s.uid, s.gid);
    }
    if let Some(h) = &rs.virtualhost {
        line!(out, "    VirtualHost = '{h}'");
    }
    if let Some(n) = &rs.snmp_name {
        line!(out, "   SNMP name = {n}");
    }
    line!(out, "   Using smtp notification = {}", yn(rs.smtp_alert));
    line!(out, "   initial weight = {}", rs.iweight);
    line!(out, "   effective weight = {}", rs.effective_weight);
    line!(out, "   previous effective_weight = {}", rs.previous_effective_weight);
    line!(out, "   alive = {}", u8::from(rs.alive));
    line!(out, "   num failed checkers = {}", rs.num_failed_checkers);
    line!(out, "   RS set = {}", u8::from(rs.set));
    line!(out, "   reloaded = {}", u8::from(rs.reloaded));
    if !rs.tracked_bfds.is_empty() {
        line!(out, "   Tracked BFDs");
        for b in &rs.tracked_bfds {
            line!(out, "     {b}");
        }
    }
}

fn checker(out: &mut Lines, c: &CheckView) {
    line!(out, " {} -> {}", c.vs, c.rs);
    line!(out, "   Enabled = {}", yn(c.enabled));
    line!(out, "   Up = {}", yn(c.up));
    line!(out, "   Has run = {}", yn(c.has_run));
    line!(out, "   Current weight = {}", c.cur_weight);
    if !matches!(c.method, MethodView::File { .. }) {
        line!(out, "   Alpha = {}", yn(c.alpha));
        line!(out, "   Delay loop = {} us", us(c.delay_loop));
        line!(out, "   Warmup = {} us", us(c.warmup));
        line!(out, "   Retries = {}", c.retry);
        if c.retry != 0 {
            line!(out, "   Delay before retry = {} us", us(c.delay_before_retry));
            line!(out, "   Retries iterations = {}", c.retry_it);
        }
        line!(out, "   Default delay before retry = {} us", us(c.default_delay_before_retry));
    }
    line!(out, "   Log all failures = {}", yn(c.log_all_failures));
    if let Some(co) = &c.conn {
        line!(out, "   Connection");
        line!(out, "     Dest = {}", pair(&co.dst));
        if let Some(b) = &co.bindto {
            line!(out, "     Bind to = {}", pair(b));
        }
        if let Some(i) = &co.bind_if {
            line!(out, "     Bind i/f = {i}");
        }
        if let Some(m) = co.fwmark.filter(|m| *m != 0) {
            line!(out, "     Mark = {m}");
        }
        line!(out, "     Timeout = {:.6}", co.timeout.as_secs_f64());
        if co.last_errno != 0 {
            line!(out, "     Last errno = {}", co.last_errno);
        }
    }
    match &c.method {
        MethodView::Tcp => line!(out, "   Keepalive method = TCP_CHECK"),
        MethodView::Ping => line!(out, "   Keepalive method = PING_CHECK"),
        MethodView::Http { ssl, protocol, virtualhost, enable_sni, fast_recovery, urls, failed_url } => {
            line!(out, "   Keepalive method = {}_GET, http protocol {protocol}", if *ssl { "SSL" } else { "HTTP" });
            if let Some(h) = virtualhost {
                line!(out, "   Virtualhost = {h}");
            }
            line!(out, "   Enable SNI {}set", if *enable_sni { "" } else { "un" });
            line!(out, "   Fast recovery {}set", if *fast_recovery { "" } else { "un" });
            for u in urls {
                url_lines(out, u);
            }
            if let Some(f) = failed_url {
                line!(out, "   Failed URL = {f}");
            }
        }
        MethodView::Smtp { helo } => {
            line!(out, "   Keepalive method = SMTP_CHECK");
            line!(out, "   helo = {helo}");
        }
        MethodView::Dns { qtype, name } => {
            line!(out, "   Keepalive method = DNS_CHECK");
            line!(out, "   Type = {qtype}");
            line!(out, "   Name = {name}");
        }
        MethodView::Misc(m) => {
            line!(out, "   Keepalive method = MISC_CHECK");
            line!(out, "   script = {}", m.script.cmd);
            line!(out, "   timeout = {}", m.timeout.as_secs());
            line!(out, "   dynamic = {}", if m.dynamic { "YES" } else { "NO" });
            line!(out, "   uid:gid = {}:{}", m.script.uid, m.script.gid);
            let text = crate::log::console_time(m.last_ran.secs);
            line!(out, "   Last ran = {}.{:06} ({text}.{:06})", m.last_ran.secs, m.last_ran.usecs, m.last_ran.usecs);
            line!(out, "   Last status = {}", m.last_status);
        }
        MethodView::Udp { payload_len, require_reply, min_reply, max_reply, reply_len, reply_mask } => {
            line!(out, "   Keepalive method = UDP_CHECK");
            match payload_len {
                Some(n) => line!(out, "   Payload len = {n}"),
                None => line!(out, "   Payload specified = no"),
            }
            line!(out, "   Require reply = {}", yn(*require_reply));
            if *require_reply {
                line!(out, "     Min reply length = {min_reply}");
                line!(out, "     Max reply length = {max_reply}");
                line!(out, "     Reply data len = {reply_len}");
                if let Some(m) = reply_mask {
                    line!(out, "     Reply data mask = {}", yn(*m));
                }
            }
        }
        MethodView::File { name, reloaded } => {
            line!(out, "   Keepalive method = FILE_CHECK");
            line!(out, "     Tracked file = {name}");
            line!(out, "     Reloaded = {}", if *reloaded { "Yes" } else { "No" });
        }
        MethodView::Bfd { name } => {
            line!(out, "   Keepalive method = BFD_CHECK");
            line!(out, "   Name = {name}");
        }
    }
}

/// `[ADDR]:PORT` as keepalived's `inet_sockaddrtopair` writes it.
fn pair(a: &SocketAddr) -> String {
    format!("[{}]:{}", a.ip(), a.port())
}

fn url_lines(out: &mut Lines, u: &UrlView) {
    line!(out, "   Checked url = {}", u.path);
    if let Some(d) = &u.digest {
        let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
        line!(out, "     digest = {hex}");
    }
    line!(out, "     HTTP Status Code(s)");
    let mut ranges = if u.status_codes.is_empty() { vec![(200, 299)] } else { u.status_codes.clone() };
    ranges.sort_unstable();
    // Merge adjacent and overlapping ranges, as keepalived's bitmap does.
    let mut merged: Vec<(u16, u16)> = Vec::new();
    for (a, b) in ranges {
        match merged.last_mut() {
            Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    for (a, b) in merged {
        if a == b {
            line!(out, "       {a}");
        } else {
            line!(out, "       {a}-{b}");
        }
    }
    if let Some(h) = &u.virtualhost {
        line!(out, "     Virtual host = {h}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::validate::SystemView;

    fn view(conf: &str) -> CheckerView {
        let loaded =
            crate::config::load_str(std::path::Path::new("t.conf"), conf, &Default::default(), &SystemView::default());
        CheckerView::from_config(
            &loaded.config.lvs,
            &Users::from_files("root:x:0:0::/:/bin/sh\n", "root:x:0:\n", None),
            None,
        )
    }

    const CONF: &str = "virtual_server 10.1.0.100 80 {\n delay_loop 6\n lb_algo rr\n lb_kind NAT\n \
                        persistence_timeout 50\n protocol TCP\n sorry_server 10.1.0.9 80\n \
                        real_server 10.1.0.2 80 {\n  weight 1\n  TCP_CHECK {\n   connect_timeout 3\n  }\n }\n \
                        real_server 10.1.0.3 8080 {\n  weight 2\n  HTTP_GET {\n   url {\n    path /\n    status_code 200\n   }\n   \
                        connect_timeout 3\n   retry 3\n  }\n }\n}\n";

    #[test]
    fn virtual_and_real_servers_in_keepalived_layout() {
        let v = view(CONF);
        let text = data("", &v);
        let want_vs = " ------< Virtual server >------\n VS VIP = 10.1.0.100, VPORT = 80\n   Address family = inet\n   \
                       connection timeout = 5.000000\n   delay_loop = 6.000000\n   lvs_sched = rr\n   Hashed = disabled\n   \
                       flag-1 = disabled\n   flag-2 = disabled\n   flag-3 = disabled\n   One packet scheduling = disabled\n   \
                       persistence timeout = 50\n   protocol = TCP\n   alpha is OFF\n   omega is OFF\n   \
                       Inhibit on failure is OFF\n   quorum = 1, hysteresis = 0\n   Using smtp notification = no\n   \
                       default forwarding method = NAT\n   sorry server = [10.1.0.9]:tcp:80\n     forwarding method = NAT\n     \
                       Inhibit on failure is OFF\n   alive = 0\n   quorum_state_up = 0\n   reloaded = 0\n";
        assert!(text.contains(want_vs), "{text}");
        let want_rs = "   ------< Real server >------\n   RIP = 10.1.0.3, RPORT = 8080, WEIGHT = 2 EFF WEIGHT = 2\n   \
                       forwarding method = NAT\n   Alpha is OFF\n   connection timeout = 5.000000\n   \
                       connection limit range = 0 -> 0\n   Delay loop = 6.000000\n   Inhibit on failure is OFF\n   \
                       Using smtp notification = yes\n   initial weight = 2\n   effective weight = 2\n   \
                       previous effective_weight = 0\n   alive = 0\n   num failed checkers = 0\n   RS set = 0\n   reloaded = 0\n";
        assert!(text.contains(want_rs), "{text}");
        assert!(text.starts_with("------< LVS Topology >------\n System is compiled with LVS v1.2.1\n"), "{text}");
    }

    #[test]
    fn health_checkers_in_keepalived_layout() {
        let text = data("", &view(CONF));
        let tcp = " [10.1.0.100]:tcp:80 -> [10.1.0.2]:tcp:80\n   Enabled = yes\n   Up = no\n   Has run = no\n   \
                   Current weight = 0\n   Alpha = no\n   Delay loop = 6000000 us\n   Warmup = 6000000 us\n   Retries = 1\n   \
                   Delay before retry = 1000000 us\n   Retries iterations = 0\n   Default delay before retry = 1000000 us\n   \
                   Log all failures = no\n   Connection\n     Dest = [10.1.0.2]:80\n     Timeout = 3.000000\n   \
                   Keepalive method = TCP_CHECK\n";
        assert!(text.contains(tcp), "{text}");
        let http = "   Keepalive method = HTTP_GET, http protocol 1.0\n   Enable SNI unset\n   Fast recovery unset\n   \
                    Checked url = /\n     HTTP Status Code(s)\n       200\n";
        assert!(text.contains(http), "{text}");
        assert!(text.contains("   Retries = 3\n   Delay before retry = 3000000 us\n"), "{text}");
    }

    #[test]
    fn groups_fwmarks_and_status_code_ranges() {
        let v = view(
            "virtual_server_group G {\n 10.2.0.1-5 80\n fwmark 9\n}\nvirtual_server group G {\n lb_algo wlc\n \
             protocol TCP\n real_server 10.2.1.1 80 {\n  HTTP_GET {\n   url {\n    path /a\n    status_code 200-204 206\n   }\n  }\n }\n}\n",
        );
        let text = data("G\n", &v);
        assert!(text.starts_with("G\n------< LVS Topology >------"), "{text}");
        assert!(
            text.contains(
                " ------< Virtual server group >------\n Virtual Server Group = G, IPv4 = yes, IPv6 = no\n   \
                 VIP Range = 10.2.0.1-10.2.0.5, VPORT = 80\n     Alive: 0 tcp, 0 udp, 0 sctp\n     reloaded = False\n   \
                 FWMARK = 9\n     Alive: 0 IPv4, 0 IPv6\n     reloaded = False\n"
            ),
            "{text}"
        );
        assert!(text.contains(" VS GROUP = [G]:0\n"), "{text}");
        assert!(text.contains("       200-204\n       206\n"), "{text}");
    }
}
