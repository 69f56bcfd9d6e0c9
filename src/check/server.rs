//! One real server's health, pure: its checkers ([`Checker`]) and FILE_CHECK
//! tracked files combined into the verdict the IPVS side applies (alive or
//! not, and the weight), plus the notify_up / notify_down triggers.
//!
//! keepalived's rules (update_svr_checker_state, update_svr_wgt and the
//! track-file handlers of 2.2.7):
//! - a real server is alive when none of its checkers is down;
//! - the first run of a checker that does not change its state still fires
//!   the notify script of the server's current state when the checker is in
//!   alpha mode or failed;
//! - MISC_CHECK `misc_dynamic` sets the weight; FILE_CHECK adds the file's
//!   value times its weight to it (`5 + 3 = 8`, `5 - 5 = 0`: still alive,
//!   weight 0), at once; an unweighted tracked file (weight 0) is a plain
//!   up/down input (non-zero is down, reversed with `reverse`);
//! - the weight handed to IPVS is the effective weight clamped to
//!   0..=2147483647.
//!
//! What the IPVS side does with a verdict (remove, or weight 0 with
//! inhibit_on_failure; quorum, sorry server, "Removing service ..." lines)
//! is not decided here.

use std::sync::Arc;
use std::time::Instant;

use super::state::{Action, Checker, Input, WeightChange};

/// keepalived's IPVS_WEIGHT_MAX: the largest weight a real server takes.
pub const WEIGHT_MAX: i64 = i32::MAX as i64;

/// keepalived's IPVS_WEIGHT_FAULT: a tracked file at or below this is down.
const WEIGHT_FAULT: i64 = i32::MIN as i64;

/// A FILE_CHECK of the real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedFile {
    /// Multiplier of the file's value (0: the file is an up/down switch).
    pub weight: i32,
    /// `reverse`: the value counts negatively (or, unweighted, zero is down).
    pub reverse: bool,
    /// The value read at start (a missing or empty file reads 0).
    pub value: i64,
}

/// What the IPVS side and the notifier must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Run this checker's probe now (HTTP: the URL with this index).
    Probe {
        /// Index of the checker in the real server's list.
        checker: usize,
        /// The URL to check, for HTTP_GET / SSL_GET.
        url: Option<usize>,
    },
    /// The real server's verdict changed (or is reported at start).
    Verdict {
        /// In the pool (else removed, or weight 0 with inhibit_on_failure).
        alive: bool,
        /// The weight to use while alive (0..=2147483647).
        weight: u32,
    },
    /// Run notify_up / notify_down and write the `RS ... UP|DOWN` fifo line.
    Notify {
        /// Which one.
        up: bool,
    },
    /// Log this line (upstream's text).
    Log(String),
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    is_up: bool,
    has_run: bool,
    alpha: bool,
}

#[derive(Debug, Clone, Copy)]
struct FileSlot {
    weight: i64,
    mult: i64,
    // The value last read, and the weight it currently adds.
    last: i64,
    cur_weight: i64,
}

impl FileSlot {
    /// keepalived's status of a value: the weight it adds, or WEIGHT_FAULT.
    fn status(&self, value: i64) -> i64 {
        if self.weight == 0 {
            if (value != 0) == (self.mult == 1) { WEIGHT_FAULT } else { 0 }
        } else {
            value.saturating_mul(self.weight).saturating_mul(self.mult).clamp(WEIGHT_FAULT, i64::from(i32::MAX))
        }
    }
}

/// One real server's checkers and the verdict derived from them.
#[derive(Debug, Clone)]
pub struct Server {
    rs_name: Arc<str>,
    vs_name: Arc<str>,
    // Boxed slices: one per real server, for as long as the configuration
    // runs (no capacity word, no spare room).
    checkers: Box<[Checker]>,
    slots: Box<[Slot]>,
    files: Box<[FileSlot]>,
    iweight: i64,
    effective: i64,
    alive: bool,
    num_failed: u32,
    init_notifies: bool,
}

impl Server {
    /// A real server named `rs_name` in `vs_name` (FMT_RS / FMT_VS), with
    /// its configured weight, its checkers and tracked files.
    /// `init_notifies` is global_defs' `rs_init_notifies`.
    pub fn new(
        rs_name: impl Into<Arc<str>>,
        vs_name: impl Into<Arc<str>>,
        weight: u32,
        checkers: Vec<Checker>,
        files: Vec<TrackedFile>,
        init_notifies: bool,
    ) -> Server {
        let checkers = checkers.into_boxed_slice();
        let slots: Box<[Slot]> = checkers
            .iter()
            .map(|c| Slot { is_up: c.is_up(), has_run: false, alpha: c.params().timing.alpha })
            .collect();
        let iweight = i64::from(weight);
        let mut effective = iweight;
        let mut num_failed = slots.iter().filter(|s| !s.is_up).count() as u32;
        let files = files
            .iter()
            .map(|f| {
                let mut slot = FileSlot {
                    weight: i64::from(f.weight),
                    mult: if f.reverse { -1 } else { 1 },
                    last: f.value,
                    cur_weight: 0,
                };
                match slot.status(f.value) {
                    WEIGHT_FAULT => num_failed += 1,
                    w => {
                        slot.cur_weight = w;
                        effective += w;
                    }
                }
                slot
            })
            .collect();
        Server {
            rs_name: rs_name.into(),
            vs_name: vs_name.into(),
            checkers,
            slots,
            files,
            iweight,
            effective,
            alive: num_failed == 0,
            num_failed,
            init_notifies,
        }
    }

