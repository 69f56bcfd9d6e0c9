//! The child side of the process model, and the seam where each subsystem's
//! runtime plugs in.
//!
//! # The entry-point seam
//!
//! A subsystem runtime is an [`EntryPoint`]:
//!
//! ```text
//! pub fn run(ctx: ChildContext) -> LocalBoxFuture<'static, ChildExit>
//! ```
//!
//! The watchdog calls it inside a single-threaded tokio runtime
//! (`new_current_thread().enable_all()`, so `tokio::spawn`, `spawn_local`
//! inside a `LocalSet`, timers, sockets and netlink all work), after it has
//! set the process name, the parent-death signal, logging, and loaded a
//! runnable configuration. The runtime owns the loop: it awaits
//! [`ChildSignals::recv`] next to its own I/O, calls [`ChildContext::reload`]
//! on [`ChildSignal::Reload`], and returns [`ChildExit::Stopped`] after it has
//! cleaned up on [`ChildSignal::Stop`]. [`entry_point`] maps each
//! [`ChildKind`] to its runtime; until a subsystem's runtime exists its kind
//! maps to [`basic::run`], which keeps the configuration, answers every
//! signal, and says in the log that the protocol work is not implemented.
//!
//! Rules for a runtime:
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

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use futures_util::future::LocalBoxFuture;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::{ChildKind, sys};
use crate::cli::Options;
use crate::config::{self, Loaded};

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
pub const EXIT_FATAL: u8 = 2;
/// The exit status for a configuration that cannot be run; a child exiting
/// with it stops keepalived.
pub const EXIT_CONFIG: u8 = 3;

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
            stats_clear: signal(SignalKind::from_raw(super::signals::stats_clear()))?,
            json: signal(SignalKind::from_raw(super::signals::json()))?,
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
        let loaded = super::load(&self.options, self.kind.parts());
        super::log_diagnostics(&loaded, Some(self.kind.part()));
        if loaded.reloadable() {
            Some(loaded)
        } else {
            tracing::error!("Reload failed: the new configuration has errors, keeping the running one");
            None
        }
    }

    /// The directory of keepalived.data / .stats / .json (KA_TMP_DIR).
    pub fn tmp_dir(&self) -> PathBuf {
        PathBuf::from(TMP_DIR)
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

/// global_defs `data_use_instance`: `.NAMESPACE_INSTANCE` (either part
/// alone when the other is unset) goes before the extension of a .data file,
/// so that several keepalived on one machine do not overwrite each other's
/// (keepalived 2.2.7 writes `keepalived.blue_lb1.data`).
pub fn with_instance(path: &Path, namespace: Option<&str>, instance: Option<&str>) -> PathBuf {
    let tag: Vec<&str> = [namespace, instance].into_iter().flatten().filter(|s| !s.is_empty()).collect();
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return path.to_path_buf();
    };
    if tag.is_empty() {
        return path.to_path_buf();
    }
    let tag = tag.join("_");
    let new = match name.rfind('.').filter(|i| *i > 0) {
        Some(i) => format!("{}.{tag}{}", name.get(..i).unwrap_or(&name), name.get(i..).unwrap_or("")),
        None => format!("{name}.{tag}"),
    };
    path.with_file_name(new)
}

/// keepalived's KA_TMP_DIR: where dump files go by default.
pub const TMP_DIR: &str = "/tmp";

/// Where a dump file goes (keepalived.conf(5), `state_file_location` and
/// friends): without a location, `default_name` in the tmp dir; a location
/// ending in `/` is a directory for `default_name`; any other location is
/// the file itself, a template into which a process other than VRRP puts its
/// `suffix` (`_checker`, `_bfd`, `_parent`) before the extension.
pub fn dump_path(location: Option<&str>, default_name: &str, suffix: &str) -> PathBuf {
    let Some(loc) = location.filter(|l| !l.is_empty()) else {
        return PathBuf::from(TMP_DIR).join(default_name);
    };
    if loc.ends_with('/') {
        return PathBuf::from(loc).join(default_name);
    }
    if suffix.is_empty() {
        return PathBuf::from(loc);
    }
    let (dir, base) = match loc.rsplit_once('/') {
        Some((d, b)) => (Some(d), b),
        None => (None, loc),
    };
    // A leading dot (".data") is part of the name, not an extension.
    let name = match base.rfind('.').filter(|i| *i > 0) {
        Some(i) => format!("{}{suffix}{}", base.get(..i).unwrap_or(base), base.get(i..).unwrap_or("")),
        None => format!("{base}{suffix}"),
    };
    match dir {
        Some(d) => PathBuf::from(format!("{d}/{name}")),
        None => PathBuf::from(name),
    }
}

