//! The health checkers' runtime: it runs every real server's [`Server`]
//! (the pure state) against the clock, starts the probes the state machines
//! ask for, feeds their outcomes back, and hands what comes out (verdicts,
//! notifies, log lines, in order) to its owner, the checker child's IPVS
//! runtime ([`crate::ipvs::runtime`]), which applies them to the table.
//!
//! - One clock ([`crate::clock`]); one timer: the real servers are kept in
//!   a heap by their next deadline (stale entries are skipped when popped),
//!   so 10,000 servers cost a heap operation per check, not a scan.
//! - Probes run as tasks on the child's single-threaded runtime, at most
//!   [`MAX_PROBES`] at once (each holds a socket, and an SSL_GET a TLS
//!   session from the one shared context; more wait in a queue, not as
//!   tasks, so an overloaded checker's memory stays bounded); each reports on a channel,
//!   tagged with the configuration generation so that a reload drops what
//!   the previous one started. MISC_CHECK scripts run through the shared
//!   script runner.
//! - FILE_CHECK: the tracked files' directories are watched with inotify
//!   (keepalived's way: a file closed after writing, moved in, moved away or
//!   deleted is read again; gone reads 0).
//! - PING_CHECK: `net.ipv4.ping_group_range` is widened while checkers run
//!   and put back when they stop, as keepalived does.
//! - A reload matches each new real server to the old one by its key
//!   (virtual server, real server address): checkers with unchanged settings
//!   keep their state and schedule ([`Server::carry_over`]).
//!
//! The owner chooses the key type (`K`), so this module does not know the
//! IPVS model.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::Hash;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::unix::AsyncFd;
use tokio::sync::mpsc;

use super::file::{FileValue, invalid_line};
use super::plan::{Planned, Probe, WatchedFile};
use super::server::{Event, Server};
use super::state::{Input, Outcome};
use super::tcp_batch::TcpBatch;
use crate::script::{Program, ScriptRunner};

/// Probes running at once at most; more wait their turn in order (their
/// timeout starts when they run).
pub(crate) const MAX_PROBES: usize = 1024;

/// What the owner must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Out<K> {
    /// Log this line.
    Log(String),
    /// The real server's verdict changed: in the pool or not, and its
    /// (effective) weight.
    Verdict { key: K, alive: bool, weight: i64 },
    /// A checker's first run confirmed the server's state: its notify.
    Notify(K),
}

/// One real server to run: its key, its state and probes, and what its
/// MISC_CHECK probes run (prepared by the owner's script preparer; `None`
/// for other checkers, or a script that was refused).
pub(crate) struct Job<K> {
    pub(crate) key: K,
    pub(crate) planned: Planned,
    pub(crate) programs: Vec<Option<Arc<Program>>>,
    /// Whether its checkers probe from the start (`ha_suspend` with none of
    /// the virtual server's addresses on the box: not).
    pub(crate) enabled: bool,
}

struct Entry<K> {
    key: K,
    server: Server,
    probes: Box<[Probe]>,
    programs: Box<[Option<Arc<Program>>]>,
    files: Box<[WatchedFile]>,
    /// The deadline this entry is in the heap with (others are stale).
    queued: Option<Instant>,
}

/// A probe's end, back from its task.
struct Done {
    generation: u64,
    /// A MISC_CHECK run (not counted against [`MAX_PROBES`]).
    misc: bool,
    entry: usize,
    checker: usize,
    outcome: Option<Outcome>,
}

/// Why the runtime woke up: [`Checks::wait`] returns it, [`Checks::handle`] acts.
pub(crate) enum Wake {
    Timer,
    Done(DoneMsg),
    Files,
    Tcp,
}

/// A probe's end (opaque to the owner).
pub(crate) struct DoneMsg(Done);

