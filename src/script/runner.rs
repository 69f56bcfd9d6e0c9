//! The runner: starts scripts as tokio tasks, at most `limit` at a time,
//! and reports how each ended.
//!
//! Each run is one task on the caller's runtime (no thread of its own):
//! a vfork-style clone and exec (`sys::spawn_script`: the only short
//! blocking step, until the exec succeeds or fails), then the child's exit
//! is awaited on a pidfd registered with the reactor. Without pidfds
//! (kernels before 5.3) the child is polled with `waitid(WNOHANG)`, from
//! 1 ms up to every 100 ms.
//!
//! A child is observed with `WNOWAIT` first and reaped afterwards: while it
//! is an unreaped zombie its pid, which is also its process group's id,
//! cannot be reused, so killing the group after a timeout can never hit an
//! unrelated process. Every child is reaped; nothing else in a process that
//! uses the runner may reap children it did not start (`waitpid(-1)`), or
//! set SIGCHLD to SIG_IGN.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::unix::AsyncFd;
use tokio::sync::{Notify, Semaphore, mpsc, oneshot, watch};
use tokio::time::Instant;

use super::prepare::command_line;
use super::request::{Request, STOP_LIMIT};
use super::security::strerror;
use crate::sys::{self, ChildEnd};

/// How long after SIGKILL a process group is signalled again (with a log
/// line) if its leader still has not exited, the first time and then.
const KILL_WAIT: Duration = Duration::from_secs(2);
const KILL_RETRY: Duration = Duration::from_secs(10);

/// The default cap on scripts running at once.
pub const DEFAULT_LIMIT: usize = 64;

/// Identifies one run, in the order runs were requested.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScriptId(pub u64);

/// How a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// It exited with this status.
    Exited(i32),
    /// A signal not sent by the runner ended it.
    Signalled(i32),
    /// It ran past its timeout and was killed (its whole process group).
    /// As upstream, a script that catches the SIGTERM and exits by itself
    /// reports `Exited` with its status instead.
    TimedOut,
    /// Stopped by [`ScriptRunner::terminate_all`] (reload, shutdown), or
    /// never started because of it.
    Cancelled,
    /// It could not be started (fork, the switch of user, or exec failed).
    SpawnFailed(String),
    /// Its exit status was taken by someone else (a stray `waitpid(-1)`).
    Lost,
}

impl Outcome {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        *self == Outcome::Exited(0)
    }
}

/// A finished run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Completion<T> {
    pub id: ScriptId,
    /// What the caller attached to the request.
    pub tag: T,
    /// The script's pid (and process group), if it started.
    pub pid: Option<u32>,
    pub outcome: Outcome,
}

struct Inner {
    slots: Semaphore,
    limit: usize,
    next_id: AtomicU64,
    queued: AtomicUsize,
    running: AtomicUsize,
    active: AtomicUsize,
    idle: Notify,
    cancel: watch::Sender<u64>,
}

/// Runs scripts; cheap to clone (all clones share the cap and the queue).
/// Completions of [`ScriptRunner::spawn`] arrive on the channel returned by
/// [`ScriptRunner::new`], tagged with what the caller gave.
pub struct ScriptRunner<T> {
    inner: Arc<Inner>,
    tx: mpsc::UnboundedSender<Completion<T>>,
}

impl<T> Clone for ScriptRunner<T> {
    fn clone(&self) -> Self {
        ScriptRunner { inner: self.inner.clone(), tx: self.tx.clone() }
    }
}

impl<T: Send + 'static> ScriptRunner<T> {
    /// A runner that lets at most `limit` scripts (at least 1) run at once;
    /// more wait in order of request.
    pub fn new(limit: usize) -> (Self, mpsc::UnboundedReceiver<Completion<T>>) {
        let limit = limit.max(1);
        let (tx, rx) = mpsc::unbounded_channel();
        let inner = Inner {
            slots: Semaphore::new(limit),
            limit,
            next_id: AtomicU64::new(1),
            queued: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            idle: Notify::new(),
            cancel: watch::channel(0).0,
        };
        (ScriptRunner { inner: Arc::new(inner), tx }, rx)
    }

    /// Starts (or queues) a run and returns at once; its [`Completion`],
    /// carrying `tag`, comes on the channel. Call it on the runtime.
    pub fn spawn(&self, tag: T, req: Request) -> ScriptId {
        let tx = self.tx.clone();
        self.start(req, move |id, pid, outcome| {
            // A dropped receiver means nobody waits for results any more.
            let _ = tx.send(Completion { id, tag, pid, outcome });
        })
    }
}

impl<T> ScriptRunner<T> {
    /// Runs a script to its end (queueing first if the cap is reached).
    /// Dropping the future does not stop the script: it still runs to its
    /// end or timeout and is reaped.
    pub async fn run(&self, req: Request) -> Completion<()> {
        let (tx, rx) = oneshot::channel();
        let id = self.start(req, move |id, pid, outcome| {
            let _ = tx.send(Completion { id, tag: (), pid, outcome });
        });
        rx.await.unwrap_or(Completion { id, tag: (), pid: None, outcome: Outcome::Cancelled })
    }

