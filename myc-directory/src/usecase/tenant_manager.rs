//! `tenantManager.*`: a tenant's managers create subscription-manager accounts, guest users
//! into them, tag the tenant and read its details.

use std::collections::BTreeMap;

use myc_profile::Permission;
use serde::Deserialize;
use uuid::Uuid;

use super::tenant_owner::{TenantAccount, TenantId};
use super::{Audit, Caller, SUBSCRIPTIONS_MANAGER_ROLE, UseCaseError, require_tenant_admin};
use crate::store::{AccountRecord, SqlStore, Tag, TenantAccountKind, TenantDetails};

/// The system role `slug` with `permission`, which must exist
/// (`managers.guestRoles.createSystemRoles`).
pub(crate) async fn system_role(
    store: &SqlStore,
    slug: &str,
    permission: Permission,
) -> Result<Uuid, UseCaseError> {
    store
        .guest_role_by(slug, permission)
        .await?
        .map(|r| r.id)
        .ok_or(UseCaseError::NotConfigured(
            "system guest roles (managers.guestRoles.createSystemRoles)",
        ))
}

/// `tenantManager.accounts.createSubscriptionManagerAccount`: an account tied to the
/// `subscriptions-manager` role; users guested into it manage the tenant's subscriptions.
pub async fn create_subscription_manager_account(
    store: &SqlStore,
    caller: &Caller,
    p: TenantId,
) -> Result<AccountRecord, UseCaseError> {
    require_tenant_admin(caller, p.tenant_id, Permission::Write)?;
    let kind = TenantAccountKind::RoleAssociated {
        role_name: SUBSCRIPTIONS_MANAGER_ROLE.into(),
        read_role_id: system_role(store, SUBSCRIPTIONS_MANAGER_ROLE, Permission::Read).await?,
        write_role_id: system_role(store, SUBSCRIPTIONS_MANAGER_ROLE, Permission::Write).await?,
    };
    let tenant = super::tenant_name(store, p.tenant_id).await?;
    let name = format!("{tenant} subscriptions manager");
    let account = store
        .create_tenant_account(p.tenant_id, &name, &kind)
        .await?;
    let action = "tenantManager.accounts.createSubscriptionManagerAccount";
    let detail = serde_json::json!({ "name": account.name });
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(account.id)
        .detail(detail)
        .record(store)
        .await?;
    Ok(account)
}

/// `tenantManager.accounts.deleteSubscriptionAccount`: the account and its guests.
pub async fn delete_subscription_account(
    store: &SqlStore,
    caller: &Caller,
    p: TenantAccount,
) -> Result<(), UseCaseError> {
    require_tenant_admin(caller, p.tenant_id, Permission::Write)?;
    store
        .delete_tenant_account(p.tenant_id, p.account_id, "subscription")
        .await?;
    let action = "tenantManager.accounts.deleteSubscriptionAccount";
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .record(store)
        .await?;
    let payload = serde_json::json!({ "accountId": p.account_id, "tenantId": p.tenant_id });
    let event = crate::webhooks::Event::now("subscriptionAccount.deleted", payload);
    crate::webhooks::fire(store, event).await;
    Ok(())
}

/// `tenantManager.guests.guestUserToSubscriptionManagerAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestManager {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The subscription-manager account.
    pub account_id: Uuid,
    /// The user's e-mail.
    pub email: String,
    /// `0` read, `1` write.
    pub permission: Permission,
}

async fn manager_account(
    store: &SqlStore,
    tenant: Uuid,
    account: Uuid,
) -> Result<(), UseCaseError> {
    let record = store.account_record(account).await?;
    let is_manager_account = record.tenant_id == Some(tenant)
        && record.account_type["roleAssociated"]["roleName"] == SUBSCRIPTIONS_MANAGER_ROLE;
    if is_manager_account {
        Ok(())
    } else {
        Err(UseCaseError::NotFound(format!(
            "subscription-manager account {account} of tenant {tenant} not found"
        )))
    }
}

/// `tenantManager.guests.guestUserToSubscriptionManagerAccount`: invites `email` with the
/// `subscriptions-manager` role (pending until accepted).
pub async fn guest_to_manager_account(
    store: &SqlStore,
    caller: &Caller,
    p: GuestManager,
) -> Result<super::subscriptions_manager::GuestRecord, UseCaseError> {
    require_tenant_admin(caller, p.tenant_id, Permission::Write)?;
    manager_account(store, p.tenant_id, p.account_id).await?;
    let role = system_role(store, SUBSCRIPTIONS_MANAGER_ROLE, p.permission).await?;
    let created = store.invite_guest(p.account_id, &p.email, role).await?;
    let action = "tenantManager.guests.guestUserToSubscriptionManagerAccount";
    let detail = serde_json::json!({ "email": p.email, "roleId": role });
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await?;
    let email = crate::store::normalize_email(&p.email)?;
    let invited = "guestAccount.invited";
    crate::webhooks::fire_guest(store, invited, p.tenant_id, p.account_id, &email, role).await;
    Ok(super::subscriptions_manager::GuestRecord {
        email,
        account_id: p.account_id,
        role_id: role,
        was_verified: false,
        created,
        invited_to: Some(p.tenant_id),
    })
}

