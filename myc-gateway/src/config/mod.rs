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
mod callbacks;
mod cors;
mod error;
mod mail;
mod nats;
mod ops;
mod services;
mod store;
mod telegram;
mod tls;
mod upstream_auth;
mod value;
mod webhook;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

pub use auth::{AuthSettings, HmacKeys, InternalKey, Provider};
pub use callbacks::CallbackSettings;
pub use cors::Cors;
pub use error::{ConfigError, KeyError};
pub use mail::{MailSettings, SmtpSecurity};
use myc_tower::routing::{Addressing, RouteTable};
pub use nats::{AllowRule, IssuerSettings, NatsSettings, RenewingSettings, Requester, TenantScope};
pub use ops::OpsSettings;
pub use services::{Discovery, IdentitySource, Protocol, Route, SecretInjection, Service};
pub use store::{SQLITE_FILE, SecretsSettings, StoreLocation, StoreSettings};
pub use telegram::TelegramSettings;
pub use tls::ServerTls;
pub use upstream_auth::{TokenLifetimes, UPSTREAM_ISSUER};
pub use value::ValueSource;
pub use webhook::WebhookSettings;

/// Largest accepted config file.
pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

/// Top-level sections this gateway reads; others are reported as warnings.
const KNOWN_SECTIONS: [&str; 7] = ["api", "auth", "core", "gateway", "nats", "queue", "smtp"];

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
    services: BTreeMap<String, Vec<services::RawService>>,
    #[serde(default)]
    service_workers: Option<usize>,
    #[serde(default)]
    logging: Option<crate::logging::RawLogging>,
    /// `tls = "disabled"` or `[api.tls.define] tlsCert / tlsKey`.
    #[serde(default)]
    tls: Option<tls::RawApiTls>,
    /// Browser origins allowed to call the gateway (CORS).
    #[serde(default)]
    allowed_origins: Option<Vec<String>>,
    /// `[[callback]]` definitions (rewritten to `[[api.callbacks]]` by [`preprocess`]).
    #[serde(default)]
    callbacks: Vec<callbacks::RawCallback>,
    #[serde(default)]
    callback_execution_mode: Option<callbacks::RawMode>,
    #[serde(flatten)]
    other: BTreeMap<String, toml::Value>,
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
    telegram: Option<telegram::RawTelegram>,
    /// TLS towards upstreams and identity providers.
    #[serde(default)]
    tls: tls::RawTls,
    /// Who may read metrics and readiness details.
    #[serde(default)]
    ops: ops::RawOps,
    /// Seconds in-flight requests get to finish after SIGTERM or Ctrl-C (30).
    #[serde(default)]
    shutdown_grace_secs: Option<u64>,
    /// Seconds an upgraded connection (WebSocket) may carry nothing before it is closed (300).
    #[serde(default)]
    upgrade_idle_secs: Option<u64>,
    /// Bounds of the response callbacks' queue.
    #[serde(default)]
    callbacks: callbacks::RawBounds,
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
    /// `[core.webhook]`: outbound webhook deliveries.
    pub webhook: WebhookSettings,
    /// `[[callback]]` and `[api] callbackExecutionMode`.
    pub callbacks: CallbackSettings,
    /// `[smtp]`, `[core.accountLifeCycle]`, `[queue]`: e-mail and the magic-link login.
    pub mail: Option<MailSettings>,
    /// `[gateway.telegram]`, if configured.
    pub telegram: Option<TelegramSettings>,
    /// What was accepted but is not used.
    pub warnings: Vec<String>,
}

