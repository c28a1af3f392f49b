//! The gateway's TOML configuration, in the shapes Mycelium users already write.
//!
//! `[api.services]` may use upstream's ergonomic form (`[[billing]]`, `[[billing.path]]`,
//! `[[billing.secret]]` after `[api.services]`) or the fully qualified one
//! (`[[api.services.billing]]`). Secret values are literals, `{ env = "VAR" }` or
//! `{ file = "path" }`. Upstream sections this gateway does not use are accepted with a
//! warning; inside services, routes and secrets every key must be known (a typo must not
//! silently change who gets in). Errors name the file, the key and what is wrong.
//!
//! ```
//! use myc_gateway::config::Config;
//! let config = Config::parse(r#"
//! [api.services]
//!
//! [[my-service]]
//! host = "localhost:3000"
//!
//! [[my-service.path]]
//! group = "public"
//! path = "/api/*"
//! methods = ["GET", "POST"]
//! "#, "config.toml", std::path::Path::new("."), &|_| None).unwrap();
//! assert_eq!(config.services[0].hosts, vec!["localhost:3000".to_owned()]);
//! ```

mod auth;
mod error;
mod nats;
mod store;
mod value;

use std::collections::BTreeMap;
use std::path::Path;

use myc_profile::SecurityGroup;
use serde::Deserialize;
use serde::de::IgnoredAny;
use zeroize::Zeroizing;

pub use auth::{AuthSettings, HmacKeys, InternalKey, Provider};
pub use error::{ConfigError, KeyError};
use myc_tower::routing::{Addressing, MethodSet, RouteError, RouteSpec, RouteTable};
pub use nats::{AllowRule, IssuerSettings, NatsSettings, RenewingSettings, Requester, TenantScope};
pub use store::{SQLITE_FILE, SecretsSettings, StoreLocation, StoreSettings};
pub use value::ValueSource;

/// Largest accepted config file.
pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

