//! The daemon's table of subsystems: the runtime each child process runs.
//! The binary hands it to the supervisor (`watchdog::main`), which knows no
//! subsystem itself; a new subsystem plugs in here.

use crate::child::{ChildKind, Subsystems, basic};

/// keepalived's children and their runtimes. The health checkers and BFD
/// run the placeholder loop ([`basic::run`]) until their runtimes exist.
pub const SUBSYSTEMS: &Subsystems =
    &[(ChildKind::Vrrp, crate::vrrp::runtime::run), (ChildKind::Checker, basic::run), (ChildKind::Bfd, basic::run)];
