//! Starting, stopping and replacing instances: the initial configuration,
//! reloads, and interfaces or addresses that come and go.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tracing::Instrument as _;

use super::dump::Stats;
use super::spec::{self, InstanceSpec, VipSpec, is_link_local};
use super::{Runtime, Slot, SockKey, instance_span};
use crate::config::model::global::GlobalConfig;
use crate::config::model::vrrp::VrrpConfig;
use crate::netlink::{LinkEvent, LinkInfo};
use crate::vrrp::auth::{AuthConfig, AuthCtx};
use crate::vrrp::fsm::{Family, Input, Instance, State};

/// What a changed instance hands to its replacement on reload.
#[derive(Default)]
pub(super) struct Carry {
    /// The old `authentication` and `auth_hmac` settings with their state.
    auth: Option<(AuthConfig, Option<Box<spec::HmacSpec>>, AuthCtx)>,
    ip_id: u16,
    stats: Stats,
    /// The old instance was MASTER and the new one can take over at once.
    resume_master: bool,
    /// When it last changed state, kept when it resumes as MASTER.
    last_transition: Option<crate::dump::Stamp>,
}

impl Runtime {
    /// Looks up every interface the specs use.
    pub(super) async fn refresh_links(&mut self, specs: &[InstanceSpec]) {
        let mut names: Vec<String> = Vec::new();
        for s in specs {
            for n in s.interfaces() {
                if !names.contains(&n) {
                    names.push(n);
                }
            }
        }
        for n in names {
            match self.nl.link_by_name(&n).await {
                Ok(info) => {
                    self.links.insert(n, info);
                }
                Err(_) => {
                    self.links.remove(&n);
                }
            }
        }
    }