/// Top-level sections this gateway reads; others are reported as warnings.
const KNOWN_SECTIONS: [&str; 3] = ["api", "gateway", "nats"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawApi {
    #[serde(default)]
    service_ip: Option<String>,
    #[serde(default)]
    service_port: Option<u16>,
    #[serde(default)]
    gateway_timeout: Option<u64>,
    #[serde(default)]
    services: BTreeMap<String, Vec<RawService>>,
    #[serde(default)]
    service_workers: Option<usize>,
    #[serde(default)]
    logging: Option<crate::logging::RawLogging>,
    /// `tls = "disabled"` or `[api.tls.define] tlsCert / tlsKey`.
    #[serde(default)]
    tls: Option<RawApiTls>,
    /// Browser origins allowed to call the gateway (CORS).
    #[serde(default)]
    allowed_origins: Option<Vec<String>>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Hosts {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawService {
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
    // Upstream discovery metadata: accepted (so that upstream's files load under
    // `deny_unknown_fields`) and skipped without being stored.
    #[serde(default)]
    #[allow(dead_code)]
    id: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    health_status: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    discoverable: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    service_type: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    is_context_api: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    capabilities: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<IgnoredAny>,
    #[serde(default)]
    #[allow(dead_code)]
    openapi_path: Option<IgnoredAny>,
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

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGateway {
    /// `path` (default) or `service-prefix`.
    #[serde(default)]
    addressing: Option<String>,
    /// Active health checks.
    #[serde(default)]
    health: HealthPolicy,
    /// Proxy networks whose `X-Forwarded-For` is believed (CIDRs).
    #[serde(default)]
    trusted_proxies: Vec<String>,
    /// Who the gateway believes.
    #[serde(default)]
    auth: auth::RawAuth,
    /// Liveness path (`/health`; readiness at `{health_path}/ready`).
    #[serde(default)]
    health_path: Option<String>,
    /// Prometheus metrics path (`/metrics`).
    #[serde(default)]
    metrics_path: Option<String>,
    /// Where the embedded SQLite store lives (`data`, relative to the config file).
    #[serde(default)]
    data_dir: Option<String>,
    /// The identity store.
    #[serde(default)]
    store: store::RawStore,
    /// The master key of sealed secrets.
    #[serde(default)]
    secrets: Option<store::RawSecrets>,
    /// The Telegram identity source.
    #[serde(default)]
    telegram: Option<RawTelegram>,
    /// TLS towards upstreams and identity providers.
    #[serde(default)]
    tls: RawTls,
    /// Who may read metrics and readiness details.
    #[serde(default)]
    ops: RawOps,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C (30).
    #[serde(default)]
    shutdown_grace_secs: Option<u64>,
    /// Seconds an upgraded connection (WebSocket) may carry nothing before it is closed (300).
    #[serde(default)]
    upgrade_idle_secs: Option<u64>,
}

/// `[gateway.ops]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawOps {
    /// Client networks that may read them (default loopback only).
    #[serde(default)]
    allowed_sources: Option<Vec<String>>,
    /// A bearer token that also may.
    #[serde(default)]
    token: Option<ValueSource>,
    /// Whether readiness shows the store's error and each upstream host (default false).
    #[serde(default)]
    ready_details: bool,
}

/// Who may read the gateway's operational endpoints (`[gateway.ops]`): `{metrics_path}` and
/// the details of `{health_path}/ready`. Liveness and the readiness status stay open to
/// probes; everything else is refused (403) to other callers.
///
/// ```toml
/// [gateway.ops]
/// allowed_sources = ["127.0.0.0/8", "::1/128", "10.20.0.0/16"]   # default: loopback
/// token = { env = "MYC_OPS_TOKEN" }   # optional: `Authorization: Bearer …` also may
/// ready_details = false               # readiness names the store error and hosts only if true
/// ```
#[derive(Clone)]
pub struct OpsSettings {
    /// Client networks that may read them (the client address through trusted proxies).
    pub allowed_sources: Vec<myc_tower::client_addr::IpNet>,
    /// A bearer token that also may.
    pub token: Option<Zeroizing<String>>,
    /// Whether readiness shows details (to those allowed).
    pub ready_details: bool,
}

impl std::fmt::Debug for OpsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpsSettings")
            .field("allowed_sources", &self.allowed_sources)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ready_details", &self.ready_details)
            .finish()
    }
}

impl RawOps {
    fn resolve(
        &self,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<OpsSettings, KeyError> {
        let default = ["127.0.0.0/8".to_owned(), "::1/128".to_owned()];
        let sources = self.allowed_sources.as_deref().unwrap_or(&default);
        let mut allowed_sources = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            allowed_sources.push(source.parse().map_err(
                |m: myc_tower::client_addr::InvalidNetwork| {
                    KeyError::new(format!("gateway.ops.allowed_sources[{i}]"), m.to_string())
                },
            )?);
        }
        let token = match &self.token {
            None => None,
            Some(source) => {
                let token = source
                    .resolve(base, env)
                    .map_err(|m| KeyError::new("gateway.ops.token", m))?;
                if token.len() < 16 {
                    return Err(KeyError::new(
                        "gateway.ops.token",
                        "an ops token needs at least 16 characters",
                    ));
                }
                Some(token)
            }
        };
        Ok(OpsSettings {
            allowed_sources,
            token,
            ready_details: self.ready_details,
        })
    }
}

/// `[gateway.telegram]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    #[serde(default)]
    max_auth_age_secs: Option<u64>,
    #[serde(default)]
    login_ttl_secs: Option<u64>,
}

/// `[gateway.telegram]`, resolved: the Telegram identity source is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TelegramSettings {
    /// How old a Mini App `initData` may be (`auth_date`), in seconds (86,400).
    pub max_auth_age_secs: u64,
    /// Lifetime of the connection strings `login` issues, in seconds (86,400).
    pub login_ttl_secs: u64,
}

