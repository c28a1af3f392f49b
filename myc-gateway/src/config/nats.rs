//! `[nats]`: the gateway's NATS connection and the services it answers there.
//!
//! ```toml
//! [nats]
//! servers = ["nats://127.0.0.1:4222"]
//! creds = "site/creds/HUB/gateway.creds"   # relative to the config file
//! queue_group = "myc-gateway"              # replicas share requests (default)
//!
//! # Who may read which tenant's secrets over `mycelium.secrets.<tenant>.<name>` and
//! # `mycelium.integrations.<tenant>.<name>`: the requesting account is the one the server
//! # stamps into `Nats-Request-Info` when the request crosses a service import. `local`
//! # names requests from the gateway's own account (no import crossed).
//! [[nats.secrets.allow]]
//! account = "ADLF…ORG"                     # account public key, or "local"
//! tenants = ["*"]                          # or tenant ids
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNats {
    servers: Vec<String>,
    #[serde(default)]
    creds: Option<String>,
    #[serde(default)]
    queue_group: Option<String>,
    #[serde(default)]
    secrets: Option<RawSecretsService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecretsService {
    #[serde(default)]
    allow: Vec<RawAllow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    account: String,
    tenants: Vec<String>,
}

/// Which requesting account a rule admits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requester {
    /// Requests from the gateway's own account (no service import crossed).
    Local,
    /// Requests that crossed an import from this account (public key).
    Account(String),
}

/// Which tenants a rule opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantScope {
    /// Every tenant.
    All,
    /// These tenants.
    Some(Vec<Uuid>),
}

/// One `[[nats.secrets.allow]]` rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowRule {
    /// Who.
    pub requester: Requester,
    /// Which tenants.
    pub tenants: TenantScope,
}

/// `[nats]`, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NatsSettings {
    /// Server URLs.
    pub servers: Vec<String>,
    /// The credentials file (JWT + seed), if any.
    pub creds: Option<PathBuf>,
    /// Queue group of the services (default `myc-gateway`).
    pub queue_group: String,
    /// The secrets service's rules; `None` when `[nats.secrets]` is absent (not served).
    pub secrets: Option<Vec<AllowRule>>,
}

pub(super) fn resolve(raw: &RawNats, base: &Path) -> Result<NatsSettings, (String, String)> {
    if raw.servers.is_empty() {
        return Err(("nats.servers".into(), "name at least one server".into()));
    }
    for (i, url) in raw.servers.iter().enumerate() {
        if !(url.starts_with("nats://") || url.starts_with("tls://")) {
            return Err((
                format!("nats.servers[{i}]"),
                format!("{url:?} must start with nats:// or tls://"),
            ));
        }
    }
    let creds = raw.creds.as_ref().map(|c| base.join(c));
    if let Some(path) = &creds
        && !path.is_file()
    {
        return Err((
            "nats.creds".into(),
            format!("{} is not a readable file", path.display()),
        ));
    }
    let queue_group = raw
        .queue_group
        .clone()
        .unwrap_or_else(|| "myc-gateway".into());
    if queue_group.is_empty() || queue_group.contains(|c: char| c.is_whitespace() || c == '.') {
        return Err((
            "nats.queue_group".into(),
            "one subject token: no spaces or dots".into(),
        ));
    }
    let secrets = match &raw.secrets {
        None => None,
        Some(service) => {
            let mut rules = Vec::new();
            for (i, rule) in service.allow.iter().enumerate() {
                let key = format!("nats.secrets.allow[{i}]");
                let requester = if rule.account == "local" {
                    Requester::Local
                } else if myc_natsauth::is_public_key(myc_natsauth::KeyKind::Account, &rule.account)
                {
                    Requester::Account(rule.account.clone())
                } else {
                    return Err((
                        format!("{key}.account"),
                        format!(
                            "{:?} is neither \"local\" nor an account public key",
                            rule.account
                        ),
                    ));
                };
                let tenants = if rule.tenants.iter().any(|t| t == "*") {
                    TenantScope::All
                } else {
                    TenantScope::Some(
                        rule.tenants
                            .iter()
                            .enumerate()
                            .map(|(j, t)| {
                                Uuid::parse_str(t).map_err(|_| {
                                    (
                                        format!("{key}.tenants[{j}]"),
                                        format!("{t:?} is not a tenant id"),
                                    )
                                })
                            })
                            .collect::<Result<_, _>>()?,
                    )
                };
                rules.push(AllowRule { requester, tenants });
            }
            Some(rules)
        }
    };
    Ok(NatsSettings {
        servers: raw.servers.clone(),
        creds,
        queue_group,
        secrets,
    })
}
