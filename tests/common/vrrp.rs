//! VRRP configurations for the lab's topologies.

use super::net::Pair;

/// The VIP of [`instance_on_pair`].
pub const VIP: &str = "192.0.2.100";

/// One VRRP instance `VI_1` (VRID 51, advert_int 1) on the [`Pair`]'s kr0,
/// with `vrrp_garp_master_delay 1`; `vips` are /24 addresses, `extra` goes
/// inside the instance block.
pub fn instance_on_pair(state: &str, prio: u8, vips: &[&str], extra: &str) -> String {
    let mut s = String::from("global_defs {\n    vrrp_garp_master_delay 1\n}\n");
    s.push_str(&format!(
        "vrrp_instance VI_1 {{\n    state {state}\n    interface {}\n    virtual_router_id 51\n    \
         priority {prio}\n    advert_int 1\n    virtual_ipaddress {{\n",
        Pair::IF
    ));
    for v in vips {
        s.push_str(&format!("        {v}/24\n"));
    }
    s.push_str("    }\n");
    s.push_str(extra);
    s.push_str("}\n");
    s
}
