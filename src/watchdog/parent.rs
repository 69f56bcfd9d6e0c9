//! The parent process: no tokio here, only a signal-driven supervision loop.
//!
//! It blocks the signals it handles and takes them one at a time with
//! sigtimedwait, so there are no signal handlers and no races with SIGCHLD.
//! The mask is inherited across exec; each child clears it first thing.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use super::PARENT_COMM;
use super::notify::notify;
use super::pidfile::{self, PidPaths};
use crate::child::{ChildKind, EXIT_CONFIG, EXIT_FATAL};
use crate::cli::{self, Options};
use crate::config::Loaded;
use crate::config::model::Parts;
use crate::sys::{self, Exit, SignalSet};

/// A child that ran at least this long is restarted at once when it dies.
const STABLE_RUN: Duration = Duration::from_secs(60);
/// The longest respawn delay.
const MAX_RESPAWN_DELAY: u64 = 60;

/// One supervised child.
#[derive(Debug)]
struct Slot {
    pid: Option<i32>,
    started: Instant,
    /// When a dead child is due to be started again.
    respawn_at: Option<Instant>,
    /// Deaths in a row, each after a run shorter than [`STABLE_RUN`].
    quick_deaths: u32,
    /// Started again after a death (not by start-up or a reload).
    respawned: bool,
}

/// The parent's state.
struct Supervisor {
    opts: Options,
    /// The arguments children are started with (after `--child=KIND`).
    child_args: Vec<OsString>,
    argv0: OsString,
    pids: PidPaths,
    /// Which children the configuration needs: all the parent keeps of it,
    /// so that a large configuration is not held by a process that only supervises.
    needs: Needs,
    slots: BTreeMap<ChildKind, Slot>,
}

