//! The client's address: resolved through trusted proxies, checked against allowed sources,
//! and carried in the request as [`ClientAddr`] (the identity layer logs it with refusals).
//!
//! The rule: a peer outside the trusted networks is the client, whatever headers it sends.
//! From a trusted peer, `X-Forwarded-For` is read right to left: trusted hops are skipped and
//! the first entry outside them is the client; an entry that does not parse (`unknown`,
//! junk, past [`MAX_FORWARDED_ENTRIES`]) stops the walk, and the client is then the last
//! trusted hop seen, never an entry further left, which anybody could have written.
//! IPv4-mapped IPv6 addresses match as the IPv4 address they carry.
//!
//! [`ClientAddrLayer`] does this per request: the peer comes from a [`PeerAddr`] the server
//! put into the request's extensions (or axum's `ConnectInfo<SocketAddr>`, feature `axum`);
//! with [`ClientAddrLayer::allow_only`] it refuses clients outside the listed networks (403,
//! `MYT00412`), and requests whose peer is unknown with them (fail closed).
//!
//! ```
//! use myc_tower::client_addr::{ClientAddr, ClientAddrLayer, PeerAddr};
//! use tower::{ServiceBuilder, ServiceExt};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let layer = ClientAddrLayer::new(vec!["10.0.0.0/8".parse().unwrap()])
//!     .allow_only(vec!["203.0.113.0/24".parse().unwrap()]);
//! let service = ServiceBuilder::new().layer(layer).service_fn(|request: http::Request<String>| async move {
//!     let ClientAddr(ip) = request.extensions().get().copied().unwrap();
//!     Ok::<_, std::convert::Infallible>(http::Response::new(ip.to_string()))
//! });
//! let request = |xff: &str| {
//!     let mut r = http::Request::get("/").header("x-forwarded-for", xff).body(String::new()).unwrap();
//!     r.extensions_mut().insert(PeerAddr("10.1.2.3:5000".parse().unwrap())); // a trusted proxy
//!     r
//! };
//! let ok = service.clone().oneshot(request("198.51.100.1, 203.0.113.7")).await.unwrap();
//! assert_eq!(ok.into_body(), "203.0.113.7");
//! let refused = service.oneshot(request("203.0.113.7, 198.51.100.1")).await.unwrap();
//! assert_eq!(refused.status(), 403);
//! # });
//! ```

mod forwarded;
mod layer;
mod service;

use std::net::{IpAddr, SocketAddr};

pub use forwarded::{
    InvalidNetwork, IpNet, MAX_FORWARDED_ENTRIES, X_FORWARDED_FOR, any_contains, client_in_chain,
    client_ip, forwarded_chain, forwarded_entry,
};
pub use layer::ClientAddrLayer;
pub use service::ResolveClientAddr;

/// The client's address, put into the request's extensions by [`ClientAddrLayer`] or by the
/// server in front of the identity layer. Without it the layer falls back to axum's
/// `ConnectInfo<SocketAddr>` (feature `axum`), then logs no address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

/// The TCP peer of the connection a request came on, put into its extensions by the server
/// (a hyper server; axum's `ConnectInfo` serves as well).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

/// The client address of `request`, if the server told.
pub(crate) fn of<B>(request: &http::Request<B>) -> Option<IpAddr> {
    if let Some(ClientAddr(ip)) = request.extensions().get() {
        return Some(*ip);
    }
    peer_of(request)
}

/// The peer of `request`, if the server told.
pub(crate) fn peer_of<B>(request: &http::Request<B>) -> Option<IpAddr> {
    if let Some(PeerAddr(addr)) = request.extensions().get() {
        return Some(addr.ip());
    }
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(addr)) = request
        .extensions()
        .get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(addr.ip());
    }
    None
}