/// `[gateway.tls]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTls {
    /// PEM files (relative to the config file) whose certificates are trusted besides the
    /// system's roots: a private CA of HTTPS upstreams or identity providers.
    #[serde(default)]
    extra_roots: Vec<String>,
    /// The gateway's own certificate chain (PEM), to serve HTTPS.
    #[serde(default)]
    cert: Option<ValueSource>,
    /// Its private key (PEM).
    #[serde(default)]
    key: Option<ValueSource>,
}

/// Which browser origins may call the gateway (`[api] allowedOrigins`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Cors {
    /// None: no CORS headers, preflights are routed like any request (the default).
    #[default]
    Off,
    /// `["*"]`: any origin, without credentials (cookies); bearer tokens still work.
    Any,
    /// Exact origins (`scheme://host[:port]`), credentials allowed.
    Origins(Vec<http::HeaderValue>),
}

impl Cors {
    /// Parses the list; errors are (index, message).
    fn parse(list: Vec<String>) -> Result<Self, (usize, String)> {
        if list.is_empty() {
            return Ok(Self::Off);
        }
        if list.iter().any(|o| o == "*") {
            return match list.len() {
                1 => Ok(Self::Any),
                _ => Err((
                    list.iter().position(|o| o == "*").unwrap_or(0),
                    "\"*\" stands alone (it allows every origin)".into(),
                )),
            };
        }
        let mut origins = Vec::new();
        for (i, origin) in list.iter().enumerate() {
            let uri: http::Uri = origin
                .parse()
                .map_err(|_| (i, format!("{origin:?} is not an origin")))?;
            let exact = matches!(uri.scheme_str(), Some("http" | "https"))
                && uri.authority().is_some()
                && uri.path() == "/"
                && !origin.ends_with('/')
                && uri.query().is_none()
                && !origin.contains('*');
            if !exact {
                return Err((
                    i,
                    format!("{origin:?}: an origin is scheme://host[:port], nothing more"),
                ));
            }
            origins.push(
                http::HeaderValue::from_str(origin)
                    .map_err(|_| (i, format!("{origin:?} is not a header value")))?,
            );
        }
        Ok(Self::Origins(origins))
    }
}

/// `[api] tls`: upstream's shape.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawApiTls {
    /// `tls = "disabled"`.
    Word(String),
    /// `[api.tls.define]`.
    Define { define: RawTlsDefine },
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawTlsDefine {
    tls_cert: ValueSource,
    tls_key: ValueSource,
}

/// Where the certificate the gateway serves HTTPS with comes from (`[api.tls.define]
/// tlsCert / tlsKey`, or `[gateway.tls] cert / key`): value sources read again on every
/// reload, so a `{ file = … }` source picks up a renewed certificate.
#[derive(Clone, Debug)]
pub struct ServerTls {
    /// The certificate chain (PEM).
    pub cert: ValueSource,
    /// The private key (PEM).
    pub key: ValueSource,
    /// The config file's folder (relative file sources).
    pub base: std::path::PathBuf,
}

impl ServerTls {
    /// Reads the chain and the key (the process environment for `env` sources).
    pub fn load(&self) -> Result<(Zeroizing<String>, Zeroizing<String>), String> {
        let env = |name: &str| std::env::var(name).ok();
        let cert = self
            .cert
            .resolve(&self.base, &env)
            .map_err(|e| format!("certificate: {e}"))?;
        let key = self
            .key
            .resolve(&self.base, &env)
            .map_err(|e| format!("key: {e}"))?;
        Ok((cert, key))
    }

    /// The files its sources read (watched for changes).
    pub fn files(&self) -> Vec<std::path::PathBuf> {
        [&self.cert, &self.key]
            .into_iter()
            .filter_map(|source| match source {
                ValueSource::File { file } => Some(self.base.join(file)),
                _ => None,
            })
            .collect()
    }
}