/// A subsystem runtime (see the module documentation).
pub type EntryPoint = fn(ChildContext) -> LocalBoxFuture<'static, ChildExit>;

/// The runtime of each child kind.
pub fn entry_point(kind: ChildKind) -> EntryPoint {
    match kind {
        ChildKind::Vrrp => crate::vrrp::runtime::run,
        ChildKind::Checker => crate::ipvs::runtime::run,
        ChildKind::Bfd => basic::run,
    }
}

/// Whether this child has anything to run: the parent starts only those it
/// needs, but `--all` starts the others too.
fn is_needed(kind: ChildKind, cfg: &config::model::Config) -> bool {
    match kind {
        ChildKind::Vrrp => cfg.needs_vrrp(),
        ChildKind::Checker => cfg.needs_checker(),
        ChildKind::Bfd => cfg.needs_bfd(),
    }
}

/// The child process: set-up, then the subsystem's entry point.
pub fn main(opts: Options, kind: ChildKind) -> ExitCode {
    // The parent's supervision signals arrive here still blocked (the mask
    // survives exec). They stay blocked until our handlers exist, so that an
    // early SIGHUP or SIGTERM waits instead of killing us with the default action.
    // A child must not outlive its parent: keepalived sets the parent-death
    // signal too. If the parent died before that, we were re-parented already.
    if sys::set_parent_death_signal(libc::SIGTERM).is_ok() && opts.child_of.is_some_and(|p| p != sys::getppid()) {
        return ExitCode::SUCCESS;
    }
    let _ = sys::set_process_name(kind.comm());
    crate::log::init(&super::log_options(&opts, Some(kind)));
    if opts.ignore_sigint {
        let _ = sys::ignore_signal(libc::SIGINT);
    }
    // Already there when started by our parent; harmless to enter again.
    if let Err(e) = super::enter_namespace(&opts) {
        tracing::error!("{e}");
        return ExitCode::from(EXIT_FATAL);
    }
    let loaded = super::load(&opts, kind.parts());
    // The parent has logged what is said of the common part.
    super::log_diagnostics(&loaded, Some(kind.part()));
    if opts.dump_conf {
        for line in crate::config::dump_part(&loaded.config, Some(kind.part())).lines() {
            tracing::info!("{line}");
        }
    }
    if !loaded.runnable() {
        tracing::error!("{} child process: the configuration cannot be run", kind.display());
        return ExitCode::from(EXIT_CONFIG);
    }
    // global_defs vrrp_process_name overrides the default name.
    if let (ChildKind::Vrrp, Some(name)) = (kind, loaded.config.vrrp.globals.process_name.as_deref()) {
        let _ = sys::set_process_name(name);
    }
    if !is_needed(kind, &loaded.config) && !opts.all {
        tracing::info!("No {} configuration to run", kind.display());
    }
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("Unable to start the {} event loop - {e}", kind.display());
            return ExitCode::from(EXIT_FATAL);
        }
    };
    let options = Arc::new(opts);
    let exit = rt.block_on(async move {
        let signals = match ChildSignals::new(options.ignore_sigint) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("Unable to set up signal handling - {e}");
                return ChildExit::Fatal;
            }
        };
        // Handlers are in place: let the signals (and any pending one) in.
        if let Err(e) = sys::unblock_all_signals() {
            tracing::error!("Unable to unblock signals - {e}");
            return ChildExit::Fatal;
        }
        let ctx = ChildContext { kind, options, config: loaded, signals };
        entry_point(kind)(ctx).await
    });
    ExitCode::from(exit.code())
}

/// The event loop of a child whose protocol runtime is not written yet: it
/// keeps its configuration, reloads it, dumps what it knows, and stops cleanly.
pub mod basic {
    use std::fmt::Write as _;
    use std::time::Instant;

    use super::*;

    /// What this loop counts, for the stats file.
    #[derive(Debug, Default)]
    struct Stats {
        reloads: u64,
        failed_reloads: u64,
    }

