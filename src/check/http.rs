//! The pure half of the HTTP_GET / SSL_GET probe: the request keepalived sends,
//! an incremental response reader that digests the body exactly as keepalived
//! does, chunked transfer decoding, and the hex dump genhash prints.
//!
//! Nothing here does I/O; `check::http_probe` feeds bytes in as they arrive.
//!
//! Digest compatibility matters more than HTTP purity: users paste digests
//! printed by keepalived's genhash into `digest` lines, so the digest covers
//! the raw bytes after the blank line that ends the header, capped by the
//! `Content-Length:` value when one is given (keepalived does not undo chunked
//! framing before hashing). [`Response::decoded_body`] offers the de-chunked
//! body for consumers that want the payload itself.

use std::fmt::Write as _;
use std::net::SocketAddr;

use md5::{Digest as _, Md5};

use crate::config::model::lvs::HttpProtocol;

/// Bytes keepalived reads at most per `read()`, and the largest header it
/// accepts: its receive buffer is 4096 bytes with one kept for a NUL.
pub const READ_CHUNK: usize = 4095;

/// The `User-Agent` keepalived's HTTP_GET and genhash send.
pub const USER_AGENT: &str = "KeepAliveClient";

/// The HTTP minor version a variant sends (`HTTP/1.x`).
fn minor(version: HttpProtocol) -> u8 {
    match version {
        HttpProtocol::V1_0 | HttpProtocol::V1_0C => 0,
        HttpProtocol::V1_1 => 1,
    }
}

/// Whether a variant sends `Connection: close`.
fn sends_close(version: HttpProtocol) -> bool {
    !matches!(version, HttpProtocol::V1_0)
}

/// Builds the GET request keepalived sends.
///
/// `Host` is the virtual host when one is configured, else the address and
/// port connected to (an IPv6 literal in brackets, RFC 3986 section 3.2.2).
pub fn build_request(path: &str, version: HttpProtocol, virtualhost: Option<&str>, server: SocketAddr) -> Vec<u8> {
    let host = match virtualhost {
        Some(vhost) => vhost.to_owned(),
        None => match server {
            SocketAddr::V4(a) => format!("{}:{}", a.ip(), a.port()),
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        },
    };
    let connection = if sends_close(version) { "Connection: close\r\n" } else { "" };
    format!(
        "GET {path} HTTP/1.{minor}\r\nUser-Agent: {USER_AGENT}\r\n{connection}Host: {host}\r\n\r\n",
        minor = minor(version)
    )
    .into_bytes()
}

/// The parsed status line and header block of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The header bytes, status line to the blank line inclusive.
    pub raw: Vec<u8>,
    /// The status code, `None` when the status line has no number in 0..=65535.
    pub status_code: Option<u16>,
    /// The `Content-Length:` value as keepalived reads it; `None` means
    /// absent or unusable, and the body runs to the connection's close.
    pub content_length: Option<u64>,
    /// Whether `Transfer-Encoding` names `chunked` (RFC 9112 section 7).
    pub chunked: bool,
}

impl ResponseHead {
    /// Parses a complete header block (ending in CRLF CRLF).
    pub fn parse(raw: &[u8]) -> Self {
        let chunked = header_lines(raw).any(|(name, value)| {
            name.eq_ignore_ascii_case(b"transfer-encoding")
                && value.split(|&b| b == b',').any(|t| trim_ascii(t).eq_ignore_ascii_case(b"chunked"))
        });
        Self { raw: raw.to_vec(), status_code: status_code(raw), content_length: content_length(raw), chunked }
    }

    /// The header fields as (name, value) pairs, in order, lossily decoded.
    pub fn headers(&self) -> Vec<(String, String)> {
        header_lines(&self.raw)
            .map(|(n, v)| (String::from_utf8_lossy(n).into_owned(), String::from_utf8_lossy(v).into_owned()))
            .collect()
    }
}

