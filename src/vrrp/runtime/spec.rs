//! What the runtime needs of one `vrrp_instance`, taken from the config
//! model without source positions, so that a reload can tell an unchanged
//! instance from a changed one by comparing two specs. Pure.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::config::ast::Span;
use crate::config::model::ipcfg::{Broadcast, IpAddress, IpRoute, IpRule};
use crate::config::model::vrrp::{self as model, VrrpGlobals, VrrpInstance};
use crate::netlink::AddrSpec;
use crate::vrrp::auth::{AUTH_KEY_LEN, AuthConfig, AuthCtx, HmacAuth, HmacKey, HmacMode, ReplayMode};
use crate::vrrp::fsm::{Family, GarpParams, InitialState, InstanceParams};
use crate::vrrp::packet::{self, UnicastPeer, VRRP_TTL, WireOptions};
use crate::vrrp::timer;
use crate::vrrp::track::Weight;

/// One virtual address as the runtime adds it: the `ip address add` request
/// with the interface still by name (its index is looked up when the
/// address is added, as interfaces may come and go).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VipSpec {
    /// `dev`, else the instance's interface.
    pub dev: String,
    /// The request; its `ifindex` is filled in by [`VipSpec::addr_spec`].
    pub net: AddrSpec,
}

impl VipSpec {
    pub(super) fn from_model(a: &IpAddress, default_dev: &str) -> VipSpec {
        let broadcast = match (a.broadcast, a.addr) {
            (Some(Broadcast::Addr(b)), _) => Some(b),
            (Some(Broadcast::SetHostBits), IpAddr::V4(v4)) => Some(Ipv4Addr::from(u32::from(v4) | !mask(a.prefix_len))),
            (Some(Broadcast::ClearHostBits), IpAddr::V4(v4)) => {
                Some(Ipv4Addr::from(u32::from(v4) & mask(a.prefix_len)))
            }
            _ => None,
        };
        let scope = match (a.scope, a.addr) {
            (Some(s), _) => s.value(),
            // The kernel would make a link-local IPv6 address scope link anyway.
            (None, IpAddr::V6(v6)) if is_link_local(&v6) => 253,
            (None, _) => 0,
        };
        VipSpec {
            dev: a.dev.as_ref().map_or_else(|| default_dev.to_owned(), |d| d.value.clone()),
            net: AddrSpec {
                ifindex: 0,
                addr: a.addr,
                prefix_len: a.prefix_len,
                broadcast,
                peer: a.peer,
                scope,
                label: a.label.clone(),
                // keepalived adds IPv6 VIPs without duplicate address detection
                // (VRRP is the arbiter; a VIP must never stick in dadfailed)
                // unless `-nodad` asks for DAD.
                nodad: a.addr.is_ipv6() && !a.nodad,
                noprefixroute: a.noprefixroute,
                home: a.home,
                preferred_lft: a.preferred_lft.map(|p| p.unwrap_or(u32::MAX)),
            },
        }
    }

    /// The netlink request for this address on interface `ifindex`.
    pub(super) fn addr_spec(&self, ifindex: u32) -> AddrSpec {
        AddrSpec { ifindex, ..self.net.clone() }
    }

    /// `10.0.0.1/24 dev eth0 scope global label eth0:1`, as keepalived's data dump shows it.
    pub(super) fn describe(&self) -> String {
        let n = &self.net;
        let mut s = format!("{}/{} dev {}", n.addr, n.prefix_len, self.dev);
        if let Some(b) = n.broadcast {
            s.push_str(&format!(" brd {b}"));
        }
        if let Some(p) = n.peer {
            s.push_str(&format!(" peer {p}"));
        }
        let scope = crate::config::model::ipcfg::Scope::parse(&n.scope.to_string());
        if let Some(sc) = scope {
            s.push_str(&format!(" scope {sc}"));
        }
        if let Some(l) = &n.label {
            s.push_str(&format!(" label {l}"));
        }
        s
    }
}

fn mask(len: u8) -> u32 {
    match len {
        0 => 0,
        l if l >= 32 => u32::MAX,
        l => u32::MAX << (32 - u32::from(l)),
    }
}

/// fe80::/10 (RFC 4291 section 2.5.6).
pub(crate) fn is_link_local(a: &Ipv6Addr) -> bool {
    a.segments().first().is_some_and(|s| s & 0xffc0 == 0xfe80)
}

/// `auth_hmac` without spans.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HmacSpec {
    pub keys: Vec<HmacKey>,
    pub active_key: u8,
    pub mode: HmacMode,
    pub replay: ReplayMode,
}