/// The running checkers.
pub(crate) struct Checks<K> {
    entries: Vec<Entry<K>>,
    heap: BinaryHeap<Reverse<(Instant, usize)>>,
    generation: u64,
    tx: mpsc::UnboundedSender<Done>,
    rx: mpsc::UnboundedReceiver<Done>,
    /// Network probes running, and those waiting for one to end.
    running: usize,
    waiting: VecDeque<(usize, usize, Option<usize>)>,
    misc: ScriptRunner<()>,
    wake: crate::clock::Wake,
    files: Option<FileWatch>,
    /// The start of ping_group_range to put back at the end.
    ping_restore: Option<u64>,
    dns_id: u16,
    /// TCP_CHECK's connects in flight, tagged (entry, checker); `None` when
    /// the poller could not be made (they run as tasks then).
    tcp: Option<TcpBatch<(usize, usize)>>,
}

impl<K: Clone + Eq + Hash + std::fmt::Debug> Checks<K> {
    /// No checkers yet; MISC_CHECK scripts will run on `misc`.
    pub(crate) fn new(misc: ScriptRunner<()>) -> Checks<K> {
        let (tx, rx) = mpsc::unbounded_channel();
        Checks {
            entries: Vec::new(),
            heap: BinaryHeap::new(),
            generation: 0,
            tx,
            rx,
            running: 0,
            waiting: VecDeque::new(),
            misc,
            // tokio's timer: millisecond deadlines are precise enough for
            // checks (the goal is 5 % of delay_loop), and it costs no
            // system call per wake-up where a timerfd costs two.
            wake: crate::clock::Wake::tokio(),
            files: None,
            ping_restore: None,
            dns_id: (super::random_u32() & 0xffff) as u16,
            tcp: TcpBatch::new().ok(),
        }
    }

    /// Every real server's state by key (for dumps).
    pub(crate) fn servers(&self) -> HashMap<&K, &Server> {
        self.entries.iter().map(|e| (&e.key, &e.server)).collect()
    }

    /// Starts the checkers of a configuration at `now` (first start), or
    /// switches to them on a reload, carrying over the state of the real
    /// servers found in both. Returns what to apply, in order: the verdicts
    /// that differ after a reload, then the activation lines (keepalived
    /// logs them at start and after each reload).
    pub(crate) fn load(&mut self, jobs: Vec<Job<K>>, now: Instant, first: bool) -> Vec<Out<K>> {
        let mut out = Vec::new();
        self.generation += 1;
        // What the previous configuration started ends unheard.
        self.running = 0;
        self.waiting.clear();
        if let Some(t) = &mut self.tcp {
            t.clear();
        }
        let mut entries = Vec::with_capacity(jobs.len());
        let mut old: HashMap<K, Entry<K>> =
            std::mem::take(&mut self.entries).into_iter().map(|e| (e.key.clone(), e)).collect();
        self.heap = BinaryHeap::new();
        let pings = jobs.iter().any(|j| j.planned.probes.iter().any(|p| matches!(p, Probe::Ping(_))));
        self.ping_group_range(pings, &mut out);
        let mut activation = Vec::new();
        for job in jobs {
            let Job { key, planned, programs, enabled } = job;
            let mut e = Entry {
                key,
                server: planned.server,
                probes: planned.probes.into_boxed_slice(),
                // Most real servers run no MISC_CHECK: nothing to keep.
                programs: if programs.iter().all(Option::is_none) {
                    Box::default()
                } else {
                    programs.into_boxed_slice()
                },
                files: planned.files.into_boxed_slice(),
                queued: None,
            };
            match old.remove(&e.key).filter(|_| !first) {
                Some(prev) => {
                    e.server.start_checkers(now, super::random_u32);
                    for ev in e.server.carry_over(&prev.server, now) {
                        if let Event::Verdict { alive, .. } = ev {
                            out.push(Out::Verdict { key: e.key.clone(), alive, weight: e.server.effective_weight() });
                        }
                    }
                    out.extend(e.server.set_enabled(now, enabled).into_iter().map(Out::Log));
                }
                None => {
                    let _ = e.server.set_enabled(now, enabled);
                    // The initial verdict is the owner's starting state; the
                    // notify with rs_init_notifies is the owner's too.
                    let _ = e.server.start(now, super::random_u32);
                }
            }
            entries.push(e);
        }
        // The lines are temporaries: made after the entries, which stay,
        // so that freeing them leaves no holes among them.
        for e in &entries {
            activation.extend(e.server.activation_lines().into_iter().map(Out::Log));
        }
        self.entries = entries;
        self.heap = BinaryHeap::with_capacity(self.entries.len());
        for i in 0..self.entries.len() {
            self.requeue(i);
        }
        self.watch_files(&mut out);
        out.extend(activation);
        out
    }

