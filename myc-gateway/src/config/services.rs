//! `[api.services]`: upstream services with their hosts, secrets and routes, and the route
//! table built from them. Errors name the key (`api.services.billing.path[2].methods`).

use std::collections::BTreeMap;
use std::path::Path;

use myc_profile::SecurityGroup;
use myc_tower::routing::{Addressing, MethodSet, RouteError, RouteSpec, RouteTable};
use serde::Deserialize;
use serde::de::IgnoredAny;
use zeroize::Zeroizing;

use super::{KeyError, ValueSource};

type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

#[derive(Deserialize)]
#[serde(untagged)]
enum Hosts {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawService {
    #[serde(default)]
    host: Option<Hosts>,
    #[serde(default)]
    hosts: Option<Hosts>,
    #[serde(default)]
    protocol: Option<Protocol>,
    #[serde(default)]
    health_check_path: Option<String>,
    #[serde(default)]
    allowed_sources: Option<Vec<String>>,
    #[serde(default)]
    proxy_address: Option<String>,
    // Upstream's `id` and `healthStatus`: accepted (so that upstream's files load under
    // `deny_unknown_fields`) and skipped; the discovery keys below are kept.
    #[serde(default)]
    #[allow(dead_code)]
    id: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    health_status: Option<IgnoredAny>,
    #[serde(default)]
    discoverable: Option<bool>,
    #[serde(default)]
    service_type: Option<String>,
    #[serde(default)]
    is_context_api: Option<bool>,
    #[serde(default)]
    capabilities: Option<Vec<String>>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    openapi_path: Option<String>,
    #[serde(default, alias = "routes")]
    path: Vec<RawRoute>,
    #[serde(default, alias = "secrets")]
    secret: Vec<RawSecret>,
}

/// Upstream protocol names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// Plain HTTP/1.1.
    #[default]
    Http,
    /// HTTPS: HTTP/2 or HTTP/1.1 as ALPN chooses.
    Https,
    /// HTTP/2 with prior knowledge (h2c).
    Http2,
    /// gRPC: HTTP/2 with prior knowledge (h2c), trailers kept.
    Grpc,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawRoute {
    // Upstream's route id: accepted, skipped.
    #[serde(default)]
    #[allow(dead_code)]
    id: Option<IgnoredAny>,
    path: String,
    methods: Vec<String>,
    #[serde(alias = "securityGroup")]
    group: SecurityGroup,
    #[serde(default)]
    secret_name: Option<String>,
    #[serde(default)]
    accept_insecure_routing: bool,
    #[serde(default)]
    callbacks: Option<Vec<String>>,
    #[serde(default)]
    identity_source: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawSecret {
    name: String,
    #[serde(default)]
    query_parameter: Option<RawQuerySecret>,
    #[serde(default)]
    authorization_header: Option<RawHeaderSecret>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuerySecret {
    name: String,
    token: ValueSource,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawHeaderSecret {
    /// `headerName`, or `name` as upstream's docs write it.
    #[serde(default, alias = "name")]
    header_name: Option<String>,
    #[serde(default)]
    prefix: Option<String>,
    token: ValueSource,
}

/// How a secret reaches the upstream.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretInjection {
    /// Sets query parameter `name` (the client's other parameters are kept).
    Query {
        /// Parameter name.
        name: String,
        /// Value.
        token: Zeroizing<String>,
    },
    /// Replaces header `header` with `"{prefix} {token}"`.
    Header {
        /// Header name (default `Authorization`).
        header: http::HeaderName,
        /// Prefix (default `Bearer`; empty for none).
        prefix: String,
        /// Value.
        token: Zeroizing<String>,
    },
}

impl std::fmt::Debug for SecretInjection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Query { name, .. } => write!(f, "Query({name}, <redacted>)"),
            Self::Header { header, .. } => write!(f, "Header({header}, <redacted>)"),
        }
    }
}

/// A route after validation.
#[derive(Clone, Debug)]
pub struct Route {
    /// Wildmatch pattern.
    pub pattern: String,
    /// Methods.
    pub methods: MethodSet,
    /// Security group.
    pub group: SecurityGroup,
    /// Secret to inject, by name (defined on the service).
    pub secret: Option<String>,
    /// Allows secret injection over plain HTTP.
    pub accept_insecure_routing: bool,
    /// Where the caller's identity comes from instead of credential headers.
    pub identity_source: Option<IdentitySource>,
    /// Callbacks run after its responses, by name (`callbacks`).
    pub callbacks: Vec<String>,
}

/// A body-based identity source (`identitySource`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdentitySource {
    /// A Telegram webhook update: the secret-token header proves Telegram sent it, the
    /// update's sender is the linked account.
    Telegram,
}

