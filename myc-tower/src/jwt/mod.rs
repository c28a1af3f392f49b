//! JWT verification for the gateway's own tokens ([`InternalIssuer`]) and external OIDC
//! providers ([`OidcProvider`], keys from a [`jwks::JwksCache`]).
//!
//! Rules: the header is parsed strictly first (`alg: none`, unknown
//! algorithms, `crit`, malformed `kid`s refused); each issuer has an algorithm allow-list; a
//! remote JWKS never supplies symmetric keys and a JWK's own `alg` must match the header (no
//! HS/RS confusion); `exp` is required, `nbf` checked, both with a configurable leeway (60 s);
//! `iss` and `aud` must match; tokens without `kid` verify only against locally configured keys.
//!
//! E-mail: the address a token (or a provider's userinfo) asserts is the caller's identity, so
//! it must pass [`myc_profile::email::canonical`] (ASCII only, no look-alikes folded) and is
//! used in that canonical form; an external provider's `email_verified: false` (boolean or
//! the string some providers send) is refused unless its [`EmailPolicy`] accepts unverified
//! addresses, and a provider limited to domains may assert addresses in those domains only.

pub mod backend;
#[cfg(feature = "fetcher")]
pub mod fetch;
pub(crate) mod header;
pub mod issue;
pub mod jwks;
pub mod userinfo;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use crate::AuthError;

/// A verified token's identity.
#[derive(Clone, Debug, PartialEq)]
pub struct Identity {
    /// `iss`.
    pub issuer: String,
    /// `sub`, if present.
    pub subject: Option<String>,
    /// The `email` claim, if present.
    pub email: Option<String>,
    /// `exp` (Unix seconds).
    pub expires_at: u64,
    /// Every claim, for claims predicates.
    pub claims: Map<String, Value>,
}

/// The claim (`"pending"`) of a token that started a login still awaiting its TOTP code.
pub const TOTP_PENDING_CLAIM: &str = "mycelium:totp";

impl Identity {
    /// Whether the token only started a login (see [`TOTP_PENDING_CLAIM`]).
    pub fn totp_pending(&self) -> bool {
        self.claims.get(TOTP_PENDING_CLAIM).and_then(Value::as_str) == Some("pending")
    }
}

/// A locally configured key of the gateway's own tokens.
#[derive(Clone)]
pub struct LocalKey {
    /// Key id (`None`: also used for tokens without `kid`).
    pub kid: Option<String>,
    /// HS256, HS384, HS512 or EdDSA.
    pub alg: Algorithm,
    /// The key.
    pub key: DecodingKey,
}

impl std::fmt::Debug for LocalKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl LocalKey {
    /// An HMAC secret (HS256/HS384/HS512).
    pub fn hmac(kid: Option<&str>, alg: Algorithm, secret: &[u8]) -> Result<Self, AuthError> {
        if !matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
            || secret.len() < 32
        {
            return Err(AuthError::InvalidToken(
                "an HMAC key needs an HS algorithm and at least 32 bytes".into(),
            ));
        }
        Ok(Self {
            kid: kid.map(str::to_owned),
            alg,
            key: DecodingKey::from_secret(secret),
        })
    }

    /// An Ed25519 public key (32 bytes).
    pub fn ed25519(kid: Option<&str>, public_key: &[u8; 32]) -> Result<Self, AuthError> {
        use base64::Engine;
        let x = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public_key);
        Ok(Self {
            kid: kid.map(str::to_owned),
            alg: Algorithm::EdDSA,
            key: DecodingKey::from_ed_components(&x)
                .map_err(|_| AuthError::InvalidToken("invalid Ed25519 key".into()))?,
        })
    }
}

/// The gateway's own token issuer.
#[derive(Clone, Debug)]
pub struct InternalIssuer {
    /// `iss` of the tokens.
    pub issuer: String,
    /// Accepted audiences (any one must be in `aud`); empty, `aud` is not checked (upstream's
    /// tokens carry none).
    pub audiences: Vec<String>,
    /// Keys.
    pub keys: Vec<LocalKey>,
}

/// An external OpenID Connect provider.
#[derive(Clone, Debug)]
pub struct OidcProvider {
    /// `iss` of its tokens (exact).
    pub issuer: String,
    /// Accepted audiences (any one must be in `aud`); empty, no token is accepted.
    pub audiences: Vec<String>,
    /// Allowed algorithms (e.g. RS256, ES256, EdDSA); HS* are never accepted from a JWKS.
    pub algorithms: Vec<Algorithm>,
    /// Its keys.
    pub jwks: Arc<jwks::JwksCache>,
    /// Where to look the e-mail up when tokens carry none (optional).
    pub userinfo: Option<Arc<userinfo::UserInfo>>,
    /// Which e-mail addresses it may assert.
    pub email: EmailPolicy,
}

