//! HTTPS/WSS: turns a PEM certificate chain and private key into a rustls acceptor. The handshake
//! itself happens per connection in `listen.rs`, under the handshake timeout.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// Why the certificate or key cannot be used; the message says which file and what to do.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("--tls-cert {}: cannot read a PEM certificate chain ({why}); give the full chain, leaf first", .path.display())]
    Cert { path: PathBuf, why: String },
    #[error("--tls-cert {}: no certificate in the file; it must contain \"-----BEGIN CERTIFICATE-----\"", .path.display())]
    NoCert { path: PathBuf },
    #[error("--tls-key {}: cannot read a PEM private key ({why}); PKCS#8, PKCS#1 (RSA) and SEC1 (EC) keys work", .path.display())]
    Key { path: PathBuf, why: String },
    #[error("the certificate and key do not make a usable TLS configuration: {0}")]
    Config(#[from] rustls::Error),
}

/// Loads `cert` (PEM chain, leaf first) and `key` (PEM) into an acceptor speaking HTTP/1.1.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Cert {
            path: cert.to_owned(),
            why: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::NoCert {
            path: cert.to_owned(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
        path: key.to_owned(),
        why: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
