//! Health checkers. Probes live in their own files: [`http`] is the pure HTTP
//! request/response logic, [`http_probe`] the I/O that HTTP_GET, SSL_GET and
//! the genhash tool share, [`genhash`] the tool itself.

pub mod genhash;
pub mod http;
pub mod http_probe;
