//! Which of the configuration's operations agents may see: the discoverable services, their
//! OpenAPI documents' addresses, and where a tool's request goes on the gateway.

use myc_tower::routing::{Addressing, RouteTable};
use serde_json::Value;

use crate::config::{Config, Protocol};

/// A discoverable service whose OpenAPI document is fetched.
#[derive(Clone, Debug)]
pub(crate) struct Source {
    pub(crate) service: String,
    /// `http(s)://host:port/openapiPath` of each host, tried in order.
    pub(crate) urls: Vec<String>,
}

/// What the MCP endpoint needs of the configuration (taken before it is moved into the
/// gateway's build).
#[derive(Clone, Debug)]
pub struct McpCatalog {
    pub(crate) sources: Vec<Source>,
    table: RouteTable,
    /// Security group of each route, by `(service << 16) | route` key.
    groups: Vec<Vec<Value>>,
}

impl McpCatalog {
    /// The discoverable services of `config` with an `openapiPath`, and its routes.
    pub fn new(config: &Config) -> Self {
        let sources = config
            .services
            .iter()
            .filter(|s| s.discovery.discoverable)
            .filter_map(|s| {
                let path = s.discovery.openapi_path.as_deref()?;
                let scheme = if s.protocol == Protocol::Https {
                    "https"
                } else {
                    "http"
                };
                let path = if path.starts_with('/') {
                    path.to_owned()
                } else {
                    format!("/{path}")
                };
                Some(Source {
                    service: s.name.clone(),
                    urls: s
                        .hosts
                        .iter()
                        .map(|h| format!("{scheme}://{h}{path}"))
                        .collect(),
                })
            })
            .collect();
        let groups = config
            .services
            .iter()
            .map(|s| {
                s.routes
                    .iter()
                    .map(|r| serde_json::to_value(&r.group).unwrap_or(Value::Null))
                    .collect()
            })
            .collect();
        Self {
            sources,
            table: config.table.clone(),
            groups,
        }
    }

    /// The gateway path of `service`'s operation path `path` (the service's prefix first
    /// under `service-prefix` addressing).
    pub(crate) fn gateway_path(&self, service: &str, path: &str) -> String {
        match self.table.addressing() {
            Addressing::ServicePrefix => format!("/{service}{path}"),
            _ => path.to_owned(),
        }
    }

    /// The security group of `service`'s route serving `method path` (a path template),
    /// `None` when no route of that service does.
    pub(crate) fn route_of(&self, service: &str, method: &str, path: &str) -> Option<Value> {
        let method = http::Method::from_bytes(method.as_bytes()).ok()?;
        let gateway_path = self.gateway_path(service, path);
        let hit = self.table.find(&method, &gateway_path).ok()?;
        if hit.route.service != service {
            return None;
        }
        self.groups
            .get(hit.route.key >> 16)?
            .get(hit.route.key & 0xffff)
            .cloned()
    }
}
