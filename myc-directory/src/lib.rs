#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod catalog;
pub mod login;
pub mod mail;
#[cfg(feature = "axum")]
pub mod rest;
pub mod rpc;
pub mod sealed;
pub mod store;
pub mod tools;
pub mod usecase;
pub mod webhooks;
