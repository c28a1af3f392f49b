#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod catalog;
#[cfg(feature = "axum")]
pub mod rest;
pub mod rpc;
pub mod store;
pub mod tools;
pub mod usecase;
pub mod webhooks;