    /// Starts, keeps, rebuilds or removes instances to match `cfg`.
    pub(super) async fn apply(&mut self, cfg: &VrrpConfig, global: &GlobalConfig) {
        self.globals = cfg.globals.clone();
        self.lower_prio_written =
            (cfg.globals_written.garp_lower_prio_delay, cfg.globals_written.garp_lower_prio_repeat);
        self.apply_statics(global).await;
        self.set_static_routes(global).await;
        self.garp_groups = cfg.garp_groups.iter().map(super::announce::GarpGroupSpec::from_model).collect();
        let specs: Vec<InstanceSpec> =
            cfg.instances.iter().map(|i| InstanceSpec::from_model(i, &cfg.globals)).collect();
        let needed = specs.iter().any(|s| s.vmac.is_some() || (!s.accept && s.priority != 255));
        self.filter.configure(cfg.globals.nftables.as_deref(), needed);
        // Only what the running instances do not already tell is kept for the dumps.
        let users = crate::dump::users::Users::system(global.script_user.as_ref(), global.use_symlink_paths);
        let facts = |n: usize| specs.get(n).map(super::report::plain_facts);
        self.dump_conf = super::dump::VrrpConf::of(cfg, global, &users, &facts);
        self.refresh_links(&specs).await;
        let running: Vec<(String, usize)> =
            self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (s.spec.name.clone(), i))).collect();
        let mut carried: HashMap<String, Carry> = HashMap::new();
        for (name, idx) in running {
            match (specs.iter().find(|s| s.name == name), self.slot(idx)) {
                (Some(new), Some(old)) if *new == old.spec => {}
                (Some(new), Some(_)) => {
                    let new = new.clone();
                    let carry = self.detach(idx, &new).await;
                    carried.insert(name, carry);
                }
                _ => self.remove_instance(idx).await,
            }
        }
        // Room for every instance at once: no doubling leaves a freed copy
        // behind. (The new ones go into free slots first.)
        self.slots.reserve_exact(specs.len().saturating_sub(self.slots.len()));
        let kept: HashSet<String> = self.slots.iter().flatten().map(|s| s.spec.name.clone()).collect();
        for s in specs {
            if !kept.contains(&s.name) {
                let carry = carried.remove(&s.name);
                self.add_instance(s, carry).await;
            }
        }
        self.close_unused_sockets();
    }

    /// Takes a running instance out for a changed configuration. What the
    /// new one must continue (AH and `auth_hmac` counters, the IP id, the
    /// counters, mastership) comes back as a [`Carry`]. A MASTER that can stay
    /// one on the same interface keeps the VIPs both configurations share and
    /// sends no goodbye; anything else is stopped as if removed.
    pub(super) async fn detach(&mut self, idx: usize, new: &InstanceSpec) -> Carry {
        let (was_master, same_place, old_spec) = match self.slot(idx) {
            Some(s) => (
                s.fsm.state() == State::Master,
                s.spec.interface == new.interface
                    && s.spec.family == new.family
                    && new.interface.as_ref().and_then(|i| self.links.get(i)).is_some_and(|l| l.running),
                s.spec.clone(),
            ),
            None => return Carry::default(),
        };
        let resume_master = was_master && same_place;
        if resume_master {
            let wanted: Vec<&VipSpec> = new.vips.iter().chain(&new.evips).collect();
            let stale: Vec<VipSpec> =
                old_spec.vips.iter().chain(&old_spec.evips).filter(|v| !wanted.contains(v)).cloned().collect();
            for v in stale {
                tracing::debug!("({}) removing VIP {}", old_spec.name, v.describe());
                if let Some(ifindex) = self.links.get(&v.dev).map(|l| l.index) {
                    if let Err(e) = self.nl.del_address(&v.addr_spec(ifindex)).await {
                        tracing::error!("({}) cannot remove VIP {} - {e}", old_spec.name, v.describe());
                    }
                }
            }
            // Routes and rules the new configuration drops go now; the
            // new instance adds its own (again) as it resumes.
            for r in old_spec.routes.iter().filter(|r| !new.routes.contains(r)) {
                self.apply_route(r, false).await;
            }
            for r in old_spec.rules.iter().filter(|r| !new.rules.contains(r)) {
                self.apply_rule(r, false).await;
            }
            if !old_spec.accept && old_spec.priority != 255 {
                // The resumed instance puts back what it still filters.
                self.set_filter(idx, false).await;
            }
        } else {
            let actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(crate::clock::now(), Input::Shutdown { release: true }),
                None => return Carry::default(),
            };
            self.execute(idx, actions).await;
        }
        self.timers.set(idx, None);
        let Some(slot) = self.slots.get_mut(idx).and_then(Option::take) else { return Carry::default() };
        if let Some(e) = slot.sock.as_ref().and_then(|k| self.socks.get_mut(k)) {
            e.vrids.remove(&slot.spec.vrid);
        }
        if slot.spec.vmac != new.vmac || slot.spec.interface != new.interface {
            self.remove_vmac(&slot.spec).await;
        }
        Carry {
            auth: Some((slot.spec.auth.clone(), slot.spec.hmac.clone(), slot.auth)),
            ip_id: slot.ip_id,
            stats: slot.stats,
            resume_master,
            last_transition: resume_master.then_some(slot.last_transition),
        }
    }

    /// The instance's own address: `mcast_src_ip`/`unicast_src_ip`, else the
    /// interface's first IPv4 address or its IPv6 link-local address
    /// (RFC 5798 section 5.1.2.1), never one of the instance's VIPs.
    pub(super) async fn primary_address(&self, spec: &InstanceSpec, ifindex: u32) -> Option<IpAddr> {
        if let Some(a) = spec.src_ip {
            return Some(a);
        }
        let addrs = self.nl.addresses(ifindex).await.ok()?;
        let is_vip = |a: &IpAddr| spec.vips.iter().chain(&spec.evips).any(|v| v.net.addr == *a);
        addrs.into_iter().map(|(a, _)| a).find(|a| {
            !is_vip(a)
                && match (spec.family, a) {
                    (Family::V4, IpAddr::V4(_)) => true,
                    (Family::V6, IpAddr::V6(v6)) => is_link_local(v6),
                    _ => false,
                }
        })
    }

    pub(super) async fn add_instance(&mut self, spec: InstanceSpec, carry: Option<Carry>) {
        let span = instance_span(&spec.name, spec.vrid);
        self.add_instance_in(spec, carry).instrument(span).await;
    }

    async fn add_instance_in(&mut self, spec: InstanceSpec, carry: Option<Carry>) {
        let Some(key) = Self::sock_key(&spec) else {
            tracing::error!("({}) an instance without interface is not supported yet - ignoring it", spec.name);
            return;
        };
        if let Some(other) = self.socks.get(&key).and_then(|e| e.vrids.get(&spec.vrid)) {
            let other = self.slot(*other).map_or("?", |s| s.spec.name.as_str());
            tracing::error!(
                "({}) VRID {} is already used by {other} on {} - ignoring the instance",
                spec.name,
                spec.vrid,
                key.ifname
            );
            return;
        }
        let vmac_ok = self.ensure_vmac(&spec).await;
        let link = if vmac_ok { self.links.get(&key.ifname).cloned() } else { None };
        // The instance's own address is its base interface's.
        let base = spec.interface.as_ref().and_then(|i| self.links.get(i)).cloned();
        let mut fault = link.as_ref().is_none_or(|l| !l.running) || base.as_ref().is_none_or(|l| !l.running);
        let mut primary = None;
        let mut sock = None;
        if let (Some(l), Some(b)) = (&link, &base) {
            primary = self.primary_address(&spec, b.index).await;
            if self.ensure_socket(&key, l.index) {
                sock = Some(key.clone());
            }
        }
        if link.is_none() {
            tracing::warn!("({}) interface {} not found", spec.name, key.ifname);
        } else if primary.is_none() {
            tracing::warn!("({}) no usable source address on {}", spec.name, key.ifname);
        }
        let incomplete = primary.is_none() || sock.is_none();
        fault |= incomplete;
        let unspecified = if spec.family == Family::V6 {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        };
        let primary = primary.unwrap_or(unspecified);
        let carry = carry.unwrap_or_default();
        let params = spec.params(primary, fault);
        let (fsm, actions) = if carry.resume_master && !fault {
            Instance::resume_master(params, crate::clock::now())
        } else {
            Instance::new(params, crate::clock::now())
        };
        let mut auth = spec.auth_ctx();
        if let Some((old_auth, old_hmac, old_ctx)) = carry.auth {
            // Peers remember our sequence numbers: continue them.
            if old_auth == spec.auth {
                auth.ah = old_ctx.ah;
            }
            if old_hmac == spec.hmac {
                auth.hmac = old_ctx.hmac;
            }
        }
        let idx = self.slots.iter().position(Option::is_none).unwrap_or(self.slots.len());
        let slot = Slot {
            auth,
            fsm,
            ip_id: carry.ip_id,
            sock: sock.clone(),
            primary,
            incomplete,
            stats: carry.stats,
            vip_set: vec![carry.resume_master; spec.vips.len() + spec.evips.len()],
            spec,
            last_transition: carry
                .last_transition
                .unwrap_or_else(|| crate::dump::Stamp::from_epoch(crate::clock::wall())),
        };
        if let Some(k) = &sock {
            if let Some(e) = self.socks.get_mut(k) {
                e.vrids.insert(slot.spec.vrid, idx);
            }
        }
        if idx == self.slots.len() {
            self.slots.push(Some(slot));
        } else if let Some(s) = self.slots.get_mut(idx) {
            *s = Some(slot);
        }
        self.execute(idx, actions).await;
    }

    /// Stops an instance (priority-0 advert if MASTER, VIPs released) and forgets it.
    pub(super) async fn remove_instance(&mut self, idx: usize) {
        self.remove_instance_keeping(idx, false).await;
    }

    /// [`Runtime::remove_instance`]; `keep_vmac` leaves its VMAC in place for
    /// the instance that replaces it.
    pub(super) async fn remove_instance_keeping(&mut self, idx: usize, keep_vmac: bool) {
        let actions = match self.slot_mut(idx) {
            Some(s) => s.fsm.handle(crate::clock::now(), Input::Shutdown { release: true }),
            None => return,
        };
        self.execute(idx, actions).await;
        self.timers.set(idx, None);
        if let Some(slot) = self.slots.get_mut(idx).and_then(Option::take) {
            if let Some(e) = slot.sock.as_ref().and_then(|k| self.socks.get_mut(k)) {
                e.vrids.remove(&slot.spec.vrid);
            }
            if !keep_vmac {
                self.remove_vmac(&slot.spec).await;
            }
        }
    }

    pub(super) async fn on_link(&mut self, ev: LinkEvent) {
        match ev {
            LinkEvent::Link { info, removed } => self.on_link_change(info, removed).await,
            LinkEvent::Address { ifindex } => {
                // An instance waiting for a source address may now have one.
                let Some(name) = self.links.values().find(|l| l.index == ifindex && l.running).map(|l| l.name.clone())
                else {
                    return;
                };
                for idx in self.slots_on(&name) {
                    if self.slot(idx).is_some_and(|s| s.incomplete) {
                        self.rebuild(idx).await;
                    } else {
                        self.follow_primary(idx, &name, ifindex).await;
                    }
                }
            }
        }
    }

    /// The primary address of the instance's interface moved (deleted, or
    /// another one came first): its adverts leave from the new one, as
    /// keepalived's do. `mcast_src_ip` / `unicast_src_ip` never move.
    async fn follow_primary(&mut self, idx: usize, ifname: &str, ifindex: u32) {
        let Some(spec) = self.slot(idx).filter(|s| s.spec.src_ip.is_none()).map(|s| s.spec.clone()) else {
            return;
        };
        if spec.interface.as_deref() != Some(ifname) {
            return;
        }
        let Some(now) = self.primary_address(&spec, ifindex).await else { return };
        if let Some(slot) = self.slot_mut(idx) {
            if slot.primary != now {
                tracing::info!("Assigned address {now} for interface {ifname}");
                slot.primary = now;
                slot.fsm.set_primary_address(now);
            }
        }
    }

    /// The slots whose instance runs on interface `name`.
    pub(super) fn slots_on(&self, name: &str) -> Vec<usize> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.as_ref()
                    .filter(|s| {
                        s.spec.interface.as_deref() == Some(name)
                            || s.spec.vmac.as_ref().is_some_and(|v| v.name == name)
                    })
                    .map(|_| i)
            })
            .collect()
    }

    /// Builds an instance again from its spec (it was started without a
    /// usable interface or address).
    pub(super) async fn rebuild(&mut self, idx: usize) {
        if let Some(spec) = self.slot(idx).map(|s| s.spec.clone()) {
            self.remove_instance_keeping(idx, true).await;
            self.close_unused_sockets();
            self.add_instance(spec, None).await;
        }
    }

    pub(super) async fn on_link_change(&mut self, mut info: LinkInfo, removed: bool) {
        let name = info.name.clone();
        if !removed && self.links.contains_key(&name) {
            // Events queue up behind what we did meanwhile (a VMAC created
            // down, then set up): the kernel's state now is what counts.
            match self.nl.link_by_name(&name).await {
                Ok(now) => info = now,
                Err(e) if e.is_not_found() => return,
                Err(_) => {}
            }
        }
        let was_running = self.links.get(&name).map(|l| l.running);
        let now_running = if removed { None } else { Some(info.running) };
        if removed {
            self.links.remove(&name);
        } else {
            self.links.insert(name.clone(), info);
        }
        if was_running == now_running {
            return;
        }
        // The index or MAC may change: reopen the gratuitous ARP channel on next use.
        self.garp.remove(&name);
        if removed {
            // Sockets bound to a vanished interface are useless: drop them.
            let gone: Vec<SockKey> = self.socks.keys().filter(|k| k.ifname == name).cloned().collect();
            for k in gone {
                if let Some(e) = self.socks.remove(&k) {
                    e.reader.abort();
                    self.sock_by_id.remove(&e.id);
                }
            }
        }
        for idx in self.slots_on(&name) {
            let incomplete = self.slot(idx).is_some_and(|s| s.incomplete);
            if now_running == Some(true) && incomplete {
                self.rebuild(idx).await;
                continue;
            }
            if removed {
                if let Some(slot) = self.slot_mut(idx) {
                    slot.incomplete = true;
                    slot.sock = None;
                }
            }
            let up = now_running == Some(true);
            let actions = match self.slot_mut(idx) {
                Some(s) => s.fsm.handle(crate::clock::now(), Input::Fault(!up)),
                None => continue,
            };
            self.execute(idx, actions).await;
        }
    }
}