    /// The [`EntryPoint`] of a subsystem without a protocol runtime yet.
    pub fn run(ctx: ChildContext) -> LocalBoxFuture<'static, ChildExit> {
        Box::pin(run_loop(ctx))
    }

    async fn run_loop(mut ctx: ChildContext) -> ChildExit {
        let started = Instant::now();
        let mut stats = Stats::default();
        tracing::info!(
            "{} protocol work is not implemented in keepalived-rs yet: this process keeps the configuration \
             and answers signals only",
            ctx.kind.display()
        );
        loop {
            match ctx.signals.recv().await {
                ChildSignal::Stop => {
                    tracing::info!("Stopping");
                    return ChildExit::Stopped;
                }
                ChildSignal::Reload => match ctx.reload() {
                    Some(new) => {
                        ctx.config = new;
                        stats.reloads += 1;
                        tracing::info!("Reload complete");
                    }
                    None => stats.failed_reloads += 1,
                },
                ChildSignal::DumpData => {
                    tracing::info!("Printing {} data for process({}) on signal", name(ctx.kind), std::process::id());
                    write_dump(&ctx, "data", &config::dump(&ctx.config.config));
                }
                sig @ (ChildSignal::DumpStats | ChildSignal::DumpStatsClear) => {
                    let clear = sig == ChildSignal::DumpStatsClear;
                    tracing::info!(
                        "Printing {}{} stats for process({}) on signal",
                        if clear { "and clearing " } else { "" },
                        name(ctx.kind),
                        std::process::id()
                    );
                    let mut s = String::new();
                    let _ = writeln!(s, "{} process, pid {}", name(ctx.kind), std::process::id());
                    let _ = writeln!(s, "  Uptime: {} seconds", started.elapsed().as_secs());
                    let _ = writeln!(s, "  Configuration reloads: {}", stats.reloads);
                    let _ = writeln!(s, "  Failed reloads: {}", stats.failed_reloads);
                    let _ = writeln!(s, "  Protocol statistics: none (protocol runtime not implemented yet)");
                    write_dump(&ctx, "stats", &s);
                    if clear {
                        stats = Stats::default();
                    }
                }
                ChildSignal::DumpJson => {
                    tracing::info!("Printing {} as json for process({}) on signal", name(ctx.kind), std::process::id());
                    // No instance runs here, so the list of instances is empty.
                    write_dump(&ctx, "json", "[]\n");
                }
            }
        }
    }

    fn name(kind: ChildKind) -> &'static str {
        match kind {
            ChildKind::Vrrp => "VRRP",
            ChildKind::Checker => "checker",
            ChildKind::Bfd => "BFD",
        }
    }

    /// keepalived.EXT for VRRP, keepalived_check.EXT / keepalived_bfd.EXT for the others.
    fn write_dump(ctx: &ChildContext, ext: &str, text: &str) {
        let stem = match ctx.kind {
            ChildKind::Vrrp => "keepalived",
            ChildKind::Checker => "keepalived_check",
            ChildKind::Bfd => "keepalived_bfd",
        };
        let path = ctx.dump_path(&format!("{stem}.{ext}"));
        if let Err(e) = std::fs::write(&path, text) {
            tracing::error!("Unable to write {} - {e}", path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{dump_path, with_instance};
    use std::path::{Path, PathBuf};

    #[test]
    fn data_use_instance_names() {
        let p = Path::new("/tmp/keepalived.data");
        assert_eq!(with_instance(p, None, Some("kri")), PathBuf::from("/tmp/keepalived.kri.data"));
        assert_eq!(with_instance(p, Some("blue"), Some("kri")), PathBuf::from("/tmp/keepalived.blue_kri.data"));
        assert_eq!(with_instance(p, Some("blue"), None), PathBuf::from("/tmp/keepalived.blue.data"));
        assert_eq!(with_instance(p, None, None), PathBuf::from("/tmp/keepalived.data"));
        assert_eq!(with_instance(Path::new("/x/state"), None, Some("k")), PathBuf::from("/x/state.k"));
    }

    #[test]
    fn dump_file_locations() {
        let p = |l: Option<&str>, n: &str, s: &str| dump_path(l, n, s);
        assert_eq!(p(None, "keepalived.data", ""), PathBuf::from("/tmp/keepalived.data"));
        assert_eq!(p(Some("/var/run/ka/"), "keepalived.stats", ""), PathBuf::from("/var/run/ka/keepalived.stats"));
        assert_eq!(
            p(Some("/var/run/ka/"), "keepalived_check.data", "_checker"),
            PathBuf::from("/var/run/ka/keepalived_check.data")
        );
        assert_eq!(p(Some("/x/state.txt"), "keepalived.data", ""), PathBuf::from("/x/state.txt"));
        assert_eq!(p(Some("/x/state.txt"), "keepalived_check.data", "_checker"), PathBuf::from("/x/state_checker.txt"));
        assert_eq!(p(Some("/x.d/state"), "keepalived_parent.data", "_parent"), PathBuf::from("/x.d/state_parent"));
        assert_eq!(p(Some("/x/.state"), "keepalived_bfd.data", "_bfd"), PathBuf::from("/x/.state_bfd"));
        assert_eq!(p(Some("rel.data"), "keepalived_bfd.data", "_bfd"), PathBuf::from("rel_bfd.data"));
    }
}
