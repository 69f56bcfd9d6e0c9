//! The director (pure): which services and real servers the kernel table
//! should hold, from the configuration and the real servers' verdicts, with
//! keepalived's quorum, hysteresis, sorry server and inhibit_on_failure
//! rules, and the log lines keepalived writes as the state changes.
//!
//! - [`specs`] turns the lvs part of the configuration into [`VsSpec`]s:
//!   the kernel services of each virtual server (one per address of a
//!   `virtual_server_group` range, one per fwmark), their settings, the
//!   real servers and the sorry server.
//! - [`Director`] keeps the state that outlives a reload (quorum up or down,
//!   sorry server in the pool, each real server up or down) and answers
//!   [`Director::desired`], the table the kernel should hold. What to change
//!   in the kernel is [`super::diff`]'s business.
//! - Verdicts: until the health checkers exist, a real server is up, or down
//!   from the start when one of its checkers has `alpha` (nothing will bring
//!   it up). The checkers feed [`Director::set_verdict`].

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use super::table::{
    AF_INET6, DestAttrs, DestKey, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, ServiceAttrs, ServiceKey, Table, af_number,
    fwd, svc_flags, tun,
};
use crate::config::model::Script;
use crate::config::model::lvs::{
    Family, Forwarding, Granularity, LvsConfig, Protocol, RealServer, TunnelCsum, TunnelKind, VirtualServer,
    VirtualServerGroup, VsKey,
};

/// What identifies a virtual server from one configuration to the next
/// (keepalived's rule): its protocol and address, its family and fwmark, or
/// its group and its place among the virtual servers using that group.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum VsId {
    Addr { proto: u16, addr: SocketAddr },
    Fwmark { af: u16, mark: u32 },
    Group { name: String, ordinal: u32 },
}

/// A real (or sorry) server as the director uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RsSpec {
    /// Address and port (ports resolved as keepalived does: a NAT server
    /// without a port takes the virtual server's).
    pub(crate) addr: SocketAddr,
    /// Its virtual server's protocol (`IPPROTO_*`, 0 for a fwmark), for its name.
    pub(crate) proto: u16,
    /// The configured weight.
    pub(crate) weight: u32,
    /// Forwarding method, tunnel settings and thresholds (the weight is filled in per state).
    pub(crate) attrs: DestAttrs,
    /// inhibit_on_failure (sorry_server_inhibit for the sorry server): when
    /// down, stay in the table with weight 0.
    pub(crate) inhibit: bool,
    /// Down from the start: a checker of it has `alpha`.
    pub(crate) alpha: bool,
    /// Boxed: most real servers have none, and there may be tens of thousands.
    pub(crate) notify_up: Option<Box<Script>>,
    pub(crate) notify_down: Option<Box<Script>>,
}

/// One entry of a group, as keepalived names it in its reload messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum GroupEntry {
    Range { first: IpAddr, last: IpAddr, port: u16 },
    Fwmark(u32),
}

/// A virtual server as the director runs it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct VsSpec {
    pub(crate) id: VsId,
    /// Its place in the configuration's `virtual_servers`.
    pub(crate) index: usize,
    /// keepalived's name: `[IP]:proto:PORT`, `FWM N` or `[GROUP]:N`.
    pub(crate) name: String,
    /// The protocol (`IPPROTO_*`; 0 for a fwmark service).
    pub(crate) proto: u16,
    /// The kernel services, in order.
    pub(crate) services: Vec<ServiceKey>,
    /// Settings shared by the services; the netmask is per family ([`VsSpec::attrs_for`]).
    pub(crate) attrs: ServiceAttrs,
    /// The persistence granularity as configured.
    pub(crate) granularity: Option<Granularity>,
    pub(crate) quorum: u32,
    pub(crate) hysteresis: u32,
    pub(crate) real_servers: Vec<RsSpec>,
    pub(crate) sorry: Option<RsSpec>,
    pub(crate) omega: bool,
    pub(crate) quorum_up: Option<Script>,
    pub(crate) quorum_down: Option<Script>,
    /// For a group: its name and entries (reload messages).
    pub(crate) group: Option<(String, Vec<GroupEntry>)>,
}

