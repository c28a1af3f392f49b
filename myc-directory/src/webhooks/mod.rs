//! Outbound webhooks: the directory's events, delivered from a durable outbox.
//!
//! A use case that changes an account records an [`Event`] in the store's outbox, one
//! delivery per active webhook listening to it; a [`Dispatcher`](dispatch::Dispatcher)
//! (feature `webhooks`) sends what is due, at least once, retried with exponential backoff up
//! to `maxAttempts`, then kept as failed (listable with `systemManager.webhooks.listDeliveries`).
//! Nothing is lost on restart: the outbox is in the store, and a delivery a stopped dispatcher
//! had claimed is due again when its lease ends.
//!
//! | event | fires when |
//! |---|---|
//! | `subscriptionAccount.created` | a subscription account is created (or propagated again) |
//! | `subscriptionAccount.updated` | its name or flags change |
//! | `subscriptionAccount.deleted` | it is deleted |
//! | `userAccount.created` | a user creates its account |
//! | `userAccount.updated` | a user renames its account |
//! | `userAccount.deleted` | a user deletes its account |
//! | `guestAccount.invited` | a user is invited into a tenant's account with a role |
//! | `guestAccount.revoked` | a guest relation is revoked |
//!
//! A delivery is `POST` (or the webhook's method) of
//! `{"id", "event", "occurredAt", "payload"}` with the headers of the Standard Webhooks
//! specification — `webhook-id` (the delivery id: the receiver's idempotence key),
//! `webhook-timestamp` and, when the gateway has a master key, `webhook-signature`
//! (`v1,` + base64 HMAC-SHA256 over `id.timestamp.body` with the webhook's signing secret,
//! shown once when it is created; [`sign::verify`] checks one). Beyond upstream, which sends
//! deliveries unsigned.

#[cfg(feature = "webhooks")]
pub mod dispatch;
mod keys;
pub mod sign;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

pub use keys::{HttpSecret, WebhookKeys};

/// The events webhooks can listen to.
pub const EVENTS: &[&str] = &[
    "subscriptionAccount.created",
    "subscriptionAccount.updated",
    "subscriptionAccount.deleted",
    "userAccount.created",
    "userAccount.updated",
    "userAccount.deleted",
    "guestAccount.invited",
    "guestAccount.revoked",
];

/// An event the directory fires.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// One of [`EVENTS`].
    pub name: &'static str,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// What changed.
    pub payload: Value,
}

impl Event {
    /// `name` with `payload`, now.
    pub fn now(name: &'static str, payload: Value) -> Self {
        Self {
            name,
            occurred_at: Utc::now(),
            payload,
        }
    }

    /// The JSON body of the delivery `id`.
    pub fn body(&self, id: uuid::Uuid) -> String {
        json!({
            "id": id,
            "event": self.name,
            "occurredAt": self.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "payload": self.payload,
        })
        .to_string()
    }
}

/// Records `event` in the outbox (one delivery per active webhook listening to it). A
/// failure is logged, never returned: the change it reports has happened.
pub async fn fire(store: &crate::store::SqlStore, event: Event) {
    match store.enqueue_event(event.name, |id| event.body(id)).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(event = event.name, deliveries = n, "webhook event queued"),
        Err(e) => tracing::error!(event = event.name, error = %e, "webhook event not queued"),
    }
}

/// `guestAccount.invited` / `guestAccount.revoked` for `email` in `account` of `tenant`.
pub async fn fire_guest(
    store: &crate::store::SqlStore,
    event: &'static str,
    tenant: uuid::Uuid,
    account: uuid::Uuid,
    email: &str,
    role: uuid::Uuid,
) {
    let payload = json!({
        "tenantId": tenant, "accountId": account, "email": email, "roleId": role,
    });
    fire(store, Event::now(event, payload)).await;
}
