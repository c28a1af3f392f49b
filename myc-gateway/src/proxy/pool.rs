//! Upstream connections: each host keeps a stack of idle HTTP/1.1 connections ([`super::h1`]),
//! plain or TLS (rustls). A request takes the most recently used idle connection (or opens
//! one), and the connection goes back on the stack when the response body has been read to the
//! end; a response dropped half-read closes it. A pooled connection the upstream closed
//! meanwhile is detected before use (one non-blocking read), and a body-less idempotent request
//! whose pooled connection died before any response byte arrived is written again on a fresh
//! connection.
//!
//! The exchange runs in the request's own task: no connection task, no channel, no per-request
//! key hashing, and one short `Mutex` push/pop per request on the host's own stack.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use http::{Request, Response};
use tokio::net::TcpStream;

use super::Host;
use super::h1::{self, Conn, Prepared, ResponseBody, Stream};

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
    Exchange(#[from] h1::Error),
}

/// The response body type of upstream responses.
pub type PooledBody = ResponseBody;

/// The idle connections of one host.
#[derive(Default)]
pub(crate) struct IdlePool {
    idle: Mutex<Vec<(Conn, Instant)>>,
}

impl std::fmt::Debug for IdlePool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.idle.lock().map(|i| i.len()).unwrap_or(0);
        write!(f, "IdlePool({n} idle)")
    }
}

impl IdlePool {
    fn take(&self) -> Option<Conn> {
        let mut idle = self.idle.lock().ok()?;
        while let Some((mut conn, since)) = idle.pop() {
            if since.elapsed() < IDLE_TIMEOUT && !conn.is_stale() {
                return Some(conn);
            }
        }
        None
    }

    fn put(&self, conn: Conn) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push((conn, Instant::now()));
        }
    }
}

impl h1::Release for Host {
    fn release(&self, conn: Conn) {
        self.pool.put(conn);
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

    async fn connect(&self, host: &Host) -> Result<Conn, SendError> {
        let tcp = tokio::time::timeout(self.connect_timeout, TcpStream::connect(&*host.name))
            .await
            .map_err(|_| SendError::Connect("timed out".into()))?
            .map_err(|e| SendError::Connect(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        match &host.tls_name {
            None => Ok(Conn::new(Stream::Plain(tcp))),
            Some(name) => {
                let tls = self.tls.as_ref().ok_or_else(|| {
                    SendError::Connect("HTTPS upstream but no TLS configuration".into())
                })?;
                let stream =
                    tokio::time::timeout(self.connect_timeout, tls.connect(name.clone(), tcp))
                        .await
                        .map_err(|_| SendError::Connect("TLS handshake timed out".into()))?
                        .map_err(|e| SendError::Connect(format!("TLS: {e}")))?;
                Ok(Conn::new(Stream::Tls(Box::new(stream))))
            }
        }
    }

    /// Sends `request` (origin-form URI, `Host` set) to `host`. When no connection could be
    /// made the request comes back untouched with the error (it never left: another host may
    /// take it).
    pub(crate) async fn send(
        &self,
        host: &Arc<Host>,
        request: Request<Body>,
    ) -> Result<Response<PooledBody>, (SendError, Option<Request<Body>>)> {
        let (parts, body) = request.into_parts();
        let mut prepared = Prepared::new(&parts, body);
        let replayable = prepared.bodyless() && super::idempotent(&parts.method);
        while let Some(mut conn) = host.pool.take() {
            match h1::exchange(&mut conn, &mut prepared).await {
                Ok(head) => return Ok(ResponseBody::response(head, conn, host.clone())),
                // The upstream dropped the pooled connection just as it was reused: nothing
                // came back, so the request is written again on the next one.
                Err(e) if replayable && !e.received => continue,
                Err(e) => return Err((SendError::Exchange(e.error), None)),
            }
        }
        let mut conn = match self.connect(host).await {
            Ok(conn) => conn,
            Err(e) => {
                let body = prepared.take_body().unwrap_or_default();
                return Err((e, Some(Request::from_parts(parts, body))));
            }
        };
        match h1::exchange(&mut conn, &mut prepared).await {
            Ok(head) => Ok(ResponseBody::response(head, conn, host.clone())),
            Err(e) => Err((SendError::Exchange(e.error), None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Method;
    use http_body_util::BodyExt as _;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An upstream that answers the first request of each connection and drops the
    /// connection, unanswered, when a second request arrives on it (an idle timeout racing
    /// the reuse).
    async fn one_shot_upstream() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            loop {
                let (mut socket, _) = listener.accept().await.unwrap();
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = vec![0u8; 4096];
                    if socket.read(&mut buf).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let _ = socket
                        .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                        .await;
                    let _ = socket.read(&mut buf).await;
                    // Dropped without an answer.
                });
            }
        });
        (addr, accepted)
    }

    #[tokio::test]
    async fn a_reused_connection_that_dies_unanswered_is_replaced_for_idempotent_requests() {
        let (addr, accepted) = one_shot_upstream().await;
        let upstream = super::super::Upstream::new(std::slice::from_ref(&addr), false).unwrap();
        let host = upstream.pick(&[]).unwrap();
        let connector = Connector::new(None);
        let request = |method: Method| {
            Request::builder()
                .method(method)
                .uri("/")
                .header("host", addr.as_str())
                .body(Body::empty())
                .unwrap()
        };
        for _ in 0..3 {
            let response = connector.send(&host, request(Method::GET)).await.unwrap();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            assert_eq!(body, "ok");
        }
        // Each reuse met a dead connection and went to a fresh one.
        assert_eq!(accepted.load(Ordering::SeqCst), 3);
        // A POST is not written twice: the failure is reported.
        let response = connector.send(&host, request(Method::POST)).await;
        assert!(matches!(response, Err((SendError::Exchange(_), None))));
    }
}