impl RsSpec {
    /// keepalived's name for it: `[IP]:proto:PORT` (made when a line says it:
    /// a large configuration has tens of thousands of real servers).
    pub(crate) fn name(&self) -> String {
        trio(&self.addr, self.proto)
    }
}

impl VsSpec {
    /// The settings of one of its services: the persistence netmask is the
    /// granularity of that family, else all ones (IPv4) or 128 (IPv6).
    pub(crate) fn attrs_for(&self, svc: &ServiceKey) -> ServiceAttrs {
        let mut a = self.attrs.clone();
        let v6 = svc.af == AF_INET6;
        a.netmask = if v6 { 128 } else { u32::MAX };
        if a.timeout > 0 {
            match self.granularity {
                Some(Granularity::V4Mask(m)) if !v6 => a.netmask = u32::from_ne_bytes(m.octets()),
                Some(Granularity::V6Prefix(p)) if v6 => a.netmask = u32::from(p),
                _ => {}
            }
        }
        a
    }

    /// The destination of real server `rs` in service `svc`: a server that
    /// is not masqueraded answers on the service's port (0 for a fwmark).
    pub(crate) fn dest_key(rs: &RsSpec, svc: &ServiceKey) -> DestKey {
        let port = if rs.attrs.fwd == fwd::MASQ { rs.addr.port() } else { svc.port };
        DestKey { addr: rs.addr.ip(), port }
    }
}

/// keepalived's protocol names in messages.
fn proto_name(p: u16) -> &'static str {
    match p {
        IPPROTO_TCP => "tcp",
        IPPROTO_UDP => "udp",
        IPPROTO_SCTP => "sctp",
        0 => "none",
        _ => "?",
    }
}

fn proto_number(p: Option<Protocol>) -> u16 {
    match p {
        Some(Protocol::Tcp) => IPPROTO_TCP,
        Some(Protocol::Udp) => IPPROTO_UDP,
        Some(Protocol::Sctp) => IPPROTO_SCTP,
        None => 0,
    }
}

/// `[IP]:proto:PORT`.
fn trio(addr: &SocketAddr, proto: u16) -> String {
    format!("[{}]:{}:{}", addr.ip(), proto_name(proto), addr.port())
}

fn dest_attrs(f: Forwarding, rs: &RealServer) -> DestAttrs {
    let mut a = DestAttrs { u_thresh: rs.uthreshold, l_thresh: rs.lthreshold, ..DestAttrs::default() };
    match f {
        Forwarding::Nat => a.fwd = fwd::MASQ,
        Forwarding::Dr => a.fwd = fwd::DROUTE,
        Forwarding::Tun(t) => {
            a.fwd = fwd::TUNNEL;
            match t.kind {
                TunnelKind::Ipip => a.tun_type = tun::IPIP,
                TunnelKind::Gue { port } => {
                    a.tun_type = tun::GUE;
                    a.tun_port = port;
                }
                TunnelKind::Gre => a.tun_type = tun::GRE,
            }
            if a.tun_type != tun::IPIP {
                a.tun_flags = match t.csum {
                    TunnelCsum::NoCsum => 0,
                    TunnelCsum::Csum => tun::F_CSUM,
                    TunnelCsum::RemCsum => tun::F_REMCSUM,
                };
            }
        }
    }
    a
}

/// Iterates the addresses of a group range (at most `limit`).
fn range_addrs(first: IpAddr, last: IpAddr, limit: usize) -> Vec<IpAddr> {
    let mut out = Vec::new();
    match (first, last) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let (a, b) = (u32::from(a), u32::from(b));
            let mut x = a;
            while x <= b && out.len() < limit {
                out.push(IpAddr::V4(x.into()));
                match x.checked_add(1) {
                    Some(n) => x = n,
                    None => break,
                }
            }
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let (a, b) = (u128::from(a), u128::from(b));
            let mut x = a;
            while x <= b && out.len() < limit {
                out.push(IpAddr::V6(x.into()));
                match x.checked_add(1) {
                    Some(n) => x = n,
                    None => break,
                }
            }
        }
        _ => out.push(first),
    }
    out
}

/// The most addresses one group range may expand to (IPv6 ranges vary the
/// last 16 bits only).
const MAX_RANGE: usize = 65_536;

