//! `[gateway] data_dir`, `[gateway.store]` and `[gateway.secrets]`: where identities live and
//! the key that seals what the store holds.
//!
//! ```toml
//! [gateway]
//! data_dir = "data"                  # relative to the config file; SQLite lives here by default
//!
//! [gateway.store]
//! # database_url = { env = "MYC_DATABASE_URL" }   # postgres://… for several replicas
//! max_connections = 8
//!
//! [gateway.secrets]
//! master_key = { env = "MYC_MASTER_KEY" }        # 32+ bytes, hex or base64
//! kek_version = 1                                # raise, then `myc-gateway kek rotate`
//! ```

use super::KeyError;
use std::path::Path;
use std::sync::Arc;

use myc_crypto::MasterKey;
use serde::Deserialize;

use super::ValueSource;
pub use myc_directory::store::{SQLITE_FILE, StoreLocation, StoreSettings};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStore {
    #[serde(default)]
    database_url: Option<ValueSource>,
    #[serde(default)]
    max_connections: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSecrets {
    master_key: ValueSource,
    #[serde(default)]
    kek_version: Option<u32>,
}

/// `[gateway.secrets]`, resolved.
#[derive(Clone)]
pub struct SecretsSettings {
    /// The root key (KEKs are derived from it).
    pub master: Arc<MasterKey>,
    /// The KEK version that wraps new DEKs; versions below it still unwrap.
    pub kek_version: u32,
}

impl std::fmt::Debug for SecretsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretsSettings(kek_version {}, <master redacted>)",
            self.kek_version
        )
    }
}

pub(super) fn resolve_store(
    data_dir: Option<&str>,
    raw: &RawStore,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<StoreSettings, KeyError> {
    let max_connections = raw.max_connections.unwrap_or(8);
    if max_connections == 0 {
        return Err(KeyError::new(
            "gateway.store.max_connections",
            "must be at least 1",
        ));
    }
    let location = match &raw.database_url {
        Some(source) => {
            let url = source
                .resolve(base, env)
                .map_err(|m| KeyError::new("gateway.store.database_url", m))?;
            if !(url.starts_with("postgres://")
                || url.starts_with("postgresql://")
                || url.starts_with("sqlite:"))
            {
                return Err(KeyError::new(
                    "gateway.store.database_url",
                    "must start with postgres://, postgresql:// or sqlite:",
                ));
            }
            StoreLocation::Url(url)
        }
        None => StoreLocation::Sqlite(base.join(data_dir.unwrap_or("data")).join(SQLITE_FILE)),
    };
    Ok(StoreSettings {
        location,
        max_connections,
    })
}

pub(super) fn resolve_secrets(
    raw: &RawSecrets,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SecretsSettings, KeyError> {
    let key = "gateway.secrets.master_key".to_owned();
    let text = raw
        .master_key
        .resolve(base, env)
        .map_err(|m| KeyError::new(key.clone(), m))?;
    let master = MasterKey::from_text(&text).map_err(|e| KeyError::new(key, e.to_string()))?;
    let kek_version = raw.kek_version.unwrap_or(1);
    if kek_version == 0 {
        return Err(KeyError::new(
            "gateway.secrets.kek_version",
            "versions start at 1",
        ));
    }
    Ok(SecretsSettings {
        master: Arc::new(master),
        kek_version,
    })
}
