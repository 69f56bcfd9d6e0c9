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

impl MiscExit {
    /// How the shared script runner's outcome counts for MISC_CHECK; `None`
    /// when the run says nothing about the service: cancelled by a reload or
    /// shutdown, or its status taken by someone else (upstream logs "Misc
    /// script ... lost" and waits for the next run). A script that could not
    /// be started counts as exit 0, as upstream's child exits 0 after
    /// logging "Error exec-ing command".
    pub fn from_script(o: &crate::script::Outcome) -> Option<MiscExit> {
        use crate::script::Outcome as O;
        match o {
            O::Exited(s) => Some(MiscExit::Exited(*s)),
            O::Signalled(sig) => Some(MiscExit::Signaled(*sig)),
            O::TimedOut => Some(MiscExit::TimedOut),
            O::SpawnFailed(_) => Some(MiscExit::Exited(0)),
            O::Cancelled | O::Lost => None,
        }
    }
}

/// Runs a prepared MISC_CHECK script once through the shared runner with
/// its time limit (`misc_timeout`, else `delay_loop`) and returns what the
/// state machine takes ([`super::state::Outcome::Misc`]), or `None` (see
/// [`MiscExit::from_script`]).
pub async fn run<T: Send + 'static>(
    runner: &crate::script::ScriptRunner<T>,
    program: std::sync::Arc<crate::script::Program>,
    timeout: std::time::Duration,
) -> Option<super::state::Outcome> {
    let done = runner.run(crate::script::Request::misc_check(program, timeout)).await;
    MiscExit::from_script(&done.outcome).map(super::state::Outcome::Misc)
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
