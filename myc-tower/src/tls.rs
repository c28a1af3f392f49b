//! TLS client configuration shared by the JWKS/userinfo fetcher and the gateway's upstream
//! connections: rustls on the `ring` provider (passed explicitly, no process-wide default is
//! installed), TLS 1.2 and 1.3, the system's trusted roots plus any PEM roots you add (a
//! private CA of an internal IdP or upstream). No ALPN is set: connectors add their own.
//!
//! ```no_run
//! let config = myc_tower::tls::client_config(&[])?;                  // system roots only
//! let pem = std::fs::read("/etc/myc/internal-ca.pem")?;
//! let private = myc_tower::tls::client_config(&[pem.as_slice()])?;  // plus a private CA
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Why a TLS configuration could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    /// A PEM bundle held no certificate, or one that does not parse.
    #[error("extra root certificates: {0}")]
    BadRoots(String),
    /// Neither the system nor the configuration provides a trusted root.
    #[error("no trusted root certificates (install ca-certificates or configure extra roots)")]
    NoRoots,
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// A client configuration trusting the system's roots and every certificate in `extra_pem`
/// (each a PEM bundle).
pub fn client_config(extra_pem: &[&[u8]]) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable system certificates are skipped, as browsers do; an empty result is refused
    // below.
    let native = rustls_native_certs::load_native_certs();
    let _ = roots.add_parsable_certificates(native.certs);
    for bundle in extra_pem {
        let certs = CertificateDer::pem_slice_iter(bundle)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::BadRoots(e.to_string()))?;
        if certs.is_empty() {
            return Err(TlsError::BadRoots("no CERTIFICATE block".into()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| TlsError::BadRoots(e.to_string()))?;
        }
    }
    if roots.is_empty() {
        return Err(TlsError::NoRoots);
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| TlsError::Config(e.to_string()))?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}
