//! Plain HTTP/1.1 upstream connections on hyper's connection API, pooled per host: a request
//! takes the most recently used idle connection whose sender is ready (or opens one), and the
//! connection goes back on the host's stack when the response body has been read to its end
//! (a response dropped half-read closes it). One short lock per request on the host's own
//! stack, no pool key to hash; hyper drives each connection in a task of its own.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{Request, Response};
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use super::Host;

/// Idle connections kept per host.
const MAX_IDLE: usize = 256;
/// An idle connection older than this is closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

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
    /// The most recently used idle connection that can take a request now.
    pub(crate) fn take(&self) -> Option<SendRequest<Body>> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((sender, since)) = idle.pop() {
            if since.elapsed() < IDLE_TIMEOUT && sender.is_ready() {
                return Some(sender);
            }
        }
        None
    }

    fn put(&self, sender: SendRequest<Body>) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
            && !sender.is_closed()
        {
            idle.push((sender, Instant::now()));
        }
    }
}

/// Opens a connection to `host` (TCP, `TCP_NODELAY`) within `timeout`.
pub(crate) async fn connect(host: &Host, timeout: Duration) -> Result<SendRequest<Body>, String> {
    let tcp = tokio::time::timeout(timeout, tokio::net::TcpStream::connect(&*host.name))
        .await
        .map_err(|_| "timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    let _ = tcp.set_nodelay(true);
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(e) = connection.with_upgrades().await {
            tracing::debug!(error = %e, "upstream connection ended");
        }
    });
    Ok(sender)
}

/// A response body that hands its connection back to the host's pool at its end.
pub(crate) struct Pooled {
    body: Incoming,
    release: Option<(SendRequest<Body>, Arc<Host>)>,
}

impl Pooled {
    /// `response`, whose connection `sender` goes back to `host` once its body is read.
    pub(crate) fn response(
        response: Response<Incoming>,
        sender: SendRequest<Body>,
        host: Arc<Host>,
    ) -> Response<Body> {
        let (parts, body) = response.into_parts();
        let mut pooled = Self {
            body,
            release: Some((sender, host)),
        };
        if pooled.body.is_end_stream() {
            pooled.release();
        }
        Response::from_parts(parts, Body::new(pooled))
    }

    fn release(&mut self) {
        if let Some((sender, host)) = self.release.take() {
            host.pool.put(sender);
        }
    }
}

impl http_body::Body for Pooled {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let polled = Pin::new(&mut self.body).poll_frame(cx);
        match &polled {
            Poll::Ready(None) => self.release(),
            Poll::Ready(Some(Ok(_))) if self.body.is_end_stream() => self.release(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Sends `request` on `sender`; the response's body returns the connection to `host`.
pub(crate) async fn send(
    mut sender: SendRequest<Body>,
    host: &Arc<Host>,
    request: Request<Body>,
) -> Result<Response<Body>, hyper::Error> {
    let response = sender.send_request(request).await?;
    Ok(Pooled::response(response, sender, host.clone()))
}
