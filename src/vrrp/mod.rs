//! VRRP (RFC 3768 VRRPv2, RFC 5798 VRRPv3).
//!
//! Pure: [`packet`] (wire codec), [`auth`] (PASS and IPsec-AH), [`fsm`] (the
//! per-instance state machine), [`timer`] and [`garp`] (frame builders).
//! I/O: [`socket`], and [`runtime`], the VRRP child's event loop.

pub mod auth;
pub mod fsm;
pub mod garp;
pub(crate) mod linkgate;
pub mod packet;
pub(crate) mod runtime;
pub mod socket;
pub(crate) mod sync_group;
pub mod timer;
pub(crate) mod track;
