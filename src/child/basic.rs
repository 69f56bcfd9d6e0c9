//! The event loop of a child whose protocol runtime is not written yet: it
//! keeps its configuration, reloads it, dumps what it knows, and stops cleanly.

use std::fmt::Write as _;

use futures_util::future::LocalBoxFuture;

use super::{ChildContext, ChildExit, ChildKind, ChildSignal};

/// What this loop counts, for the stats file.
#[derive(Debug, Default)]
struct Stats {
    reloads: u64,
    failed_reloads: u64,
}

/// The [`super::EntryPoint`] of a subsystem without a protocol runtime yet.
pub(crate) fn run(ctx: ChildContext) -> LocalBoxFuture<'static, ChildExit> {
    Box::pin(run_loop(ctx))
}

async fn run_loop(mut ctx: ChildContext) -> ChildExit {
    let started = crate::clock::now();
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
                let process = match ctx.kind {
                    ChildKind::Checker => crate::dump::global::Process::Checker,
                    ChildKind::Bfd => crate::dump::global::Process::Bfd,
                    ChildKind::Vrrp => crate::dump::global::Process::Vrrp,
                };
                let ns = ctx.options.namespace.as_deref();
                write_dump(&ctx, "data", &crate::dump::config_data(process, &ctx.config.config, ns, ctx.options.umask));
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
                let _ = writeln!(
                    s,
                    "  Uptime: {} seconds",
                    crate::clock::now().saturating_duration_since(started).as_secs()
                );
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
