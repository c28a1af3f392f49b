//! TLS termination: rustls (ring), ALPN `h2` then `http/1.1`, and a certificate that is
//! replaced without a restart. [`Acceptor::reload`] loads the certificate chain and key again
//! through the loader it was built with; connections already open keep the certificate they
//! were made with, new handshakes use the new one, and a reload that fails (a half-written
//! file, a key that does not match) keeps the old certificate and reports why.

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use hyper_util::rt::TokioExecutor;
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::Watcher;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;
use zeroize::Zeroizing;

use crate::app::App;

/// Why a certificate could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The loader could not read the PEM texts.
    #[error("TLS certificate source: {0}")]
    Source(String),
    /// The certificate chain does not parse or is empty.
    #[error("TLS certificate: {0}")]
    Certificate(String),
    /// The private key does not parse, is of an unsupported kind, or does not match.
    #[error("TLS private key: {0}")]
    Key(String),
}

/// Reads the certificate chain and the private key, both PEM.
pub type PemLoader =
    Box<dyn Fn() -> Result<(Zeroizing<String>, Zeroizing<String>), String> + Send + Sync>;

/// The certificate every new handshake gets.
struct Reloadable {
    current: RwLock<Arc<CertifiedKey>>,
    load: PemLoader,
}

impl std::fmt::Debug for Reloadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reloadable")
    }
}

impl rustls::server::ResolvesServerCert for Reloadable {
    fn resolve(&self, _: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|key| key.clone())
    }
}

/// Parses a PEM chain and key into what rustls signs with.
fn certified_key(chain: &str, key: &str) -> Result<CertifiedKey, TlsError> {
    let certs = CertificateDer::pem_slice_iter(chain.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Certificate(e.to_string()))?;
    if certs.is_empty() {
        return Err(TlsError::Certificate("no CERTIFICATE block".into()));
    }
    let key =
        PrivateKeyDer::from_pem_slice(key.as_bytes()).map_err(|e| TlsError::Key(e.to_string()))?;
    let provider = rustls::crypto::ring::default_provider();
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::Key(e.to_string()))?;
    let certified = CertifiedKey::new(certs, signing);
    certified
        .keys_match()
        .map_err(|e| TlsError::Key(e.to_string()))?;
    Ok(certified)
}

/// Accepts TLS connections with a reloadable certificate (cheap to clone).
#[derive(Clone)]
pub struct Acceptor {
    inner: tokio_rustls::TlsAcceptor,
    keys: Arc<Reloadable>,
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Acceptor")
    }
}

impl Acceptor {
    /// Loads the first certificate through `load`.
    pub fn new(load: PemLoader) -> Result<Self, TlsError> {
        let (chain, key) = load().map_err(TlsError::Source)?;
        let keys = Arc::new(Reloadable {
            current: RwLock::new(Arc::new(certified_key(&chain, &key)?)),
            load,
        });
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Certificate(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(keys.clone());
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self {
            inner: tokio_rustls::TlsAcceptor::from(Arc::new(config)),
            keys,
        })
    }

    /// Loads the certificate again; on failure the current one stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let (chain, key) = (self.keys.load)().map_err(TlsError::Source)?;
        let fresh = Arc::new(certified_key(&chain, &key)?);
        if let Ok(mut current) = self.keys.current.write() {
            *current = fresh;
        }
        Ok(())
    }

    /// The TLS handshake on an accepted connection.
    pub async fn accept<IO>(&self, io: IO) -> std::io::Result<tokio_rustls::server::TlsStream<IO>>
    where
        IO: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        self.inner.accept(io).await
    }
}

/// Serves a TLS connection (after its handshake) as [`super::serve_connection`] serves a
/// plain one.
pub(crate) fn serve_tls(
    builder: &auto::Builder<TokioExecutor>,
    watcher: Watcher,
    stream: tokio_rustls::server::TlsStream<super::linger::Lingering>,
    peer: SocketAddr,
    app: App,
) {
    super::serve_connection(builder, watcher, stream, peer, app);
}
