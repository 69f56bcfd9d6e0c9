//! The child side of the process model: the set-up every child process
//! does (parent-death signal, process name, logging, namespace, its part of
//! the configuration, the event loop and the signal streams), then the entry
//! point of its kind from the table the binary handed over. The contract with
//! the runtimes is [`crate::child`].

use std::process::ExitCode;
use std::sync::Arc;

use crate::child::{ChildContext, ChildExit, ChildKind, ChildSignals, EXIT_CONFIG, EXIT_FATAL, Subsystems};
use crate::cli::Options;
use crate::config;
use crate::sys;

/// Whether this child has anything to run: the parent starts only those it
/// needs, but `--all` starts the others too.
fn is_needed(kind: ChildKind, cfg: &config::model::Config) -> bool {
    match kind {
        ChildKind::Vrrp => cfg.needs_vrrp(),
        ChildKind::Checker => cfg.needs_checker(),
        ChildKind::Bfd => cfg.needs_bfd(),
    }
}

/// The span a child's events are recorded in, one name per subsystem, with
/// the process id as a field (the log lines themselves do not change).
fn subsystem_span(kind: ChildKind) -> tracing::Span {
    let pid = std::process::id();
    match kind {
        ChildKind::Vrrp => tracing::info_span!("vrrp", pid),
        ChildKind::Checker => tracing::info_span!("checker", pid),
        ChildKind::Bfd => tracing::info_span!("bfd", pid),
    }
}

/// The child process: set-up, then the subsystem's entry point.
pub(crate) fn main(opts: Options, kind: ChildKind, subsystems: &Subsystems) -> ExitCode {
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
    // Everything this process logs is inside its subsystem's span.
    let span = subsystem_span(kind);
    let _entered = span.enter();
    let Some(entry) = crate::child::entry_point(subsystems, kind) else {
        tracing::error!("No {} runtime in this program", kind.display());
        return ExitCode::from(EXIT_FATAL);
    };
    if opts.ignore_sigint {
        let _ = sys::ignore_signal(libc::SIGINT);
    }
    // Already there when started by our parent; harmless to enter again.
    if let Err(e) = super::enter_namespace(&opts) {
        tracing::error!("{e}");
        return ExitCode::from(EXIT_FATAL);
    }
    let loaded = load_packed(&opts, kind);
    crate::child::config_read(&opts);
    crate::log::set_ident(&crate::log::config_ident(kind.ident(), opts.namespace.as_deref(), &loaded.config.global));
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
    // global_defs vrrp_process_name (checker_process_name, bfd_process_name)
    // overrides the default name.
    let name = match kind {
        ChildKind::Vrrp => loaded.config.vrrp.globals.process_name.as_deref(),
        ChildKind::Checker => loaded.config.lvs.globals.checker_process_name.as_deref(),
        ChildKind::Bfd => loaded.config.global.process_names.bfd.as_deref(),
    };
    if let Some(name) = name {
        let _ = sys::set_process_name(name);
    }
    // umask (unless -u), then the child's scheduling: *_priority,
    // *_rt_priority, *_rlimit_rttime, *_no_swap, *_cpu_affinity.
    crate::child::sched::apply_umask(&opts, &loaded.config.global);
    crate::child::sched::apply_config(kind, &loaded.config);
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
        entry(ctx).await
    });
    ExitCode::from(exit.code())
}

/// Loads this child's part of the configuration on a thread of its own,
/// then copies the result here. Parsing a large configuration makes many
/// short-lived allocations among the long-lived ones of the model (some
/// 2 KB per real server, against 0.3 KB kept): in this thread's heap they
/// would leave the model scattered over pages that can never be handed
/// back. The loading thread has its own heap (glibc gives each thread an
/// arena), which is freed whole once the copy is made.
///
/// Only the checker child does so: its part (real servers, checkers) is
/// where the temporaries dominate. The VRRP child's instances are small
/// beside what the thread leaves resident (its cached stack and arena:
/// 1.5 MB more at 1,000 tracked instances, bench/vrrp-track-scale.sh).
fn load_packed(opts: &super::Options, kind: ChildKind) -> crate::config::Loaded {
    if kind != ChildKind::Checker {
        return super::load(opts, kind.parts());
    }
    let loaded = std::thread::scope(|s| {
        let job = std::thread::Builder::new()
            .name("config".into())
            .stack_size(8 << 20)
            .spawn_scoped(s, || super::load(opts, kind.parts()));
        match job.map(|j| j.join()) {
            Ok(Ok(loaded)) => Some(loaded),
            _ => None,
        }
    });
    let Some(loaded) = loaded else {
        // No thread (or it failed): load here.
        return super::load(opts, kind.parts());
    };
    let packed = crate::config::Loaded {
        config: loaded.config.clone(),
        sources: loaded.sources.clone(),
        diags: loaded.diags.clone(),
    };
    drop(loaded);
    sys::trim_heap();
    packed
}