/// The parent's main: returns the process exit status.
pub(crate) fn main(mut opts: Options, argv: Vec<OsString>) -> ExitCode {
    if let Some(mask) = opts.umask {
        sys::umask(mask);
    }
    if opts.core_dump || opts.core_dump_pattern.is_some() {
        let _ = sys::unlimited_core_dumps();
    }
    if opts.ignore_sigint {
        let _ = sys::ignore_signal(libc::SIGINT);
    }
    let _ = sys::set_process_name(PARENT_COMM);
    if opts.start_dir.is_none() {
        opts.start_dir = std::env::current_dir().ok();
    }
    crate::log::init(&super::log_options(&opts, None));
    let span = tracing::info_span!("parent", pid = std::process::id());
    let _entered = span.enter();

    tracing::info!("Starting {}", cli::version_string());
    tracing::info!("Running on {}", running_on());
    tracing::info!("Command line: {}", quoted(&argv));
    for note in opts.not_yet_notes() {
        tracing::info!("{note}");
    }
    for w in &opts.unexpected {
        tracing::info!("Unexpected argument {w} ignored");
    }
    if let Err(e) = super::enter_namespace(&opts) {
        tracing::error!("{e}");
        tracing::info!("Stopped {}", cli::version_string());
        return ExitCode::from(EXIT_FATAL);
    }
    tracing::info!("Configuration file {}", opts.use_file.display());

    // The parent reads only what every process reads, and counts the blocks
    // of the children's parts to know which children to start.
    let mut config = super::load(&opts, Parts::GLOBAL);
    // global_defs net_namespace: like `-s`, which wins over it. The file is
    // read again inside the namespace, where its interfaces are checked.
    let config_ns = match (&opts.namespace, &config.config.global.net_namespace) {
        (None, Some(ns)) => Some(ns.value.clone()),
        _ => None,
    };
    if let Some(ns) = &config_ns {
        opts.namespace = Some(ns.clone());
        if let Err(e) = super::enter_namespace(&opts) {
            super::log_diagnostics(&config, None);
            tracing::error!("{e}");
            tracing::info!("Stopped {}", cli::version_string());
            return ExitCode::from(EXIT_FATAL);
        }
        config = super::load(&opts, Parts::GLOBAL);
    }
    super::log_diagnostics(&config, None);
    // keepalived opens syslog again with the namespace and instance in its ident.
    if opts.namespace.is_some() || config.config.global.instance.is_some() {
        let ident = crate::log::config_ident("Keepalived", opts.namespace.as_deref(), &config.config.global);
        tracing::info!("Changing syslog ident to {ident}");
        crate::log::set_ident(&ident);
    }
    if !config.runnable() {
        tracing::info!("Stopped {}", cli::version_string());
        return ExitCode::from(config.startup_exit_code());
    }
    if opts.dump_conf {
        for line in crate::config::dump_part(&config.config, None).lines() {
            tracing::info!("{line}");
        }
    }

    let global = &config.config.global;
    let pids = absolute_pids(PidPaths::new(
        &opts,
        global.instance.as_ref().map(|i| i.value.as_str()),
        global.use_pid_dir,
        opts.namespace.as_deref(),
    ));
    let needs = Needs::of(&config);
    // The children read the file themselves: free the parsed configuration
    // and give its memory back to the system.
    drop(config);
    sys::trim_heap();
    let running = [Some(&pids.main), wanted(&opts, &needs, ChildKind::Vrrp).then_some(&pids.vrrp)]
        .into_iter()
        .chain([
            wanted(&opts, &needs, ChildKind::Checker).then_some(&pids.checker),
            wanted(&opts, &needs, ChildKind::Bfd).then_some(&pids.bfd),
        ])
        .flatten()
        .any(|p| pidfile::held_by_live_process(p).is_some());
    if running {
        tracing::info!("daemon is already running");
        return ExitCode::SUCCESS;
    }

    // Children are started from "/" after daemonizing: give them absolute paths.
    let mut child_args: Vec<OsString> = argv.iter().skip(1).cloned().collect();
    opts.use_file = absolute(&opts.use_file);
    child_args.push(format!("--use-file={}", opts.use_file.display()).into());
    if let Some(dir) = &opts.start_dir {
        child_args.push(format!("--start-dir={}", dir.display()).into());
    }
    if let Some(ns) = &config_ns {
        child_args.push(format!("--namespace={ns}").into());
    }
    if let Some(f) = &opts.log_file {
        let f = absolute(f);
        child_args.push(format!("--log-file={}", f.display()).into());
        opts.log_file = Some(f);
    }

    if !opts.dont_fork
        && let Err(e) = daemonize()
    {
        tracing::error!("Unable to daemonize - {e}");
        return ExitCode::from(2);
    }
    if let Err(e) = pidfile::write(&pids.main, std::process::id()) {
        tracing::error!("Unable to write pidfile {} - {e}", pids.main.display());
        return ExitCode::from(1);
    }

    let mut handled = vec![
        libc::SIGHUP,
        libc::SIGTERM,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGCHLD,
        crate::signals::stats_clear(),
        crate::signals::json(),
    ];
    if !opts.ignore_sigint {
        handled.push(libc::SIGINT);
    }
    let set = match SignalSet::block(&handled) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("Unable to set up signal handling - {e}");
            pidfile::remove(&pids.main);
            return ExitCode::from(2);
        }
    };

    let argv0 = argv.first().cloned().unwrap_or_else(|| "keepalived".into());
    let mut sup = Supervisor { opts, child_args, argv0, pids, needs, slots: BTreeMap::new() };
    for kind in ChildKind::ALL {
        if wanted(&sup.opts, &sup.needs, kind) {
            sup.start(kind);
        }
    }
    notify("READY=1");
    tracing::info!("Startup complete");
    // What start-up ran (the parser's code above all) stays mapped until
    // dropped; the loop below wakes only for signals.
    sys::trim_heap();
    sup.run(&set)
}

/// What the parent keeps of a configuration: the children it needs and the
/// few global settings the parent itself acts on.
#[derive(Clone, Debug)]
struct Needs {
    vrrp: bool,
    checker: bool,
    bfd: bool,
    child_wait_time: std::time::Duration,
    state_file_location: Option<String>,
    data_use_instance: bool,
    instance: Option<String>,
    /// For keepalived_parent.data.
    globals: Box<crate::dump::global::OwnedGlobals>,
}

