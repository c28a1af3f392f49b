//! `systemManager.webhooks.*`: outbound webhooks (platform administrators and holders of the
//! `system-manager` system role). Error codes come later.

use myc_profile::Permission;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::managers::Page;
use super::subscriptions_manager::paging;
use super::{Audit, Caller, UseCaseError};
use crate::store::{Delivery, DeliveryStatus, NewWebhook, SqlStore, WebhookRecord};
use crate::webhooks::{EVENTS, HttpSecret, WebhookKeys};

/// The system role that manages webhooks.
pub const SYSTEM_MANAGER_ROLE: &str = "system-manager";

fn require_system_manager(caller: &Caller) -> Result<(), UseCaseError> {
    let profile = &caller.profile;
    let holds = match &profile.licensed_resources {
        Some(myc_profile::LicensedResources::Records(records)) => records
            .iter()
            .any(|r| r.verified && r.role == SYSTEM_MANAGER_ROLE && r.perm >= Permission::Write),
        _ => false,
    };
    if profile.is_staff || profile.is_manager || holds {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: system manager required",
        ))
    }
}

/// `systemManager.webhooks.create` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateWebhook {
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: Option<String>,
    /// Where deliveries go (`https://…`; `http://` too).
    pub url: String,
    /// One of the events in [`EVENTS`].
    pub trigger: String,
    /// `POST` (default), `PUT`, `PATCH` or `DELETE`.
    #[serde(default)]
    pub method: Option<String>,
    /// A credential deliveries carry (sealed; needs the host's master key).
    #[serde(default)]
    pub secret: Option<HttpSecret>,
    /// Accepted for upstream's clients: a new webhook is active.
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// A webhook as created: its signing secret is shown this once.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedWebhook {
    /// The webhook.
    #[serde(flatten)]
    pub webhook: WebhookRecord,
    /// `whsec_…`: verifies `webhook-signature` (absent when the host has no master key).
    pub signing_secret: Option<String>,
}

fn check_url(url: &str) -> Result<(), UseCaseError> {
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2048
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(UseCaseError::InvalidParams(
            "url must be an http(s) URL of at most 2048 characters".into(),
        ))
    }
}

fn check_trigger(trigger: &str) -> Result<(), UseCaseError> {
    if EVENTS.contains(&trigger) {
        Ok(())
    } else {
        Err(UseCaseError::InvalidParams(format!(
            "trigger must be one of {}",
            EVENTS.join(", ")
        )))
    }
}

fn sealed(
    keys: Option<&WebhookKeys>,
    id: Uuid,
    secret: &HttpSecret,
) -> Result<Vec<u8>, UseCaseError> {
    let keys = keys.ok_or(UseCaseError::NotConfigured(
        "webhook credentials (a master key)",
    ))?;
    keys.seal(id, secret)
        .map_err(|e| UseCaseError::InvalidParams(e.to_string()))
}

/// `systemManager.webhooks.create`.
pub async fn create(
    store: &SqlStore,
    keys: Option<&WebhookKeys>,
    caller: &Caller,
    p: CreateWebhook,
) -> Result<CreatedWebhook, UseCaseError> {
    require_system_manager(caller)?;
    if p.name.trim().is_empty() {
        return Err(UseCaseError::InvalidParams("name is required".into()));
    }
    check_url(&p.url)?;
    check_trigger(&p.trigger)?;
    let method = p.method.as_deref().unwrap_or("POST").to_ascii_uppercase();
    if !["POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
        return Err(UseCaseError::InvalidParams(
            "method must be POST, PUT, PATCH or DELETE".into(),
        ));
    }
    let id = Uuid::new_v4();
    let secret = p.secret.as_ref().map(|s| sealed(keys, id, s)).transpose()?;
    let new = NewWebhook {
        name: p.name.trim(),
        description: p.description.as_deref(),
        url: &p.url,
        trigger: &p.trigger,
        method: &method,
    };
    let webhook = store.create_webhook(id, &new, secret).await?;
    let detail = serde_json::json!({ "webhookId": id, "trigger": p.trigger, "url": p.url });
    Audit::of(caller, "systemManager.webhooks.create")
        .detail(detail)
        .record(store)
        .await?;
    Ok(CreatedWebhook {
        webhook,
        signing_secret: keys.map(|k| k.signing_secret(id).to_string()),
    })
}

