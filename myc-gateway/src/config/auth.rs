//! `[gateway.auth]`: who the gateway believes.
//!
//! ```toml
//! [gateway.auth]
//! leeway_secs = 60
//!
//! [gateway.auth.internal]
//! issuer = "mycelium"
//! audiences = ["mycelium"]
//! keys = [{ kid = "v1", alg = "HS512", secret = { env = "MYC_JWT_SECRET" } }]
//! # or an Ed25519 public key: { kid = "ed1", alg = "EdDSA", public_key_hex = "…64 hex…" }
//!
//! [[gateway.auth.providers]]
//! issuer = "https://idp.example.com"
//! jwks_url = "http://idp.internal/jwks.json"
//! audiences = ["api"]
//! algorithms = ["RS256", "ES256"]
//! userinfo_url = "http://idp.internal/userinfo"   # optional
//! email_domains = ["example.com"]   # optional: the only domains it may assert addresses in
//! accept_unverified_email = false   # default: `email_verified: false` is refused
//!
//! [gateway.auth.connection_strings]
//! primary = 2
//! keys = [{ version = 2, secret = { env = "MYC_HMAC_V2" } }]
//! ```

use super::KeyError;
use std::path::Path;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::ValueSource;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    #[serde(default)]
    leeway_secs: Option<u64>,
    #[serde(default)]
    internal: Option<RawInternal>,
    #[serde(default)]
    providers: Vec<RawProvider>,
    #[serde(default)]
    connection_strings: Option<RawConnectionStrings>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInternal {
    issuer: String,
    audiences: Vec<String>,
    #[serde(default)]
    keys: Vec<RawKey>,
    /// Ed25519 keys (by key id) derived from `[gateway.secrets] master_key`: the first signs
    /// the tokens the gateway issues, all are published at `/.well-known/jwks.json`.
    #[serde(default)]
    signing_keys: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    #[serde(default)]
    kid: Option<String>,
    alg: String,
    #[serde(default)]
    secret: Option<ValueSource>,
    #[serde(default)]
    public_key_hex: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    issuer: String,
    jwks_url: String,
    audiences: Vec<String>,
    algorithms: Vec<String>,
    #[serde(default)]
    userinfo_url: Option<String>,
    #[serde(default)]
    email_domains: Vec<String>,
    #[serde(default)]
    accept_unverified_email: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConnectionStrings {
    primary: u32,
    keys: Vec<RawHmacKey>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHmacKey {
    version: u32,
    secret: ValueSource,
}

/// A key of the gateway's own tokens.
#[derive(Clone)]
pub enum InternalKey {
    /// An HMAC secret.
    Hmac {
        /// Key id.
        kid: Option<String>,
        /// HS256, HS384 or HS512.
        alg: jsonwebtoken::Algorithm,
        /// The secret.
        secret: Zeroizing<Vec<u8>>,
    },
    /// An Ed25519 public key.
    Ed25519 {
        /// Key id.
        kid: Option<String>,
        /// The public key.
        public_key: [u8; 32],
    },
}

impl std::fmt::Debug for InternalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hmac { kid, alg, .. } => write!(f, "Hmac({kid:?}, {alg:?}, <redacted>)"),
            Self::Ed25519 { kid, .. } => write!(f, "Ed25519({kid:?})"),
        }
    }
}

/// An external provider.
#[derive(Clone, Debug)]
pub struct Provider {
    /// `iss`.
    pub issuer: String,
    /// JWKS URL.
    pub jwks_url: String,
    /// Accepted audiences.
    pub audiences: Vec<String>,
    /// Allowed algorithms.
    pub algorithms: Vec<jsonwebtoken::Algorithm>,
    /// Userinfo URL.
    pub userinfo_url: Option<String>,
    /// Which e-mail addresses it may assert.
    pub email: myc_tower::jwt::EmailPolicy,
}