    /// A reload: takes over the state of `old`, the same real server in the
    /// previous configuration. Checkers are matched in order by their
    /// parameters (type, timers, names; the caller keeps probes in the same
    /// order); unmatched ones are new. The server keeps its verdict and its
    /// dynamic weight unless its configured weight changed, and is not
    /// re-added or removed unless its checkers' states say so (keepalived's
    /// clear_diff_rs and migrate_checkers). Returns the verdict to apply
    /// when it differs from the old one.
    pub fn carry_over(&mut self, old: &Server, now: Instant) -> Vec<Event> {
        let mut used = vec![false; old.checkers.len()];
        let mut any_run = false;
        for (i, c) in self.checkers.iter_mut().enumerate() {
            let found = old
                .checkers
                .iter()
                .enumerate()
                .find(|(j, o)| !used.get(*j).copied().unwrap_or(true) && o.params() == c.params());
            if let Some((j, o)) = found {
                if let Some(u) = used.get_mut(j) {
                    *u = true;
                }
                c.carry_over(o, now);
                if let (Some(slot), Some(os)) = (self.slots.get_mut(i), old.slots.get(j)) {
                    slot.is_up = c.is_up();
                    slot.has_run = os.has_run;
                }
                any_run |= c.has_run();
            }
        }
        self.num_failed = self.slots.iter().filter(|s| s.has_run && !s.is_up).count() as u32
            + self.files.iter().filter(|f| f.status(f.last) == WEIGHT_FAULT).count() as u32;
        if self.num_failed > 0 || (!old.alive && !any_run) {
            for (c, slot) in self.checkers.iter_mut().zip(self.slots.iter_mut()) {
                if !c.has_run() {
                    c.not_run_after_reload();
                    slot.is_up = c.is_up();
                }
            }
            self.num_failed += self.slots.iter().filter(|s| !s.has_run && !s.is_up).count() as u32;
        }
        if self.iweight == old.iweight {
            self.effective = old.effective;
        }
        self.alive = self.num_failed == 0;
        if self.alive == old.alive && self.weight() == old.weight() {
            Vec::new()
        } else {
            vec![Event::Verdict { alive: self.alive, weight: self.weight() }]
        }
    }

    /// Whether the server is in the pool.
    pub fn alive(&self) -> bool {
        self.alive
    }

    /// The weight IPVS gets while the server is alive.
    pub fn weight(&self) -> u32 {
        real_weight(self.effective)
    }

    /// The effective weight before clamping (keepalived's `effective_weight`).
    pub fn effective_weight(&self) -> i64 {
        self.effective
    }

    /// Checkers and tracked files that are down (`num_failed_checkers`).
    pub fn num_failed(&self) -> u32 {
        self.num_failed
    }

    /// FILE_CHECK `idx`: the value last read and the weight it adds now.
    pub fn tracked_file(&self, idx: usize) -> Option<(i64, i64)> {
        self.files.get(idx).map(|f| (f.last, f.cur_weight))
    }

    /// The checkers, for the runtime (kinds, names, deadlines).
    pub fn checkers(&self) -> &[Checker] {
        &self.checkers
    }

    /// Starts every checker; `rand` gives each its random warmup share.
    /// Reports the initial verdict (and, with `rs_init_notifies`, the
    /// notify of a server that starts alive).
    pub fn start(&mut self, now: Instant, rand: impl FnMut() -> u32) -> Vec<Event> {
        self.start_checkers(now, rand);
        let mut out = vec![Event::Verdict { alive: self.alive, weight: self.weight() }];
        if self.alive && self.init_notifies {
            out.push(Event::Notify { up: true });
        }
        out
    }

    /// The lines keepalived logs when it starts the checkers ("Activating
    /// healthchecker for service [rs] for VS [vs]", one per probing checker),
    /// for the runtime to log once the IPVS table is set up.
    /// A checker suspended by `ha_suspend` is "Deactivating".
    pub fn activation_lines(&self) -> Vec<String> {
        self.checkers
            .iter()
            .map(|c| {
                let what = if c.enabled() { "Activating" } else { "Deactivating" };
                format!("{what} healthchecker for service {} for VS {}", self.rs_name, self.vs_name)
            })
            .collect()
    }

