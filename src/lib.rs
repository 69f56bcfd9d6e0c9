//! keepalived-rs: a memory-safe, drop-in replacement for keepalived.
//!
//! The library holds everything; the `keepalived` and `genhash` binaries are
//! thin wrappers. Pure cores (config, VRRP codec and state machine, checker
//! state, IPVS diff) take `now` as an argument and return actions; the
//! runtimes in `vrrp::runtime`, `check` and `watchdog` do the I/O.
//!
//! Arrows point down only: the binary hands the supervisor (`watchdog`) the
//! table of subsystems ([`daemon::SUBSYSTEMS`]); the supervisor and the
//! subsystems (`vrrp`, `check`) meet in the leaf [`child`], and neither
//! imports the other (tests/architecture.rs checks it). All `unsafe` is in
//! the private `sys` module.

pub mod check;
pub mod child;
pub mod cli;
pub(crate) mod clock;
pub mod config;
pub mod daemon;
pub(crate) mod dump;
pub mod ipvs;
pub mod log;
pub(crate) mod netfilter;
pub mod netlink;
pub(crate) mod notify;
pub mod script;
pub(crate) mod signals;
mod sys;
pub mod vrrp;
pub mod watchdog;
