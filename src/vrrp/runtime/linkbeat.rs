//! The state the instances see of their interfaces, beyond netlink's word
//! (see [`crate::vrrp::linkgate`]): `interface_up_down_delays` and the
//! polled `linkbeat_interfaces` / `linkbeat_use_polling`.

use std::collections::HashMap;
use std::os::fd::AsFd as _;
use std::time::Instant;

use super::Runtime;
use super::spec::InstanceSpec;
use crate::config::model::global::{GlobalConfig, LinkbeatType};
use crate::sys::linkbeat;
use crate::vrrp::linkgate::{Delays, POLL_INTERVAL};

/// How a polled interface is read, once found out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Probe {
    Mii,
    Ethtool,
    Ioctl,
}

impl Probe {
    fn name(self) -> &'static str {
        match self {
            Probe::Mii => "MII",
            Probe::Ethtool => "ETHTOOL",
            Probe::Ioctl => "IOCTL",
        }
    }
}

/// The polling side: the socket the ioctls go through, each interface's
/// asked-for and found probe, and when to poll next.
#[derive(Debug, Default)]
pub(super) struct Linkbeat {
    sock: Option<std::net::UdpSocket>,
    asked: HashMap<String, LinkbeatType>,
    found: HashMap<String, Probe>,
    pub(super) next_poll: Option<Instant>,
}

impl Runtime {
    /// Whether the instances see interface `name` running.
    pub(super) fn link_up(&self, name: &str) -> bool {
        self.links.get(name).is_some_and(|l| self.linkgate.effective(name, l.running))
    }

    /// Takes the delays and polled interfaces of a (re)loaded configuration.
    pub(super) fn configure_links(&mut self, global: &GlobalConfig, specs: &[InstanceSpec]) {
        let mut delays: HashMap<String, Delays> = HashMap::new();
        for d in &global.interface_up_down_delays {
            delays.insert(d.ifname.value.clone(), Delays { down: d.down, up: d.up });
        }
        for s in specs {
            let Some(ifname) = s.interface.as_deref() else { continue };
            let Some(d) = delays.get(ifname).copied() else { continue };
            let (d, changed) = d.limited(s.advert_interval, s.down_timer_adverts);
            if changed {
                tracing::info!(
                    "{}: interface {ifname} debounce timer(s) not less that {} * advert_int - resetting",
                    s.name,
                    s.down_timer_adverts.saturating_sub(1)
                );
            }
            delays.insert(ifname.to_owned(), d);
            // A VMAC inherits its parent's delays.
            if let Some(v) = &s.vmac {
                delays.insert(v.name.clone(), d);
            }
        }
        // Polling: the linkbeat_interfaces, and the interfaces of instances
        // with linkbeat_use_polling (their own, or all with the global one).
        let mut asked: Vec<(String, LinkbeatType)> =
            global.linkbeat_interfaces.iter().map(|l| (l.name.value.clone(), l.kind)).collect();
        for s in specs.iter().filter(|s| s.linkbeat_use_polling || global.linkbeat_use_polling) {
            if let Some(i) = &s.interface {
                if !asked.iter().any(|(n, _)| n == i) {
                    asked.push((i.clone(), LinkbeatType::Auto));
                }
            }
        }
        let used: Vec<String> = specs.iter().flat_map(InstanceSpec::interfaces).collect();
        let vmacs: Vec<&str> = specs.iter().filter_map(|s| s.vmac.as_ref().map(|v| v.name.as_str())).collect();
        let mut polled = Vec::new();
        self.linkbeat.asked.clear();
        for (name, kind) in asked {
            if !used.contains(&name) {
                tracing::info!("Turning off linkbeat for {name} since not used for tracking");
                continue;
            }
            if vmacs.contains(&name.as_str()) {
                tracing::info!("Turning off linkbeat for {name} since netlink works for vmacs/ipvlans");
                continue;
            }
            self.linkbeat.asked.insert(name.clone(), kind);
            polled.push(name);
        }
        self.linkbeat.found.retain(|n, _| polled.contains(n));
        self.linkgate.configure(delays, polled);
        if self.linkbeat.asked.is_empty() {
            self.linkbeat.sock = None;
            self.linkbeat.next_poll = None;
            return;
        }
        if self.linkbeat.sock.is_none() {
            match std::net::UdpSocket::bind("0.0.0.0:0") {
                Ok(s) => self.linkbeat.sock = Some(s),
                Err(e) => {
                    tracing::info!("open linkbeat init socket failed - {e}");
                    return;
                }
            }
        }
        tracing::info!("Using MII-BMSR/ETHTOOL NIC polling thread(s)...");
        // The first reading sets the state without a report.
        let names: Vec<String> = self.linkgate.polled().cloned().collect();
        for n in names {
            let up = self.probe(&n);
            self.linkgate.on_probe(&n, up);
        }
        self.linkbeat.next_poll = Some(crate::clock::now() + POLL_INTERVAL);
    }