/// Everything that makes an instance what it is; two equal specs run the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct InstanceSpec {
    pub name: String,
    /// `interface`; `None` (unicast with `vrf` only) is refused by the runtime.
    pub interface: Option<String>,
    pub vrid: u8,
    pub version: timer::Version,
    pub family: Family,
    pub initial_state: InitialState,
    pub priority: u8,
    pub advert_interval: Duration,
    pub nopreempt: bool,
    /// `timer_expired_backup`.
    pub timer_expired_backup: Option<u8>,
    pub preempt_delay: Duration,
    pub accept: bool,
    pub strict: bool,
    pub down_timer_adverts: u32,
    pub skip_check_adv_addr: bool,
    pub lower_prio_no_advert: bool,
    pub higher_prio_send_advert: bool,
    pub garp: GarpParams,
    pub auth: AuthConfig,
    pub hmac: Option<Box<HmacSpec>>,
    /// `mcast_src_ip` / `unicast_src_ip`.
    pub src_ip: Option<IpAddr>,
    pub mcast_dst: IpAddr,
    pub unicast_peers: Vec<UnicastPeer>,
    /// TTL of unicast adverts (`unicast_ttl`, default 255).
    pub unicast_ttl: u8,
    pub check_unicast_src: bool,
    pub v3_checksum_as_v2: bool,
    /// `old_unicast_checksum`.
    pub unicast_checksum: crate::vrrp::packet::UnicastChecksum,
    pub vips: Vec<VipSpec>,
    pub evips: Vec<VipSpec>,
    pub startup_delay: Duration,
    /// `virtual_routes` and `virtual_rules`, without source positions.
    pub routes: Vec<IpRoute>,
    pub rules: Vec<IpRule>,
    /// `use_vmac` / `use_ipvlan`.
    pub vmac: Option<VmacSpec>,
    /// What the instance tracks (its own lines and its sync group's).
    pub track: TrackSpec,
    /// `promote_secondaries` on its interface.
    pub promote_secondaries: bool,
    /// `kernel_rx_buf_size`: its share of its socket's receive buffer.
    pub kernel_rx_buf_size: Option<u32>,
    /// VMACs of VIPs and eVIPs on other interfaces (`use_vmac_addr`, or
    /// `use_vmac` on the address), with their base interface.
    pub addr_vmacs: Vec<(VmacSpec, String)>,
    /// `track_src_ip`: FAULT while `src_ip` is not on its interface.
    pub track_src_ip: bool,
    /// `garp_extra_if all`: the extra messages go on every VIP interface.
    pub garp_extra_if_all: bool,
    /// `linkbeat_use_polling` (deprecated): its interface is polled.
    pub linkbeat_use_polling: bool,
}

/// The virtual MAC interface of an instance (`use_vmac`, `use_ipvlan`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct VmacSpec {
    /// `vrrp.VRID` unless named.
    pub name: String,
    pub kind: crate::netlink::VlanKind,
    /// `vmac_xmit_base`: adverts go out on the base interface.
    pub xmit_base: bool,
    /// An IPv4 address given to an ipvlan interface.
    pub ipvlan_addr: Option<(IpAddr, u8)>,
}

/// A route without source positions, so that specs compare by content.
pub(crate) fn route_without_spans(r: &IpRoute) -> IpRoute {
    let mut r = r.clone();
    r.span = Span::default();
    for d in [&mut r.dev, &mut r.vrf, &mut r.track_group].into_iter().flatten() {
        d.span = Span::default();
    }
    for nh in &mut r.nexthops {
        if let Some(d) = &mut nh.dev {
            d.span = Span::default();
        }
    }
    r
}

/// A rule without source positions.
pub(crate) fn rule_without_spans(r: &IpRule) -> IpRule {
    let mut r = r.clone();
    r.span = Span::default();
    if let Some(g) = &mut r.track_group {
        g.span = Span::default();
    }
    r
}

/// The VRRP virtual MAC of a VRID (RFC 5798 section 7.3): 00-00-5E-00-01-VRID
/// for IPv4, 00-00-5E-00-02-VRID for IPv6.
pub(crate) fn virtual_mac(v6: bool, vrid: u8) -> [u8; 6] {
    [0x00, 0x00, 0x5e, 0x00, if v6 { 0x02 } else { 0x01 }, vrid]
}

