//! Routing: which route of which service a request belongs to, as a table and as a layer.
//!
//! - Paths are checked before matching: dot segments (`.`/`..`, raw or percent-encoded),
//!   encoded slashes and backslashes (`%2f`, `%5c`), raw backslashes and NUL are refused with
//!   [`RouteError::UnsafePath`] (400). Matching runs on the percent-decoded path, so
//!   `/%61dmin` cannot dodge an `/admin*` route.
//! - Patterns are wildmatch over the path: `*` any run (including `/`), `?` one character,
//!   case-sensitive; the query and the method do not take part in matching the pattern.
//! - When several routes match, the most specific wins (more literal characters, then fewer
//!   wildcards); two routes that can match the same path and the same method with equal
//!   specificity are ambiguous, an error when the table is built (upstream answered 500 at
//!   request time).
//! - [`Addressing::ServicePrefix`] reproduces upstream's `/{service}/{rest}` addressing: the
//!   first segment names the service, patterns match `rest`, and the prefix is stripped once.
//!
//! ```
//! use myc_tower::routing::{Addressing, MethodSet, RouteSpec, RouteTable};
//! let table = RouteTable::build(
//!     Addressing::FullPath,
//!     vec![
//!         RouteSpec::new("billing", "/invoices/*", MethodSet::parse(&["READ"]).unwrap(), 0),
//!         RouteSpec::new("billing", "/invoices/export", MethodSet::parse(&["GET"]).unwrap(), 1),
//!     ],
//! ).unwrap();
//! let hit = table.find(&http::Method::GET, "/invoices/export").unwrap();
//! assert_eq!(hit.route.key, 1); // the literal route is more specific
//! assert!(table.find(&http::Method::GET, "/invoices/../admin").is_err());
//! ```
//!
//! # The layer
//!
//! [`RouteLayer`] answers what the table refuses ([`RouteError::into_response`]: 400 for an
//! unsafe path, 404, 405; JSON `{"message", "code"}`) and hands the rest on with a
//! [`MatchedRoute`] in the request's extensions: what a service needs to pick per-route
//! policy (an [`AuthLayer`](crate::auth::AuthLayer) per security group, say) from the same
//! rules the gateway routes by.
//!
//! ```
//! use myc_tower::routing::{Addressing, MatchedRoute, MethodSet, RouteLayer, RouteSpec, RouteTable};
//! use tower::{ServiceBuilder, ServiceExt};
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let table = RouteTable::build(
//!     Addressing::FullPath,
//!     vec![RouteSpec::new("reports", "/reports/*", MethodSet::parse(&["READ"]).unwrap(), 7)],
//! ).unwrap();
//! let service = ServiceBuilder::new().layer(RouteLayer::new(table)).service_fn(
//!     |request: http::Request<String>| async move {
//!         let route = request.extensions().get::<MatchedRoute>().unwrap();
//!         Ok::<_, std::convert::Infallible>(http::Response::new(format!("route {}", route.key)))
//!     },
//! );
//! let ok = service.clone().oneshot(http::Request::get("/reports/q3").body(String::new()).unwrap()).await.unwrap();
//! assert_eq!(ok.into_body(), "route 7");
//! let post = http::Request::post("/reports/q3").body(String::new()).unwrap();
//! assert_eq!(service.clone().oneshot(post).await.unwrap().status(), 405);
//! let sneaky = http::Request::get("/reports/%2e%2e/admin").body(String::new()).unwrap();
//! assert_eq!(service.oneshot(sneaky).await.unwrap().status(), 400);
//! # });
//! ```

mod layer;
mod path;
mod pattern;
mod service;
mod table;

pub use layer::RouteLayer;
pub use path::{MAX_PATH_LEN, normalize};
pub use pattern::{patterns_intersect, wildmatch};
pub use service::Route;
pub use table::{
    Addressing, MAX_PATTERN_LEN, Match, MethodSet, RouteError, RouteSpec, RouteTable, UnknownMethod,
};

/// The route a request matched, put into its extensions by [`RouteLayer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedRoute {
    /// The route's service.
    pub service: String,
    /// The route's [`RouteSpec::key`].
    pub key: usize,
    /// The path to send upstream (raw; the service prefix stripped once under
    /// [`Addressing::ServicePrefix`]).
    pub upstream_path: String,
}
