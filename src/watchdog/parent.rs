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
    /// global_defs `shutdown_script`, run once the children have ended.
    shutdown: Option<super::scripts::StartStop>,
    /// `reload_time_file`'s watch and the reload it schedules.
    monitor: Option<super::reload::ReloadMonitor>,
    /// The pipe the children say "configuration read" through.
    notices: Option<super::reload::ReadNotices>,
    /// A `reload_file` to remove once the children have read the configuration.
    pending_read: Option<PendingRead>,
    /// A running `reload_check_config` check.
    check: Option<CheckRun>,
    /// A SIGHUP that came while a check ran.
    reload_queued: bool,
    /// Reloads so far (`config_save_dir`'s file names).
    reloads: u32,
}

/// A `reload_file` waiting for the children to have read the configuration.
#[derive(Debug)]
struct PendingRead {
    path: PathBuf,
    waiting: usize,
    got: usize,
    /// Removed anyway then (a child that never says so).
    deadline: Instant,
}

/// How long the parent waits for its children to have read the
/// configuration before it removes the `reload_file` anyway.
const READ_WAIT: Duration = Duration::from_secs(10);

/// A `keepalived -t` checking a new configuration before a reload.
#[derive(Debug)]
struct CheckRun {
    pid: i32,
    log: String,
    reload_file: Option<PathBuf>,
    /// 0: running, 1: SIGTERM sent, 2: SIGKILL sent, 3: SIGKILL again.
    stage: u8,
    deadline: Instant,
}

