//! The gateway's HTTP server: hyper's, through hyper-util's automatic connection builder.
//! One listener serves HTTP/1.1 and HTTP/2 (prior-knowledge h2c on plain TCP; over TLS the
//! protocol ALPN chose), protocol upgrades (`101`: WebSocket and the like), and trailers both
//! ways. Every request goes to [`App::handle`] with the connection's peer address, after the
//! checks of [`head`] (what hyper accepts but a proxy must not pass on).
//!
//! Limits: a TLS handshake and a request head must each complete within
//! [`HEADER_READ_TIMEOUT`]; a head must fit
//! [`MAX_HEAD_BYTES`] with at most [`MAX_HEADERS`] fields (HTTP/1.1); an HTTP/2 connection
//! carries at most [`H2_MAX_CONCURRENT_STREAMS`] streams at once, a header list of at most
//! [`MAX_HEAD_BYTES`], and is closed after [`H2_MAX_PENDING_ACCEPT_RESETS`] streams reset
//! before the gateway accepted them (the rapid-reset attack).
//!
//! A connection the gateway closes lingers ([`linger`]) so that no reset destroys the last
//! response. Shutdown is graceful: when `shutdown` resolves the listener closes, idle connections
//! close, in-flight requests finish (HTTP/1.1 answers them with `connection: close`,
//! HTTP/2 sends `GOAWAY`), and [`serve`] returns when the last connection has ended.
//!
//! ```no_run
//! # async fn run(built: myc_gateway::app::Built) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! myc_gateway::server::serve(listener, built.app, async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await
//! # }
//! ```

pub mod head;
pub mod linger;
pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;

use crate::app::App;

/// How long a client may take to send a request head (HTTP/1.1).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest request head (HTTP/1.1 read buffer; HTTP/2 header list).
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// The most header fields in an HTTP/1.1 request head.
pub const MAX_HEADERS: usize = 100;
/// Concurrent streams per HTTP/2 connection.
pub const H2_MAX_CONCURRENT_STREAMS: u32 = 256;
/// Streams an HTTP/2 client may reset before the gateway accepted them, after which the
/// connection is closed (rapid reset, CVE-2023-44487).
pub const H2_MAX_PENDING_ACCEPT_RESETS: usize = 32;

/// The connection builder every listener uses (see the module docs for the limits).
pub(crate) fn builder() -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(H2_MAX_CONCURRENT_STREAMS)
        .max_pending_accept_reset_streams(H2_MAX_PENDING_ACCEPT_RESETS)
        .max_header_list_size(MAX_HEAD_BYTES as u32)
        .keep_alive_interval(Some(Duration::from_secs(30)));
    builder
}

/// Serves one connection's requests to `app` until it ends or `graceful` shuts it down.
pub(crate) fn serve_connection<IO>(
    builder: &auto::Builder<TokioExecutor>,
    watcher: Watcher,
    io: IO,
    peer: SocketAddr,
    app: App,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let app = app.clone();
        async move {
            let request = request.map(Body::new);
            let response = match head::check(&request) {
                Ok(()) => app.handle(peer, request).await,
                Err(refused) => refused.into_response(),
            };
            Ok::<_, Infallible>(response)
        }
    });
    let connection = builder
        .serve_connection_with_upgrades(TokioIo::new(io), service)
        .into_owned();
    let connection = watcher.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
    });
}

/// Serves `app` on `listener` until `shutdown` resolves, then drains (see the module docs).
/// Accept errors (such as running out of file descriptors) are logged and retried after a
/// short pause.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    serve_with(listener, app, None, shutdown).await
}

/// [`serve`], terminating TLS with `tls` when given (HTTP/2 or HTTP/1.1 by ALPN).
pub async fn serve_with(
    listener: TcpListener,
    app: App,
    tls: Option<tls::Acceptor>,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let builder = builder();
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let stream = linger::Lingering::new(stream);
        match &tls {
            None => serve_connection(&builder, graceful.watcher(), stream, peer, app.clone()),
            Some(acceptor) => {
                let acceptor = acceptor.clone();
                let (builder, app) = (builder.clone(), app.clone());
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    // A client that never finishes its handshake gets the head's time limit.
                    match tokio::time::timeout(HEADER_READ_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => tls::serve_tls(&builder, watcher, stream, peer, app),
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
