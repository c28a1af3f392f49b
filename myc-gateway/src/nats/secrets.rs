//! The gateway's side of tenant secrets over NATS request/reply: the responder. Subjects,
//! the reply format and the client ([`myc_natsauth::secrets::fetch`]) live in
//! [`myc_natsauth::secrets`].
//!
//! | subject | answers |
//! |---|---|
//! | `mycelium.secrets.<tenant>.<name>` | the tenant's secret `name` |
//! | `mycelium.integrations.<tenant>.<name>` | the tenant's integration credential `name` |
//!
//! The payload of a request is ignored. Every request with a reply subject gets an answer,
//! never a timeout: `{"ok": true, "tenant", "name", "value", "encoding"}` (`encoding` is
//! `utf-8`, or `base64` for a value that is not UTF-8), or `{"ok": false, "error": {"code",
//! "message"}}` with the NATS service-error headers (`Nats-Service-Error-Code`,
//! `Nats-Service-Error`): 400 malformed subject, 403 requester not allowed for the tenant,
//! 404 no such secret, 500 store or key failure.
//!
//! **Who asks.** A request that crosses a service import carries `Nats-Request-Info`, written
//! by the server (a client cannot forge it through the import): its `acc` is the requesting
//! account, matched against `[[nats.secrets.allow]]`. A request without it came from the
//! gateway's own account and matches only `account = "local"` rules; inside that account, keep
//! publishing on `mycelium.>` to the gateway's own users, since a same-account client could
//! write the header itself.
//!
//! Values are sealed at rest (tenant DEK, AAD = tenant + name) and never logged; log lines
//! carry the subject kind, tenant, name, requester and outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_nats::{HeaderMap, Message};
use bytes::Bytes;
use futures::StreamExt;
use uuid::Uuid;

use crate::config::{AllowRule, Requester, TenantScope};
use crate::store::Store;
use crate::vault::SecretVault;

pub use myc_natsauth::secrets::{
    FetchError, INTEGRATIONS_PREFIX, Kind, Reply, SECRETS_PREFIX, fetch, parse_subject,
};

/// Requests one replica answers at the same time.
pub const MAX_IN_FLIGHT: usize = 256;
/// The header the server writes on requests that cross a service import.
pub const REQUEST_INFO_HEADER: &str = "Nats-Request-Info";

/// The name a value of `kind` is sealed and stored under (`secrets/NAME`, `integrations/NAME`).
pub fn stored_name(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Secret => format!("secrets/{name}"),
        Kind::Integration => format!("integrations/{name}"),
    }
}

/// The inverse of [`stored_name`].
pub fn split_stored(stored: &str) -> Option<(Kind, &str)> {
    if let Some(name) = stored.strip_prefix("secrets/") {
        Some((Kind::Secret, name))
    } else {
        stored
            .strip_prefix("integrations/")
            .map(|name| (Kind::Integration, name))
    }
}

/// An answer: the reply and, for errors, the service-error status.
#[derive(Debug)]
pub struct Answer {
    /// The JSON body.
    pub body: Bytes,
    /// `None` on success; the service-error code otherwise.
    pub error: Option<(u16, String)>,
}

fn failure(code: u16, message: impl Into<String>) -> Answer {
    let message = message.into();
    Answer {
        body: Bytes::from(Reply::error(code, message.clone()).to_bytes().to_vec()),
        error: Some((code, message)),
    }
}

/// The requester a request's headers show: the `acc` of `Nats-Request-Info`, or the local
/// account when the header is absent; `None` when the header is unreadable.
pub fn requester(headers: Option<&HeaderMap>) -> Option<Requester> {
    let Some(info) = headers.and_then(|h| h.get(REQUEST_INFO_HEADER)) else {
        return Some(Requester::Local);
    };
    let info: serde_json::Value = serde_json::from_str(info.as_str()).ok()?;
    let account = info.get("acc")?.as_str()?;
    myc_natsauth::is_public_key(myc_natsauth::KeyKind::Account, account)
        .then(|| Requester::Account(account.to_owned()))
}

fn allowed(rules: &[AllowRule], who: &Requester, tenant: Uuid) -> bool {
    rules.iter().any(|r| {
        r.requester == *who
            && match &r.tenants {
                TenantScope::All => true,
                TenantScope::Some(list) => list.contains(&tenant),
            }
    })
}

/// The secrets service of one gateway replica.
pub struct SecretsService<S> {
    vault: SecretVault<S>,
    rules: Vec<AllowRule>,
    answered: AtomicU64,
}

