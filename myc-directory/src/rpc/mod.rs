//! The admin API over JSON-RPC 2.0 (`POST /_adm/rpc`), as upstream Mycelium serves it.
//!
//! - A body is one request or a batch (1–[`MAX_BATCH`](wire::MAX_BATCH) entries, at most
//!   [`MAX_BODY_BYTES`](wire::MAX_BODY_BYTES)); notifications (no `id`) run and get no answer,
//!   a body of notifications only gets `204 No Content`.
//! - Errors use JSON-RPC's codes (`-32700` parse error, `-32600` invalid request, `-32601`
//!   unknown method, `-32602` invalid params, `-32603` internal) and upstream's for domain
//!   refusals: `-32401` when the caller's role does not allow the method (`data.code` is
//!   upstream's `MYC00019`), `409` for conflicts. Upstream's code answers unparseable JSON
//!   with `-32600`; this server follows JSON-RPC 2.0 (`-32700`), which its docs also state.
//! - A caller without credentials never reaches this layer: myc-tower's `AuthLayer` in front
//!   answers 401; the router itself refuses a request without a resolved profile the same way.
//! - `rpc.discover` returns an OpenRPC document of every method with its params and result
//!   schemas ([`discover::document`]).
//!
//! Every method is one row of [`methods::all`] ([`MethodSpec`]): its params, result, whether
//! it writes, and its REST endpoint. The dispatcher, `rpc.discover` and the REST router all
//! read that table. Every call that writes records an audit event and, once it succeeded,
//! calls [`Api::on_change`].

mod api;
mod describe;
pub mod discover;
mod errors;
pub mod methods;
#[cfg(feature = "axum")]
pub mod router;
pub mod spec;
pub mod wire;

pub use api::{Api, ChangeHook};
pub use spec::{Effect, MethodSpec, ParamSpec, Rest, Success};
pub use wire::{ErrorObject, codes};
