//! Kernel settings the VRRP child changes for the instances and puts back
//! when it stops, as keepalived does:
//!
//! - `promote_secondaries` (instance): `net.ipv4.conf.IF.promote_secondaries=1`
//!   on the instance's interface, so that removing a VIP does not take the
//!   other addresses of its subnet with it (VMACs get it anyway, see `vmac`);
//!   restored once no instance on the interface asks for it;
//! - `disable_local_igmp` (global): `net.ipv4.igmp_link_local_mcast_reports=0`
//!   for as long as the child runs (keepalived refuses to change it at a
//!   reload).

use std::collections::HashMap;

use super::vmac::{get_sysctl, set_sysctl};

const IGMP_REPORTS: &str = "/proc/sys/net/ipv4/igmp_link_local_mcast_reports";

/// What was changed, with the values to put back.
#[derive(Debug, Default)]
pub(super) struct Sysctls {
    /// Interface -> its promote_secondaries before we set it.
    promote: HashMap<String, String>,
    /// igmp_link_local_mcast_reports before we cleared it.
    igmp: Option<String>,
}

impl Sysctls {
    /// Sets promote_secondaries on exactly the interfaces in `wanted` (those
    /// of running instances that ask for it), putting the others back.
    pub(super) fn promote_secondaries(&mut self, wanted: &[String]) {
        for ifname in wanted {
            if self.promote.contains_key(ifname) {
                continue;
            }
            let Some(old) = get_sysctl(false, ifname, "promote_secondaries") else { continue };
            if old != "1" {
                set_sysctl(false, ifname, "promote_secondaries", "1");
            }
            self.promote.insert(ifname.clone(), old);
        }
        let gone: Vec<String> = self.promote.keys().filter(|k| !wanted.contains(k)).cloned().collect();
        for ifname in gone {
            if let Some(old) = self.promote.remove(&ifname)
                && old != "1"
            {
                set_sysctl(false, &ifname, "promote_secondaries", &old);
            }
        }
    }

    /// `disable_local_igmp`: stop the kernel's IGMP reports for 224.0.0.0/24.
    pub(super) fn disable_local_igmp(&mut self, on: bool) {
        if !on || self.igmp.is_some() {
            return;
        }
        let Ok(old) = std::fs::read_to_string(IGMP_REPORTS) else {
            tracing::info!("Unable to disable local IGMP reports - the kernel has no igmp_link_local_mcast_reports");
            return;
        };
        if let Err(e) = std::fs::write(IGMP_REPORTS, "0") {
            tracing::info!("Unable to set igmp_link_local_mcast_reports - {}", crate::config::error::io_reason(&e));
            return;
        }
        self.igmp = Some(old.trim().to_owned());
    }

    /// Puts everything back (the child stops).
    pub(super) fn restore(&mut self) {
        self.promote_secondaries(&[]);
        if let Some(old) = self.igmp.take() {
            let _ = std::fs::write(IGMP_REPORTS, old);
        }
    }
}
