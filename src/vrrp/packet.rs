//! VRRP packet.
