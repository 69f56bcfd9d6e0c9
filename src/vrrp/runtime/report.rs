//! Gathering what the dump files show: the instances' state, the sockets
//! and, for keepalived.data, the namespace's interfaces read from the kernel
//! at that moment. The formatting is `dump`'s (pure).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

use super::Runtime;
use super::dump::{self, DataView, InstanceView, InterfaceView, SockView};
use super::spec::is_link_local;
use crate::child::ChildContext;
use crate::dump::Stamp;
use crate::dump::global::{self, Globals, Host, Process};
use crate::vrrp::fsm::State;

/// A deadline on the monotonic clock as a wall-clock stamp.
fn wall(at: Instant) -> Stamp {
    let now = crate::clock::now();
    let wall_now = crate::clock::wall();
    let t = if at >= now { wall_now + (at - now) } else { wall_now.saturating_sub(now - at) };
    Stamp::from_epoch(t)
}

/// What an instance runs, for the dump configuration of an instance that
/// keeps no copy of its own (see [`dump::VrrpConf::of`]).
pub(super) fn plain_facts(spec: &super::spec::InstanceSpec) -> dump::PlainFacts {
    use super::spec::TrackKind;
    let addrs = |l: &[super::spec::VipSpec]| l.iter().map(|v| dump::Addr::of_request(&v.net, &v.dev)).collect();
    let tracks = |kind: TrackKind| {
        spec.track
            .items
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, name, w)| dump::TrackLine { name: name.clone(), weight: w.weight, reverse: w.reverse })
            .collect()
    };
    dump::PlainFacts {
        name: spec.name.clone(),
        v6: spec.family == crate::vrrp::fsm::Family::V6,
        unicast: spec.is_unicast(),
        src_from_config: spec.src_ip.is_some(),
        unicast_ttl: spec.unicast_ttl,
        vips: addrs(&spec.vips),
        evips: addrs(&spec.evips),
        track_ifs: tracks(TrackKind::Interface),
        track_scripts: tracks(TrackKind::Script),
        track_files: tracks(TrackKind::File),
        track_processes: tracks(TrackKind::Process),
        dont_track_primary: spec.track.dont_track_primary,
    }
}