impl Needs {
    fn of(loaded: &Loaded) -> Needs {
        let c = &loaded.config;
        let g = &c.global;
        Needs {
            vrrp: c.needs_vrrp(),
            checker: c.needs_checker(),
            bfd: c.needs_bfd(),
            child_wait_time: g.child_wait_time,
            state_file_location: g.state_file_location.clone(),
            data_use_instance: g.data_use_instance,
            instance: g.instance.as_ref().map(|i| i.value.clone()),
            globals: Box::new(crate::dump::global::OwnedGlobals::of(c)),
        }
    }
}

/// Whether a child is to run: allowed by -P/-C/-B, and configured or `--all`.
fn wanted(opts: &Options, needs: &Needs, kind: ChildKind) -> bool {
    let (allowed, needed) = match kind {
        ChildKind::Vrrp => (!opts.check_only, needs.vrrp),
        ChildKind::Checker => (!opts.vrrp_only, needs.checker),
        ChildKind::Bfd => (!opts.no_bfd, needs.bfd),
    };
    allowed && (needed || opts.all)
}

impl Supervisor {
    /// Starts a child by re-executing ourselves with `--child=KIND`.
    fn start(&mut self, kind: ChildKind) {
        let spawned = Command::new("/proc/self/exe")
            .arg0(&self.argv0)
            .arg(format!("--child={}", kind.arg()))
            .args(&self.child_args)
            .arg(format!("--child-of={}", std::process::id()))
            .spawn();
        match spawned {
            Ok(child) => {
                let pid = child.id() as i32;
                // The child is reaped through waitpid in the loop, not through `child`.
                drop(child);
                tracing::info!("Starting {} child process, pid={pid}", kind.display());
                if let Err(e) = pidfile::write(self.pids.child(kind), pid as u32) {
                    tracing::error!("Unable to write pidfile {} - {e}", self.pids.child(kind).display());
                }
                let (quick_deaths, respawned) =
                    self.slots.get(&kind).map_or((0, false), |s| (s.quick_deaths, s.respawn_at.is_some()));
                let slot = Slot { pid: Some(pid), started: Instant::now(), respawn_at: None, quick_deaths, respawned };
                self.slots.insert(kind, slot);
            }
            Err(e) => {
                tracing::error!("Unable to start {} child process - {e}", kind.display());
                self.schedule_respawn(kind);
            }
        }
    }

    /// The supervision loop; returns when keepalived stops.
    fn run(&mut self, set: &SignalSet) -> ExitCode {
        loop {
            let now = Instant::now();
            let next = self.slots.values().filter_map(|s| s.respawn_at).min();
            let timeout = next.map_or(Duration::from_secs(3600), |t| t.saturating_duration_since(now));
            match set.wait(timeout) {
                Ok(Some(libc::SIGCHLD)) => {
                    if let Some(code) = self.reap() {
                        return self.stop(set, code);
                    }
                }
                Ok(Some(libc::SIGHUP)) => self.reload(),
                Ok(Some(libc::SIGTERM | libc::SIGINT)) => return self.stop(set, 0),
                Ok(Some(libc::SIGUSR1)) => {
                    self.forward(libc::SIGUSR1, &ChildKind::ALL);
                    self.dump_parent_data();
                }
                Ok(Some(sig)) => {
                    // USR2, STATS_CLEAR and JSON are only consumed by the VRRP process.
                    self.forward(sig, &[ChildKind::Vrrp]);
                }
                Ok(None) => self.respawn_due(),
                Err(e) => {
                    tracing::error!("Signal wait failed - {e}");
                    return self.stop(set, 2);
                }
            }
        }
    }

    fn forward(&self, sig: i32, kinds: &[ChildKind]) {
        for (kind, slot) in &self.slots {
            if let (true, Some(pid)) = (kinds.contains(kind), slot.pid) {
                let _ = sys::kill(pid, sig);
            }
        }
    }