fn rs_spec(vs: &VirtualServer, rs: &RealServer, proto: u16, inhibit: bool, fixed_port: Option<u16>) -> RsSpec {
    let f = vs.effective_forwarding(rs);
    let attrs = dest_attrs(f, rs);
    let mut addr = rs.addr;
    match fixed_port {
        // A fwmark service: only a masqueraded server keeps a port.
        Some(0) if attrs.fwd != fwd::MASQ => addr.set_port(0),
        // An address service: a server without a port, or not masqueraded,
        // uses the service's port.
        Some(p) if p != 0 && (addr.port() == 0 || attrs.fwd != fwd::MASQ) => addr.set_port(p),
        _ => {}
    }
    let (notify_up, notify_down) = match &rs.extra {
        Some(x) => (x.notify_up.clone().map(Box::new), x.notify_down.clone().map(Box::new)),
        None => (None, None),
    };
    RsSpec {
        addr,
        proto,
        weight: rs.weight,
        attrs,
        inhibit,
        alpha: rs.checkers.iter().any(|c| c.effective_alpha(rs, vs)),
        notify_up,
        notify_down,
    }
}

/// The virtual servers of a configuration, in order.
pub(crate) fn specs(cfg: &LvsConfig) -> Vec<VsSpec> {
    let mut ordinals: HashMap<&str, u32> = HashMap::new();
    let mut out = Vec::with_capacity(cfg.virtual_servers.len());
    for (index, vs) in cfg.virtual_servers.iter().enumerate() {
        let proto = proto_number(vs.protocol);
        let family = vs.family.unwrap_or(Family::Inet);
        let (id, name, services, group, fixed_port) = match &vs.key {
            VsKey::Addr(sa) => (
                VsId::Addr { proto, addr: *sa },
                trio(sa, proto),
                vec![ServiceKey::addr(proto, sa.ip(), sa.port())],
                None,
                Some(sa.port()),
            ),
            VsKey::Fwmark(m) => (
                VsId::Fwmark { af: af_number(family), mark: *m },
                format!("FWM {m}"),
                vec![ServiceKey::fwmark(family, *m)],
                None,
                Some(0),
            ),
            VsKey::Group(gname) => {
                let Some(g) = cfg.group(gname) else { continue };
                let n = ordinals.entry(gname.as_str()).or_insert(0);
                let ordinal = *n;
                *n += 1;
                let (svcs, entries) = group_services(g, proto, vs.family);
                (
                    VsId::Group { name: gname.clone(), ordinal },
                    format!("[{gname}]:{ordinal}"),
                    svcs,
                    Some((gname.clone(), entries)),
                    None,
                )
            }
        };
        let mut flags = 0;
        if vs.flags.flag1 {
            flags |= svc_flags::SCHED1;
        }
        if vs.flags.flag2 {
            flags |= svc_flags::SCHED2;
        }
        if vs.flags.flag3 {
            flags |= svc_flags::SCHED3;
        }
        if vs.flags.ops {
            flags |= svc_flags::ONEPACKET;
        }
        if vs.flags.hashed {
            flags |= svc_flags::HASHED;
        }
        let persistent = vs.persistence.timeout > 0;
        if persistent {
            flags |= svc_flags::PERSISTENT;
        }
        let attrs = ServiceAttrs {
            sched: vs.scheduler.map(|s| s.name()).unwrap_or("wlc").to_owned(),
            flags: flags & !svc_flags::HASHED,
            timeout: vs.persistence.timeout,
            netmask: u32::MAX,
            pe_name: if persistent { vs.persistence.engine.clone().unwrap_or_default() } else { String::new() },
        };
        let real_servers: Vec<RsSpec> = vs
            .real_servers
            .iter()
            .map(|rs| rs_spec(vs, rs, proto, vs.effective_inhibit_on_failure(rs), fixed_port))
            .collect();
        let sorry = vs.sorry_server.as_ref().map(|ss| {
            let inhibit = ss.extra.as_ref().is_some_and(|x| x.inhibit);
            let mut s = rs_spec(vs, ss, proto, inhibit, fixed_port);
            s.alpha = false;
            s
        });
        out.push(VsSpec {
            id,
            index,
            name,
            proto,
            services,
            attrs,
            granularity: if persistent { vs.persistence.granularity } else { None },
            quorum: vs.quorum,
            hysteresis: vs.hysteresis,
            real_servers,
            sorry,
            omega: vs.omega,
            quorum_up: vs.quorum_up.clone(),
            quorum_down: vs.quorum_down.clone(),
            group,
        });
    }
    out
}