/// A service after validation.
#[derive(Clone, Debug)]
pub struct Service {
    /// Name (the table key).
    pub name: String,
    /// `host:port` of each upstream.
    pub hosts: Vec<String>,
    /// Protocol.
    pub protocol: Protocol,
    /// Active health check path, if any.
    pub health_check_path: Option<String>,
    /// Client address patterns allowed (checked against the client address, never `Host`).
    pub allowed_sources: Vec<String>,
    /// Routes.
    pub routes: Vec<Route>,
    /// Secrets by name.
    pub secrets: BTreeMap<String, SecretInjection>,
    /// What it tells discovery clients and AI agents.
    pub discovery: Discovery,
}

/// A service's discovery metadata (upstream's keys `discoverable`, `description`,
/// `openapiPath`, `capabilities`, `serviceType`, `isContextApi`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Listed by `service.listDiscoverableServices` (needs a description and an OpenAPI path).
    pub discoverable: bool,
    /// What it does, for people and agents.
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

/// Every service (in name order) and the route table of all their routes.
pub(super) fn resolve(
    raw: BTreeMap<String, Vec<RawService>>,
    addressing: Addressing,
    base: &Path,
    env: Env<'_>,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Service>, RouteTable), KeyError> {
    let mut services = Vec::new();
    let mut specs = Vec::new();
    for (name, mut defs) in raw {
        let key = format!("api.services.{name}");
        if defs.len() != 1 {
            return Err(KeyError::new(&key, "service defined more than once"));
        }
        let index = services.len();
        let service = service(name, &key, defs.remove(0), base, env, warnings)?;
        for (i, route) in service.routes.iter().enumerate() {
            specs.push(RouteSpec::new(
                service.name.clone(),
                route.pattern.clone(),
                route.methods.clone(),
                (index << 16) | i,
            ));
        }
        services.push(service);
    }
    let table = table(addressing, specs, &services)?;
    Ok((services, table))
}

fn service(
    name: String,
    key: &str,
    raw: RawService,
    base: &Path,
    env: Env<'_>,
    warnings: &mut Vec<String>,
) -> Result<Service, KeyError> {
    if raw.proxy_address.is_some() {
        warnings.push(format!("{key}.proxyAddress is not supported; ignored"));
    }
    let hosts = hosts(key, raw.host, raw.hosts)?;
    let allowed_sources = raw.allowed_sources.unwrap_or_default();
    let secrets = secrets(key, raw.secret, base, env)?;
    let mut routes = Vec::new();
    for (i, route) in raw.path.into_iter().enumerate() {
        let rkey = format!("{key}.path[{i}]");
        let context = RouteContext {
            service: &name,
            secrets: &secrets,
            has_allowed_sources: !allowed_sources.is_empty(),
        };
        routes.push(self::route(&rkey, route, &context)?);
    }
    let discovery = Discovery {
        discoverable: raw.discoverable.unwrap_or(false),
        description: raw.description,
        openapi_path: raw.openapi_path,
        capabilities: raw.capabilities.unwrap_or_default(),
        service_type: raw.service_type,
        is_context_api: raw.is_context_api.unwrap_or(false),
    };
    if discovery.discoverable
        && (discovery.description.is_none() || discovery.openapi_path.is_none())
    {
        warnings.push(format!(
            "{key}: discoverable services need description and openapiPath; not listed"
        ));
    }
    Ok(Service {
        name,
        hosts,
        protocol: raw.protocol.unwrap_or_default(),
        health_check_path: raw.health_check_path,
        allowed_sources,
        routes,
        secrets,
        discovery,
    })
}

fn hosts(key: &str, host: Option<Hosts>, many: Option<Hosts>) -> Result<Vec<String>, KeyError> {
    let hosts: Vec<String> = match (host, many) {
        (Some(_), Some(_)) => {
            return Err(KeyError::new(key, "set host or hosts, not both"));
        }
        (Some(Hosts::One(h)), None) | (None, Some(Hosts::One(h))) => vec![h],
        (Some(Hosts::Many(h)), None) | (None, Some(Hosts::Many(h))) => h,
        (None, None) => return Err(KeyError::new(format!("{key}.host"), "missing")),
    };
    for (i, host) in hosts.iter().enumerate() {
        let ok = host
            .rsplit_once(':')
            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok_and(|p| p > 0));
        if !ok {
            return Err(KeyError::new(
                format!("{key}.hosts[{i}]"),
                format!("{host:?} must be host:port"),
            ));
        }
    }
    Ok(hosts)
}