    /// SIGUSR1 in the parent: its global definitions, in $TMPDIR (or /tmp)/keepalived_parent.data
    /// (or state_file_location, see [`crate::child::dump_path`]).
    fn dump_parent_data(&self) {
        tracing::info!("Printing parent data for process({}) on signal", std::process::id());
        let out = crate::dump::global::process_data(
            self.needs.globals.view(),
            crate::dump::global::Process::Parent,
            self.opts.namespace.as_deref(),
            self.opts.umask,
        );
        let g = &self.needs;
        let mut path = crate::child::dump_path(g.state_file_location.as_deref(), "keepalived_parent.data", "_parent");
        if g.data_use_instance {
            path = crate::child::with_instance(&path, self.opts.namespace.as_deref(), g.instance.as_deref());
        }
        let path = path.as_path();
        if let Err(e) = std::fs::write(path, out) {
            tracing::error!("Unable to write {} - {e}", path.display());
        }
    }

    /// Reaps exited children; `Some(status)` when keepalived must stop.
    fn reap(&mut self) -> Option<u8> {
        let mut stop = None;
        while let Some((pid, exit)) = sys::reap_any() {
            let Some(kind) = self.slots.iter().find(|(_, s)| s.pid == Some(pid)).map(|(k, _)| *k) else {
                continue;
            };
            pidfile::remove(self.pids.child(kind));
            let respawned = self.slots.get(&kind).is_some_and(|s| s.respawned);
            if let Some(slot) = self.slots.get_mut(&kind) {
                slot.pid = None;
            }
            match after_exit(exit, self.opts.dont_respawn, respawned) {
                AfterExit::Terminate(code, what) => {
                    tracing::info!("{} exited with permanent error {what}. Terminating", kind.ident());
                    stop = Some(code);
                }
                AfterExit::RetryConfig => {
                    // keepalived's children restart from the configuration the parent
                    // last loaded; ours re-read the file, which may have been broken
                    // since. Keep trying (with back-off) rather than stop everything.
                    tracing::info!(
                        "{} exited with permanent error CONFIG - the configuration file cannot be run now, \
                         will retry",
                        kind.ident()
                    );
                    if stop.is_none() {
                        self.schedule_respawn(kind);
                    }
                }
                AfterExit::Exit => {
                    report_exit(pid, exit);
                    tracing::info!("{} child process({pid}) died: Exiting", kind.display());
                    stop = stop.or(Some(0));
                }
                AfterExit::Respawn => {
                    report_exit(pid, exit);
                    if stop.is_none() {
                        tracing::info!("{} child process({pid}) died: Respawning", kind.display());
                        self.schedule_respawn(kind);
                    }
                }
            }
        }
        stop
    }

    /// Plans the restart of a dead child, slowing down when it keeps dying:
    /// the first death after a stable run restarts at once, then 1, 2, 4... s.
    fn schedule_respawn(&mut self, kind: ChildKind) {
        let now = Instant::now();
        let slot = self.slots.entry(kind).or_insert(Slot {
            pid: None,
            started: now,
            respawn_at: None,
            quick_deaths: 0,
            respawned: false,
        });
        if now.duration_since(slot.started) >= STABLE_RUN {
            slot.quick_deaths = 0;
        }
        slot.quick_deaths = slot.quick_deaths.saturating_add(1);
        let delay = respawn_delay(slot.quick_deaths);
        tracing::info!("Restart of {} process delayed {delay} seconds to limit respawn rate", kind.display());
        slot.respawn_at = Some(now + Duration::from_secs(delay));
    }

    fn respawn_due(&mut self) {
        let now = Instant::now();
        let due: Vec<ChildKind> = self
            .slots
            .iter()
            .filter(|(_, s)| s.pid.is_none() && s.respawn_at.is_some_and(|t| t <= now))
            .map(|(k, _)| *k)
            .collect();
        for kind in due {
            self.start(kind);
        }
    }

