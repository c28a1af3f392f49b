//! What the host routes, as `gatewayManager.routes.list` and `gatewayManager.services.list`
//! answer it: services and routes without secrets or upstream addresses. The host (the
//! gateway) builds it from its configuration and hands it to
//! [`Api::with_catalog`](crate::rpc::Api::with_catalog); ids are derived from names, so they
//! stay the same across restarts and replicas.

use serde::Serialize;
use uuid::Uuid;

/// The namespace of catalog ids (UUID v5 of a service's name, of a route's service, path and
/// methods).
const NAMESPACE: Uuid = Uuid::from_u128(0x6d79_632d_6361_7461_6c6f_6700_0000_0001);

/// A routed service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceEntry {
    /// Stable id (from the name).
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// How the gateway talks to it (`http`, `https`, `http2`, `grpc`).
    pub protocol: String,
    /// How many upstream hosts serve it.
    pub hosts: usize,
    /// Its active health-check path, if any.
    pub health_check_path: Option<String>,
    /// Listed for discovery clients and AI agents (`service.listDiscoverableServices`).
    pub discoverable: bool,
    /// What it does.
    pub description: Option<String>,
    /// Where its OpenAPI document is, on the service.
    pub openapi_path: Option<String>,
    /// Capability tags.
    pub capabilities: Vec<String>,
    /// Its kind (`rest-api`, …).
    pub service_type: Option<String>,
    /// A context API (listed apart from tools).
    pub is_context_api: bool,
}

impl ServiceEntry {
    /// A service entry, its id derived from `name`.
    pub fn new(
        name: &str,
        protocol: &str,
        hosts: usize,
        health_check_path: Option<String>,
    ) -> Self {
        Self {
            id: Uuid::new_v5(&NAMESPACE, name.as_bytes()),
            name: name.to_owned(),
            protocol: protocol.to_owned(),
            hosts,
            health_check_path,
            discoverable: false,
            description: None,
            openapi_path: None,
            capabilities: Vec::new(),
            service_type: None,
            is_context_api: false,
        }
    }
}

/// A route of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteEntry {
    /// Stable id (from service, path and methods).
    pub id: Uuid,
    /// The service's name.
    pub service: String,
    /// The path pattern.
    pub path: String,
    /// The methods it allows.
    pub methods: Vec<String>,
    /// Its security group, as upstream writes it.
    pub security_group: serde_json::Value,
}

impl RouteEntry {
    /// A route entry, its id derived from service, path and methods.
    pub fn new(
        service: &str,
        path: &str,
        methods: Vec<String>,
        security_group: serde_json::Value,
    ) -> Self {
        let key = format!("{service}\n{path}\n{}", methods.join(","));
        Self {
            id: Uuid::new_v5(&NAMESPACE, key.as_bytes()),
            service: service.to_owned(),
            path: path.to_owned(),
            methods,
            security_group,
        }
    }
}

/// Every service and route the host serves.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Services, by name.
    pub services: Vec<ServiceEntry>,
    /// Routes, in matching order.
    pub routes: Vec<RouteEntry>,
}