    /// Scripts running now.
    pub fn running(&self) -> usize {
        self.inner.running.load(Ordering::SeqCst)
    }

    /// Requests waiting for a free slot.
    pub fn queued(&self) -> usize {
        self.inner.queued.load(Ordering::SeqCst)
    }

    /// The cap on scripts running at once.
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// Stops every script requested so far, as upstream does on reload and
    /// shutdown: SIGTERM to each running script's process group, SIGKILL
    /// 1 s later if it has not exited; waiting requests are dropped from the
    /// queue. Each reports [`Outcome::Cancelled`]. Later requests run
    /// normally.
    pub fn terminate_all(&self) {
        self.inner.cancel.send_modify(|generation| *generation += 1);
    }

    /// Waits until no script is running or waiting (after
    /// [`ScriptRunner::terminate_all`] at shutdown).
    pub async fn idle(&self) {
        loop {
            let notified = self.inner.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.inner.active.load(Ordering::SeqCst) == 0 {
                return;
            }
            notified.await;
        }
    }

    fn start<F>(&self, req: Request, done: F) -> ScriptId
    where
        F: FnOnce(ScriptId, Option<u32>, Outcome) + Send + 'static,
    {
        let id = ScriptId(self.inner.next_id.fetch_add(1, Ordering::SeqCst));
        let cancel = self.inner.cancel.subscribe();
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            done(id, None, Outcome::SpawnFailed("no tokio runtime".into()));
            return id;
        };
        let inner = self.inner.clone();
        inner.active.fetch_add(1, Ordering::SeqCst);
        handle.spawn(async move {
            let (pid, outcome) = execute(&inner, &req, cancel).await;
            tracing::debug!(script = req.name(), pid, ?outcome, "script finished");
            done(id, pid, outcome);
            if inner.active.fetch_sub(1, Ordering::SeqCst) == 1 {
                inner.idle.notify_waiters();
            }
        });
        id
    }
}

/// Decrements a counter when dropped.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(c: &'a AtomicUsize) -> Self {
        c.fetch_add(1, Ordering::SeqCst);
        Counted(c)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn execute(inner: &Inner, req: &Request, mut cancel: watch::Receiver<u64>) -> (Option<u32>, Outcome) {
    let permit = match inner.slots.try_acquire() {
        Ok(p) => p,
        Err(_) => {
            let _waiting = Counted::new(&inner.queued);
            tracing::debug!(script = req.name(), limit = inner.limit, "script waits for a free slot");
            tokio::select! {
                p = inner.slots.acquire() => match p {
                    Ok(p) => p,
                    Err(_) => return (None, Outcome::Cancelled),
                },
                _ = cancel.changed() => return (None, Outcome::Cancelled),
            }
        }
    };
    let _running = Counted::new(&inner.running);
    let result = run_process(req, &mut cancel).await;
    drop(permit);
    result
}

/// Where a run is in its timeout handling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Running,
    /// SIGTERM sent to the group.
    Terminating,
    /// SIGKILL sent to the group.
    Killing,
}

