//! Logging in without an external identity provider: the e-mail magic link (upstream's
//! `beginners.users.magic-link` endpoints), improved where upstream is weak:
//!
//! - `request` sends a link to any valid address: known or not, the same work happens after
//!   the same answer (a link is also how a new person signs up: its JWT admits them to
//!   `beginners.accounts.create` only). It is rate limited per address and per client
//!   address, counted in the store, so every replica shares the counts.
//! - The e-mailed link shows its 6-digit code only on a deliberate action: `GET` renders a
//!   page with a button, the button `POST`s. A mail scanner or link preview that fetches
//!   the URL reveals nothing and spends nothing. A link reveals its code once.
//! - A code allows [`MAX_ATTEMPTS`] wrong guesses, then dies; an address may try
//!   [`MAX_CODES_PER_WINDOW`] codes an hour over all its links (both counted atomically
//!   before any comparison, so concurrent guesses gain nothing); codes and links expire after
//!   the configured temporary lifetime (`tmpExpiresIn`) and work once. The store keeps only
//!   keyed hashes (HMAC-SHA256 under a key derived from the master key) of link tokens and
//!   codes; the code is derived from its link token, so it is never stored.
//! - The message goes through the mail outbox (sealed, durable, retried).
//! - With [`totp`] enabled for the address, `verify` answers `totpRequired: true` and a
//!   token good only for `totp/check-token`, which completes the login.

pub mod answer;
pub mod magic_link;
pub mod passwords;
#[cfg(feature = "axum")]
pub mod rest;
#[cfg(feature = "axum")]
pub mod rpc;
pub mod totp;
pub mod upstream;

pub use answer::{LoginAnswer, LoginUser, Provider};
pub use magic_link::{
    CODE_WINDOW, LoginError, MAX_ATTEMPTS, MAX_CODES_PER_WINDOW, MagicLinkSettings, MagicLinks,
    Stage, TokenMinter,
};

/// Verifies a bearer token for the TOTP endpoints: `(token, pending)` → its e-mail, when the
/// token is valid and is (`pending`) or is not (`!pending`) a login awaiting its code.
pub type TokenCheck = std::sync::Arc<
    dyn Fn(String, bool) -> myc_tower::BoxFuture<'static, Option<String>> + Send + Sync,
>;

/// The token of an `Authorization: Bearer …` header, if the request has exactly that.
#[cfg(feature = "axum")]
pub(crate) fn bearer_token(headers: &http::HeaderMap) -> Option<String> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}
