//! A TLS test server: an axum router behind rustls on 127.0.0.1, with a certificate for
//! `localhost` / `127.0.0.1` issued by a test CA ([`CA_PEM`]). Keys are test-only (in
//! `keys/tls/`, valid until 2126); never trust that CA outside tests.

use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The test CA (PEM) that issued the server certificate.
pub const CA_PEM: &[u8] = include_bytes!("../keys/tls/ca.pem");
const SERVER_PEM: &[u8] = include_bytes!("../keys/tls/server.pem");
const SERVER_KEY: &[u8] = include_bytes!("../keys/tls/server.key");

struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A failed handshake (a client that does not trust the CA) just drops that client.
            if let Ok(tls) = self.acceptor.accept(stream).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Serves `app` over TLS on a random loopback port; returns the address.
///
/// # Panics
/// If the embedded test keys do not load or the port cannot be bound (test set-up).
#[allow(clippy::expect_used)]
pub async fn serve(app: axum::Router) -> SocketAddr {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(SERVER_PEM)
        .collect::<Result<_, _>>()
        .expect("test certificate");
    let key = PrivateKeyDer::from_pem_slice(SERVER_KEY).expect("test key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = tcp.local_addr().expect("local addr");
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    tokio::spawn(axum::serve(listener, app).into_future());
    addr
}
