#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admin;
pub mod app;
pub mod catalog;
pub mod config;
pub mod demo;
pub mod error_code;
pub mod grpc_status;
pub mod logging;
pub mod mcp;
pub mod metrics;
pub mod nats;
pub mod proxy;
pub mod serve;
pub mod server;
pub mod sources;
pub use myc_directory::store;
pub mod telegram;
pub mod vault;

/// Entry points for the fuzz targets; not a stable API.
#[doc(hidden)]
pub mod internal {
    pub use crate::telegram::update::sender_id as telegram_sender_id;
}