    /// Reads the link of polled interface `name` (a missing interface is down).
    fn probe(&mut self, name: &str) -> bool {
        let Some(sock) = &self.linkbeat.sock else { return false };
        let fd = sock.as_fd();
        if !self.links.contains_key(name) {
            return false;
        }
        let read = |p: Probe| match p {
            Probe::Mii => linkbeat::mii_link(fd, name),
            Probe::Ethtool => linkbeat::ethtool_link(fd, name),
            Probe::Ioctl => linkbeat::flags_up(fd, name),
        };
        let (probe, up) = match self.linkbeat.found.get(name) {
            Some(p) => (*p, read(*p).unwrap_or(false)),
            None => {
                let asked = self.linkbeat.asked.get(name).copied().unwrap_or(LinkbeatType::Auto);
                // The asked-for kind first, then MII, ETHTOOL, and the flags.
                let order: &[Probe] = match asked {
                    LinkbeatType::Ethtool => &[Probe::Ethtool, Probe::Mii, Probe::Ioctl],
                    LinkbeatType::Ioctl => &[Probe::Ioctl],
                    LinkbeatType::Mii | LinkbeatType::Auto => &[Probe::Mii, Probe::Ethtool, Probe::Ioctl],
                };
                let mut found = (Probe::Ioctl, false);
                for p in order {
                    if let Ok(up) = read(*p) {
                        found = (*p, up);
                        break;
                    }
                }
                let wanted = match asked {
                    LinkbeatType::Auto => None,
                    LinkbeatType::Mii => Some(Probe::Mii),
                    LinkbeatType::Ethtool => Some(Probe::Ethtool),
                    LinkbeatType::Ioctl => Some(Probe::Ioctl),
                };
                if let Some(w) = wanted.filter(|w| *w != found.0) {
                    tracing::info!(
                        "({name}): Configured linkbeat type {} not supported, using {}",
                        w.name(),
                        found.0.name()
                    );
                }
                self.linkbeat.found.insert(name.to_owned(), found.0);
                found
            }
        };
        // The flags too: some drivers only get IFF_RUNNING right.
        if up && probe != Probe::Ioctl { linkbeat::flags_up(fd, name).unwrap_or(false) } else { up }
    }

    /// Polls the linkbeat interfaces (every second) and acts on changes.
    pub(super) async fn poll_links(&mut self, now: Instant) {
        if self.linkbeat.next_poll.is_none_or(|t| t > now) {
            return;
        }
        self.linkbeat.next_poll = Some(now + POLL_INTERVAL);
        let names: Vec<String> = self.linkgate.polled().cloned().collect();
        for n in names {
            let up = self.probe(&n);
            if self.linkgate.on_probe(&n, up).is_some() {
                self.link_state_changed(&n, Some(!up), Some(up), "Linkbeat").await;
            }
        }
    }

    /// Acts on the delayed interface changes whose time has come.
    pub(super) async fn delayed_links(&mut self, now: Instant) {
        for n in self.linkgate.due(now) {
            let Some(running) = self.links.get(&n).map(|l| l.running) else { continue };
            self.link_state_changed(&n, Some(!running), Some(running), "Netlink").await;
        }
    }

    /// When the next linkbeat poll or delayed change is due.
    pub(super) fn next_link_wake(&self) -> Option<Instant> {
        [self.linkbeat.next_poll, self.linkgate.next_deadline()].into_iter().flatten().min()
    }
}