impl Runtime {
    fn views(&self) -> Vec<InstanceView<'_>> {
        let mut out = Vec::new();
        for entry in &self.dump_conf.instances {
            let Some(s) = self.slots.iter().flatten().find(|s| s.spec.name == entry.name) else { continue };
            let conf = self.dump_conf.instance_conf(entry, || plain_facts(&s.spec));
            let p = s.fsm.params();
            let state = s.fsm.state();
            let link = s.spec.interface.as_ref().and_then(|i| self.links.get(i));
            out.push(InstanceView {
                version: p.version,
                state,
                wantstate: state,
                interface: s.spec.interface.as_deref(),
                src_ip: Some(s.primary),
                mcast_dst: s.spec.mcast_dst,
                mcast_ifindex: link.map_or(0, |l| l.index),
                unicast_peers: s.spec.unicast_peers.iter().map(|u| (u.addr, u.min_ttl, u.max_ttl)).collect(),
                vrid: p.vrid,
                priority: p.priority,
                effective_priority: s.fsm.effective_priority(),
                advert_interval: p.advert_interval,
                master_adver_int: s.fsm.master_adver_int(),
                master_down: s.fsm.master_down_interval(),
                accept: p.accept,
                nopreempt: p.nopreempt,
                preempt_delay: p.preempt_delay,
                auth: &s.auth.config,
                master_router: s.fsm.master_address(),
                master_priority: s.fsm.master_priority(),
                vips: conf.vips.clone(),
                evips: conf.evips.clone(),
                conf,
                vips_set: s.fsm.vips_set(),
                addr_set: s.vip_set.clone(),
                last_transition: s.last_transition,
                read_timeout: s.fsm.next_deadline().map(wall),
                num_if_faults: u32::from(state == State::Fault),
                fd: s.sock.as_ref().and_then(|k| self.socks.get(k)).map(|e| e.sock.raw_fd()),
                stats: &s.stats,
                garp: &p.garp,
                down_timer_adverts: p.down_timer_adverts,
                lower_prio_no_advert: p.lower_prio_no_advert,
                higher_prio_send_advert: p.higher_prio_send_advert,
                strict: p.strict_mode,
                skip_check_adv_addr: p.skip_check_adv_addr,
                check_unicast_src: s.spec.check_unicast_src,
            });
        }
        out
    }

    fn sockets(&self) -> Vec<SockView> {
        let mut socks: Vec<SockView> = self
            .socks
            .iter()
            .map(|(k, e)| {
                let members: BTreeMap<u8, String> = e
                    .vrids
                    .iter()
                    .filter_map(|(vrid, idx)| self.slot(*idx).map(|s| (*vrid, s.spec.name.clone())))
                    .collect();
                let unicast_src =
                    e.vrids.values().next().and_then(|idx| self.slot(*idx)).filter(|_| k.unicast()).map(|s| s.primary);
                SockView {
                    fd: e.sock.raw_fd(),
                    ifname: k.ifname.clone(),
                    v6: k.v6,
                    proto: k.proto,
                    unicast_src,
                    rx_buf_size: u32::try_from(e.rx_buf).unwrap_or(u32::MAX),
                    members: members.into_iter().map(|(v, n)| (n, v)).collect(),
                }
            })
            .filter(|s| !s.members.is_empty())
            .collect();
        socks.sort_by_key(|s| s.fd);
        socks
    }

    /// The interfaces of the namespace as keepalived lists them.
    async fn interfaces(&self, ctx: &ChildContext) -> Vec<InterfaceView> {
        let (links, addrs) = match (self.nl.link_details().await, self.nl.all_addresses().await) {
            (Ok(l), Ok(a)) => (l, a),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!("Unable to list the interfaces for the data file - {e}");
                return Vec::new();
            }
        };
        let g = &ctx.config.config.global;
        // The addresses of our VIPs are not the interface's own.
        let ours: Vec<IpAddr> = self
            .slots
            .iter()
            .flatten()
            .flat_map(|s| s.spec.vips.iter().chain(&s.spec.evips).map(|v| v.net.addr))
            .chain(self.statics.addrs.iter().map(|(v, _)| v.net.addr))
            .collect();
        let mut out: Vec<InterfaceView> = links
            .into_iter()
            .map(|l| {
                let mut v4: Vec<Ipv4Addr> = Vec::new();
                let mut v6: Vec<Ipv6Addr> = Vec::new();
                for a in addrs.iter().filter(|a| a.ifindex == l.index && !ours.contains(&a.addr)) {
                    match a.addr {
                        IpAddr::V4(x) => v4.push(x),
                        IpAddr::V6(x) if is_link_local(&x) => v6.push(x),
                        IpAddr::V6(_) => {}
                    }
                }
                let delay = g.interface_up_down_delays.iter().find(|d| d.ifname.value == l.name);
                let tracking = self.tracking_of(&l.name);
                let loopback = l.hw_type == 772;
                InterfaceView {
                    index: l.index,
                    ipv4: v4.first().copied(),
                    ipv4_more: v4.iter().skip(1).copied().collect(),
                    ipv6: v6.first().copied(),
                    ipv6_more: v6.iter().skip(1).copied().collect(),
                    mac: if loopback { Vec::new() } else { l.mac },
                    mac_broadcast: l.broadcast,
                    seen_up: l.flags & 0x1 != 0,
                    flags: l.flags,
                    up_delay: delay.map_or(Duration::ZERO, |d| d.up),
                    down_delay: delay.map_or(Duration::ZERO, |d| d.down),
                    mtu: l.mtu,
                    hw_type: l.hw_type,
                    linkbeat_polling: g.linkbeat_interfaces.iter().any(|b| b.name.value == l.name),
                    gna_router_check: self.gna_checks.get(&l.name).copied(),
                    tracking,
                    name: l.name,
                }
            })
            .collect();
        out.sort_by_key(|i| i.index);
        out
    }

    /// `(instance, weight, reverse)` of the instances tracking interface `name`,
    /// in keepalived's order: per instance its tracked interfaces, its own
    /// interface, then the interfaces of its addresses.
    fn tracking_of(&self, name: &str) -> Vec<(String, i32, bool)> {
        let mut v = Vec::new();
        for entry in &self.dump_conf.instances {
            let Some(s) = self.slots.iter().flatten().find(|s| s.spec.name == entry.name) else { continue };
            let conf = self.dump_conf.instance_conf(entry, || plain_facts(&s.spec));
            let own = s.spec.interface.as_deref();
            if let Some(t) = conf.track_ifs.iter().find(|t| t.name == name && Some(name) != own) {
                v.push((conf.name.clone(), t.weight, t.reverse));
                continue;
            }
            let on_addr = s.spec.vips.iter().chain(&s.spec.evips).any(|a| a.dev == name);
            if own == Some(name) || on_addr {
                v.push((conf.name.clone(), 0, false));
            }
        }
        v
    }

    /// keepalived.data.
    pub(super) async fn data_text(&self, ctx: &ChildContext) -> String {
        let g = &ctx.config.config.global;
        let (local, users) = global::host_facts(g);
        let host = Host {
            process: Process::Vrrp,
            namespace: ctx.options.namespace.as_deref(),
            local_name: &local,
            use_pid_dir: g.use_pid_dir || g.instance.is_some() || ctx.options.namespace.is_some(),
            users: &users,
            umask: ctx.options.umask.unwrap_or(g.umask.value),
            cur_rt_priority: 0,
            cur_rlimit_rttime: 0,
        };
        let globals = Globals {
            global: g,
            vrrp: &self.globals,
            lvs: &ctx.config.config.lvs.globals,
            lower_prio_written: self.lower_prio_written,
        };
        let instances = self.views();
        let sync_group_states = self
            .dump_conf
            .sync_groups
            .iter()
            .map(|sg| {
                let states: Vec<State> =
                    instances.iter().filter(|i| sg.members.contains(&i.conf.name)).map(|i| i.state).collect();
                if states.contains(&State::Fault) {
                    State::Fault
                } else if states.contains(&State::Master) {
                    State::Master
                } else if states.iter().all(|s| *s == State::Backup) && !states.is_empty() {
                    State::Backup
                } else {
                    State::Init
                }
            })
            .collect();
        let view = DataView {
            global: global::render(globals, &host),
            conf: &self.dump_conf,
            static_set: self.statics.addrs.iter().map(|(_, set)| *set).collect(),
            instances,
            sockets: self.sockets(),
            sync_group_states,
            interfaces: self.interfaces(ctx).await,
            garp_next: self.garp_next_times().into_iter().map(|(n, at)| (n, wall(at))).collect(),
        };
        dump::data(&view)
    }

    /// keepalived.stats.
    pub(super) fn stats_text(&self) -> String {
        let views = self.views();
        dump::stats(views.iter().map(|v| (v.conf.name.as_str(), v.stats)))
    }

    /// keepalived.json.
    pub(super) fn json_text(&self) -> String {
        dump::json(&self.views(), &self.dump_conf)
    }
}
