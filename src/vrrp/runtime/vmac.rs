//! Virtual MAC interfaces (`use_vmac`, `use_ipvlan`): created on top of the
//! instance's interface before its socket opens, with the interface settings
//! keepalived makes, removed when the instance goes. keepalived sets on an
//! IPv4 VMAC `arp_ignore=1`, `accept_local=1`, `rp_filter=0`,
//! `promote_secondaries=1` and stops IPv6 on it (`disable_ipv6=1`,
//! `addr_gen_mode=1`); on the base interface `arp_ignore=1` and
//! `arp_filter=1`, put back as they were once its last VMAC is gone. An IPv6
//! VMAC gets no generated link-local address (RFC 5798 section 7.4) but a
//! copy of the base interface's, deprecated, to send adverts from.

use std::net::IpAddr;

use super::Runtime;
use super::spec::{InstanceSpec, VmacSpec, is_link_local};
use crate::netlink::{AddrSpec, VlanKind};

/// Saved settings of a base interface, restored with its last VMAC.
#[derive(Clone, Debug, Default)]
pub(super) struct BaseSettings {
    /// How many of our VMACs sit on it.
    users: u32,
    /// The values to put back (`None`: we did not change them).
    restore: Option<(String, String)>,
}

fn sysctl_path(v6: bool, ifname: &str, key: &str) -> String {
    format!("/proc/sys/net/{}/conf/{ifname}/{key}", if v6 { "ipv6" } else { "ipv4" })
}

pub(super) fn get_sysctl(v6: bool, ifname: &str, key: &str) -> Option<String> {
    std::fs::read_to_string(sysctl_path(v6, ifname, key)).ok().map(|s| s.trim().to_owned())
}

pub(super) fn set_sysctl(v6: bool, ifname: &str, key: &str, value: &str) {
    if let Err(e) = std::fs::write(sysctl_path(v6, ifname, key), value) {
        tracing::info!("Unable to set {key} on {ifname} - {}", crate::config::error::io_reason(&e));
    }
}

impl Runtime {
    /// Creates (or takes over) the instance's VMAC and brings it up; `false`
    /// when it cannot exist (the instance then waits in FAULT).
    pub(super) async fn ensure_vmac(&mut self, spec: &InstanceSpec) -> bool {
        let ok = match (&spec.vmac, &spec.interface) {
            (Some(vmac), Some(base_name)) => self.ensure_one_vmac(spec, vmac, base_name).await,
            _ => true,
        };
        // Then the VIPs' own VMACs (use_vmac_addr), as keepalived orders
        // them: a failure leaves those addresses without an interface, not
        // the instance.
        for (vmac, base) in &spec.addr_vmacs {
            self.ensure_one_vmac(spec, vmac, base).await;
        }
        ok
    }

    async fn ensure_one_vmac(&mut self, spec: &InstanceSpec, vmac: &VmacSpec, base_name: &str) -> bool {
        let base = match self.links.get(base_name).cloned() {
            Some(b) => b,
            None => match self.nl.link_by_name(base_name).await {
                Ok(b) => b,
                Err(_) => return false,
            },
        };
        let v6 = spec.family == crate::vrrp::fsm::Family::V6;
        let existing = match self.nl.vlan_link(&vmac.name).await {
            Ok(d) => d,
            Err(e) => {
                tracing::info!("({}): Unable to create VMAC interface {} - {e}", spec.name, vmac.name);
                return false;
            }
        };
        let wanted_kind = match vmac.kind {
            VlanKind::Macvlan { .. } => "macvlan",
            VlanKind::Ipvlan { .. } => "ipvlan",
        };
        let mut create = true;
        if let Some(d) = existing {
            let mac_ok = match vmac.kind {
                VlanKind::Macvlan { mac } => d.mac == mac,
                VlanKind::Ipvlan { .. } => true,
            };
            if d.kind == wanted_kind && mac_ok && d.base == Some(base.index) {
                // Left by a previous run (or kept over a reload): reuse it.
                create = false;
                self.vmacs.insert(vmac.name.clone(), d.index);
            } else if d.kind == wanted_kind {
                tracing::info!(
                    "vmac: Removing old VMAC interface {} due to conflicting interface or MAC for vrrp_instance {}!!!",
                    vmac.name,
                    spec.name
                );
                if let Err(e) = self.nl.del_link(d.index).await {
                    tracing::info!(
                        "vmac: Error removing VMAC interface {} for vrrp_instance {}!!! - {e}",
                        vmac.name,
                        spec.name
                    );
                    return false;
                }
            } else {
                tracing::error!(
                    "({}) interface {} exists and is not a {wanted_kind} - cannot use it as VMAC",
                    spec.name,
                    vmac.name
                );
                return false;
            }
        }
        if create {
            if let Err(e) = self.nl.add_vlan_link(&vmac.name, base.index, vmac.kind).await {
                tracing::info!("({}): Unable to create VMAC interface {} - {e}", spec.name, vmac.name);
                return false;
            }
            tracing::info!("({}): Success creating VMAC interface {}", spec.name, vmac.name);
        }
        let Ok(link) = self.nl.link_by_name(&vmac.name).await else { return false };
        self.vmacs.insert(vmac.name.clone(), link.index);
        if create {
            self.configure_vmac(spec, vmac, &base.name, v6);
        }
        if v6 {
            // Adverts leave from a link-local address that is not a VIP:
            // the base interface's (or `mcast_src_ip`), deprecated so the
            // kernel picks it for nothing else.
            let src = match spec.src_ip {
                Some(a @ IpAddr::V6(_)) => Some(a),
                _ => self.link_local_of(base.index).await,
            };
            if let Some(addr) = src {
                let a = AddrSpec {
                    ifindex: link.index,
                    addr,
                    prefix_len: 64,
                    broadcast: None,
                    peer: None,
                    scope: 253,
                    label: None,
                    nodad: true,
                    noprefixroute: false,
                    home: false,
                    preferred_lft: Some(0),
                };
                if let Err(e) = self.nl.add_address(&a).await {
                    tracing::info!("Adding link-local address to vmac failed - {e}");
                }
            }
        }
        if let Some((addr, len)) = vmac.ipvlan_addr {
            let a = AddrSpec {
                ifindex: link.index,
                addr,
                prefix_len: len,
                broadcast: None,
                peer: None,
                scope: 0,
                label: None,
                nodad: addr.is_ipv6(),
                noprefixroute: false,
                home: false,
                preferred_lft: None,
            };
            if let Err(e) = self.nl.add_address(&a).await {
                tracing::info!("({}) cannot add {addr}/{len} to {} - {e}", spec.name, vmac.name);
            }
        }
        if let Err(e) = self.nl.set_link_up(link.index).await {
            tracing::info!("({}) cannot bring {} up - {e}", spec.name, vmac.name);
        }
        if let Ok(l) = self.nl.link_by_name(&vmac.name).await {
            self.links.insert(vmac.name.clone(), l);
        }
        self.filter_add_vmac(&vmac.name, link.index, base.index, v6).await;
        true
    }

