//! Upstream's `[auth]` section, mapped onto `[gateway.auth]`:
//!
//! ```toml
//! [auth]
//! internal = "enabled"            # the gateway's own tokens
//! jwtSecret = { env = "MYC_JWT_SECRET" }
//! jwtExpiresIn = 86400            # seconds a login token lives
//! tmpExpiresIn = 3600             # seconds a temporary token (link, reset) lives
//!
//! [[auth.external.define]]        # one per external OAuth2 / OIDC provider
//! issuer = "https://accounts.google.com"
//! jwksUri = "https://www.googleapis.com/oauth2/v3/certs"
//! userInfoUrl = "https://www.googleapis.com/oauth2/v3/userinfo"
//! audience = "your-google-client-id"
//! ```
//!
//! `jwtSecret` becomes the internal issuer `mycelium` with one HS512 key and no audience,
//! which is what upstream's tokens carry (`iss`, `sub`, `email`, `exp`; no `aud`, no `kid`).
//! It cannot be combined with `[gateway.auth.internal]` (one internal issuer). External
//! providers accept the asymmetric algorithms (RS*, PS*, ES256/384, EdDSA) and the e-mail
//! rules of `[[gateway.auth.providers]]`' defaults.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::auth::{AuthSettings, InternalKey, Provider};
use super::{KeyError, ValueSource};

/// The issuer of upstream's internal tokens.
pub const UPSTREAM_ISSUER: &str = "mycelium";

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawUpstreamAuth {
    #[serde(default)]
    internal: Option<String>,
    #[serde(default)]
    jwt_secret: Option<ValueSource>,
    #[serde(default)]
    jwt_expires_in: Option<u64>,
    #[serde(default)]
    tmp_expires_in: Option<u64>,
    #[serde(default)]
    external: Option<RawExternal>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawExternal {
    #[serde(default)]
    define: Vec<RawDefine>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawDefine {
    issuer: String,
    jwks_uri: String,
    #[serde(default)]
    user_info_url: Option<String>,
    audience: String,
}

/// Lifetimes of the tokens the gateway issues (`jwtExpiresIn`, `tmpExpiresIn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenLifetimes {
    /// A login token (24 h by default).
    pub login: Duration,
    /// A temporary token: magic links, activation, password reset (1 h by default).
    pub temporary: Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            login: Duration::from_secs(86_400),
            temporary: Duration::from_secs(3_600),
        }
    }
}

impl RawUpstreamAuth {
    /// Adds `[auth]` to `settings` (already resolved from `[gateway.auth]`).
    pub(super) fn apply(
        self,
        settings: &mut AuthSettings,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), KeyError> {
        for (key, value) in [
            ("auth.jwtExpiresIn", self.jwt_expires_in),
            ("auth.tmpExpiresIn", self.tmp_expires_in),
        ] {
            if value == Some(0) {
                return Err(KeyError::new(key, "must be at least 1 second"));
            }
        }
        if let Some(secs) = self.jwt_expires_in {
            settings.lifetimes.login = Duration::from_secs(secs);
        }
        if let Some(secs) = self.tmp_expires_in {
            settings.lifetimes.temporary = Duration::from_secs(secs);
        }
        let enabled = match self.internal.as_deref() {
            None | Some("enabled") => self.jwt_secret.is_some(),
            Some("disabled") => false,
            Some(other) => {
                return Err(KeyError::new(
                    "auth.internal",
                    format!("{other:?} is neither \"enabled\" nor \"disabled\""),
                ));
            }
        };
        if enabled {
            if settings.internal.is_some() {
                return Err(KeyError::new(
                    "auth.jwtSecret",
                    "[gateway.auth.internal] configures the internal issuer already; keep one",
                ));
            }
            let secret = self
                .jwt_secret
                .ok_or_else(|| KeyError::new("auth.jwtSecret", "internal = \"enabled\" needs it"))?
                .resolve(base, env)
                .map_err(|m| KeyError::new("auth.jwtSecret", m))?;
            if secret.len() < 32 {
                return Err(KeyError::new(
                    "auth.jwtSecret",
                    "HMAC secrets need at least 32 bytes (openssl rand -hex 32)",
                ));
            }
            settings.internal = Some((
                UPSTREAM_ISSUER.to_owned(),
                Vec::new(),
                vec![InternalKey::Hmac {
                    kid: None,
                    alg: jsonwebtoken::Algorithm::HS512,
                    secret: Zeroizing::new(secret.as_bytes().to_vec()),
                }],
            ));
        }
        let defines = self.external.map(|e| e.define).unwrap_or_default();
        for define in defines {
            use jsonwebtoken::Algorithm as A;
            settings.providers.push(Provider {
                issuer: define.issuer,
                jwks_url: define.jwks_uri,
                audiences: vec![define.audience],
                algorithms: vec![
                    A::RS256,
                    A::RS384,
                    A::RS512,
                    A::PS256,
                    A::PS384,
                    A::PS512,
                    A::ES256,
                    A::ES384,
                    A::EdDSA,
                ],
                userinfo_url: define.user_info_url,
                email: myc_tower::jwt::EmailPolicy::default(),
            });
        }
        Ok(())
    }
}
