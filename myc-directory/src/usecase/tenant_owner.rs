//! `tenantOwner.*`: what an owner of a tenant does to it: its management account, metadata,
//! co-owners, name, description and status.

use serde::Deserialize;
use uuid::Uuid;

use super::{Audit, Caller, UseCaseError, require_tenant_owner};
use crate::store::{AccountRecord, SqlStore, TenantAccountKind, TenantFlag};

/// Params naming a tenant only.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantId {
    /// The tenant.
    pub tenant_id: Uuid,
}

/// A tenant and one of its accounts.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantAccount {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account.
    pub account_id: Uuid,
}

/// `tenantOwner.accounts.createManagementAccount`: the tenant's management account, into
/// which tenant managers are guested.
pub async fn create_management_account(
    store: &SqlStore,
    caller: &Caller,
    p: TenantId,
) -> Result<AccountRecord, UseCaseError> {
    require_tenant_owner(caller, p.tenant_id)?;
    let name = format!(
        "{} management",
        super::tenant_name(store, p.tenant_id).await?
    );
    // One per tenant (a unique index): a second is a conflict, even when two race.
    let account = store
        .create_tenant_account(p.tenant_id, &name, &TenantAccountKind::TenantManager)
        .await
        .map_err(|e| match e {
            crate::store::Error::Conflict(_) => {
                UseCaseError::Conflict("the tenant's management account already exists".into())
            }
            other => other.into(),
        })?;
    let detail = serde_json::json!({ "name": account.name });
    let action = "tenantOwner.accounts.createManagementAccount";
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(account.id)
        .detail(detail)
        .record(store)
        .await?;
    Ok(account)
}

/// `tenantOwner.accounts.deleteTenantManagerAccount`.
pub async fn delete_tenant_manager_account(
    store: &SqlStore,
    caller: &Caller,
    p: TenantAccount,
) -> Result<(), UseCaseError> {
    require_tenant_owner(caller, p.tenant_id)?;
    store
        .delete_tenant_account(p.tenant_id, p.account_id, "tenantManager")
        .await?;
    let action = "tenantOwner.accounts.deleteTenantManagerAccount";
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .record(store)
        .await
}

/// `tenantOwner.meta.create` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateMeta {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The key (e.g. `legal_name`, `locale`).
    pub key: String,
    /// The value.
    pub value: String,
}

/// `tenantOwner.meta.delete` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeleteMeta {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The key.
    pub key: String,
}

/// `tenantOwner.meta.create`: a new key ([`UseCaseError::Conflict`] when set).
pub async fn create_meta(
    store: &SqlStore,
    caller: &Caller,
    p: CreateMeta,
) -> Result<(), UseCaseError> {
    require_tenant_owner(caller, p.tenant_id)?;
    store
        .put_tenant_meta(p.tenant_id, &p.key, &p.value, true)
        .await?;
    let detail = serde_json::json!({ "key": p.key });
    Audit::of(caller, "tenantOwner.meta.create")
        .tenant(p.tenant_id)
        .detail(detail)
        .record(store)
        .await
}

/// `tenantOwner.meta.delete`.
pub async fn delete_meta(
    store: &SqlStore,
    caller: &Caller,
    p: DeleteMeta,
) -> Result<(), UseCaseError> {
    require_tenant_owner(caller, p.tenant_id)?;
    if !store.delete_tenant_meta(p.tenant_id, &p.key).await? {
        return Err(UseCaseError::NotFound(format!(
            "metadata {} not found",
            p.key
        )));
    }
    let detail = serde_json::json!({ "key": p.key });
    Audit::of(caller, "tenantOwner.meta.delete")
        .tenant(p.tenant_id)
        .detail(detail)
        .record(store)
        .await
}

/// `tenantOwner.owner.guest` / `.revoke` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerEmail {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The (co-)owner's e-mail: an existing account's.
    pub email: String,
}

async fn owner_of(store: &SqlStore, email: &str) -> Result<Uuid, UseCaseError> {
    store
        .owner_id(email)
        .await?
        .ok_or_else(|| UseCaseError::NotFound(format!("no account for {email}")))
}

/// `tenantOwner.owner.guest`: makes the account of `email` a co-owner.
pub async fn guest_owner(
    store: &SqlStore,
    caller: &Caller,
    p: OwnerEmail,
) -> Result<(), UseCaseError> {
    require_tenant_owner(caller, p.tenant_id)?;
    let owner = owner_of(store, &p.email).await?;
    if !store.include_tenant_owner(p.tenant_id, owner).await? {
        return Err(UseCaseError::Conflict(format!(
            "{} already owns the tenant",
            p.email
        )));
    }
    let detail = serde_json::json!({ "email": p.email });
    Audit::of(caller, "tenantOwner.owner.guest")
        .tenant(p.tenant_id)
        .detail(detail)
        .record(store)
        .await
}

/// `tenantOwner.owner.revoke`: removes a co-owner; the last owner stays.
pub async fn revoke_owner(
    store: &SqlStore,
    caller: &Caller,
    p: OwnerEmail,
) -> Result<(), UseCaseError> {
    require_tenant_owner(caller, p.tenant_id)?;
    let owner = owner_of(store, &p.email).await?;
    let owners = store.tenant_details(p.tenant_id).await?.owners;
    if owners.len() == 1 && owners[0].id == owner {
        return Err(UseCaseError::InvalidParams(
            "a tenant keeps at least one owner".into(),
        ));
    }
    if !store.exclude_tenant_owner(p.tenant_id, owner).await? {
        return Err(UseCaseError::NotFound(format!(
            "{} does not own the tenant",
            p.email
        )));
    }
    let detail = serde_json::json!({ "email": p.email });
    Audit::of(caller, "tenantOwner.owner.revoke")
        .tenant(p.tenant_id)
        .detail(detail)
        .record(store)
        .await
}

/// `tenantOwner.tenant.updateNameAndDescription` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateTenant {
    /// The tenant.
    pub tenant_id: Uuid,
    /// A new name.
    #[serde(default)]
    pub name: Option<String>,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
}

/// `tenantOwner.tenant.updateNameAndDescription`.
pub async fn update_tenant(
    store: &SqlStore,
    caller: &Caller,
    p: UpdateTenant,
) -> Result<(), UseCaseError> {
    require_tenant_owner(caller, p.tenant_id)?;
    store
        .update_tenant(p.tenant_id, p.name.as_deref(), p.description.as_deref())
        .await?;
    let detail = serde_json::json!({ "name": p.name, "description": p.description });
    let action = "tenantOwner.tenant.updateNameAndDescription";
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .detail(detail)
        .record(store)
        .await
}

/// `tenantOwner.tenant.update{Archiving,Trashing,Verifying}Status` params: the flag is set
/// unless `value` is `false` (an extension: upstream's only set it).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantStatus {
    /// The tenant.
    pub tenant_id: Uuid,
    /// Set (default) or clear.
    #[serde(default)]
    pub value: Option<bool>,
}

/// `tenantOwner.tenant.update{Archiving,Trashing,Verifying}Status`.
pub async fn set_status(
    store: &SqlStore,
    caller: &Caller,
    p: TenantStatus,
    flag: TenantFlag,
) -> Result<(), UseCaseError> {
    require_tenant_owner(caller, p.tenant_id)?;
    let on = p.value.unwrap_or(true);
    store.set_tenant_flag(p.tenant_id, flag, on).await?;
    let detail = serde_json::json!({ "flag": format!("{flag:?}"), "value": on });
    let action = "tenantOwner.tenant.updateStatus";
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .detail(detail)
        .record(store)
        .await
}
