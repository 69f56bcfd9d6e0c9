//! VRRP fsm.
