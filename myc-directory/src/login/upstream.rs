//! Bringing TOTP enrolments over from upstream Mycelium, so people who set up an
//! authenticator app there keep using it here.
//!
//! Upstream keeps a person's factor in the JSON column `user.mfa`:
//! `{"totp": {"enabled": {"verified": true, "issuer": "…", "secret": "v2:…"}}}` (or
//! `"disabled"` / `"unknown"`). The secret is the base32 text an app reads, encrypted with
//! AES-256-GCM: `v2:` values under the system tenant's DEK (tenant
//! `00000000-0000-0000-0000-000000000000`, whose `tenant.encrypted_dek` is wrapped by the KEK
//! derived from `tokenSecret`) with the field tag `totp_secret`, older values directly under
//! that KEK ([`myc_crypto::upstream`] opens both).
//!
//! [`read_database`] reads those columns from upstream's PostgreSQL or SQLite database;
//! [`Totp::import_upstream`] opens one secret, seals it as [`super::totp`] does and stores
//! it: an enrolment upstream verified is active at once, an unverified one is pending (the
//! person confirms it with a first code). An address that has an enrolment here keeps it.

use data_encoding::BASE32_NOPAD;
use myc_crypto::upstream::UpstreamKek;
use serde::Deserialize;
use sqlx::Row;
use zeroize::Zeroizing;

use super::totp::Totp;

/// Upstream's AAD field tag of TOTP secrets.
pub const TOTP_FIELD: &str = "totp_secret";

/// The longest `mfa` value read (bytes).
pub const MAX_MFA_BYTES: usize = 16 * 1024;

/// Why an upstream enrolment was not imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// `mfa` is not upstream's JSON.
    #[error("mfa is not upstream's JSON: {0}")]
    Mfa(String),
    /// The secret did not open with this `tokenSecret` (or the system DEK is missing).
    #[error("the secret does not open: {0}")]
    Open(#[from] myc_crypto::Error),
    /// The opened secret is not a base32 TOTP key.
    #[error("the opened secret is not a base32 TOTP key")]
    NotBase32,
    /// Not an e-mail address.
    #[error("not an e-mail address")]
    BadEmail,
    /// The secret could not be sealed here.
    #[error("the secret cannot be sealed")]
    Seal,
    /// Upstream's database could not be read.
    #[error("upstream's database: {0}")]
    Source(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// What happened to one upstream enrolment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Imported {
    /// Stored: active (verified upstream) or pending.
    Added {
        /// Whether it completes logins already.
        active: bool,
    },
    /// The address has an enrolment here already; it is kept.
    Kept,
    /// Upstream has no factor for the address.
    NoFactor,
}

/// Upstream's key material: the KEK from `tokenSecret` and, for `v2:` values, the system
/// tenant's wrapped DEK.
pub struct UpstreamKeys {
    kek: UpstreamKek,
    system_dek: Option<String>,
}

impl std::fmt::Debug for UpstreamKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamKeys")
            .field("kek", &self.kek)
            .field("system_dek", &self.system_dek.as_ref().map(|_| "<wrapped>"))
            .finish()
    }
}

impl UpstreamKeys {
    /// Keys from upstream's `tokenSecret` (a UUID) and the system tenant's `encrypted_dek`.
    pub fn new(token_secret: &str, system_dek: Option<String>) -> Result<Self, ImportError> {
        Ok(Self {
            kek: UpstreamKek::from_token_secret(token_secret)?,
            system_dek,
        })
    }
}

#[derive(Deserialize)]
struct Mfa {
    totp: UpstreamTotp,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum UpstreamTotp {
    Unknown,
    Disabled,
    #[serde(rename_all = "camelCase")]
    Enabled {
        verified: bool,
        #[allow(dead_code)]
        issuer: String,
        secret: Option<String>,
    },
}

/// The people with an `mfa` value, and the system tenant's wrapped DEK, as upstream's
/// database holds them.
#[derive(Default)]
pub struct UpstreamExport {
    /// `(email, mfa JSON)`.
    pub users: Vec<(String, String)>,
    /// `tenant.encrypted_dek` of the system tenant (absent before upstream's envelope
    /// encryption).
    pub system_dek: Option<String>,
}

impl std::fmt::Debug for UpstreamExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamExport")
            .field("users", &self.users.len())
            .field("system_dek", &self.system_dek.as_ref().map(|_| "<wrapped>"))
            .finish()
    }
}

/// Reads `user.email`/`user.mfa` and the system tenant's DEK from upstream's database at
/// `url` (`postgres://…` or `sqlite://…`).
pub async fn read_database(url: &str) -> Result<UpstreamExport, ImportError> {
    let source = |e: sqlx::Error| ImportError::Source(e.to_string());
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .map_err(source)?;
    let rows = sqlx::query(
        "SELECT email, CAST(mfa AS TEXT) FROM \"user\" WHERE mfa IS NOT NULL ORDER BY email",
    )
    .fetch_all(&pool)
    .await
    .map_err(source)?;
    let mut export = UpstreamExport::default();
    for row in rows {
        export.users.push((
            row.try_get(0).map_err(source)?,
            row.try_get(1).map_err(source)?,
        ));
    }
    // Older upstream databases have no `encrypted_dek` column: no v2 values either.
    export.system_dek = sqlx::query(
        "SELECT encrypted_dek FROM tenant \
         WHERE CAST(id AS TEXT) = '00000000-0000-0000-0000-000000000000'",
    )
    .fetch_optional(&pool)
    .await
    .ok()
    .flatten()
    .and_then(|row| row.try_get::<Option<String>, _>(0).ok().flatten());
    pool.close().await;
    Ok(export)
}