    /// `ha_suspend`: the checkers of the real servers whose key `of` picks
    /// probe (`on`) or not; the lines of those that switched.
    pub(crate) fn set_enabled(&mut self, of: impl Fn(&K) -> bool, on: bool, now: Instant) -> Vec<Out<K>> {
        let mut out = Vec::new();
        for e in self.entries.iter_mut().filter(|e| of(&e.key)) {
            out.extend(e.server.set_enabled(now, on).into_iter().map(Out::Log));
        }
        out
    }

    /// Stops: probes in flight are dropped, ping_group_range put back.
    pub(crate) fn stop(&mut self) {
        self.generation += 1;
        self.running = 0;
        self.waiting.clear();
        if let Some(t) = &mut self.tcp {
            t.clear();
        }
        self.entries.clear();
        self.heap.clear();
        self.files = None;
        let mut out: Vec<Out<K>> = Vec::new();
        self.ping_group_range(false, &mut out);
        for o in out {
            if let Out::Log(l) = o {
                tracing::info!("{l}");
            }
        }
    }

    fn ping_group_range(&mut self, needed: bool, out: &mut Vec<Out<K>>) {
        match (needed, self.ping_restore) {
            (true, None) => match super::ping::widen_ping_group_range() {
                Ok(Some((start, warning))) => {
                    self.ping_restore = Some(start);
                    out.extend(warning.map(Out::Log));
                }
                Ok(None) => {}
                Err(e) => out.push(Out::Log(format!("Unable to set {} - {e}", super::ping::PING_GROUP_RANGE))),
            },
            (false, Some(start)) => {
                self.ping_restore = None;
                if let Err(e) = super::ping::restore_ping_group_range(start) {
                    out.push(Out::Log(format!("Unable to restore {} - {e}", super::ping::PING_GROUP_RANGE)));
                }
            }
            _ => {}
        }
    }

    /// Puts entry `i` in the heap at its next deadline (if it changed).
    fn requeue(&mut self, i: usize) {
        let Some(e) = self.entries.get_mut(i) else { return };
        let next = e.server.next_deadline();
        if next != e.queued {
            e.queued = next;
            if let Some(d) = next {
                self.heap.push(Reverse((d, i)));
            }
        }
    }