/// `systemManager.webhooks.list` params.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListWebhooks {
    /// Only names containing this.
    #[serde(default)]
    pub name: Option<String>,
    /// Only this event.
    #[serde(default)]
    pub trigger: Option<String>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// How many to skip.
    #[serde(default)]
    pub skip: Option<u32>,
}

/// `systemManager.webhooks.list`; `None` when none match.
pub async fn list(
    store: &SqlStore,
    caller: &Caller,
    p: ListWebhooks,
) -> Result<Option<Page<WebhookRecord>>, UseCaseError> {
    require_system_manager(caller)?;
    let (size, skip) = paging(p.page_size, p.skip)?;
    let name = p.name.map(|n| n.to_lowercase());
    let matching: Vec<WebhookRecord> = store
        .webhooks()
        .await?
        .into_iter()
        .filter(|w| {
            name.as_deref()
                .is_none_or(|n| w.name.to_lowercase().contains(n))
        })
        .filter(|w| p.trigger.as_deref().is_none_or(|t| w.trigger == t))
        .collect();
    Ok(Page::of(matching, size, skip))
}

/// `systemManager.webhooks.update` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateWebhook {
    /// The webhook.
    pub webhook_id: Uuid,
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
    /// A new credential.
    #[serde(default)]
    pub secret: Option<HttpSecret>,
    /// Active or not.
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// `systemManager.webhooks.update`.
pub async fn update(
    store: &SqlStore,
    keys: Option<&WebhookKeys>,
    caller: &Caller,
    p: UpdateWebhook,
) -> Result<WebhookRecord, UseCaseError> {
    require_system_manager(caller)?;
    let secret = match &p.secret {
        Some(s) => Some(Some(sealed(keys, p.webhook_id, s)?)),
        None => None,
    };
    let webhook = store
        .update_webhook(
            p.webhook_id,
            p.name.as_deref(),
            p.description.as_deref(),
            p.is_active,
            secret,
        )
        .await?;
    let detail = serde_json::json!({
        "webhookId": p.webhook_id, "isActive": p.is_active, "secretChanged": p.secret.is_some(),
    });
    Audit::of(caller, "systemManager.webhooks.update")
        .detail(detail)
        .record(store)
        .await?;
    Ok(webhook)
}

/// `systemManager.webhooks.delete` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebhookId {
    /// The webhook.
    pub webhook_id: Uuid,
}

/// `systemManager.webhooks.delete`: the webhook and its deliveries.
pub async fn delete(store: &SqlStore, caller: &Caller, p: WebhookId) -> Result<(), UseCaseError> {
    require_system_manager(caller)?;
    store.delete_webhook(p.webhook_id).await?;
    let detail = serde_json::json!({ "webhookId": p.webhook_id });
    Audit::of(caller, "systemManager.webhooks.delete")
        .detail(detail)
        .record(store)
        .await
}

/// `systemManager.webhooks.listDeliveries` params (beyond upstream).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListDeliveries {
    /// Only this webhook's.
    #[serde(default)]
    pub webhook_id: Option<Uuid>,
    /// Only in this state (`pending`, `delivered`, `failed`).
    #[serde(default)]
    pub status: Option<DeliveryStatus>,
    /// At most this many (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `systemManager.webhooks.listDeliveries`: newest first (never their bodies' secrets: bodies
/// are not listed).
pub async fn deliveries(
    store: &SqlStore,
    caller: &Caller,
    p: ListDeliveries,
) -> Result<Vec<Delivery>, UseCaseError> {
    require_system_manager(caller)?;
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(UseCaseError::InvalidParams(
            "limit must be between 1 and 500".into(),
        ));
    }
    Ok(store.deliveries(p.webhook_id, p.status, limit).await?)
}

/// `systemManager.errorCodes.create` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateErrorCode {
    /// Three capital letters; `MYC` is reserved to native codes.
    pub prefix: String,
    /// The message.
    pub message: String,
    /// More detail.
    #[serde(default)]
    pub details: Option<String>,
    /// Meant for operators, not end users.
    #[serde(default)]
    pub is_internal: Option<bool>,
}

/// `systemManager.errorCodes.get` / `.delete` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ErrorCodeId {
    /// The prefix.
    pub prefix: String,
    /// The number.
    pub code: u32,
}