/// Splits the header fields after the status line into (name, trimmed value).
/// Lines without a colon are skipped.
fn header_lines(raw: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    raw.split(|&b| b == b'\n').skip(1).filter_map(|line| {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let colon = line.iter().position(|&b| b == b':')?;
        let (name, rest) = line.split_at(colon);
        Some((trim_ascii(name), trim_ascii(rest.get(1..).unwrap_or_default())))
    })
}

fn trim_ascii(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

/// C `isspace`.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// C `strtoul(s, &end, 10)` on bytes: the value (saturated on overflow,
/// negated modulo 2^64 after a '-') and the index `end` points at, which is 0
/// when no digits were found.
pub fn c_strtoul(s: &[u8]) -> (u64, usize) {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let digits = s.get(i..).unwrap_or_default().iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return (0, 0);
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    for &d in s.get(i..i + digits).unwrap_or_default() {
        match value.checked_mul(10).and_then(|v| v.checked_add(u64::from(d - b'0'))) {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    let value = if overflow {
        u64::MAX
    } else if negative {
        value.wrapping_neg()
    } else {
        value
    };
    (value, i + digits)
}

/// The status code the way keepalived reads it: the number right after the
/// first space of the response (RFC 9112 section 4).
fn status_code(raw: &[u8]) -> Option<u16> {
    let line_end = raw.iter().position(|&b| b == b'\n').unwrap_or(raw.len());
    let line = raw.get(..line_end)?;
    let space = line.iter().position(|&b| b == b' ')?;
    let rest = line.get(space + 1..)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 5 {
        return None;
    }
    std::str::from_utf8(rest.get(..digits)?).ok()?.parse().ok()
}

/// The body length keepalived honours: the first `Content-Length:` in the
/// header (case-sensitive, as keepalived matches it), whose value must end
/// the line. Anything else leaves the body to run until the close.
///
/// Divergence: keepalived 2.2.7 also finds the tag in body bytes that came in
/// the same read as the header; we look in the header only, so the result
/// does not depend on how the stream was split into reads.
fn content_length(raw: &[u8]) -> Option<u64> {
    const TAG: &[u8] = b"Content-Length:";
    let at = raw.windows(TAG.len()).position(|w| w == TAG)?;
    let value = raw.get(at + TAG.len()..)?;
    let (n, end) = c_strtoul(value);
    match value.get(end) {
        Some(b'\r' | b'\n') if n != u64::MAX => Some(n),
        _ => None,
    }
}

/// What one read of the response stream contributed, for verbose output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fed {
    /// The header has not ended yet.
    HeaderPending,
    /// The header ended in this read; `digested` is the range of the read's
    /// bytes that went into the digest.
    Header { digested: std::ops::Range<usize> },
    /// A read after the header; `digested` as above (empty past the length).
    Body { digested: std::ops::Range<usize> },
    /// The header filled keepalived's whole buffer without ending: reading stops.
    HeaderTooLarge,
}

/// Incremental response reader: feed it each read, then [`finish`](Self::finish).
#[derive(Debug, Clone)]
pub struct ResponseReader {
    pending: Vec<u8>,
    head: Option<ResponseHead>,
    md5: Md5,
    body_received: u64,
    digested: u64,
    body: Vec<u8>,
    body_limit: usize,
    body_truncated: bool,
}

impl ResponseReader {
    /// A reader keeping at most `body_limit` body bytes for [`Response::body`]
    /// (the digest and byte counts always cover everything).
    pub fn new(body_limit: usize) -> Self {
        Self {
            pending: Vec::new(),
            head: None,
            md5: Md5::new(),
            body_received: 0,
            digested: 0,
            body: Vec::new(),
            body_limit,
            body_truncated: false,
        }
    }

    /// How many bytes the next read may take: keepalived reads into the rest
    /// of its buffer while the header is incomplete, then whole buffers.
    pub fn next_read_len(&self) -> usize {
        if self.head.is_some() { READ_CHUNK } else { READ_CHUNK.saturating_sub(self.pending.len()) }
    }

    /// The parsed header, once complete.
    pub fn head(&self) -> Option<&ResponseHead> {
        self.head.as_ref()
    }

    /// Takes one read's bytes.
    pub fn feed(&mut self, data: &[u8]) -> Fed {
        if self.head.is_some() {
            let digested = self.take_body(data, 0);
            return Fed::Body { digested };
        }
        let old = self.pending.len();
        self.pending.extend_from_slice(data);
        // The terminator may straddle reads: look back three bytes.
        let from = old.saturating_sub(3);
        let found = self.pending.get(from..).and_then(|tail| tail.windows(4).position(|w| w == b"\r\n\r\n"));
        match found {
            Some(pos) => {
                let end = from + pos + 4;
                let head = ResponseHead::parse(self.pending.get(..end).unwrap_or_default());
                self.head = Some(head);
                self.pending = Vec::new();
                // Everything after the terminator came in this read.
                let body_start = end.saturating_sub(old).min(data.len());
                let digested = self.take_body(data.get(body_start..).unwrap_or_default(), body_start);
                Fed::Header { digested }
            }
            None if self.pending.len() >= READ_CHUNK => Fed::HeaderTooLarge,
            None => Fed::HeaderPending,
        }
    }

    /// Accounts body bytes; returns the digested range, offset by `base`.
    fn take_body(&mut self, data: &[u8], base: usize) -> std::ops::Range<usize> {
        let limit = self.head.as_ref().and_then(|h| h.content_length).unwrap_or(u64::MAX);
        let room = limit.saturating_sub(self.digested);
        let n = usize::try_from(room).unwrap_or(usize::MAX).min(data.len());
        let part = data.get(..n).unwrap_or_default();
        self.md5.update(part);
        self.digested += n as u64;
        self.body_received += data.len() as u64;
        let keep = self.body_limit.saturating_sub(self.body.len()).min(data.len());
        self.body.extend_from_slice(data.get(..keep).unwrap_or_default());
        if keep < data.len() {
            self.body_truncated = true;
        }
        base..base + n
    }

    /// The digest of what was digested so far (what keepalived prints at EOF
    /// even when no header arrived).
    pub fn digest_so_far(&self) -> [u8; 16] {
        self.md5.clone().finalize().into()
    }

    /// Ends the response at the connection's close.
    pub fn finish(self) -> Result<Response, NoData> {
        let head = self.head.ok_or(NoData)?;
        Ok(Response {
            digest: self.md5.finalize().into(),
            head,
            body_received: self.body_received,
            digested: self.digested,
            body: self.body,
            body_truncated: self.body_truncated,
        })
    }
}

/// No complete header arrived before the close ("no data received").
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no data received from remote webserver")]
pub struct NoData;

/// A complete response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status line and header fields.
    pub head: ResponseHead,
    /// MD5 of the body as keepalived computes it (see the module docs).
    pub digest: [u8; 16],
    /// Body bytes received after the header, all of them.
    pub body_received: u64,
    /// Body bytes that went into the digest.
    pub digested: u64,
    /// The body as received, up to the reader's limit.
    pub body: Vec<u8>,
    /// Whether `body` was cut at the limit.
    pub body_truncated: bool,
}

impl Response {
    /// The digest as lowercase hex, the form `digest` lines use.
    pub fn digest_hex(&self) -> String {
        hex(&self.digest)
    }

    /// Whether a `Content-Length:` was given and differs from what arrived
    /// (keepalived logs this but still checks the digest).
    pub fn length_mismatch(&self) -> bool {
        self.head.content_length.is_some_and(|n| n != self.body_received)
    }

    /// The payload: the kept body with chunked framing removed when the
    /// response used it (RFC 9112 section 7.1), capped at the content length.
    pub fn decoded_body(&self) -> Result<Vec<u8>, ChunkError> {
        if self.head.chunked {
            decode_chunked(&self.body)
        } else {
            let n = usize::try_from(self.digested).unwrap_or(usize::MAX).min(self.body.len());
            Ok(self.body.get(..n).unwrap_or_default().to_vec())
        }
    }
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Why a chunked body could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    /// A chunk-size line is not hexadecimal.
    #[error("bad chunk size line at offset {0}")]
    BadSize(usize),
    /// A chunk size does not fit in 64 bits or beyond the data.
    #[error("chunk size too large at offset {0}")]
    TooLarge(usize),
    /// Chunk data is not followed by CRLF.
    #[error("chunk data not followed by CRLF at offset {0}")]
    MissingCrlf(usize),
    /// The body ended before the last chunk or trailer.
    #[error("chunked body truncated")]
    Truncated,
}

/// Decodes a complete chunked body (RFC 9112 section 7.1): chunk sizes in hex
/// with optional extensions, data, CRLF, a zero-size last chunk and an
/// optional trailer section ending in an empty line. Bytes after the final
/// CRLF are ignored.
pub fn decode_chunked(raw: &[u8]) -> Result<Vec<u8>, ChunkError> {
    let mut out = Vec::new();
    let mut pos = 0usize;
    loop {
        let line_len = raw.get(pos..).unwrap_or_default().windows(2).position(|w| w == b"\r\n");
        let line_len = line_len.ok_or(ChunkError::Truncated)?;
        let line = raw.get(pos..pos + line_len).unwrap_or_default();
        // RFC 9112 section 7.1.1: extensions follow a ';' and are ignored.
        let size_field = line.split(|&b| b == b';').next().unwrap_or_default();
        let size_field = trim_ascii(size_field);
        if size_field.is_empty() || !size_field.iter().all(u8::is_ascii_hexdigit) {
            return Err(ChunkError::BadSize(pos));
        }
        let mut size: u64 = 0;
        for &d in size_field {
            let v = char::from(d).to_digit(16).unwrap_or(0);
            size = size.checked_mul(16).and_then(|s| s.checked_add(u64::from(v))).ok_or(ChunkError::TooLarge(pos))?;
        }
        let data_start = pos + line_len + 2;
        if size == 0 {
            // Trailer fields, then an empty line (RFC 9112 section 7.1.2).
            let mut t = data_start;
            loop {
                let rest = raw.get(t..).unwrap_or_default();
                let n = rest.windows(2).position(|w| w == b"\r\n").ok_or(ChunkError::Truncated)?;
                if n == 0 {
                    return Ok(out);
                }
                t += n + 2;
            }
        }
        let size = usize::try_from(size).map_err(|_| ChunkError::TooLarge(pos))?;
        let data_end = data_start.checked_add(size).ok_or(ChunkError::TooLarge(pos))?;
        let data = raw.get(data_start..data_end).ok_or(ChunkError::Truncated)?;
        out.extend_from_slice(data);
        match raw.get(data_end..data_end + 2) {
            Some(b"\r\n") => pos = data_end + 2,
            Some(_) => return Err(ChunkError::MissingCrlf(data_end)),
            None => return Err(ChunkError::Truncated),
        }
    }
}

/// keepalived's hex dump: per 16 bytes, a decimal offset, the bytes in hex
/// with a '-' after the eighth, and the printable ASCII ('.' otherwise).
pub fn hex_dump(buf: &[u8]) -> String {
    let mut s = String::new();
    for (line, chunk) in buf.chunks(16).enumerate() {
        let _ = write!(s, "{:04} ", line * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(s, " {b:02x}");
                }
                None => s.push_str("   "),
            }
            if i == 7 {
                s.push_str(" -");
            }
        }
        s.push_str("   ");
        for i in 0..16 {
            s.push(match chunk.get(i) {
                Some(&b) if (0x20..=0x7e).contains(&b) => char::from(b),
                Some(_) => '.',
                None => ' ',
            });
        }
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn request_http10_default() {
        let r = build_request("/index.html", HttpProtocol::V1_0, None, addr("127.0.0.1:8080"));
        assert_eq!(r, b"GET /index.html HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: 127.0.0.1:8080\r\n\r\n");
    }

    #[test]
    fn request_10c_11_vhost_ipv6() {
        let r = build_request("/", HttpProtocol::V1_0C, Some("www.example.com"), addr("[::1]:80"));
        assert_eq!(
            r,
            b"GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: www.example.com\r\n\r\n"
        );
        let r = build_request("/x", HttpProtocol::V1_1, None, addr("[2001:db8::1]:443"));
        assert_eq!(
            r,
            b"GET /x HTTP/1.1\r\nUser-Agent: KeepAliveClient\r\nConnection: close\r\nHost: [2001:db8::1]:443\r\n\r\n"
        );
    }

    #[test]
    fn version_spellings() {
        assert_eq!(HttpProtocol::parse("1.0"), Some(HttpProtocol::V1_0));
        assert_eq!(HttpProtocol::parse("1.0c"), Some(HttpProtocol::V1_0C));
        assert_eq!(HttpProtocol::parse("1.0C"), Some(HttpProtocol::V1_0C));
        assert_eq!(HttpProtocol::parse("1.1"), Some(HttpProtocol::V1_1));
        assert_eq!(HttpProtocol::parse("2"), None);
        assert_eq!(HttpProtocol::parse("1.1c"), None);
    }

    fn read_all(chunks: &[&[u8]]) -> (Vec<Fed>, Result<Response, NoData>) {
        let mut r = ResponseReader::new(1 << 20);
        let fed = chunks.iter().map(|c| r.feed(c)).collect();
        (fed, r.finish())
    }

    #[test]
    fn content_length_caps_digest() {
        let (fed, resp) = read_all(&[b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nHello, world!\n"]);
        assert_eq!(fed, vec![Fed::Header { digested: 38..43 }]);
        let resp = resp.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.head.status_code, Some(200));
        assert_eq!(resp.head.content_length, Some(5));
        assert_eq!(resp.digest_hex(), "8b1a9953c4611296a827abf8c47804d7"); // md5("Hello")
        assert_eq!(resp.body_received, 14);
        assert_eq!(resp.digested, 5);
        assert!(resp.length_mismatch());
        assert_eq!(resp.decoded_body(), Ok(b"Hello".to_vec()));
    }

    #[test]
    fn close_delimited_and_split_terminator() {
        let (fed, resp) = read_all(&[b"HTTP/1.0 200 OK\r\nServer: x\r\n\r", b"\nHello, world!", b"\n"]);
        assert_eq!(fed, vec![Fed::HeaderPending, Fed::Header { digested: 1..14 }, Fed::Body { digested: 0..1 }]);
        let resp = resp.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.digest_hex(), "746308829575e17c3331bbcb00c0898b");
        assert_eq!(resp.head.headers(), vec![("Server".to_owned(), "x".to_owned())]);
        assert!(!resp.length_mismatch());
    }

    #[test]
    fn chunked_digest_covers_framing_like_keepalived() {
        let raw: &[u8] = b"5\r\nHello\r\n9\r\n, world!\n\r\n0\r\n\r\n";
        let mut msg = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        msg.extend_from_slice(raw);
        let (_, resp) = read_all(&[&msg]);
        let resp = resp.unwrap_or_else(|e| panic!("{e}"));
        assert!(resp.head.chunked);
        // What keepalived 2.2.7's genhash prints for this response.
        assert_eq!(resp.digest_hex(), "60a3c5be1f406670ba6f2b9349b78c45");
        assert_eq!(resp.decoded_body(), Ok(b"Hello, world!\n".to_vec()));
    }

    #[test]
    fn content_length_quirks_match_keepalived() {
        let cl = |h: &str| ResponseHead::parse(format!("HTTP/1.0 200 OK\r\n{h}\r\n\r\n").as_bytes()).content_length;
        assert_eq!(cl("Content-Length: 5"), Some(5));
        assert_eq!(cl("Content-Length:5"), Some(5));
        assert_eq!(cl("Content-Length:\t+5"), Some(5));
        assert_eq!(cl("X-Content-Length: 5"), Some(5));
        assert_eq!(cl("Content-Length: 5 "), None);
        assert_eq!(cl("Content-Length: 5x"), None);
        assert_eq!(cl("content-length: 5"), None);
        assert_eq!(cl("Content-Length: abc"), None);
        assert_eq!(cl("Content-Length: -3"), Some(3u64.wrapping_neg()));
        assert_eq!(cl("Content-Length: 99999999999999999999999"), None);
        assert_eq!(cl("Content-Length: 3\r\nContent-Length: 5"), Some(3));
    }

    #[test]
    fn status_codes() {
        let sc = |l: &[u8]| ResponseHead::parse(l).status_code;
        assert_eq!(sc(b"HTTP/1.0 404 Not Found\r\n\r\n"), Some(404));
        assert_eq!(sc(b"HTTP/1.0 200\r\n\r\n"), Some(200));
        assert_eq!(sc(b"HTTP/1.0\r\n\r\n"), None);
        assert_eq!(sc(b"HTTP/1.0 abc\r\n\r\n"), None);
        assert_eq!(sc(b"HTTP/1.0 9999999999\r\n\r\n"), None);
        assert_eq!(sc(b"\r\n\r\n"), None);
    }

    #[test]
    fn no_header_is_no_data() {
        let (fed, resp) = read_all(&[b"HTTP/1.0 200 OK\n\nHello"]);
        assert_eq!(fed, vec![Fed::HeaderPending]);
        assert_eq!(resp, Err(NoData));
        assert_eq!(read_all(&[]).1, Err(NoData));
    }

    #[test]
    fn header_bounded_by_keepalived_buffer() {
        let mut r = ResponseReader::new(0);
        assert_eq!(r.next_read_len(), READ_CHUNK);
        assert_eq!(r.feed(&[b'a'; 4000]), Fed::HeaderPending);
        assert_eq!(r.next_read_len(), 95);
        assert_eq!(r.feed(&[b'a'; 95]), Fed::HeaderTooLarge);
        assert_eq!(r.next_read_len(), 0);
        assert_eq!(r.finish(), Err(NoData));
    }

    #[test]
    fn body_limit_keeps_digest_whole() {
        let mut r = ResponseReader::new(4);
        r.feed(b"HTTP/1.0 200 OK\r\n\r\nHello");
        let resp = r.finish().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(resp.body, b"Hell");
        assert!(resp.body_truncated);
        assert_eq!(resp.digest_hex(), "8b1a9953c4611296a827abf8c47804d7");
    }

    #[test]
    fn zero_length_and_empty_body() {
        let (fed, resp) = read_all(&[b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\nHello"]);
        assert_eq!(fed, vec![Fed::Header { digested: 38..38 }]);
        assert_eq!(resp.map(|r| r.digest_hex()), Ok("d41d8cd98f00b204e9800998ecf8427e".to_owned()));
    }

    #[test]
    fn chunked_decoding_errors() {
        assert_eq!(decode_chunked(b"3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n"), Ok(b"abc".to_vec()));
        assert_eq!(decode_chunked(b"A\r\n0123456789\r\n0\r\n\r\n"), Ok(b"0123456789".to_vec()));
        assert_eq!(decode_chunked(b"zz\r\nabc\r\n"), Err(ChunkError::BadSize(0)));
        assert_eq!(decode_chunked(b"\r\n"), Err(ChunkError::BadSize(0)));
        assert_eq!(decode_chunked(b"ffffffffffffffffff\r\n"), Err(ChunkError::TooLarge(0)));
        assert_eq!(decode_chunked(b"fffffffffffffff\r\nab"), Err(ChunkError::Truncated));
        assert_eq!(decode_chunked(b"3\r\nabcX\r\n0\r\n\r\n"), Err(ChunkError::MissingCrlf(6)));
        assert_eq!(decode_chunked(b"3\r\nabc\r\n"), Err(ChunkError::Truncated));
        assert_eq!(decode_chunked(b"0\r\nTrailer: x\r\n"), Err(ChunkError::Truncated));
        assert_eq!(decode_chunked(b""), Err(ChunkError::Truncated));
    }

    /// A small deterministic generator, so the robustness test needs no crate.
    fn lcg(state: &mut u64) -> u64 {
        *state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        *state >> 33
    }

    #[test]
    fn arbitrary_input_never_panics() {
        const PIECES: &[&[u8]] = &[
            b"HTTP/1.1 ",
            b"200",
            b" OK",
            b"\r\n",
            b"\r\n\r\n",
            b"Content-Length:",
            b" 7",
            b"-",
            b"99999999999999999999999",
            b"Transfer-Encoding: chunked",
            b"0\r\n",
            b"ffffffffffffffffffff",
            b";x",
            b"\0",
            b"\xff",
            b"abc",
        ];
        let mut seed = 7u64;
        for _ in 0..2000 {
            let mut msg = Vec::new();
            for _ in 0..(lcg(&mut seed) % 24) {
                let i = usize::try_from(lcg(&mut seed)).unwrap_or(0) % PIECES.len();
                msg.extend_from_slice(PIECES.get(i).copied().unwrap_or_default());
            }
            let mut r = ResponseReader::new(64);
            let mut rest = msg.as_slice();
            while !rest.is_empty() {
                let cap = r.next_read_len();
                if cap == 0 {
                    break;
                }
                let n = (usize::try_from(lcg(&mut seed)).unwrap_or(1) % 9 + 1).min(rest.len()).min(cap);
                let (now, later) = rest.split_at(n);
                let fed = r.feed(now);
                if let Fed::Header { digested } | Fed::Body { digested } = fed {
                    assert!(digested.end <= now.len());
                }
                rest = later;
            }
            if let Ok(resp) = r.finish() {
                assert!(resp.digested <= resp.body_received);
                let _ = resp.decoded_body();
            }
            let _ = decode_chunked(&msg);
        }
    }

    #[test]
    fn strtoul_like_c() {
        assert_eq!(c_strtoul(b" 42\r"), (42, 3));
        assert_eq!(c_strtoul(b"+7"), (7, 2));
        assert_eq!(c_strtoul(b"-1"), (u64::MAX, 2));
        assert_eq!(c_strtoul(b"x"), (0, 0));
        assert_eq!(c_strtoul(b"\r\n"), (0, 0));
        assert_eq!(c_strtoul(b"99999999999999999999"), (u64::MAX, 20));
    }

    #[test]
    fn hex_dump_matches_keepalived_layout() {
        let d = hex_dump(b"HTTP/1.1 200 OK\r\nContent-Length: 14\r\nServer: x\r\n\r\n");
        let want = "0000  48 54 54 50 2f 31 2e 31 - 20 32 30 30 20 4f 4b 0d   HTTP/1.1 200 OK.\n\
                    0016  0a 43 6f 6e 74 65 6e 74 - 2d 4c 65 6e 67 74 68 3a   .Content-Length:\n\
                    0032  20 31 34 0d 0a 53 65 72 - 76 65 72 3a 20 78 0d 0a    14..Server: x..\n\
                    0048  0d 0a                   -                           ..              \n";
        assert_eq!(d, want);
        assert_eq!(hex_dump(b""), "");
    }
}
