//! The HTTP/1.1 server: an accept loop, and for each connection our own lean HTTP/1.1
//! connection (`conn`) straight into [`App::handle`] with the connection's peer address.
//! It parses heads with httparse into shared buffers and refuses every framing ambiguity
//! ([`request`]), streams request bodies from the socket (`body`, with lazy
//! `100 Continue`), writes responses with the head and a small body in one write
//! (`response`, cached `Date`), serves pipelined requests in order, closes connections idle
//! or slow to send a head for [`HEADER_READ_TIMEOUT`], sets `TCP_NODELAY`, closes with a
//! lingering read (no reset can destroy the last response), and shuts down gracefully: no new
//! connections, in-flight requests complete, idle connections close.
//! It replaces hyper's server connection, whose per-request machinery (dispatch state
//! machine, a timer per request, a shutdown watch polled on every wake) cost more than the
//! rest of the gateway's public route.
//!
//! Not served: HTTP/2, protocol upgrades (`101`), trailers sent by the client (read and
//! dropped) and response trailers (dropped).
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

mod body;
mod conn;
pub mod request;
mod response;

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;

pub use self::body::{BodyError, IncomingBody};
pub use self::request::Reject;
use crate::app::App;

/// How long a client may take to send a request head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` resolves, then drains: no new connections,
/// in-flight requests complete, idle keep-alive connections close. Accept errors (such as
/// running out of file descriptors) are logged and retried after a short pause.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let (closing, closed) = tokio::sync::watch::channel(false);
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
        // Responses stream in several writes: without TCP_NODELAY, Nagle + delayed ACK add ~40 ms.
        let _ = stream.set_nodelay(true);
        tokio::spawn(conn::serve_connection(
            stream,
            peer,
            app.clone(),
            closed.clone(),
        ));
    }
    drop(listener);
    let _ = closing.send(true);
    drop(closed);
    // Every connection task holds a receiver: this resolves when the last one has ended.
    closing.closed().await;
    Ok(())
}
