//! Health checkers.
//!
//! Pure cores: [`state`] (one checker's retries, timers and log lines),
//! [`server`] (a real server's checkers and tracked files combined into the
//! verdict IPVS applies), [`misc`] (MISC_CHECK's exit status), [`http`]
//! (requests, response reader, digest) and the URL rules in [`http_check`].
//!
//! Probes, each in its own file, async on the single-threaded runtime:
//! [`tcp`], [`http_probe`] (HTTP_GET, SSL_GET and genhash), [`smtp`],
//! [`dns`], [`udp`], [`ping`], [`file`] (FILE_CHECK); [`conn`] holds what
//! they share (bind, fwmark, interface, timeouts), [`tls`] the one TLS
//! context of the `SSL` block. [`genhash`] is the genhash tool.

pub mod conn;
pub mod genhash;
pub mod http;
pub mod http_probe;
pub mod misc;
pub mod server;
pub mod state;
pub mod tls;
