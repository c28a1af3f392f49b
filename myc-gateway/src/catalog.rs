//! The configuration's services and routes as the admin API lists them
//! (`gatewayManager.services.list`, `gatewayManager.routes.list`): no hosts, no secrets.

use myc_directory::catalog::{Catalog, RouteEntry, ServiceEntry};

use crate::config::{Config, Protocol};

/// The methods a route may allow, in the order listed.
const METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE",
];

fn protocol(p: Protocol) -> &'static str {
    match p {
        Protocol::Http => "http",
        Protocol::Https => "https",
        Protocol::Http2 => "http2",
        Protocol::Grpc => "grpc",
    }
}

/// The catalog of `config`.
pub fn catalog(config: &Config) -> Catalog {
    let mut catalog = Catalog::default();
    for service in &config.services {
        let discovery = &service.discovery;
        catalog.services.push(ServiceEntry {
            discoverable: discovery.discoverable,
            description: discovery.description.clone(),
            openapi_path: discovery.openapi_path.clone(),
            capabilities: discovery.capabilities.clone(),
            service_type: discovery.service_type.clone(),
            is_context_api: discovery.is_context_api,
            ..ServiceEntry::new(
                &service.name,
                protocol(service.protocol),
                service.hosts.len(),
                service.health_check_path.clone(),
            )
        });
        for route in &service.routes {
            let methods = METHODS
                .iter()
                .filter(|m| m.parse().is_ok_and(|m| route.methods.allows(&m)))
                .map(|m| (*m).to_owned())
                .collect();
            let group = serde_json::to_value(&route.group).unwrap_or(serde_json::Value::Null);
            catalog.routes.push(RouteEntry::new(
                &service.name,
                &route.pattern,
                methods,
                group,
            ));
        }
    }
    catalog
}