    /// The earliest deadline, skipping stale heap entries.
    fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((d, i))) = self.heap.peek().copied() {
            if self.entries.get(i).is_some_and(|e| e.queued == Some(d)) {
                return Some(d);
            }
            self.heap.pop();
        }
        None
    }

    /// Waits for the next thing to do. Cancel-safe.
    pub(crate) async fn wait(&mut self) -> Wake {
        let checks = self.next_deadline();
        let timeouts = self.tcp.as_mut().and_then(TcpBatch::next_timeout);
        let at = match (checks, timeouts) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let files = self.files.as_ref().map(|f| &f.fd);
        let tcp = self.tcp.as_ref();
        tokio::select! {
            () = self.wake.until(at) => Wake::Timer,
            Some(d) = self.rx.recv() => Wake::Done(DoneMsg(d)),
            Ok(()) = tcp_ready(tcp) => Wake::Tcp,
            Ok(mut g) = readable(files) => {
                g.clear_ready();
                Wake::Files
            }
        }
    }

    /// Acts on what [`Checks::wait`] returned; returns what to apply.
    pub(crate) fn handle(&mut self, wake: Wake, now: Instant) -> Vec<Out<K>> {
        let mut out = Vec::new();
        match wake {
            Wake::Timer => self.on_timer(now, &mut out),
            Wake::Done(DoneMsg(d)) => {
                self.on_done(d, now, &mut out);
                // The others that are in already, in one go.
                for _ in 0..256 {
                    let Ok(d) = self.rx.try_recv() else { break };
                    self.on_done(d, now, &mut out);
                }
            }
            Wake::Files => self.on_files(&mut out),
            Wake::Tcp => {
                let mut ended = Vec::new();
                if let Some(t) = &mut self.tcp {
                    t.collect(&mut ended);
                }
                self.on_tcp(ended, now, &mut out);
            }
        }
        out
    }

    /// TCP_CHECK connects that ended (or timed out), as probes' ends.
    fn on_tcp(&mut self, ended: Vec<((usize, usize), Outcome)>, now: Instant, out: &mut Vec<Out<K>>) {
        let generation = self.generation;
        for ((entry, checker), outcome) in ended {
            self.on_done(Done { generation, misc: false, entry, checker, outcome: Some(outcome) }, now, out);
        }
    }

    fn on_timer(&mut self, now: Instant, out: &mut Vec<Out<K>>) {
        let mut expired = Vec::new();
        if let Some(t) = &mut self.tcp {
            t.expire(now, &mut expired);
        }
        if !expired.is_empty() {
            self.on_tcp(expired, now, out);
        }
        while let Some(Reverse((d, i))) = self.heap.peek().copied() {
            if d > now {
                break;
            }
            self.heap.pop();
            let Some(e) = self.entries.get_mut(i) else { continue };
            if e.queued != Some(d) {
                continue;
            }
            e.queued = None;
            let events = e.server.timer(now);
            self.apply(i, events, out);
            self.requeue(i);
        }
    }

    fn on_done(&mut self, d: Done, now: Instant, out: &mut Vec<Out<K>>) {
        if d.generation != self.generation {
            return;
        }
        if !d.misc {
            self.running = self.running.saturating_sub(1);
            if let Some((i, checker, url)) = self.waiting.pop_front() {
                self.start_probe(i, checker, url);
            }
        }
        let Some(e) = self.entries.get_mut(d.entry) else { return };
        let events = match d.outcome {
            Some(o) => e.server.handle(now, d.checker, Input::Done(o)),
            // The run said nothing about the service (a script cancelled
            // or lost): try again on the next delay_loop, state unchanged.
            None => e.server.handle(now, d.checker, Input::Done(Outcome::Rescheduled(String::new()))),
        };
        let events = events.into_iter().filter(|ev| !matches!(ev, Event::Log(l) if l.is_empty())).collect();
        self.apply(d.entry, events, out);
        self.requeue(d.entry);
    }

    /// Turns a server's events into probes started and owner outputs.
    fn apply(&mut self, i: usize, events: Vec<Event>, out: &mut Vec<Out<K>>) {
        let mut after_verdict = false;
        for ev in events {
            let was_verdict = after_verdict;
            after_verdict = false;
            match ev {
                Event::Probe { checker, url } => self.spawn(i, checker, url),
                Event::Log(l) => out.push(Out::Log(l)),
                Event::Verdict { alive, .. } => {
                    let Some(e) = self.entries.get(i) else { continue };
                    out.push(Out::Verdict { key: e.key.clone(), alive, weight: e.server.effective_weight() });
                    after_verdict = true;
                }
                // The notify of a verdict is the owner's (it runs with the
                // table change, keepalived's perform_svr_state); a notify
                // alone confirms a first run.
                Event::Notify { .. } if was_verdict => {}
                Event::Notify { .. } => {
                    if let Some(e) = self.entries.get(i) {
                        out.push(Out::Notify(e.key.clone()));
                    }
                }
            }
        }
    }

    fn spawn(&mut self, i: usize, checker: usize, url: Option<usize>) {
        let Some(e) = self.entries.get(i) else { return };
        let Some(probe) = e.probes.get(checker) else { return };
        let tx = self.tx.clone();
        let generation = self.generation;
        if let Probe::Misc { timeout, .. } = probe {
            // A script refused when prepared never runs: the checker stays
            // as it started (keepalived drops such a checker).
            let Some(Some(program)) = e.programs.get(checker).cloned() else { return };
            let runner = self.misc.clone();
            let timeout = *timeout;
            tokio::spawn(async move {
                let outcome = super::misc::run(&runner, program, timeout).await;
                let _ = tx.send(Done { generation, misc: true, entry: i, checker, outcome });
            });
            return;
        }
        if self.running >= MAX_PROBES {
            self.waiting.push_back((i, checker, url));
            return;
        }
        self.start_probe(i, checker, url);
    }

    fn start_probe(&mut self, i: usize, checker: usize, url: Option<usize>) {
        let generation = self.generation;
        // TCP_CHECK on the poller: no task, no copy. An outcome known at
        // once comes back as a task's would, through the channel.
        if let (Some(Probe::Tcp(opts)), Some(t)) =
            (self.entries.get(i).and_then(|e| e.probes.get(checker)), &mut self.tcp)
        {
            self.running += 1;
            if let Err((_, outcome)) = t.start(opts, (i, checker), crate::clock::now()) {
                let _ = self.tx.send(Done { generation, misc: false, entry: i, checker, outcome: Some(outcome) });
            }
            return;
        }
        let Some(e) = self.entries.get(i) else { return };
        let Some(probe) = e.probes.get(checker) else { return };
        self.running += 1;
        let tx = self.tx.clone();
        // A copy for the task.
        let probe = probe.clone();
        self.dns_id = self.dns_id.wrapping_add(1);
        let dns_id = self.dns_id;
        let rs_name = e.server.checkers().get(checker).map(|c| c.params().names.rs.clone()).unwrap_or_default();
        tokio::spawn(async move {
            let outcome = super::plan::run(&probe, url, dns_id, &rs_name).await;
            let _ = tx.send(Done { generation, misc: false, entry: i, checker, outcome });
        });
    }

    // ----------------------------------------------------------- FILE_CHECK

    fn watch_files(&mut self, out: &mut Vec<Out<K>>) {
        let mut watch = Watched::new();
        let any = self.entries.iter().any(|e| !e.files.is_empty());
        self.files = None;
        if !any {
            return;
        }
        let fd = match crate::sys::async_inotify() {
            Ok(fd) => fd,
            Err(_) => {
                out.push(Out::Log("Unable to monitor track files".to_owned()));
                return;
            }
        };
        let mut dirs: HashMap<PathBuf, i32> = HashMap::new();
        for (i, e) in self.entries.iter().enumerate() {
            for (j, f) in e.files.iter().enumerate() {
                let path = Path::new(&f.path);
                let (dir, name) = match (path.parent(), path.file_name()) {
                    (Some(d), Some(n)) => (if d.as_os_str().is_empty() { Path::new(".") } else { d }, n),
                    _ => continue,
                };
                let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
                let wd = match dirs.get(&dir) {
                    Some(wd) => *wd,
                    None => {
                        let mask = libc::IN_CLOSE_WRITE | libc::IN_DELETE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO;
                        match crate::sys::inotify_watch(fd.get_ref().as_fd(), &dir, mask) {
                            Ok(wd) => {
                                dirs.insert(dir.clone(), wd);
                                wd
                            }
                            Err(_) => {
                                out.push(Out::Log(format!(
                                    "Track file directory for {} does not exist - removing",
                                    f.name
                                )));
                                continue;
                            }
                        }
                    }
                };
                use std::os::unix::ffi::OsStrExt;
                watch.entry((wd, name.as_bytes().to_vec())).or_default().push((i, j, PathBuf::from(&f.path)));
            }
        }
        self.files = Some(FileWatch { fd, watch });
    }

    fn on_files(&mut self, out: &mut Vec<Out<K>>) {
        let Some(fw) = &self.files else { return };
        let mut buf = [0u8; 4096];
        let mut changed: Vec<(usize, usize, i64)> = Vec::new();
        loop {
            let n = match std::io::Read::read(&mut fw.fd.get_ref(), &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            for ev in crate::sys::inotify_events(buf.get(..n).unwrap_or_default()) {
                if ev.mask & libc::IN_ISDIR != 0 {
                    continue;
                }
                let Some(targets) = fw.watch.get(&(ev.wd, ev.name.clone())) else { continue };
                for (i, j, path) in targets {
                    let value = if ev.mask & (libc::IN_MOVED_FROM | libc::IN_DELETE) != 0 {
                        0
                    } else {
                        match super::file::read(path) {
                            FileValue::Value(v) => v,
                            FileValue::Invalid(v) => {
                                out.push(Out::Log(invalid_line(v, path)));
                                continue;
                            }
                        }
                    };
                    changed.push((*i, *j, value));
                }
            }
        }
        for (i, j, value) in changed {
            let Some(e) = self.entries.get_mut(i) else { continue };
            let events = e.server.file_value(j, value);
            self.apply(i, events, out);
            self.requeue(i);
        }
    }
}