/// The kernel services of a group used with `proto` (0: fwmarks only), and
/// its entries for messages. Address ranges give one service per address;
/// fwmarks one each, in the entry's family, else the virtual server's,
/// else IPv4.
fn group_services(g: &VirtualServerGroup, proto: u16, vs_family: Option<Family>) -> (Vec<ServiceKey>, Vec<GroupEntry>) {
    let mut svcs = Vec::new();
    let mut entries = Vec::new();
    for r in &g.ranges {
        entries.push(GroupEntry::Range { first: r.first, last: r.last, port: r.port });
        for a in range_addrs(r.first, r.last, MAX_RANGE) {
            svcs.push(ServiceKey::addr(proto, a, r.port));
        }
    }
    for f in &g.fwmarks {
        entries.push(GroupEntry::Fwmark(f.fwmark));
        let fam = f.family.or(vs_family).unwrap_or(Family::Inet);
        svcs.push(ServiceKey::fwmark(fam, f.fwmark));
    }
    (svcs, entries)
}

/// A real server's state as decided by its checkers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Verdict {
    pub(crate) up: bool,
    /// An effective weight other than the configured one (dynamic checkers).
    pub(crate) weight: Option<i64>,
}

/// What the director asks of the runtime besides table changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Event {
    /// A line for the log, in keepalived's words.
    Log(String),
    /// A notify script to run, named by its keyword (`quorum_up`, `notify_down`...).
    Script { keyword: &'static str, script: Script },
    /// A line for the notify FIFOs (`notify_fifo`, `lvs_notify_fifo`), with
    /// its newline: `VS [10.0.0.1]:tcp:80 UP`, `RS [10.1.0.1]:tcp:80
    /// [10.0.0.1]:tcp:80 DOWN` (keepalived's notify_fifo_vs / notify_fifo_rs).
    Fifo(String),
}

/// The state a real server starts with when it has no previous one: alive
/// and effective weight, as its checkers and tracked files decide it before
/// they run (`None`: up with its configured weight, down with alpha).
pub(crate) type Initial<'a> = &'a dyn Fn(&VsId, SocketAddr) -> Option<(bool, i64)>;

/// How the table is released at shutdown (lvs_flush_on_stop).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Release {
    /// Each real server, then each virtual server.
    EachServer,
    /// Each virtual server (the kernel drops its real servers).
    VirtualServers,
    /// The whole table at once.
    Flush,
}

#[derive(Clone, Debug)]
struct RsState {
    alive: bool,
    /// The effective weight (configured, or as a checker set it).
    weight: i64,
}

#[derive(Clone, Debug)]
struct VsState {
    spec: VsSpec,
    quorum_up: bool,
    /// The sorry server is in the pool (in place of the real servers).
    sorry_active: bool,
    rs: Vec<RsState>,
}

/// keepalived's clamp of an effective weight to what IPVS accepts.
fn real_weight(w: i64) -> i32 {
    i32::try_from(w.clamp(0, i64::from(i32::MAX))).unwrap_or(i32::MAX)
}

impl VsState {
    fn new(spec: VsSpec, initial: Initial<'_>) -> VsState {
        let rs = spec
            .real_servers
            .iter()
            .map(|r| match initial(&spec.id, r.addr) {
                Some((alive, weight)) => RsState { alive, weight },
                None => RsState { alive: !r.alpha, weight: i64::from(r.weight) },
            })
            .collect();
        // keepalived decides this before any real server is in the pool:
        // up only when nothing at all is needed.
        let quorum_up = spec.quorum == 0 && spec.hysteresis == 0;
        VsState { spec, quorum_up, sorry_active: false, rs }
    }

    fn live_weight(&self) -> i64 {
        self.rs.iter().filter(|r| r.alive).map(|r| i64::from(real_weight(r.weight))).sum()
    }

    /// Whether real server `i` is in the kernel table.
    fn is_set(&self, i: usize) -> bool {
        let (Some(spec), Some(st)) = (self.spec.real_servers.get(i), self.rs.get(i)) else { return false };
        if self.sorry_active { spec.inhibit } else { st.alive || spec.inhibit }
    }

