//! Tower layers for identity-aware HTTP services, in the Mycelium model.
//!
//! | module | what |
//! |---|---|
//! | [`auth`] | [`AuthLayer`](auth::AuthLayer): strip spoofed identity headers, authenticate, enforce the security group, inject identity |
//! | [`claims_expr`] | per-route claims predicates (`roles.admin`, `level>5 && !guest`, `idp=~"…"`) |
//! | [`credential`] | credential extraction (connection string first, else bearer) |
//! | [`jwt`] | JWT verification: the gateway's own issuer and OIDC providers with a JWKS cache (refetch on unknown `kid` with cooldown, stale-if-error) |
//! | [`token_cache`] | bounded verified-token cache |
//! | [`resolver`] | the application's side: profiles by e-mail, issued connection strings |
//! | [`profile`] | downstream: [`ProfileLayer`](profile::ProfileLayer) decodes (and optionally verifies) the injected profile; axum extractors with the `axum` feature |
//! | [`error`] | [`AuthError`]: stable codes, 401/403, JSON bodies |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
pub mod claims_expr;
pub mod client_addr;
pub mod credential;
pub mod error;
pub mod header_names;
pub mod jwt;
mod narrow;
pub mod profile;
mod refusal_log;
mod request_id;
pub mod resolver;
#[cfg(feature = "tls")]
pub mod tls;
pub mod token_cache;

pub use error::AuthError;

/// A boxed, sendable future (the traits here are object safe).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
