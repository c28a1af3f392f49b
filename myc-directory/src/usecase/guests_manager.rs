//! `guestManager.*`: the guest roles routes and licences name.

use serde::Deserialize;

use super::{Caller, UseCaseError, audit, require_platform_admin};
use crate::store::{GuestRoleDetails, SqlStore};
use myc_profile::Permission;

/// `guestManager.guestRoles.create` params (upstream's: the slug comes from the name).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateGuestRole {
    /// Name (its slug is derived: `Subscriptions Manager` → `subscriptions-manager`).
    pub name: String,
    /// Description.
    pub description: String,
    /// `0` read (default), `1` write.
    #[serde(default)]
    pub permission: Option<Permission>,
    /// A system role.
    #[serde(default)]
    pub system: bool,
}

/// `guestManager.guestRoles.create` (staff or manager).
pub async fn create_guest_role(
    store: &SqlStore,
    caller: &Caller,
    params: CreateGuestRole,
) -> Result<GuestRoleDetails, UseCaseError> {
    require_platform_admin(caller)?;
    let permission = params.permission.unwrap_or(Permission::Read);
    let role = store
        .create_guest_role_described(&params.name, &params.description, permission, params.system)
        .await?;
    audit(
        store,
        caller,
        "guestManager.guestRoles.create",
        None,
        None,
        serde_json::json!({ "roleId": role.id, "slug": role.slug, "permission": permission }),
    )
    .await?;
    Ok(role)
}

/// `guestManager.guestRoles.list` params.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListGuestRoles {
    /// Only roles whose name contains this (case-insensitive).
    #[serde(default)]
    pub name: Option<String>,
    /// Only this slug.
    #[serde(default)]
    pub slug: Option<String>,
    /// Only system (or only non-system) roles.
    #[serde(default)]
    pub system: Option<bool>,
}

/// `guestManager.guestRoles.list` (staff or manager).
pub async fn list_guest_roles(
    store: &SqlStore,
    caller: &Caller,
    params: ListGuestRoles,
) -> Result<Vec<GuestRoleDetails>, UseCaseError> {
    require_platform_admin(caller)?;
    let name = params.name.map(|n| n.to_lowercase());
    Ok(store
        .guest_roles()
        .await?
        .into_iter()
        .filter(|r| {
            name.as_deref()
                .is_none_or(|n| r.name.to_lowercase().contains(n))
        })
        .filter(|r| params.slug.as_deref().is_none_or(|s| r.slug == s))
        .filter(|r| params.system.is_none_or(|s| r.system == s))
        .collect())
}
