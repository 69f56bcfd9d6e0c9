//! SMTP_CHECK: connect, expect a `220` greeting, send `HELO <helo_name>`,
//! expect `250`, send `QUIT`, read one more line. Any other answer, a
//! timeout or a closed connection is a failure, worded as keepalived words it
//! ("Bad greeting banner from server [IP]:PORT"). Like keepalived, a
//! multi-line greeting (`220-...`) is a bad banner, and each read and write
//! has the whole `connect_timeout`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::conn::{ConnOpts, ConnectError, tcp_connect};
use super::http::c_strtoul;
use super::state::{Failure, Outcome};

/// HELO name when neither the checker nor global_defs gives one.
pub const DEFAULT_HELO: &str = "smtpchecker.keepalived.org";

/// keepalived's SMTP_BUFF_MAX: a line longer than this wraps the buffer.
const BUFF_MAX: usize = 512;

/// keepalived's smtp_get_status: exactly three digits at the start of the
/// line, then the end of the line or a space.
pub fn status(line: &[u8]) -> Option<u64> {
    let (value, end) = c_strtoul(line);
    if end != 3 || !line.iter().take(3).all(u8::is_ascii_digit) {
        return None;
    }
    match line.get(3) {
        None | Some(b' ') => Some(value),
        Some(_) => None,
    }
}

/// Runs one SMTP_CHECK probe.
pub async fn probe(opts: &ConnOpts, helo_name: &str) -> Outcome {
    let target = opts.target_pair();
    let fail = |what: &str| Outcome::Failure(Failure::Text(format!("{what} server {target}")));
    let mut stream = match tcp_connect(opts).await {
        Ok(s) => s,
        Err(ConnectError::Socket(_)) => {
            return Outcome::Rescheduled("SMTP_CHECK connection failed to create socket. Rescheduling.".into());
        }
        Err(ConnectError::Bind(_)) => {
            return Outcome::Rescheduled("SMTP_CHECK socket bind failed. Rescheduling.".into());
        }
        Err(ConnectError::Timeout) => return fail("Connection timeout to"),
        Err(ConnectError::Unreachable(_)) => return fail("Could not connect to"),
        Err(ConnectError::Failed(_)) => return fail("Error connecting to"),
    };
    let mut conv = Conversation { stream: &mut stream, opts };
    match conv.line().await {
        Err(what) => return fail(what),
        Ok(l) if status(&l) != Some(220) => return fail("Bad greeting banner from"),
        Ok(_) => {}
    }
    if let Err(what) = conv.send(format!("HELO {helo_name}\r\n").as_bytes()).await {
        return fail(what);
    }
    match conv.line().await {
        Err(what) => return fail(what),
        Ok(l) if status(&l) != Some(250) => return fail("Bad HELO response from"),
        Ok(_) => {}
    }
    if let Err(what) = conv.send(b"QUIT\r\n").await {
        return fail(what);
    }
    match conv.line().await {
        Err(what) => fail(what),
        Ok(_) => Outcome::Success,
    }
}

struct Conversation<'a> {
    stream: &'a mut TcpStream,
    opts: &'a ConnOpts,
}

impl Conversation<'_> {
    /// Reads until a newline; the line is what precedes the first one.
    async fn line(&mut self) -> Result<Vec<u8>, &'static str> {
        let mut buf: Vec<u8> = Vec::with_capacity(128);
        let mut chunk = [0u8; BUFF_MAX];
        loop {
            if buf.len() >= BUFF_MAX - 1 {
                // keepalived logs the overflow and starts the buffer again.
                buf.clear();
            }
            let room = BUFF_MAX - 1 - buf.len();
            let slot = chunk.get_mut(..room).unwrap_or_default();
            let n = match tokio::time::timeout(self.opts.timeout, self.stream.read(slot)).await {
                Err(_) => return Err("Read timeout from"),
                Ok(Err(_) | Ok(0)) => return Err("Read failure from"),
                Ok(Ok(n)) => n,
            };
            buf.extend_from_slice(slot.get(..n).unwrap_or_default());
            if let Some(nl) = buf.iter().position(|&b| b == b'\n') {
                buf.truncate(nl);
                return Ok(buf);
            }
        }
    }

    async fn send(&mut self, data: &[u8]) -> Result<(), &'static str> {
        match tokio::time::timeout(self.opts.timeout, self.stream.write_all(data)).await {
            Err(_) => Err("Write timeout to"),
            Ok(Err(_)) => Err("Write failure to"),
            Ok(Ok(())) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncBufReadExt;

    use super::*;

    #[test]
    fn status_codes_like_keepalived() {
        assert_eq!(status(b"220 mail.example ESMTP\r"), Some(220));
        assert_eq!(status(b"220"), Some(220));
        assert_eq!(status(b"250 ok"), Some(250));
        assert_eq!(status(b"220-multi line"), None);
        assert_eq!(status(b"220\r"), None);
        assert_eq!(status(b" 220 x"), None);
        assert_eq!(status(b"2200 x"), None);
        assert_eq!(status(b"22 x"), None);
        assert_eq!(status(b""), None);
    }

    /// A scripted server: the greeting, then the reply to each line read.
    async fn server(
        greeting: &'static str,
        replies: &'static [&'static str],
    ) -> (ConnOpts, tokio::task::JoinHandle<Vec<String>>) {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("{e}"));
        let addr = l.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let h = tokio::spawn(async move {
            let (s, _) = l.accept().await.unwrap_or_else(|e| panic!("{e}"));
            let (r, mut w) = s.into_split();
            let mut r = tokio::io::BufReader::new(r);
            let _ = w.write_all(greeting.as_bytes()).await;
            let mut got = Vec::new();
            for reply in replies {
                let mut line = String::new();
                if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                    break;
                }
                got.push(line);
                let _ = w.write_all(reply.as_bytes()).await;
            }
            got
        });
        (ConnOpts::new(addr, Duration::from_secs(2)), h)
    }

    #[tokio::test]
    async fn good_conversation() {
        let (o, h) = server("220 mx ESMTP\r\n", &["250 hello\r\n", "221 bye\r\n"]).await;
        assert_eq!(probe(&o, "checker.example").await, Outcome::Success);
        let got = h.await.unwrap_or_default();
        assert_eq!(got, vec!["HELO checker.example\r\n".to_owned(), "QUIT\r\n".to_owned()]);
    }

    #[tokio::test]
    async fn bad_banner_and_helo() {
        let (o, _h) = server("554 no service\r\n", &[]).await;
        let want = format!("Bad greeting banner from server {}", o.target_pair());
        assert_eq!(probe(&o, DEFAULT_HELO).await, Outcome::Failure(Failure::Text(want)));
        let (o, _h) = server("220 mx\r\n", &["502 no HELO\r\n"]).await;
        let want = format!("Bad HELO response from server {}", o.target_pair());
        assert_eq!(probe(&o, DEFAULT_HELO).await, Outcome::Failure(Failure::Text(want)));
        let (o, _h) = server("220-first\r\n220 second\r\n", &[]).await;
        assert!(
            matches!(probe(&o, DEFAULT_HELO).await, Outcome::Failure(Failure::Text(t)) if t.starts_with("Bad greeting"))
        );
    }
}
