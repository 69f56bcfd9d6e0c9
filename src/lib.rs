//! keepalived-rs: a memory-safe, drop-in replacement for keepalived.
//!
//! The library holds everything; the `keepalived` and `genhash` binaries are
//! thin wrappers. Pure cores (config, VRRP codec and state machine, checker
//! state, IPVS diff) take `now` as an argument and return actions; the
//! runtimes in `vrrp::runtime`, `check` and `watchdog` do the I/O.

pub mod check;
pub mod cli;
pub mod config;
pub mod ipvs;
pub mod log;
pub mod netlink;
mod sys;
pub mod vrrp;
pub mod watchdog;
