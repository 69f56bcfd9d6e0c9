//! Starting, stopping and replacing instances: the initial configuration,
//! reloads, and interfaces or addresses that come and go.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tracing::Instrument as _;

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::dump::Stats;
use super::notify::NotifyScripts;
use super::spec::{self, InstanceSpec, TrackSpec, VipSpec, is_link_local};
use super::track::Trackers;
use super::{Runtime, Slot, SockKey, instance_span};
use crate::config::model::global::GlobalConfig;
use crate::config::model::vrrp::VrrpConfig;
use crate::netlink::{LinkEvent, LinkInfo};
use crate::script::{NotifyState, Preparer, ScriptPolicy};
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
    /// The old instance was BACKUP: its Master_Down_Timer runs on.
    resume_backup: Option<Option<Instant>>,
}

/// How much of `vrrp_startup_delay` / `vrrp_delay_after_boot` is left at
/// start-up: the longer of the start-up delay and what remains of the delay
/// after boot (`/proc/uptime`).
fn startup_remaining(cfg: &VrrpConfig) -> Duration {
    let uptime = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|u| u.parse::<f64>().ok()))
        .map_or(Duration::ZERO, |u| Duration::from_secs_f64(u.max(0.0)));
    let after_boot = cfg.globals.delay_after_boot.map_or(Duration::ZERO, |d| d.saturating_sub(uptime));
    cfg.globals.startup_delay.unwrap_or(Duration::ZERO).max(after_boot)
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

    /// Starts, keeps, rebuilds or removes instances to match `cfg`, with
    /// the trackers, sync groups and notify FIFOs it names.
    pub(super) async fn apply(&mut self, cfg: &VrrpConfig, global: &GlobalConfig) {
        self.globals = cfg.globals.clone();
        self.lower_prio_written =
            (cfg.globals_written.garp_lower_prio_delay, cfg.globals_written.garp_lower_prio_repeat);
        self.apply_statics(global).await;
        self.set_static_routes(global).await;
        self.garp_groups = cfg.garp_groups.iter().map(super::announce::GarpGroupSpec::from_model).collect();
        let now = crate::clock::now();
        let mut prep = Preparer::new(ScriptPolicy::from_global(global));
        let specs: Vec<InstanceSpec> = cfg
            .instances
            .iter()
            .map(|i| {
                let mut s = InstanceSpec::from_model(i, &cfg.globals);
                s.track = TrackSpec::from_model(i, cfg);
                let dev = cfg.globals.default_interface.clone();
                s.track.add_track_group_interfaces(spec::track_group_interfaces(global, &i.name, &dev));
                s
            })
            .collect();
        let needed = specs.iter().any(|s| s.vmac.is_some() || (!s.accept && s.priority != 255));
        self.filter.configure(cfg.globals.nftables.as_deref(), needed);
        // Only what the running instances do not already tell is kept for the dumps.
        let users = crate::dump::users::Users::system(global.script_user.as_ref(), global.use_symlink_paths);
        let facts = |n: usize| specs.get(n).map(super::report::plain_facts);
        self.dump_conf = super::dump::VrrpConf::of(cfg, global, &users, &facts);
        // Instances without notify settings (most, in large configurations)
        // share one empty set.
        let none = Arc::new(NotifyScripts::default());
        let mut notify: HashMap<String, Arc<NotifyScripts>> = cfg
            .instances
            .iter()
            .map(|i| {
                let n = NotifyScripts::prepare(&i.notify, &mut prep);
                (i.name.clone(), if n.is_empty() { none.clone() } else { Arc::new(n) })
            })
            .collect();
        self.refresh_links(&specs).await;
        self.configure_links(global, &specs);
        let tracked: Vec<&InstanceSpec> = specs.iter().collect();
        self.update_src_missing(&tracked).await;
        let old = std::mem::take(&mut self.trackers);
        let wants_processes =
            specs.iter().any(|s| s.track.items.iter().any(|(k, _, _)| *k == spec::TrackKind::Process));
        let events = self.process_events(wants_processes);
        self.trackers = Trackers::build(cfg, &specs, &mut prep, old, now, events);
        self.watch_files();
        self.notifier.priority_changes = cfg.globals.notify_priority_changes;
        let mut fifos = Vec::new();
        if let Some(f) = &global.notify_fifo.fifo {
            fifos.push((f.path.clone(), global.notify_fifo.script.as_ref()));
        }
        if let Some(f) = cfg.globals.notify_fifo.as_ref().and_then(|s| s.argv.first()) {
            fifos.push((f.clone(), cfg.globals.notify_fifo_script.as_ref()));
        }
        self.notifier.open(&fifos, &mut prep, &self.track_runner);
        self.build_groups(cfg, &mut prep);
        for m in prep.take_messages() {
            tracing::info!("{}", m.text);
        }
        let faulted_groups = self.init_groups(&specs);
        let running: Vec<(String, usize)> =
            self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|s| (s.spec.name.clone(), i))).collect();
        let mut carried: HashMap<String, Carry> = HashMap::new();
        for (name, idx) in running {
            match (specs.iter().find(|s| s.name == name), self.slot(idx)) {
                (Some(new), Some(old)) if *new == old.spec => {
                    if let (Some(n), Some(slot)) = (notify.get(&name).cloned(), self.slot_mut(idx)) {
                        slot.notify = n;
                    }
                }
                (Some(new), Some(_)) => {
                    let new = new.clone();
                    let carry = self.detach(idx, &new).await;
                    carried.insert(name, carry);
                }
                _ => self.remove_instance(idx, true).await,
            }
        }
        // Room for every instance at once: no doubling leaves a freed copy
        // behind. (The new ones go into free slots first.)
        self.slots.reserve_exact(specs.len().saturating_sub(self.slots.len()));
        let kept: HashSet<String> = self.slots.iter().flatten().map(|s| s.spec.name.clone()).collect();
        let startup = if self.starting { startup_remaining(cfg) } else { Duration::ZERO };
        if !startup.is_zero() {
            tracing::info!("Delaying startup for {} seconds", startup.as_secs_f64());
        }
        for s in specs {
            if !kept.contains(&s.name) {
                let carry = carried.remove(&s.name);
                let n = notify.remove(&s.name).unwrap_or_default();
                self.add_instance(s, carry, n, startup).await;
            }
        }
        self.close_unused_sockets();
        self.set_rx_bufs();
        // Kept instances may have joined or left a sync group.
        let grouped: HashSet<String> = self.groups.iter().flat_map(|g| g.members.iter().cloned()).collect();
        for s in self.slots.iter_mut().flatten() {
            s.fsm.set_synced(grouped.contains(&s.spec.name));
        }
        self.refresh_tracking(None).await;
        self.notify_groups_fault(&faulted_groups);
        self.sysctls.disable_local_igmp(global.disable_local_igmp);
        let promote: Vec<String> = self
            .slots
            .iter()
            .flatten()
            .filter(|s| s.spec.promote_secondaries && s.spec.vmac.is_none())
            .filter_map(|s| s.spec.interface.clone())
            .collect();
        self.sysctls.promote_secondaries(&promote);
    }

    /// Takes a running instance out for a changed configuration. What the
    /// new one must continue (AH and `auth_hmac` counters, the IP id, the
    /// counters, mastership) comes back as a [`Carry`]. A MASTER that can stay
    /// one on the same interface keeps the VIPs both configurations share and
    /// sends no goodbye; anything else is stopped as if removed.
    pub(super) async fn detach(&mut self, idx: usize, new: &InstanceSpec) -> Carry {
        let (was_master, was_backup, down_at, same_place, old_spec) = match self.slot(idx) {
            Some(s) => (
                s.fsm.state() == State::Master,
                s.fsm.state() == State::Backup,
                s.fsm.deadline(crate::vrrp::fsm::TimerKind::MasterDown),
                s.spec.interface == new.interface
                    && s.spec.family == new.family
                    && new.interface.as_deref().is_some_and(|i| self.link_up(i)),
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
                Some(s) => {
                    // Replaced, not stopped: no STOP notify.
                    s.stop_as = None;
                    s.fsm.handle(crate::clock::now(), Input::Shutdown { release: true })
                }
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
            resume_backup: (was_backup && same_place).then_some(down_at),
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
        primary_of(spec, &addrs)
    }

    pub(super) async fn add_instance(
        &mut self,
        spec: InstanceSpec,
        carry: Option<Carry>,
        notify: Arc<NotifyScripts>,
        startup: Duration,
    ) {
        let span = instance_span(&spec.name, spec.vrid);
        self.add_instance_in(spec, carry, notify, startup).instrument(span).await;
    }

    async fn add_instance_in(
        &mut self,
        spec: InstanceSpec,
        carry: Option<Carry>,
        notify: Arc<NotifyScripts>,
        startup: Duration,
    ) {
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
        let mut fault = link.as_ref().is_none_or(|l| !self.linkgate.effective(&l.name, l.running))
            || base.as_ref().is_none_or(|l| !self.linkgate.effective(&l.name, l.running));
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
        let primary_missing = |p: &IpAddr| p.is_unspecified();
        let carry = carry.unwrap_or_default();
        let (verdict, own_down) = self.verdict_of(&spec, incomplete);
        let group_fault = self.group_starts_faulted(&spec.name);
        let start_in_fault = fault || own_down || verdict.faults > 0 || group_fault;
        if start_in_fault && carry.resume_backup.is_none() && !carry.resume_master {
            for line in self.fault_reasons(&spec, primary_missing(&primary)) {
                tracing::info!("{line}");
            }
        }
        let mut params = spec.params(primary, start_in_fault);
        params.start_held = verdict.holds > 0;
        params.tracking = i32::try_from(verdict.delta.clamp(-1_000, 1_000)).unwrap_or(0);
        params.synced = self.groups.iter().any(|g| g.members.contains(&spec.name));
        params.startup_delay = startup;
        let now = crate::clock::now();
        let (mut fsm, mut actions) = if carry.resume_master && !params.start_in_fault {
            Instance::resume_master(params, now)
        } else if let (Some(down_at), false) = (carry.resume_backup, params.start_in_fault) {
            Instance::resume_backup(params, now, down_at)
        } else {
            Instance::new(params, now)
        };
        if group_fault {
            // Held in FAULT by its group until no member has a fault of its own.
            actions.extend(fsm.handle(now, Input::GroupFault(true)));
        }
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
            notify,
            stop_as: Some(NotifyState::Stop),
            old_checksum: false,
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

    /// Stops an instance (priority-0 advert if MASTER, VIPs released) and
    /// forgets it; `deleted`: removed by a reload (FAULT or, with
    /// `notify_deleted`, DELETED is notified), else silently (rebuilt).
    pub(super) async fn remove_instance(&mut self, idx: usize, deleted: bool) {
        self.remove_instance_keeping(idx, deleted, false).await;
    }

    /// [`Runtime::remove_instance`]; `keep_vmac` leaves its VMAC in place for
    /// the instance that replaces it.
    pub(super) async fn remove_instance_keeping(&mut self, idx: usize, deleted: bool, keep_vmac: bool) {
        let actions = match self.slot_mut(idx) {
            Some(s) => {
                s.stop_as = match (deleted, s.notify.sends_deleted()) {
                    (false, _) => None,
                    (true, true) => Some(NotifyState::Deleted),
                    // keepalived's default for a deleted instance is FAULT.
                    (true, false) => Some(NotifyState::Fault),
                };
                s.fsm.handle(crate::clock::now(), Input::Shutdown { release: true })
            }
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
            LinkEvent::Address { ifindex, addr } => {
                // Our own VIPs coming and going (a thousand at a start) never
                // move an instance's primary address: it is never a VIP.
                if addr.is_some_and(|a| self.is_our_vip(a)) {
                    return;
                }
                // An instance waiting for a source address may now have one.
                let Some(name) = self
                    .links
                    .values()
                    .find(|l| l.index == ifindex && self.linkgate.effective(&l.name, l.running))
                    .map(|l| l.name.clone())
                else {
                    return;
                };
                // A static address deleted by someone else comes back.
                self.restore_statics(&name, ifindex).await;
                // track_src_ip: the configured source address came or went.
                let on: Vec<InstanceSpec> =
                    self.slots_on(&name).iter().filter_map(|i| self.slot(*i)).map(|s| s.spec.clone()).collect();
                let tracked: Vec<&InstanceSpec> = on.iter().filter(|s| s.track_src_ip).collect();
                for n in self.update_src_missing(&tracked).await {
                    if let Some(i) = self.slot_named(&n) {
                        self.refresh(i).await;
                    }
                }
                let mut follow = Vec::new();
                for idx in self.slots_on(&name) {
                    if self.slot(idx).is_some_and(|s| s.incomplete) {
                        self.rebuild(idx).await;
                    } else {
                        follow.push(idx);
                    }
                }
                self.follow_primary(&follow, &name, ifindex).await;
            }
        }
    }

    /// `track_src_ip`: notes which of `specs` miss their `src_ip` on their
    /// interface now; returns the names whose answer changed.
    pub(super) async fn update_src_missing(&mut self, specs: &[&InstanceSpec]) -> Vec<String> {
        let mut changed = Vec::new();
        for s in specs {
            let (Some(src), true) = (s.src_ip, s.track_src_ip) else { continue };
            let index = s.interface.as_deref().and_then(|i| self.links.get(i)).map(|l| l.index);
            let present = match index {
                Some(i) => self.nl.addresses(i).await.is_ok_and(|a| a.iter().any(|(ip, _)| *ip == src)),
                None => false,
            };
            let was_missing = self.src_missing.contains(&s.name);
            if present == was_missing {
                changed.push(s.name.clone());
            }
            if present {
                self.src_missing.remove(&s.name);
            } else {
                self.src_missing.insert(s.name.clone());
            }
        }
        changed
    }

    /// Whether `a` is a VIP or eVIP of one of the instances.
    fn is_our_vip(&self, a: IpAddr) -> bool {
        self.slots.iter().flatten().any(|s| s.spec.vips.iter().chain(&s.spec.evips).any(|v| v.net.addr == a))
    }

    /// The primary address of the instances' interface moved (deleted, or
    /// another one came first): their adverts leave from the new one, as
    /// keepalived's do. `mcast_src_ip` / `unicast_src_ip` never move. The
    /// interface's addresses are read once for all of them.
    async fn follow_primary(&mut self, idxs: &[usize], ifname: &str, ifindex: u32) {
        let specs: Vec<(usize, InstanceSpec)> = idxs
            .iter()
            .filter_map(|i| self.slot(*i).map(|s| (*i, s)))
            .filter(|(_, s)| s.spec.src_ip.is_none() && s.spec.interface.as_deref() == Some(ifname))
            .map(|(i, s)| (i, s.spec.clone()))
            .collect();
        if specs.is_empty() {
            return;
        }
        let Ok(addrs) = self.nl.addresses(ifindex).await else { return };
        for (idx, spec) in specs {
            let Some(now) = primary_of(&spec, &addrs) else { continue };
            if let Some(slot) = self.slot_mut(idx) {
                if slot.primary != now {
                    tracing::info!("Assigned address {now} for interface {ifname}");
                    slot.primary = now;
                    slot.fsm.set_primary_address(now);
                }
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
        if let Some((spec, notify)) = self.slot(idx).map(|s| (s.spec.clone(), s.notify.clone())) {
            self.remove_instance_keeping(idx, false, true).await;
            self.close_unused_sockets();
            self.add_instance(spec, None, notify, Duration::ZERO).await;
            self.set_rx_bufs();
            if let Some(i) = self.slot_named(&name_of(&self.slots, idx)) {
                self.refresh(i).await;
            }
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
        let was_running = self.links.get(&name).map(|l| self.linkgate.effective(&name, l.running));
        if removed {
            self.linkgate.removed(&name);
            self.links.remove(&name);
        } else {
            // interface_up_down_delays: a change may wait (and be taken back).
            let verdict = self.linkgate.on_report(&name, was_running, info.running, crate::clock::now());
            if let crate::vrrp::linkgate::Verdict::Delayed(d) = verdict {
                let what = if info.running { "up" } else { "down" };
                tracing::info!("{name}: Adding flags change to {what} delay by {}", d.as_micros());
            }
            self.links.insert(name.clone(), info);
        }
        let now_running = if removed { None } else { Some(self.link_up(&name)) };
        self.link_state_changed(&name, was_running, now_running, "Netlink").await;
    }

    /// What the instances see of interface `name` changed (`None`: gone),
    /// as `source` (netlink, linkbeat) reported it.
    pub(super) async fn link_state_changed(
        &mut self,
        name: &str,
        was_running: Option<bool>,
        now_running: Option<bool>,
        source: &str,
    ) {
        let name = name.to_owned();
        let removed = now_running.is_none();
        if was_running == now_running {
            return;
        }
        let used = self.slots.iter().flatten().any(|s| s.spec.interfaces().contains(&name));
        if used {
            let what = if now_running == Some(true) { "up" } else { "down" };
            tracing::info!("{source} reports {name} {what}");
        }
        // The index or MAC may change: reopen the gratuitous ARP channel on next use.
        self.garp.remove(&name);
        if now_running == Some(true) {
            if let Some(index) = self.links.get(&name).map(|l| l.index) {
                self.restore_statics(&name, index).await;
                self.restore_static_routes(&name).await;
            }
        }
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
            self.refresh(idx).await;
        }
        // Instances tracking the interface (not running on it).
        self.refresh_tracking(Some((super::spec::TrackKind::Interface, &name))).await;
    }
}

/// The name of the instance in slot `idx` ("" when empty).
fn name_of(slots: &[Option<Slot>], idx: usize) -> String {
    slots.get(idx).and_then(Option::as_ref).map(|s| s.spec.name.clone()).unwrap_or_default()
}

/// The first of an interface's addresses (`(address, prefix)` in the
/// kernel's order) that can be the instance's own: IPv4, or IPv6
/// link-local, and never one of its VIPs.
fn primary_of(spec: &InstanceSpec, addrs: &[(IpAddr, u8)]) -> Option<IpAddr> {
    let is_vip = |a: &IpAddr| spec.vips.iter().chain(&spec.evips).any(|v| v.net.addr == *a);
    addrs.iter().map(|(a, _)| *a).find(|a| {
        !is_vip(a)
            && match (spec.family, a) {
                (Family::V4, IpAddr::V4(_)) => true,
                (Family::V6, IpAddr::V6(v6)) => is_link_local(v6),
                _ => false,
            }
    })
}
