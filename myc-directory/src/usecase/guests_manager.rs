//! `guestManager.*`: the guest roles routes and licences name.

use serde::Deserialize;

use super::{Audit, Caller, UseCaseError, require_platform_admin};
use crate::store::{GuestRoleDetails, SqlStore};
use myc_profile::Permission;
use uuid::Uuid;

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
    Audit::of(caller, "guestManager.guestRoles.create")
        .detail(
            serde_json::json!({ "roleId": role.id, "slug": role.slug, "permission": permission }),
        )
        .record(store)
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
    filtered_roles(store, params).await
}

/// The guest roles matching `params`.
pub(crate) async fn filtered_roles(
    store: &SqlStore,
    params: ListGuestRoles,
) -> Result<Vec<GuestRoleDetails>, UseCaseError> {
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

/// `guestManager.guestRoles.delete` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GuestRoleId {
    /// The guest role.
    pub guest_role_id: Uuid,
}

/// `guestManager.guestRoles.delete`: the role and every guest relation with it.
pub async fn delete_guest_role(
    store: &SqlStore,
    caller: &Caller,
    p: GuestRoleId,
) -> Result<(), UseCaseError> {
    require_platform_admin(caller)?;
    store.delete_guest_role(p.guest_role_id).await?;
    let detail = serde_json::json!({ "roleId": p.guest_role_id });
    Audit::of(caller, "guestManager.guestRoles.delete")
        .detail(detail)
        .record(store)
        .await
}

/// `guestManager.guestRoles.updateNameAndDescription` params.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdateGuestRole {
    /// The guest role.
    pub guest_role_id: Uuid,
    /// A new name (its slug follows).
    #[serde(default)]
    pub name: Option<String>,
    /// A new description.
    #[serde(default)]
    pub description: Option<String>,
}

/// `guestManager.guestRoles.updateNameAndDescription`.
pub async fn update_guest_role(
    store: &SqlStore,
    caller: &Caller,
    p: UpdateGuestRole,
) -> Result<GuestRoleDetails, UseCaseError> {
    require_platform_admin(caller)?;
    store
        .update_guest_role(p.guest_role_id, p.name.as_deref(), p.description.as_deref())
        .await?;
    let detail = serde_json::json!({ "roleId": p.guest_role_id, "name": p.name });
    let action = "guestManager.guestRoles.updateNameAndDescription";
    Audit::of(caller, action)
        .detail(detail)
        .record(store)
        .await?;
    Ok(store.guest_role(p.guest_role_id).await?)
}

/// `guestManager.guestRoles.updatePermission` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpdatePermission {
    /// The guest role.
    pub guest_role_id: Uuid,
    /// `0` read, `1` write.
    pub permission: Permission,
}

/// `guestManager.guestRoles.updatePermission`: every licence with the role changes with it.
pub async fn update_permission(
    store: &SqlStore,
    caller: &Caller,
    p: UpdatePermission,
) -> Result<GuestRoleDetails, UseCaseError> {
    require_platform_admin(caller)?;
    store
        .set_guest_role_permission(p.guest_role_id, p.permission)
        .await?;
    let detail = serde_json::json!({ "roleId": p.guest_role_id, "permission": p.permission });
    Audit::of(caller, "guestManager.guestRoles.updatePermission")
        .detail(detail)
        .record(store)
        .await?;
    Ok(store.guest_role(p.guest_role_id).await?)
}

/// `guestManager.guestRoles.insertRoleChild` / `removeRoleChild` params.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RoleChild {
    /// The parent role.
    pub guest_role_id: Uuid,
    /// The child role.
    pub child_id: Uuid,
}

/// `guestManager.guestRoles.insertRoleChild` (`insert`) or `removeRoleChild`.
pub async fn role_child(
    store: &SqlStore,
    caller: &Caller,
    p: RoleChild,
    insert: bool,
) -> Result<GuestRoleDetails, UseCaseError> {
    require_platform_admin(caller)?;
    let action = if insert {
        if !store.insert_role_child(p.guest_role_id, p.child_id).await? {
            return Err(UseCaseError::Conflict("that child role is set".into()));
        }
        "guestManager.guestRoles.insertRoleChild"
    } else {
        if !store.remove_role_child(p.guest_role_id, p.child_id).await? {
            return Err(UseCaseError::NotFound(
                "that role is not a child of it".into(),
            ));
        }
        "guestManager.guestRoles.removeRoleChild"
    };
    let detail = serde_json::json!({ "roleId": p.guest_role_id, "childId": p.child_id });
    Audit::of(caller, action)
        .detail(detail)
        .record(store)
        .await?;
    Ok(store.guest_role(p.guest_role_id).await?)
}
