//! The checker child's runtime: it owns the IPVS table and runs the health
//! checkers (keepalived's healthcheckers process does the same), in one loop
//! on one clock.
//!
//! - Start: open IPVS (loading ip_vs if needed), set `lvs_timeouts`, start
//!   the unbound sync daemons, `lvs_flush`, open the notify FIFOs, read what
//!   the kernel holds of our services, then program the difference to what
//!   the director wants, each real server as its checkers start it (up,
//!   down with alpha, weighted by its tracked files); then the checkers run
//!   ([`crate::check::runtime`]).
//! - Verdicts: each change a checker reports moves the director
//!   ([`Director::set_verdict`]), whose table is programmed at once, with
//!   keepalived's lines, notify scripts and FIFO lines.
//! - Reload: the director and the checkers move to the new configuration,
//!   keeping the state of what is in both (a failed server stays out, a
//!   healthy one is not checked from scratch), and only the difference is
//!   programmed; unchanged entries are not touched.
//! - Stop: everything we manage is removed (per `lvs_flush_on_stop`) unless
//!   `-I`/`--dont-release-ipvs`; the timeouts we changed are restored.
//! - SIGUSR1 writes keepalived_check.data, SIGUSR2 keepalived_check.stats.
//! - Scripts (quorum_up/quorum_down, notify_up/notify_down) run through
//!   [`super::scripts`] when the director asks; at shutdown (omega) the
//!   child waits for them (1 s each at most, as keepalived).

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;

use futures_util::future::LocalBoxFuture;

use super::diff::{self, Removal};
use super::dump;
use super::kernel::{Failure, Interface, Ipvs, IpvsError, Op, libnl_errno, message_for};
use super::model::{self, Director, Release, Verdict, VsId, VsSpec};
use super::scripts::Scripts;
use super::suspend::HaSuspend;
use super::syncd;
use super::table::{DestEntry, ServiceEntry, ServiceKey, Table, Timeouts};
use crate::check::plan::{PlanInputs, Probe};
use crate::check::runtime::{Checks, Job, Out};
use crate::child::{ChildContext, ChildExit, ChildSignal};
use crate::config::model::lvs::{CheckerKind, FlushOnStop, LvsGlobals};

/// The [`crate::child::EntryPoint`] of the checker child.
pub(crate) fn run(ctx: ChildContext) -> LocalBoxFuture<'static, ChildExit> {
    Box::pin(serve(ctx))
}

/// What identifies a real server across reloads: its virtual server and its address.
pub(crate) type RsKey = (VsId, SocketAddr);

