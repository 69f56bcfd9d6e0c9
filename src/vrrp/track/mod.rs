//! Tracking (keepalived's `vrrp_script`, `track_interface`, `track_file`,
//! `vrrp_track_process`): what each tracked object's state does to the
//! instances that watch it. Pure: no clock, no I/O; the runtime runs the
//! scripts, reads the files, watches links and processes, and feeds the
//! results in with the time they happened.
//!
//! - [`script`]: one `vrrp_script`'s schedule (interval, "already running")
//!   and its rise/fall counter with upstream's log lines.
//! - [`process`]: matching `/proc` entries against a `vrrp_track_process`,
//!   quorum and the fork/terminate delays.
//! - this file: how a tracked object's status and its weight move an
//!   instance ([`effect`]): a weight of 0 puts the instance in FAULT while
//!   the object is down (with `reverse`: while it is up); any other weight is
//!   added to (or, negative, subtracted from) the priority, keepalived's
//!   `total_priority`, which the state machine clamps to 1..=254 and never
//!   applies to the address owner.

pub(crate) mod process;
pub(crate) mod script;

/// What a tracked object currently says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// A script that has not reported yet: no weight applies, and an
    /// instance tracking it with weight 0 waits (keepalived's
    /// `num_script_init`) instead of starting.
    Init,
    /// Script succeeding, interface up and running, process quorum held.
    Up,
    /// Script failing or timed out, interface down, quorum lost.
    Down,
    /// A tracked file's value.
    Value(i64),
}

/// How one tracker line weighs on an instance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Weight {
    pub weight: i32,
    pub reverse: bool,
}

/// What one tracked object does to one instance now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Effect {
    /// The instance must be in FAULT.
    pub fault: bool,
    /// The instance must wait for the object's first result.
    pub hold: bool,
    /// Added to the instance's priority.
    pub delta: i64,
}

/// A track_file's value below this (after its weight) means FAULT.
const FILE_FAULT_BELOW: i64 = -253;
/// The largest adjustment one track_file makes.
const FILE_MAX: i64 = 253;

/// keepalived's rules (`initialise_*_tracking_priorities`,
/// `process_script_update_priority`, `update_track_file_status`):
/// - weight 0: FAULT while down, or while up with `reverse`;
/// - weight > 0: `+weight` while up, nothing while down;
/// - weight < 0: nothing while up, `weight` (a reduction) while down;
/// - `reverse` turns the adjustment's sign;
/// - a file: its value times the weight (weight 0: any non-zero value is a
///   FAULT), FAULT below -253, at most +253.
pub(crate) fn effect(status: Status, w: Weight) -> Effect {
    let m: i64 = if w.reverse { -1 } else { 1 };
    let weight = i64::from(w.weight);
    match status {
        Status::Init => Effect { hold: w.weight == 0, ..Effect::default() },
        Status::Up | Status::Down => {
            let up = status == Status::Up;
            if w.weight == 0 {
                return Effect { fault: up == w.reverse, ..Effect::default() };
            }
            let applies = (up && w.weight > 0) || (!up && w.weight < 0);
            Effect { delta: if applies { weight * m } else { 0 }, ..Effect::default() }
        }
        Status::Value(v) => {
            let status = if w.weight == 0 {
                // Weight 0: a non-zero value is a failure (with reverse, zero is).
                if (v != 0) != w.reverse { FILE_FAULT_BELOW - 1 } else { 0 }
            } else {
                v.saturating_mul(weight).saturating_mul(m)
            };
            if status < FILE_FAULT_BELOW {
                Effect { fault: true, ..Effect::default() }
            } else {
                Effect { delta: status.min(FILE_MAX), ..Effect::default() }
            }
        }
    }
}

/// The sum of every tracker's effect on one instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Trackers forcing FAULT.
    pub faults: u32,
    /// Weight-0 scripts that have not reported yet.
    pub holds: u32,
    /// The priority adjustment.
    pub delta: i64,
}

impl Verdict {
    /// Adds one tracker's effect.
    pub(crate) fn add(&mut self, e: Effect) {
        self.faults += u32::from(e.fault);
        self.holds += u32::from(e.hold);
        self.delta = self.delta.saturating_add(e.delta);
    }

    /// Everything at once.
    pub(crate) fn of(items: impl IntoIterator<Item = (Status, Weight)>) -> Verdict {
        let mut v = Verdict::default();
        for (s, w) in items {
            v.add(effect(s, w));
        }
        v
    }

    /// The priority keepalived computes (`total_priority`) from a base;
    /// the state machine clamps it.
    pub(crate) fn total(&self, base: u8) -> i32 {
        i32::try_from(i64::from(base).saturating_add(self.delta).clamp(-1_000, 1_000)).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
