//! The seam between the supervisor and a subsystem: what a child process's
//! runtime is given and what it returns. A leaf: it knows no subsystem
//! (vrrp, check, ipvs, bfd) and nothing of the supervisor (`watchdog`).
//!
//! # The entry-point seam
//!
//! A subsystem runtime is an [`EntryPoint`]:
//!
//! ```text
//! pub fn run(ctx: ChildContext) -> LocalBoxFuture<'static, ChildExit>
//! ```
//!
//! The binary hands the supervisor a table [`ChildKind`] -> [`EntryPoint`]
//! ([`Subsystems`], see `crate::daemon`); the supervisor calls the entry
//! point inside a single-threaded tokio runtime
//! (`new_current_thread().enable_all()`, so `tokio::spawn`, `spawn_local`
//! inside a `LocalSet`, timers, sockets and netlink all work), after it has
//! set the process name, the parent-death signal, logging, and loaded a
//! runnable configuration. The runtime owns the loop: it awaits
//! [`ChildSignals::recv`] next to its own I/O, calls [`ChildContext::reload`]
//! on [`ChildSignal::Reload`], and returns [`ChildExit::Stopped`] after it has
//! cleaned up on [`ChildSignal::Stop`]. Until a subsystem's runtime exists
//! its kind runs [`basic::run`], which keeps the configuration, answers every
//! signal, and says in the log that the protocol work is not implemented.
//!
//! Rules for a runtime:
//! - Import this module, never `watchdog`: the supervisor is handed the
//!   runtimes, it is not called by them (tests/architecture.rs checks it).
//! - Do not install handlers for HUP/TERM/INT/USR1/USR2/SIGJSON/SIGSTATS_CLEAR:
//!   [`ChildSignals`] owns them (they stay blocked until it exists, so none is lost).
//! - [`ChildSignal::DumpData`] / `DumpStats` / `DumpStatsClear` / `DumpJson` ask
//!   for `keepalived.data` / `.stats` / `.json`: write them where
//!   [`ChildContext::dump_path`] says (the tmp dir unless the configuration
//!   names a location).
//! - Return [`ChildExit::Config`] when the configuration cannot be run and
//!   [`ChildExit::Fatal`] for an error a restart would not fix: at start-up
//!   the parent then stops keepalived ("... exited with permanent error").
//!   Any other end (panic, signal) is respawned unless `-R`.
//! - Command-line switches are in [`ChildContext::options`] (`dont_release_vrrp`,
//!   `release_vips`, `dont_release_ipvs`, `log_detail`, `address_monitoring`...).
//! - Time comes from [`crate::clock`], so that a test can run the runtime on
//!   tokio's paused clock.

pub(crate) mod basic;
mod paths;
pub(crate) mod sched;

pub(crate) use paths::{dump_path, with_instance};

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::cli::Options;
use crate::config::Loaded;

/// The child processes keepalived runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChildKind {
    Vrrp,
    Checker,
    Bfd,
}

impl ChildKind {
    /// All kinds, in the order the parent starts them.
    pub const ALL: [ChildKind; 3] = [ChildKind::Checker, ChildKind::Vrrp, ChildKind::Bfd];

    /// The value of the internal `--child=` option.
    pub fn arg(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "vrrp",
            ChildKind::Checker => "checker",
            ChildKind::Bfd => "bfd",
        }
    }

    /// Parses the internal `--child=` value.
    pub(crate) fn from_arg(s: &str) -> Option<Self> {
        ChildKind::ALL.into_iter().find(|k| k.arg() == s)
    }

    /// The name in keepalived's log lines ("Starting VRRP child process, pid=N").
    pub fn display(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "VRRP",
            ChildKind::Checker => "Healthcheck",
            ChildKind::Bfd => "BFD",
        }
    }

    /// The lower-case name in "vrrp process failed to die".
    pub fn short(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "vrrp",
            ChildKind::Checker => "checker",
            ChildKind::Bfd => "bfd",
        }
    }

    /// The process name (`/proc/PID/comm`), keepalived's `process_names` defaults.
    pub fn comm(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "keepalived_vrrp",
            ChildKind::Checker => "keepalived_ipvs",
            ChildKind::Bfd => "keepalived_bfd",
        }
    }

    /// The syslog ident before any namespace/instance suffix.
    pub fn ident(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "Keepalived_vrrp",
            ChildKind::Checker => "Keepalived_healthcheckers",
            ChildKind::Bfd => "Keepalived_bfd",
        }
    }

    /// The parts of the configuration this child reads.
    pub fn parts(self) -> crate::config::model::Parts {
        use crate::config::model::Parts;
        match self {
            ChildKind::Vrrp => Parts::VRRP,
            ChildKind::Checker => Parts::CHECKER,
            ChildKind::Bfd => Parts::BFD,
        }
    }

    /// The part of the configuration this child runs: its diagnostics are
    /// this child's to log.
    pub fn part(self) -> crate::config::model::Part {
        use crate::config::model::Part;
        match self {
            ChildKind::Vrrp => Part::Vrrp,
            ChildKind::Checker => Part::Lvs,
            ChildKind::Bfd => Part::Bfd,
        }
    }

    /// What `-g FILE` inserts before the file's extension for this process.
    pub(crate) fn log_suffix(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "vrrp",
            ChildKind::Checker => "healthcheckers",
            ChildKind::Bfd => "bfd",
        }
    }
}

