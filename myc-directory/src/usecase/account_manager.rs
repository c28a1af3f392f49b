//! `accountManager.*`: a guest who holds a role with children guests others into the
//! tenant's accounts with one of those child roles.

use myc_profile::Permission;
use serde::Deserialize;
use uuid::Uuid;

use super::managers::Page;
use super::subscriptions_manager::{GuestRecord, ListRoles, RoleId, roles_page};
use super::{Audit, Caller, UseCaseError, holds, require_tenant_manager};
use crate::store::{GuestRoleDetails, SqlStore};

/// `accountManager.guests.guestToChildrenAccount` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestToChildren {
    /// The tenant.
    pub tenant_id: Uuid,
    /// The account (of that tenant) to guest into.
    pub account_id: Uuid,
    /// The child role to give.
    pub role_id: Uuid,
    /// The guest's e-mail.
    pub email: String,
}

/// Whether the caller holds, with write permission on `tenant`, a role that has `child` as a
/// child.
async fn parent_of(
    store: &SqlStore,
    caller: &Caller,
    tenant: Uuid,
    child: Uuid,
) -> Result<bool, UseCaseError> {
    let parents: Vec<String> = store
        .guest_roles()
        .await?
        .into_iter()
        .filter(|r| r.children.contains(&child))
        .map(|r| r.slug)
        .collect();
    let parents: Vec<&str> = parents.iter().map(String::as_str).collect();
    Ok(!parents.is_empty() && holds(caller, tenant, &parents, Permission::Write))
}

/// `accountManager.guests.guestToChildrenAccount`: invites `email` (pending until accepted)
/// with a child role of one the caller holds, or any role for tenant managers.
pub async fn guest_to_children(
    store: &SqlStore,
    caller: &Caller,
    p: GuestToChildren,
) -> Result<GuestRecord, UseCaseError> {
    let manages = require_tenant_manager(caller, p.tenant_id, Permission::Write).is_ok();
    if !manages && !parent_of(store, caller, p.tenant_id, p.role_id).await? {
        return Err(UseCaseError::Forbidden(
            "Insufficient privileges: a role with that child role is required",
        ));
    }
    let account = store.account_record(p.account_id).await?;
    if account.tenant_id != Some(p.tenant_id) {
        return Err(UseCaseError::NotFound(format!(
            "account {} of tenant {} not found",
            p.account_id, p.tenant_id
        )));
    }
    super::subscriptions_manager::require_grant(store, caller, p.tenant_id, &account, p.role_id)
        .await?;
    let created = store
        .invite_guest(p.account_id, &p.email, p.role_id)
        .await?;
    let action = "accountManager.guests.guestToChildrenAccount";
    let detail = serde_json::json!({ "email": p.email, "roleId": p.role_id });
    Audit::of(caller, action)
        .tenant(p.tenant_id)
        .account(p.account_id)
        .detail(detail)
        .record(store)
        .await?;
    let email = crate::store::normalize_email(&p.email)?;
    let invited = "guestAccount.invited";
    crate::webhooks::fire_guest(store, invited, p.tenant_id, p.account_id, &email, p.role_id).await;
    Ok(GuestRecord {
        email,
        account_id: p.account_id,
        role_id: p.role_id,
        was_verified: false,
        created,
        invited_to: Some(p.tenant_id),
    })
}

/// Guests of the tenant (any accepted licence on it) and its managers.
fn require_member(caller: &Caller, tenant: Uuid) -> Result<(), UseCaseError> {
    if holds(caller, tenant, &[], Permission::Read)
        || require_tenant_manager(caller, tenant, Permission::Read).is_ok()
    {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: a licence on the tenant is required",
        ))
    }
}

/// `accountManager.guestRoles.listGuestRoles`; `None` when none match.
pub async fn list_roles(
    store: &SqlStore,
    caller: &Caller,
    p: ListRoles,
) -> Result<Option<Page<GuestRoleDetails>>, UseCaseError> {
    require_member(caller, p.tenant_id)?;
    roles_page(store, p).await
}

/// `accountManager.guestRoles.fetchGuestRoleDetails`.
pub async fn fetch_role(
    store: &SqlStore,
    caller: &Caller,
    p: RoleId,
) -> Result<GuestRoleDetails, UseCaseError> {
    require_member(caller, p.tenant_id)?;
    Ok(store.guest_role(p.id).await?)
}
