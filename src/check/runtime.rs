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
//!   session from the one shared context); each reports on a channel,
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
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::unix::AsyncFd;
use tokio::sync::{Semaphore, mpsc};

use super::file::{FileValue, invalid_line};
use super::plan::{Planned, Probe, WatchedFile};
use super::server::{Event, Server};
use super::state::{Input, Outcome};
use crate::script::{Program, ScriptRunner};

/// Probes running at once at most; more wait for a slot (their timeout
/// starts when they run).
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
}

struct Entry<K> {
    key: K,
    server: Server,
    probes: Vec<Arc<Probe>>,
    programs: Vec<Option<Arc<Program>>>,
    files: Vec<WatchedFile>,
    rs_name: Arc<str>,
    /// The deadline this entry is in the heap with (others are stale).
    queued: Option<Instant>,
}

/// A probe's end, back from its task.
struct Done {
    generation: u64,
    entry: usize,
    checker: usize,
    outcome: Option<Outcome>,
}

/// Why the runtime woke up: [`Checks::wait`] returns it, [`Checks::handle`] acts.
pub(crate) enum Wake {
    Timer,
    Done(DoneMsg),
    Files,
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
    slots: Arc<Semaphore>,
    misc: ScriptRunner<()>,
    wake: crate::clock::Wake,
    files: Option<FileWatch>,
    /// The start of ping_group_range to put back at the end.
    ping_restore: Option<u64>,
    dns_id: u16,
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
            slots: Arc::new(Semaphore::new(MAX_PROBES)),
            misc,
            wake: crate::clock::Wake::precise(),
            files: None,
            ping_restore: None,
            dns_id: (super::random_u32() & 0xffff) as u16,
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
        let mut old: HashMap<K, Entry<K>> =
            std::mem::take(&mut self.entries).into_iter().map(|e| (e.key.clone(), e)).collect();
        self.heap.clear();
        let pings = jobs.iter().any(|j| j.planned.probes.iter().any(|p| matches!(p, Probe::Ping(_))));
        self.ping_group_range(pings, &mut out);
        let mut activation = Vec::new();
        for job in jobs {
            let Job { key, planned, programs } = job;
            let rs_name: Arc<str> =
                Arc::from(planned.server.checkers().first().map_or("", |c| c.params().names.rs.as_str()));
            let mut e = Entry {
                key,
                server: planned.server,
                probes: planned.probes.into_iter().map(Arc::new).collect(),
                programs,
                files: planned.files,
                rs_name,
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
                }
                None => {
                    // The initial verdict is the owner's starting state; the
                    // notify with rs_init_notifies is the owner's too.
                    let _ = e.server.start(now, super::random_u32);
                }
            }
            activation.extend(e.server.activation_lines().into_iter().map(Out::Log));
            self.entries.push(e);
        }
        for i in 0..self.entries.len() {
            self.requeue(i);
        }
        self.watch_files(&mut out);
        out.extend(activation);
        out
    }

    /// Stops: probes in flight are dropped, ping_group_range put back.
    pub(crate) fn stop(&mut self) {
        self.generation += 1;
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
        let at = self.next_deadline();
        let files = self.files.as_ref().map(|f| &f.fd);
        tokio::select! {
            () = self.wake.until(at) => Wake::Timer,
            Some(d) = self.rx.recv() => Wake::Done(DoneMsg(d)),
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
            Wake::Done(DoneMsg(d)) => self.on_done(d, now, &mut out),
            Wake::Files => self.on_files(&mut out),
        }
        out
    }

    fn on_timer(&mut self, now: Instant, out: &mut Vec<Out<K>>) {
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
        let Some(probe) = e.probes.get(checker).cloned() else { return };
        let tx = self.tx.clone();
        let generation = self.generation;
        let slots = self.slots.clone();
        if let Probe::Misc { timeout, .. } = &*probe {
            // A script refused when prepared never runs: the checker stays
            // as it started (keepalived drops such a checker).
            let Some(Some(program)) = e.programs.get(checker).cloned() else { return };
            let runner = self.misc.clone();
            let timeout = *timeout;
            tokio::spawn(async move {
                let outcome = super::misc::run(&runner, program, timeout).await;
                let _ = tx.send(Done { generation, entry: i, checker, outcome });
            });
            return;
        }
        self.dns_id = self.dns_id.wrapping_add(1);
        let dns_id = self.dns_id;
        let rs_name = e.rs_name.clone();
        tokio::spawn(async move {
            let Ok(_slot) = slots.acquire_owned().await else { return };
            let outcome = super::plan::run(&probe, url, dns_id, &rs_name).await;
            let _ = tx.send(Done { generation, entry: i, checker, outcome });
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
                        match crate::sys::inotify_add_watch(fd.get_ref().as_fd(), &dir, mask) {
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

async fn readable(
    fd: Option<&AsyncFd<std::fs::File>>,
) -> std::io::Result<tokio::io::unix::AsyncFdReadyGuard<'_, std::fs::File>> {
    match fd {
        Some(fd) => fd.readable().await,
        None => std::future::pending().await,
    }
}
