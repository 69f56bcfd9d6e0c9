//! The loop's wake-up timer: a timerfd, so that an advert or a MasterDown
//! leaves on time to well under a millisecond, as keepalived's does. tokio's
//! own timer rounds every deadline up to the next millisecond tick, which
//! made every failover gap about 1.5 ms longer than keepalived's on the wire.

use std::io::{self, Read};
use std::os::fd::AsFd;
use std::time::Instant;

use tokio::io::unix::AsyncFd;

/// A one-shot timer re-armed for the loop's next deadline.
pub(super) struct WakeTimer {
    fd: AsyncFd<std::fs::File>,
    /// The deadline armed, so an unchanged one costs no system call.
    armed: Option<Instant>,
}

impl WakeTimer {
    pub(super) fn new() -> io::Result<WakeTimer> {
        Ok(WakeTimer { fd: crate::sys::async_timerfd()?, armed: None })
    }

    /// Waits until `at` (forever with `None`). Cancel-safe: dropped by a
    /// `select!`, the timer stays armed and the next call reuses it.
    pub(super) async fn wait(&mut self, at: Option<Instant>) -> io::Result<()> {
        if at != self.armed {
            let after = at.map(|t| t.saturating_duration_since(Instant::now()));
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