fn secrets(
    key: &str,
    raw: Vec<RawSecret>,
    base: &Path,
    env: Env<'_>,
) -> Result<BTreeMap<String, SecretInjection>, KeyError> {
    let mut secrets = BTreeMap::new();
    for (i, secret) in raw.into_iter().enumerate() {
        let skey = format!("{key}.secret[{i}]");
        let injection = match (secret.query_parameter, secret.authorization_header) {
            (Some(q), None) => SecretInjection::Query {
                name: q.name,
                token: q
                    .token
                    .resolve(base, env)
                    .map_err(|m| KeyError::new(format!("{skey}.queryParameter.token"), m))?,
            },
            (None, Some(h)) => {
                let header_name = h.header_name.unwrap_or_else(|| "Authorization".into());
                let header =
                    http::HeaderName::from_bytes(header_name.as_bytes()).map_err(|_| {
                        KeyError::new(
                            format!("{skey}.authorizationHeader.headerName"),
                            format!("{header_name:?} is not a header name"),
                        )
                    })?;
                SecretInjection::Header {
                    header,
                    // "Bearer " (upstream's docs) and "Bearer" inject the same value.
                    prefix: h
                        .prefix
                        .map_or_else(|| "Bearer".into(), |p| p.trim().to_owned()),
                    token: h.token.resolve(base, env).map_err(|m| {
                        KeyError::new(format!("{skey}.authorizationHeader.token"), m)
                    })?,
                }
            }
            _ => {
                return Err(KeyError::new(
                    skey,
                    "set exactly one of queryParameter or authorizationHeader",
                ));
            }
        };
        if secrets.insert(secret.name.clone(), injection).is_some() {
            return Err(KeyError::new(
                skey,
                format!("secret {:?} defined twice", secret.name),
            ));
        }
    }
    Ok(secrets)
}

/// What a route is checked against.
struct RouteContext<'a> {
    service: &'a str,
    secrets: &'a BTreeMap<String, SecretInjection>,
    has_allowed_sources: bool,
}

fn route(rkey: &str, route: RawRoute, cx: &RouteContext<'_>) -> Result<Route, KeyError> {
    let methods = MethodSet::parse(&route.methods)
        .map_err(|m| KeyError::new(format!("{rkey}.methods"), m.to_string()))?;
    if let Some(secret) = &route.secret_name
        && !cx.secrets.contains_key(secret)
    {
        return Err(KeyError::new(
            format!("{rkey}.secretName"),
            format!(
                "secret {secret:?} is not defined in [[{}.secret]]",
                cx.service
            ),
        ));
    }
    if route.identity_source.is_some() && !cx.has_allowed_sources {
        return Err(KeyError::new(
            format!("{rkey}.identitySource"),
            format!(
                "identitySource needs allowedSources on service {:?}",
                cx.service
            ),
        ));
    }
    let identity_source = match &route.identity_source {
        None => None,
        Some(toml::Value::String(v)) if v == "telegram" => {
            if route.group == SecurityGroup::Public {
                return Err(KeyError::new(
                    format!("{rkey}.identitySource"),
                    "a telegram route needs a group that takes an identity (authenticated, protected, protectedByRoles)",
                ));
            }
            Some(IdentitySource::Telegram)
        }
        Some(other) => {
            return Err(KeyError::new(
                format!("{rkey}.identitySource"),
                format!("{other} is not a known identity source (\"telegram\")"),
            ));
        }
    };
    Ok(Route {
        pattern: route.path,
        methods,
        group: route.group,
        secret: route.secret_name,
        accept_insecure_routing: route.accept_insecure_routing,
        identity_source,
        callbacks: route.callbacks.unwrap_or_default(),
    })
}

/// Every callback a route names is defined.
pub(super) fn check_callbacks(
    services: &[Service],
    callbacks: &super::CallbackSettings,
) -> Result<(), KeyError> {
    for service in services {
        for (i, route) in service.routes.iter().enumerate() {
            for name in &route.callbacks {
                if !callbacks.definitions.iter().any(|c| &c.name == name) {
                    return Err(KeyError::new(
                        format!("api.services.{}.path[{i}].callbacks", service.name),
                        format!("callback {name:?} is not defined in [[callback]]"),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The table; an ambiguity names both routes by key.
fn table(
    addressing: Addressing,
    specs: Vec<RouteSpec>,
    services: &[Service],
) -> Result<RouteTable, KeyError> {
    let key_of = |pattern: &str| {
        services
            .iter()
            .find_map(|s| {
                s.routes
                    .iter()
                    .position(|r| r.pattern == pattern)
                    .map(|i| format!("api.services.{}.path[{i}]", s.name))
            })
            .unwrap_or_else(|| "api.services".into())
    };
    RouteTable::build(addressing, specs).map_err(|e| match e {
        RouteError::Ambiguous(a, b) => KeyError::new(
            key_of(&a),
            format!(
                "overlaps {} ({b:?}) with the same methods and specificity",
                key_of(&b)
            ),
        ),
        other => KeyError::new("api.services", other.to_string()),
    })
}