    fn sorry_name(&self) -> String {
        self.spec.sorry.as_ref().map(RsSpec::name).unwrap_or_default()
    }

    /// keepalived's do_vs_notifies: the quorum script, then the FIFO line.
    fn quorum_script(&self, out: &mut Vec<Event>) {
        let (keyword, script) =
            if self.quorum_up { ("quorum_up", &self.spec.quorum_up) } else { ("quorum_down", &self.spec.quorum_down) };
        if let Some(s) = script {
            out.push(Event::Script { keyword, script: s.clone() });
        }
        out.push(Event::Fifo(format!("VS {} {}\n", self.spec.name, if self.quorum_up { "UP" } else { "DOWN" })));
    }

    /// keepalived's do_rs_notifies: the real server's script, then the FIFO line.
    fn rs_script(&self, i: usize, out: &mut Vec<Event>) {
        let (Some(spec), Some(st)) = (self.spec.real_servers.get(i), self.rs.get(i)) else { return };
        let (keyword, script) =
            if st.alive { ("notify_up", &spec.notify_up) } else { ("notify_down", &spec.notify_down) };
        if let Some(s) = script {
            out.push(Event::Script { keyword, script: (**s).clone() });
        }
        out.push(Event::Fifo(format!(
            "RS {} {} {}\n",
            spec.name(),
            self.spec.name,
            if st.alive { "UP" } else { "DOWN" }
        )));
    }

    /// keepalived's quorum rule, run after real servers change and when a
    /// virtual server is (re)initialised (`init`).
    fn update_quorum(&mut self, init: bool, out: &mut Vec<Event>) {
        let live = self.live_weight();
        let (q, h) = (i64::from(self.spec.quorum), i64::from(self.spec.hysteresis));
        let threshold = if self.quorum_up { q - h } else { q + h };
        let name = &self.spec.name;
        if !self.quorum_up && live >= threshold {
            self.quorum_up = true;
            out.push(Event::Log(format!("Gained quorum {q}+{h}={threshold} <= {live} for VS {name}")));
            if self.sorry_active {
                let inhibit = self.spec.sorry.as_ref().is_some_and(|s| s.inhibit);
                out.push(Event::Log(format!(
                    "{} sorry server {} from VS {name}",
                    if inhibit { "Disabling" } else { "Removing" },
                    self.sorry_name()
                )));
                self.sorry_active = false;
                out.push(Event::Log(format!("Adding alive servers to the pool for VS {name}")));
            }
            self.quorum_script(out);
        } else if (self.quorum_up && (live == 0 || live < threshold))
            || (init && !self.quorum_up && self.spec.sorry.is_some() && !self.sorry_active)
        {
            self.quorum_up = false;
            out.push(Event::Log(format!(
                "{} {q}-{h}={threshold} > {live} for VS {name}",
                if init { "Starting with quorum down" } else { "Lost quorum" }
            )));
            if let Some(s) = &self.spec.sorry
                && !self.sorry_active
            {
                out.push(Event::Log(format!(
                    "{} sorry server {} to VS {name}",
                    if s.inhibit { "Enabling" } else { "Adding" },
                    s.name()
                )));
                out.push(Event::Log(format!("Removing alive servers from the pool for VS {name}")));
                self.sorry_active = true;
            }
            self.quorum_script(out);
        }
    }

    /// keepalived's check after real servers left: a quorum that is lost
    /// runs quorum_down (the lines come later, when the quorum is decided again).
    fn quorum_lost_notify(&mut self, out: &mut Vec<Event>) {
        let live = self.live_weight();
        let threshold = i64::from(self.spec.quorum) - i64::from(self.spec.hysteresis);
        if self.quorum_up && (live == 0 || live < threshold) {
            self.quorum_up = false;
            self.quorum_script(out);
        }
    }