/// Connection-string HMAC keys: the primary version and every (version, secret).
#[derive(Clone, Debug)]
pub struct HmacKeys {
    /// Version that signs.
    pub primary: u32,
    /// Every version that verifies.
    pub keys: Vec<(u32, Zeroizing<String>)>,
}

impl HmacKeys {
    /// The keyring that signs and verifies connection strings.
    pub fn keyring(&self) -> Result<myc_profile::HmacKeyring, myc_profile::ConnectionStringError> {
        myc_profile::HmacKeyring::new(
            self.primary,
            self.keys.iter().map(|(v, s)| (*v, s.as_bytes())),
        )
    }
}

/// Resolved `[gateway.auth]`.
#[derive(Clone, Debug, Default)]
pub struct AuthSettings {
    /// Clock skew tolerated (60 s).
    pub leeway_secs: u64,
    /// The gateway's own issuer, audiences and keys.
    pub internal: Option<(String, Vec<String>, Vec<InternalKey>)>,
    /// External providers.
    pub providers: Vec<Provider>,
    /// Connection-string HMAC keys.
    pub connection_strings: Option<HmacKeys>,
    /// The gateway's Ed25519 token signer (`signing_keys`), if configured.
    pub signer: Option<std::sync::Arc<myc_tower::jwt::issue::TokenIssuer>>,
    /// Lifetimes of issued tokens (upstream's `[auth] jwtExpiresIn` / `tmpExpiresIn`).
    pub lifetimes: super::upstream_auth::TokenLifetimes,
}

fn algorithm(name: &str) -> Result<jsonwebtoken::Algorithm, String> {
    use jsonwebtoken::Algorithm as A;
    Ok(match name {
        "HS256" => A::HS256,
        "HS384" => A::HS384,
        "HS512" => A::HS512,
        "RS256" => A::RS256,
        "RS384" => A::RS384,
        "RS512" => A::RS512,
        "PS256" => A::PS256,
        "PS384" => A::PS384,
        "PS512" => A::PS512,
        "ES256" => A::ES256,
        "ES384" => A::ES384,
        "EdDSA" => A::EdDSA,
        other => return Err(format!("unknown algorithm {other:?}")),
    })
}

