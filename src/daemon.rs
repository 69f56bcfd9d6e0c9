//! The daemon's table of subsystems: the runtime each child process runs.
//! The binary hands it to the supervisor (`watchdog::main`), which knows no
//! subsystem itself; a new subsystem plugs in here.

use crate::child::{ChildKind, Subsystems, basic};

/// keepalived's children and their runtimes. The checker child runs the
/// IPVS runtime (the health checkers plug their verdicts into it); BFD runs
/// the placeholder loop ([`basic::run`]) until its runtime exists.
pub const SUBSYSTEMS: &Subsystems = &[
    (ChildKind::Vrrp, crate::vrrp::runtime::run),
    (ChildKind::Checker, crate::ipvs::runtime::run),
    (ChildKind::Bfd, basic::run),
];
