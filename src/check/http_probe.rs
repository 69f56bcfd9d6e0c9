//! The I/O half of the HTTP_GET / SSL_GET probe: connect (optionally bound and
//! fw-marked), optional TLS, send keepalived's request, read to the close and
//! digest the body with [`ResponseReader`].
//!
//! Each step has its own timeout, as keepalived's `connect_timeout` applies
//! to the connect, the write and every read separately. TLS sessions use the
//! one shared context of [`super::tls`] and live only for the probe.

use std::io::{self, Read, Write};
use std::time::Duration;

use openssl::ssl::{ErrorCode, HandshakeError, Ssl, SslContext, SslStream};
use tokio::net::TcpStream;

use super::conn::{ConnOpts, ConnectError, tcp_connect};
use super::http::{NoData, Response, ResponseReader, build_request};
use crate::config::model::lvs::HttpProtocol;

/// TLS options for SSL_GET.
#[derive(Clone)]
pub struct TlsOptions {
    /// The shared client context (the `SSL` block, or the auto-generated one).
    pub ctx: SslContext,
    /// Server name to send in the SNI extension (RFC 6066 section 3), if any.
    pub sni: Option<String>,
    /// `tls_compliant`: send close_notify at the end (else close quietly).
    pub close_notify: bool,
}

impl std::fmt::Debug for TlsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsOptions").field("sni", &self.sni).field("close_notify", &self.close_notify).finish()
    }
}

/// One probe's parameters.
#[derive(Debug, Clone)]
pub struct ProbeConfig {
    /// Where to connect, bound how, with which fwmark; its timeout applies to
    /// each step (connect, handshake, write, each read).
    pub conn: ConnOpts,
    /// TLS when set (SSL_GET).
    pub tls: Option<TlsOptions>,
    /// The URL path requested.
    pub path: String,
    /// Request protocol variant.
    pub version: HttpProtocol,
    /// `Host` header value instead of the server address.
    pub virtualhost: Option<String>,
    /// How many body bytes to keep in [`Response::body`].
    pub body_limit: usize,
}

/// Why a probe failed. [`ProbeError::keepalived_text`] gives the words
/// keepalived's genhash prints for each.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The socket could not be created or configured.
    #[error("cannot create socket: {0}")]
    Socket(io::Error),
    /// Binding the local address failed.
    #[error("bind failed: {0}")]
    Bind(io::Error),
    /// `connect()` failed at once (unreachable network and the like).
    #[error("network unreachable: {0}")]
    Unreachable(io::Error),
    /// The connection attempt failed (refused, reset).
    #[error("connection failed: {0}")]
    ConnectFailed(io::Error),
    /// No connection within the timeout.
    #[error("timeout connecting")]
    ConnectTimeout,
    /// The TLS handshake failed or timed out.
    #[error("TLS handshake failed: {0}")]
    Handshake(String),
    /// The request could not be written within the timeout.
    #[error("timeout writing the request")]
    WriteTimeout,
    /// Writing the request failed.
    #[error("cannot send the request: {0}")]
    Write(io::Error),
    /// Nothing to read within the timeout before the first byte.
    #[error("timeout waiting for the response")]
    FirstReadTimeout,
    /// A later read timed out (the server kept the connection open).
    #[error("timeout reading the response")]
    ReadTimeout,
    /// A read failed.
    #[error("read error: {0}")]
    Read(io::Error),
    /// The connection closed before a complete header.
    #[error(transparent)]
    NoData(#[from] NoData),
}

impl From<ConnectError> for ProbeError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::Socket(e) => ProbeError::Socket(e),
            ConnectError::Bind(e) => ProbeError::Bind(e),
            ConnectError::Unreachable(e) => ProbeError::Unreachable(e),
            ConnectError::Failed(e) => ProbeError::ConnectFailed(e),
            ConnectError::Timeout => ProbeError::ConnectTimeout,
        }
    }
}

