//! VRRP (RFC 3768 VRRPv2, RFC 5798 VRRPv3).
//!
//! Pure: [`packet`] (wire codec), [`auth`] (PASS and IPsec-AH), [`fsm`] (the
//! per-instance state machine) and [`timer`]. The runtime owns the sockets.

pub mod auth;
pub mod fsm;
pub mod packet;
pub mod timer;
