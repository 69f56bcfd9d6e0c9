//! MISC_CHECK's verdict: how a script's exit status maps to up/down and to
//! the real server's weight, exactly as keepalived 2.2.7 does it. The script
//! itself runs through the shared script runner (uid/gid, timeout, process
//! group); this module only judges how it ended.
//!
//! - exit 0: up, with the configured weight (it also restores the weight
//!   after a dynamic change or an inhibit);
//! - `misc_dynamic` and exit 2..=255: up, weight = status - 2 (0..=253;
//!   weight 0 keeps the server in the table);
//! - any other exit (1, or 2..=255 without `misc_dynamic`), a signal or a
//!   timeout: down.

use super::state::WeightChange;

/// How a MISC_CHECK script ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MiscExit {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it (not one we sent for a timeout).
    Signaled(i32),
    /// It ran past `misc_timeout` (or `delay_loop`) and was terminated.
    TimedOut,
}

impl MiscExit {
    /// The exit status, when it exited.
    pub fn status(self) -> Option<i32> {
        match self {
            MiscExit::Exited(s) => Some(s),
            _ => None,
        }
    }
}

/// The verdict on one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MiscVerdict {
    /// The service is up; the weight to use.
    Up(WeightChange),
    /// The service is down.
    Down,
}

/// Judges one run of a MISC_CHECK script.
pub fn verdict(exit: MiscExit, dynamic: bool) -> MiscVerdict {
    match exit {
        MiscExit::Exited(0) => MiscVerdict::Up(WeightChange::Configured),
        MiscExit::Exited(s @ 2..=255) if dynamic => MiscVerdict::Up(WeightChange::Set(s.unsigned_abs() - 2)),
        _ => MiscVerdict::Down,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_as_upstream() {
        use MiscVerdict::*;
        use WeightChange::*;
        for dynamic in [false, true] {
            assert_eq!(verdict(MiscExit::Exited(0), dynamic), Up(Configured));
            assert_eq!(verdict(MiscExit::Exited(1), dynamic), Down);
            assert_eq!(verdict(MiscExit::TimedOut, dynamic), Down);
            assert_eq!(verdict(MiscExit::Signaled(9), dynamic), Down);
            assert_eq!(verdict(MiscExit::Exited(-1), dynamic), Down);
            assert_eq!(verdict(MiscExit::Exited(256), dynamic), Down);
        }
        assert_eq!(verdict(MiscExit::Exited(2), false), Down);
        assert_eq!(verdict(MiscExit::Exited(2), true), Up(Set(0)));
        assert_eq!(verdict(MiscExit::Exited(3), true), Up(Set(1)));
        assert_eq!(verdict(MiscExit::Exited(255), true), Up(Set(253)));
        assert_eq!(verdict(MiscExit::Exited(255), false), Down);
    }
}
