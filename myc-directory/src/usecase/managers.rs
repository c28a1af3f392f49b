//! `managers.*`: platform-wide operations of staff and manager accounts.

use serde::{Deserialize, Serialize};

use super::{Audit, Caller, UseCaseError, require_platform_admin};
use crate::store::{Store, Tenant};

/// `managers.tenants.list` params (upstream's names; every one optional).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListTenants {
    /// Only tenants whose name contains this (case-insensitive).
    #[serde(default)]
    pub name: Option<String>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// How many to skip.
    #[serde(default)]
    pub skip: Option<u32>,
}

/// One page of records, as upstream answers paginated lists.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Page<T> {
    /// How many match in all.
    pub count: u64,
    /// How many were skipped.
    pub skip: u32,
    /// The page size.
    pub size: u32,
    /// This page.
    pub records: Vec<T>,
}

impl<T> Page<T> {
    /// The page of `items` (all that match) from `skip`, at most `size`; `None` when nothing
    /// matches (upstream answers `null` then).
    pub(crate) fn of(items: Vec<T>, size: u32, skip: u32) -> Option<Self> {
        let count = items.len() as u64;
        let records = items
            .into_iter()
            .skip(skip as usize)
            .take(size as usize)
            .collect();
        (count > 0).then_some(Self {
            count,
            skip,
            size,
            records,
        })
    }

    /// A page of `records` out of `count` that matched in the store; `None` when none did.
    pub(crate) fn counted(count: u64, records: Vec<T>, size: u32, skip: u32) -> Option<Self> {
        (count > 0).then_some(Self {
            count,
            skip,
            size,
            records,
        })
    }
}

/// A tenant as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantRecord {
    /// Id.
    pub id: uuid::Uuid,
    /// Name.
    pub name: String,
    /// When it was created (RFC 3339).
    pub created: chrono::DateTime<chrono::Utc>,
}

impl From<Tenant> for TenantRecord {
    fn from(t: Tenant) -> Self {
        Self {
            id: t.id,
            name: t.name,
            created: t.created_at,
        }
    }
}

/// `managers.tenants.list`: tenants, filtered and paginated; `None` when none match
/// (upstream answers `null` then).
pub async fn tenants_list<S: Store>(
    store: &S,
    caller: &Caller,
    params: ListTenants,
) -> Result<Option<Page<TenantRecord>>, UseCaseError> {
    require_platform_admin(caller)?;
    let size = params.page_size.unwrap_or(20);
    if !(1..=100).contains(&size) {
        return Err(UseCaseError::InvalidParams(
            "pageSize must be between 1 and 100".into(),
        ));
    }
    let skip = params.skip.unwrap_or(0);
    let needle = params.name.map(|n| n.to_lowercase());
    let matching: Vec<Tenant> = store
        .tenants()
        .await?
        .into_iter()
        .filter(|t| {
            needle
                .as_deref()
                .is_none_or(|n| t.name.to_lowercase().contains(n))
        })
        .collect();
    if matching.is_empty() {
        return Ok(None);
    }
    Ok(Some(Page {
        count: matching.len() as u64,
        skip,
        size,
        records: matching
            .into_iter()
            .skip(skip as usize)
            .take(size as usize)
            .map(TenantRecord::from)
            .collect(),
    }))
}

/// `managers.tenants.create` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateTenant {
    /// Name (unique).
    pub name: String,
    /// A description.
    #[serde(default)]
    pub description: Option<String>,
    /// The owning user, by owner id (as profiles list owners).
    #[serde(default)]
    pub owner_id: Option<uuid::Uuid>,
}

