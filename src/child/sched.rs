//! A child's scheduling as global_defs asks for it: `vrrp_priority` /
//! `checker_priority` / `bfd_priority` (nice), `*_rt_priority` (SCHED_RR)
//! with `*_rlimit_rttime`, `*_no_swap` (memory locked), `*_cpu_affinity`;
//! and `max_auto_priority`'s real-time boosts when the loop runs late.
//!
//! Applied by each child for itself when it starts and again on every
//! reload, as keepalived's children do: a setting removed by a reload is
//! undone (nice value back to the original, real-time scheduling off,
//! memory unlocked) except the CPU affinity, which keepalived leaves as it
//! was. [`Settings::of`] and [`plan`] are pure; [`Scheduler`] does the
//! system calls and logs keepalived's lines when one fails.

use std::time::Duration;

use super::ChildKind;
use crate::config::model::Config;
use crate::sys;

/// keepalived's RLIMIT_RTTIME when `*_rlimit_rttime` is not given (µs).
pub(crate) const DEFAULT_RLIMIT_RTTIME: u64 = 10_000;

/// keepalived's `min_auto_priority_delay` default: 1 s.
pub(crate) const DEFAULT_MIN_AUTO_DELAY: Duration = Duration::from_secs(1);

/// What one child is configured to run with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Settings {
    /// `*_priority`: the nice value (0: leave it).
    pub nice: i32,
    /// `*_rt_priority`: SCHED_RR at this priority (the nice value is then not set).
    pub rt_priority: Option<i32>,
    /// `*_rlimit_rttime` (µs), for real-time scheduling, set or automatic.
    pub rlimit_rttime: u64,
    /// `*_no_swap`.
    pub no_swap: bool,
    /// `*_cpu_affinity` (empty: leave it).
    pub cpus: Vec<u32>,
    /// `max_auto_priority`: the highest real-time priority the loop may
    /// raise itself to when it runs late (0: never).
    pub max_auto_priority: i32,
    /// `min_auto_priority_delay`: how late a timer must run before that.
    pub min_auto_delay: Duration,
}

impl Settings {
    /// The settings of `kind` in a loaded configuration.
    pub(crate) fn of(kind: ChildKind, c: &Config) -> Settings {
        let v = &c.vrrp.globals;
        let (nice, rt, rlimit, no_swap, cpus) = match kind {
            ChildKind::Vrrp => (
                v.priority.unwrap_or(0),
                v.rt_priority.map(|p| p as i32),
                v.rlimit_rttime.unwrap_or(DEFAULT_RLIMIT_RTTIME),
                v.no_swap,
                v.cpu_affinity.clone(),
            ),
            ChildKind::Checker => {
                let l = &c.lvs.globals;
                (
                    l.checker_priority.unwrap_or(0),
                    l.checker_rt_priority.map(|p| p as i32),
                    l.checker_rlimit_rttime.unwrap_or(DEFAULT_RLIMIT_RTTIME),
                    l.checker_no_swap,
                    l.checker_cpu_affinity.clone(),
                )
            }
            ChildKind::Bfd => {
                let b = &c.global.bfd_sched;
                (
                    i32::from(b.priority),
                    b.rt_priority.map(i32::from),
                    u64::from(b.rlimit_rttime),
                    b.no_swap,
                    b.cpu_affinity.clone(),
                )
            }
        };
        Settings {
            nice,
            rt_priority: rt.filter(|p| *p > 0),
            rlimit_rttime: rlimit,
            no_swap,
            cpus,
            max_auto_priority: v.max_auto_priority.unwrap_or(0).max(0),
            min_auto_delay: v.min_auto_priority_delay.map_or(DEFAULT_MIN_AUTO_DELAY, Duration::from_micros),
        }
    }
}

/// What the process currently runs with (what [`Scheduler`] did).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Current {
    /// The nice value we set (`None`: the inherited one).
    pub nice: Option<i32>,
    /// The SCHED_RR priority we set.
    pub rt_priority: Option<i32>,
    /// RLIMIT_RTTIME we set (µs).
    pub rlimit_rttime: Option<u64>,
    pub locked: bool,
}

/// One system call to make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// SCHED_RR at this priority.
    Realtime(i32),
    /// Back to SCHED_OTHER.
    Normal,
    /// RLIMIT_RTTIME soft limit `half`, hard limit `max` (µs): the soft one
    /// warns (SIGXCPU) before the hard one kills.
    RlimitRttime {
        soft: u64,
        hard: u64,
    },
    /// The nice value.
    Nice(i32),
    /// The nice value the process started with.
    ResetNice,
    Lock,
    Unlock,
    Affinity(Vec<u32>),
}