    /// `ha_suspend`: turns the checkers' probing on or off; a checker keeps
    /// its schedule and state meanwhile. Returns keepalived's line for each
    /// checker that switched.
    pub fn set_enabled(&mut self, now: Instant, on: bool) -> Vec<String> {
        let mut lines = Vec::new();
        for c in &mut self.checkers {
            if c.enabled() != on {
                c.handle(now, Input::Enabled(on));
                let what = if on { "Activating" } else { "Suspending" };
                lines.push(format!("{what} healthchecker for service {} for VS {}", self.rs_name, self.vs_name));
            }
        }
        lines
    }

    /// Schedules every checker's first probe, without reporting a verdict
    /// (a reload: then [`Server::carry_over`] the old state).
    pub fn start_checkers(&mut self, now: Instant, mut rand: impl FnMut() -> u32) {
        for c in &mut self.checkers {
            c.handle(now, Input::Start { rand: rand() });
        }
    }

    /// The earliest deadline of any checker.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.checkers.iter().filter_map(Checker::next_deadline).min()
    }

    /// Fires every checker whose deadline has come.
    pub fn timer(&mut self, now: Instant) -> Vec<Event> {
        let mut out = Vec::new();
        for i in 0..self.checkers.len() {
            if self.checkers.get(i).and_then(Checker::next_deadline).is_some_and(|d| d <= now) {
                out.extend(self.handle(now, i, Input::Timer));
            }
        }
        out
    }

    /// Feeds one input to checker `idx` and applies what it reports.
    pub fn handle(&mut self, now: Instant, idx: usize, input: Input) -> Vec<Event> {
        let Some(c) = self.checkers.get_mut(idx) else { return Vec::new() };
        let actions = c.handle(now, input);
        let mut out = Vec::new();
        for a in actions {
            match a {
                Action::Probe { url } => out.push(Event::Probe { checker: idx, url }),
                Action::Log(l) => out.push(Event::Log(l)),
                Action::State { up } => self.checker_state(idx, up, &mut out),
                Action::Weight(w) => self.weight_change(w, &mut out),
            }
        }
        out
    }

    /// A tracked file of FILE_CHECK `idx` now reads `value` (0 when it is
    /// deleted).
    pub fn file_value(&mut self, idx: usize, value: i64) -> Vec<Event> {
        let mut out = Vec::new();
        let Some(f) = self.files.get(idx).copied() else { return out };
        let (prev, new) = (f.status(f.last), f.status(value));
        if let Some(slot) = self.files.get_mut(idx) {
            slot.last = value;
        }
        if prev == new {
            return out;
        }
        if new == WEIGHT_FAULT {
            self.file_state(false, &mut out);
            self.effective -= f.cur_weight;
            self.set_file_weight(idx, 0);
        } else if prev == WEIGHT_FAULT {
            self.set_file_weight(idx, new);
            self.effective += new;
            self.file_state(true, &mut out);
        } else {
            self.set_file_weight(idx, new);
            self.set_weight(self.effective + new - prev, true, &mut out);
        }
        out
    }

    fn set_file_weight(&mut self, idx: usize, w: i64) {
        if let Some(slot) = self.files.get_mut(idx) {
            slot.cur_weight = w;
        }
    }

    /// A tracked file going into or out of fault: like a checker that has run.
    fn file_state(&mut self, up: bool, out: &mut Vec<Event>) {
        if up {
            if self.num_failed <= 1 {
                self.set_alive(true, out);
            }
            self.num_failed = self.num_failed.saturating_sub(1);
        } else {
            if self.num_failed == 0 {
                self.set_alive(false, out);
            }
            self.num_failed += 1;
        }
    }

    /// keepalived's update_svr_checker_state.
    fn checker_state(&mut self, idx: usize, up: bool, out: &mut Vec<Event>) {
        let Some(slot) = self.slots.get(idx).copied() else { return };
        if slot.is_up == up {
            if !slot.has_run {
                if slot.alpha || !up {
                    out.push(Event::Notify { up: self.alive });
                }
                if let Some(s) = self.slots.get_mut(idx) {
                    s.has_run = true;
                }
            }
            return;
        }
        if up {
            if self.num_failed <= 1 {
                self.set_alive(true, out);
            }
            self.num_failed = self.num_failed.saturating_sub(1);
        } else {
            if self.num_failed == 0 {
                self.set_alive(false, out);
            }
            self.num_failed += 1;
        }
        if let Some(s) = self.slots.get_mut(idx) {
            s.is_up = up;
            s.has_run = true;
        }
    }

    fn set_alive(&mut self, alive: bool, out: &mut Vec<Event>) {
        if self.alive == alive {
            return;
        }
        self.alive = alive;
        out.push(Event::Verdict { alive, weight: self.weight() });
        out.push(Event::Notify { up: alive });
    }

    fn weight_change(&mut self, w: WeightChange, out: &mut Vec<Event>) {
        match w {
            WeightChange::Configured => self.set_weight(self.iweight, true, out),
            WeightChange::Set(n) => self.set_weight(i64::from(n), true, out),
            WeightChange::ResetQuietly => self.set_weight(self.iweight, false, out),
        }
    }

    /// keepalived's update_svr_wgt: logs a change of the real weight.
    fn set_weight(&mut self, weight: i64, log: bool, out: &mut Vec<Event>) {
        let (old, new) = (real_weight(self.effective), real_weight(weight));
        self.effective = weight;
        if old == new {
            return;
        }
        if log {
            out.push(Event::Log(format!(
                "Changing weight from {old} to {new} for {}active service {} of VS {}",
                if self.alive { "" } else { "in" },
                self.rs_name,
                self.vs_name
            )));
        }
        // A server out of the pool takes its weight with its next verdict.
        if self.alive {
            out.push(Event::Verdict { alive: true, weight: new });
        }
    }
}

