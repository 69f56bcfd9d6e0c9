//! What the network probes share: the connection options every checker has
//! (`connect_ip`, `connect_port`, `bindto`, `bind_port`, `bind_if`, `fwmark`,
//! `connect_timeout`) and non-blocking TCP connect / connected UDP sockets
//! honouring them. A connect times out exactly on the timeout.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::Interest;
use tokio::net::{TcpStream, UdpSocket};

/// Where and how a probe connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnOpts {
    /// The address and port probed (`connect_ip`/`connect_port`, else the real server's).
    pub target: SocketAddr,
    /// `connect_timeout`: of the connect, and of each later step.
    pub timeout: Duration,
    /// The local side's settings, boxed: most checkers have none, and a
    /// probe is kept per real server (tens of thousands).
    pub local: Option<Box<LocalOpts>>,
}

/// How a probe's socket is set up on the local side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalOpts {
    /// Local address and port (`bindto`, `bind_port`; port 0: any).
    pub bind: Option<SocketAddr>,
    /// `bind_if`: the interface the socket is bound to (SO_BINDTODEVICE).
    pub bind_if: Option<String>,
    /// `fwmark`: SO_MARK of the probe's packets.
    pub fwmark: Option<u32>,
}

impl ConnOpts {
    /// Options for `target` with everything else unset.
    pub fn new(target: SocketAddr, timeout: Duration) -> ConnOpts {
        ConnOpts { target, timeout, local: None }
    }

    /// Sets the local side's settings (kept only when some is set).
    pub fn set_local(&mut self, local: LocalOpts) {
        self.local = (local != LocalOpts::default()).then(|| Box::new(local));
    }

    /// The local side's settings, to change them.
    pub fn local_mut(&mut self) -> &mut LocalOpts {
        self.local.get_or_insert_with(Box::default)
    }

    /// keepalived's inet_sockaddrtopair: `[IP]:PORT`.
    pub fn target_pair(&self) -> String {
        format!("[{}]:{}", self.target.ip(), self.target.port())
    }
}

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The socket could not be created or configured (fwmark needs CAP_NET_ADMIN).
    #[error("cannot create socket: {0}")]
    Socket(io::Error),
    /// Binding the local address or interface failed.
    #[error("bind failed: {0}")]
    Bind(io::Error),
    /// `connect()` failed at once (unreachable network and the like).
    #[error("network unreachable: {0}")]
    Unreachable(io::Error),
    /// The connection attempt failed (refused, reset).
    #[error("connection failed: {0}")]
    Failed(io::Error),
    /// No connection within the timeout.
    #[error("timeout connecting")]
    Timeout,
}

/// A non-blocking, close-on-exec socket (both set as it is created: no
/// extra system call per probe) with the options applied and bound.
pub(crate) fn socket(opts: &ConnOpts, ty: Type, proto: Protocol) -> Result<Socket, ConnectError> {
    let s = Socket::new(Domain::for_address(opts.target), ty.nonblocking().cloexec(), Some(proto))
        .map_err(ConnectError::Socket)?;
    let Some(local) = &opts.local else { return Ok(s) };
    if let Some(mark) = local.fwmark {
        s.set_mark(mark).map_err(ConnectError::Socket)?;
    }
    if let Some(ifname) = &local.bind_if {
        s.bind_device(Some(ifname.as_bytes())).map_err(ConnectError::Bind)?;
    }
    if let Some(bind) = local.bind {
        s.bind(&SockAddr::from(bind)).map_err(ConnectError::Bind)?;
    }
    Ok(s)
}

/// Connects over TCP within `opts.timeout`.
pub async fn tcp_connect(opts: &ConnOpts) -> Result<TcpStream, ConnectError> {
    let s = socket(opts, Type::STREAM, Protocol::TCP)?;
    match s.connect(&SockAddr::from(opts.target)) {
        Ok(()) => {}
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
        Err(e) => return Err(ConnectError::Unreachable(e)),
    }
    let std_stream: std::net::TcpStream = s.into();
    let stream = TcpStream::from_std(std_stream).map_err(ConnectError::Socket)?;
    let ready = match tokio::time::timeout(opts.timeout, stream.ready(Interest::WRITABLE)).await {
        Err(_) => return Err(ConnectError::Timeout),
        Ok(Err(e)) => return Err(ConnectError::Failed(e)),
        Ok(Ok(r)) => r,
    };
    // The connect's result (SO_ERROR), as keepalived reads it.
    match stream.take_error() {
        Ok(None) => {}
        Ok(Some(e)) | Err(e) => return Err(ConnectError::Failed(e)),
    }
    // A failed connect shows as an error or a hang-up (EPOLLERR, EPOLLHUP);
    // if its error was already taken, the socket is not connected: one
    // more system call, on that path only.
    if (ready.is_error() || ready.is_write_closed())
        && let Err(e) = stream.peer_addr()
    {
        return Err(ConnectError::Failed(e));
    }
    Ok(stream)
}

/// A UDP socket connected to the target: ICMP errors for what it sends come
/// back as errors of its next receive.
pub fn udp_connect(opts: &ConnOpts) -> Result<UdpSocket, ConnectError> {
    dgram_connect(opts, Protocol::UDP)
}

/// A datagram socket of `proto` (UDP, or ICMP/ICMPv6 ping sockets) connected
/// to the target.
pub fn dgram_connect(opts: &ConnOpts, proto: Protocol) -> Result<UdpSocket, ConnectError> {
    let s = socket(opts, Type::DGRAM, proto)?;
    s.connect(&SockAddr::from(opts.target)).map_err(ConnectError::Unreachable)?;
    let std_socket: std::net::UdpSocket = s.into();
    UdpSocket::from_std(std_socket).map_err(ConnectError::Socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refused_and_bound_connects() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let mut o = ConnOpts::new(addr, Duration::from_secs(2));
        o.local_mut().bind = Some(SocketAddr::from(([127, 0, 0, 3], 0)));
        let s = tcp_connect(&o).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.local_addr().map(|a| a.ip().to_string()).ok(), Some("127.0.0.3".to_owned()));
        drop(l);
        let r = tcp_connect(&ConnOpts::new(addr, Duration::from_secs(2))).await;
        assert!(matches!(r, Err(ConnectError::Failed(_))), "{r:?}");
        assert_eq!(o.target_pair(), format!("[127.0.0.1]:{}", addr.port()));
    }
}
