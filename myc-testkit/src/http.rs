//! A plain HTTP test server: an axum router on 127.0.0.1, in the background.

use std::net::SocketAddr;

/// Serves `app` on a random loopback port (with `ConnectInfo<SocketAddr>` for handlers and
/// layers that want the peer); returns the address.
///
/// # Panics
/// If no loopback port can be bound (test set-up).
#[allow(clippy::expect_used)]
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let app = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(axum::serve(listener, app).into_future());
    addr
}
