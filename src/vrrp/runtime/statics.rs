//! `static_ipaddress`: addresses the VRRP child puts on their interfaces at
//! start-up and keeps regardless of VRRP state, as keepalived does: left-over
//! copies are removed first, a reload removes the ones no longer configured
//! and adds the new ones, a stop removes them all. One deleted by someone
//! else is put back ("Restoring deleted static address ...", as keepalived
//! 2.2.7 does). `track_group`: the members of the group track the interfaces
//! of the group's static addresses, routes and rules (FAULT while one is
//! down, when they cannot be restored).

use super::Runtime;
use super::spec::VipSpec;
use crate::config::model::global::GlobalConfig;

/// The static addresses and whether each is on its interface.
#[derive(Debug, Default)]
pub(super) struct Statics {
    pub addrs: Vec<(VipSpec, bool)>,
    /// The `track_group` of each address (same order).
    pub groups: Vec<Option<String>>,
    /// Whether the first configuration was applied (left-overs cleared).
    started: bool,
}

impl Runtime {
    /// Brings the static addresses in line with `global`.
    pub(super) async fn apply_statics(&mut self, global: &GlobalConfig) {
        let dev = self.globals.default_interface.clone();
        let wanted: Vec<VipSpec> = global.static_ipaddress.iter().map(|a| VipSpec::from_model(a, &dev)).collect();
        self.statics.groups =
            global.static_ipaddress.iter().map(|a| a.track_group.as_ref().map(|g| g.value.clone())).collect();
        let old = std::mem::take(&mut self.statics.addrs);
        let first = !self.statics.started;
        self.statics.started = true;
        for (v, set) in &old {
            if *set && !wanted.contains(v) {
                self.static_address(v, false).await;
            }
        }
        let mut now = Vec::with_capacity(wanted.len());
        for v in wanted {
            let was = old.iter().any(|(o, set)| *o == v && *set);
            if first {
                // A copy left by a previous run that was killed.
                self.static_address(&v, false).await;
            }
            let set = was || self.static_address(&v, true).await;
            now.push((v, set));
        }
        self.statics.addrs = now;
    }

    /// Puts back the static addresses of interface `ifname` (index
    /// `ifindex`) that are no longer there.
    pub(super) async fn restore_statics(&mut self, ifname: &str, ifindex: u32) {
        if !self.statics.addrs.iter().any(|(v, set)| *set && v.dev == ifname) {
            return;
        }
        let Ok(present) = self.nl.addresses(ifindex).await else { return };
        let gone: Vec<(usize, VipSpec)> = self
            .statics
            .addrs
            .iter()
            .enumerate()
            .filter(|(_, (v, set))| *set && v.dev == ifname && !present.iter().any(|(a, _)| *a == v.net.addr))
            .map(|(i, (v, _))| (i, v.clone()))
            .collect();
        for (i, v) in gone {
            let group = self.statics.groups.get(i).cloned().flatten();
            let tg = group.map(|g| format!(" track_group {g}")).unwrap_or_default();
            tracing::info!("Restoring deleted static address {}{tg} set", v.describe());
            // A failure is tried again at the interface's next change.
            self.static_address(&v, true).await;
        }
    }

    /// Removes every static address (at stop).
    pub(super) async fn remove_statics(&mut self) {
        for (v, set) in std::mem::take(&mut self.statics.addrs) {
            if set {
                self.static_address(&v, false).await;
            }
        }
    }

    /// Adds or removes one address; whether it is there afterwards (adding)
    /// or the request went through (removing).
    async fn static_address(&mut self, v: &VipSpec, add: bool) -> bool {
        let ifindex = match self.nl.link_by_name(&v.dev).await {
            Ok(l) => l.index,
            Err(_) => {
                if add {
                    tracing::error!("Unable to add static address {}: interface {} not found", v.describe(), v.dev);
                }
                return false;
            }
        };
        let spec = v.addr_spec(ifindex);
        let r = if add {
            self.nl.add_address(&spec).await.map(|_| ())
        } else {
            self.nl.del_address(&spec).await.map(|_| ())
        };
        match r {
            Ok(()) => true,
            Err(e) => {
                if add {
                    tracing::error!("Unable to add static address {} - {e}", v.describe());
                }
                false
            }
        }
    }
}
