//! The reference gateway's library; the `myc-gateway` binary is a thin shell over it.
//!
//! | module | what |
//! |---|---|
//! | [`admin`] | operations helpers (`tokens mint`) |
//! | [`app`] | the gateway as one service, [`app::App`]: route, check sources, authenticate, forward; mounted fixed endpoints |
//! | [`config`] | the TOML configuration (upstream shapes, env/file values, errors naming file and key) |
//! | [`demo`] | `myc-gateway demo`: echo upstream, seeded users, curl commands |
//! | [`metrics`] | Prometheus text: requests by route and status, latency, auth refusals, upstream availability |
//! | [`nats`] | `[nats]`: the connection, tenant secrets over request/reply |
//! | [`net`] | CIDRs, client IP through trusted proxies, forwarding and hop-by-hop headers |
//! | [`proxy`] | forwarding: pooled connections, streaming, timeouts, header hygiene, secrets, round-robin with ejection and one retry |
//! | [`serve`] | `myc-gateway serve`: config + store → authenticator → app → listener |
//! | [`server`] | the accept loop and our own HTTP/1.1 server connection into [`app::App`]: strict framing (no smuggling), pipelining, streamed bodies, `100 Continue`, header-read limit, graceful drain |
//! | [`telegram`] | the Telegram identity source: webhook routes, Mini App link and login |
//! | [`store`] | the identity store (SQLite embedded, PostgreSQL for replicas), sealed secrets, directory import |
//! | [`routing`] | safe path normalization, wildmatch routes, most-specific-wins, ambiguity at start-up |
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admin;
pub mod app;
pub mod config;
pub mod demo;
pub mod grpc_status;
pub mod logging;
pub mod metrics;
pub mod nats;
pub mod net;
pub mod proxy;
pub mod routing;
pub mod serve;
pub mod server;
pub mod sources;
pub mod store;
pub mod telegram;
