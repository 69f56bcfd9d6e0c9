//! One `vrrp_script`: when it runs, and what its results mean, as
//! keepalived 2.2.7 does (`vrrp_script_thread`, `vrrp_script_child_thread`).
//!
//! - It runs at start-up and then every `interval`; a run still going when
//!   the next is due is not doubled ("Track script chk is already running,
//!   expect idle - skipping run").
//! - A counter between 0 and `rise + fall - 1` is at or above `rise` while
//!   the script is OK: `rise` successes in a row bring a failing script up,
//!   `fall` failures in a row bring an OK one down.
//! - Before its first result the script is neither (see
//!   [`super::Status::Init`]); its first result decides at once, either way.
//!   `init_fail` starts it failed (it then needs `rise` successes).

use std::time::{Duration, Instant};

use super::Status;

/// How one run ended, as the tracker sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RunEnd {
    /// Exit status (0 is success).
    Exited(i32),
    /// Killed by a signal it was not sent by us.
    Signalled(i32),
    /// Ran past its timeout and was killed.
    TimedOut,
}

/// Where the script is before its first result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Start {
    /// No result yet.
    Init,
    /// `init_fail`: failed until proven otherwise.
    Failed,
    /// A result came.
    Done,
}

/// The settings of a `vrrp_script` that decide its state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ScriptParams {
    pub interval: Duration,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
}

/// One script's schedule and result counter.
#[derive(Clone, Debug)]
pub(crate) struct ScriptCheck {
    name: String,
    p: ScriptParams,
    start: Start,
    result: u32,
    last_status: i32,
    next_run: Instant,
    running: bool,
}

/// What [`ScriptCheck::due`] asks of the runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// Start a run now.
    Run,
    /// The last run has not finished: log this and wait for the next interval.
    Skip(String),
}

/// What a result did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    /// keepalived's log lines, in order.
    pub logs: Vec<String>,
    /// The status changed: the trackers must be evaluated again.
    pub changed: bool,
}