/// keepalived's real_weight: the effective weight clamped to what IPVS takes.
pub fn real_weight(w: i64) -> u32 {
    u32::try_from(w.clamp(0, WEIGHT_MAX)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::check::state::{Failure, Kind, Names, Outcome, Params, Timing};

    fn tcp(retry: u32, delay_loop: u64) -> Checker {
        Checker::new(Params {
            kind: Kind::Tcp,
            timing: Timing {
                delay_loop: Duration::from_secs(delay_loop),
                retry,
                delay_before_retry: Duration::from_secs(1),
                warmup: Duration::from_secs(30),
                alpha: false,
                log_all_failures: false,
            }
            .into(),
            names: Names {
                rs: "[127.0.0.1]:tcp:80".into(),
                vs: "[10.0.0.1]:tcp:80".into(),
                target: "[127.0.0.1]:80".into(),
            },
        })
    }

    fn server(c: Checker, weight: u32) -> Server {
        Server::new("[127.0.0.1]:tcp:80", "[10.0.0.1]:tcp:80", weight, vec![c], Vec::new(), false)
    }

    #[test]
    fn reload_keeps_a_failed_checker_down_on_its_schedule() {
        let t0 = Instant::now();
        let mut old = server(tcp(0, 10), 5);
        old.start(t0, || 0);
        let t1 = t0 + Duration::from_secs(1);
        old.timer(t1);
        let ev = old.handle(t1, 0, Input::Done(Outcome::Failure(Failure::Failed)));
        assert!(ev.contains(&Event::Verdict { alive: false, weight: 5 }));
        let due = old.next_deadline();
        assert_eq!(due, Some(t1 + Duration::from_secs(10)));

        // Same settings: still down, same deadline, nothing to apply, and no
        // warmup (the new checker would otherwise wait up to 30 s).
        let t2 = t1 + Duration::from_secs(3);
        let mut new = server(tcp(0, 10), 5);
        assert_eq!(
            new.activation_lines(),
            vec!["Activating healthchecker for service [127.0.0.1]:tcp:80 for VS [10.0.0.1]:tcp:80".to_owned()]
        );
        new.start_checkers(t2, || u32::MAX);
        assert_eq!(new.carry_over(&old, t2), Vec::new());
        assert!(!new.alive());
        assert_eq!(new.next_deadline(), due);
        // It comes back with one success, not a first-run confirmation.
        new.timer(t1 + Duration::from_secs(10));
        let ev = new.handle(t1 + Duration::from_secs(10), 0, Input::Done(Outcome::Success));
        assert!(ev.contains(&Event::Verdict { alive: true, weight: 5 }), "{ev:?}");
        assert!(ev.contains(&Event::Notify { up: true }), "{ev:?}");

        // Changed settings: a new checker, the server up until it runs.
        let mut changed = server(tcp(0, 20), 5);
        changed.start_checkers(t2, || 0);
        assert_eq!(changed.carry_over(&old, t2), vec![Event::Verdict { alive: true, weight: 5 }]);
    }

    #[test]
    fn reload_keeps_a_dynamic_weight_unless_the_weight_changed() {
        let t0 = Instant::now();
        let mut old = server(tcp(0, 10), 5);
        old.start(t0, || 0);
        let mut out = Vec::new();
        old.set_weight(2, true, &mut out);
        let mut same = server(tcp(0, 10), 5);
        assert_eq!(same.carry_over(&old, t0), Vec::new());
        assert_eq!(same.weight(), 2);
        let mut reweighted = server(tcp(0, 10), 7);
        assert_eq!(reweighted.carry_over(&old, t0), vec![Event::Verdict { alive: true, weight: 7 }]);
    }
}
