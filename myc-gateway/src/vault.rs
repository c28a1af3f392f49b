//! [`SecretVault`]: values sealed with per-scope DEKs (myc-crypto envelope encryption) kept in
//! the [`Store`], and KEK rotation over the store's wrapped DEKs.
//!
//! myc-crypto's envelope is synchronous over a [`DekStore`]; the vault
//! loads the DEKs an operation needs into memory, runs the envelope there, and writes back what
//! changed with the store's conditional writes (`insert_dek` / `swap_dek`), so replicas that
//! race on a scope's first DEK, or a rotation racing a seal, never lose a key.

use std::collections::HashMap;
use std::sync::Arc;

use myc_crypto::{DekStore, Envelope, Insert, KekRing, MemoryDekStore, RewrapReport, StoredDek};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::config::SecretsSettings;
use crate::store::{Error, Store};

/// Longest secret name, in bytes.
pub use myc_natsauth::secrets::MAX_NAME_LEN;

/// Sealed values over a [`Store`].
#[derive(Clone)]
pub struct SecretVault<S> {
    store: S,
    secrets: SecretsSettings,
    /// Derived once from `secrets` (HKDF per KEK version), shared by every operation.
    ring: Arc<KekRing>,
}

impl<S> std::fmt::Debug for SecretVault<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretVault({:?})", self.secrets)
    }
}

/// Checks a secret name: 1–128 bytes of ASCII letters, digits, `-`, `_`, `.` or `/`.
pub fn check_name(name: &str) -> Result<(), Error> {
    myc_natsauth::secrets::check_name(name).map_err(|e| Error::Invalid(e.to_string()))
}

impl<S: Store> SecretVault<S> {
    /// A vault over `store` with the master key and KEK version of `[gateway.secrets]`.
    pub fn new(store: S, secrets: SecretsSettings) -> Self {
        let ring = Arc::new(KekRing::derived(&secrets.master, secrets.kek_version));
        Self {
            store,
            secrets,
            ring,
        }
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    async fn envelope(
        &self,
        scope: Option<Uuid>,
    ) -> Result<(Envelope<Arc<MemoryDekStore>>, Vec<StoredDek>), Error> {
        let loaded = self.store.deks(scope).await?;
        let memory = Arc::new(MemoryDekStore::new());
        for dek in &loaded {
            memory.insert_if_absent(dek.scope, dek.generation, &dek.wrapped)?;
        }
        Ok((Envelope::new(self.ring.clone(), memory), loaded))
    }

    /// Seals `value` as `name` of `scope` (the scope's DEK is created on first use).
    pub async fn seal(&self, scope: Uuid, name: &str, value: &[u8]) -> Result<Vec<u8>, Error> {
        check_name(name)?;
        // Retry only when another replica created the same DEK generation first.
        for _ in 0..3 {
            let (envelope, loaded) = self.envelope(Some(scope)).await?;
            let ciphertext = envelope.seal(scope, name, value)?;
            let mut lost = false;
            for dek in envelope.store().list()? {
                let known = loaded
                    .iter()
                    .any(|l| l.scope == dek.scope && l.generation == dek.generation);
                if !known && matches!(self.store.insert_dek(&dek).await?, Insert::Existing(_)) {
                    lost = true;
                }
            }
            if !lost {
                return Ok(ciphertext);
            }
        }
        Err(Error::Database(
            "the scope's first DEK kept being created concurrently; try again".into(),
        ))
    }

    /// Opens a value sealed by [`SecretVault::seal`] for `name` of `scope`.
    pub async fn open(
        &self,
        scope: Uuid,
        name: &str,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        let (envelope, _) = self.envelope(Some(scope)).await?;
        Ok(envelope.open(scope, name, ciphertext)?)
    }

    /// Seals and stores (replacing any previous value).
    pub async fn put(&self, scope: Uuid, name: &str, value: &[u8]) -> Result<(), Error> {
        let ciphertext = self.seal(scope, name, value).await?;
        self.store.put_sealed(scope, name, &ciphertext).await
    }

    /// Loads and opens; `None` if there is no such value.
    pub async fn get(&self, scope: Uuid, name: &str) -> Result<Option<Zeroizing<Vec<u8>>>, Error> {
        check_name(name)?;
        match self.store.get_sealed(scope, name).await? {
            Some(ciphertext) => self.open(scope, name, &ciphertext).await.map(Some),
            None => Ok(None),
        }
    }

    /// Rewraps every DEK under the configured KEK version (`[gateway.secrets] kek_version`);
    /// with `dry_run`, proves every DEK unwraps and reports without writing. A DEK changed
    /// by someone else meanwhile is counted in `conflicts` and left alone (run again).
    pub async fn rotate_kek(&self, dry_run: bool) -> Result<RewrapReport, Error> {
        let (envelope, loaded) = self.envelope(None).await?;
        let mut report = envelope.rewrap_all(dry_run)?;
        if dry_run {
            return Ok(report);
        }
        let before: HashMap<(Uuid, u32), StoredDek> = loaded
            .into_iter()
            .map(|d| ((d.scope, d.generation), d))
            .collect();
        let mut conflicts = 0;
        for after in envelope.store().list()? {
            let Some(old) = before.get(&(after.scope, after.generation)) else {
                continue;
            };
            if old.wrapped != after.wrapped
                && !self
                    .store
                    .swap_dek(after.scope, after.generation, &old.wrapped, &after.wrapped)
                    .await?
            {
                conflicts += 1;
            }
        }
        report.rewrapped -= conflicts.min(report.rewrapped);
        report.conflicts += conflicts;
        Ok(report)
    }
}
