//! The process model: a parent that supervises one child process per
//! subsystem (VRRP, health checkers, BFD), as keepalived does.
//!
//! - [`parent`]: runs before any tokio runtime exists; daemonizes, writes pid
//!   files, starts the children by re-executing itself with `--child=KIND`,
//!   forwards signals, respawns children, stops them on SIGTERM.
//! - [`child`]: the child side: set-up, then the subsystem's entry point,
//!   looked up in the table the binary hands over ([`crate::child::Subsystems`]).
//!   The contract itself (context, signals, exits, dump paths) is the leaf
//!   module [`crate::child`]: the supervisor imports no subsystem.
//! - [`pidfile`], [`notify`] (systemd).
//! - The `unsafe` calls (fork, setsid, prctl, signal masks, waitpid) are in
//!   `crate::sys`.

pub(crate) mod child;
pub(crate) mod notify;
pub(crate) mod parent;
pub(crate) mod pidfile;
pub(crate) mod reload;
pub(crate) mod scripts;

use std::process::ExitCode;

pub use crate::child::preprocess_options;
use crate::child::{ChildKind, Subsystems};
pub(crate) use crate::child::{load, log_diagnostics};
use crate::cli::Options;
use crate::sys;

/// The process name of the parent.
pub(crate) const PARENT_COMM: &str = "keepalived";

/// Runs the daemon: the parent, or a child when `--child=KIND` is given,
/// which runs its kind's entry point from `subsystems`.
pub fn main(opts: Options, argv: Vec<std::ffi::OsString>, subsystems: &Subsystems) -> ExitCode {
    match opts.child.as_deref() {
        Some(k) => match ChildKind::from_arg(k) {
            Some(kind) => child::main(opts, kind, subsystems),
            None => {
                eprintln!("Unknown child process kind {k}");
                ExitCode::from(1)
            }
        },
        None => parent::main(opts, argv),
    }
}

/// Where `ip netns` keeps named network namespaces.
pub(crate) const NETNS_DIR: &str = "/run/netns";

/// `-s/--namespace NAME`: moves this process into the named network
/// namespace (created beforehand, e.g. with `ip netns add NAME`) and into a
/// mount namespace of its own whose /sys shows that network namespace.
/// Children inherit both. keepalived also bind-mounts its pid directory
/// there; we write the pid files where that makes them visible instead (see
/// [`pidfile::PidPaths::new`]).
pub(crate) fn enter_namespace(opts: &Options) -> Result<(), String> {
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
pub(crate) fn log_options(opts: &Options, kind: Option<ChildKind>) -> crate::log::LogOptions {
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

/// `-t/--config-test[=FILE]`: checks the configuration, writes every
/// diagnostic to stderr (or FILE) and returns keepalived's `-t` exit status.
pub fn config_test(opts: &Options) -> ExitCode {
    use std::io::Write;
    // Interfaces are checked in the namespace keepalived would run in.
    if let Err(e) = enter_namespace(opts) {
        eprintln!("{e}");
        return ExitCode::from(crate::child::EXIT_FATAL);
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