    /// SIGHUP: re-read the configuration and start children it newly needs.
    /// The running children are told first: each re-reads the file itself
    /// and keeps what it runs when the file cannot be run, so their parsing
    /// overlaps ours instead of waiting for it.
    fn reload(&mut self) {
        notify("RELOADING=1");
        tracing::info!("Reloading ...");
        let mut told = false;
        for kind in ChildKind::ALL {
            if let Some(pid) = self.slots.get(&kind).and_then(|s| s.pid) {
                let _ = sys::kill(pid, libc::SIGHUP);
                told = true;
            }
        }
        let loaded = super::load(&self.opts, Parts::GLOBAL);
        if !loaded.reloadable() {
            // A told child says why it keeps its configuration; say it once.
            if !told {
                super::log_diagnostics(&loaded, None);
            }
            tracing::error!("Reload failed: the new configuration has errors, keeping the running one");
            notify("READY=1");
            return;
        }
        super::log_diagnostics(&loaded, None);
        let blockers = crate::log::reload_blockers(
            &self.needs.globals.global,
            &loaded.config.global,
            self.opts.namespace.as_deref(),
        );
        if !blockers.is_empty() {
            // keepalived keeps running as it is (the children refuse too).
            for b in blockers {
                tracing::info!("{b}");
            }
            notify("READY=1");
            return;
        }
        self.needs = Needs::of(&loaded);
        drop(loaded);
        for kind in ChildKind::ALL {
            let live = self.slots.get(&kind).and_then(|s| s.pid);
            let pending = self.slots.get(&kind).is_some_and(|s| s.respawn_at.is_some());
            if live.is_none() && !pending && wanted(&self.opts, &self.needs, kind) {
                self.start(kind);
            }
        }
        sys::trim_heap();
        notify("READY=1");
    }

    /// Stops the children (TERM, then KILL after child_wait_time), removes the
    /// pid files and returns the exit status.
    fn stop(&mut self, set: &SignalSet, code: u8) -> ExitCode {
        tracing::info!("Stopping");
        notify("STOPPING=1");
        for slot in self.slots.values_mut() {
            slot.respawn_at = None;
            if let Some(pid) = slot.pid
                && sys::kill(pid, libc::SIGTERM).is_err()
            {
                slot.pid = None;
            }
        }
        self.wait_children(set, self.needs.child_wait_time);
        let stragglers: Vec<(ChildKind, i32)> = self.slots.iter().filter_map(|(k, s)| s.pid.map(|p| (*k, p))).collect();
        if !stragglers.is_empty() {
            for (kind, pid) in stragglers {
                tracing::info!("{} process failed to die - forcing termination", kind.short());
                let _ = sys::kill(pid, libc::SIGKILL);
            }
            self.wait_children(set, Duration::from_secs(1));
        }
        for kind in ChildKind::ALL {
            if self.slots.contains_key(&kind) {
                pidfile::remove(self.pids.child(kind));
            }
        }
        pidfile::remove(&self.pids.main);
        tracing::info!("Stopped");
        tracing::info!("Stopped {}", cli::version_string());
        ExitCode::from(code)
    }

    /// Reaps children until none is left or `limit` has passed.
    fn wait_children(&mut self, set: &SignalSet, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            while let Some((pid, exit)) = sys::reap_any() {
                if let Some(slot) = self.slots.values_mut().find(|s| s.pid == Some(pid)) {
                    report_exit(pid, exit);
                    slot.pid = None;
                }
            }
            let now = Instant::now();
            if self.slots.values().all(|s| s.pid.is_none()) || now >= deadline {
                return;
            }
            // Other signals (a second TERM) are consumed and ignored while stopping.
            let _ = set.wait(deadline - now);
        }
    }
}

/// Seconds to wait before a respawn after `quick_deaths` deaths in a row,
/// each after a short run: 0 for the first, then 1, 2, 4... up to a minute.
pub(crate) fn respawn_delay(quick_deaths: u32) -> u64 {
    match quick_deaths {
        0 | 1 => 0,
        n => 1u64.checked_shl(n - 2).unwrap_or(MAX_RESPAWN_DELAY).min(MAX_RESPAWN_DELAY),
    }
}

/// What the parent does when a child dies while keepalived is running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AfterExit {
    /// A permanent error: stop keepalived with this status ("CONFIG"/"FATAL").
    Terminate(u8, &'static str),
    /// A respawned child could not run the configuration file as it is now.
    RetryConfig,
    /// `-R`: stop keepalived normally.
    Exit,
    /// Start the child again.
    Respawn,
}

