//! The process model: a parent that supervises one child process per
//! subsystem (VRRP, health checkers, BFD), as keepalived does.
//!
//! - [`parent`]: runs before any tokio runtime exists; daemonizes, writes pid
//!   files, starts the children by re-executing itself with `--child=KIND`,
//!   forwards signals, respawns children, stops them on SIGTERM.
//! - [`child`]: the child side and the entry-point seam each subsystem plugs
//!   into (see [`child::EntryPoint`]).
//! - [`pidfile`], [`notify`] (systemd), [`signals`] (signal numbers).
//! - `sys`: the only `unsafe` (fork, setsid, prctl, signal masks, waitpid).

pub mod child;
pub mod notify;
pub mod parent;
pub mod pidfile;
pub mod signals;
pub(crate) mod sys;

use std::process::ExitCode;

use crate::cli::Options;

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
    pub fn from_arg(s: &str) -> Option<Self> {
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
    pub fn log_suffix(self) -> &'static str {
        match self {
            ChildKind::Vrrp => "vrrp",
            ChildKind::Checker => "healthcheckers",
            ChildKind::Bfd => "bfd",
        }
    }
}

/// The process name of the parent.
pub const PARENT_COMM: &str = "keepalived";

/// Runs the daemon: the parent, or a child when `--child=KIND` is given.
pub fn main(opts: Options, argv: Vec<std::ffi::OsString>) -> ExitCode {
    match opts.child.as_deref() {
        Some(k) => match ChildKind::from_arg(k) {
            Some(kind) => child::main(opts, kind),
            None => {
                eprintln!("Unknown child process kind {k}");
                ExitCode::from(1)
            }
        },
        None => parent::main(opts, argv),
    }
}

/// Where `ip netns` keeps named network namespaces.
pub const NETNS_DIR: &str = "/run/netns";

/// `-s/--namespace NAME`: moves this process into the named network
/// namespace (created beforehand, e.g. with `ip netns add NAME`) and into a
/// mount namespace of its own whose /sys shows that network namespace.
/// Children inherit both. keepalived also bind-mounts its pid directory
/// there; we write the pid files where that makes them visible instead (see
/// [`pidfile::PidPaths::new`]).
pub fn enter_namespace(opts: &Options) -> Result<(), String> {
    let Some(name) = opts.namespace.as_deref() else { return Ok(()) };
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(format!("Invalid network namespace name '{name}'"));
    }
    let path = std::path::Path::new(NETNS_DIR).join(name);
    sys::enter_netns(&path).map_err(|e| {
        format!(
            "Unable to enter network namespace {name} ({}) - {}",
            path.display(),
            crate::config::error::io_reason(&e)
        )
    })?;
    sys::private_sysfs().map_err(|e| format!("Unable to set up a mount namespace for {name} - {e}"))
}

/// The log options of a process, from the command line.
pub fn log_options(opts: &Options, kind: Option<ChildKind>) -> crate::log::LogOptions {
    let base = kind.map_or("Keepalived", ChildKind::ident);
    crate::log::LogOptions {
        ident: crate::log::ident(base, opts.namespace.as_deref(), None),
        facility: opts.log_facility.map_or(3, |f| f.code()),
        syslog: !opts.no_syslog && opts.config_test.is_none(),
        console: opts.log_console,
        file: opts.log_file_for(kind.map(ChildKind::log_suffix)),
        flush_file: opts.flush_log_file,
        detail: opts.log_detail,
    }
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

/// Loads the configuration named on the command line, reading `parts` of it
/// (see [`crate::config::load_parts`]).
pub fn load(opts: &Options, parts: crate::config::model::Parts) -> crate::config::Loaded {
    crate::config::load_parts(
        &opts.use_file,
        &preprocess_options(opts),
        &crate::config::validate::SystemView::probe(),
        parts,
    )
}

/// `-t/--config-test[=FILE]`: checks the configuration, writes every
/// diagnostic to stderr (or FILE) and returns keepalived's `-t` exit status.
pub fn config_test(opts: &Options) -> ExitCode {
    use std::io::Write;
    // Interfaces are checked in the namespace keepalived would run in.
    if let Err(e) = enter_namespace(opts) {
        eprintln!("{e}");
        return ExitCode::from(child::EXIT_FATAL);
    }
    let mut loaded = load(opts, crate::config::model::Parts::ALL);
    // global_defs net_namespace (without -s): check the interfaces where the
    // daemon would run. When that namespace cannot be entered (not there yet,
    // not root), leave interfaces unchecked, as keepalived 2.2.7's -t does.
    if opts.namespace.is_none()
        && let Some(ns) = loaded.config.global.net_namespace.as_ref().map(|n| n.value.clone())
    {
        let in_ns = Options { namespace: Some(ns), ..opts.clone() };
        let system = match enter_namespace(&in_ns) {
            Ok(()) => crate::config::validate::SystemView::probe(),
            Err(_) => crate::config::validate::SystemView::default(),
        };
        loaded = crate::config::load(&opts.use_file, &preprocess_options(opts), &system);
    }
    let mut text = String::new();
    for d in &loaded.diags {
        text.push_str(&loaded.sources.render(d));
        text.push('\n');
    }
    for note in opts.not_yet_notes() {
        text.push_str(&note);
        text.push('\n');
    }
    if opts.dump_conf {
        text.push_str(&crate::config::dump(&loaded.config));
    }
    match opts.config_test.as_ref().and_then(|f| f.as_ref()) {
        Some(file) => {
            if let Err(e) = std::fs::write(file, &text) {
                eprintln!("Unable to write {} - {}", file.display(), crate::config::error::io_reason(&e));
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
        }
        None => {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
    }
    ExitCode::from(loaded.exit_code().clamp(0, 255) as u8)
}

/// Logs the diagnostics of a load that belong to `part` (`None`: the part
/// every process reads), one line each as keepalived logs them
/// (`(FILE: Line N) message`); the caret display is for `-t`. The parent
/// logs the common part and each child its own, as each reads them.
pub fn log_diagnostics(loaded: &crate::config::Loaded, part: Option<crate::config::model::Part>) {
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