    /// Adds this virtual server's entries to `t`.
    fn fill(&self, t: &mut Table) {
        for svc in &self.spec.services {
            let s = t.entry(*svc, self.spec.attrs_for(svc));
            for (i, (spec, st)) in self.spec.real_servers.iter().zip(&self.rs).enumerate() {
                if !self.is_set(i) {
                    continue;
                }
                let on = st.alive && !self.sorry_active;
                let weight = if on { real_weight(st.weight) } else { 0 };
                s.set_dest(VsSpec::dest_key(spec, svc), DestAttrs { weight, ..spec.attrs });
            }
            if let Some(ss) = &self.spec.sorry {
                let key = VsSpec::dest_key(ss, svc);
                if self.sorry_active {
                    s.set_dest(key, DestAttrs { weight: real_weight(i64::from(ss.weight)), ..ss.attrs });
                } else if ss.inhibit && s.dest(&key).is_none() {
                    s.set_dest(key, DestAttrs { weight: 0, ..ss.attrs });
                }
            }
        }
    }
}

/// The running virtual servers and their state.
#[derive(Clone, Debug, Default)]
pub(crate) struct Director {
    vs: Vec<VsState>,
}

/// A read-only view of a virtual server, for dumps.
pub(crate) struct VsView<'a> {
    pub(crate) spec: &'a VsSpec,
    pub(crate) quorum_up: bool,
    /// Each real server: alive, effective weight, in the table.
    pub(crate) rs: Vec<(&'a RsSpec, bool, i64, bool)>,
}

impl Director {
    /// Starts the virtual servers of a configuration: every real server up
    /// unless alpha holds it down, then the quorum of each decided.
    /// `rs_init_notifies` runs the notify_up scripts of the servers that start up.
    /// The events are per virtual server, in order (keepalived programs a
    /// virtual server, then decides its quorum, then goes to the next).
    #[cfg(test)]
    pub(crate) fn start(specs: Vec<VsSpec>, rs_init_notifies: bool) -> (Director, Vec<Vec<Event>>) {
        Director::start_with(specs, rs_init_notifies, &|_, _| None)
    }

    /// [`Director::start`] with each real server's state before its checkers run.
    pub(crate) fn start_with(
        specs: Vec<VsSpec>,
        rs_init_notifies: bool,
        initial: Initial<'_>,
    ) -> (Director, Vec<Vec<Event>>) {
        let mut all = Vec::with_capacity(specs.len());
        let mut vs = Vec::with_capacity(specs.len());
        for spec in specs {
            let mut out = Vec::new();
            let mut st = VsState::new(spec, initial);
            if rs_init_notifies {
                for i in 0..st.rs.len() {
                    if st.rs.get(i).is_some_and(|r| r.alive) {
                        st.rs_script(i, &mut out);
                    }
                }
            }
            st.update_quorum(true, &mut out);
            vs.push(st);
            all.push(out);
        }
        (Director { vs }, all)
    }

    /// The kernel services of the virtual server at `i` (in start order).
    pub(crate) fn services_of(&self, i: usize) -> &[ServiceKey] {
        self.vs.get(i).map(|v| v.spec.services.as_slice()).unwrap_or(&[])
    }

    /// Switches to a new configuration, keeping the state of the virtual and
    /// real servers that are in both (keepalived's reload rules): first the
    /// old virtual servers in their order (those gone are removed, those kept
    /// lose the real servers and sorry server no longer configured), then
    /// the new ones in theirs (kept ones carry their state over, weights
    /// that changed are said, and every quorum is decided again).
    #[cfg(test)]
    pub(crate) fn reload(&mut self, specs: Vec<VsSpec>) -> Vec<Event> {
        self.reload_with(specs, &|_, _| None)
    }