/// `systemManager.errorCodes.updateMessageAndDetails` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RewordErrorCode {
    /// The prefix.
    pub prefix: String,
    /// The number.
    pub code: u32,
    /// The new message.
    pub message: String,
    /// The new details.
    #[serde(default)]
    pub details: Option<String>,
}

/// `systemManager.errorCodes.list` params.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListErrorCodes {
    /// Only this prefix.
    #[serde(default)]
    pub prefix: Option<String>,
    /// Only this number.
    #[serde(default)]
    pub code: Option<u32>,
    /// Only internal (or only public) codes.
    #[serde(default)]
    pub is_internal: Option<bool>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// How many to skip.
    #[serde(default)]
    pub skip: Option<u32>,
}

fn check_text(message: &str) -> Result<(), UseCaseError> {
    if message.trim().is_empty() || message.len() > 1024 {
        return Err(UseCaseError::InvalidParams(
            "message must hold 1-1024 characters".into(),
        ));
    }
    Ok(())
}

/// `systemManager.errorCodes.create`: the next free number under `prefix`.
pub async fn create_error_code(
    store: &SqlStore,
    caller: &Caller,
    p: CreateErrorCode,
) -> Result<crate::store::ErrorCode, UseCaseError> {
    require_system_manager(caller)?;
    let valid = p.prefix.len() == 3 && p.prefix.chars().all(|c| c.is_ascii_uppercase());
    if !valid || p.prefix == crate::store::NATIVE_PREFIX {
        return Err(UseCaseError::InvalidParams(
            "prefix must be three capital letters other than MYC (native codes)".into(),
        ));
    }
    check_text(&p.message)?;
    let code = store
        .create_error_code(
            &p.prefix,
            p.message.trim(),
            p.details.as_deref(),
            p.is_internal.unwrap_or(false),
        )
        .await?;
    let detail = serde_json::json!({ "code": code.name });
    Audit::of(caller, "systemManager.errorCodes.create")
        .detail(detail)
        .record(store)
        .await?;
    Ok(code)
}

/// `systemManager.errorCodes.list`; `None` when none match.
pub async fn list_error_codes(
    store: &SqlStore,
    caller: &Caller,
    p: ListErrorCodes,
) -> Result<Option<Page<crate::store::ErrorCode>>, UseCaseError> {
    require_system_manager(caller)?;
    let (size, skip) = paging(p.page_size, p.skip)?;
    let matching: Vec<_> = store
        .error_codes()
        .await?
        .into_iter()
        .filter(|c| p.prefix.as_deref().is_none_or(|x| c.prefix == x))
        .filter(|c| p.code.is_none_or(|x| c.code == x))
        .filter(|c| p.is_internal.is_none_or(|x| c.is_internal == x))
        .collect();
    Ok(Page::of(matching, size, skip))
}

/// `systemManager.errorCodes.get`.
pub async fn get_error_code(
    store: &SqlStore,
    caller: &Caller,
    p: ErrorCodeId,
) -> Result<crate::store::ErrorCode, UseCaseError> {
    require_system_manager(caller)?;
    Ok(store.error_code(&p.prefix, p.code).await?)
}

/// `systemManager.errorCodes.updateMessageAndDetails` (native codes too: e.g. to localize).
pub async fn reword_error_code(
    store: &SqlStore,
    caller: &Caller,
    p: RewordErrorCode,
) -> Result<crate::store::ErrorCode, UseCaseError> {
    require_system_manager(caller)?;
    check_text(&p.message)?;
    let code = store
        .update_error_code(&p.prefix, p.code, p.message.trim(), p.details.as_deref())
        .await?;
    let detail = serde_json::json!({ "code": code.name });
    let action = "systemManager.errorCodes.updateMessageAndDetails";
    Audit::of(caller, action)
        .detail(detail)
        .record(store)
        .await?;
    Ok(code)
}

/// `systemManager.errorCodes.delete`: custom codes only.
pub async fn delete_error_code(
    store: &SqlStore,
    caller: &Caller,
    p: ErrorCodeId,
) -> Result<(), UseCaseError> {
    require_system_manager(caller)?;
    store.delete_error_code(&p.prefix, p.code).await?;
    let detail = serde_json::json!({ "code": format!("{}{:05}", p.prefix, p.code) });
    Audit::of(caller, "systemManager.errorCodes.delete")
        .detail(detail)
        .record(store)
        .await
}