/// The steps that take a process from `cur` to `want`, in keepalived's
/// order: real-time scheduling (and its rlimit) or else the nice value,
/// then memory locking, then the CPU affinity.
pub(crate) fn plan(cur: &Current, want: &Settings) -> Vec<Step> {
    let mut steps = Vec::new();
    match want.rt_priority {
        Some(p) => {
            if cur.rt_priority != Some(p) {
                steps.push(Step::Realtime(p));
            }
            if want.rlimit_rttime > 0 && cur.rlimit_rttime != Some(want.rlimit_rttime) {
                steps.push(Step::RlimitRttime { soft: want.rlimit_rttime / 2, hard: want.rlimit_rttime });
            }
        }
        None => {
            if cur.rt_priority.is_some() {
                steps.push(Step::Normal);
            }
            if want.nice != 0 && cur.nice != Some(want.nice) {
                steps.push(Step::Nice(want.nice));
            } else if want.nice == 0 && cur.nice.is_some() {
                steps.push(Step::ResetNice);
            }
        }
    }
    match (want.no_swap, cur.locked) {
        (true, false) => steps.push(Step::Lock),
        (false, true) => steps.push(Step::Unlock),
        _ => {}
    }
    if !want.cpus.is_empty() {
        steps.push(Step::Affinity(want.cpus.clone()));
    }
    steps
}

/// The scheduling state of this process.
#[derive(Debug)]
pub(crate) struct Scheduler {
    kind: ChildKind,
    cur: Current,
    /// The nice value and RLIMIT_RTTIME the process started with.
    orig_nice: i32,
    orig_rlimit: Option<(u64, u64)>,
    /// The configured settings (the automatic boosts start from them).
    want: Settings,
}

impl Scheduler {
    /// For this process, as it is now.
    pub(crate) fn new(kind: ChildKind) -> Scheduler {
        Scheduler {
            kind,
            cur: Current::default(),
            orig_nice: sys::nice().unwrap_or(0),
            orig_rlimit: sys::rlimit_rttime().ok(),
            want: Settings::default(),
        }
    }

    /// Applies `want` (at start-up and after each reload).
    pub(crate) fn apply(&mut self, want: Settings) {
        for step in plan(&self.cur, &want) {
            self.run(step);
        }
        self.want = want;
    }

    /// The loop ran `late` after a timer was due: with `max_auto_priority`,
    /// raise the real-time priority by one (starting at SCHED_RR's lowest),
    /// up to the maximum, as keepalived does ("Set realtime priority N").
    pub(crate) fn ran_late(&mut self, late: Duration) {
        let max = self.want.max_auto_priority;
        if max <= 0 || late < self.want.min_auto_delay {
            return;
        }
        let next = match self.cur.rt_priority {
            Some(p) if p >= max => return,
            Some(p) => p + 1,
            None => sys::rr_priority_min(),
        };
        let had_rlimit = self.cur.rlimit_rttime.is_some();
        self.run(Step::Realtime(next));
        if self.cur.rt_priority != Some(next) {
            return;
        }
        if !had_rlimit && self.want.rlimit_rttime > 0 {
            let r = self.want.rlimit_rttime;
            self.run(Step::RlimitRttime { soft: r / 2, hard: r });
        }
        tracing::info!("Set realtime priority {next}");
    }

    fn run(&mut self, step: Step) {
        match step {
            Step::Realtime(p) => match sys::set_realtime(Some(p)) {
                Ok(()) => {
                    self.cur.rt_priority = Some(p);
                }
                Err(_) => tracing::warn!("child process: cannot raise priority"),
            },
            Step::Normal => match sys::set_realtime(None) {
                Ok(()) => {
                    self.cur.rt_priority = None;
                    if self.cur.rlimit_rttime.take().is_some() {
                        let (soft, hard) = self.orig_rlimit.unwrap_or((libc::RLIM_INFINITY, libc::RLIM_INFINITY));
                        if sys::set_rlimit_rttime(soft, hard).is_err() {
                            tracing::warn!("child process cannot reset realtime rlimit");
                        }
                    }
                }
                Err(_) => tracing::warn!("child process: cannot reset realtime scheduling"),
            },
            Step::RlimitRttime { soft, hard } => match sys::set_rlimit_rttime(soft, hard) {
                Ok(()) => self.cur.rlimit_rttime = Some(hard),
                Err(_) => tracing::warn!("child process cannot set realtime rlimit"),
            },
            Step::Nice(n) => match sys::set_nice(n) {
                Ok(()) => {
                    self.cur.nice = Some(n);
                    sys::set_script_nice(Some(self.orig_nice));
                }
                Err(e) => tracing::info!("Unable to set process priority to {n} - {}", errno_text(&e)),
            },
            Step::ResetNice => match sys::set_nice(self.orig_nice) {
                Ok(()) => {
                    self.cur.nice = None;
                    sys::set_script_nice(None);
                }
                Err(e) => tracing::info!("Unable to reset process priority - {}", errno_text(&e)),
            },
            Step::Lock => match sys::lock_memory() {
                Ok(()) => self.cur.locked = true,
                Err(e) => tracing::info!("Unable to lock process in memory - {}", errno_text(&e)),
            },
            Step::Unlock => {
                let _ = sys::unlock_memory();
                self.cur.locked = false;
            }
            Step::Affinity(cpus) => {
                if let Err(e) = sys::set_cpu_affinity(&cpus) {
                    tracing::warn!("unable to set cpu affinity to {} process ({})", self.kind.short(), errno_text(&e));
                }
            }
        }
    }
}