/// `tenantManager.guests.revokeUserGuestToSubscriptionManagerAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RevokeManager {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The subscription-manager account.
    pub account_id: Uuid,
    /// The guest role.
    pub role_id: Uuid,
    /// The user's e-mail.
    pub email: String,
}

/// `tenantManager.guests.revokeUserGuestToSubscriptionManagerAccount`.
pub async fn revoke_from_manager_account(
    store: &SqlStore,
    caller: &Caller,
    p: RevokeManager,
) -> Result<(), UseCaseError> {
    require_tenant_admin(caller, p.tenant_id, Permission::Write)?;
    manager_account(store, p.tenant_id, p.account_id).await?;
    if !store
        .revoke_guest(p.account_id, &p.email, p.role_id)
        .await?
    {
        return Err(UseCaseError::NotFound(format!(
            "{} is not a guest of that account with that role",
            p.email
        )));
    }
    let action = "tenantManager.guests.revokeUserGuestToSubscriptionManagerAccount";
    let detail = serde_json::json!({ "email": p.email, "roleId": p.role_id });
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await?;
    let email = crate::store::normalize_email(&p.email)?;
    let revoked = "guestAccount.revoked";
    let (tenant, account) = (p.tenant_id, p.account_id);
    crate::webhooks::fire_guest(store, revoked, tenant, account, &email, p.role_id).await;
    Ok(())
}

/// Tag params: the tenant's own tags (`tenantManager.tags.*`) or, with `accountId`, an
/// account's (`subscriptionsManager.tags.*`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TagParams {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account (subscriptions managers only).
    #[serde(default)]
    pub account_id: Option<Uuid>,
    /// The tag (update, delete).
    #[serde(default)]
    pub tag_id: Option<Uuid>,
    /// The value (create, update).
    #[serde(default)]
    pub value: Option<String>,
    /// Metadata (create, update).
    #[serde(default)]
    pub meta: Option<BTreeMap<String, String>>,
}

/// What to do with a tag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TagAction {
    /// Create.
    Create,
    /// Update.
    Update,
    /// Delete.
    Delete,
}

/// `tenantManager.tags.*` and `subscriptionsManager.tags.*`: the tag created, or `None`.
pub async fn tag(
    store: &SqlStore,
    caller: &Caller,
    p: TagParams,
    action: TagAction,
) -> Result<Option<Tag>, UseCaseError> {
    match p.account_id {
        None => require_tenant_admin(caller, p.tenant_id, Permission::Write)?,
        Some(account) => {
            super::subscriptions_manager::tenant_account(
                store,
                caller,
                p.tenant_id,
                account,
                Permission::Write,
            )
            .await?;
        }
    }
    let missing = |what: &str| UseCaseError::InvalidParams(format!("{what} is required"));
    let meta = p.meta.clone().unwrap_or_default();
    let tag = match action {
        TagAction::Create => {
            let value = p.value.as_deref().ok_or_else(|| missing("value"))?;
            Some(
                store
                    .create_tag(p.tenant_id, p.account_id, value, &meta)
                    .await?,
            )
        }
        TagAction::Update => {
            let id = p.tag_id.ok_or_else(|| missing("tagId"))?;
            let value = p.value.as_deref().ok_or_else(|| missing("value"))?;
            store
                .update_tag(p.tenant_id, p.account_id, id, value, &meta)
                .await?;
            None
        }
        TagAction::Delete => {
            let id = p.tag_id.ok_or_else(|| missing("tagId"))?;
            store.delete_tag(p.tenant_id, p.account_id, id).await?;
            None
        }
    };
    let namespace = match p.account_id {
        None => "tenantManager",
        Some(_) => "subscriptionsManager",
    };
    let verb = match action {
        TagAction::Create => "create",
        TagAction::Update => "update",
        TagAction::Delete => "delete",
    };
    let name = format!("{namespace}.tags.{verb}");
    let id = tag.as_ref().map(|t| t.id).or(p.tag_id);
    let detail = serde_json::json!({ "tagId": id, "value": p.value });
    Audit::of(caller, &name)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await?;
    Ok(tag)
}

/// `tenantManager.tenant.get`: the tenant's details (read permission suffices).
pub async fn tenant_get(
    store: &SqlStore,
    caller: &Caller,
    p: TenantId,
) -> Result<TenantDetails, UseCaseError> {
    require_tenant_admin(caller, p.tenant_id, Permission::Read)?;
    Ok(store.tenant_details(p.tenant_id).await?)
}