/// The parent's main: returns the process exit status.
pub(crate) fn main(mut opts: Options, argv: Vec<OsString>) -> ExitCode {
    // keepalived's default umask (IXUSR | IRWXG | IRWXO) until the
    // configuration's, unless -u gave one.
    sys::umask(opts.umask.unwrap_or(crate::config::model::global::DEFAULT_UMASK));
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
    apply_globals(&opts, &config, None);
    let (startup, shutdown) = super::scripts::prepare(&config.config.global, true);

    let global = &config.config.global;
    let pids = absolute_pids(PidPaths::new(
        &opts,
        global.instance.as_ref().map(|i| i.value.as_str()),
        global.use_pid_dir,
        opts.namespace.as_deref(),
    ));
    let needs = Needs::of(&config, pids.main.parent().unwrap_or(Path::new("/run")));
    if let Some(dir) = &needs.config_save_dir {
        super::reload::save_config_copy(dir, &opts.use_file, &crate::child::preprocess_options(&opts), 0);
    }
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
    if needs.max_auto_priority == 0 {
        tracing::info!(
            "NOTICE: setting config option max_auto_priority should result in better keepalived performance"
        );
    }

    let mut handled = vec![
        libc::SIGHUP,
        libc::SIGTERM,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGCHLD,
        // reload_time_file's inotify and the children's notices are signal-driven.
        libc::SIGIO,
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
    // The startup script runs to its end (or timeout) before any child starts;
    // signals wait meanwhile.
    if let Some(s) = &startup {
        super::scripts::run(super::scripts::Which::Startup, s, opts.log_detail > 0);
    }
    let notices = match super::reload::ReadNotices::new() {
        Ok(n) => Some(n),
        Err(e) => {
            tracing::debug!("No configuration-read notices from the children - {e}");
            None
        }
    };
    let mut sup = Supervisor {
        opts,
        child_args,
        argv0,
        pids,
        needs,
        slots: BTreeMap::new(),
        shutdown,
        monitor: None,
        notices,
        pending_read: None,
        check: None,
        reload_queued: false,
        reloads: 0,
    };
    let mut started = 0;
    for kind in ChildKind::ALL {
        if wanted(&sup.opts, &sup.needs, kind) {
            sup.start(kind);
            started += 1;
        }
    }
    // An existing reload_file goes once the configuration has been read.
    if let Some(path) = sup.needs.reload_file.clone() {
        sup.wait_for_reads(path, started);
    }
    sup.start_monitor();
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
    /// `max_auto_priority` (0: unset; -1 silences the start-up notice).
    max_auto_priority: i32,
    /// `process_name`: the parent's own name.
    process_name: Option<String>,
    /// `reload_check_config [LOG_FILE]`.
    reload_check_config: Option<String>,
    /// `reload_time_file` and `reload_repeat`.
    reload_time_file: Option<String>,
    reload_repeat: bool,
    /// `reload_file`, resolved.
    reload_file: Option<PathBuf>,
    /// `config_save_dir`.
    config_save_dir: Option<String>,
    /// For keepalived_parent.data.
    globals: Box<crate::dump::global::OwnedGlobals>,
}

impl Needs {
    fn of(loaded: &Loaded, pid_dir: &Path) -> Needs {
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
            max_auto_priority: c.vrrp.globals.max_auto_priority.unwrap_or(0),
            process_name: g.process_names.parent.clone(),
            reload_check_config: g.reload_check_config.clone(),
            reload_time_file: g.reload_time_file.as_ref().map(|f| f.value.clone()),
            reload_repeat: g.reload_repeat,
            reload_file: super::reload::reload_file_path(g.reload_file.as_ref(), pid_dir),
            config_save_dir: g.config_save_dir.as_ref().map(|d| d.value.clone()),
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
            .args(self.notices.as_ref().map(|n| format!("--config-read-fd={}", n.child_fd())))
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
            let timeout = self.next_timeout();
            match set.wait(timeout) {
                Ok(Some(libc::SIGCHLD)) => {
                    if let Some(code) = self.reap() {
                        return self.stop(set, code);
                    }
                    self.reap_check();
                }
                Ok(Some(libc::SIGHUP)) => self.request_reload(),
                Ok(Some(libc::SIGIO)) => self.on_sigio(),
                Ok(Some(libc::SIGTERM | libc::SIGINT)) => return self.stop(set, 0),
                Ok(Some(libc::SIGUSR1)) => {
                    self.forward(libc::SIGUSR1, &ChildKind::ALL);
                    self.dump_parent_data();
                }
                Ok(Some(sig)) => {
                    // USR2, STATS_CLEAR and JSON are only consumed by the VRRP process.
                    self.forward(sig, &[ChildKind::Vrrp]);
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::error!("Signal wait failed - {e}");
                    return self.stop(set, 2);
                }
            }
            self.on_tick();
        }
    }

    /// How long the loop may sleep: until the next respawn, check step,
    /// reload_file deadline or scheduled reload.
    fn next_timeout(&self) -> Duration {
        let now = Instant::now();
        let due = self
            .slots
            .values()
            .filter_map(|s| s.respawn_at)
            .chain(self.check.as_ref().map(|c| c.deadline))
            .chain(self.pending_read.as_ref().map(|p| p.deadline))
            .min();
        let mut timeout = due.map_or(Duration::from_secs(3600), |t| t.saturating_duration_since(now));
        if let Some(at) = self.monitor.as_ref().and_then(super::reload::ReloadMonitor::due_at) {
            let left = at.duration_since(std::time::SystemTime::now()).unwrap_or(Duration::ZERO);
            // Wall-clock time: look again at least each minute (clock changes).
            timeout = timeout.min(left).min(Duration::from_secs(60));
        }
        timeout
    }

    /// Whatever is due now.
    fn on_tick(&mut self) {
        self.respawn_due();
        let now = Instant::now();
        if self.pending_read.as_ref().is_some_and(|p| p.deadline <= now)
            && let Some(p) = self.pending_read.take()
        {
            super::reload::remove_reload_file(&p.path);
        }
        if self.check.as_ref().is_some_and(|c| c.deadline <= now) {
            self.check_timed_out(now);
        }
        let due = self.monitor.as_ref().and_then(super::reload::ReloadMonitor::due_at);
        if due.is_some_and(|at| at <= std::time::SystemTime::now())
            && let Some(m) = self.monitor.take()
        {
            m.fire(self.needs.reload_repeat);
            self.request_reload();
        }
    }

    /// SIGIO: the reload timer file changed, or children have read the configuration.
    fn on_sigio(&mut self) {
        if let Some(m) = self.monitor.as_mut()
            && !m.on_events()
        {
            self.monitor = None;
        }
        let got = self.notices.as_ref().map_or(0, super::reload::ReadNotices::drain);
        if let Some(p) = self.pending_read.as_mut() {
            p.got += got;
            if p.got >= p.waiting {
                super::reload::remove_reload_file(&p.path);
                self.pending_read = None;
            }
        }
    }

    /// The directory of the main pid file (where keepalived.reload goes).
    fn pid_dir(&self) -> &Path {
        self.pids.main.parent().unwrap_or(Path::new("/run"))
    }

    /// Removes `path` once `children` children have read the configuration.
    fn wait_for_reads(&mut self, path: PathBuf, children: usize) {
        if children == 0 || self.notices.is_none() {
            super::reload::remove_reload_file(&path);
            return;
        }
        self.pending_read = Some(PendingRead { path, waiting: children, got: 0, deadline: Instant::now() + READ_WAIT });
    }

    /// (Re)starts watching `reload_time_file`.
    fn start_monitor(&mut self) {
        if let Some(m) = self.monitor.take() {
            m.stop(false);
        }
        if let Some(f) = self.needs.reload_time_file.clone() {
            self.monitor = super::reload::ReloadMonitor::start(&f);
        }
    }

    /// SIGHUP (or a scheduled reload): check the new configuration first
    /// when `reload_check_config` asks for it, else reload now.
    fn request_reload(&mut self) {
        if self.check.is_some() {
            self.reload_queued = true;
            return;
        }
        let Some(log) = self.needs.reload_check_config.clone() else {
            self.reload(false);
            return;
        };
        if self.opts.log_detail > 0 {
            tracing::info!("validate conf before Reload");
        }
        let reload_file = self.needs.reload_file.clone();
        if let Some(f) = &reload_file {
            super::reload::create_reload_file(f);
        }
        match super::reload::spawn_check(&self.argv0, &self.child_args, &log) {
            Some(pid) => {
                let deadline = Instant::now() + super::reload::CHECK_TIMEOUT;
                self.check = Some(CheckRun { pid, log, reload_file, stage: 0, deadline });
            }
            None => {
                if let Some(f) = &reload_file {
                    super::reload::remove_reload_file(f);
                }
            }
        }
    }

    /// The configuration check ended: reload when it passed.
    fn reap_check(&mut self) {
        let Some(exit) = self.check.as_ref().and_then(|c| sys::reap_pid(c.pid)) else { return };
        let Some(c) = self.check.take() else { return };
        // It has read the configuration files.
        if let Some(f) = &c.reload_file {
            super::reload::remove_reload_file(f);
        }
        match exit {
            Exit::Code(0) => self.reload(true),
            Exit::Code(_) => tracing::info!("New config failed validation, see {} for details", c.log),
            Exit::Signal(_) => report_exit(c.pid, exit),
        }
        if std::mem::take(&mut self.reload_queued) {
            self.request_reload();
        }
    }

    /// The check ran past its time: SIGTERM, SIGKILL 2 s later, then give up.
    fn check_timed_out(&mut self, now: Instant) {
        let Some(c) = self.check.as_mut() else { return };
        let (sig, wait) = match c.stage {
            0 => {
                tracing::info!("config check timed out");
                (libc::SIGTERM, Duration::from_secs(2))
            }
            1 => (libc::SIGKILL, Duration::from_secs(2)),
            2 => {
                tracing::info!("config check (PID {}) failed to terminate after kill", c.pid);
                (libc::SIGKILL, Duration::from_secs(10))
            }
            _ => {
                self.check = None;
                return;
            }
        };
        let _ = sys::kill_process_group(c.pid as u32, sig);
        c.stage += 1;
        c.deadline = now + wait;
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
        // Only our own children: waitpid(-1) would also take the statuses of
        // the scripts the parent runs (startup/shutdown, config check).
        let ended: Vec<(ChildKind, i32, Exit)> = self
            .slots
            .iter()
            .filter_map(|(k, s)| s.pid.and_then(|pid| sys::reap_pid(pid).map(|e| (*k, pid, e))))
            .collect();
        for (kind, pid, exit) in ended {
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
    /// `checked`: a configuration check has just read the files (and
    /// handled the reload_file).
    fn reload(&mut self, checked: bool) {
        notify("RELOADING=1");
        tracing::info!("Reloading ...");
        if let Some(m) = self.monitor.take() {
            m.stop(false);
        }
        let reload_file = self.needs.reload_file.clone().filter(|_| !checked);
        if let Some(f) = &reload_file {
            super::reload::create_reload_file(f);
        }
        // Notices of earlier reads do not count for this one.
        if let Some(n) = &self.notices {
            n.drain();
        }
        self.pending_read = None;
        let mut told = 0;
        for kind in ChildKind::ALL {
            if let Some(pid) = self.slots.get(&kind).and_then(|s| s.pid) {
                let _ = sys::kill(pid, libc::SIGHUP);
                told += 1;
            }
        }
        let loaded = super::load(&self.opts, Parts::GLOBAL);
        self.reloads += 1;
        if let Some(dir) = &loaded.config.global.config_save_dir {
            let pre = crate::child::preprocess_options(&self.opts);
            super::reload::save_config_copy(&dir.value, &self.opts.use_file, &pre, self.reloads);
        }
        // The new configuration's reload_file goes once every process has read it.
        let new_file = super::reload::reload_file_path(loaded.config.global.reload_file.as_ref(), self.pid_dir());
        if let Some(f) = new_file.filter(|_| !checked) {
            self.wait_for_reads(f, told);
        }
        if !loaded.reloadable() {
            // A told child says why it keeps its configuration; say it once.
            if told == 0 {
                super::log_diagnostics(&loaded, None);
            }
            tracing::error!("Reload failed: the new configuration has errors, keeping the running one");
            self.start_monitor();
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
            self.start_monitor();
            notify("READY=1");
            return;
        }
        apply_globals(&self.opts, &loaded, self.needs.process_name.as_deref());
        self.shutdown = super::scripts::prepare(&loaded.config.global, false).1;
        self.needs = Needs::of(&loaded, self.pid_dir());
        drop(loaded);
        for kind in ChildKind::ALL {
            let live = self.slots.get(&kind).and_then(|s| s.pid);
            let pending = self.slots.get(&kind).is_some_and(|s| s.respawn_at.is_some());
            if live.is_none() && !pending && wanted(&self.opts, &self.needs, kind) {
                self.start(kind);
            }
        }
        self.start_monitor();
        sys::trim_heap();
        notify("READY=1");
    }

    /// Stops the children (TERM, then KILL after child_wait_time), removes the
    /// pid files and returns the exit status.
    fn stop(&mut self, set: &SignalSet, code: u8) -> ExitCode {
        tracing::info!("Stopping");
        notify("STOPPING=1");
        if let Some(m) = self.monitor.take() {
            m.stop(false);
        }
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
        if let Some(script) = self.shutdown.take() {
            super::scripts::run(super::scripts::Which::Shutdown, &script, self.opts.log_detail > 0);
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
            for slot in self.slots.values_mut() {
                if let Some(pid) = slot.pid
                    && let Some(exit) = sys::reap_pid(pid)
                {
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

/// What the parent itself takes from a configuration it has read (at
/// start-up, and at each reload with the name it had): its umask, unless
/// `-u` gave one, and its name (`process_name`).
fn apply_globals(opts: &Options, loaded: &Loaded, old_name: Option<&str>) {
    let g = &loaded.config.global;
    let umask_written = g.umask.span != crate::config::ast::Span::default();
    if opts.umask.is_some() {
        if umask_written {
            tracing::info!("umask command line option specified, ignoring config option");
        }
    } else {
        sys::umask(g.umask.value);
    }
    let name = g.process_names.parent.as_deref();
    if name != old_name {
        let _ = sys::set_process_name(name.unwrap_or(PARENT_COMM));
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
