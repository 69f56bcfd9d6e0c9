//! `vrrp_track_process`: which processes match, and when the quorum
//! counts as gained or lost (`quorum`, `quorum_max`, `fork_delay`,
//! `terminate_delay`). Pure: the runtime reads `/proc` (or the kernel's
//! process events) and hands in what it saw with the time.

use std::time::{Duration, Instant};

use super::Status;

/// How configured parameters are compared with a process's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ParamMatch {
    /// Not written and no parameters: parameters are not looked at.
    Any,
    /// All parameters equal (the default when parameters are given; with
    /// none given, the process must have none).
    Exact,
    /// The configured parameters equal the process's first ones.
    Partial,
    /// Like `Partial`, and the last configured one may be the start of the
    /// process's.
    Initial,
}

/// What a `vrrp_track_process` looks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProcessParams {
    /// The process name (or, with `full_command`, the command).
    pub name: String,
    pub args: Vec<String>,
    pub param_match: ParamMatch,
    pub full_command: bool,
    pub quorum: u32,
    pub quorum_max: u32,
    pub fork_delay: Duration,
    pub terminate_delay: Duration,
}

/// One process as `/proc` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ProcInfo {
    /// `/proc/PID/comm` (at most 15 bytes).
    pub comm: String,
    /// `/proc/PID/cmdline`, split at the NULs.
    pub cmdline: Vec<String>,
}

/// The kernel's limit on a process name (`TASK_COMM_LEN` - 1).
const COMM_LEN: usize = 15;

impl ProcessParams {
    /// Whether these settings need `/proc/PID/cmdline` (else `comm` does).
    pub(crate) fn needs_cmdline(&self) -> bool {
        self.full_command || !self.args.is_empty() || self.param_match != ParamMatch::Any
    }

    /// Does `p` count? The name is matched exactly, as `pgrep "^name$"`
    /// would: against the process name, or with `full_command` against the
    /// command (`argv[0]`); then the parameters per `param_match`.
    pub(crate) fn matches(&self, p: &ProcInfo) -> bool {
        let name_ok = if self.full_command {
            p.cmdline.first().is_some_and(|c| *c == self.name)
        } else {
            let want = self.name.get(..COMM_LEN.min(self.name.len())).unwrap_or(&self.name);
            p.comm == want
        };
        if !name_ok {
            return false;
        }
        let have = p.cmdline.get(1..).unwrap_or(&[]);
        match self.param_match {
            ParamMatch::Any => true,
            ParamMatch::Exact => have == self.args.as_slice(),
            ParamMatch::Partial => have.len() >= self.args.len() && have.iter().zip(&self.args).all(|(a, b)| a == b),
            ParamMatch::Initial => {
                if have.len() < self.args.len() {
                    return false;
                }
                let n = self.args.len();
                self.args
                    .iter()
                    .zip(have)
                    .enumerate()
                    .all(|(i, (want, got))| if i + 1 == n { got.starts_with(want.as_str()) } else { got == want })
            }
        }
    }
}

/// One tracked process's quorum, with its delays.
#[derive(Clone, Debug)]
pub(crate) struct ProcessTrack {
    name: String,
    p: ProcessParams,
    have_quorum: bool,
    /// A change of quorum waiting for its delay: (new value, when).
    pending: Option<(bool, Instant)>,
}

impl ProcessTrack {
    /// A tracker that found `count` processes at start-up (no delay applies then).
    pub(crate) fn new(name: &str, p: ProcessParams, count: u32) -> ProcessTrack {
        let have_quorum = count >= p.quorum && count <= p.quorum_max;
        ProcessTrack { name: name.to_owned(), p, have_quorum, pending: None }
    }

    pub(crate) fn params(&self) -> &ProcessParams {
        &self.p
    }

    pub(crate) fn status(&self) -> Status {
        if self.have_quorum { Status::Up } else { Status::Down }
    }

