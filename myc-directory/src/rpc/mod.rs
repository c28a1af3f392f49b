//! The admin API over JSON-RPC 2.0 (`POST /_adm/rpc`), as upstream Mycelium serves it.
//!
//! - A body is one request or a batch (1–[`MAX_BATCH`](wire::MAX_BATCH) entries, at most
//!   [`MAX_BODY_BYTES`](wire::MAX_BODY_BYTES)); notifications (no `id`) run and get no answer,
//!   a body of notifications only gets `204 No Content`.
//! - Errors use JSON-RPC's codes (`-32700` parse error, `-32600` invalid request, `-32601`
//!   unknown method, `-32602` invalid params, `-32603` internal) and upstream's for domain
//!   refusals: `-32401` when the caller's role does not allow the method (`data.code` is
//!   upstream's `MYC00019`). Upstream's code answers unparseable JSON with `-32600`; this
//!   server follows JSON-RPC 2.0 (`-32700`), which its docs also state.
//! - A caller without credentials never reaches this layer: myc-tower's `AuthLayer` in front
//!   answers 401; the router itself refuses a request without a resolved profile the same way.
//! - `rpc.discover` returns an OpenRPC document of every method with its params and result
//!   schemas ([`discover::document`]).
//!
//! Served so far: `rpc.discover`, `beginners.profile.get`, `beginners.guests.acceptInvitation`,
//! `managers.tenants.list|create`, `subscriptionsManager.accounts.createSubscriptionAccount`,
//! `subscriptionsManager.guests.guestUserToSubscriptionAccount|revokeUserGuestToSubscriptionAccount`
//! (the path of a user joining a tenant), `guestManager.guestRoles.create|list`,
//! `userManager.account.activate|deactivate` and `audit.resourceTrail.fetch`. Every mutation
//! records an audit event; calls that change somebody's profile tell
//! [`Api::on_profile_change`].

pub mod discover;
mod dispatch;
pub mod methods;
#[cfg(feature = "axum")]
pub mod router;
pub mod wire;

pub use dispatch::{Api, ChangeHook};
pub use wire::{ErrorObject, codes};