/// `managers.tenants.create`: a tenant, optionally owned; recorded in the audit trail. The
/// owner's e-mail comes back with it: that profile changed (it owns the tenant now).
pub async fn tenants_create(
    store: &crate::store::SqlStore,
    caller: &Caller,
    params: CreateTenant,
) -> Result<(TenantRecord, Option<String>), UseCaseError> {
    require_platform_admin(caller)?;
    let owner = match params.owner_id {
        None => None,
        Some(id) => Some(
            store
                .owner_email(id)
                .await?
                .ok_or_else(|| UseCaseError::NotFound(format!("owner {id} not found")))?,
        ),
    };
    let tenant = store
        .create_tenant(&params.name, owner.as_deref(), None)
        .await?;
    if let Some(description) = params.description.as_deref().filter(|d| !d.is_empty()) {
        store.describe_tenant(tenant.id, description).await?;
    }
    Audit::of(caller, "managers.tenants.create")
        .tenant(tenant.id)
        .detail(serde_json::json!({ "name": tenant.name, "ownerId": params.owner_id }))
        .record(store)
        .await?;
    Ok((tenant.into(), owner))
}

/// `managers.accounts.createSystemAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSystemAccount {
    /// The account's name.
    pub name: String,
    /// `gatewayManager`, `guestsManager` or `systemManager`.
    pub actor: String,
}

/// `managers.accounts.createSystemAccount`: an account standing for a system actor.
pub async fn create_system_account(
    store: &crate::store::SqlStore,
    caller: &Caller,
    p: CreateSystemAccount,
) -> Result<crate::store::AccountRecord, UseCaseError> {
    require_platform_admin(caller)?;
    let account = store.create_system_account(&p.name, &p.actor).await?;
    let detail = serde_json::json!({ "name": account.name, "actor": p.actor });
    let action = "managers.accounts.createSystemAccount";
    Audit::of(caller, action)
        .account(account.id)
        .detail(detail)
        .record(store)
        .await?;
    Ok(account)
}

/// `managers.guestRoles.createSystemRoles`: the system guest roles, created where missing.
pub async fn create_system_roles(
    store: &crate::store::SqlStore,
    caller: &Caller,
    _: serde_json::Map<String, serde_json::Value>,
) -> Result<Vec<crate::store::GuestRoleDetails>, UseCaseError> {
    require_platform_admin(caller)?;
    let roles = store.create_system_roles().await?;
    let detail = serde_json::json!({ "count": roles.len() });
    Audit::of(caller, "managers.guestRoles.createSystemRoles")
        .detail(detail)
        .record(store)
        .await?;
    Ok(roles)
}

/// `managers.tenants.delete` params (upstream names the tenant `id`).
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantById {
    /// The tenant.
    pub id: uuid::Uuid,
}

/// `managers.tenants.delete`: the tenant with its accounts, guests, metadata and tags.
pub async fn tenants_delete(
    store: &crate::store::SqlStore,
    caller: &Caller,
    p: TenantById,
) -> Result<(), UseCaseError> {
    require_platform_admin(caller)?;
    let name = super::tenant_name(store, p.id).await?;
    store.delete_tenant(p.id).await?;
    let detail = serde_json::json!({ "name": name });
    Audit::of(caller, "managers.tenants.delete")
        .tenant(p.id)
        .detail(detail)
        .record(store)
        .await
}

/// `managers.tenants.includeTenantOwner` / `excludeTenantOwner` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantOwner {
    /// The tenant.
    pub id: uuid::Uuid,
    /// The owner (an owner id, as profiles list owners).
    pub owner_id: uuid::Uuid,
}

/// `managers.tenants.includeTenantOwner` (`include`) or `excludeTenantOwner`.
pub async fn tenant_owner(
    store: &crate::store::SqlStore,
    caller: &Caller,
    p: TenantOwner,
    include: bool,
) -> Result<(), UseCaseError> {
    require_platform_admin(caller)?;
    let action = if include {
        if !store.include_tenant_owner(p.id, p.owner_id).await? {
            return Err(UseCaseError::Conflict("that owner owns the tenant".into()));
        }
        "managers.tenants.includeTenantOwner"
    } else {
        if !store.exclude_tenant_owner(p.id, p.owner_id).await? {
            return Err(UseCaseError::NotFound(
                "that owner does not own the tenant".into(),
            ));
        }
        "managers.tenants.excludeTenantOwner"
    };
    let detail = serde_json::json!({ "ownerId": p.owner_id });
    Audit::of(caller, action)
        .tenant(p.id)
        .detail(detail)
        .record(store)
        .await
}