    /// When a delayed change is due.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.pending.map(|(_, at)| at)
    }

    /// The number of matching processes is now `count`. Returns the log
    /// line when the quorum changed at once.
    pub(crate) fn set_count(&mut self, count: u32, now: Instant) -> Option<String> {
        let quorum = count >= self.p.quorum && count <= self.p.quorum_max;
        if quorum == self.have_quorum {
            self.pending = None;
            return None;
        }
        let delay = if quorum { self.p.fork_delay } else { self.p.terminate_delay };
        if delay.is_zero() {
            return Some(self.flip(quorum));
        }
        if self.pending.is_none_or(|(q, _)| q != quorum) {
            self.pending = Some((quorum, now + delay));
        }
        None
    }

    /// The delay ran out: apply the change if it still holds.
    pub(crate) fn on_timer(&mut self, now: Instant) -> Option<String> {
        let (quorum, at) = self.pending?;
        if at > now {
            return None;
        }
        self.pending = None;
        (quorum != self.have_quorum).then(|| self.flip(quorum))
    }

    fn flip(&mut self, quorum: bool) -> String {
        self.have_quorum = quorum;
        format!("Quorum {} for tracked process {}", if quorum { "gained" } else { "lost" }, self.name)
    }

    /// Keeps the quorum state of the same tracker before a reload.
    pub(crate) fn carry_from(&mut self, old: &ProcessTrack) {
        self.have_quorum = old.have_quorum;
        self.pending = old.pending;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(name: &str, args: &[&str], m: ParamMatch) -> ProcessParams {
        ProcessParams {
            name: name.into(),
            args: args.iter().map(|s| (*s).to_owned()).collect(),
            param_match: m,
            full_command: false,
            quorum: 1,
            quorum_max: u32::MAX,
            fork_delay: Duration::ZERO,
            terminate_delay: Duration::ZERO,
        }
    }

    fn proc_(comm: &str, cmd: &[&str]) -> ProcInfo {
        ProcInfo { comm: comm.into(), cmdline: cmd.iter().map(|s| (*s).to_owned()).collect() }
    }

    #[test]
    fn names_match_exactly_and_params_per_mode() {
        let sleep = proc_("sleep", &["sleep", "60", "x"]);
        assert!(params("sleep", &[], ParamMatch::Any).matches(&sleep));
        assert!(!params("slee", &[], ParamMatch::Any).matches(&sleep));
        assert!(!params("sleep", &["60"], ParamMatch::Exact).matches(&sleep));
        assert!(params("sleep", &["60", "x"], ParamMatch::Exact).matches(&sleep));
        assert!(params("sleep", &["60"], ParamMatch::Partial).matches(&sleep));
        assert!(params("sleep", &["60", ""], ParamMatch::Initial).matches(&sleep));
        assert!(!params("sleep", &["6"], ParamMatch::Partial).matches(&sleep));
        assert!(params("sleep", &["6"], ParamMatch::Initial).matches(&proc_("sleep", &["sleep", "60"])));
        // param_match without parameters: the process must have none.
        assert!(!params("sleep", &[], ParamMatch::Exact).matches(&sleep));
        assert!(params("sleep", &[], ParamMatch::Exact).matches(&proc_("sleep", &["sleep"])));
        let mut full = params("/usr/bin/sleep", &[], ParamMatch::Any);
        full.full_command = true;
        assert!(full.matches(&proc_("sleep", &["/usr/bin/sleep", "1"])));
        assert!(!full.matches(&sleep));
        // Long names are compared with the kernel's 15-byte process name.
        assert!(params("a_very_long_process_name", &[], ParamMatch::Any).matches(&proc_("a_very_long_pro", &[])));
    }

    #[test]
    fn quorum_with_delays() {
        let t0 = Instant::now();
        let mut p = params("haproxy", &[], ParamMatch::Any);
        p.quorum = 2;
        p.quorum_max = 3;
        p.fork_delay = Duration::from_millis(500);
        p.terminate_delay = Duration::from_secs(1);
        let mut t = ProcessTrack::new("hap", p, 0);
        assert_eq!(t.status(), Status::Down);
        assert_eq!(t.set_count(1, t0), None);
        assert_eq!(t.set_count(2, t0), None);
        assert_eq!(t.deadline(), Some(t0 + Duration::from_millis(500)));
        assert_eq!(t.on_timer(t0 + Duration::from_millis(499)), None);
        assert_eq!(t.on_timer(t0 + Duration::from_millis(500)), Some("Quorum gained for tracked process hap".into()));
        assert_eq!(t.status(), Status::Up);
        // Too many is a failure too; back in range within the delay: nothing happens.
        let t1 = t0 + Duration::from_secs(2);
        assert_eq!(t.set_count(4, t1), None);
        assert_eq!(t.deadline(), Some(t1 + Duration::from_secs(1)));
        assert_eq!(t.set_count(3, t1 + Duration::from_millis(200)), None);
        assert_eq!(t.deadline(), None);
        assert_eq!(t.on_timer(t1 + Duration::from_secs(2)), None);
        assert_eq!(t.status(), Status::Up);
    }

    #[test]
    fn no_delay_changes_at_once() {
        let t0 = Instant::now();
        let mut t = ProcessTrack::new("sl", params("sleep", &[], ParamMatch::Any), 1);
        assert_eq!(t.status(), Status::Up);
        assert_eq!(t.set_count(0, t0), Some("Quorum lost for tracked process sl".into()));
        assert_eq!(t.set_count(1, t0), Some("Quorum gained for tracked process sl".into()));
    }
}

/// What the kernel's process connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`)
/// says happened to a process, as far as tracking cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProcEvent {
    /// A new process (`child` of its parent's thread group).
    Fork { child: u32 },
    /// The process called exec (its name and command line changed).
    Exec { pid: u32 },
    /// The process renamed itself (`prctl(PR_SET_NAME)`).
    Comm { pid: u32 },
    /// The process (a thread group leader) exited.
    Exit { pid: u32 },
}