/// The key bytes of a base32 secret as upstream writes it (upper or lower case, padding
/// and spaces ignored).
fn key_of(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, ImportError> {
    let clean: Zeroizing<Vec<u8>> = Zeroizing::new(
        text.iter()
            .filter(|b| !matches!(b, b'=' | b' ' | b'-'))
            .map(u8::to_ascii_uppercase)
            .collect(),
    );
    let key = BASE32_NOPAD
        .decode(&clean)
        .map_err(|_| ImportError::NotBase32)?;
    if key.len() < 10 {
        return Err(ImportError::NotBase32);
    }
    Ok(Zeroizing::new(key))
}

/// An upstream enrolment, opened: the TOTP key and whether upstream had it verified.
pub struct OpenedTotp {
    /// The key (the bytes behind the app's base32 text).
    pub key: Zeroizing<Vec<u8>>,
    /// Whether the person confirmed it upstream.
    pub verified: bool,
}

impl std::fmt::Debug for OpenedTotp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedTotp")
            .field("verified", &self.verified)
            .finish_non_exhaustive()
    }
}

/// Opens the factor in upstream's `mfa` JSON; `None` when there is none.
pub fn open_upstream(mfa: &str, keys: &UpstreamKeys) -> Result<Option<OpenedTotp>, ImportError> {
    if mfa.len() > MAX_MFA_BYTES {
        return Err(ImportError::Mfa(format!(
            "longer than {MAX_MFA_BYTES} bytes"
        )));
    }
    let parsed: Mfa = serde_json::from_str(mfa).map_err(|e| ImportError::Mfa(e.to_string()))?;
    let (verified, secret) = match parsed.totp {
        UpstreamTotp::Unknown | UpstreamTotp::Disabled => return Ok(None),
        UpstreamTotp::Enabled { secret: None, .. } => return Ok(None),
        UpstreamTotp::Enabled {
            verified,
            secret: Some(secret),
            ..
        } => (verified, secret),
    };
    let text = keys.kek.open_any(
        keys.system_dek.as_deref(),
        uuid::Uuid::nil(),
        TOTP_FIELD,
        &secret,
    )?;
    Ok(Some(OpenedTotp {
        key: key_of(&text)?,
        verified,
    }))
}

impl Totp {
    /// Imports the upstream enrolment of `email` from its `mfa` JSON; with `dry_run`, opens
    /// it and tells what would happen, writing nothing.
    pub async fn import_upstream(
        &self,
        email: &str,
        mfa: &str,
        keys: &UpstreamKeys,
        dry_run: bool,
    ) -> Result<Imported, ImportError> {
        let email = myc_profile::email::canonical(email).map_err(|_| ImportError::BadEmail)?;
        let Some(opened) = open_upstream(mfa, keys)? else {
            return Ok(Imported::NoFactor);
        };
        let added = Imported::Added {
            active: opened.verified,
        };
        if dry_run {
            let exists = self.store().totp(&email).await?.is_some();
            return Ok(if exists { Imported::Kept } else { added });
        }
        let sealed = self
            .seal(&email, &opened.key)
            .map_err(|()| ImportError::Seal)?;
        if self
            .store()
            .import_totp(&email, sealed, opened.verified)
            .await?
        {
            Ok(added)
        } else {
            Ok(Imported::Kept)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_key_material() {
        let keys = UpstreamKeys::new(
            "550e8400-e29b-41d4-a716-446655440000",
            Some("v2:c2VjcmV0".into()),
        )
        .unwrap();
        let export = UpstreamExport {
            users: vec![("a@example.com".into(), "{\"totp\":\"v2:c2VjcmV0\"}".into())],
            system_dek: Some("v2:c2VjcmV0".into()),
        };
        for text in [format!("{keys:?}"), format!("{export:?}")] {
            assert!(!text.contains("c2VjcmV0"), "{text}");
        }
    }

    #[test]
    fn base32_as_upstream_writes_it() {
        assert_eq!(
            &*key_of(b"JBSWY3DPEHPK3PXP").unwrap(),
            b"Hello!\xde\xad\xbe\xef"
        );
        assert_eq!(
            &*key_of(b"jbsw y3dp ehpk 3pxp").unwrap(),
            b"Hello!\xde\xad\xbe\xef"
        );
        assert!(matches!(
            key_of(b"not base32!"),
            Err(ImportError::NotBase32)
        ));
        assert!(matches!(key_of(b"JBSW"), Err(ImportError::NotBase32)));
    }
}