    /// [`Director::reload`] with the state of the real servers that are new
    /// (see [`Initial`]). A real server that is kept keeps its state, and its
    /// effective weight unless its configured weight changed.
    pub(crate) fn reload_with(&mut self, specs: Vec<VsSpec>, initial: Initial<'_>) -> Vec<Event> {
        let mut out = Vec::new();
        let new_ids: HashMap<&VsId, &VsSpec> = specs.iter().map(|s| (&s.id, s)).collect();
        let mut kept: HashMap<VsId, VsState> = HashMap::new();
        for mut v in std::mem::take(&mut self.vs) {
            let Some(next) = new_ids.get(&v.spec.id).copied() else {
                match &v.spec.group {
                    Some((g, _)) => out.push(Event::Log(format!("Removing Virtual Server Group [{g}]"))),
                    None => out.push(Event::Log(format!("Removing Virtual Server {}", v.spec.name))),
                }
                v.sorry_active = false;
                for i in 0..v.rs.len() {
                    remove_rs(&mut v, i, false, &mut out);
                }
                v.quorum_lost_notify(&mut out);
                continue;
            };
            if let (Some((g, new_entries)), Some((_, old_entries))) = (&next.group, &v.spec.group) {
                group_changes(g, v.spec.proto, old_entries, new_entries, &mut out);
            }
            let quorum_before = v.quorum_up;
            for i in 0..v.rs.len() {
                let Some(r) = v.spec.real_servers.get(i) else { continue };
                if !next.real_servers.iter().any(|n| n.addr == r.addr) {
                    out.push(Event::Log(format!("service {} no longer exist", r.name())));
                    remove_rs(&mut v, i, false, &mut out);
                }
            }
            v.quorum_lost_notify(&mut out);
            v.quorum_up = quorum_before;
            match (&v.spec.sorry, &next.sorry) {
                (Some(o), Some(n)) if o.addr == n.addr => {}
                (Some(o), _) if v.sorry_active => {
                    out.push(Event::Log(format!("Removing sorry server {} from VS {}", o.name(), v.spec.name)));
                    v.sorry_active = false;
                }
                _ => {}
            }
            kept.insert(v.spec.id.clone(), v);
        }
        for spec in specs {
            let mut st = VsState::new(spec, initial);
            if let Some(prev) = kept.remove(&st.spec.id) {
                st.quorum_up = prev.quorum_up;
                st.sorry_active = prev.sorry_active && st.spec.sorry.is_some();
                for i in 0..st.rs.len() {
                    let Some(r) = st.spec.real_servers.get(i) else { continue };
                    let Some(j) = prev.spec.real_servers.iter().position(|o| o.addr == r.addr) else { continue };
                    let (Some(old), Some(new)) = (prev.rs.get(j), st.rs.get_mut(i)) else { continue };
                    new.alive = old.alive;
                    let same_weight = prev.spec.real_servers.get(j).is_some_and(|o| o.weight == r.weight);
                    if same_weight {
                        new.weight = old.weight;
                    } else {
                        new.weight = i64::from(r.weight);
                    }
                    let (old_w, new_w) = (real_weight(old.weight), real_weight(new.weight));
                    if new_w != old_w {
                        out.push(Event::Log(format!(
                            "Changing weight from {old_w} to {new_w} for {}active service {} of VS {}",
                            if new.alive { "" } else { "in" },
                            r.name(),
                            st.spec.name
                        )));
                    }
                }
            }
            st.update_quorum(true, &mut out);
            self.vs.push(st);
        }
        out
    }

    /// A checker's verdict on real server `rs` of virtual server `vs`.
    pub(crate) fn set_verdict(&mut self, vs: &VsId, rs: SocketAddr, v: Verdict) -> Vec<Event> {
        let mut out = Vec::new();
        let Some(st) = self.vs.iter_mut().find(|s| &s.spec.id == vs) else { return out };
        let Some(i) = st.spec.real_servers.iter().position(|r| r.addr == rs) else { return out };
        let (Some(spec), Some(cur)) = (st.spec.real_servers.get(i).cloned(), st.rs.get(i).cloned()) else {
            return out;
        };
        // The checkers log a weight change themselves (update_svr_wgt), when
        // it happens: a server that is down takes it with its next verdict.
        let new_weight = v.weight.unwrap_or(i64::from(spec.weight));
        if let Some(r) = st.rs.get_mut(i) {
            r.weight = new_weight;
        }
        if cur.alive != v.up {
            let verb = match (v.up, spec.inhibit) {
                (true, true) => "Enabling",
                (true, false) => "Adding",
                (false, true) => "Disabling",
                (false, false) => "Removing",
            };
            let to = if spec.inhibit {
                "of"
            } else if v.up {
                "to"
            } else {
                "from"
            };
            out.push(Event::Log(format!("{verb} service {} {to} VS {}", spec.name(), st.spec.name)));
            if let Some(r) = st.rs.get_mut(i) {
                r.alive = v.up;
            }
            st.rs_script(i, &mut out);
        }
        st.update_quorum(false, &mut out);
        out
    }