/// What a (watch, name in the directory) is for: entry, file index, path.
type Watched = HashMap<(i32, Vec<u8>), Vec<(usize, usize, PathBuf)>>;

/// The inotify instance and what its events are for.
struct FileWatch {
    fd: AsyncFd<std::fs::File>,
    watch: Watched,
}

async fn tcp_ready(batch: Option<&TcpBatch<(usize, usize)>>) -> std::io::Result<()> {
    match batch {
        Some(b) => b.ready().await,
        None => std::future::pending().await,
    }
}

async fn readable(
    fd: Option<&AsyncFd<std::fs::File>>,
) -> std::io::Result<tokio::io::unix::AsyncFdReadyGuard<'_, std::fs::File>> {
    match fd {
        Some(fd) => fd.readable().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::check::plan::{PlanInputs, plan};
    use crate::config::validate::SystemView;

    /// The jobs of a configuration, keyed by their order.
    fn jobs(text: &str) -> Vec<Job<usize>> {
        let l = crate::config::load_str(Path::new("t.conf"), text, &Default::default(), &SystemView::default());
        let inputs = PlanInputs { track_files: &l.config.vrrp.track_files, tls: None };
        let (planned, warnings) = plan(&l.config.lvs, &inputs);
        assert!(warnings.is_empty(), "{warnings:?}");
        planned
            .into_iter()
            .enumerate()
            .map(|(key, planned)| {
                let programs = vec![None; planned.probes.len()];
                Job { key, planned, programs, enabled: true }
            })
            .collect()
    }

    fn conf(port: u16, extra: &str) -> String {
        format!(
            "virtual_server 10.0.0.1 80 {{\n protocol TCP\n delay_loop 0.3\n real_server 127.0.0.1 {port} {{\n \
             weight 5\n TCP_CHECK {{\n connect_timeout 0.5\n retry 0\n warmup 0\n }}\n {extra} }}\n}}\n"
        )
    }

    /// Runs the checkers until an output satisfies `f` (or `limit` passes);
    /// returns everything that came out.
    async fn until(c: &mut Checks<usize>, limit: Duration, f: impl Fn(&Out<usize>) -> bool) -> Vec<Out<usize>> {
        let end = tokio::time::Instant::now() + limit;
        let mut all = Vec::new();
        while let Ok(w) = tokio::time::timeout_at(end, c.wait()).await {
            let out = c.handle(w, crate::clock::now());
            let done = out.iter().any(&f);
            all.extend(out);
            if done {
                break;
            }
        }
        all
    }

    fn verdict(o: &Out<usize>) -> bool {
        matches!(o, Out::Verdict { .. })
    }

    #[tokio::test]
    async fn a_dead_listener_takes_the_server_out_and_back() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
        let (runner, _rx) = ScriptRunner::new(2);
        let mut c = Checks::new(runner);
        let out = c.load(jobs(&conf(port, "")), crate::clock::now(), true);
        assert_eq!(
            out,
            vec![Out::Log(format!(
                "Activating healthchecker for service [127.0.0.1]:tcp:{port} for VS [10.0.0.1]:tcp:80"
            ))]
        );
        // Up at start, and its first check confirms it: no verdict.
        let out = until(&mut c, Duration::from_millis(1600), verdict).await;
        assert_eq!(out, vec![Out::Log(format!("TCP connection to [127.0.0.1]:tcp:{port} success."))]);
        drop(l);
        let out = until(&mut c, Duration::from_secs(3), verdict).await;
        assert_eq!(out.last(), Some(&Out::Verdict { key: 0, alive: false, weight: 5 }), "{out:?}");
        let l = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| panic!("{e}"));
        let out = until(&mut c, Duration::from_secs(3), verdict).await;
        assert_eq!(out.last(), Some(&Out::Verdict { key: 0, alive: true, weight: 5 }), "{out:?}");
        drop(l);
        c.stop();
    }

    /// A listener whose accept queue is full drops the SYNs: the connect on
    /// the poller times out on connect_timeout, and its socket is closed.
    #[tokio::test]
    async fn a_connect_that_never_completes_times_out() {
        let (_l, addr, held) = super::super::tcp::timeout_tests::saturated_listener();
        let (runner, _rx) = ScriptRunner::new(2);
        let mut c = Checks::new(runner);
        assert!(c.tcp.is_some(), "no poller");
        let start = crate::clock::now();
        c.load(jobs(&conf(addr.port(), "")), start, true);
        let out = until(&mut c, Duration::from_secs(4), verdict).await;
        assert_eq!(out.last(), Some(&Out::Verdict { key: 0, alive: false, weight: 5 }), "{out:?}");
        // The first probe starts after the bootstrap delay; its connect
        // times out 0.5 s later (a refused one would end at once).
        let took = start.elapsed();
        let first = super::super::state::BOOTSTRAP_DELAY;
        assert!(took >= first + Duration::from_millis(450), "{took:?}");
        assert!(took < first + Duration::from_millis(900), "{took:?}");
        c.stop();
        drop(held);
    }

    #[tokio::test]
    async fn a_reload_keeps_a_failed_server_out_without_a_new_warmup() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
        drop(l);
        let (runner, _rx) = ScriptRunner::new(2);
        let mut c = Checks::new(runner);
        c.load(jobs(&conf(port, "")), crate::clock::now(), true);
        let out = until(&mut c, Duration::from_secs(3), verdict).await;
        assert_eq!(out.last(), Some(&Out::Verdict { key: 0, alive: false, weight: 5 }));
        // Same settings: nothing to apply, still down; the next check is on
        // its old schedule (within a delay_loop), not after a new start-up.
        let out = c.load(jobs(&conf(port, "")), crate::clock::now(), false);
        assert!(!out.iter().any(verdict), "{out:?}");
        assert!(c.servers().get(&0).is_some_and(|s| !s.alive()));
        let due = c.next_deadline().unwrap_or_else(|| panic!("no deadline"));
        assert!(due <= crate::clock::now() + Duration::from_millis(300), "rescheduled from scratch");
        // A changed checker starts over: the server is up until it runs.
        let out = c.load(jobs(&conf(port, "").replace("retry 0", "retry 1")), crate::clock::now(), false);
        assert!(out.contains(&Out::Verdict { key: 0, alive: true, weight: 5 }), "{out:?}");
        c.stop();
    }

    #[tokio::test]
    async fn file_check_weights_follow_the_file() {
        let dir = std::env::temp_dir().join(format!("kr-file-check-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let file = dir.join("weight");
        std::fs::write(&file, "3\n").unwrap_or_else(|e| panic!("{e}"));
        let text = format!(
            "track_file tf {{\n file {}\n weight 1\n}}\nvirtual_server 10.0.0.1 80 {{\n protocol TCP\n \
             real_server 127.0.0.1 80 {{\n weight 5\n FILE_CHECK {{\n track_file tf\n }}\n }}\n}}\n",
            file.display()
        );
        let (runner, _rx) = ScriptRunner::new(2);
        let mut c = Checks::new(runner);
        c.load(jobs(&text), crate::clock::now(), true);
        // Read at start: 5 + 3.
        assert!(c.servers().get(&0).is_some_and(|s| s.alive() && s.effective_weight() == 8));
        std::fs::write(&file, "-5\n").unwrap_or_else(|e| panic!("{e}"));
        let out = until(&mut c, Duration::from_secs(3), verdict).await;
        assert_eq!(out.last(), Some(&Out::Verdict { key: 0, alive: true, weight: 0 }), "{out:?}");
        // Moved away: reads 0.
        std::fs::rename(&file, dir.join("gone")).unwrap_or_else(|e| panic!("{e}"));
        let out = until(&mut c, Duration::from_secs(3), verdict).await;
        assert_eq!(out.last(), Some(&Out::Verdict { key: 0, alive: true, weight: 5 }), "{out:?}");
        c.stop();
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// What a real server costs the checker child: these are kept per real
/// server for the whole run (tens of thousands of them), so growing one is a
/// decision, not an accident (bench/check-scale.sh measures the whole).
#[cfg(test)]
mod sizes {
    use std::mem::size_of;

    use super::*;
    use crate::check::conn::ConnOpts;
    use crate::check::state::{Checker, Params};

    #[test]
    fn per_real_server_structures_stay_small() {
        assert!(size_of::<ConnOpts>() <= 56, "ConnOpts {}", size_of::<ConnOpts>());
        assert!(size_of::<Probe>() <= 88, "Probe {}", size_of::<Probe>());
        assert!(size_of::<Params>() <= 88, "Params {}", size_of::<Params>());
        assert!(size_of::<Checker>() <= 184, "Checker {}", size_of::<Checker>());
        assert!(size_of::<Server>() <= 104, "Server {}", size_of::<Server>());
        assert!(size_of::<Entry<crate::ipvs::runtime::RsKey>>() <= 240);
    }

    #[test]
    fn checkers_of_a_virtual_server_share_their_settings() {
        let mut text = String::from("virtual_server 10.0.0.1 80 {\n protocol TCP\n delay_loop 2\n");
        for i in 0..3 {
            text.push_str(&format!(
                " real_server 127.0.0.{} 80 {{\n TCP_CHECK {{\n connect_timeout 1\n }}\n }}\n",
                i + 1
            ));
        }
        text.push_str("}\n");
        let l = crate::config::load_str(Path::new("t.conf"), &text, &Default::default(), &Default::default());
        let (planned, _) = crate::check::plan::plan(&l.config.lvs, &Default::default());
        let params: Vec<&Params> =
            planned.iter().filter_map(|p| p.server.checkers().first()).map(|c| c.params()).collect();
        assert_eq!(params.len(), 3);
        for p in &params[1..] {
            assert!(Arc::ptr_eq(&p.timing, &params[0].timing));
            assert!(Arc::ptr_eq(&p.names.target, &params[0].names.target));
            assert!(Arc::ptr_eq(&p.names.vs, &params[0].names.vs));
        }
        // TCP_CHECK's lines never name the target: one empty name for all.
        assert_eq!(&*params[0].names.target, "");
        let Probe::Tcp(conn) = &planned[0].probes[0] else { panic!("not a TCP_CHECK") };
        assert!(conn.local.is_none());
    }
}