/// The loop of the checker child.
pub(crate) async fn serve(mut ctx: ChildContext) -> ChildExit {
    // ha_suspend: the addresses on the box, watched before the checkers start.
    let mut addr_rx = None;
    let mut suspend = HaSuspend::default();
    watch_addresses(&ctx, &mut suspend, &mut addr_rx).await;
    let mut rt = match Runtime::start(&ctx, suspend) {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    loop {
        tokio::select! {
            wake = rt.checks.wait() => {
                let out = rt.checks.handle(wake, crate::clock::now());
                rt.apply_checks(out);
            }
            Some(ev) = recv_addr(&mut addr_rx) => {
                let switched = rt.suspend.address(ev.ifindex, ev.addr, ev.added);
                let now = crate::clock::now();
                let mut out = Vec::new();
                for (id, on) in switched {
                    out.extend(rt.checks.set_enabled(|k| k.0 == id, on, now));
                }
                rt.apply_checks(out);
            }
            sig = ctx.signals.recv() => match sig {
                ChildSignal::Stop => {
                    rt.checks.stop();
                    rt.stop(ctx.options.dont_release_ipvs);
                    // omega's scripts get 1 s, then their group is killed.
                    rt.scripts.wait(std::time::Duration::from_millis(1500)).await;
                    tracing::info!("Stopped");
                    return ChildExit::Stopped;
                }
                ChildSignal::Reload => {
                    if let Some(new) = ctx.reload() {
                        ctx.config = new;
                        if addr_rx.is_none() {
                            watch_addresses(&ctx, &mut rt.suspend, &mut addr_rx).await;
                        }
                        if let Err(exit) = rt.reload(&ctx) {
                            return exit;
                        }
                    }
                }
                ChildSignal::DumpData => {
                    tracing::info!("Printing checker data for process({}) on signal", std::process::id());
                    let text = rt.data_text(&ctx);
                    write_dump(&ctx, "keepalived_check.data", &text);
                }
                sig @ (ChildSignal::DumpStats | ChildSignal::DumpStatsClear) => {
                    tracing::info!("Printing checker stats for process({}) on signal", std::process::id());
                    let text = rt.stats_text();
                    write_dump(&ctx, "keepalived_check.stats", &text);
                    if sig == ChildSignal::DumpStatsClear {
                        rt.reloads = 0;
                    }
                }
                ChildSignal::DumpJson => {
                    tracing::info!("Printing checker as json for process({}) on signal", std::process::id());
                    write_dump(&ctx, "keepalived_check.json", "[]\n");
                }
            },
        }
    }
}

/// Starts watching the addresses on the box when a virtual server uses
/// `ha_suspend` (keepalived's checker process learns them from its netlink
/// reflector); a failure leaves those checkers suspended, said in the log.
async fn watch_addresses(
    ctx: &ChildContext,
    suspend: &mut HaSuspend,
    rx: &mut Option<tokio::sync::mpsc::UnboundedReceiver<crate::netlink::AddrEvent>>,
) {
    if !ctx.config.config.lvs.virtual_servers.iter().any(|v| v.ha_suspend) {
        return;
    }
    let g = &ctx.config.config.lvs.globals;
    let monitor = crate::netlink::RcvBuf::of(g.netlink_monitor_rcv_bufs, g.netlink_monitor_rcv_bufs_force);
    let cmd = crate::netlink::RcvBuf::of(g.netlink_cmd_rcv_bufs, g.netlink_cmd_rcv_bufs_force);
    match crate::netlink::watch_addresses(monitor, cmd).await {
        Ok((now, r)) => {
            suspend.set_local(now);
            *rx = Some(r);
        }
        Err(e) => tracing::error!("Unable to read the interface addresses for ha_suspend - {e}"),
    }
}

async fn recv_addr(
    rx: &mut Option<tokio::sync::mpsc::UnboundedReceiver<crate::netlink::AddrEvent>>,
) -> Option<crate::netlink::AddrEvent> {
    match rx {
        Some(r) => r.recv().await,
        None => std::future::pending().await,
    }
}

/// The virtual servers with `ha_suspend` and their addresses.
fn suspended_vs(
    lvs: &crate::config::model::lvs::LvsConfig,
    specs: &[VsSpec],
) -> Vec<(VsId, HashSet<std::net::IpAddr>)> {
    specs
        .iter()
        .filter(|s| lvs.virtual_servers.get(s.index).is_some_and(|v| v.ha_suspend))
        .map(|s| (s.id.clone(), s.services.iter().filter(|k| k.fwmark == 0).map(|k| k.addr).collect()))
        .collect()
}

fn write_dump(ctx: &ChildContext, file: &str, text: &str) {
    let path = ctx.dump_path(file);
    if let Err(e) = std::fs::write(&path, text) {
        tracing::error!("Unable to write {} - {e}", path.display());
    }
}

fn release_of(f: FlushOnStop) -> Release {
    match f {
        FlushOnStop::No => Release::EachServer,
        FlushOnStop::Vs => Release::VirtualServers,
        FlushOnStop::Full => Release::Flush,
    }
}

fn removal_of(r: Release) -> Removal {
    if r == Release::EachServer { Removal::DestsFirst } else { Removal::ServiceOnly }
}

/// keepalived's line for a table change the kernel refused (through
/// generic netlink keepalived sees the errno as libnl passes it on).
fn log_failure(op: &Op, f: &Failure, iface: Interface) {
    let errno = match f {
        Failure::Errno(e) if iface == Interface::Genl => libnl_errno(*e),
        Failure::Errno(e) => *e,
        // Said once per virtual server when the configuration was loaded.
        Failure::Unsupported(u) => {
            tracing::debug!("{u}");
            return;
        }
    };
    let (num, name) = op.command();
    let what = match op.dest() {
        Some(d) => format!(" ({} -> {d})", op.service()),
        None => format!(" ({})", op.service()),
    };
    tracing::info!("IPVS cmd {name}({num}) error: {}({errno}){what}", message_for(Some(op), errno));
}

/// The checker child's state.
pub(crate) struct Runtime {
    /// Opened when something needs the kernel's IPVS (keepalived does not
    /// touch it without virtual servers).
    ipvs: Option<Ipvs>,
    director: Director,
    /// What the kernel holds of the services we manage.
    current: Table,
    globals: LvsGlobals,
    /// The timeouts before we changed them, to restore.
    orig_timeouts: Option<Timeouts>,
    syncd: Option<syncd::Both>,
    scripts: Scripts,
    reloads: u64,
    /// The health checkers.
    checks: Checks<RsKey>,
    /// Real and virtual servers carried over by the last reload (the dump's `reloaded`).
    reloaded: HashSet<RsKey>,
    reloaded_vs: HashSet<VsId>,
    /// [`BENCH_NO_IPVS`] was set.
    bench_no_ipvs: bool,
    /// `ha_suspend`: which virtual servers' checkers probe.
    suspend: HaSuspend,
}

/// For bench/check-scale.sh only, on a kernel without ip_vs (where the
/// checker child stops, as keepalived's does): run the health checkers
/// without opening IPVS, to measure them natively. Not documented for users
/// and said loudly in the log when set.
const BENCH_NO_IPVS: &str = "KEEPALIVED_RS_BENCH_NO_IPVS";

/// Whether a configuration needs the kernel's IPVS.
fn needs_ipvs(lvs: &crate::config::model::lvs::LvsConfig) -> bool {
    let g = &lvs.globals;
    !lvs.virtual_servers.is_empty()
        || g.sync_daemon.as_ref().is_some_and(|d| d.instance.is_none())
        || g.timeouts.tcp.is_some()
        || g.timeouts.tcpfin.is_some()
        || g.timeouts.udp.is_some()
}

impl Runtime {
    fn start(ctx: &ChildContext, suspend: HaSuspend) -> Result<Runtime, ChildExit> {
        let lvs = &ctx.config.config.lvs;
        let scripts = Scripts::new();
        let checks = Checks::new(scripts.misc_runner());
        let mut rt = Runtime {
            ipvs: None,
            director: Director::default(),
            current: Table::default(),
            globals: lvs.globals.clone(),
            orig_timeouts: None,
            syncd: None,
            scripts,
            reloads: 0,
            checks,
            reloaded: HashSet::new(),
            reloaded_vs: HashSet::new(),
            bench_no_ipvs: false,
            suspend,
        };
        rt.scripts.load(&ctx.config.config.global, lvs);
        if !needs_ipvs(lvs) {
            rt.scripts.open_fifos(&ctx.config.config.global, lvs);
            return Ok(rt);
        }
        if std::env::var_os(BENCH_NO_IPVS).is_some() {
            rt.bench_no_ipvs = true;
            tracing::warn!(
                "{BENCH_NO_IPVS} is set: the checkers run, the IPVS table is not programmed (benchmark only)"
            );
        } else {
            tracing::debug!("Initializing ipvs");
            rt.open()?;
        }
        rt.set_timeouts();
        if let (Some(ipvs), Some(d)) =
            (rt.ipvs.as_mut(), rt.globals.sync_daemon.as_ref().filter(|d| d.instance.is_none()))
        {
            rt.syncd = Some(syncd::Both::start(ipvs, syncd::Config::from_config(d)));
        }
        if rt.globals.flush
            && let Some(Err(e)) = rt.ipvs.as_mut().map(Ipvs::flush)
        {
            tracing::info!("IPVS cmd IP_VS_SO_SET_FLUSH({}) error: {e}", super::sockopt::set::FLUSH);
        }
        rt.scripts.open_fifos(&ctx.config.config.global, lvs);
        let specs = model::specs(lvs);
        let iface = rt.interface();
        check_interface(iface, &specs);
        rt.suspend.configure(suspended_vs(lvs, &specs));
        let jobs = rt.jobs(ctx, &specs);
        let activation = rt.checks.load(jobs, crate::clock::now(), true);
        let initial = rt.initial_states();
        let (director, events) = Director::start_with(specs, rt.globals.rs_init_notifies, &|id, addr| {
            initial.get(&(id.clone(), addr)).copied()
        });
        drop(initial);
        rt.director = director;
        let managed: HashSet<ServiceKey> = rt.director.services().copied().collect();
        rt.current = match rt.ipvs.as_mut().map(|i| read_table(i, &managed)) {
            Some(Ok(t)) => t,
            Some(Err(e)) => {
                tracing::error!("IPVS: unable to read the kernel's table - {e}");
                Table::default()
            }
            None => Table::default(),
        };
        let desired = rt.director.desired();
        let ops = diff::diff(&rt.current, &desired, &|k| managed.contains(k), Removal::DestsFirst);
        let mut failures = rt.apply(ops);
        // keepalived's order: each virtual server's refused changes, then
        // what it says of its quorum.
        for (i, ev) in events.into_iter().enumerate() {
            let svcs: HashSet<&ServiceKey> = rt.director.services_of(i).iter().collect();
            let (mine, rest): (Vec<_>, Vec<_>) = failures.into_iter().partition(|(op, _)| svcs.contains(op.service()));
            failures = rest;
            for (op, f) in &mine {
                log_failure(op, f, iface);
            }
            rt.scripts.handle(ev, false);
        }
        for (op, f) in &failures {
            log_failure(op, f, iface);
        }
        rt.apply_checks(activation);
        // The parsed plan and the first tables were temporaries.
        crate::sys::trim_heap();
        Ok(rt)
    }

    /// The checkers of a configuration, one job per real server, keyed as
    /// the director knows it. The TLS context is made once, for every
    /// SSL_GET; MISC_CHECK programs come prepared from the scripts.
    fn jobs(&self, ctx: &ChildContext, specs: &[VsSpec]) -> Vec<Job<RsKey>> {
        let cfg = &ctx.config.config;
        let lvs = &cfg.lvs;
        let ssl_used = lvs
            .virtual_servers
            .iter()
            .flat_map(|v| &v.real_servers)
            .flat_map(|r| &r.checkers)
            .any(|c| matches!(c.kind, CheckerKind::Ssl(_)));
        let tls = if ssl_used || lvs.ssl.is_some() {
            match crate::check::tls::client_context(lvs.ssl.as_ref()) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::error!("{e}");
                    crate::check::tls::client_context(None).ok()
                }
            }
        } else {
            None
        };
        let inputs = PlanInputs { track_files: &cfg.vrrp.track_files, tls };
        let (planned, warnings) = crate::check::plan::plan(lvs, &inputs);
        for w in warnings {
            tracing::warn!("{w}");
        }
        let by_index: HashMap<usize, &VsSpec> = specs.iter().map(|s| (s.index, s)).collect();
        let mut jobs = Vec::with_capacity(planned.len());
        for p in planned {
            let Some(spec) = by_index.get(&p.vs) else { continue };
            let Some(rs) = spec.real_servers.get(p.rs) else { continue };
            // None for the others: no allocation for the many real servers
            // without a MISC_CHECK.
            let programs = if p.probes.iter().any(|pr| matches!(pr, Probe::Misc { .. })) {
                p.probes
                    .iter()
                    .map(|pr| match pr {
                        Probe::Misc { script, .. } => self.scripts.program(script),
                        _ => None,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let enabled = self.suspend.enabled(&spec.id);
            jobs.push(Job { key: (spec.id.clone(), rs.addr), planned: p, programs, enabled });
        }
        jobs
    }

    /// Each real server's state as its checkers start it.
    fn initial_states(&self) -> HashMap<RsKey, (bool, i64)> {
        self.checks.servers().into_iter().map(|(k, s)| (k.clone(), (s.alive(), s.effective_weight()))).collect()
    }

    /// Applies what the checkers report, in order; the table is programmed
    /// once for the lot, then the lines are logged and the scripts started
    /// in the order they came.
    fn apply_checks(&mut self, out: Vec<Out<RsKey>>) {
        if out.is_empty() {
            return;
        }
        let mut changed = false;
        let mut events = Vec::new();
        for o in out {
            match o {
                Out::Log(l) => events.push(model::Event::Log(l)),
                Out::Verdict { key, alive, weight } => {
                    events.extend(self.director.set_verdict(
                        &key.0,
                        key.1,
                        Verdict { up: alive, weight: Some(weight) },
                    ));
                    changed = true;
                }
                Out::Notify(key) => events.extend(self.director.rs_notify(&key.0, key.1)),
            }
        }
        if changed {
            let managed: HashSet<ServiceKey> = self.director.services().copied().collect();
            self.sync(&managed, Removal::DestsFirst);
        }
        self.scripts.handle(events, false);
    }

    /// Opens the IPVS channel; keepalived's line and a permanent error when
    /// it cannot (no ip_vs in this kernel).
    fn open(&mut self) -> Result<(), ChildExit> {
        if self.ipvs.is_some() {
            return Ok(());
        }
        match Ipvs::open() {
            Ok(i) => {
                self.ipvs = Some(i);
                Ok(())
            }
            Err(e) => {
                tracing::info!("IPVS: Can't initialize ipvs: {}", init_error(&e));
                Err(ChildExit::Fatal)
            }
        }
    }

    fn interface(&self) -> Interface {
        self.ipvs.as_ref().map(Ipvs::interface).unwrap_or(Interface::Genl)
    }

    /// lvs_timeouts: set what is configured (keeping the kernel's value for
    /// the others) after saving the originals; without any, restore them.
    fn set_timeouts(&mut self) {
        let Some(ipvs) = self.ipvs.as_mut() else { return };
        let t = &self.globals.timeouts;
        if t.tcp.is_none() && t.tcpfin.is_none() && t.udp.is_none() {
            if let Some(orig) = self.orig_timeouts
                && ipvs.set_timeouts(&orig).is_err()
            {
                tracing::info!("Failed to set ipvs timeouts");
            }
            return;
        }
        if self.orig_timeouts.is_none() {
            match ipvs.timeouts() {
                Ok(o) => self.orig_timeouts = Some(o),
                Err(_) => tracing::info!("Failed to get IPVS timeouts"),
            }
        }
        let orig = self.orig_timeouts.unwrap_or_default();
        let want = Timeouts {
            tcp: t.tcp.unwrap_or(orig.tcp),
            tcp_fin: t.tcpfin.unwrap_or(orig.tcp_fin),
            udp: t.udp.unwrap_or(orig.udp),
        };
        if ipvs.set_timeouts(&want).is_err() {
            tracing::info!("Failed to set ipvs timeouts");
        }
    }

    /// Programs the difference between what the kernel holds and what the
    /// director wants, for the services in `managed` and the wanted ones.
    fn sync(&mut self, managed: &HashSet<ServiceKey>, removal: Removal) {
        let desired = self.director.desired();
        let ops = diff::diff(&self.current, &desired, &|k| managed.contains(k), removal);
        let iface = self.interface();
        for (op, f) in self.apply(ops) {
            log_failure(&op, &f, iface);
        }
    }

    /// Applies changes; the mirror of the kernel's table follows what was
    /// accepted. Returns the refusals keepalived would log, in order: a
    /// destination whose edit finds it missing is added instead, something
    /// that already exists is said, then set as wanted.
    fn apply(&mut self, ops: Vec<Op>) -> Vec<(Op, Failure)> {
        let mut report = Vec::new();
        let Some(ipvs) = self.ipvs.as_mut() else { return report };
        if ops.is_empty() {
            return report;
        }
        let failed = match ipvs.apply(&ops) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!("IPVS: unable to program the table - {e}; reading it back");
                self.resync();
                return report;
            }
        };
        let mut failed: HashMap<usize, Failure> = failed.into_iter().collect();
        let mut retry = Vec::new();
        for (i, op) in ops.into_iter().enumerate() {
            let Some(f) = failed.remove(&i) else {
                diff::record(&mut self.current, &op);
                continue;
            };
            match (&op, &f) {
                (Op::EditDest(s, d, a), Failure::Errno(libc::ENOENT)) => retry.push(Op::AddDest(*s, *d, *a)),
                (Op::AddService(k, a), Failure::Errno(libc::EEXIST)) => {
                    retry.push(Op::EditService(*k, a.clone()));
                    report.push((op, f));
                }
                (Op::AddDest(s, d, a), Failure::Errno(libc::EEXIST)) => {
                    retry.push(Op::EditDest(*s, *d, *a));
                    report.push((op, f));
                }
                (Op::DelDest(..), Failure::Errno(libc::ENOENT | libc::ESRCH))
                | (Op::DelService(_), Failure::Errno(libc::ESRCH)) => {
                    diff::record(&mut self.current, &op);
                    report.push((op, f));
                }
                _ => report.push((op, f)),
            }
        }
        if !retry.is_empty()
            && let Some(ipvs) = self.ipvs.as_mut()
        {
            match ipvs.apply(&retry) {
                Ok(f) => {
                    let mut f: HashMap<usize, Failure> = f.into_iter().collect();
                    for (i, op) in retry.into_iter().enumerate() {
                        match f.remove(&i) {
                            None => diff::record(&mut self.current, &op),
                            Some(e) => report.push((op, e)),
                        }
                    }
                }
                Err(e) => tracing::error!("IPVS: unable to program the table - {e}"),
            }
        }
        report
    }

    /// Reads the kernel's table back after a failure that left it unknown.
    fn resync(&mut self) {
        let managed: HashSet<ServiceKey> =
            self.current.services().map(|s| s.key).chain(self.director.services().copied()).collect();
        let Some(ipvs) = self.ipvs.as_mut() else { return };
        match read_table(ipvs, &managed) {
            Ok(t) => self.current = t,
            Err(e) => tracing::error!("IPVS: unable to read the kernel's table - {e}"),
        }
    }

    /// A new configuration; `Err` when IPVS is needed and cannot be opened
    /// (keepalived stops then too).
    fn reload(&mut self, ctx: &ChildContext) -> Result<(), ChildExit> {
        self.reloads = self.reloads.saturating_add(1);
        let lvs = &ctx.config.config.lvs;
        self.globals = lvs.globals.clone();
        if (needs_ipvs(lvs) || !self.current.is_empty()) && !self.bench_no_ipvs {
            tracing::debug!("Reinitializing ipvs");
            self.open()?;
        }
        self.set_timeouts();
        let unbound =
            self.globals.sync_daemon.as_ref().filter(|d| d.instance.is_none()).map(syncd::Config::from_config);
        if let Some(ipvs) = self.ipvs.as_mut() {
            self.syncd = match self.syncd.take() {
                Some(b) => b.reload(ipvs, unbound),
                None => unbound.map(|c| syncd::Both::start(ipvs, c)),
            };
        }
        let mut managed: HashSet<ServiceKey> = self.director.services().copied().collect();
        let specs = model::specs(lvs);
        check_interface(self.interface(), &specs);
        self.scripts.reset();
        self.scripts.load(&ctx.config.config.global, lvs);
        self.scripts.open_fifos(&ctx.config.config.global, lvs);
        let old: HashSet<RsKey> = self.checks.servers().into_keys().cloned().collect();
        let old_vs: HashSet<VsId> = self.director.views().iter().map(|v| v.spec.id.clone()).collect();
        self.reloaded_vs = specs.iter().map(|s| s.id.clone()).filter(|id| old_vs.contains(id)).collect();
        self.suspend.configure(suspended_vs(lvs, &specs));
        let jobs = self.jobs(ctx, &specs);
        let changes = self.checks.load(jobs, crate::clock::now(), false);
        let initial = self.initial_states();
        self.reloaded = initial.keys().filter(|k| old.contains(*k)).cloned().collect();
        let events = self.director.reload_with(specs, &|id, addr| initial.get(&(id.clone(), addr)).copied());
        drop(initial);
        managed.extend(self.director.services().copied());
        self.scripts.handle(events, false);
        let removal = removal_of(release_of(self.globals.flush_on_stop));
        self.sync(&managed, removal);
        self.apply_checks(changes);
        crate::sys::trim_heap();
        Ok(())
    }

    fn stop(&mut self, dont_release: bool) {
        if !dont_release {
            let release = release_of(self.globals.flush_on_stop);
            let managed: HashSet<ServiceKey> =
                self.current.services().map(|s| s.key).chain(self.director.services().copied()).collect();
            self.scripts.handle(self.director.shutdown(release), true);
            if release == Release::Flush {
                if let Some(Err(e)) = self.ipvs.as_mut().map(Ipvs::flush) {
                    tracing::info!("IPVS cmd IP_VS_SO_SET_FLUSH({}) error: {e}", super::sockopt::set::FLUSH);
                }
                self.current = Table::default();
            } else {
                self.sync(&managed, removal_of(release));
            }
        }
        let Some(ipvs) = self.ipvs.as_mut() else { return };
        if let Some(s) = self.syncd.take() {
            s.stop(ipvs);
        }
        if let Some(orig) = self.orig_timeouts
            && ipvs.set_timeouts(&orig).is_err()
        {
            tracing::info!("Failed to set ipvs timeouts");
        }
    }

    /// The kernel's counters of our services.
    fn kernel_stats(&mut self) -> (HashMap<ServiceKey, ServiceEntry>, HashMap<ServiceKey, Vec<DestEntry>>) {
        let ours: HashSet<ServiceKey> = self.director.services().copied().collect();
        let Some(ipvs) = self.ipvs.as_mut() else { return (HashMap::new(), HashMap::new()) };
        let services: HashMap<ServiceKey, ServiceEntry> = match ipvs.services() {
            Ok(v) => v.into_iter().filter(|s| ours.contains(&s.key)).map(|s| (s.key, s)).collect(),
            Err(e) => {
                tracing::warn!("IPVS: unable to read the counters - {e}");
                HashMap::new()
            }
        };
        let mut dests = HashMap::new();
        for k in services.keys() {
            if let Ok(d) = ipvs.dests(k) {
                dests.insert(*k, d);
            }
        }
        (services, dests)
    }

    /// keepalived_check.data: keepalived 2.2.7's layout ([`crate::dump::check`])
    /// with what runs now: the director's servers and quorums, each
    /// checker's state.
    fn data_text(&mut self, ctx: &ChildContext) -> String {
        let servers = self.checks.servers();
        let views = self.director.views();
        let live = super::report::Live {
            views: &views,
            servers: &servers,
            reloaded: &self.reloaded,
            reloaded_vs: &self.reloaded_vs,
            now: crate::clock::now(),
            wall: crate::clock::wall(),
        };
        let lvs = &ctx.config.config.lvs;
        crate::dump::checker_data(&ctx.config.config, ctx.options.namespace.as_deref(), ctx.options.umask, |v| {
            super::report::fill(v, lvs, &live)
        })
    }

    fn stats_text(&mut self) -> String {
        let (s, d) = self.kernel_stats();
        let views = self.director.views();
        dump::stats(&dump::counters(&views, &s, &d), self.reloads)
    }
}