    /// The interface settings keepalived makes on a new VMAC and its base.
    fn configure_vmac(&mut self, spec: &InstanceSpec, vmac: &VmacSpec, base: &str, v6: bool) {
        let _ = spec;
        let name = vmac.name.as_str();
        // No address generated from the MAC: before the interface comes up.
        set_sysctl(true, name, "addr_gen_mode", "1");
        if v6 {
            return;
        }
        set_sysctl(false, name, "arp_ignore", "1");
        set_sysctl(false, name, "accept_local", "1");
        set_sysctl(false, name, "rp_filter", "0");
        set_sysctl(false, name, "promote_secondaries", "1");
        set_sysctl(true, name, "disable_ipv6", "1");
        let entry = self.base_settings.entry(base.to_owned()).or_default();
        entry.users += 1;
        if entry.users == 1 {
            let ignore = get_sysctl(false, base, "arp_ignore");
            let filter = get_sysctl(false, base, "arp_filter");
            if let (Some(i), Some(f)) = (ignore, filter) {
                if i != "1" || f != "1" {
                    set_sysctl(false, base, "arp_ignore", "1");
                    set_sysctl(false, base, "arp_filter", "1");
                    entry.restore = Some((i, f));
                }
            }
        }
    }

    async fn link_local_of(&self, ifindex: u32) -> Option<IpAddr> {
        let addrs = self.nl.addresses(ifindex).await.ok()?;
        addrs.into_iter().map(|(a, _)| a).find(|a| matches!(a, IpAddr::V6(v6) if is_link_local(v6)))
    }

    /// Removes the instance's VMACs and puts their base interfaces' settings back.
    pub(super) async fn remove_vmac(&mut self, spec: &InstanceSpec) {
        if let (Some(vmac), Some(base)) = (&spec.vmac, &spec.interface) {
            self.remove_one_vmac(spec, vmac, base).await;
        }
        for (vmac, base) in &spec.addr_vmacs {
            self.remove_one_vmac(spec, vmac, base).await;
        }
    }

    async fn remove_one_vmac(&mut self, spec: &InstanceSpec, vmac: &VmacSpec, base: &str) {
        let Some(index) = self.vmacs.remove(&vmac.name) else { return };
        self.filter_remove_vmac(index, spec.family == crate::vrrp::fsm::Family::V6).await;
        if spec.family == crate::vrrp::fsm::Family::V4 {
            {
                if let Some(entry) = self.base_settings.get_mut(base) {
                    entry.users = entry.users.saturating_sub(1);
                    if entry.users == 0 {
                        if let Some((i, f)) = entry.restore.take() {
                            set_sysctl(false, base, "arp_ignore", &i);
                            set_sysctl(false, base, "arp_filter", &f);
                        }
                        self.base_settings.remove(base);
                    }
                }
            }
        }
        match self.nl.del_link(index).await {
            Ok(()) => tracing::info!("({}) Success removing VMAC interface {}", spec.name, vmac.name),
            Err(e) => tracing::info!(
                "vmac: Error removing VMAC interface {} for vrrp_instance {}!!! - {e}",
                vmac.name,
                spec.name
            ),
        }
        self.links.remove(&vmac.name);
        self.garp.remove(&vmac.name);
    }
}
