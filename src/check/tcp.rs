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
        bad.local_mut().bind = Some(SocketAddr::from(([192, 0, 2, 1], 0)));
        assert!(matches!(probe(&bad).await, Outcome::Rescheduled(l) if l.contains("bind failed")));
    }
}

#[cfg(test)]
pub(crate) mod timeout_tests {
    use std::time::{Duration, Instant};

    use socket2::{Domain, Socket, Type};

    use super::*;

    /// A loopback listener whose accept queue is full (never accepted):
    /// further SYNs are dropped, so a connect to it can only time out.
    /// Keep all three alive for the test.
    pub(crate) fn saturated_listener() -> (Socket, std::net::SocketAddr, Vec<std::net::TcpStream>) {
        let l = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap_or_else(|e| panic!("{e}"));
        l.bind(&std::net::SocketAddr::from(([127, 0, 0, 1], 0)).into()).unwrap_or_else(|e| panic!("{e}"));
        l.listen(0).unwrap_or_else(|e| panic!("{e}"));
        let addr = l.local_addr().ok().and_then(|a| a.as_socket()).unwrap_or_else(|| panic!("no address"));
        let mut held = Vec::new();
        for _ in 0..4 {
            if let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
                held.push(s);
            }
        }
        (l, addr, held)
    }

    /// A listener whose accept queue is full drops further SYNs: the connect
    /// times out, exactly on connect_timeout.
    #[tokio::test]
    async fn connect_times_out_exactly() {
        let (_l, addr, held) = saturated_listener();
        let opts = ConnOpts::new(addr, Duration::from_millis(400));
        let start = Instant::now();
        let r = probe(&opts).await;
        let took = start.elapsed();
        assert_eq!(r, Outcome::Failure(Failure::Timeout), "{took:?}");
        assert!(took >= Duration::from_millis(400) && took < Duration::from_millis(550), "{took:?}");
        drop(held);
    }
}
