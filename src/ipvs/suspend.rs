//! `ha_suspend`: the checkers of a virtual server run only while one of its
//! addresses is on the box (on a BACKUP director the VIP is not, and its
//! checks would only load the real servers). keepalived counts the
//! virtual server's addresses on the interfaces as the kernel reports them
//! added and removed, and suspends the checkers when the count falls to 0
//! (the same link-local address on two interfaces counts twice).
//!
//! Pure: the runtime feeds the addresses it dumped at start and each
//! address event; this says which virtual servers' checkers to switch.

use std::collections::HashSet;
use std::net::IpAddr;

use super::model::VsId;

/// The virtual servers with `ha_suspend` and the addresses on the box.
#[derive(Debug, Default)]
pub(crate) struct HaSuspend {
    /// (interface index, address) of every address on the box.
    local: HashSet<(u32, IpAddr)>,
    vs: Vec<SuspendVs>,
}

#[derive(Debug)]
struct SuspendVs {
    id: VsId,
    /// The virtual server's addresses (a group's, ranges expanded); none
    /// for a firewall mark, which never matches.
    addrs: HashSet<IpAddr>,
    /// How many of `local` are its addresses.
    count: usize,
}

impl HaSuspend {
    /// Sets the virtual servers that use `ha_suspend` (at start and after a
    /// reload), counted against the addresses known now.
    pub(crate) fn configure(&mut self, vss: Vec<(VsId, HashSet<IpAddr>)>) {
        self.vs = vss
            .into_iter()
            .map(|(id, addrs)| {
                let count = self.local.iter().filter(|(_, a)| addrs.contains(a)).count();
                SuspendVs { id, addrs, count }
            })
            .collect();
    }

    /// Whether the checkers of `id` probe: always without `ha_suspend`,
    /// else while one of its addresses is on the box.
    pub(crate) fn enabled(&self, id: &VsId) -> bool {
        self.vs.iter().find(|v| &v.id == id).is_none_or(|v| v.count > 0)
    }

    /// The addresses on the box, from the runtime's dump (replaces what
    /// was known; the counts follow).
    pub(crate) fn set_local(&mut self, local: impl IntoIterator<Item = (u32, IpAddr)>) {
        self.local = local.into_iter().collect();
        for v in &mut self.vs {
            v.count = self.local.iter().filter(|(_, a)| v.addrs.contains(a)).count();
        }
    }

    /// An address was added to or removed from interface `ifindex`: the
    /// virtual servers whose checkers switch, and to what (keepalived:
    /// activated at the first address, suspended when the last goes). A
    /// repeated report of the same change changes nothing.
    pub(crate) fn address(&mut self, ifindex: u32, addr: IpAddr, added: bool) -> Vec<(VsId, bool)> {
        let changed = if added { self.local.insert((ifindex, addr)) } else { self.local.remove(&(ifindex, addr)) };
        if !changed {
            return Vec::new();
        }
        let mut out = Vec::new();
        for v in self.vs.iter_mut().filter(|v| v.addrs.contains(&addr)) {
            if added {
                v.count += 1;
                out.push((v.id.clone(), true));
            } else {
                v.count = v.count.saturating_sub(1);
                if v.count == 0 {
                    out.push((v.id.clone(), false));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn id(a: &str) -> VsId {
        VsId::Addr { proto: 6, addr: format!("{a}:80").parse().unwrap() }
    }

    fn set(a: &[&str]) -> HashSet<IpAddr> {
        a.iter().map(|s| vip(s)).collect()
    }

    #[test]
    fn suspended_until_an_address_is_on_the_box() {
        let mut s = HaSuspend::default();
        s.configure(vec![(id("10.0.0.100"), set(&["10.0.0.100"]))]);
        assert!(!s.enabled(&id("10.0.0.100")));
        // Other virtual servers always run.
        assert!(s.enabled(&id("10.0.0.1")));
        assert_eq!(s.address(2, vip("10.0.0.5"), true), vec![]);
        assert_eq!(s.address(2, vip("10.0.0.100"), true), vec![(id("10.0.0.100"), true)]);
        assert!(s.enabled(&id("10.0.0.100")));
        // The same report again changes nothing.
        assert_eq!(s.address(2, vip("10.0.0.100"), true), vec![]);
        assert_eq!(s.address(2, vip("10.0.0.100"), false), vec![(id("10.0.0.100"), false)]);
        assert!(!s.enabled(&id("10.0.0.100")));
        assert_eq!(s.address(2, vip("10.0.0.100"), false), vec![]);
    }

    #[test]
    fn the_address_on_two_interfaces_counts_twice() {
        let mut s = HaSuspend::default();
        s.set_local([(2, vip("fe80::1")), (3, vip("fe80::1"))]);
        s.configure(vec![(id("[fe80::1]"), set(&["fe80::1"]))]);
        assert!(s.enabled(&id("[fe80::1]")));
        assert_eq!(s.address(2, vip("fe80::1"), false), vec![]);
        assert!(s.enabled(&id("[fe80::1]")));
        assert_eq!(s.address(3, vip("fe80::1"), false), vec![(id("[fe80::1]"), false)]);
    }

    #[test]
    fn a_group_matches_any_of_its_addresses_and_a_reload_recounts() {
        let mut s = HaSuspend::default();
        let g = VsId::Group { name: "web".into(), ordinal: 0 };
        s.configure(vec![(g.clone(), set(&["192.0.2.10", "192.0.2.11", "192.0.2.12"]))]);
        assert_eq!(s.address(4, vip("192.0.2.11"), true), vec![(g.clone(), true)]);
        assert_eq!(s.address(4, vip("192.0.2.12"), true), vec![(g.clone(), true)]);
        assert_eq!(s.address(4, vip("192.0.2.11"), false), vec![]);
        assert!(s.enabled(&g));
        // A reload without the address that is left suspends it.
        s.configure(vec![(g.clone(), set(&["192.0.2.10"]))]);
        assert!(!s.enabled(&g));
        s.configure(Vec::new());
        assert!(s.enabled(&g));
    }
}