impl ProbeError {
    /// The line keepalived's genhash prints for this failure, so scripts that
    /// parse its output see the same words.
    pub fn keepalived_text(&self, tls: bool) -> &'static str {
        match self {
            Self::Socket(_) => "Error connecting",
            Self::Bind(_) => "WEB socket bind failed",
            Self::Unreachable(_) => "HTTP_CHECK - network unreachable",
            Self::ConnectFailed(_) => "Connection failed",
            Self::ConnectTimeout => "Timeout connecting",
            Self::Handshake(_) => "SSL handshake/communication error connecting to",
            Self::WriteTimeout => "Timeout WEB write",
            Self::Write(_) => "Cannot send get request to",
            Self::FirstReadTimeout | Self::ReadTimeout if tls => "Timeout SSL read",
            Self::FirstReadTimeout => "Timeout WEB read",
            Self::ReadTimeout => "Timeout HTTP read",
            Self::Read(_) if tls => "SSL read error from",
            Self::Read(_) => "Read error with",
            Self::NoData(_) => "no data received from remote webserver",
        }
    }
}

/// What a read delivered, for callers that show the exchange (genhash -v).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadEvent<'a> {
    /// A read that did not complete the header.
    HeaderPending,
    /// The header completed: the whole header and this read's digested bytes.
    Header { header: &'a [u8], digested: &'a [u8] },
    /// A later read's digested bytes (empty once past the content length).
    Body { digested: &'a [u8] },
}

/// The outcome of reading to the close: the response, or no header, with the
/// digest keepalived shows in both cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeOutcome {
    /// MD5 of the digested bytes (of nothing when no header arrived).
    pub digest: [u8; 16],
    /// The response, or [`NoData`].
    pub response: Result<Response, NoData>,
    /// TLS: the server ended with close_notify (keepalived 2.2.7's genhash
    /// prints its verbose digest sections only then).
    pub close_notify: bool,
}

