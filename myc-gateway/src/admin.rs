//! Operations helpers behind the admin CLI.

use crate::config::{AuthSettings, InternalKey};

/// Why a token could not be minted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tokens mint: {0}")]
pub struct MintError(pub String);

/// Mints an internal JWT for `email`, valid `ttl_secs`, with the first HMAC key of
/// `[gateway.auth.internal]` (its `kid` in the header). EdDSA-only configurations hold no
/// private key, so they cannot mint.
pub fn mint_token(auth: &AuthSettings, email: &str, ttl_secs: u64) -> Result<String, MintError> {
    let (issuer, audiences, keys) = auth
        .internal
        .as_ref()
        .ok_or_else(|| MintError("no [gateway.auth.internal] section".into()))?;
    let (kid, alg, secret) = keys
        .iter()
        .find_map(|k| match k {
            InternalKey::Hmac { kid, alg, secret } => Some((kid, alg, secret)),
            InternalKey::Ed25519 { .. } => None,
        })
        .ok_or_else(|| {
            MintError("no HMAC key to sign with (EdDSA keys are public keys here)".into())
        })?;
    if email.is_empty() || !email.contains('@') {
        return Err(MintError(format!("{email:?} is not an e-mail address")));
    }
    let mut header = jsonwebtoken::Header::new(*alg);
    header.kid = kid.clone();
    let now = jsonwebtoken::get_current_timestamp();
    let claims = serde_json::json!({
        "iss": issuer,
        "aud": audiences.first().cloned().unwrap_or_default(),
        "sub": email,
        "email": email,
        "iat": now,
        "exp": now.saturating_add(ttl_secs),
    });
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret),
    )
    .map_err(|e| MintError(e.to_string()))
}