/// Which e-mail addresses an external provider may assert (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailPolicy {
    /// Accept addresses the provider says are not verified (`email_verified: false`). Off by
    /// default: an unverified address is anybody's claim to an account.
    pub accept_unverified: bool,
    /// When not empty, the only domains (compared in ASCII lowercase) its addresses may be in.
    pub domains: Vec<String>,
}

/// Whether the `email_verified` member of a claims set or userinfo answer says no.
pub(crate) fn says_unverified(email_verified: Option<&Value>) -> bool {
    match email_verified {
        Some(Value::Bool(verified)) => !verified,
        Some(Value::String(text)) => text.eq_ignore_ascii_case("false"),
        _ => false,
    }
}

/// The canonical form of an asserted e-mail, or why it is refused (`policy` is `None` for
/// the gateway's own tokens).
fn accept_email(
    email: &str,
    claims: &Map<String, Value>,
    policy: Option<&EmailPolicy>,
) -> Result<String, AuthError> {
    let email = myc_profile::email::canonical(email)
        .map_err(|e| AuthError::InvalidToken(format!("e-mail not accepted: {e}")))?;
    if let Some(policy) = policy {
        if !policy.accept_unverified && says_unverified(claims.get("email_verified")) {
            return Err(AuthError::InvalidToken("e-mail not verified".into()));
        }
        let domain = myc_profile::email::domain(&email);
        if !policy.domains.is_empty()
            && !policy
                .domains
                .iter()
                .any(|d| d.eq_ignore_ascii_case(domain))
        {
            return Err(AuthError::InvalidToken(
                "e-mail domain not allowed for this issuer".into(),
            ));
        }
    }
    Ok(email)
}

/// Verifies bearer tokens against the configured issuers.
#[derive(Clone, Debug, Default)]
pub struct JwtVerifier {
    internal: Option<InternalIssuer>,
    providers: Vec<OidcProvider>,
    leeway: Duration,
}

fn map_error(e: &jsonwebtoken::errors::Error) -> AuthError {
    match e.kind() {
        ErrorKind::ExpiredSignature | ErrorKind::ImmatureSignature => AuthError::Expired,
        ErrorKind::InvalidAudience => AuthError::InvalidToken("wrong audience".into()),
        ErrorKind::InvalidIssuer => AuthError::InvalidToken("wrong issuer".into()),
        ErrorKind::InvalidSignature => AuthError::InvalidToken("bad signature".into()),
        ErrorKind::InvalidAlgorithm => AuthError::InvalidToken("algorithm not allowed".into()),
        ErrorKind::MissingRequiredClaim(c) => AuthError::InvalidToken(format!("missing {c}")),
        _ => AuthError::InvalidToken("malformed token".into()),
    }
}

impl JwtVerifier {
    /// No issuers yet; 60 s leeway.
    pub fn new() -> Self {
        Self {
            internal: None,
            providers: Vec::new(),
            leeway: Duration::from_secs(60),
        }
    }

    /// Accepts the gateway's own tokens.
    pub fn internal(mut self, issuer: InternalIssuer) -> Self {
        self.internal = Some(issuer);
        self
    }

    /// Accepts an external provider's tokens.
    pub fn provider(mut self, provider: OidcProvider) -> Self {
        self.providers.push(provider);
        self
    }