/// How a subsystem runtime ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildExit {
    /// Stopped on request (SIGTERM): exit status 0.
    Stopped,
    /// A problem that a restart would not fix (the parent stops keepalived).
    Fatal,
    /// The configuration cannot be run (the parent stops keepalived).
    Config,
}

/// The exit status for a permanent fatal error ("cannot initialise subsystems"
/// in keepalived(8)); a child exiting with it stops keepalived.
pub(crate) const EXIT_FATAL: u8 = 2;
/// The exit status for a configuration that cannot be run; a child exiting
/// with it stops keepalived.
pub(crate) const EXIT_CONFIG: u8 = 3;

impl ChildExit {
    /// The process exit status.
    pub fn code(self) -> u8 {
        match self {
            ChildExit::Stopped => 0,
            ChildExit::Fatal => EXIT_FATAL,
            ChildExit::Config => EXIT_CONFIG,
        }
    }
}

/// A request delivered to a child by signal (normally forwarded by the parent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChildSignal {
    /// SIGHUP: re-read the configuration.
    Reload,
    /// SIGTERM (or SIGINT without `--ignore-sigint`): clean up and return.
    Stop,
    /// SIGUSR1: write `keepalived.data` (state_dump_file).
    DumpData,
    /// SIGUSR2: write `keepalived.stats` (stats_dump_file).
    DumpStats,
    /// SIGSTATS_CLEAR: write the stats, then clear the counters.
    DumpStatsClear,
    /// SIGJSON: write `keepalived.json` (json_dump_file).
    DumpJson,
}

/// The signal streams of a child. Create it inside the runtime.
pub struct ChildSignals {
    hup: Signal,
    term: Signal,
    int: Option<Signal>,
    usr1: Signal,
    usr2: Signal,
    stats_clear: Signal,
    json: Signal,
}

impl ChildSignals {
    /// Installs the handlers. Must run inside a tokio runtime.
    pub fn new(ignore_sigint: bool) -> std::io::Result<Self> {
        Ok(ChildSignals {
            hup: signal(SignalKind::hangup())?,
            term: signal(SignalKind::terminate())?,
            int: if ignore_sigint { None } else { Some(signal(SignalKind::interrupt())?) },
            usr1: signal(SignalKind::user_defined1())?,
            usr2: signal(SignalKind::user_defined2())?,
            stats_clear: signal(SignalKind::from_raw(crate::signals::stats_clear()))?,
            json: signal(SignalKind::from_raw(crate::signals::json()))?,
        })
    }

    /// The next request. Cancel-safe: use it in `tokio::select!`.
    pub async fn recv(&mut self) -> ChildSignal {
        let int = async {
            match self.int.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.term.recv() => ChildSignal::Stop,
            _ = int => ChildSignal::Stop,
            _ = self.hup.recv() => ChildSignal::Reload,
            _ = self.usr1.recv() => ChildSignal::DumpData,
            _ = self.usr2.recv() => ChildSignal::DumpStats,
            _ = self.stats_clear.recv() => ChildSignal::DumpStatsClear,
            _ = self.json.recv() => ChildSignal::DumpJson,
        }
    }
}

/// Everything a subsystem runtime is given.
pub struct ChildContext {
    /// Which child this is.
    pub kind: ChildKind,
    /// The command line (e.g. `dont_release_vrrp`, `release_vips`, `log_detail`).
    pub options: Arc<Options>,
    /// The configuration, already loaded, logged and runnable.
    pub config: Loaded,
    /// Signals forwarded by the parent.
    pub signals: ChildSignals,
}