impl<S> std::fmt::Debug for SecretsService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsService")
            .field("rules", &self.rules)
            .field("answered", &self.answered.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<S: Store + Send + Sync + 'static> SecretsService<S> {
    /// Serves `vault`'s values to the requesters `rules` admit.
    pub fn new(vault: SecretVault<S>, rules: Vec<AllowRule>) -> Self {
        Self {
            vault,
            rules,
            answered: AtomicU64::new(0),
        }
    }

    /// Requests this replica answered (any outcome).
    pub fn answered(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    /// The answer to a request on `subject` with `headers`.
    pub async fn answer(&self, subject: &str, headers: Option<&HeaderMap>) -> Answer {
        let Some((kind, tenant, name)) = parse_subject(subject) else {
            tracing::info!(subject = %subject.chars().take(200).collect::<String>(), outcome = 400, "secret request refused: malformed subject");
            return failure(
                400,
                "malformed subject: expected mycelium.secrets.<tenant-id>.<name> or mycelium.integrations.<tenant-id>.<name>",
            );
        };
        let Some(who) = requester(headers) else {
            tracing::warn!(%tenant, name, outcome = 403, "secret request refused: unreadable Nats-Request-Info");
            return failure(403, "the requesting account cannot be identified");
        };
        let who_text = match &who {
            Requester::Local => "local".to_owned(),
            Requester::Account(a) => a.clone(),
        };
        if !allowed(&self.rules, &who, tenant) {
            tracing::info!(%tenant, name, requester = %who_text, outcome = 403, "secret request refused");
            return failure(
                403,
                format!("account {who_text} may not read tenant {tenant}"),
            );
        }
        match self.vault.get(tenant, &stored_name(kind, name)).await {
            Ok(Some(value)) => {
                tracing::info!(%tenant, name, requester = %who_text, ?kind, outcome = 200, "secret served");
                let reply = Reply::value(tenant, name, &value);
                Answer {
                    body: Bytes::copy_from_slice(&reply.to_bytes()),
                    error: None,
                }
            }
            Ok(None) => {
                tracing::info!(%tenant, name, requester = %who_text, outcome = 404, "secret request: not found");
                failure(
                    404,
                    format!(
                        "tenant {tenant} has no {} {name:?}",
                        match kind {
                            Kind::Secret => "secret",
                            Kind::Integration => "integration credential",
                        }
                    ),
                )
            }
            Err(e) => {
                tracing::error!(%tenant, name, requester = %who_text, error = %e, outcome = 500, "secret request failed");
                failure(500, "the secret store is unavailable")
            }
        }
    }

    /// Subscribes to both prefixes in `queue_group` and answers until the client closes;
    /// each request is answered on its own task.
    pub async fn serve(
        self: Arc<Self>,
        client: async_nats::Client,
        queue_group: &str,
    ) -> Result<tokio::task::JoinHandle<()>, super::NatsError> {
        let secrets = client
            .queue_subscribe(format!("{SECRETS_PREFIX}.>"), queue_group.to_owned())
            .await?;
        let integrations = client
            .queue_subscribe(format!("{INTEGRATIONS_PREFIX}.>"), queue_group.to_owned())
            .await?;
        // The subscriptions are registered once the server has seen them.
        client.flush().await?;
        let mut requests = futures::stream::select(secrets, integrations);
        // At most this many requests in flight per replica; beyond it the subscription is
        // read no faster than answers go out (the server buffers, then drops for slow consumers).
        let permits = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
        Ok(tokio::spawn(async move {
            while let Some(message) = requests.next().await {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    break;
                };
                let service = self.clone();
                let client = client.clone();
                tokio::spawn(async move {
                    service.respond(&client, message).await;
                    drop(permit);
                });
            }
        }))
    }

    async fn respond(&self, client: &async_nats::Client, message: Message) {
        let Some(reply) = message.reply.clone() else {
            tracing::debug!(subject = %message.subject, "secret request without a reply subject ignored");
            return;
        };
        let answer = self
            .answer(&message.subject, message.headers.as_ref())
            .await;
        self.answered.fetch_add(1, Ordering::Relaxed);
        let result = match &answer.error {
            None => client.publish(reply, answer.body).await,
            Some((code, text)) => {
                let mut headers = HeaderMap::new();
                headers.insert("Nats-Service-Error-Code", code.to_string().as_str());
                headers.insert("Nats-Service-Error", text.as_str());
                client
                    .publish_with_headers(reply, headers, answer.body)
                    .await
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "cannot send a secret reply");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_names() {
        assert_eq!(
            split_stored(&stored_name(Kind::Integration, "a")),
            Some((Kind::Integration, "a"))
        );
        assert_eq!(split_stored("telegram/bot_token"), None);
    }

    #[test]
    fn requesters_and_rules() {
        let org = myc_natsauth::Nkey::generate(myc_natsauth::KeyKind::Account)
            .unwrap()
            .public_key();
        let org = org.as_str();
        assert_eq!(requester(None), Some(Requester::Local));
        let mut headers = HeaderMap::new();
        headers.insert(
            REQUEST_INFO_HEADER,
            format!("{{\"acc\":\"{org}\",\"rtt\":1}}").as_str(),
        );
        assert_eq!(
            requester(Some(&headers)),
            Some(Requester::Account(org.into()))
        );
        for bad in ["not json", "{}", "{\"acc\":\"UABC\"}"] {
            let mut headers = HeaderMap::new();
            headers.insert(REQUEST_INFO_HEADER, bad);
            assert_eq!(requester(Some(&headers)), None, "{bad}");
        }
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let rules = [
            AllowRule {
                requester: Requester::Local,
                tenants: TenantScope::All,
            },
            AllowRule {
                requester: Requester::Account(org.into()),
                tenants: TenantScope::Some(vec![a]),
            },
        ];
        assert!(allowed(&rules, &Requester::Local, b));
        assert!(allowed(&rules, &Requester::Account(org.into()), a));
        assert!(!allowed(&rules, &Requester::Account(org.into()), b));
        assert!(!allowed(&rules[1..], &Requester::Local, a));
    }
}
