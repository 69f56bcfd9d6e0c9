//! What a MASTER puts on its interfaces: the VIPs (through rtnetlink) and
//! the gratuitous ARPs / unsolicited NAs that announce them, paced per
//! interface, or per `garp_group` across the interfaces it lists (one
//! switch that must not be flooded).

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::Runtime;
use super::spec::VipSpec;
use crate::vrrp::garp;
use crate::vrrp::socket::GarpSender;

/// A queued gratuitous ARP / NA.
pub(super) struct GarpFrame {
    v6: bool,
    frame: Vec<u8>,
    addr: IpAddr,
    /// Pause after this one (`vrrp_garp_interval` / `vrrp_gna_interval`).
    gap: Duration,
}

/// The gratuitous ARP / NA sender of one interface with its pacing queue.
pub(super) struct GarpIf {
    sender: GarpSender,
    ifindex: u32,
    queue: VecDeque<GarpFrame>,
    next_at: Instant,
}

/// A `garp_group`: its intervals and the interfaces they apply to together.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct GarpGroupSpec {
    pub garp_interval: Option<Duration>,
    pub gna_interval: Option<Duration>,
    pub interfaces: Vec<String>,
}

impl GarpGroupSpec {
    pub(super) fn from_model(g: &crate::config::model::vrrp::GarpGroup) -> GarpGroupSpec {
        GarpGroupSpec {
            garp_interval: g.garp_interval,
            gna_interval: g.gna_interval,
            interfaces: g.interface.iter().chain(&g.interfaces).map(|i| i.value.clone()).collect(),
        }
    }
}

/// The pacing key of an interface: its group's index, else its own name.
fn pace_key(groups: &[GarpGroupSpec], ifname: &str) -> String {
    match groups.iter().position(|g| g.interfaces.iter().any(|i| i == ifname)) {
        Some(i) => format!("\0group{i}"),
        None => ifname.to_owned(),
    }
}

pub(super) fn mac6(mac: &[u8]) -> Option<[u8; 6]> {
    mac.try_into().ok()
}

/// Whether the interface forwards IPv6 (the NA router flag, RFC 4861 section 7.2.4).
pub(super) fn ipv6_forwarding(ifname: &str) -> bool {
    std::fs::read_to_string(format!("/proc/sys/net/ipv6/conf/{ifname}/forwarding")).is_ok_and(|s| s.trim() == "1")
}

impl Runtime {
    /// Per interface, when the next gratuitous message may go (keepalived.data).
    pub(super) fn garp_next_times(&self) -> Vec<(String, Instant)> {
        self.garp.iter().map(|(n, g)| (n.clone(), g.next_at)).collect()
    }

    /// When the next paced gratuitous message is due.
    pub(super) fn next_garp(&self) -> Option<Instant> {
        self.garp
            .iter()
            .filter(|(_, g)| !g.queue.is_empty())
            .map(|(n, g)| {
                self.garp_pace.get(&pace_key(&self.garp_groups, n)).copied().unwrap_or(g.next_at).max(g.next_at)
            })
            .min()
    }

    /// Adds (or removes) the VIPs and eVIPs, logging keepalived's lines.
    pub(super) async fn set_vips(&mut self, idx: usize, add: bool) {
        let Some(slot) = self.slot(idx) else { return };
        let name = slot.spec.name.clone();
        let groups = [("VIPs", slot.spec.vips.clone()), ("E-VIPs", slot.spec.evips.clone())];
        let mut n = 0usize;
        for (what, list) in groups {
            if list.is_empty() {
                continue;
            }
            tracing::debug!("({name}) {} {what}.", if add { "setting" } else { "removing" });
            for v in &list {
                let at = n;
                n += 1;
                let Some(ifindex) = self.links.get(&v.dev).map(|l| l.index) else {
                    if add {
                        tracing::error!("({name}) cannot add {}: interface {} not found", v.describe(), v.dev);
                    }
                    continue;
                };
                let spec = v.addr_spec(ifindex);
                let r = if add {
                    self.nl.add_address(&spec).await.map(|_| ())
                } else {
                    self.nl.del_address(&spec).await.map(|_| ())
                };
                let ok = r.is_ok();
                if let Err(e) = r {
                    let verb = if add { "add" } else { "remove" };
                    tracing::error!("({name}) cannot {verb} VIP {} - {e}", v.describe());
                }
                // Whether each address is on its interface, for keepalived.data.
                if let Some(flag) = self.slot_mut(idx).and_then(|s| s.vip_set.get_mut(at)) {
                    *flag = if add { ok } else { !ok && *flag };
                }
            }
        }
    }

    /// Queues `repeat` gratuitous ARPs / NAs per address: the first round
    /// address by address, then the repeats, paced by `interval` per interface.
    pub(super) fn queue_gratuitous(&mut self, idx: usize, repeat: u32, interval: Duration) {
        let Some(slot) = self.slot(idx) else { return };
        let addrs: Vec<VipSpec> = slot.spec.vips.iter().chain(&slot.spec.evips).cloned().collect();
        self.queue_for(idx, &addrs, repeat, interval);
    }

