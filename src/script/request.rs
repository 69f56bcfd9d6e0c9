//! One run of a script: the program, the arguments keepalived appends, and
//! how long it may run. A constructor per kind of script gives upstream's
//! arguments and time limits.

use std::sync::Arc;
use std::time::Duration;

use super::prepare::Program;

/// How long upstream waits after SIGTERM before SIGKILL for track and
/// MISC_CHECK scripts that time out.
pub const TERM_GRACE: Duration = Duration::from_secs(2);

/// How long a script run while stopping (notify_stop, and the notify_up/down
/// and quorum scripts of a shutdown) may take before its process group is
/// killed with SIGKILL, and how long scripts get after [`super::ScriptRunner::terminate_all`]'s SIGTERM.
pub const STOP_LIMIT: Duration = Duration::from_secs(1);

/// A request to run a program once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub program: Arc<Program>,
    /// Appended to the configured arguments.
    pub extra_args: Vec<String>,
    /// When it is stopped: `None` lets it run until it exits.
    pub timeout: Option<Duration>,
    /// After the timeout: SIGTERM to the process group, then SIGKILL after
    /// this long; `None`: SIGKILL at once.
    pub grace: Option<Duration>,
    /// How log lines name it (a vrrp_script's name), if not by its path.
    pub label: Option<String>,
}

/// Whether a notify is about a VRRP instance or a sync group.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyScope {
    Instance,
    Group,
}

impl NotifyScope {
    /// The word passed to the script.
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyScope::Instance => "INSTANCE",
            NotifyScope::Group => "GROUP",
        }
    }
}

/// The state a generic `notify` script is told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyState {
    Master,
    Backup,
    Fault,
    /// Instances only.
    Stop,
    /// Instances removed by a reload with `notify_deleted`.
    Deleted,
}

impl NotifyState {
    /// The word passed to the script (always upper case).
    pub fn as_str(self) -> &'static str {
        match self {
            NotifyState::Master => "MASTER",
            NotifyState::Backup => "BACKUP",
            NotifyState::Fault => "FAULT",
            NotifyState::Stop => "STOP",
            NotifyState::Deleted => "DELETED",
        }
    }
}

impl Request {
    /// The program with its configured arguments only, no time limit.
    pub fn new(program: Arc<Program>) -> Self {
        Request { program, extra_args: Vec::new(), timeout: None, grace: None, label: None }
    }

    /// A `vrrp_script` run (`track_script`): its `timeout` (the config
    /// default is its `interval`), then SIGTERM, then SIGKILL 2 s later.
    /// Log lines name it by the vrrp_script's name.
    pub fn track(program: Arc<Program>, name: &str, timeout: Duration) -> Self {
        Request {
            timeout: Some(timeout),
            grace: Some(TERM_GRACE),
            label: Some(name.to_owned()),
            ..Request::new(program)
        }
    }

    /// A MISC_CHECK run (`misc_path`): `misc_timeout`, or the virtual
    /// server's `delay_loop` when not given, then SIGTERM, then SIGKILL 2 s
    /// later. The exit status is the checker's (with `misc_dynamic`, 2..255
    /// set the weight).
    pub fn misc_check(program: Arc<Program>, timeout: Duration) -> Self {
        Request { timeout: Some(timeout), grace: Some(TERM_GRACE), ..Request::new(program) }
    }

    /// A notify script run for an event: `notify_master`, `notify_backup`,
    /// `notify_fault`, `notify_deleted`, `notify_master_rx_lower_pri`,
    /// `quorum_up`, `quorum_down`, `notify_up`, `notify_down`. Nothing is
    /// appended and there is no time limit.
    pub fn notify(program: Arc<Program>) -> Self {
        Request::new(program)
    }

    /// A notify script run while stopping: `notify_stop`, and `notify_up`,
    /// `notify_down`, `quorum_up`, `quorum_down` at shutdown (with omega).
    /// After 1 s its process group is killed with SIGKILL.
    pub fn notify_stopping(program: Arc<Program>) -> Self {
        Request { timeout: Some(STOP_LIMIT), grace: None, ..Request::new(program) }
    }

