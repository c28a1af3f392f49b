#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod chain;
pub mod claims;
#[cfg(feature = "client")]
pub mod client;
pub mod creds;
mod error;
pub mod guide;
#[cfg(feature = "issuer")]
pub mod issuer;
pub mod jwt;
mod keys;
pub mod permissions;
#[cfg(feature = "secrets")]
pub mod secrets;
pub mod server_config;
#[cfg(feature = "spec")]
pub mod spec;
pub mod validate;
pub mod wire;

pub use error::{Error, Result};
pub use keys::{CurveKey, KeyKind, Nkey, is_public_key, verify, write_private};
