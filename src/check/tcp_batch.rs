//! TCP_CHECK for the health checkers' runtime, without a task per probe:
//! every connect in flight is registered with one poller of its own (an
//! epoll set, itself watched by the event loop), its timeout kept in a heap
//! that the runtime's timer serves. A probe then costs socket, connect, one
//! registration, SO_ERROR and close: no task, no timer entry, no channel
//! message, and no deregistration (closing the socket takes it out of the
//! set). The outcomes are those of [`super::tcp::probe`], which the other
//! users of a single probe keep.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use socket2::{Protocol, SockAddr, Socket, Type};
use tokio::io::unix::AsyncFd;

use super::conn::{ConnOpts, ConnectError};
use super::state::{Failure, Outcome};

/// Events read per poll.
const BATCH: usize = 256;

/// One connect in flight.
struct Pending<T> {
    socket: Socket,
    tag: T,
    /// Tells a reused slot's heap entries from its own.
    seq: u64,
}

/// The connects in flight, each with a tag (who asked) to give back with
/// its outcome.
pub(crate) struct TcpBatch<T> {
    poll: AsyncFd<Poll>,
    events: Events,
    slots: Vec<Option<Pending<T>>>,
    free: Vec<usize>,
    timeouts: BinaryHeap<Reverse<(Instant, usize, u64)>>,
    seq: u64,
}

impl<T> TcpBatch<T> {
    /// A poller, registered with the current runtime.
    pub(crate) fn new() -> io::Result<TcpBatch<T>> {
        Ok(TcpBatch {
            poll: crate::sys::async_poll()?,
            events: Events::with_capacity(BATCH),
            slots: Vec::new(),
            free: Vec::new(),
            timeouts: BinaryHeap::new(),
            seq: 0,
        })
    }

    /// Starts a probe at `now`; an outcome known at once is returned.
    pub(crate) fn start(&mut self, opts: &ConnOpts, tag: T, now: Instant) -> Result<(), (T, Outcome)> {
        let s = match super::conn::socket(opts, Type::STREAM, Protocol::TCP) {
            Ok(s) => s,
            Err(e) => return Err((tag, outcome(Err(e)))),
        };
        match s.connect(&SockAddr::from(opts.target)) {
            // Connected at once: up (the socket closes as it drops).
            Ok(()) => return Err((tag, Outcome::Success)),
            Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
            Err(e) => return Err((tag, outcome(Err(ConnectError::Unreachable(e))))),
        }
        let slot = self.free.pop().unwrap_or(self.slots.len());
        let fd = s.as_raw_fd();
        if let Err(e) = self.poll.get_ref().registry().register(&mut SourceFd(&fd), Token(slot), Interest::WRITABLE) {
            return Err((tag, outcome(Err(ConnectError::Socket(e)))));
        }
        self.seq += 1;
        let pending = Some(Pending { socket: s, tag, seq: self.seq });
        match self.slots.get_mut(slot) {
            Some(p) => *p = pending,
            None => self.slots.push(pending),
        }
        self.timeouts.push(Reverse((now + opts.timeout, slot, self.seq)));
        Ok(())
    }

    /// The earliest timeout of a probe in flight.
    pub(crate) fn next_timeout(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, slot, seq))) = self.timeouts.peek().copied() {
            if self.slots.get(slot).and_then(Option::as_ref).is_some_and(|p| p.seq == seq) {
                return Some(at);
            }
            self.timeouts.pop();
        }
        None
    }

    /// The probes whose timeout passed at `now`: down, their sockets closed.
    pub(crate) fn expire(&mut self, now: Instant, out: &mut Vec<(T, Outcome)>) {
        while let Some(Reverse((at, slot, seq))) = self.timeouts.peek().copied() {
            if at > now {
                break;
            }
            self.timeouts.pop();
            if self.slots.get(slot).and_then(Option::as_ref).is_some_and(|p| p.seq == seq)
                && let Some(p) = self.take(slot)
            {
                out.push((p.tag, outcome(Err(ConnectError::Timeout))));
            }
        }
    }

    /// Waits until some connect ended. Cancel-safe.
    pub(crate) async fn ready(&self) -> io::Result<()> {
        if self.slots.len() == self.free.len() {
            // Nothing in flight: nothing to wait for.
            return std::future::pending().await;
        }
        // The guard is dropped without clearing: `collect` clears the
        // readiness once it has drained the set.
        self.poll.readable().await.map(drop)
    }

    /// The connects that ended, with their outcomes.
    pub(crate) fn collect(&mut self, out: &mut Vec<(T, Outcome)>) {
        let mut ended: Vec<(usize, bool)> = Vec::new();
        loop {
            ended.clear();
            if self.poll.get_mut().poll(&mut self.events, Some(Duration::ZERO)).is_ok() {
                ended.extend(self.events.iter().map(|ev| (ev.token().0, ev.is_error() || ev.is_write_closed())));
            }
            for &(slot, failed) in &ended {
                let Some(p) = self.take(slot) else { continue };
                out.push((p.tag, connected(&p.socket, failed)));
            }
            if ended.len() < BATCH {
                break;
            }
        }
        // Drained: the set's readiness is cleared (a connect that ends from
        // now on makes it ready again).
        if let Some(Ok(mut g)) = self.poll.readable().now_or_never() {
            g.clear_ready();
        }
    }

    /// Drops every probe in flight (a reload, a stop): their sockets close.
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
        self.free.clear();
        self.timeouts.clear();
    }

    fn take(&mut self, slot: usize) -> Option<Pending<T>> {
        let p = self.slots.get_mut(slot)?.take()?;
        self.free.push(slot);
        Some(p)
    }
}

/// The outcome of a connect that the poller reported ended (`failed`: with
/// an error or a hang-up), as [`super::conn::tcp_connect`] judges it.
fn connected(s: &Socket, failed: bool) -> Outcome {
    // The connect's result (SO_ERROR), as keepalived reads it.
    match s.take_error() {
        Ok(None) => {}
        Ok(Some(e)) | Err(e) => return outcome(Err(ConnectError::Failed(e))),
    }
    if failed && let Err(e) = s.peer_addr() {
        return outcome(Err(ConnectError::Failed(e)));
    }
    Outcome::Success
}

/// TCP_CHECK's outcome of a connect (as [`super::tcp::probe`]).
fn outcome(r: Result<(), ConnectError>) -> Outcome {
    match r {
        Ok(()) => Outcome::Success,
        Err(ConnectError::Timeout) => Outcome::Failure(Failure::Timeout),
        Err(ConnectError::Socket(_)) => Outcome::Rescheduled("TCP connect fail to create socket. Rescheduling.".into()),
        Err(ConnectError::Bind(_)) => Outcome::Rescheduled("TCP socket bind failed. Rescheduling.".into()),
        Err(ConnectError::Unreachable(_) | ConnectError::Failed(_)) => Outcome::Failure(Failure::Failed),
    }
}
