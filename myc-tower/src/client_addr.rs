//! [`ClientAddr`]: the client's address as the embedding server resolved it, for the layer's
//! refusal logs.

use std::net::IpAddr;

/// The client's address, put into the request's extensions by the server in front of the
/// layer (after resolving trusted proxies, if any). Without it the layer falls back to axum's
/// `ConnectInfo<SocketAddr>` (feature `axum`), then logs no address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

/// The client address of `request`, if the server told.
pub(crate) fn of<B>(request: &http::Request<B>) -> Option<IpAddr> {
    if let Some(ClientAddr(ip)) = request.extensions().get() {
        return Some(*ip);
    }
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(addr)) = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
    {
        return Some(addr.ip());
    }
    None
}