/// Active health checks of hosts with a `healthCheckPath` (`[gateway.health]`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HealthPolicy {
    /// Milliseconds between probes (10,000).
    #[serde(default = "HealthPolicy::default_interval")]
    pub interval_ms: u64,
    /// Probe timeout in milliseconds (5,000).
    #[serde(default = "HealthPolicy::default_timeout")]
    pub timeout_ms: u64,
    /// Consecutive failures that take a host out (3).
    #[serde(default = "HealthPolicy::default_unhealthy")]
    pub unhealthy_threshold: u32,
    /// Consecutive successes that bring it back (2).
    #[serde(default = "HealthPolicy::default_healthy")]
    pub healthy_threshold: u32,
}

impl HealthPolicy {
    fn default_interval() -> u64 {
        10_000
    }
    fn default_timeout() -> u64 {
        5_000
    }
    fn default_unhealthy() -> u32 {
        3
    }
    fn default_healthy() -> u32 {
        2
    }
}

impl Default for HealthPolicy {
    fn default() -> Self {
        Self {
            interval_ms: Self::default_interval(),
            timeout_ms: Self::default_timeout(),
            unhealthy_threshold: Self::default_unhealthy(),
            healthy_threshold: Self::default_healthy(),
        }
    }
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
}

/// The validated configuration.
#[derive(Clone, Debug)]
pub struct Config {
    /// Listen address (`[api] serviceIp`, default 127.0.0.1).
    pub listen_ip: String,
    /// Listen port (`[api] servicePort`, default 8080).
    pub listen_port: u16,
    /// Upstream timeout in seconds (`[api] gatewayTimeout`, default 60).
    pub gateway_timeout: u64,
    /// Services in name order.
    pub services: Vec<Service>,
    /// Every route, keyed by `(service index << 16) | route index`.
    pub table: RouteTable,
    /// Active health checks.
    pub health: HealthPolicy,
    /// The gateway's liveness path (readiness at `{health_path}/ready`).
    pub health_path: String,
    /// The gateway's metrics path.
    pub metrics_path: String,
    /// Who may read metrics and readiness details (`[gateway.ops]`).
    pub ops: OpsSettings,
    /// HTTPS termination, if configured.
    pub server_tls: Option<ServerTls>,
    /// `[api] allowedOrigins`: who browsers may call the gateway from.
    pub cors: Cors,
    /// Worker threads of the runtime (`[api] serviceWorkers`; one per CPU when unset;
    /// `serve --workers` wins).
    pub service_workers: Option<usize>,
    /// `[api.logging]`.
    pub logging: crate::logging::LoggingSettings,
    /// How long in-flight requests may take to finish once a shutdown starts
    /// (`[gateway] shutdown_grace_secs`, default 30).
    pub shutdown_grace: std::time::Duration,
    /// How long an upgraded connection may stay silent (`[gateway] upgrade_idle_secs`, 300).
    pub upgrade_idle: std::time::Duration,
    /// `[gateway.auth]`, secrets resolved.
    pub auth: AuthSettings,
    /// Trusted proxy networks (`[gateway] trusted_proxies`).
    pub trusted_proxies: Vec<myc_tower::client_addr::IpNet>,
    /// The identity store (`[gateway] data_dir`, `[gateway.store]`).
    pub store: StoreSettings,
    /// `[gateway.secrets]`, if configured (sealed secrets, DEKs, `kek rotate`).
    pub secrets: Option<SecretsSettings>,
    /// PEM bundles trusted besides the system's roots (`[gateway.tls] extra_roots`), read at
    /// load time.
    pub tls_roots: Vec<Vec<u8>>,
    /// `[nats]`, if configured.
    pub nats: Option<NatsSettings>,
    /// `[gateway.telegram]`, if configured.
    pub telegram: Option<TelegramSettings>,
    /// What was accepted but is not used.
    pub warnings: Vec<String>,
}