/// Rewrites upstream's ergonomic tables to their qualified form: service tables after
/// `[api.services]`, and `[[callback]]` (with its `[callback.…]` sub-tables) wherever it
/// stands, to `[[api.callbacks]]`; upstream's `[api.callbacks]` header, which announces
/// them, is dropped.
fn preprocess(text: &str) -> String {
    let mut in_services = false;
    let mut out = String::with_capacity(text.len() + 256);
    for line in text.lines() {
        let trimmed = line.trim_start();
        let header = trimmed.split('#').next().unwrap_or_default().trim_end();
        if header == "[api.callbacks]" {
            in_services = false;
            out.push('\n');
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("[[callback]]") {
            out.push_str("[[api.callbacks]]");
            out.push_str(rest);
            out.push('\n');
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("[callback.") {
            out.push_str("[api.callbacks.");
            out.push_str(rest);
            out.push('\n');
            continue;
        }
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

/// `[smtp]`, `[core.accountLifeCycle]` and `[queue]` of `root`.
fn resolve_mail(
    root: &toml::Table,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
    warnings: &mut Vec<String>,
) -> Result<Option<MailSettings>, KeyError> {
    fn section<T: serde::de::DeserializeOwned + Default>(
        value: Option<&toml::Value>,
        key: &str,
    ) -> Result<Option<T>, KeyError> {
        value
            .map(|v| {
                serde_path_to_error::deserialize(v.clone()).map_err(|e| {
                    let path = e.path().to_string();
                    KeyError::new(format!("{key}.{path}"), e.into_inner().message().to_owned())
                })
            })
            .transpose()
    }
    let smtp = match root.get("smtp") {
        Some(value) => Some(
            serde_path_to_error::deserialize::<_, mail::RawSmtp>(value.clone()).map_err(|e| {
                let path = e.path().to_string();
                KeyError::new(format!("smtp.{path}"), e.into_inner().message().to_owned())
            })?,
        ),
        None => None,
    };
    let life = section::<mail::RawLifeCycle>(
        root.get("core").and_then(|c| c.get("accountLifeCycle")),
        "core.accountLifeCycle",
    )?
    .unwrap_or_default();
    let queue = section::<mail::RawQueue>(root.get("queue"), "queue")?.unwrap_or_default();
    if smtp.is_none() {
        let life_given = root
            .get("core")
            .and_then(|c| c.get("accountLifeCycle"))
            .is_some();
        for (given, key) in [
            (life_given, "core.accountLifeCycle"),
            (root.get("queue").is_some(), "[queue]"),
        ] {
            if given {
                warnings.push(format!("{key} is used with [smtp] only; ignored"));
            }
        }
    }
    mail::resolve(smtp, life, queue, base, env)
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
        let cors = Cors::resolve(api.allowed_origins.take().unwrap_or_default())?;
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
        let secrets = gateway
            .secrets
            .as_ref()
            .map(|raw| store::resolve_secrets(raw, base, env))
            .transpose()?;
        let mut auth = gateway
            .auth
            .resolve(base, env, secrets.as_ref().map(|s| &*s.master))?;
        if let Some(value) = root.get("auth") {
            let raw: upstream_auth::RawUpstreamAuth =
                serde_path_to_error::deserialize(value.clone()).map_err(|e| {
                    let path = e.path().to_string();
                    KeyError::new(format!("auth.{path}"), e.into_inner().message().to_owned())
                })?;
            raw.apply(&mut auth, base, env)?;
        }
        let store = store::resolve_store(gateway.data_dir.as_deref(), &gateway.store, base, env)?;
        let server_tls = tls::server_tls(api.tls.take(), &gateway.tls, base)?;
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
        let tls_roots = tls::extra_roots(&gateway.tls, base)?;
        let telegram = gateway
            .telegram
            .as_ref()
            .map(|raw| raw.resolve(secrets.is_some(), auth.connection_strings.is_some()))
            .transpose()?;
        let (services, table) =
            services::resolve(api.services, addressing, base, env, &mut warnings)?;
        let webhook = webhook::resolve(root.get("core"), &mut warnings)?;
        let mail = resolve_mail(&root, base, env, &mut warnings)?;
        let callbacks = callbacks::resolve(
            std::mem::take(&mut api.callbacks),
            api.callback_execution_mode,
            &gateway.callbacks,
            base,
        )?;
        services::check_callbacks(&services, &callbacks)?;
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
            webhook,
            callbacks,
            mail,
            telegram,
            warnings,
        })
    }
}
