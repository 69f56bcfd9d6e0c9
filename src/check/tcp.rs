//! TCP_CHECK: the service is up when a TCP connection to it completes within
//! `connect_timeout`; the connection is closed at once.

use super::conn::{ConnOpts, ConnectError, tcp_connect};
use super::state::{Failure, Outcome};

/// Runs one TCP_CHECK probe.
pub async fn probe(opts: &ConnOpts) -> Outcome {
    match tcp_connect(opts).await {
        Ok(stream) => {
            drop(stream);
            Outcome::Success
        }
        Err(ConnectError::Timeout) => Outcome::Failure(Failure::Timeout),
        Err(ConnectError::Socket(_)) => Outcome::Rescheduled("TCP connect fail to create socket. Rescheduling.".into()),
        Err(ConnectError::Bind(_)) => Outcome::Rescheduled("TCP socket bind failed. Rescheduling.".into()),
        Err(ConnectError::Unreachable(_) | ConnectError::Failed(_)) => Outcome::Failure(Failure::Failed),
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn up_down_and_bind_failure() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let opts = ConnOpts::new(addr, Duration::from_secs(1));
        assert_eq!(probe(&opts).await, Outcome::Success);
        drop(l);
        assert_eq!(probe(&opts).await, Outcome::Failure(Failure::Failed));
        let mut bad = opts.clone();
        // An address that is not local cannot be bound (nothing is sent).
        bad.bind = Some(SocketAddr::from(([192, 0, 2, 1], 0)));
        assert!(matches!(probe(&bad).await, Outcome::Rescheduled(l) if l.contains("bind failed")));
    }
}