/// Rewrites upstream's ergonomic service tables after `[api.services]` to their qualified form.
fn preprocess(text: &str) -> String {
    let mut in_services = false;
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') && !trimmed.starts_with("[[") {
            in_services = trimmed.starts_with("[api.services]");
        }
        match trimmed.strip_prefix("[[") {
            Some(rest) if in_services && !rest.trim_start().starts_with("api.") => {
                out.push_str("[[api.services.");
                out.push_str(rest.trim_start());
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

impl Config {
    /// Reads and validates `path`; environment values come from the process environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let err = |message: String| ConfigError {
            file: file.clone(),
            key: "(file)".into(),
            message,
        };
        let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
        if meta.len() > MAX_CONFIG_BYTES as u64 {
            return Err(err(format!("larger than {MAX_CONFIG_BYTES} bytes")));
        }
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, &file, base, &|name| std::env::var(name).ok())
    }

    /// Parses and validates `text` (named `file` in errors); `{ file = ... }` values are
    /// relative to `base`; `env` looks environment variables up.
    pub fn parse(
        text: &str,
        file: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        Self::resolve(text, base, env).map_err(|e| ConfigError::in_file(file, e))
    }

    /// Each section's resolver in turn; the first error wins.
    fn resolve(
        text: &str,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, KeyError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(KeyError::new(
                "(file)",
                format!("larger than {MAX_CONFIG_BYTES} bytes"),
            ));
        }
        let text = preprocess(text);
        let root: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| KeyError::new("(syntax)", e.message().to_owned()))?;
        let mut warnings = Vec::new();
        for key in root.keys() {
            if !KNOWN_SECTIONS.contains(&key.as_str()) {
                warnings.push(format!("[{key}] is not used by this gateway; ignored"));
            }
        }
        let mut api: RawApi = match root.get("api") {
            Some(value) => serde_path_to_error::deserialize(value.clone()).map_err(|e| {
                // `services.svc[0].path[1]` → `services.svc.path[1]` (one table per service).
                let mut path = e.path().to_string();
                if path.starts_with("services.") {
                    path = path.replacen("[0]", "", 1);
                }
                KeyError::new(format!("api.{path}"), e.into_inner().message().to_owned())
            })?,
            None => return Err(KeyError::new("api", "missing [api] section")),
        };
        for key in api.other.keys() {
            warnings.push(format!("api.{key} is not used by this gateway; ignored"));
        }
        let cors = Cors::parse(api.allowed_origins.take().unwrap_or_default())
            .map_err(|(i, message)| KeyError::new(format!("api.allowedOrigins[{i}]"), message))?;
        let logging = api
            .logging
            .take()
            .map(|raw| raw.resolve(base))
            .transpose()?
            .unwrap_or_default();
        if api.service_workers == Some(0) {
            return Err(KeyError::new("api.serviceWorkers", "must be at least 1"));
        }
        let gateway: RawGateway = match root.get("gateway") {
            Some(value) => serde_path_to_error::deserialize(value.clone()).map_err(|e| {
                let path = e.path().to_string();
                KeyError::new(
                    format!("gateway.{path}"),
                    e.into_inner().message().to_owned(),
                )
            })?,
            None => RawGateway::default(),
        };
        let addressing = match gateway.addressing.as_deref() {
            None | Some("path") => Addressing::FullPath,
            Some("service-prefix") => Addressing::ServicePrefix,
            Some(other) => {
                return Err(KeyError::new(
                    "gateway.addressing",
                    format!("{other:?} is neither \"path\" nor \"service-prefix\""),
                ));
            }
        };

        let trusted_proxies = gateway
            .trusted_proxies
            .iter()
            .enumerate()
            .map(|(i, s)| {
                s.parse()
                    .map_err(|m: myc_tower::client_addr::InvalidNetwork| {
                        KeyError::new(format!("gateway.trusted_proxies[{i}]"), m.to_string())
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if gateway.health.interval_ms == 0 || gateway.health.timeout_ms == 0 {
            return Err(KeyError::new(
                "gateway.health",
                "interval_ms and timeout_ms must be positive",
            ));
        }
        let auth = gateway.auth.resolve(base, env)?;
        let store = store::resolve_store(gateway.data_dir.as_deref(), &gateway.store, base, env)?;
        let server_tls = match (api.tls.take(), &gateway.tls.cert, &gateway.tls.key) {
            (Some(RawApiTls::Word(word)), None, None) if word == "disabled" => None,
            (Some(RawApiTls::Word(word)), _, _) if word != "disabled" => {
                return Err(KeyError::new(
                    "api.tls",
                    format!("{word:?}: expected \"disabled\" or [api.tls.define]"),
                ));
            }
            (Some(RawApiTls::Define { define }), None, None) => Some(ServerTls {
                cert: define.tls_cert,
                key: define.tls_key,
                base: base.to_owned(),
            }),
            (None, Some(cert), Some(key)) => Some(ServerTls {
                cert: cert.clone(),
                key: key.clone(),
                base: base.to_owned(),
            }),
            (None, None, None) => None,
            (None, _, _) => {
                return Err(KeyError::new("gateway.tls", "cert and key go together"));
            }
            (Some(_), _, _) => {
                return Err(KeyError::new(
                    "gateway.tls",
                    "set the certificate in [api.tls.define] or [gateway.tls], not both",
                ));
            }
        };
        if let Some(tls) = &server_tls {
            crate::server::tls::Acceptor::new(Box::new({
                let tls = tls.clone();
                move || tls.load()
            }))
            .map_err(|e| KeyError::new("api.tls", e.to_string()))?;
        }
        let ops = gateway.ops.resolve(base, env)?;
        let nats = match root.get("nats") {
            Some(value) => {
                let raw: nats::RawNats =
                    serde_path_to_error::deserialize(value.clone()).map_err(|e| {
                        let path = e.path().to_string();
                        KeyError::new(format!("nats.{path}"), e.into_inner().message().to_owned())
                    })?;
                Some(nats::resolve(&raw, base, env)?)
            }
            None => None,
        };
        let mut tls_roots = Vec::new();
        for (i, file) in gateway.tls.extra_roots.iter().enumerate() {
            let path = base.join(file);
            let pem = std::fs::read(&path).map_err(|e| {
                KeyError::new(
                    format!("gateway.tls.extra_roots[{i}]"),
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
                return Err(KeyError::new(
                    format!("gateway.tls.extra_roots[{i}]"),
                    format!("{} holds no PEM certificate", path.display()),
                ));
            }
            tls_roots.push(pem);
        }
        let secrets = gateway
            .secrets
            .as_ref()
            .map(|raw| store::resolve_secrets(raw, base, env))
            .transpose()?;
        let telegram = match &gateway.telegram {
            None => None,
            Some(raw) => {
                if secrets.is_none() {
                    return Err(KeyError::new(
                        "gateway.telegram",
                        "bot tokens are stored sealed: configure [gateway.secrets]",
                    ));
                }
                if auth.connection_strings.is_none() {
                    return Err(KeyError::new(
                        "gateway.telegram",
                        "login issues connection strings: configure [gateway.auth.connection_strings]",
                    ));
                }
                let settings = TelegramSettings {
                    max_auth_age_secs: raw.max_auth_age_secs.unwrap_or(86_400),
                    login_ttl_secs: raw.login_ttl_secs.unwrap_or(86_400),
                };
                if settings.max_auth_age_secs == 0 || settings.login_ttl_secs < 60 {
                    return Err(KeyError::new(
                        "gateway.telegram",
                        "max_auth_age_secs must be positive and login_ttl_secs at least 60",
                    ));
                }
                Some(settings)
            }
        };
        let mut services = Vec::new();
        let mut specs = Vec::new();
        for (name, mut defs) in api.services {
            let key = format!("api.services.{name}");
            if defs.len() != 1 {
                return Err(KeyError::new(&key, "service defined more than once"));
            }
            let raw = defs.remove(0);
            let service_index = services.len();
            if raw.proxy_address.is_some() {
                warnings.push(format!("{key}.proxyAddress is not supported; ignored"));
            }
            let hosts = match (raw.host, raw.hosts) {
                (Some(_), Some(_)) => {
                    return Err(KeyError::new(&key, "set host or hosts, not both"));
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
            let allowed_sources = raw.allowed_sources.unwrap_or_default();
            let mut secrets = BTreeMap::new();
            for (i, secret) in raw.secret.into_iter().enumerate() {
                let skey = format!("{key}.secret[{i}]");
                let injection = match (secret.query_parameter, secret.authorization_header) {
                    (Some(q), None) => SecretInjection::Query {
                        name: q.name,
                        token: q.token.resolve(base, env).map_err(|m| {
                            KeyError::new(format!("{skey}.queryParameter.token"), m)
                        })?,
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
            let mut routes = Vec::new();
            for (i, route) in raw.path.into_iter().enumerate() {
                let rkey = format!("{key}.path[{i}]");
                let methods = MethodSet::parse(&route.methods)
                    .map_err(|m| KeyError::new(format!("{rkey}.methods"), m.to_string()))?;
                if let Some(secret) = &route.secret_name
                    && !secrets.contains_key(secret)
                {
                    return Err(KeyError::new(
                        format!("{rkey}.secretName"),
                        format!("secret {secret:?} is not defined in [[{name}.secret]]"),
                    ));
                }
                if route.identity_source.is_some() && allowed_sources.is_empty() {
                    return Err(KeyError::new(
                        format!("{rkey}.identitySource"),
                        format!("identitySource needs allowedSources on service {name:?}"),
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
                if route.callbacks.is_some() {
                    warnings.push(format!("{rkey}.callbacks are not supported; ignored"));
                }
                specs.push(RouteSpec::new(
                    name.clone(),
                    route.path.clone(),
                    methods.clone(),
                    (service_index << 16) | i,
                ));
                routes.push(Route {
                    pattern: route.path,
                    methods,
                    group: route.group,
                    secret: route.secret_name,
                    accept_insecure_routing: route.accept_insecure_routing,
                    identity_source,
                });
            }
            services.push(Service {
                name,
                hosts,
                protocol: raw.protocol.unwrap_or_default(),
                health_check_path: raw.health_check_path,
                allowed_sources,
                routes,
                secrets,
            });
        }
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
        let table = RouteTable::build(addressing, specs).map_err(|e| match e {
            RouteError::Ambiguous(a, b) => KeyError::new(
                key_of(&a),
                format!(
                    "overlaps {} ({b:?}) with the same methods and specificity",
                    key_of(&b)
                ),
            ),
            other => KeyError::new("api.services", other.to_string()),
        })?;
        Ok(Self {
            listen_ip: api.service_ip.unwrap_or_else(|| "127.0.0.1".into()),
            listen_port: api.service_port.unwrap_or(8080),
            gateway_timeout: api.gateway_timeout.unwrap_or(60),
            services,
            table,
            health: gateway.health,
            health_path: gateway.health_path.unwrap_or_else(|| "/health".into()),
            metrics_path: gateway.metrics_path.unwrap_or_else(|| "/metrics".into()),
            ops,
            server_tls,
            cors,
            service_workers: api.service_workers,
            logging,
            shutdown_grace: std::time::Duration::from_secs(
                gateway.shutdown_grace_secs.unwrap_or(30),
            ),
            upgrade_idle: std::time::Duration::from_secs(
                gateway.upgrade_idle_secs.unwrap_or(300).max(1),
            ),
            auth,
            trusted_proxies,
            store,
            secrets,
            tls_roots,
            nats,
            telegram,
            warnings,
        })
    }
}
