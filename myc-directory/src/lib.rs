#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "axum")]
pub mod rest;
pub mod rpc;
pub mod store;
pub mod usecase;