    /// `garp_extra_if`: one gratuitous ARP / NA on each interface of the
    /// VIPs and eVIPs (for its first address there) that is a VMAC of ours,
    /// or any with `all`, but the instance's own unless `vmac_xmit_base`
    /// (keepalived's `vrrp_send_vmac_update`).
    pub(super) fn queue_extra_gratuitous(&mut self, idx: usize) {
        let Some(slot) = self.slot(idx) else { return };
        let spec = &slot.spec;
        let own = spec.vmac.as_ref().map(|v| v.name.as_str()).or(spec.interface.as_deref());
        let xmit_base = spec.vmac.as_ref().is_some_and(|v| v.xmit_base);
        let ours: Vec<&str> = spec.vmac.iter().map(|v| v.name.as_str()).collect();
        let mut seen: Vec<&str> = Vec::new();
        let mut addrs: Vec<VipSpec> = Vec::new();
        for v in spec.vips.iter().chain(&spec.evips) {
            let dev = v.dev.as_str();
            if (!ours.contains(&dev) && !spec.garp_extra_if_all) || (Some(dev) == own && !xmit_base) {
                continue;
            }
            if !seen.contains(&dev) {
                seen.push(dev);
                addrs.push(v.clone());
            }
        }
        let g = &slot.fsm.params().garp;
        let interval = if spec.family == crate::vrrp::fsm::Family::V6 { g.gna_interval } else { g.garp_interval };
        self.queue_for(idx, &addrs, 1, interval);
    }

    /// Queues `repeat` messages for each of `addrs` (see [`Self::queue_gratuitous`]).
    fn queue_for(&mut self, idx: usize, addrs: &[VipSpec], repeat: u32, interval: Duration) {
        let Some(slot) = self.slot(idx) else { return };
        let name = slot.spec.name.clone();
        let now = crate::clock::now();
        for round in 0..repeat {
            for v in addrs {
                let Some(link) = self.links.get(&v.dev).cloned() else { continue };
                let Some(mac) = mac6(&link.mac) else { continue };
                let (v6, frame) = match v.net.addr {
                    IpAddr::V4(a) => (false, garp::gratuitous_arp(mac, a)),
                    IpAddr::V6(a) => {
                        let router = ipv6_forwarding(&v.dev);
                        let at = crate::dump::Stamp::from_epoch(crate::clock::wall());
                        self.gna_checks.insert(v.dev.clone(), (router, at));
                        (true, garp::unsolicited_na(mac, a, router))
                    }
                };
                if round == 0 {
                    let what = if v6 { "Unsolicited Neighbour Adverts" } else { "gratuitous ARPs" };
                    tracing::debug!("({name}) Sending/queueing {what} on {} for {}", v.dev, v.net.addr);
                }
                if !self.garp.contains_key(&v.dev) {
                    match GarpSender::open(&v.dev, link.index, true, true) {
                        Ok(sender) => {
                            if self.garp.is_empty() {
                                tracing::debug!("Registering gratuitous ARP shared channel");
                            }
                            let g = GarpIf { sender, ifindex: link.index, queue: VecDeque::new(), next_at: now };
                            self.garp.insert(v.dev.clone(), g);
                        }
                        Err(e) => {
                            tracing::error!("Unable to open the gratuitous ARP channel on {} - {e}", v.dev);
                            continue;
                        }
                    }
                }
                // A garp_group's interval replaces the global one on its interfaces.
                let group = self.garp_groups.iter().find(|g| g.interfaces.contains(&v.dev));
                let gap = match group {
                    Some(g) if v6 => g.gna_interval.unwrap_or(interval),
                    Some(g) => g.garp_interval.unwrap_or(interval),
                    None => interval,
                };
                if let Some(g) = self.garp.get_mut(&v.dev) {
                    g.queue.push_back(GarpFrame { v6, frame, addr: v.net.addr, gap });
                }
                if round == 0 {
                    // keepalived sends the first of each address as it queues it.
                    self.flush_garp(now);
                }
            }
        }
    }

    /// Sends the queued gratuitous messages that are due; interfaces of one
    /// `garp_group` share one pace.
    pub(super) fn flush_garp(&mut self, now: Instant) {
        // Called after every advert: nothing to do, nothing to allocate, in
        // the steady state. (An idle interface's pace stays where its last
        // message put it, as keepalived's "next time" does.)
        if self.garp.values().all(|g| g.queue.is_empty()) {
            return;
        }
        let mut names: Vec<String> = self.garp.keys().cloned().collect();
        names.sort();
        for ifname in names {
            let key = pace_key(&self.garp_groups, &ifname);
            let Some(g) = self.garp.get_mut(&ifname) else { continue };
            let mut next_at = self.garp_pace.get(&key).copied().unwrap_or(g.next_at).max(g.next_at);
            while next_at <= now {
                let Some(f) = g.queue.pop_front() else { break };
                let r = if f.v6 {
                    tracing::debug!("Sending unsolicited Neighbour Advert on {ifname} for {}", f.addr);
                    g.sender.send_na(&f.frame, g.ifindex)
                } else {
                    tracing::debug!("Sending gratuitous ARP on {ifname} for {}", f.addr);
                    g.sender.send_arp_frame(&f.frame)
                };
                if let Err(e) = r {
                    tracing::info!("Error sending gratuitous message on {ifname} for {} - {e}", f.addr);
                }
                if !f.gap.is_zero() {
                    next_at = now + f.gap;
                }
            }
            if g.queue.is_empty() && next_at < now {
                next_at = now;
            }
            g.next_at = next_at;
            self.garp_pace.insert(key, next_at);
        }
    }
}
