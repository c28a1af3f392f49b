//! `subscriptionsManager.*`: subscription accounts of a tenant and the guests in them.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Caller, UseCaseError, audit, require_tenant_manager};
use crate::store::{SqlStore, SubscriptionAccount};

/// `subscriptionsManager.accounts.createSubscriptionAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSubscriptionAccount {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account's name.
    pub name: String,
}

/// A subscription account as answered.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SubscriptionAccountRecord {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Upstream's account type: `{"subscription": {"tenantId": …}}`.
    pub account_type: serde_json::Value,
    /// When it was created.
    pub created: chrono::DateTime<chrono::Utc>,
}

impl From<SubscriptionAccount> for SubscriptionAccountRecord {
    fn from(a: SubscriptionAccount) -> Self {
        Self {
            id: a.id,
            name: a.name,
            account_type: serde_json::json!({ "subscription": { "tenantId": a.tenant_id } }),
            created: a.created_at,
        }
    }
}

/// `subscriptionsManager.accounts.createSubscriptionAccount`.
pub async fn create_subscription_account(
    store: &SqlStore,
    caller: &Caller,
    params: CreateSubscriptionAccount,
) -> Result<SubscriptionAccountRecord, UseCaseError> {
    require_tenant_manager(caller, params.tenant_id)?;
    let account = store
        .create_subscription_account(params.tenant_id, &params.name)
        .await?;
    audit(
        store,
        caller,
        "subscriptionsManager.accounts.createSubscriptionAccount",
        Some(params.tenant_id),
        Some(account.id),
        serde_json::json!({ "name": account.name }),
    )
    .await?;
    Ok(account.into())
}

/// `subscriptionsManager.guests.guestUserToSubscriptionAccount` and
/// `…revokeUserGuestToSubscriptionAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestParams {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The subscription account (of that tenant).
    pub account_id: Uuid,
    /// The guest role.
    pub role_id: Uuid,
    /// The guest's e-mail.
    pub email: String,
}

/// A guest relation as answered.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GuestRecord {
    /// The guest's e-mail.
    pub email: String,
    /// The subscription account.
    pub account_id: Uuid,
    /// The guest role.
    pub role_id: Uuid,
    /// Whether the invitation was accepted.
    pub was_verified: bool,
    /// False when the invitation existed already.
    pub created: bool,
}

/// The subscription account, checked to belong to the tenant the caller manages.
async fn tenant_account(
    store: &SqlStore,
    caller: &Caller,
    tenant: Uuid,
    account: Uuid,
) -> Result<(), UseCaseError> {
    require_tenant_manager(caller, tenant)?;
    if store
        .subscription_accounts(tenant)
        .await?
        .iter()
        .any(|a| a.id == account)
    {
        Ok(())
    } else {
        Err(UseCaseError::NotFound(format!(
            "subscription account {account} of tenant {tenant} not found"
        )))
    }
}

/// `subscriptionsManager.guests.guestUserToSubscriptionAccount`: invites the e-mail (pending
/// until the user accepts with `beginners.guests.acceptInvitation`).
pub async fn guest_user(
    store: &SqlStore,
    caller: &Caller,
    params: GuestParams,
) -> Result<GuestRecord, UseCaseError> {
    tenant_account(store, caller, params.tenant_id, params.account_id).await?;
    let created = store
        .invite_guest(params.account_id, &params.email, params.role_id)
        .await?;
    let guest = store
        .guest(params.account_id, &params.email, params.role_id)
        .await?
        .ok_or_else(|| UseCaseError::NotFound("the invitation vanished".into()))?;
    audit(
        store,
        caller,
        "subscriptionsManager.guests.guestUserToSubscriptionAccount",
        Some(params.tenant_id),
        Some(params.account_id),
        serde_json::json!({ "email": guest.email, "roleId": params.role_id }),
    )
    .await?;
    Ok(GuestRecord {
        email: guest.email,
        account_id: params.account_id,
        role_id: params.role_id,
        was_verified: guest.accepted,
        created,
    })
}

/// `subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount`; the guest's e-mail is
/// returned so the caller can forget cached profiles.
pub async fn revoke_guest(
    store: &SqlStore,
    caller: &Caller,
    params: GuestParams,
) -> Result<String, UseCaseError> {
    tenant_account(store, caller, params.tenant_id, params.account_id).await?;
    if !store
        .revoke_guest(params.account_id, &params.email, params.role_id)
        .await?
    {
        return Err(UseCaseError::NotFound(format!(
            "{} is not a guest of that account with that role",
            params.email
        )));
    }
    audit(
        store,
        caller,
        "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount",
        Some(params.tenant_id),
        Some(params.account_id),
        serde_json::json!({ "email": params.email, "roleId": params.role_id }),
    )
    .await?;
    Ok(params.email)
}