/// Names what the socket options cannot program: IPv6 virtual servers
/// and persistence engines get a clear error once, at load.
fn check_interface(i: Interface, specs: &[model::VsSpec]) {
    if i != Interface::Sockopt {
        return;
    }
    for s in specs {
        if s.services.iter().any(|k| k.af == super::table::AF_INET6) || s.real_servers.iter().any(|r| r.addr.is_ipv6())
        {
            tracing::error!(
                "Virtual server {}: IPv6 needs the IPVS generic netlink interface, which this kernel does not have - \
                 it cannot be programmed",
                s.name
            );
        }
    }
}

/// keepalived's words for why IPVS could not be opened.
fn init_error(e: &IpvsError) -> String {
    match e.errno() {
        Some(errno) => message_for(None, errno),
        None => e.to_string(),
    }
}

/// What the kernel holds of the services in `managed`.
fn read_table(ipvs: &mut Ipvs, managed: &HashSet<ServiceKey>) -> Result<Table, IpvsError> {
    let mut t = Table::default();
    for s in ipvs.services()? {
        if !managed.contains(&s.key) {
            continue;
        }
        let dests = ipvs.dests(&s.key)?;
        let svc = t.upsert(s.key, s.attrs);
        for d in dests {
            svc.set_dest(d.key, d.attrs);
        }
    }
    Ok(t)
}