/// Runs one probe. `on_read` sees every read as it arrives.
pub async fn probe(cfg: &ProbeConfig, on_read: impl FnMut(ReadEvent<'_>)) -> Result<ProbeOutcome, ProbeError> {
    let request = build_request(&cfg.path, cfg.version, cfg.virtualhost.as_deref(), cfg.conn.target);
    probe_request(cfg, &request, cfg.body_limit, on_read).await
}

/// Runs one probe sending `request` (made once per URL by the health
/// checkers; `cfg`'s path, virtual host and body limit are not used),
/// keeping `body_limit` bytes of the body.
pub async fn probe_request(
    cfg: &ProbeConfig,
    request: &[u8],
    body_limit: usize,
    mut on_read: impl FnMut(ReadEvent<'_>),
) -> Result<ProbeOutcome, ProbeError> {
    let timeout = cfg.conn.timeout;
    let tcp = tcp_connect(&cfg.conn).await?;
    let mut conn = match &cfg.tls {
        None => Conn::Plain(tcp),
        Some(tls) => Conn::Tls(Box::new(handshake(tcp, tls, timeout).await?), tls.close_notify),
    };
    // keepalived waits for writability with the timeout; zero never succeeds.
    if timeout.is_zero() {
        return Err(ProbeError::WriteTimeout);
    }
    tokio::time::timeout(timeout, conn.write_all(request))
        .await
        .map_err(|_| ProbeError::WriteTimeout)?
        .map_err(ProbeError::Write)?;

    let mut reader = ResponseReader::new(body_limit);
    let mut buf = vec![0u8; super::http::READ_CHUNK];
    let mut first = true;
    loop {
        let want = reader.next_read_len();
        let Some(slot) = buf.get_mut(..want) else { break };
        if slot.is_empty() {
            // keepalived's buffer is full without a header: its read returns 0.
            break;
        }
        let n = match tokio::time::timeout(timeout, conn.read(slot)).await {
            Err(_) if first => return Err(ProbeError::FirstReadTimeout),
            Err(_) => return Err(ProbeError::ReadTimeout),
            Ok(Err(e)) => return Err(ProbeError::Read(e)),
            Ok(Ok(n)) => n,
        };
        first = false;
        if n == 0 {
            break;
        }
        let data = buf.get(..n).unwrap_or_default();
        match reader.feed(data) {
            super::http::Fed::HeaderPending => on_read(ReadEvent::HeaderPending),
            super::http::Fed::HeaderTooLarge => {
                on_read(ReadEvent::HeaderPending);
                break;
            }
            super::http::Fed::Header { digested } => {
                let header = reader.head().map(|h| h.raw.as_slice()).unwrap_or_default();
                on_read(ReadEvent::Header { header, digested: data.get(digested).unwrap_or_default() });
            }
            super::http::Fed::Body { digested } => {
                on_read(ReadEvent::Body { digested: data.get(digested).unwrap_or_default() })
            }
        }
    }
    let close_notify = conn.shutdown();
    let digest = reader.digest_so_far();
    Ok(ProbeOutcome { digest, response: reader.finish(), close_notify })
}

/// Adapts a tokio stream to the blocking `Read`/`Write` that openssl drives;
/// `WouldBlock` surfaces as `WANT_READ`/`WANT_WRITE` and the caller waits.
#[derive(Debug)]
struct NonBlocking(TcpStream);

impl Read for NonBlocking {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl Write for NonBlocking {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Waits until openssl's pending want can proceed.
async fn wait_for(stream: &TcpStream, code: ErrorCode) -> io::Result<()> {
    if code == ErrorCode::WANT_WRITE { stream.writable().await } else { stream.readable().await }
}

/// TLS client handshake on the shared context (see [`super::tls`] for what
/// it verifies).
async fn handshake(tcp: TcpStream, tls: &TlsOptions, timeout: Duration) -> Result<SslStream<NonBlocking>, ProbeError> {
    let hs = |e: &dyn std::fmt::Display| ProbeError::Handshake(e.to_string());
    let mut ssl = Ssl::new(&tls.ctx).map_err(|e| hs(&e))?;
    if let Some(name) = &tls.sni {
        ssl.set_hostname(name).map_err(|e| hs(&e))?;
    }
    let fut = async move {
        let mut attempt = ssl.connect(NonBlocking(tcp));
        loop {
            match attempt {
                Ok(stream) => return Ok(stream),
                Err(HandshakeError::WouldBlock(mid)) => {
                    let code = mid.error().code();
                    wait_for(&mid.get_ref().0, code).await.map_err(|e| hs(&e))?;
                    attempt = mid.handshake();
                }
                Err(HandshakeError::Failure(mid)) => return Err(hs(mid.error())),
                Err(HandshakeError::SetupFailure(e)) => return Err(hs(&e)),
            }
        }
    };
    // keepalived reports a stalled handshake as a connect timeout.
    tokio::time::timeout(timeout, fut).await.map_err(|_| ProbeError::ConnectTimeout)?
}

/// A plain or TLS connection (with whether to send close_notify).
enum Conn {
    Plain(TcpStream),
    Tls(Box<SslStream<NonBlocking>>, bool),
}

impl Conn {
    async fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        match self {
            Self::Plain(s) => tokio::io::AsyncWriteExt::write_all(s, data).await,
            Self::Tls(s, _) => {
                while !data.is_empty() {
                    match s.ssl_write(data) {
                        Ok(n) => data = data.get(n..).unwrap_or_default(),
                        Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => {
                            wait_for(&s.get_ref().0, e.code()).await?
                        }
                        Err(e) => return Err(io::Error::other(e.to_string())),
                    }
                }
                Ok(())
            }
        }
    }

    /// Reads once; 0 at the close. A TLS close with or without close_notify
    /// counts as the end, as many servers skip the alert.
    async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(s) => tokio::io::AsyncReadExt::read(s, buf).await,
            Self::Tls(s, _) => loop {
                match s.ssl_read(buf) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.code() == ErrorCode::ZERO_RETURN => return Ok(0),
                    Err(e) if matches!(e.code(), ErrorCode::WANT_READ | ErrorCode::WANT_WRITE) => {
                        wait_for(&s.get_ref().0, e.code()).await?
                    }
                    Err(e) if e.code() == ErrorCode::SYSCALL && e.io_error().is_none() => return Ok(0),
                    Err(e) => {
                        return Err(match e.into_io_error() {
                            Ok(io) => io,
                            Err(e) => io::Error::other(e.to_string()),
                        });
                    }
                }
            },
        }
    }

    /// Ends the connection: close_notify for TLS when `tls_compliant` (else
    /// quietly, as keepalived does); the socket closes on drop. Returns
    /// whether the server had sent its close_notify.
    fn shutdown(&mut self) -> bool {
        match self {
            Self::Plain(_) => false,
            Self::Tls(s, send) => {
                let received = s.get_shutdown().contains(openssl::ssl::ShutdownState::RECEIVED);
                if *send {
                    let _ = s.shutdown();
                }
                received
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// Serves one connection with `response` after reading the request;
    /// returns the address and a handle yielding (request, client address).
    async fn serve_once(response: &'static [u8]) -> (SocketAddr, tokio::task::JoinHandle<(Vec<u8>, SocketAddr)>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let handle = tokio::spawn(async move {
            let (mut conn, peer) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
            let mut req = Vec::new();
            let mut buf = [0u8; 512];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(buf.get(..n).unwrap_or_default()),
                }
            }
            let _ = conn.write_all(response).await;
            (req, peer)
        });
        (addr, handle)
    }

    fn config(server: SocketAddr) -> ProbeConfig {
        ProbeConfig {
            conn: ConnOpts::new(server, Duration::from_secs(5)),
            tls: None,
            path: "/status".to_owned(),
            version: HttpProtocol::V1_1,
            virtualhost: Some("vh.example".to_owned()),
            body_limit: 1 << 16,
        }
    }

    #[tokio::test]
    async fn chunked_response_status_headers_and_decoded_body() {
        let (addr, server) =
            serve_once(b"HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n4\r\nbusy\r\n0\r\n\r\n")
                .await;
        let mut events = 0;
        let out = probe(&config(addr), |_| events += 1).await.unwrap_or_else(|e| panic!("{e}"));
        let resp = out.response.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.head.status_code, Some(503));
        assert!(resp.head.headers().contains(&("X-A".to_owned(), "b".to_owned())));
        assert_eq!(resp.decoded_body(), Ok(b"busy".to_vec()));
        assert_eq!(resp.body_received, 14);
        assert_eq!(out.digest, resp.digest);
        assert!(events >= 1);
        let (req, _) = server.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            req,
            b"GET /status HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: vh.example\r\n\r\n"
        );
    }

    #[tokio::test]
    async fn binds_the_source_address() {
        let (addr, server) = serve_once(b"HTTP/1.0 200 OK\r\n\r\n").await;
        let mut cfg = config(addr);
        cfg.conn.local_mut().bind = Some(SocketAddr::from(([127, 0, 0, 2], 0)));
        let out = probe(&cfg, |_| {}).await.unwrap_or_else(|e| panic!("{e}"));
        assert!(out.response.is_ok());
        let (_, peer) = server.await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(peer.ip().to_string(), "127.0.0.2");
    }

    #[tokio::test]
    async fn early_close_is_no_data_and_refused_is_connect_failed() {
        let (addr, server) = serve_once(b"HTTP/1.0 200").await;
        let out = probe(&config(addr), |_| {}).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.response, Err(NoData));
        let _ = server.await;
        // The listener is gone now: nothing accepts on that port.
        let err = probe(&config(addr), |_| {}).await.err();
        assert!(matches!(err, Some(ProbeError::ConnectFailed(_))), "{err:?}");
        assert_eq!(err.map(|e| e.keepalived_text(false)), Some("Connection failed"));
    }
}