impl ScriptCheck {
    /// A script configured at `now`; its first run is due at once.
    pub(crate) fn new(name: &str, p: ScriptParams, now: Instant) -> ScriptCheck {
        let p = ScriptParams { rise: p.rise.max(1), fall: p.fall.max(1), ..p };
        let (start, result) = if p.init_fail { (Start::Failed, 0) } else { (Start::Init, p.rise - 1) };
        ScriptCheck { name: name.to_owned(), p, start, result, last_status: 0, next_run: now, running: false }
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Up, Down, or Init before its first result.
    pub(crate) fn status(&self) -> Status {
        match self.start {
            Start::Init => Status::Init,
            _ if self.result >= self.p.rise => Status::Up,
            _ => Status::Down,
        }
    }

    /// When the next run is due.
    pub(crate) fn deadline(&self) -> Instant {
        self.next_run
    }

    /// Called at or after [`ScriptCheck::deadline`]: the next run is
    /// scheduled an interval from `now`.
    pub(crate) fn due(&mut self, now: Instant) -> Option<Due> {
        if now < self.next_run {
            return None;
        }
        self.next_run = now + self.p.interval;
        if self.running {
            return Some(Due::Skip(format!(
                "Track script {} is already running, expect idle - skipping run",
                self.name
            )));
        }
        self.running = true;
        Some(Due::Run)
    }

    /// A run ended.
    pub(crate) fn finished(&mut self, end: RunEnd) -> Report {
        self.running = false;
        let before = self.status();
        // The first result is logged whatever it is.
        let first = self.start != Start::Done;
        let mut logs = Vec::new();
        if let RunEnd::Exited(s) = end {
            if s != self.last_status {
                logs.push(format!("Script `{}` now returning {s}", self.name));
                self.last_status = s;
            }
        }
        let top = self.p.rise + self.p.fall - 1;
        if end == RunEnd::Exited(0) {
            if self.result + 1 < self.p.rise {
                self.result += 1;
            } else {
                if self.result < self.p.rise || first {
                    logs.push(format!("VRRP_Script({}) succeeded", self.name));
                }
                self.result = top;
            }
        } else if self.result > self.p.rise {
            self.result -= 1;
        } else {
            if self.result >= self.p.rise || first {
                logs.push(match end {
                    RunEnd::Exited(s) => format!("VRRP_Script({}) failed (exited with status {s})", self.name),
                    RunEnd::Signalled(sig) => format!("VRRP_Script({}) failed (due to signal {sig})", self.name),
                    RunEnd::TimedOut => format!("VRRP_Script({}) timed_out", self.name),
                });
            }
            self.result = 0;
        }
        self.start = Start::Done;
        Report { logs, changed: self.status() != before }
    }

    /// Carries the state of the same script from before a reload: its
    /// counter, its first-result state and its schedule.
    pub(crate) fn carry_from(&mut self, old: &ScriptCheck) {
        self.start = old.start;
        self.result = old.result.min(self.p.rise + self.p.fall - 1);
        self.last_status = old.last_status;
        self.next_run = old.next_run;
        // A run of the old configuration that is still going is not
        // waited for (its result is ignored).
        self.running = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(rise: u32, fall: u32) -> ScriptParams {
        ScriptParams { interval: Duration::from_secs(1), rise, fall, init_fail: false }
    }

    #[test]
    fn first_result_decides_either_way_as_2_2_7() {
        let t0 = Instant::now();
        let mut s = ScriptCheck::new("bad", p(2, 2), t0);
        assert_eq!(s.status(), Status::Init);
        assert_eq!(s.due(t0), Some(Due::Run));
        let r = s.finished(RunEnd::Exited(1));
        assert_eq!(r.logs, ["Script `bad` now returning 1", "VRRP_Script(bad) failed (exited with status 1)"]);
        assert!(r.changed);
        assert_eq!(s.status(), Status::Down);

        let mut s = ScriptCheck::new("chk", p(2, 2), t0);
        let r = s.finished(RunEnd::Exited(0));
        assert_eq!(r.logs, ["VRRP_Script(chk) succeeded"]);
        assert_eq!(s.status(), Status::Up);
    }

    #[test]
    fn fall_failures_bring_it_down_rise_successes_up() {
        let t0 = Instant::now();
        let mut s = ScriptCheck::new("chk", p(2, 2), t0);
        s.finished(RunEnd::Exited(0));
        // keepalived 2.2.7: the status change is logged at once, the failure after `fall`.
        let r = s.finished(RunEnd::Exited(1));
        assert_eq!((r.logs.as_slice(), r.changed), (&["Script `chk` now returning 1".to_owned()][..], false));
        let r = s.finished(RunEnd::Exited(1));
        assert_eq!(
            (r.logs.as_slice(), r.changed),
            (&["VRRP_Script(chk) failed (exited with status 1)".to_owned()][..], true)
        );
        let r = s.finished(RunEnd::Exited(0));
        assert_eq!((r.logs.as_slice(), r.changed), (&["Script `chk` now returning 0".to_owned()][..], false));
        let r = s.finished(RunEnd::Exited(0));
        assert_eq!((r.logs.as_slice(), r.changed), (&["VRRP_Script(chk) succeeded".to_owned()][..], true));
        // A single failure between successes does not bring it down.
        s.finished(RunEnd::Exited(3));
        let r = s.finished(RunEnd::Exited(0));
        assert!(!r.changed);
        assert_eq!(s.status(), Status::Up);
    }

    #[test]
    fn init_fail_starts_down_and_needs_rise_successes() {
        let t0 = Instant::now();
        let mut s = ScriptCheck::new("g", ScriptParams { init_fail: true, ..p(2, 1) }, t0);
        assert_eq!(s.status(), Status::Down);
        assert!(!s.finished(RunEnd::Exited(0)).changed);
        let r = s.finished(RunEnd::Exited(0));
        assert_eq!((r.logs.as_slice(), r.changed), (&["VRRP_Script(g) succeeded".to_owned()][..], true));
        // Its first failure is logged, as any first result, but changes nothing.
        let mut s = ScriptCheck::new("g", ScriptParams { init_fail: true, ..p(1, 1) }, t0);
        let r = s.finished(RunEnd::Exited(1));
        assert_eq!(r.logs, ["Script `g` now returning 1", "VRRP_Script(g) failed (exited with status 1)"]);
        assert!(!r.changed);
        // A later failure while failed says nothing.
        let r = s.finished(RunEnd::Exited(1));
        assert!(r.logs.is_empty() && !r.changed);
    }

    #[test]
    fn timeouts_and_signals() {
        let t0 = Instant::now();
        let mut s = ScriptCheck::new("slow", p(1, 1), t0);
        let r = s.finished(RunEnd::TimedOut);
        assert_eq!(r.logs, ["VRRP_Script(slow) timed_out"]);
        let mut s = ScriptCheck::new("k", p(1, 1), t0);
        s.finished(RunEnd::Exited(0));
        let r = s.finished(RunEnd::Signalled(9));
        assert_eq!(r.logs, ["VRRP_Script(k) failed (due to signal 9)"]);
    }

    #[test]
    fn runs_every_interval_and_skips_while_running() {
        let t0 = Instant::now();
        let s1 = Duration::from_secs(1);
        let mut s = ScriptCheck::new("slow", p(1, 1), t0);
        assert_eq!(s.deadline(), t0);
        assert_eq!(s.due(t0), Some(Due::Run));
        assert_eq!(s.deadline(), t0 + s1);
        assert_eq!(s.due(t0 + Duration::from_millis(999)), None);
        assert_eq!(
            s.due(t0 + s1),
            Some(Due::Skip("Track script slow is already running, expect idle - skipping run".into()))
        );
        assert_eq!(s.deadline(), t0 + 2 * s1);
        s.finished(RunEnd::Exited(0));
        assert_eq!(s.due(t0 + 2 * s1 + Duration::from_millis(3)), Some(Due::Run));
        assert_eq!(s.deadline(), t0 + 3 * s1 + Duration::from_millis(3));
    }

    #[test]
    fn carried_state_survives_a_reload() {
        let t0 = Instant::now();
        let mut old = ScriptCheck::new("chk", p(2, 2), t0);
        old.due(t0);
        old.finished(RunEnd::Exited(1));
        let mut new = ScriptCheck::new("chk", p(2, 2), t0 + Duration::from_secs(5));
        new.carry_from(&old);
        assert_eq!(new.status(), Status::Down);
        assert_eq!(new.deadline(), t0 + Duration::from_secs(1));
    }
}
