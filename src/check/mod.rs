//! Health checkers.
//!
//! Pure cores: [`state`] (one checker's retries, timers and log lines),
//! [`server`] (a real server's checkers and tracked files combined into the
//! verdict IPVS applies), [`misc`] (MISC_CHECK's exit status), [`http`]
//! (requests, response reader, digest) and [`http_check`] (the URL rules).
//!
//! Probes, each in its own file, async on the single-threaded runtime:
//! [`tcp`], [`http_check`] over [`http_probe`] (HTTP_GET, SSL_GET; genhash
//! shares the probe), [`smtp`], [`dns`], [`udp`], [`ping`], and [`file`]
//! (FILE_CHECK's values); [`conn`] holds what they share (bind, interface,
//! fwmark, timeouts), [`tls`] the one TLS context of the `SSL` block.
//! [`genhash`] is the genhash tool.

pub mod conn;
pub mod dns;
pub mod file;
pub mod genhash;
pub mod http;
pub mod http_check;
pub mod http_probe;
pub mod misc;
pub mod ping;
pub mod plan;
pub(crate) mod runtime;
pub mod server;
pub mod smtp;
pub mod state;
pub mod tcp;
pub(crate) mod tcp_batch;
pub mod tls;
pub mod udp;

/// A random number for warmups and DNS ids, from the standard library's
/// per-process random hash keys (no dependency, not for cryptography).
pub fn random_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64));
    (h.finish() >> 32) as u32
}