async fn run_process(req: &Request, cancel: &mut watch::Receiver<u64>) -> (Option<u32>, Outcome) {
    let argv = req.argv();
    if argv.is_empty() {
        return (None, Outcome::SpawnFailed("empty command".into()));
    }
    let pid = match spawn(req, &argv) {
        Ok(pid) => pid,
        Err(e) => {
            tracing::info!(
                "Error exec-ing command '{}', error {}: {}",
                argv.first().map(String::as_str).unwrap_or(""),
                e.raw_os_error().unwrap_or(0),
                strerror(&e)
            );
            return (None, Outcome::SpawnFailed(strerror(&e)));
        }
    };
    tracing::debug!(script = req.name(), pid, "script started");

    let mut watch = ExitWatch::new(pid);
    let mut phase = Phase::Running;
    let mut deadline = req.timeout.map(|t| Instant::now() + t);
    let mut cancelled = false;
    let mut cancel_open = true;
    loop {
        tokio::select! {
            biased;
            r = watch.exited() => match r {
                Ok(()) => break,
                Err(e) if e.raw_os_error() == Some(libc::ECHILD) => {
                    tracing::info!("Script {} child (PID {pid}) lost", req.name());
                    if phase != Phase::Running {
                        let _ = sys::kill_process_group(pid, libc::SIGKILL);
                    }
                    return (Some(pid), Outcome::Lost);
                }
                Err(e) => {
                    tracing::debug!(pid, "waiting on a pidfd failed ({e}); polling instead");
                    watch = ExitWatch::Poll { pid, delay: Duration::from_millis(1) };
                }
            },
            r = cancel.changed(), if cancel_open && !cancelled => {
                if r.is_err() {
                    cancel_open = false;
                    continue;
                }
                cancelled = true;
                if phase == Phase::Running {
                    signal_group(pid, libc::SIGTERM);
                    phase = Phase::Terminating;
                    deadline = Some(Instant::now() + STOP_LIMIT);
                }
            },
            () = sleep_until(deadline), if deadline.is_some() => {
                let now = Instant::now();
                match phase {
                    Phase::Running => match req.grace {
                        Some(grace) => {
                            signal_group(pid, libc::SIGTERM);
                            phase = Phase::Terminating;
                            deadline = Some(now + grace);
                        }
                        None => {
                            signal_group(pid, libc::SIGKILL);
                            phase = Phase::Killing;
                            deadline = Some(now + KILL_WAIT);
                        }
                    },
                    Phase::Terminating => {
                        signal_group(pid, libc::SIGKILL);
                        phase = Phase::Killing;
                        deadline = Some(now + KILL_WAIT);
                    }
                    Phase::Killing => {
                        match &req.label {
                            Some(name) => tracing::info!("Script {name} child (PID {pid}) failed to terminate after kill"),
                            None => tracing::info!("Child (PID {pid}) failed to terminate after kill"),
                        }
                        signal_group(pid, libc::SIGKILL);
                        deadline = Some(now + KILL_RETRY);
                    }
                }
            },
        }
    }

    // The leader is a zombie: after a timeout, whatever it left in its group
    // goes too, before the group's id can be reused.
    if phase != Phase::Running {
        signal_group(pid, libc::SIGKILL);
    }
    let end = match sys::child_ended(pid, true) {
        Ok(Some(end)) => end,
        Ok(None) | Err(_) => {
            tracing::info!("Script {} child (PID {pid}) lost", req.name());
            return (Some(pid), Outcome::Lost);
        }
    };
    let outcome = match (end, phase) {
        _ if cancelled => Outcome::Cancelled,
        (ChildEnd::Exited(code), _) => Outcome::Exited(code),
        (ChildEnd::Signalled(sig), Phase::Running) => Outcome::Signalled(sig),
        (ChildEnd::Signalled(sig), _) if sig == libc::SIGTERM || sig == libc::SIGKILL => Outcome::TimedOut,
        (ChildEnd::Signalled(sig), _) => Outcome::Signalled(sig),
    };
    (Some(pid), outcome)
}

/// Starts the process of a request: the program with its arguments, or
/// `/bin/sh -c` with upstream's quoted command line for a redirection. The
/// child gets /dev/null as stdin, stdout and stderr (upstream's scripts
/// write to /dev/null too: nothing a script prints is kept), its own process
/// group, the request's credentials, default signal dispositions and
/// SIGTERM when we die; the environment and working directory are ours.
/// Nothing of our memory is copied (see `sys::spawn_script`): this runs
/// 100 times a second in a large VRRP process.
fn spawn(req: &Request, argv: &[String]) -> io::Result<u32> {
    let shell;
    let argv = if req.program.shell {
        shell = ["/bin/sh".to_owned(), "-c".to_owned(), command_line(argv)];
        &shell[..]
    } else {
        argv
    };
    let creds = &req.program.creds;
    let (euid, egid) = sys::effective_ids();
    // A non-root process that runs scripts as itself cannot call setgroups.
    let apply_ids = euid == 0 || creds.uid != euid || creds.gid != egid;
    let ids = apply_ids.then_some(sys::SpawnIds { uid: creds.uid, gid: creds.gid, groups: &creds.groups });
    sys::spawn_script(argv, ids)
}

fn signal_group(pgid: u32, sig: i32) {
    if let Err(e) = sys::kill_process_group(pgid, sig) {
        tracing::debug!(pgid, sig, "kill of a script's process group failed: {e}");
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(d) = deadline {
        tokio::time::sleep_until(d).await;
    }
}

/// Waits for a child to exit, without reaping it.
enum ExitWatch {
    Pidfd(AsyncFd<std::os::fd::OwnedFd>, u32),
    Poll { pid: u32, delay: Duration },
}

impl ExitWatch {
    fn new(pid: u32) -> Self {
        match sys::async_pidfd(pid) {
            Ok(fd) => ExitWatch::Pidfd(fd, pid),
            Err(e) => {
                tracing::debug!(pid, "no pidfd ({e}); polling the script's exit");
                ExitWatch::Poll { pid, delay: Duration::from_millis(1) }
            }
        }
    }

    /// Resolves once the child is a zombie. Cancel-safe.
    async fn exited(&mut self) -> io::Result<()> {
        match self {
            ExitWatch::Pidfd(fd, pid) => loop {
                let mut guard = fd.readable().await?;
                if sys::child_ended(*pid, false)?.is_some() {
                    return Ok(());
                }
                guard.clear_ready();
            },
            ExitWatch::Poll { pid, delay } => loop {
                if sys::child_ended(*pid, false)?.is_some() {
                    return Ok(());
                }
                tokio::time::sleep(*delay).await;
                *delay = (*delay * 2).min(Duration::from_millis(100));
            },
        }
    }
}
