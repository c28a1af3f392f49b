//! The reference gateway's library: configuration and routing so far; proxy, store and the binary follow.
//!
//! | module | what |
//! |---|---|
//! | [`admin`] | operations helpers (`tokens mint`) |
//! | [`app`] | the gateway as an axum `Router`: route, check sources, authenticate, forward |
//! | [`config`] | the TOML configuration (upstream shapes, env/file values, errors naming file and key) |
//! | [`demo`] | `myc-gateway demo`: echo upstream, seeded users, curl commands |
//! | [`directory`] | in-memory identity directory (profiles, issued connection strings) from a file or the demo seed |
//! | [`metrics`] | Prometheus text: requests by route and status, latency, auth refusals, upstream availability |
//! | [`net`] | CIDRs, client IP through trusted proxies, forwarding and hop-by-hop headers |
//! | [`proxy`] | forwarding: pooled connections, streaming, timeouts, header hygiene, secrets, round-robin with ejection and one retry |
//! | [`serve`] | `myc-gateway serve`: config + directory → authenticator → router → listener |
//! | [`routing`] | safe path normalization, wildmatch routes, most-specific-wins, ambiguity at start-up |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admin;
pub mod app;
pub mod config;
pub mod demo;
pub mod directory;
pub mod metrics;
pub mod net;
pub mod proxy;
pub mod routing;
pub mod serve;
