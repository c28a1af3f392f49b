//! Upstream exchanges on hyper's client (hyper-util's pooled client, one pool per scheme and
//! authority): HTTP/1.1 to `http` services, HTTP/2 with prior knowledge (h2c) to `http2` and
//! `grpc` ones, and over TLS (rustls, the system's roots plus `[gateway.tls] extra_roots`)
//! whichever of HTTP/2 and HTTP/1.1 ALPN chooses for `https` ones. hyper frames bodies both
//! ways, keeps trailers, retries a request on a fresh connection when a pooled one turns out
//! closed before the request was written, and hands protocol upgrades over (`101`).
//!
//! A request that could not be sent because no connection could be made comes back to the
//! caller (when it has no body and an idempotent method) so that another host can take it.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use http::uri::{PathAndQuery, Scheme};
use http::{Request, Response, Uri, Version};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};

use super::{Host, Wire};

/// Idle connections kept per host.
const MAX_IDLE: usize = 256;
/// An idle connection older than this is closed instead of reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long connecting (TCP, then TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why an exchange with an upstream failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// No connection could be made (TCP or TLS): the request never left; another host may
    /// take it.
    #[error("connect: {0}")]
    Connect(String),
    /// The exchange failed after the request was (or may have been) sent.
    #[error("exchange: {0}")]
    Exchange(String),
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// Opens (and pools) connections and runs exchanges; cheap to clone.
#[derive(Clone)]
pub(crate) struct Connector {
    http1: Client<Https, Body>,
    http2: Client<Https, Body>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connector")
    }
}

/// A TLS configuration that verifies nothing is ever needed: without HTTPS upstreams no TLS
/// connection is made (an empty root store verifies no certificate).
fn no_tls() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
        .unwrap_or_else(|_| {
            rustls::ClientConfig::builder()
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth()
        })
}

impl Connector {
    /// Pools for HTTP/1.1 and HTTP/2; `tls` for HTTPS upstreams.
    pub(crate) fn new(tls: Option<Arc<rustls::ClientConfig>>) -> Self {
        let mut tls = tls.map_or_else(no_tls, |config| rustls::ClientConfig::clone(&config));
        // The connector offers what it speaks (h2, http/1.1) itself.
        tls.alpn_protocols.clear();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http);
        let client = |http2_only: bool| {
            Client::builder(TokioExecutor::new())
                .pool_timer(TokioTimer::new())
                .timer(TokioTimer::new())
                .pool_idle_timeout(IDLE_TIMEOUT)
                .pool_max_idle_per_host(MAX_IDLE)
                .set_host(false)
                .http2_only(http2_only)
                .build(https.clone())
        };
        Self {
            http1: client(false),
            http2: client(true),
        }
    }

    /// Sends `request` (origin-form URI, `Host` set) to `host`. When no connection could be
    /// made a body-less request with an idempotent method comes back with the error.
    pub(crate) async fn send(
        &self,
        host: &Arc<Host>,
        mut request: Request<Body>,
    ) -> Result<Response<Body>, (SendError, Option<Request<Body>>)> {
        if host.wire == Wire::Http1 {
            return send_http1(host, request).await;
        }
        let (scheme, version, client) = match host.wire {
            Wire::Http1 => (Scheme::HTTP, Version::HTTP_11, &self.http1),
            Wire::Http2 => (Scheme::HTTP, Version::HTTP_2, &self.http2),
            Wire::Tls => (Scheme::HTTPS, Version::HTTP_11, &self.http1),
        };
        let path = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        let uri = Uri::builder()
            .scheme(scheme)
            .authority(host.authority.clone())
            .path_and_query(path)
            .build()
            .map_err(|e| (SendError::Exchange(e.to_string()), None))?;
        *request.uri_mut() = uri;
        *request.version_mut() = version;
        let replayable =
            super::idempotent(request.method()) && http_body::Body::is_end_stream(request.body());
        let mut replayed = false;
        loop {
            let replay = replayable.then(|| copy(&request));
            match client.request(request).await {
                Ok(response) => return Ok(response.map(Body::new)),
                Err(e) if e.is_connect() => {
                    return Err((SendError::Connect(error_chain(&e)), replay));
                }
                // A pooled connection the upstream closed just as it was reused (its idle
                // timeout racing ours): nothing came back, so a replayable request is sent
                // once more.
                Err(e) if !replayed && closed_unanswered(&e) => match replay {
                    Some(again) => {
                        replayed = true;
                        request = again;
                    }
                    None => return Err((SendError::Exchange(error_chain(&e)), None)),
                },
                Err(e) => return Err((SendError::Exchange(error_chain(&e)), None)),
            }
        }
    }
}

/// Whether the connection closed before any response byte arrived.
fn closed_unanswered(e: &hyper_util::client::legacy::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            return hyper.is_incomplete_message();
        }
        source = cause.source();
    }
    false
}

/// [`Connector::send`] to a plain HTTP/1.1 host, on its own pool ([`super::h1_pool`]).
async fn send_http1(
    host: &Arc<Host>,
    mut request: Request<Body>,
) -> Result<Response<Body>, (SendError, Option<Request<Body>>)> {
    let replayable =
        super::idempotent(request.method()) && http_body::Body::is_end_stream(request.body());
    while let Some(sender) = host.pool.take() {
        let replay = replayable.then(|| copy(&request));
        match super::h1_pool::send(sender, host, request).await {
            Ok(response) => return Ok(response),
            // The upstream closed the pooled connection just as it was reused: nothing came
            // back, so a replayable request goes on the next connection.
            Err(e) if e.is_incomplete_message() || e.is_canceled() => match replay {
                Some(again) => request = again,
                None => return Err((SendError::Exchange(error_chain(&e)), None)),
            },
            Err(e) => return Err((SendError::Exchange(error_chain(&e)), None)),
        }
    }
    let sender = match super::h1_pool::connect(host, CONNECT_TIMEOUT).await {
        Ok(sender) => sender,
        Err(e) => return Err((SendError::Connect(e), replayable.then_some(request))),
    };
    super::h1_pool::send(sender, host, request)
        .await
        .map_err(|e| (SendError::Exchange(error_chain(&e)), None))
}

/// A body-less request's copy (method, URI, version, headers).
fn copy(request: &Request<Body>) -> Request<Body> {
    let mut copy = Request::new(Body::empty());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.version_mut() = request.version();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// The error and its causes on one line (hyper-util's says only "client error (Connect)").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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
        let upstream =
            super::super::Upstream::new(std::slice::from_ref(&addr), Wire::Http1).unwrap();
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
        // A POST is not written twice: the failure is reported.
        let response = connector.send(&host, request(Method::POST)).await;
        assert!(
            matches!(response, Err((SendError::Exchange(_), None))),
            "{:?}",
            response.map(|r| r.status())
        );
        assert!(accepted.load(Ordering::SeqCst) >= 3);
    }
}
