#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod auth;
#[cfg(feature = "callbacks")]
pub mod callback;
pub mod claims_expr;
pub mod client_addr;
pub mod credential;
pub mod error;
pub mod header_names;
pub mod jwt;
mod narrow;
pub mod profile;
mod refusal_log;
mod refused;
mod request_id;
pub mod resolver;
pub mod routing;
#[cfg(feature = "telegram")]
pub mod telegram;
#[cfg(feature = "tls")]
pub mod tls;
pub mod token_cache;

pub use error::AuthError;

/// Entry points for the fuzz targets and benches; not a stable API.
#[doc(hidden)]
pub mod internal {
    /// The strict JWT header parser the verifier runs first.
    pub mod jwt_header {
        pub use crate::jwt::header::{
            HeaderError, JwtHeader, MAX_HEADER_SEGMENT, MAX_KID_LEN, parse,
        };
    }
}

/// A boxed, sendable future (the traits here are object safe).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;