    /// A checker's first run that did not change its real server's state:
    /// the notify script and FIFO line of the state it confirms (keepalived's
    /// update_svr_checker_state for an alpha or failed checker).
    pub(crate) fn rs_notify(&self, vs: &VsId, rs: SocketAddr) -> Vec<Event> {
        let mut out = Vec::new();
        if let Some(st) = self.vs.iter().find(|s| &s.spec.id == vs)
            && let Some(i) = st.spec.real_servers.iter().position(|r| r.addr == rs)
        {
            st.rs_script(i, &mut out);
        }
        out
    }

    /// The table the kernel should hold.
    pub(crate) fn desired(&self) -> Table {
        let mut t = Table::default();
        for v in &self.vs {
            v.fill(&mut t);
        }
        t
    }

    /// Every kernel service of the running virtual servers.
    pub(crate) fn services(&self) -> impl Iterator<Item = &ServiceKey> {
        self.vs.iter().flat_map(|v| v.spec.services.iter())
    }

    /// Shutdown: keepalived's lines and the notify scripts that run (with
    /// omega); afterwards nothing is desired.
    pub(crate) fn shutdown(&mut self, release: Release) -> Vec<Event> {
        let mut out = Vec::new();
        for v in &mut self.vs {
            if release == Release::EachServer {
                v.sorry_active = false;
                for i in 0..v.rs.len() {
                    let (Some(spec), Some(st)) = (v.spec.real_servers.get(i), v.rs.get(i)) else { continue };
                    out.push(Event::Log(format!(
                        "Shutting down {}service {} from VS {}",
                        if spec.inhibit && !st.alive { "(inhibited) " } else { "" },
                        spec.name(),
                        v.spec.name
                    )));
                    if st.alive && v.spec.omega {
                        let mut down = v.clone();
                        if let Some(r) = down.rs.get_mut(i) {
                            r.alive = false;
                        }
                        down.rs_script(i, &mut out);
                    }
                }
                for r in &mut v.rs {
                    r.alive = false;
                }
            }
            v.quorum_up = false;
            if v.spec.omega {
                v.quorum_script(&mut out);
            }
        }
        self.vs.clear();
        out
    }

    /// The running virtual servers, for dumps.
    pub(crate) fn views(&self) -> Vec<VsView<'_>> {
        self.vs
            .iter()
            .map(|v| VsView {
                spec: &v.spec,
                quorum_up: v.quorum_up,
                rs: v
                    .spec
                    .real_servers
                    .iter()
                    .zip(&v.rs)
                    .enumerate()
                    .map(|(i, (s, st))| (s, st.alive, st.weight, v.is_set(i)))
                    .collect(),
            })
            .collect()
    }
}

/// Removes real server `i` from a virtual server that keeps running or
/// goes away: keepalived's line when it was in the table, the notify_down
/// script when it was up.
fn remove_rs(v: &mut VsState, i: usize, stopping: bool, out: &mut Vec<Event>) {
    let set = v.is_set(i);
    let (Some(spec), Some(st)) = (v.spec.real_servers.get(i), v.rs.get(i)) else { return };
    if set || stopping {
        out.push(Event::Log(format!(
            "{} {}service {} from VS {}",
            if stopping { "Shutting down" } else { "Removing" },
            if spec.inhibit && !st.alive { "(inhibited) " } else { "" },
            spec.name(),
            v.spec.name
        )));
    }
    if set && st.alive {
        if let Some(r) = v.rs.get_mut(i) {
            r.alive = false;
        }
        v.rs_script(i, out);
    }
}

/// keepalived's lines for group entries that went or came at a reload.
fn group_changes(g: &str, proto: u16, old: &[GroupEntry], new: &[GroupEntry], out: &mut Vec<Event>) {
    let describe = |e: &GroupEntry| match e {
        GroupEntry::Fwmark(m) => (format!("{m}"), format!("FWM {m}")),
        GroupEntry::Range { first, last, port } => {
            let t = trio(&SocketAddr::new(*first, *port), proto);
            let s = if first == last { t } else { format!("{t}-{last}") };
            (s.clone(), s)
        }
    };
    for e in old {
        if !new.contains(e) {
            out.push(Event::Log(format!("VS [{}] in group {g} no longer exists", describe(e).0)));
        }
    }
    for e in new {
        if !old.contains(e) {
            out.push(Event::Log(format!("VS [{}] added into group {g}", describe(e).1)));
        }
    }
}

#[cfg(test)]
mod tests;