impl VmacSpec {
    fn from_model(inst: &VrrpInstance, globals: &VrrpGlobals) -> Option<VmacSpec> {
        let prefix = globals.vmac_prefix.as_deref().unwrap_or("vrrp");
        if let Some(v) = &inst.use_vmac {
            let mut mac = virtual_mac(inst.ipv6, inst.vrid);
            match v.mac.as_deref() {
                Some([a, b, c, d, e, f]) => mac = [*a, *b, *c, *d, *e, *f],
                Some([a, b, c, d, e]) => mac = [*a, *b, *c, *d, *e, inst.vrid],
                _ => {}
            }
            return Some(VmacSpec {
                name: v.name.clone().unwrap_or_else(|| format!("{prefix}.{}", inst.vrid)),
                kind: crate::netlink::VlanKind::Macvlan { mac },
                xmit_base: inst.vmac_xmit_base,
                ipvlan_addr: None,
            });
        }
        let v = inst.use_ipvlan.as_ref()?;
        let mode = v.mode.as_deref().unwrap_or("bridge");
        let ipvlan_addr = v.addr.as_deref().and_then(|a| {
            let (ip, len) = a.split_once('/').map_or((a, None), |(i, l)| (i, l.parse::<u8>().ok()));
            let ip: IpAddr = ip.parse().ok()?;
            Some((ip, len.unwrap_or(if ip.is_ipv6() { 128 } else { 32 })))
        });
        Some(VmacSpec {
            name: v.name.clone().unwrap_or_else(|| format!("{prefix}.{}", inst.vrid)),
            kind: crate::netlink::VlanKind::Ipvlan { private: mode == "private", vepa: mode == "vepa" },
            xmit_base: inst.vmac_xmit_base,
            ipvlan_addr,
        })
    }
}

/// Which kind of object a tracker line names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum TrackKind {
    Interface,
    Script,
    File,
    Process,
}

/// An instance's trackers with their weights resolved: its own
/// `track_*` lines and then its sync group's, in configuration order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TrackSpec {
    pub items: Vec<(TrackKind, String, Weight)>,
    /// `dont_track_primary`: its own interface going down is not a FAULT.
    pub dont_track_primary: bool,
}