    /// Clock skew tolerated on `exp` and `nbf` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// What a token of `issuer` must satisfy; no `audiences` (an internal issuer only, as
    /// upstream's tokens carry none) means `aud` is not checked.
    fn validation(&self, alg: Algorithm, issuer: &str, audiences: &[String]) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.leeway.as_secs();
        v.validate_nbf = true;
        v.set_issuer(&[issuer]);
        if audiences.is_empty() {
            v.validate_aud = false;
            v.set_required_spec_claims(&["exp", "iss"]);
        } else {
            v.set_audience(audiences);
            v.set_required_spec_claims(&["exp", "iss", "aud"]);
        }
        v
    }

    /// Verifies `token`. A token that only started a login ([`TOTP_PENDING_CLAIM`]) is
    /// refused: it is good for nothing but [`Self::verify_totp_pending`].
    pub async fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let identity = self.verify_signed(token).await?;
        if identity.totp_pending() {
            return Err(AuthError::InvalidToken(
                "a TOTP code must complete this login".into(),
            ));
        }
        Ok(identity)
    }

    /// Verifies a token of the internal issuer that started a login awaiting its TOTP code;
    /// any other token is refused.
    pub async fn verify_totp_pending(&self, token: &str) -> Result<Identity, AuthError> {
        let identity = self.verify_signed(token).await?;
        let internal = self
            .internal
            .as_ref()
            .is_some_and(|i| i.issuer == identity.issuer);
        if !(internal && identity.totp_pending()) {
            return Err(AuthError::InvalidToken(
                "not a login awaiting its TOTP code".into(),
            ));
        }
        Ok(identity)
    }

    /// Verifies signature, issuer, audience, times and e-mail rules of `token`.
    async fn verify_signed(&self, token: &str) -> Result<Identity, AuthError> {
        if backend::install_default().is_none() {
            tracing::error!(
                "no JWT crypto provider: enable myc-tower's `aws-lc` or `rust-crypto` feature \
                 or call jwt::backend::install_custom"
            );
            return Err(AuthError::Internal);
        }
        let head = header::parse(token).map_err(|e| AuthError::InvalidToken(e.to_string()))?;
        let issuer = header::peek_issuer(token)
            .ok_or_else(|| AuthError::InvalidToken("missing issuer".into()))?;
        let mut userinfo = None;
        let mut policy = None;
        let (key, validation) =
            if let Some(internal) = self.internal.as_ref().filter(|i| i.issuer == issuer) {
                let key = internal
                    .keys
                    .iter()
                    .find(|k| k.alg == head.alg && k.kid.as_deref() == head.kid.as_deref())
                    .or_else(|| {
                        // A token without kid may use the one key of its algorithm.
                        let mut same = internal.keys.iter().filter(|k| k.alg == head.alg);
                        match (head.kid.is_none(), same.next(), same.next()) {
                            (true, Some(only), None) => Some(only),
                            _ => None,
                        }
                    })
                    .ok_or_else(|| {
                        AuthError::InvalidToken("no key for this kid and algorithm".into())
                    })?;
                (
                    key.key.clone(),
                    self.validation(head.alg, &issuer, &internal.audiences),
                )
            } else if let Some(provider) = self.providers.iter().find(|p| p.issuer == issuer) {
                if !provider.algorithms.contains(&head.alg)
                    || matches!(
                        head.alg,
                        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
                    )
                {
                    return Err(AuthError::InvalidToken("algorithm not allowed".into()));
                }
                let kid = head
                    .kid
                    .as_deref()
                    .ok_or_else(|| AuthError::InvalidToken("external tokens need a kid".into()))?;
                let cached = provider.jwks.key(kid).await.map_err(|e| match e {
                    jwks::KeyError::UnknownKid => AuthError::InvalidToken("unknown kid".into()),
                    _ => AuthError::ProviderUnavailable,
                })?;
                if cached.alg.is_some_and(|a| a != head.alg) {
                    return Err(AuthError::InvalidToken(
                        "algorithm does not match the key".into(),
                    ));
                }
                if provider.audiences.is_empty() {
                    // An external token is only ever taken for a named audience.
                    return Err(AuthError::InvalidToken("no audience configured".into()));
                }
                userinfo = provider.userinfo.clone();
                policy = Some(&provider.email);
                (
                    cached.key,
                    self.validation(head.alg, &issuer, &provider.audiences),
                )
            } else {
                return Err(AuthError::InvalidToken("unknown issuer".into()));
            };
        let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
            .map_err(|e| map_error(&e))?;
        let claims = data.claims;
        let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
        let email = match (text("email"), userinfo) {
            (Some(email), _) => Some(accept_email(&email, &claims, policy)?),
            (None, Some(userinfo)) => {
                let accept_unverified = policy.is_some_and(|p| p.accept_unverified);
                let email = userinfo
                    .email(token, accept_unverified)
                    .await
                    .map_err(|e| {
                        tracing::warn!(error = %e, "identity.email userinfo lookup failed");
                        match e {
                            userinfo::UserInfoError::NoEmail(why) => {
                                AuthError::InvalidToken(why.into())
                            }
                            _ => AuthError::ProviderUnavailable,
                        }
                    })?;
                // Its `email_verified` was checked by the lookup; the address rule applies.
                Some(accept_email(&email, &Map::new(), policy)?)
            }
            (None, None) => None,
        };
        Ok(Identity {
            issuer,
            subject: text("sub"),
            email,
            expires_at: claims.get("exp").and_then(Value::as_u64).unwrap_or(0),
            claims,
        })
    }

    /// The issuers this verifier accepts.
    pub fn issuers(&self) -> HashSet<&str> {
        self.internal
            .iter()
            .map(|i| i.issuer.as_str())
            .chain(self.providers.iter().map(|p| p.issuer.as_str()))
            .collect()
    }
}
