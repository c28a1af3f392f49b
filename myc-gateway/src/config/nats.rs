//! `[nats]`: the gateway's NATS connection and the services it answers there.
//!
//! ```toml
//! [nats]
//! servers = ["nats://127.0.0.1:4222"]
//! creds = "site/creds/HUB/gateway.creds"   # relative to the config file
//! queue_group = "myc-gateway"              # replicas share requests (default)
//!
//! # Instead of a creds file: credentials from a NATS credential issuer, renewed before they
//! # expire (myc-natsauth's self-renewing client; the seed never leaves `state_dir`).
//! # [nats.renewing]
//! # issuer_url = "https://issuer.internal/v1/nats/credentials"   # TLS trusts the system
//! #                                     # roots and [gateway.tls] extra_roots; http:// only to
//! #                                     # a loopback address unless
//! # accept_insecure_http = true         # (the node token would travel in clear text)
//! # node_id = "gateway-1"
//! # node_token = { env = "MYC_NODE_TOKEN" }
//! # state_dir = "nats-state"
//!
//! # Who may read which tenant's secrets over `mycelium.secrets.<tenant>.<name>` and
//! # `mycelium.integrations.<tenant>.<name>`: the requesting account is the one the server
//! # stamps into `Nats-Request-Info` when the request crosses a service import. `local`
//! # names requests from the gateway's own account (no import crossed).
//! [[nats.secrets.allow]]
//! account = "ADLF…ORG"                     # account public key, "local", or
//!                                          # { jwt = "site/accounts/ORG.jwt" }
//! tenants = ["*"]                          # or tenant ids
//!
//! # The credential issuer, mounted at POST /v1/nats/credentials: nodes registered with
//! # `myc-gateway nodes add` trade their token for a short-lived user JWT of this account.
//! [nats.issuer]
//! account = "ACBX…AGENT"                   # the account the issued users belong to
//! signing_key = { file = "seeds/accounts/AGENT-signing-1.nk" }   # that account's signing seed
//! nats_url = "nats://nats.example.com:4222"  # handed to nodes (default: the first server)
//! ```

use super::KeyError;
use std::path::{Path, PathBuf};

use std::sync::Arc;

use myc_natsauth::{KeyKind, Nkey};
use serde::Deserialize;
use uuid::Uuid;

use super::ValueSource;

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
    #[serde(default)]
    issuer: Option<RawIssuer>,
    #[serde(default)]
    renewing: Option<RawRenewing>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRenewing {
    issuer_url: String,
    #[serde(default)]
    accept_insecure_http: bool,
    node_id: String,
    node_token: ValueSource,
    state_dir: String,
}

/// `[nats.renewing]`, resolved.
#[derive(Clone, PartialEq, Eq)]
pub struct RenewingSettings {
    /// The issuer endpoint (`POST`, JSON).
    pub issuer_url: String,
    /// The node id presented.
    pub node_id: String,
    /// The node token presented.
    pub node_token: zeroize::Zeroizing<String>,
    /// Where the node seed (0600) and the last credentials live.
    pub state_dir: PathBuf,
}

impl std::fmt::Debug for RenewingSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewingSettings")
            .field("issuer_url", &self.issuer_url)
            .field("node_id", &self.node_id)
            .field("state_dir", &self.state_dir)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIssuer {
    account: String,
    signing_key: ValueSource,
    #[serde(default)]
    nats_url: Option<String>,
}

/// `[nats.issuer]`, resolved.
#[derive(Clone)]
pub struct IssuerSettings {
    /// The account (public key) issued users belong to.
    pub account: String,
    /// Its signing key.
    pub signing_key: Arc<Nkey>,
    /// The URL handed to nodes.
    pub nats_url: String,
}

impl std::fmt::Debug for IssuerSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuerSettings")
            .field("account", &self.account)
            .field("signing_key", &self.signing_key.public_key())
            .field("nats_url", &self.nats_url)
            .finish()
    }
}

impl PartialEq for IssuerSettings {
    fn eq(&self, other: &Self) -> bool {
        self.account == other.account
            && self.signing_key.public_key() == other.signing_key.public_key()
            && self.nats_url == other.nats_url
    }
}

