//! Upstream connections: each host keeps a stack of idle HTTP/1.1 connections
//! (`hyper::client::conn::http1`), plain or TLS (rustls). A request takes the most recently
//! used idle connection (or opens one), and the connection goes back on the stack when the
//! response body has been read to the end; a response dropped half-read closes it. A pooled
//! connection the upstream closed meanwhile is detected before use, and a request refused
//! unsent by a dying connection is replayed once on a fresh one (it never reached upstream).
//!
//! Compared with hyper-util's general-purpose pool this does no per-request key hashing, no
//! extra task per request to return the connection, and no dispatch through a shared pool
//! lock beyond one short `Mutex` push/pop per request on the host's own stack.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use bytes::Bytes;
use http::{Request, Response};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::Host;

/// Idle connections kept per host.
const MAX_IDLE: usize = 256;
/// An idle connection older than this is closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Why an exchange with an upstream failed.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// No connection could be made (TCP or TLS): the request never left; another host may
    /// take it.
    #[error("connect: {0}")]
    Connect(String),
    /// The exchange failed after the request was (or may have been) sent.
    #[error("exchange: {0}")]
    Exchange(#[from] hyper::Error),
}

/// The idle connections of one host.
#[derive(Default)]
pub(crate) struct IdlePool {
    idle: Mutex<Vec<(SendRequest<Body>, Instant)>>,
}

impl std::fmt::Debug for IdlePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.idle.lock().map(|i| i.len()).unwrap_or(0);
        write!(f, "IdlePool({n} idle)")
    }
}

impl IdlePool {
    fn take(&self) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((sender, since)) = idle.pop() {
            if !sender.is_closed() && since.elapsed() < IDLE_TIMEOUT {
                return Some(sender);
            }
        }
        None
    }

    fn put(&self, sender: SendRequest<Body>) {
        if sender.is_closed() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push((sender, Instant::now()));
        }
    }
}

/// Opens connections and runs exchanges.
#[derive(Clone)]
pub(crate) struct Connector {
    tls: Option<tokio_rustls::TlsConnector>,
    connect_timeout: Duration,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("tls", &self.tls.is_some())
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl Connector {
    pub(crate) fn new(tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        let tls = tls.map(|config| {
            let mut config = rustls::ClientConfig::clone(&config);
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            tokio_rustls::TlsConnector::from(Arc::new(config))
        });
        Self {
            tls,
            connect_timeout: Duration::from_secs(5),
        }
    }

    async fn connect(&self, host: &Host) -> Result<SendRequest<Body>, SendError> {
        let tcp = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&*host.name))
            .await
            .map_err(|_| SendError::Connect("timed out".into()))?
            .map_err(|e| SendError::Connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        match &host.tls_name {
            None => handshake(tcp).await,
            Some(name) => {
                let tls = self.tls.as_ref().ok_or_else(|| {
                    SendError::Connect("HTTPS upstream but no TLS configuration".into())
                })?;
                let stream =
                    tokio::time::timeout(self.connect_timeout, tls.connect(name.clone(), tcp))
                        .await
                        .map_err(|_| SendError::Connect("TLS handshake timed out".into()))?
                        .map_err(|e| SendError::Connect(format!("TLS: {e}")))?;
                handshake(stream).await
            }
        }
    }

    /// Sends `request` (origin-form URI, `Host` set) to `host`. When no connection could be
    /// made the request comes back untouched with the error (it never left: another host may
    /// take it).
    pub(crate) async fn send(
        &self,
        host: &Arc<Host>,
        mut request: Request<Body>,
    ) -> Result<Response<PooledBody>, (SendError, Option<Request<Body>>)> {
        while let Some(mut sender) = host.pool.take() {
            // Ready again shortly after its previous response ended; an error means the
            // upstream closed it while idle.
            if sender.ready().await.is_err() {
                continue;
            }
            match sender.try_send_request(request).await {
                Ok(response) => return Ok(PooledBody::wrap(response, sender, host)),
                Err(mut e) => match e.take_message() {
                    // Refused before anything was written: replay on another connection.
                    Some(unsent) => request = unsent,
                    None => return Err((SendError::Exchange(e.into_error()), None)),
                },
            }
        }
        let mut sender = match self.connect(host).await {
            Ok(sender) => sender,
            Err(e) => return Err((e, Some(request))),
        };
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| (SendError::Exchange(e), None))?;
        Ok(PooledBody::wrap(response, sender, host))
    }
}

async fn handshake<T>(io: T) -> Result<SendRequest<Body>, SendError>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| SendError::Connect(e.to_string()))?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "upstream connection ended");
        }
    });
    Ok(sender)
}

/// An upstream response body that returns its connection to the pool once read to the end.
pub struct PooledBody {
    inner: Incoming,
    // Some until the body ends (then pooled) or is dropped (then closed).
    give_back: Option<(SendRequest<Body>, Arc<Host>)>,
}

impl std::fmt::Debug for PooledBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PooledBody")
    }
}

impl PooledBody {
    fn wrap(
        response: Response<Incoming>,
        sender: SendRequest<Body>,
        host: &Arc<Host>,
    ) -> Response<PooledBody> {
        response.map(|inner| {
            let mut body = PooledBody {
                inner,
                give_back: Some((sender, host.clone())),
            };
            if body.inner.is_end_stream() {
                body.release();
            }
            body
        })
    }

    fn release(&mut self) {
        if let Some((sender, host)) = self.give_back.take() {
            host.pool.put(sender);
        }
    }
}

impl HttpBody for PooledBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        let this = &mut *self;
        let polled = Pin::new(&mut this.inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => this.release(),
            Poll::Ready(Some(Ok(_))) if this.inner.is_end_stream() => this.release(),
            // An error leaves the connection in an unknown state: drop it.
            Poll::Ready(Some(Err(_))) => this.give_back = None,
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
