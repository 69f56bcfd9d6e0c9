//! The one clock of the runtimes: what time it is ([`now`]) and waiting for
//! a deadline ([`Wake`]). Pure code never reads a clock (it is given `now`);
//! the runtimes read this one and nothing else, so that a test can run them
//! on tokio's paused time (`tokio::time::pause`, `advance`, or
//! `#[tokio::test(start_paused = true)]`).
//!
//! In production [`Wake::precise`] sleeps on a timerfd, so that an advert or
//! a MasterDown leaves on time to well under a millisecond, as keepalived's
//! does: tokio's own timer rounds every deadline up to the next millisecond
//! tick, which made every failover gap about 1.5 ms longer than
//! keepalived's on the wire. [`Wake::tokio`] sleeps on tokio's timer, the
//! one that paused time moves.

use std::io::{self, Read};
use std::os::fd::AsFd;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::unix::AsyncFd;

/// The monotonic time: `Instant::now()`, or tokio's paused clock in a test
/// that paused it.
pub(crate) fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// The wall clock since the Unix epoch (what `auth_hmac`'s time mode signs).
pub(crate) fn wall() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Waits for a runtime's next deadline.
pub(crate) struct Wake {
    /// `None`: tokio's timer.
    timer: Option<WakeTimer>,
}

impl Wake {
    /// The timerfd; tokio's timer (deadlines rounded up to milliseconds) if
    /// the timerfd cannot be created.
    pub(crate) fn precise() -> Wake {
        match WakeTimer::new() {
            Ok(t) => Wake { timer: Some(t) },
            Err(e) => {
                tracing::warn!("Unable to create the timer fd, timers are rounded to milliseconds - {e}");
                Wake::tokio()
            }
        }
    }

    /// tokio's timer: the one paused time drives.
    pub(crate) fn tokio() -> Wake {
        Wake { timer: None }
    }

    /// Returns at `at` (never with `None`). Cancel-safe: dropped by a
    /// `select!`, it can be called again with the same or another deadline.
    pub(crate) async fn until(&mut self, at: Option<Instant>) {
        if let Some(t) = &mut self.timer {
            match t.wait(at).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!("The timer fd failed, timers are rounded to milliseconds - {e}");
                    self.timer = None;
                }
            }
        }
        match at {
            Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
            None => std::future::pending().await,
        }
    }
}

/// A one-shot timerfd re-armed for the loop's next deadline.
struct WakeTimer {
    fd: AsyncFd<std::fs::File>,
    /// The deadline armed, so an unchanged one costs no system call.
    armed: Option<Instant>,
}

impl WakeTimer {
    fn new() -> io::Result<WakeTimer> {
        Ok(WakeTimer { fd: crate::sys::async_timerfd()?, armed: None })
    }

    /// Waits until `at` (forever with `None`). Cancel-safe: dropped by a
    /// `select!`, the timer stays armed and the next call reuses it.
    async fn wait(&mut self, at: Option<Instant>) -> io::Result<()> {
        if at != self.armed {
            let after = at.map(|t| t.saturating_duration_since(now()));
            crate::sys::timerfd_arm(self.fd.get_ref().as_fd(), after)?;
            self.armed = at;
        }
        if at.is_none() {
            return std::future::pending().await;
        }
        loop {
            let mut guard = self.fd.readable().await?;
            let mut buf = [0u8; 8];
            match guard.try_io(|f| f.get_ref().read(&mut buf)) {
                Ok(r) => {
                    r?;
                    // Expired: a later call with the same deadline must re-arm.
                    self.armed = None;
                    return Ok(());
                }
                Err(_would_block) => continue,
            }
        }
    }
}
