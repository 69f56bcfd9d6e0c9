//! The one TLS client context SSL_GET probes share, built from the `SSL`
//! block (`password`, `ca`, `certificate`, `key`), or auto-generated when
//! there is none. One context for every probe, as keepalived has: sessions
//! are created per connection from it and freed when the probe ends.
//!
//! Verification is keepalived's: the CA file is loaded (a bad one is an
//! error at start) with a verification depth of 1, but the peer certificate
//! is not required to verify. A health check asks whether the service
//! answers; real servers are addressed by IP, often with self-signed
//! certificates, and keepalived has never failed them for it. The client
//! certificate and key are offered to servers that ask for one.

use openssl::pkey::PKey;
use openssl::ssl::{SslContext, SslMethod, SslVerifyMode};

use crate::config::model::lvs::SslConfig;

/// Why the context could not be built; keepalived's words first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// The context itself could not be created.
    #[error("SSL error: cannot create new SSL context ({0})")]
    Context(String),
    /// `certificate` could not be loaded.
    #[error("SSL error : Cant load certificate file... ({0})")]
    Certificate(String),
    /// `key` could not be loaded (or does not match, or needs a password).
    #[error("SSL error : Cant load key file... ({0})")]
    Key(String),
    /// `ca` could not be loaded.
    #[error("SSL error : Cant load CA file... ({0})")]
    Ca(String),
}

/// Builds the shared client context.
pub fn client_context(ssl: Option<&SslConfig>) -> Result<SslContext, TlsError> {
    let mut b = SslContext::builder(SslMethod::tls_client()).map_err(|e| TlsError::Context(e.to_string()))?;
    b.set_verify(SslVerifyMode::NONE);
    b.set_verify_depth(1);
    if let Some(ssl) = ssl {
        if let Some(cert) = &ssl.certificate {
            b.set_certificate_chain_file(cert).map_err(|e| TlsError::Certificate(format!("{cert}: {e}")))?;
        }
        if let Some(key) = &ssl.key {
            let pem = std::fs::read(key).map_err(|e| TlsError::Key(format!("{key}: {e}")))?;
            let pkey = match &ssl.password {
                Some(pw) => PKey::private_key_from_pem_passphrase(&pem, pw.as_bytes()),
                None => PKey::private_key_from_pem(&pem),
            }
            .map_err(|e| TlsError::Key(format!("{key}: {e}")))?;
            b.set_private_key(&pkey).map_err(|e| TlsError::Key(format!("{key}: {e}")))?;
            if ssl.certificate.is_some() {
                b.check_private_key().map_err(|e| TlsError::Key(format!("{key}: {e}")))?;
            }
        }
        if let Some(ca) = &ssl.ca {
            b.set_ca_file(ca).map_err(|e| TlsError::Ca(format!("{ca}: {e}")))?;
        }
    }
    Ok(b.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_generated_and_missing_files() {
        assert!(client_context(None).is_ok());
        let bad = SslConfig { ca: Some("/nonexistent/ca.pem".into()), ..SslConfig::default() };
        assert!(matches!(client_context(Some(&bad)), Err(TlsError::Ca(_))));
        let bad = SslConfig { certificate: Some("/nonexistent/c.pem".into()), ..SslConfig::default() };
        assert!(matches!(client_context(Some(&bad)), Err(TlsError::Certificate(_))));
        let bad = SslConfig { key: Some("/nonexistent/k.pem".into()), ..SslConfig::default() };
        assert!(matches!(client_context(Some(&bad)), Err(TlsError::Key(_))));
    }
}