impl ChildContext {
    /// Re-reads the configuration file, logging its diagnostics. `None` when
    /// the new configuration cannot be run: keep the running one.
    pub fn reload(&self) -> Option<Loaded> {
        tracing::info!("Reloading");
        // The parent logs what is said of the common part, we of ours.
        let loaded = load(&self.options, self.kind.parts());
        config_read(&self.options);
        log_diagnostics(&loaded, Some(self.kind.part()));
        let blockers = crate::log::reload_blockers(
            &self.config.config.global,
            &loaded.config.global,
            self.options.namespace.as_deref(),
        );
        if !blockers.is_empty() {
            // The parent says why, in keepalived's words ("Cannot change ...").
            tracing::debug!("Configuration unchanged: the new one needs a restart");
            None
        } else if loaded.reloadable() {
            // keepalived's children set their umask and scheduling again as they reload.
            sched::apply_umask(&self.options, &loaded.config.global);
            sched::apply_config(self.kind, &loaded.config);
            Some(loaded)
        } else {
            tracing::error!("Reload failed: the new configuration has errors, keeping the running one");
            None
        }
    }

    /// Where to write the dump file whose default name is `default_name`
    /// (`keepalived.data`, `keepalived.stats`, `keepalived.json`,
    /// `keepalived_check.data`...): global_defs `state_file_location`,
    /// `stats_file_location` or `json_file_location` by its extension, else
    /// the tmp dir. See [`dump_path`].
    pub fn dump_path(&self, default_name: &str) -> PathBuf {
        let g = &self.config.config.global;
        let location = match default_name.rsplit_once('.').map(|(_, ext)| ext) {
            Some("data") => g.state_file_location.as_deref(),
            Some("stats") => g.stats_file_location.as_deref(),
            Some("json") => g.json_file_location.as_deref(),
            _ => None,
        };
        let suffix = match self.kind {
            ChildKind::Vrrp => "",
            ChildKind::Checker => "_checker",
            ChildKind::Bfd => "_bfd",
        };
        let path = dump_path(location, default_name, suffix);
        if g.data_use_instance && default_name.ends_with(".data") {
            let instance = g.instance.as_ref().map(|i| i.value.as_str());
            with_instance(&path, self.options.namespace.as_deref(), instance)
        } else {
            path
        }
    }
}

/// A subsystem runtime (see the module documentation).
pub type EntryPoint = fn(ChildContext) -> LocalBoxFuture<'static, ChildExit>;

/// The table the supervisor is handed: the runtime of each child kind. A
/// kind missing from it cannot be started (its child exits with
/// [`ChildExit::Fatal`]).
pub type Subsystems = [(ChildKind, EntryPoint)];

/// The entry point of `kind` in `table`.
pub(crate) fn entry_point(table: &Subsystems, kind: ChildKind) -> Option<EntryPoint> {
    table.iter().find(|(k, _)| *k == kind).map(|(_, e)| *e)
}

/// The preprocessor options for this command line: `-i` (or the host name),
/// `-e`, the environment, and the directory keepalived was started from
/// (kept across daemonizing, so that parent and children agree on `${_PWD}`).
pub fn preprocess_options(opts: &Options) -> crate::config::preprocess::Options {
    let mut o = crate::config::preprocess::Options::from_system(opts.config_id.clone(), opts.all_config);
    if let Some(dir) = &opts.start_dir {
        o.cwd = Some(dir.clone());
    }
    o
}

/// Tells the parent this child has read the configuration files (for
/// `reload_file`, which the parent removes once every child has).
pub(crate) fn config_read(opts: &Options) {
    if let Some(fd) = opts.config_read_fd {
        let _ = crate::sys::notify_fd(fd);
    }
}

/// Loads the configuration named on the command line, reading `parts` of it
/// (see [`crate::config::load_parts`]).
pub(crate) fn load(opts: &Options, parts: crate::config::model::Parts) -> crate::config::Loaded {
    crate::config::load_parts(
        &opts.use_file,
        &preprocess_options(opts),
        &crate::config::validate::SystemView::probe(),
        parts,
    )
}

/// Logs the diagnostics of a load that belong to `part` (`None`: the part
/// every process reads), one line each as keepalived logs them
/// (`(FILE: Line N) message`); the caret display is for `-t`. The parent
/// logs the common part and each child its own, as each reads them.
pub(crate) fn log_diagnostics(loaded: &crate::config::Loaded, part: Option<crate::config::model::Part>) {
    use crate::config::error::Severity;
    for d in loaded.diags.iter().filter(|d| d.part == part) {
        let mut line = loaded.sources.headline(d);
        if let Some(help) = &d.help {
            line.push_str(" - ");
            line.push_str(help);
        }
        match d.severity {
            Severity::Fatal | Severity::Error => tracing::error!("{line}"),
            Severity::Warning => tracing::warn!("{line}"),
            Severity::Note => tracing::info!("{line}"),
        }
    }
}
