//! The reference gateway's library: configuration and routing so far; proxy, store and the binary follow.
//!
//! | module | what |
//! |---|---|
//! | [`config`] | the TOML configuration (upstream shapes, env/file values, errors naming file and key) |
//! | [`net`] | CIDRs, client IP through trusted proxies, forwarding and hop-by-hop headers |
//! | [`routing`] | safe path normalization, wildmatch routes, most-specific-wins, ambiguity at start-up |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod config;
pub mod net;
pub mod routing;
