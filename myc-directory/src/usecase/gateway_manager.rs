//! `gatewayManager.*`: what the host routes (platform administrators and holders of the
//! `gateway-manager` system role).

use myc_profile::Permission;
use serde::Deserialize;
use uuid::Uuid;

use super::managers::Page;
use super::subscriptions_manager::paging;
use super::{Caller, UseCaseError};
use crate::catalog::{Catalog, RouteEntry, ServiceEntry};

/// The system role that may read the catalog.
pub const GATEWAY_MANAGER_ROLE: &str = "gateway-manager";

/// `gatewayManager.routes.list` / `.services.list` params.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListCatalog {
    /// Only this id.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Only names (services) or paths and service names (routes) containing this.
    #[serde(default)]
    pub name: Option<String>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// How many to skip.
    #[serde(default)]
    pub skip: Option<u32>,
}

fn require_gateway_manager(caller: &Caller) -> Result<(), UseCaseError> {
    let profile = &caller.profile;
    let holds = match &profile.licensed_resources {
        Some(myc_profile::LicensedResources::Records(records)) => records
            .iter()
            .any(|r| r.verified && r.role == GATEWAY_MANAGER_ROLE && r.perm >= Permission::Read),
        _ => false,
    };
    if profile.is_staff || profile.is_manager || holds {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: gateway manager required",
        ))
    }
}

fn page<T: Clone>(
    items: &[T],
    keep: impl Fn(&T) -> bool,
    p: &ListCatalog,
) -> Result<Option<Page<T>>, UseCaseError> {
    let (size, skip) = paging(p.page_size, p.skip)?;
    let matching: Vec<T> = items.iter().filter(|i| keep(i)).cloned().collect();
    Ok(Page::of(matching, size, skip))
}

fn contains(haystack: &str, needle: Option<&str>) -> bool {
    needle.is_none_or(|n| haystack.to_lowercase().contains(&n.to_lowercase()))
}

/// `gatewayManager.services.list`; `None` when none match.
pub fn services(
    catalog: &Catalog,
    caller: &Caller,
    p: ListCatalog,
) -> Result<Option<Page<ServiceEntry>>, UseCaseError> {
    require_gateway_manager(caller)?;
    let keep =
        |s: &ServiceEntry| p.id.is_none_or(|id| id == s.id) && contains(&s.name, p.name.as_deref());
    page(&catalog.services, keep, &p)
}

/// `gatewayManager.routes.list`; `None` when none match.
pub fn routes(
    catalog: &Catalog,
    caller: &Caller,
    p: ListCatalog,
) -> Result<Option<Page<RouteEntry>>, UseCaseError> {
    require_gateway_manager(caller)?;
    let keep = |r: &RouteEntry| {
        p.id.is_none_or(|id| id == r.id)
            && (contains(&r.path, p.name.as_deref()) || contains(&r.service, p.name.as_deref()))
    };
    page(&catalog.routes, keep, &p)
}