/// `struct nlmsghdr` (16 bytes) then `struct cn_msg` (20 bytes).
const CN_HEADERS: usize = 36;
/// `struct proc_event`: what, cpu, timestamp_ns, then the event's data.
const EVENT_DATA: usize = CN_HEADERS + 16;
const PROC_EVENT_FORK: u32 = 0x1;
const PROC_EVENT_EXEC: u32 = 0x2;
const PROC_EVENT_COMM: u32 = 0x200;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4).and_then(|s| s.try_into().ok()).map(u32::from_ne_bytes)
}

/// Decodes one datagram of the process connector; `None` for other events
/// (threads, uid changes, ...) and anything too short.
pub(crate) fn parse_proc_event(b: &[u8]) -> Option<ProcEvent> {
    let what = u32_at(b, CN_HEADERS)?;
    let (pid, tgid) = (u32_at(b, EVENT_DATA)?, u32_at(b, EVENT_DATA + 4)?);
    match what {
        PROC_EVENT_FORK => {
            let (child, child_tgid) = (u32_at(b, EVENT_DATA + 8)?, u32_at(b, EVENT_DATA + 12)?);
            (child == child_tgid).then_some(ProcEvent::Fork { child })
        }
        PROC_EVENT_EXEC if pid == tgid => Some(ProcEvent::Exec { pid }),
        PROC_EVENT_COMM if pid == tgid => Some(ProcEvent::Comm { pid }),
        PROC_EVENT_EXIT if pid == tgid => Some(ProcEvent::Exit { pid }),
        _ => None,
    }
}

/// The message that asks the connector for process events (`listen`) or
/// stops them: a `nlmsghdr`, a `cn_msg` for `CN_IDX_PROC`/`CN_VAL_PROC`,
/// then `PROC_CN_MCAST_LISTEN` (1) or `PROC_CN_MCAST_IGNORE` (2).
pub(crate) fn listen_message(listen: bool, pid: u32) -> Vec<u8> {
    let mut m = Vec::with_capacity(CN_HEADERS + 4);
    let len = u32::try_from(CN_HEADERS + 4).unwrap_or(0);
    m.extend_from_slice(&len.to_ne_bytes());
    m.extend_from_slice(&3u16.to_ne_bytes()); // NLMSG_DONE
    m.extend_from_slice(&0u16.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes()); // sequence
    m.extend_from_slice(&pid.to_ne_bytes());
    m.extend_from_slice(&1u32.to_ne_bytes()); // CN_IDX_PROC
    m.extend_from_slice(&1u32.to_ne_bytes()); // CN_VAL_PROC
    m.extend_from_slice(&0u32.to_ne_bytes()); // seq
    m.extend_from_slice(&0u32.to_ne_bytes()); // ack
    m.extend_from_slice(&4u16.to_ne_bytes()); // len
    m.extend_from_slice(&0u16.to_ne_bytes()); // flags
    m.extend_from_slice(&(if listen { 1u32 } else { 2u32 }).to_ne_bytes());
    m
}

#[cfg(test)]
mod event_tests {
    use super::*;

    fn event(what: u32, data: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; CN_HEADERS];
        b.extend_from_slice(&what.to_ne_bytes());
        b.extend_from_slice(&[0u8; 12]);
        for d in data {
            b.extend_from_slice(&d.to_ne_bytes());
        }
        b
    }

    #[test]
    fn decodes_the_events_tracking_needs() {
        assert_eq!(parse_proc_event(&event(PROC_EVENT_FORK, &[10, 10, 11, 11])), Some(ProcEvent::Fork { child: 11 }));
        // A new thread is no new process.
        assert_eq!(parse_proc_event(&event(PROC_EVENT_FORK, &[10, 10, 12, 11])), None);
        assert_eq!(parse_proc_event(&event(PROC_EVENT_EXEC, &[11, 11])), Some(ProcEvent::Exec { pid: 11 }));
        assert_eq!(parse_proc_event(&event(PROC_EVENT_COMM, &[11, 11, 0, 0, 0, 0])), Some(ProcEvent::Comm { pid: 11 }));
        assert_eq!(parse_proc_event(&event(PROC_EVENT_EXIT, &[11, 11, 0, 9])), Some(ProcEvent::Exit { pid: 11 }));
        assert_eq!(parse_proc_event(&event(PROC_EVENT_EXIT, &[12, 11, 0, 0])), None);
        assert_eq!(parse_proc_event(&event(0x4, &[11, 11])), None);
        assert_eq!(parse_proc_event(&[0u8; 20]), None);
    }

    #[test]
    fn listen_message_layout() {
        let m = listen_message(true, 77);
        assert_eq!(m.len(), 40);
        assert_eq!(u32_at(&m, 0), Some(40));
        assert_eq!(u32_at(&m, 12), Some(77));
        assert_eq!((u32_at(&m, 16), u32_at(&m, 20)), (Some(1), Some(1)));
        assert_eq!(u32_at(&m, 36), Some(1));
        assert_eq!(u32_at(&listen_message(false, 77), 36), Some(2));
    }
}