/// This process's scheduler, once [`apply_config`] ran.
static STATE: std::sync::Mutex<Option<Scheduler>> = std::sync::Mutex::new(None);

/// Applies the settings of `kind` in `cfg` to this process: at start-up
/// and after each reload.
pub(crate) fn apply_config(kind: ChildKind, cfg: &Config) {
    if let Ok(mut state) = STATE.lock() {
        state.get_or_insert_with(|| Scheduler::new(kind)).apply(Settings::of(kind, cfg));
    }
}

/// The loop woke `late` after a timer was due (see [`Scheduler::ran_late`]).
pub(crate) fn ran_late(late: Duration) {
    if let Ok(mut state) = STATE.lock() {
        if let Some(s) = state.as_mut() {
            s.ran_late(late);
        }
    }
}

/// global_defs `umask`, unless `-u` gave one (which wins, as keepalived's
/// command line does). Every process sets it as it reads the configuration.
pub(crate) fn apply_umask(opts: &crate::cli::Options, g: &crate::config::model::global::GlobalConfig) {
    if opts.umask.is_none() {
        sys::umask(g.umask.value);
    }
}

/// strerror's text of an error, without Rust's "(os error N)".
fn errno_text(e: &std::io::Error) -> String {
    crate::config::error::io_reason(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn want(nice: i32, rt: Option<i32>, no_swap: bool, cpus: &[u32]) -> Settings {
        Settings { nice, rt_priority: rt, rlimit_rttime: 10_000, no_swap, cpus: cpus.to_vec(), ..Settings::default() }
    }

    #[test]
    fn nothing_configured_does_nothing() {
        assert_eq!(plan(&Current::default(), &Settings::default()), []);
    }

    #[test]
    fn realtime_wins_over_nice_and_sets_half_the_rlimit_as_soft_limit() {
        let steps = plan(&Current::default(), &want(-5, Some(10), true, &[0, 1]));
        assert_eq!(
            steps,
            [
                Step::Realtime(10),
                Step::RlimitRttime { soft: 5_000, hard: 10_000 },
                Step::Lock,
                Step::Affinity(vec![0, 1])
            ]
        );
    }

    #[test]
    fn nice_alone() {
        assert_eq!(plan(&Current::default(), &want(7, None, false, &[])), [Step::Nice(7)]);
    }

    #[test]
    fn a_reload_undoes_what_was_removed_but_the_affinity() {
        let cur = Current { nice: Some(-5), rt_priority: None, rlimit_rttime: None, locked: true };
        assert_eq!(plan(&cur, &Settings::default()), [Step::ResetNice, Step::Unlock]);
        let cur = Current { nice: None, rt_priority: Some(10), rlimit_rttime: Some(10_000), locked: false };
        assert_eq!(plan(&cur, &want(3, None, false, &[])), [Step::Normal, Step::Nice(3)]);
    }

    #[test]
    fn an_unchanged_reload_changes_nothing_but_the_affinity_again() {
        let cur = Current { nice: Some(-5), rt_priority: None, rlimit_rttime: None, locked: true };
        assert_eq!(plan(&cur, &want(-5, None, true, &[1])), [Step::Affinity(vec![1])]);
    }

    #[test]
    fn settings_of_each_child() {
        let mut c = Config::default();
        c.vrrp.globals.priority = Some(-5);
        c.vrrp.globals.cpu_affinity = vec![1];
        c.vrrp.globals.max_auto_priority = Some(-1);
        c.lvs.globals.checker_rt_priority = Some(20);
        c.lvs.globals.checker_rlimit_rttime = Some(4_000);
        c.global.bfd_sched.no_swap = true;
        let v = Settings::of(ChildKind::Vrrp, &c);
        assert_eq!((v.nice, v.rt_priority, v.cpus.as_slice(), v.max_auto_priority), (-5, None, &[1u32][..], 0));
        assert_eq!(v.rlimit_rttime, DEFAULT_RLIMIT_RTTIME);
        let k = Settings::of(ChildKind::Checker, &c);
        assert_eq!((k.rt_priority, k.rlimit_rttime), (Some(20), 4_000));
        let b = Settings::of(ChildKind::Bfd, &c);
        assert!(b.no_swap && b.rt_priority.is_none());
        assert_eq!(b.min_auto_delay, DEFAULT_MIN_AUTO_DELAY);
    }
}
