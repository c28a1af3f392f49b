//! Reading upstream Mycelium's ciphertexts, to migrate them into this crate's format.
//!
//! Upstream (9.x) encrypts with AES-256-GCM and random 96-bit nonces:
//! - KEK = SHA-256 of the 16 bytes of the UUID `tokenSecret`;
//! - a tenant DEK is stored wrapped as `v2:` + base64(nonce ‖ ct ‖ tag) under the KEK with
//!   AAD = the tenant UUID's 16 bytes;
//! - field values are `v2:` + base64(nonce ‖ ct ‖ tag) under the DEK with AAD = tenant bytes ‖
//!   ASCII field tag (`totp_secret`, `telegram_bot_token`, `telegram_webhook_secret`,
//!   `http_secret`);
//! - legacy `v1` values have no prefix and are encrypted directly under the KEK, empty AAD.
//!
//! ```
//! use myc_crypto::upstream::UpstreamKek;
//! let kek = UpstreamKek::from_token_secret("550e8400-e29b-41d4-a716-446655440000").unwrap();
//! # let _ = kek;
//! ```

use aes_gcm::aead::Aead;
use aes_gcm::aead::Payload;
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::{Envelope, Error, Result, store::DekStore};

const V2: &str = "v2:";

fn decode(text: &str) -> Result<Vec<u8>> {
    let raw = STANDARD
        .decode(text.trim())
        .map_err(|_| Error::Upstream("ciphertext is not base64"))?;
    if raw.len() < 12 + 16 {
        return Err(Error::Upstream("ciphertext too short"));
    }
    Ok(raw)
}

fn open(key: &[u8; 32], raw: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let cipher = Aes256Gcm::new(key.into());
    let (nonce, body) = raw.split_at(12);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .map(Zeroizing::new)
        .map_err(|_| Error::Decrypt)
}

/// Upstream's KEK, derived from its `tokenSecret`.
pub struct UpstreamKek(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for UpstreamKek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamKek(<redacted>)")
    }
}

/// An upstream tenant DEK, unwrapped.
pub struct UpstreamDek(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for UpstreamDek {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UpstreamDek(<redacted>)")
    }
}

impl UpstreamKek {
    /// SHA-256 of the 16 bytes of the UUID `token_secret` (which upstream requires).
    pub fn from_token_secret(token_secret: &str) -> Result<Self> {
        let uuid = Uuid::try_parse(token_secret.trim())
            .map_err(|_| Error::Upstream("tokenSecret is not a UUID"))?;
        Ok(Self(Zeroizing::new(Sha256::digest(uuid.as_bytes()).into())))
    }

    /// Unwraps a tenant DEK (`v2:…`, AAD = tenant bytes).
    pub fn unwrap_dek(&self, wrapped: &str, tenant: Uuid) -> Result<UpstreamDek> {
        let body = wrapped
            .trim()
            .strip_prefix(V2)
            .ok_or(Error::Upstream("wrapped DEK lacks the v2: prefix"))?;
        let key = open(&self.0, &decode(body)?, tenant.as_bytes())?;
        let key: [u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| Error::Upstream("unwrapped DEK is not 32 bytes"))?;
        Ok(UpstreamDek(Zeroizing::new(key)))
    }

    /// Opens a legacy `v1` value (no prefix, under the KEK, empty AAD).
    pub fn open_v1(&self, ciphertext: &str) -> Result<Zeroizing<Vec<u8>>> {
        if ciphertext.trim().starts_with(V2) {
            return Err(Error::Upstream("a v2 value needs the tenant DEK"));
        }
        open(&self.0, &decode(ciphertext)?, b"")
    }

    /// Opens any upstream value: `v2:` with the tenant's wrapped DEK, otherwise legacy `v1`.
    pub fn open_any(
        &self,
        wrapped_dek: Option<&str>,
        tenant: Uuid,
        field: &str,
        ciphertext: &str,
    ) -> Result<Zeroizing<Vec<u8>>> {
        if ciphertext.trim().starts_with(V2) {
            let wrapped =
                wrapped_dek.ok_or(Error::Upstream("a v2 value needs the tenant's wrapped DEK"))?;
            self.unwrap_dek(wrapped, tenant)?
                .open(tenant, field, ciphertext)
        } else {
            self.open_v1(ciphertext)
        }
    }
}

impl UpstreamDek {
    /// Opens a `v2:` field value (AAD = tenant bytes ‖ field tag).
    pub fn open(&self, tenant: Uuid, field: &str, ciphertext: &str) -> Result<Zeroizing<Vec<u8>>> {
        let body = ciphertext
            .trim()
            .strip_prefix(V2)
            .ok_or(Error::Upstream("value lacks the v2: prefix"))?;
        let mut aad = tenant.as_bytes().to_vec();
        aad.extend_from_slice(field.as_bytes());
        open(&self.0, &decode(body)?, &aad)
    }
}

impl<S: DekStore> Envelope<S> {
    /// Opens an upstream value and seals it in this crate's format for the same tenant and
    /// field (text form). The plaintext never leaves zeroizing memory.
    pub fn migrate_upstream(
        &self,
        upstream: &UpstreamKek,
        wrapped_dek: Option<&str>,
        tenant: Uuid,
        field: &str,
        ciphertext: &str,
    ) -> Result<String> {
        let plaintext = upstream.open_any(wrapped_dek, tenant, field, ciphertext)?;
        self.seal_text(tenant, field, &plaintext)
    }
}