/// `track_group`: the interfaces of the static addresses, routes and rules
/// whose track group has `instance` as a member (an address without `dev` is
/// on `default_dev`), in configuration order without repeats.
pub(crate) fn track_group_interfaces(
    global: &crate::config::model::global::GlobalConfig,
    instance: &str,
    default_dev: &str,
) -> Vec<String> {
    let member = |g: &Option<crate::config::build::Spanned<String>>| {
        g.as_ref()
            .and_then(|g| global.track_group(&g.value))
            .is_some_and(|tg| tg.members.iter().any(|m| m.value == instance))
    };
    let mut out: Vec<String> = Vec::new();
    let addrs = global.static_ipaddress.iter().filter(|a| member(&a.track_group));
    let addr_devs = addrs.map(|a| a.dev.as_ref().map_or(default_dev.to_owned(), |d| d.value.clone()));
    let route_devs = global
        .static_routes
        .iter()
        .filter(|r| member(&r.track_group) && !r.no_track)
        .filter_map(|r| r.dev.as_ref().map(|d| d.value.clone()));
    let rule_devs = global.static_rules.iter().filter(|r| member(&r.track_group)).filter_map(|r| r.iif.clone());
    for d in addr_devs.chain(route_devs).chain(rule_devs) {
        if !d.is_empty() && !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

impl TrackSpec {
    /// Adds the interfaces of the instance's track groups as trackers of
    /// weight 0 (down: FAULT), those not tracked already.
    pub(crate) fn add_track_group_interfaces(&mut self, devs: Vec<String>) {
        for d in devs {
            if !self.items.iter().any(|(k, n, _)| *k == TrackKind::Interface && *n == d) {
                self.items.push((TrackKind::Interface, d, crate::vrrp::track::Weight { weight: 0, reverse: false }));
            }
        }
    }

    /// The trackers of an instance (and of its sync group, if any), with
    /// the tracked objects' default weights where a line gives none.
    pub(crate) fn from_model(inst: &VrrpInstance, cfg: &model::VrrpConfig) -> TrackSpec {
        let mut items = Vec::new();
        let group = inst.sync_group.as_ref().and_then(|g| cfg.sync_groups.iter().find(|s| s.name == *g));
        for t in std::iter::once(&inst.tracking).chain(group.map(|g| &g.tracking)) {
            for l in &t.interfaces {
                items.push((TrackKind::Interface, l.name.value.clone(), line_weight(l, 0, false)));
            }
            for l in &t.scripts {
                let d = cfg.script(&l.name.value).map_or((0, false), |s| (s.weight, s.weight_reverse));
                items.push((TrackKind::Script, l.name.value.clone(), line_weight(l, d.0, d.1)));
            }
            for l in &t.files {
                let d = cfg
                    .track_files
                    .iter()
                    .find(|f| f.name == l.name.value)
                    .map_or((1, false), |f| (f.weight, f.weight_reverse));
                items.push((TrackKind::File, l.name.value.clone(), line_weight(l, d.0, d.1)));
            }
            for l in &t.processes {
                let d = cfg
                    .track_processes
                    .iter()
                    .find(|f| f.name == l.name.value)
                    .map_or((0, false), |f| (f.weight, f.weight_reverse));
                items.push((TrackKind::Process, l.name.value.clone(), line_weight(l, d.0, d.1)));
            }
        }
        // The same object named twice (instance and group) counts once.
        let mut seen = std::collections::HashSet::new();
        items.retain(|(k, n, _)| seen.insert((*k, n.clone())));
        TrackSpec { items, dont_track_primary: inst.dont_track_primary }
    }
}

fn line_weight(l: &model::Tracked, weight: i32, reverse: bool) -> Weight {
    Weight {
        weight: l.weight.unwrap_or(weight),
        reverse: match l.reverse {
            model::Reverse::Default => reverse,
            model::Reverse::Reverse => true,
            model::Reverse::NoReverse => false,
        },
    }
}

fn key8(bytes: &[u8]) -> [u8; AUTH_KEY_LEN] {
    let mut k = [0u8; AUTH_KEY_LEN];
    for (d, s) in k.iter_mut().zip(bytes) {
        *d = *s;
    }
    k
}

impl InstanceSpec {
    /// The spec of a configured instance with the vrrp globals it inherits.
    pub(super) fn from_model(inst: &VrrpInstance, globals: &VrrpGlobals) -> InstanceSpec {
        let interface = inst.interface.as_ref().map(|i| i.value.clone());
        let vmac = VmacSpec::from_model(inst, globals);
        // VIPs without `dev` go on the VMAC when there is one.
        let default_dev = match &vmac {
            Some(v) => v.name.clone(),
            None => interface.clone().unwrap_or_else(|| globals.default_interface.clone()),
        };
        let family = if inst.ipv6 { Family::V6 } else { Family::V4 };
        let auth = match &inst.auth {
            None => AuthConfig::None,
            Some(model::Auth::Pass(p)) => AuthConfig::Pass(key8(p)),
            Some(model::Auth::Ah(p)) => AuthConfig::Ah(key8(p)),
        };
        let hmac = inst.auth_hmac.as_ref().map(|h| HmacSpec {
            keys: h.keys.iter().map(|k| HmacKey { id: k.id, key: k.key.clone() }).collect(),
            active_key: h.active_key,
            mode: match h.mode {
                model::HmacMode::Enforce => HmacMode::Enforce,
                model::HmacMode::Permissive => HmacMode::Permissive,
                model::HmacMode::ReceiveOnly => HmacMode::ReceiveOnly,
            },
            replay: match h.anti_replay {
                model::AntiReplay::Time => {
                    ReplayMode::Time { window: u32::try_from(h.time_window.as_secs()).unwrap_or(u32::MAX) }
                }
                model::AntiReplay::Monotonic => ReplayMode::Monotonic,
            },
        });
        let startup_delay = [globals.startup_delay, globals.delay_after_boot].into_iter().flatten().max();
        InstanceSpec {
            name: inst.name.clone(),
            interface,
            vrid: inst.vrid,
            version: if inst.version == 3 || inst.ipv6 { timer::Version::V3 } else { timer::Version::V2 },
            family,
            initial_state: match inst.state {
                model::InitialState::Master => InitialState::Master,
                model::InitialState::Backup => InitialState::Backup,
            },
            priority: inst.priority,
            advert_interval: inst.advert_interval,
            nopreempt: inst.nopreempt,
            timer_expired_backup: inst.timer_expired_backup,
            preempt_delay: inst.preempt_delay,
            accept: inst.accept,
            strict: inst.strict,
            down_timer_adverts: inst.down_timer_adverts,
            skip_check_adv_addr: inst.skip_check_adv_addr,
            lower_prio_no_advert: inst.lower_prio_no_advert,
            higher_prio_send_advert: inst.higher_prio_send_advert,
            garp: GarpParams {
                master_delay: inst.garp.master_delay,
                master_repeat: inst.garp.master_repeat,
                master_refresh: inst.garp.master_refresh.unwrap_or(Duration::ZERO),
                master_refresh_repeat: inst.garp.master_refresh_repeat,
                lower_prio_delay: inst.garp.lower_prio_delay,
                lower_prio_repeat: inst.garp.lower_prio_repeat,
                garp_interval: globals.garp_interval,
                gna_interval: globals.gna_interval,
                extra_if: inst.garp.extra_if.map_or(Duration::ZERO, |x| x.interval),
            },
            auth,
            hmac: hmac.map(Box::new),
            src_ip: inst.unicast_src_ip.as_ref().or(inst.mcast_src_ip.as_ref()).map(|s| s.value),
            mcast_dst: inst.mcast_dst_ip,
            unicast_peers: inst
                .unicast_peers
                .iter()
                .map(|p| UnicastPeer {
                    addr: p.addr,
                    min_ttl: p.min_ttl.unwrap_or(0),
                    max_ttl: p.max_ttl.unwrap_or(u8::MAX),
                })
                .collect(),
            unicast_ttl: inst.unicast_ttl.unwrap_or(VRRP_TTL),
            check_unicast_src: inst.check_unicast_src,
            v3_checksum_as_v2: inst.v3_checksum_as_v2,
            unicast_checksum: match inst.old_unicast_checksum {
                None => crate::vrrp::packet::UnicastChecksum::Detect,
                Some(false) => crate::vrrp::packet::UnicastChecksum::Never,
                Some(true) => crate::vrrp::packet::UnicastChecksum::Old,
            },
            vips: inst.vips.iter().map(|a| VipSpec::from_model(a, &default_dev)).collect(),
            evips: inst.evips.iter().map(|a| VipSpec::from_model(a, &default_dev)).collect(),
            startup_delay: startup_delay.unwrap_or(Duration::ZERO),
            routes: inst.routes.iter().map(route_without_spans).collect(),
            rules: inst.rules.iter().map(rule_without_spans).collect(),
            vmac,
            track: TrackSpec::default(),
            promote_secondaries: inst.promote_secondaries,
            kernel_rx_buf_size: inst.kernel_rx_buf_size.filter(|n| *n > 0),
            linkbeat_use_polling: inst.linkbeat_use_polling,
            garp_extra_if_all: inst.garp.extra_if.is_some_and(|x| x.all),
            track_src_ip: inst.track_src_ip,
            addr_vmacs: Vec::new(),
        }
        .with_addr_vmacs(inst, globals)
    }

    /// Puts the VIPs and eVIPs that want a VMAC of their own on one per base
    /// interface, named `PREFIX<n>.VRID` (`vmac_addr_prefix`, else
    /// `vmac_prefix`, else "vrrp"; n from 1), as keepalived 2.2.7 does.
    fn with_addr_vmacs(mut self, inst: &VrrpInstance, globals: &VrrpGlobals) -> InstanceSpec {
        let prefix = globals.vmac_addr_prefix.as_deref().or(globals.vmac_prefix.as_deref()).unwrap_or("vrrp");
        let own: Vec<&str> =
            self.interface.iter().map(String::as_str).chain(self.vmac.iter().map(|v| v.name.as_str())).collect();
        let wants: Vec<bool> = inst
            .vips
            .iter()
            .chain(&inst.evips)
            .map(|a| a.use_vmac || (inst.use_vmac_addr && a.dev.is_some()))
            .collect();
        let mac = virtual_mac(self.family == Family::V6, self.vrid);
        let mut vmacs: Vec<(VmacSpec, String)> = Vec::new();
        let addrs = self.vips.iter_mut().chain(self.evips.iter_mut());
        for (v, want) in addrs.zip(wants) {
            if !want || own.contains(&v.dev.as_str()) {
                continue;
            }
            let name = match vmacs.iter().find(|(_, base)| *base == v.dev) {
                Some((m, _)) => m.name.clone(),
                None => {
                    let name = format!("{prefix}{}.{}", vmacs.len() + 1, self.vrid);
                    let spec = VmacSpec {
                        name: name.clone(),
                        kind: crate::netlink::VlanKind::Macvlan { mac },
                        xmit_base: false,
                        ipvlan_addr: None,
                    };
                    vmacs.push((spec, v.dev.clone()));
                    name
                }
            };
            v.dev = name;
        }
        self.addr_vmacs = vmacs;
        self
    }

    /// The interface the instance's adverts go out on and come in from: the
    /// VMAC, unless `vmac_xmit_base` (or no VMAC).
    pub(super) fn sock_ifname(&self) -> Option<String> {
        match &self.vmac {
            Some(v) if !v.xmit_base => Some(v.name.clone()),
            _ => self.interface.clone(),
        }
    }

    pub(super) fn is_unicast(&self) -> bool {
        !self.unicast_peers.is_empty()
    }

    /// The IP protocol of the instance's socket: AH (51) or VRRP (112).
    pub(super) fn protocol(&self) -> u8 {
        match self.auth {
            AuthConfig::Ah(_) => packet::IPPROTO_AH,
            _ => packet::IPPROTO_VRRP,
        }
    }

    pub(super) fn wire_options(&self) -> WireOptions {
        WireOptions {
            unicast: self.is_unicast(),
            v3_checksum_as_v2: self.v3_checksum_as_v2,
            unicast_checksum: self.unicast_checksum,
        }
    }

    /// A fresh authentication context.
    pub(super) fn auth_ctx(&self) -> AuthCtx {
        let mut a = AuthCtx::new(self.auth.clone());
        a.hmac = self.hmac.as_ref().map(|h| Box::new(HmacAuth::new(h.keys.clone(), h.active_key, h.mode, h.replay)));
        a
    }

    /// The state machine's parameters, with `primary` as our address and
    /// `start_in_fault` when the interface is down or missing.
    pub(super) fn params(&self, primary: IpAddr, start_in_fault: bool) -> InstanceParams {
        let mut p = InstanceParams::new(self.name.clone(), self.vrid, primary);
        p.version = self.version;
        p.family = self.family;
        p.initial_state = self.initial_state;
        p.priority = self.priority;
        p.advert_interval = self.advert_interval;
        p.nopreempt = self.nopreempt;
        p.timer_expired_backup = self.timer_expired_backup;
        p.preempt_delay = self.preempt_delay;
        p.accept = self.accept;
        p.strict_mode = self.strict;
        p.down_timer_adverts = self.down_timer_adverts;
        p.vips = self.vips.iter().map(|v| v.net.addr).collect();
        p.address_count = self.vips.len() + self.evips.len();
        p.skip_check_adv_addr = self.skip_check_adv_addr;
        p.garp = self.garp.clone();
        p.lower_prio_no_advert = self.lower_prio_no_advert;
        p.higher_prio_send_advert = self.higher_prio_send_advert;
        p.start_in_fault = start_in_fault;
        p.startup_delay = self.startup_delay;
        p
    }

    /// The size of its adverts as keepalived counts them for
    /// `vrrp_rx_bufs_policy ADVERT`: IPv4 with its header (and AH), IPv6
    /// without (the kernel strips it).
    pub(super) fn advert_len(&self) -> u32 {
        let n = u32::try_from(self.vips.len()).unwrap_or(u32::MAX);
        match self.family {
            Family::V6 => 8u32.saturating_add(n.saturating_mul(16)),
            Family::V4 => {
                let auth_data = if self.version == timer::Version::V2 { 8 } else { 0 };
                let ah = if matches!(self.auth, AuthConfig::Ah(_)) { 24 } else { 0 };
                (20 + 8 + auth_data + ah as u32).saturating_add(n.saturating_mul(4))
            }
        }
    }

    /// Its share of its socket's receive buffer: `kernel_rx_buf_size`, else
    /// what `vrrp_rx_bufs_policy` gives (MTU or advert size times the
    /// multiplier, or the number itself); 0 leaves the system's default.
    pub(super) fn rx_buf_share(&self, policy: Option<&str>, multiplier: u32, mtu: u32) -> u64 {
        if let Some(n) = self.kernel_rx_buf_size {
            return u64::from(n);
        }
        match policy {
            Some("MTU") => u64::from(mtu) * u64::from(multiplier),
            Some("ADVERT") => u64::from(self.advert_len()) * u64::from(multiplier),
            Some(n) => n.parse().unwrap_or(0),
            None => 0,
        }
    }

    /// Every interface the instance touches: its own and the VIPs' devices.
    pub(super) fn interfaces(&self) -> Vec<String> {
        let mut v: Vec<String> = self.interface.iter().cloned().collect();
        v.extend(self.vmac.iter().map(|m| m.name.clone()));
        for (k, n, _) in &self.track.items {
            if *k == TrackKind::Interface && !v.contains(n) {
                v.push(n.clone());
            }
        }
        for a in self.vips.iter().chain(&self.evips) {
            if !v.contains(&a.dev) {
                v.push(a.dev.clone());
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ast::Span;
    use crate::config::build::Spanned;
    use crate::config::model::ipcfg::Scope;

    fn addr(text: &str, len: u8) -> IpAddress {
        IpAddress::new(text.parse().expect("ip"), len, text.into(), Span::default())
    }

    fn instance() -> VrrpInstance {
        let mut i = VrrpInstance::new("VI_1".into(), Span::default());
        i.interface = Some(Spanned { value: "eth0".into(), span: Span::default() });
        i.vrid = 51;
        i.priority = 150;
        i.vips = vec![addr("10.0.0.100", 24)];
        i
    }

    #[test]
    fn vip_defaults_to_the_instance_interface_and_global_scope() {
        let s = InstanceSpec::from_model(&instance(), &VrrpGlobals::default());
        let v = &s.vips[0];
        assert_eq!(v.dev, "eth0");
        assert_eq!(v.net.scope, 0);
        assert_eq!(v.describe(), "10.0.0.100/24 dev eth0 scope global");
        assert_eq!(s.protocol(), 112);
        assert_eq!(s.version, timer::Version::V2);
    }

    #[test]
    fn broadcast_plus_and_minus_and_label() {
        let mut i = instance();
        let mut a = addr("10.1.2.3", 16);
        a.broadcast = Some(Broadcast::SetHostBits);
        a.label = Some("eth0:1".into());
        a.scope = Some(Scope::Link);
        a.dev = Some(Spanned { value: "eth1".into(), span: Span::default() });
        let mut b = addr("10.1.2.3", 16);
        b.broadcast = Some(Broadcast::ClearHostBits);
        i.vips = vec![a, b];
        let s = InstanceSpec::from_model(&i, &VrrpGlobals::default());
        assert_eq!(s.vips[0].net.broadcast, Some(Ipv4Addr::new(10, 1, 255, 255)));
        assert_eq!(s.vips[1].net.broadcast, Some(Ipv4Addr::new(10, 1, 0, 0)));
        assert_eq!(s.vips[0].describe(), "10.1.2.3/16 dev eth1 brd 10.1.255.255 scope link label eth0:1");
        assert_eq!(s.interfaces(), vec!["eth0".to_string(), "eth1".to_string()]);
        let spec = s.vips[0].addr_spec(7);
        assert_eq!((spec.ifindex, spec.scope, spec.label.as_deref()), (7, 253, Some("eth0:1")));
    }

    #[test]
    fn spans_do_not_make_specs_differ() {
        let a = instance();
        let mut b = instance();
        b.span = Span { line: 9, col: 1, len: 12, ..Span::default() };
        b.vips[0].span = Span { line: 3, col: 4, len: 5, ..Span::default() };
        let g = VrrpGlobals::default();
        assert_eq!(InstanceSpec::from_model(&a, &g), InstanceSpec::from_model(&b, &g));
        b.priority = 151;
        assert_ne!(InstanceSpec::from_model(&a, &g), InstanceSpec::from_model(&b, &g));
    }

    #[test]
    fn auth_and_ah_protocol_and_params() {
        let mut i = instance();
        i.auth = Some(model::Auth::Ah(b"s3cret".to_vec()));
        let s = InstanceSpec::from_model(&i, &VrrpGlobals::default());
        assert_eq!(s.protocol(), 51);
        assert_eq!(s.auth, AuthConfig::ah("s3cret"));
        let p = s.params("10.0.0.1".parse().expect("ip"), false);
        assert_eq!(p.vips, vec!["10.0.0.100".parse::<IpAddr>().expect("ip")]);
        assert_eq!(p.address_count, 1);
        assert_eq!(p.priority, 150);
    }

    #[test]
    fn track_groups_track_the_interfaces_of_their_statics() {
        let text = "track_group G1 {\n group {\n  A\n  B\n }\n}\ntrack_group G2 {\n group {\n  B\n }\n}\n\
            static_ipaddress {\n 10.8.0.60/24 dev x0 track_group G1\n 10.8.1.60/24 track_group G2\n 10.8.2.60/24 dev x2\n}\n\
            static_routes {\n 10.55.0.0/24 via 10.8.0.254 dev x3 track_group G1\n 10.56.0.0/24 dev x0 track_group G1\n}\n\
            static_rules {\n from 10.8.0.0/24 table 5 iif x4 track_group G2\n}\n";
        let l = crate::config::load_str(
            std::path::Path::new("t.conf"),
            text,
            &crate::config::preprocess::Options::default(),
            &crate::config::validate::SystemView::default(),
        );
        let g = &l.config.global;
        assert_eq!(track_group_interfaces(g, "A", "eth0"), ["x0", "x3"]);
        assert_eq!(track_group_interfaces(g, "B", "eth0"), ["x0", "eth0", "x3", "x4"]);
        assert!(track_group_interfaces(g, "C", "eth0").is_empty());
        let mut t = TrackSpec::default();
        t.items.push((
            TrackKind::Interface,
            "x0".to_owned(),
            crate::vrrp::track::Weight { weight: 10, reverse: false },
        ));
        t.add_track_group_interfaces(vec!["x0".to_owned(), "x3".to_owned()]);
        let w: Vec<(String, i32)> = t.items.iter().map(|(_, n, w)| (n.clone(), w.weight)).collect();
        assert_eq!(w, [("x0".to_owned(), 10), ("x3".to_owned(), 0)], "its own line keeps its weight; others fault");
    }

    #[test]
    fn addresses_on_other_interfaces_get_their_own_vmacs() {
        let on = |text: &str, dev: Option<&str>, use_vmac: bool| {
            let mut a = addr(text, 24);
            a.dev = dev.map(|d| Spanned { value: d.into(), span: Span::default() });
            a.use_vmac = use_vmac;
            a
        };
        let mut i = instance();
        let mut g = VrrpGlobals::default();
        i.vips = vec![on("10.0.0.100", None, false), on("10.1.0.100", Some("x0"), false)];
        i.evips = vec![on("10.1.0.101", Some("x0"), false), on("10.2.0.100", Some("x2"), true)];
        let devs = |s: &InstanceSpec| s.vips.iter().chain(&s.evips).map(|v| v.dev.clone()).collect::<Vec<_>>();
        // Only use_vmac on the address without use_vmac_addr.
        let s = InstanceSpec::from_model(&i, &g);
        assert_eq!(devs(&s), ["eth0", "x0", "x0", "vrrp1.51"]);
        i.use_vmac_addr = true;
        let s = InstanceSpec::from_model(&i, &g);
        assert_eq!(devs(&s), ["eth0", "vrrp1.51", "vrrp1.51", "vrrp2.51"]);
        let bases: Vec<(&str, &str)> = s.addr_vmacs.iter().map(|(v, b)| (v.name.as_str(), b.as_str())).collect();
        assert_eq!(bases, [("vrrp1.51", "x0"), ("vrrp2.51", "x2")]);
        g.vmac_prefix = Some("kv".into());
        assert_eq!(InstanceSpec::from_model(&i, &g).addr_vmacs[0].0.name, "kv1.51", "vmac_prefix by default");
        g.vmac_addr_prefix = Some("ka".into());
        assert_eq!(InstanceSpec::from_model(&i, &g).addr_vmacs[0].0.name, "ka1.51");
    }

    #[test]
    fn vmac_names_take_the_vmac_prefix() {
        let mut i = instance();
        let mut g = VrrpGlobals::default();
        i.use_vmac = Some(model::UseVmac::default());
        let name = |i: &VrrpInstance, g: &VrrpGlobals| InstanceSpec::from_model(i, g).vmac.map(|v| v.name);
        assert_eq!(name(&i, &g), Some(format!("vrrp.{}", i.vrid)));
        // keepalived 2.2.7 names it PREFIX.VRID too.
        g.vmac_prefix = Some("kwv".to_owned());
        assert_eq!(name(&i, &g), Some(format!("kwv.{}", i.vrid)));
        i.use_vmac = Some(model::UseVmac { name: Some("mine".to_owned()), ..Default::default() });
        assert_eq!(name(&i, &g), Some("mine".to_owned()), "a given name wins");
    }

    #[test]
    fn receive_buffer_shares_as_keepalived_counts_them() {
        let mut i = instance();
        let g = VrrpGlobals::default();
        let s = InstanceSpec::from_model(&i, &g);
        // IPv4 header, VRRP header, one address, v2 authentication data.
        assert_eq!(s.advert_len(), 40);
        assert_eq!(s.rx_buf_share(Some("ADVERT"), 4, 1500), 160);
        assert_eq!(s.rx_buf_share(Some("MTU"), 4, 1500), 6000);
        assert_eq!(s.rx_buf_share(Some("70000"), 4, 1500), 70000);
        assert_eq!(s.rx_buf_share(None, 3, 1500), 0);
        i.version = 3;
        i.vips.push(addr("10.0.0.101", 24));
        assert_eq!(InstanceSpec::from_model(&i, &g).advert_len(), 36);
        i.version = 2;
        i.vips.pop();
        i.auth = Some(model::Auth::Ah(b"secret".to_vec()));
        assert_eq!(InstanceSpec::from_model(&i, &g).advert_len(), 64);
        i.auth = None;
        i.ipv6 = true;
        i.vips = vec![addr("fe80::100", 64)];
        assert_eq!(InstanceSpec::from_model(&i, &g).advert_len(), 24);
        i.kernel_rx_buf_size = Some(50_000);
        assert_eq!(InstanceSpec::from_model(&i, &g).rx_buf_share(Some("MTU"), 3, 1500), 50_000);
    }

    #[test]
    fn ipv6_link_local_vip_gets_link_scope_and_v3() {
        let mut i = instance();
        i.ipv6 = true;
        i.vips = vec![addr("fe80::100", 64)];
        let s = InstanceSpec::from_model(&i, &VrrpGlobals::default());
        assert_eq!(s.vips[0].net.scope, 253);
        assert!(s.vips[0].net.nodad, "IPv6 VIPs skip DAD");
        assert_eq!(s.version, timer::Version::V3);
        assert_eq!(s.family, Family::V6);
    }
}