impl Eq for IssuerSettings {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSecretsService {
    #[serde(default)]
    allow: Vec<RawAllow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    account: RawAccountRef,
    tenants: Vec<String>,
}

/// `"local"`, an account public key, or `{ jwt = "site/accounts/ORG.jwt" }` (the key is
/// read from the account JWT `myc-nats init` wrote).
#[derive(Deserialize)]
#[serde(untagged)]
enum RawAccountRef {
    Key(String),
    Jwt { jwt: String },
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
    /// The credential issuer; `None` when `[nats.issuer]` is absent.
    pub issuer: Option<IssuerSettings>,
    /// Self-renewing credentials for the gateway's own connection (instead of `creds`).
    pub renewing: Option<RenewingSettings>,
}

pub(super) fn resolve(
    raw: &RawNats,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<NatsSettings, KeyError> {
    if raw.servers.is_empty() {
        return Err(KeyError::new("nats.servers", "name at least one server"));
    }
    for (i, url) in raw.servers.iter().enumerate() {
        if !(url.starts_with("nats://") || url.starts_with("tls://")) {
            return Err(KeyError::new(
                format!("nats.servers[{i}]"),
                format!("{url:?} must start with nats:// or tls://"),
            ));
        }
    }
    let creds = raw.creds.as_ref().map(|c| base.join(c));
    if let Some(path) = &creds
        && !path.is_file()
    {
        return Err(KeyError::new(
            "nats.creds",
            format!("{} is not a readable file", path.display()),
        ));
    }
    let queue_group = raw
        .queue_group
        .clone()
        .unwrap_or_else(|| "myc-gateway".into());
    if queue_group.is_empty() || queue_group.contains(|c: char| c.is_whitespace() || c == '.') {
        return Err(KeyError::new(
            "nats.queue_group",
            "one subject token: no spaces or dots",
        ));
    }
    let secrets = match &raw.secrets {
        None => None,
        Some(service) => {
            let mut rules = Vec::new();
            for (i, rule) in service.allow.iter().enumerate() {
                let key = format!("nats.secrets.allow[{i}]");
                let account = match &rule.account {
                    RawAccountRef::Key(k) => k.clone(),
                    RawAccountRef::Jwt { jwt } => {
                        let path = base.join(jwt);
                        let text = std::fs::read_to_string(&path).map_err(|e| {
                            KeyError::new(
                                format!("{key}.account"),
                                format!("cannot read {}: {e}", path.display()),
                            )
                        })?;
                        myc_natsauth::claims::Claims::<myc_natsauth::claims::Account>::decode(
                            text.trim(),
                        )
                        .map_err(|e| {
                            KeyError::new(
                                format!("{key}.account"),
                                format!("{}: {e}", path.display()),
                            )
                        })?
                        .sub
                    }
                };
                let requester = if account == "local" {
                    Requester::Local
                } else if myc_natsauth::is_public_key(myc_natsauth::KeyKind::Account, &account) {
                    Requester::Account(account)
                } else {
                    return Err(KeyError::new(
                        format!("{key}.account"),
                        format!("{account:?} is neither \"local\" nor an account public key"),
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
                                    KeyError::new(
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
    let renewing = match &raw.renewing {
        None => None,
        Some(r) => {
            if creds.is_some() {
                return Err(KeyError::new(
                    "nats.renewing",
                    "use either creds or [nats.renewing], not both",
                ));
            }
            let url = crate::nats::renewing::IssuerUrl::parse(&r.issuer_url)
                .map_err(|m| KeyError::new("nats.renewing.issuer_url", m))?;
            if !url.https && !url.is_loopback() && !r.accept_insecure_http {
                return Err(KeyError::new(
                    "nats.renewing.issuer_url",
                    "use https:// (over http:// the node token travels in clear text; \
                     accept_insecure_http = true allows it)",
                ));
            }
            let node_token = r
                .node_token
                .resolve(base, env)
                .map_err(|m| KeyError::new("nats.renewing.node_token", m))?;
            Some(RenewingSettings {
                issuer_url: r.issuer_url.clone(),
                node_id: r.node_id.clone(),
                node_token,
                state_dir: base.join(&r.state_dir),
            })
        }
    };
    let issuer = match &raw.issuer {
        None => None,
        Some(issuer) => {
            if !myc_natsauth::is_public_key(KeyKind::Account, &issuer.account) {
                return Err(KeyError::new(
                    "nats.issuer.account",
                    "must be an account public key (A…)",
                ));
            }
            let seed = issuer
                .signing_key
                .resolve(base, env)
                .map_err(|m| KeyError::new("nats.issuer.signing_key", m))?;
            let signing_key = Nkey::from_seed(KeyKind::Account, seed.trim()).map_err(|_| {
                KeyError::new("nats.issuer.signing_key", "not an account seed (SA…)")
            })?;
            Some(IssuerSettings {
                account: issuer.account.clone(),
                signing_key: Arc::new(signing_key),
                nats_url: issuer
                    .nats_url
                    .clone()
                    .unwrap_or_else(|| raw.servers[0].clone()),
            })
        }
    };
    Ok(NatsSettings {
        servers: raw.servers.clone(),
        creds,
        queue_group,
        secrets,
        issuer,
        renewing,
    })
}