fn hex32(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

impl RawAuth {
    /// Resolves secrets; errors are (key, message).
    pub(super) fn resolve(
        self,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
        master: Option<&myc_crypto::MasterKey>,
    ) -> Result<AuthSettings, KeyError> {
        let mut settings = AuthSettings {
            leeway_secs: self.leeway_secs.unwrap_or(60),
            ..AuthSettings::default()
        };
        if let Some(internal) = self.internal {
            settings.signer = signer(&internal.signing_keys, master)?;
            if internal.keys.is_empty() && settings.signer.is_none() {
                return Err(KeyError::new(
                    "gateway.auth.internal",
                    "needs keys or signing_keys",
                ));
            }
            let mut keys = Vec::new();
            for (i, key) in internal.keys.into_iter().enumerate() {
                let k = format!("gateway.auth.internal.keys[{i}]");
                let alg = algorithm(&key.alg).map_err(|m| KeyError::new(format!("{k}.alg"), m))?;
                keys.push(match alg {
                    jsonwebtoken::Algorithm::HS256
                    | jsonwebtoken::Algorithm::HS384
                    | jsonwebtoken::Algorithm::HS512 => {
                        let secret = key
                            .secret
                            .ok_or_else(|| {
                                KeyError::new(format!("{k}.secret"), "an HMAC key needs a secret")
                            })?
                            .resolve(base, env)
                            .map_err(|m| KeyError::new(format!("{k}.secret"), m))?;
                        if secret.len() < 32 {
                            return Err(KeyError::new(
                                format!("{k}.secret"),
                                "HMAC secrets need at least 32 bytes",
                            ));
                        }
                        InternalKey::Hmac {
                            kid: key.kid,
                            alg,
                            secret: Zeroizing::new(secret.as_bytes().to_vec()),
                        }
                    }
                    jsonwebtoken::Algorithm::EdDSA => InternalKey::Ed25519 {
                        kid: key.kid,
                        public_key: key.public_key_hex.as_deref().and_then(hex32).ok_or_else(
                            || {
                                KeyError::new(
                                    format!("{k}.public_key_hex"),
                                    "64 hex characters expected",
                                )
                            },
                        )?,
                    },
                    _ => {
                        return Err(KeyError::new(
                            format!("{k}.alg"),
                            "internal keys are HS256/HS384/HS512 or EdDSA",
                        ));
                    }
                });
            }
            settings.internal = Some((internal.issuer, internal.audiences, keys));
        }
        for (i, p) in self.providers.into_iter().enumerate() {
            let k = format!("gateway.auth.providers[{i}]");
            let algorithms = p
                .algorithms
                .iter()
                .map(|a| algorithm(a))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|m| KeyError::new(format!("{k}.algorithms"), m))?;
            if algorithms
                .iter()
                .any(|a| a.family() == jsonwebtoken::AlgorithmFamily::Hmac)
            {
                return Err(KeyError::new(
                    format!("{k}.algorithms"),
                    "external providers sign with public keys; HS* is refused",
                ));
            }
            for (d, domain) in p.email_domains.iter().enumerate() {
                let probe = format!("x@{domain}");
                if myc_profile::email::canonical(&probe).is_err() {
                    return Err(KeyError::new(
                        format!("{k}.email_domains[{d}]"),
                        format!("{domain:?} is not an ASCII host name (write IDNs as xn--…)"),
                    ));
                }
            }
            settings.providers.push(Provider {
                issuer: p.issuer,
                jwks_url: p.jwks_url,
                audiences: p.audiences,
                algorithms,
                userinfo_url: p.userinfo_url,
                email: myc_tower::jwt::EmailPolicy {
                    accept_unverified: p.accept_unverified_email,
                    domains: p.email_domains,
                },
            });
        }
        if let Some(cs) = self.connection_strings {
            let mut keys = Vec::new();
            for (i, key) in cs.keys.into_iter().enumerate() {
                let secret = key.secret.resolve(base, env).map_err(|m| {
                    KeyError::new(
                        format!("gateway.auth.connection_strings.keys[{i}].secret"),
                        m,
                    )
                })?;
                keys.push((key.version, secret));
            }
            settings.connection_strings = Some(HmacKeys {
                primary: cs.primary,
                keys,
            });
        }
        Ok(settings)
    }
}

/// The Ed25519 signer of `kids` (first signs), seeds derived from `master`.
fn signer(
    kids: &[String],
    master: Option<&myc_crypto::MasterKey>,
) -> Result<Option<std::sync::Arc<myc_tower::jwt::issue::TokenIssuer>>, KeyError> {
    use myc_tower::jwt::issue::{SigningKey, TokenIssuer};
    if kids.is_empty() {
        return Ok(None);
    }
    let key = "gateway.auth.internal.signing_keys";
    let master = master.ok_or_else(|| {
        KeyError::new(
            key,
            "signing keys are derived from [gateway.secrets] master_key: set it",
        )
    })?;
    let mut keys = Vec::new();
    for (i, kid) in kids.iter().enumerate() {
        let valid = !kid.is_empty()
            && kid.len() <= 64
            && kid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !valid || kids[..i].contains(kid) {
            return Err(KeyError::new(
                format!("{key}[{i}]"),
                "key ids are 1-64 of letters, digits, - _ . and unique",
            ));
        }
        let label = format!("jwt-signing:{kid}");
        let seed = master.derive(myc_crypto::Purpose::Custom(&label));
        keys.push(SigningKey::from_seed(kid, &seed));
    }
    TokenIssuer::new(keys)
        .map(|issuer| Some(std::sync::Arc::new(issuer)))
        .map_err(|e| KeyError::new(key, e.to_string()))
}