fn after_exit(exit: Exit, dont_respawn: bool, respawned: bool) -> AfterExit {
    match exit {
        Exit::Code(c) if c == i32::from(EXIT_CONFIG) && respawned && !dont_respawn => AfterExit::RetryConfig,
        // keepalived 2.2.7 exits 2 after either permanent error of a child.
        Exit::Code(c) if c == i32::from(EXIT_CONFIG) => AfterExit::Terminate(EXIT_FATAL, "CONFIG"),
        Exit::Code(c) if c == i32::from(EXIT_FATAL) => AfterExit::Terminate(EXIT_FATAL, "FATAL"),
        _ if dont_respawn => AfterExit::Exit,
        _ => AfterExit::Respawn,
    }
}

/// Logs how a child ended; a clean exit is not worth a line.
fn report_exit(pid: i32, exit: Exit) {
    match exit {
        Exit::Code(0) => {}
        Exit::Signal(sig) => {
            tracing::info!("pid {pid} exited due to signal {sig} ({})", crate::signals::description(sig))
        }
        Exit::Code(c) => tracing::info!("pid {pid} exited with status {c}"),
    }
}

/// fork, setsid, chdir /, stdio to /dev/null: the classic daemon start.
fn daemonize() -> std::io::Result<()> {
    match sys::fork()? {
        sys::Fork::Parent(_) => std::process::exit(0),
        sys::Fork::Child => {}
    }
    sys::setsid()?;
    std::env::set_current_dir("/")?;
    sys::stdio_to_devnull()
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        return p.to_path_buf();
    }
    std::env::current_dir().map(|d| d.join(p)).unwrap_or_else(|_| p.to_path_buf())
}

fn absolute_pids(p: PidPaths) -> PidPaths {
    PidPaths { main: absolute(&p.main), vrrp: absolute(&p.vrrp), checker: absolute(&p.checker), bfd: absolute(&p.bfd) }
}

/// `Linux 6.1.0 #1 SMP ...`, from /proc (uname without libc).
fn running_on() -> String {
    let f = |n: &str| std::fs::read_to_string(format!("/proc/sys/kernel/{n}")).unwrap_or_default().trim().to_owned();
    format!("{} {} {}", f("ostype"), f("osrelease"), f("version"))
}

/// The command line as keepalived logs it: each word in single quotes.
fn quoted(argv: &[OsString]) -> String {
    argv.iter().map(|a| format!("'{}'", a.to_string_lossy())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respawn_back_off() {
        let delays: Vec<u64> = (1..=10).map(respawn_delay).collect();
        assert_eq!(delays, [0, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(respawn_delay(200), 60);
    }

    #[test]
    fn what_follows_a_child_death() {
        assert_eq!(after_exit(Exit::Code(3), false, false), AfterExit::Terminate(2, "CONFIG"));
        assert_eq!(after_exit(Exit::Code(3), false, true), AfterExit::RetryConfig);
        assert_eq!(after_exit(Exit::Code(3), true, true), AfterExit::Terminate(2, "CONFIG"));
        assert_eq!(after_exit(Exit::Code(2), true, false), AfterExit::Terminate(2, "FATAL"));
        assert_eq!(after_exit(Exit::Code(2), false, true), AfterExit::Terminate(2, "FATAL"));
        assert_eq!(after_exit(Exit::Signal(libc::SIGKILL), false, false), AfterExit::Respawn);
        assert_eq!(after_exit(Exit::Code(101), false, true), AfterExit::Respawn);
        assert_eq!(after_exit(Exit::Code(0), false, false), AfterExit::Respawn);
        assert_eq!(after_exit(Exit::Signal(libc::SIGSEGV), true, false), AfterExit::Exit);
    }

    #[test]
    fn command_line_quoting() {
        let argv: Vec<OsString> = ["keepalived", "-n", "-f", "a b.conf"].iter().map(OsString::from).collect();
        assert_eq!(quoted(&argv), "'keepalived' '-n' '-f' 'a b.conf'");
    }
}
