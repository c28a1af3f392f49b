//! Narrowing a full profile to what a request may see: the route's roles (write satisfies
//! read), a connection string's roles and tenant, or the caller's `x-mycelium-tenant-id`.
//!
//! A connection string is never more than its owner, and one that names roles is only those
//! roles: its profile keeps the licences of those roles (each capped at the string's
//! permission), and loses the staff and manager flags and every tenant ownership, which no
//! role grants. A string without roles stands for its owner (narrowed to its tenant, if any).

use myc_profile::connection_string::ScopedRole;
use myc_profile::{LicensedResources, PermissionedRole, Profile};
use uuid::Uuid;

use crate::AuthError;

/// What narrows the profile of one request.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Scope<'a> {
    pub(crate) tenant: Option<Uuid>,
    pub(crate) route_roles: Option<&'a [PermissionedRole]>,
    pub(crate) token_roles: Option<&'a [ScopedRole]>,
}

/// The narrowed profile, or 403 when the route requires roles the caller does not hold.
pub(crate) fn narrow(profile: &Profile, scope: Scope<'_>) -> Result<Profile, AuthError> {
    if let (Some(route), Some(token)) = (scope.route_roles, scope.token_roles) {
        // Upstream defect: an empty intersection meant "unrestricted". Here it denies.
        let intersects = route.iter().any(|r| {
            token
                .iter()
                .any(|t| t.slug == r.name && t.permission.satisfies(r.required()))
        });
        if !intersects {
            return Err(AuthError::Forbidden(
                "the connection string is not scoped to this route's roles".into(),
            ));
        }
    }
    let mut narrowed = profile.clone();
    if scope.token_roles.is_some() {
        narrowed.is_staff = false;
        narrowed.is_manager = false;
        narrowed.tenants_ownership = None;
    }
    let records = match &profile.licensed_resources {
        Some(l) => l.to_records().map_err(|_| AuthError::ResolverUnavailable)?,
        None => Vec::new(),
    };
    let kept: Vec<_> = records
        .into_iter()
        // A connection string's roles both select licences and cap their permission.
        .filter_map(|mut rec| match scope.token_roles {
            None => Some(rec),
            Some(roles) => roles.iter().find(|t| t.slug == rec.role).map(|t| {
                rec.perm = rec.perm.min(t.permission);
                rec
            }),
        })
        .filter(|rec| scope.tenant.is_none_or(|t| rec.tenant_id == t))
        .filter(|rec| {
            scope.route_roles.is_none_or(|roles| {
                roles
                    .iter()
                    .any(|r| rec.role == r.name && rec.perm.satisfies(r.required()))
            })
        })
        .collect();
    if scope.route_roles.is_some() && kept.is_empty() && !(narrowed.is_manager || narrowed.is_staff)
    {
        return Err(AuthError::Forbidden(
            "the caller holds none of this route's roles".into(),
        ));
    }
    narrowed.licensed_resources = (!kept.is_empty()).then_some(LicensedResources::Records(kept));
    if let (Some(tenant), Some(owned)) = (scope.tenant, &narrowed.tenants_ownership) {
        let records = owned
            .to_records()
            .map_err(|_| AuthError::ResolverUnavailable)?;
        let kept: Vec<_> = records.into_iter().filter(|o| o.id == tenant).collect();
        narrowed.tenants_ownership =
            (!kept.is_empty()).then_some(myc_profile::TenantsOwnership::Records(kept));
    }
    narrowed.filtering_state = None;
    Ok(narrowed)
}