    /// The generic `notify` script of an instance or sync group: four words
    /// are appended, `INSTANCE`|`GROUP`, the name, the state and the
    /// priority (the effective priority of an instance, 0 for a group). Run
    /// for STOP it is killed after 1 s, as [`Request::notify_stopping`].
    pub fn notify_state(
        program: Arc<Program>,
        scope: NotifyScope,
        name: &str,
        state: NotifyState,
        priority: u8,
    ) -> Self {
        let mut r = if state == NotifyState::Stop { Request::notify_stopping(program) } else { Request::new(program) };
        r.extra_args =
            vec![scope.as_str().to_owned(), name.to_owned(), state.as_str().to_owned(), priority.to_string()];
        r
    }

    /// A `notify_fifo_script`, `vrrp_notify_fifo_script` or
    /// `lvs_notify_fifo_script`: the FIFO's path is appended; it runs until
    /// it exits or the runner's scripts are terminated at shutdown.
    pub fn fifo_script(program: Arc<Program>, fifo: &str) -> Self {
        Request { extra_args: vec![fifo.to_owned()], ..Request::new(program) }
    }

    /// The whole argument vector: configured arguments, then the appended
    /// ones.
    pub fn argv(&self) -> Vec<String> {
        self.program.argv.iter().chain(&self.extra_args).cloned().collect()
    }

    /// The name log lines use: the label, else the program's path.
    pub fn name(&self) -> &str {
        self.label.as_deref().or(self.program.argv.first().map(String::as_str)).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::super::account::Credentials;
    use super::*;

    fn prog(argv: &[&str]) -> Arc<Program> {
        Arc::new(Program::unchecked(argv.iter().map(|s| (*s).to_owned()).collect(), Credentials::new(0, 0)))
    }

    #[test]
    fn notify_appends_scope_name_state_priority() {
        let r = Request::notify_state(prog(&["/n.sh", "y"]), NotifyScope::Instance, "VI_1", NotifyState::Fault, 100);
        assert_eq!(r.argv(), ["/n.sh", "y", "INSTANCE", "VI_1", "FAULT", "100"]);
        assert_eq!(r.timeout, None);
        let r = Request::notify_state(prog(&["/n.sh"]), NotifyScope::Group, "SG", NotifyState::Master, 0);
        assert_eq!(r.argv(), ["/n.sh", "GROUP", "SG", "MASTER", "0"]);
    }

    #[test]
    fn stop_notifies_are_killed_after_one_second() {
        let r = Request::notify_state(prog(&["/n.sh"]), NotifyScope::Instance, "VI_1", NotifyState::Stop, 100);
        assert_eq!(r.argv(), ["/n.sh", "INSTANCE", "VI_1", "STOP", "100"]);
        assert_eq!((r.timeout, r.grace), (Some(Duration::from_secs(1)), None));
        let r = Request::notify_stopping(prog(&["/down.sh"]));
        assert_eq!((r.argv(), r.timeout, r.grace), (vec!["/down.sh".to_owned()], Some(STOP_LIMIT), None));
    }

    #[test]
    fn fifo_script_gets_the_fifo_last() {
        let r = Request::fifo_script(prog(&["/f.sh", "-v"]), "/run/ka.fifo");
        assert_eq!(r.argv(), ["/f.sh", "-v", "/run/ka.fifo"]);
        assert_eq!(r.timeout, None);
    }

    #[test]
    fn track_and_misc_terminate_then_kill() {
        let r = Request::track(prog(&["/chk.sh"]), "chk", Duration::from_millis(1500));
        assert_eq!((r.timeout, r.grace, r.name()), (Some(Duration::from_millis(1500)), Some(TERM_GRACE), "chk"));
        let r = Request::misc_check(prog(&["/misc.sh", "10.0.0.1"]), Duration::from_secs(5));
        assert_eq!(
            (r.argv(), r.grace, r.name()),
            (vec!["/misc.sh".into(), "10.0.0.1".into()], Some(TERM_GRACE), "/misc.sh")
        );
    }
}
