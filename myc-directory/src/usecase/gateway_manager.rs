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

/// `gatewayManager.tools.list` params.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListTools {
    /// Only tools whose name or description contains this (any case).
    #[serde(default)]
    pub query: Option<String>,
    /// Only this HTTP method.
    #[serde(default)]
    pub method: Option<String>,
    /// Page size (default 20, at most 100).
    #[serde(default)]
    pub page_size: Option<u32>,
    /// How many to skip.
    #[serde(default)]
    pub skip: Option<u32>,
}

/// `gatewayManager.tools.list`: the operations AI agents are offered; `None` when none match.
pub fn tools(
    tools: &crate::tools::Tools,
    caller: &Caller,
    p: ListTools,
) -> Result<Option<Page<crate::tools::ToolOperation>>, UseCaseError> {
    require_gateway_manager(caller)?;
    let (size, skip) = paging(p.page_size, p.skip)?;
    let matching: Vec<_> = tools
        .all()
        .iter()
        .filter(|t| {
            p.method
                .as_deref()
                .is_none_or(|m| t.method.eq_ignore_ascii_case(m))
                && (contains(&t.name, p.query.as_deref())
                    || contains(&t.description, p.query.as_deref()))
        })
        .cloned()
        .collect();
    Ok(Page::of(matching, size, skip))
}

/// `service.listDiscoverableServices` params.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListDiscoverable {
    /// Only this service.
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Only names containing this.
    #[serde(default)]
    pub name: Option<String>,
}

/// A discoverable service as agents see it (upstream's `Tool`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tool {
    /// The service's name (its gateway path prefix).
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its kind (`unknown` when not set).
    pub tool_type: String,
    /// A context API.
    pub is_context_api: bool,
    /// Capability tags.
    pub capabilities: Vec<String>,
    /// Its OpenAPI document through the gateway: `/{service}/{openapiPath}`.
    pub openapi_path: String,
    /// The gateway's view of its health (`unknown`: not reported here).
    pub health_status: String,
}

/// What `service.listDiscoverableServices` answers.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Discoverable {
    /// What the list is.
    pub description: &'static str,
    /// Context APIs.
    pub contexts: Vec<Tool>,
    /// When health was last checked (not reported here).
    pub last_updated: Option<String>,
    /// Tools.
    pub tools: Vec<Tool>,
}

/// `service.listDiscoverableServices`: services marked `discoverable` with a description and
/// an OpenAPI path, for any signed-in caller; `None` when there are none.
pub fn discoverable(
    catalog: &Catalog,
    _caller: &Caller,
    p: ListDiscoverable,
) -> Result<Option<Discoverable>, UseCaseError> {
    let tools: Vec<Tool> = catalog
        .services
        .iter()
        .filter(|s| s.discoverable)
        .filter(|s| p.id.is_none_or(|id| id == s.id) && contains(&s.name, p.name.as_deref()))
        .filter_map(|s| {
            Some(Tool {
                name: s.name.clone(),
                description: s.description.clone()?,
                tool_type: s.service_type.clone().unwrap_or_else(|| "unknown".into()),
                is_context_api: s.is_context_api,
                capabilities: s.capabilities.clone(),
                openapi_path: format!(
                    "/{}/{}",
                    s.name.trim_end_matches('/'),
                    s.openapi_path.as_deref()?.trim_start_matches('/')
                ),
                health_status: "unknown".into(),
            })
        })
        .collect();
    if tools.is_empty() {
        return Ok(None);
    }
    let (contexts, tools) = tools.into_iter().partition(|t| t.is_context_api);
    Ok(Some(Discoverable {
        description: "Describe public services, including the context where the service should run",
        contexts,
        last_updated: None,
        tools,
    }))
}
