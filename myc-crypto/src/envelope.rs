//! [`Envelope`]: seal and open field values per scope, rotate keys.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use subtle::ConstantTimeEq;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::format::{self, CIPHERTEXT_VERSION, HEADER_LEN};
use crate::keys::Dek;
use crate::keys::WRAP_NONCE_LEN;
use crate::store::{DekStore, Insert};
use crate::xaes::NONCE_LEN;
use crate::{Error, KekRing, Result, random};

/// Envelope encryption of field values, one DEK family per scope.
///
/// A scope is a tenant UUID, or the nil UUID for system secrets. Each scope has DEK
/// generations 1, 2, …; new values are sealed with the newest, every generation stays readable.
/// DEKs are created lazily on first seal (agreed on through the store's compare-and-set),
/// wrapped under the ring's current KEK, and kept unwrapped in memory once used.
///
/// ```
/// use myc_crypto::{Envelope, KekRing, MasterKey, MemoryDekStore};
/// use uuid::Uuid;
///
/// let master = MasterKey::generate()?;
/// let envelope = Envelope::new(KekRing::derived(&master, 1), MemoryDekStore::new());
/// let tenant = Uuid::from_u128(42);
///
/// let sealed = envelope.seal_text(tenant, "telegram_bot_token", b"123:ABC")?;
/// assert!(sealed.starts_with("myc1:"));
/// assert_eq!(&*envelope.open_text(tenant, "telegram_bot_token", &sealed)?, b"123:ABC");
/// // Bound to scope and field: moving the value elsewhere fails.
/// assert!(envelope.open_text(Uuid::from_u128(43), "telegram_bot_token", &sealed).is_err());
/// assert!(envelope.open_text(tenant, "totp_secret", &sealed).is_err());
/// # Ok::<(), myc_crypto::Error>(())
/// ```
pub struct Envelope<S> {
    keks: Arc<KekRing>,
    store: S,
    deks: RwLock<HashMap<(Uuid, u32), Arc<Dek>>>,
    latest: RwLock<HashMap<Uuid, Arc<Dek>>>,
}

impl<S> std::fmt::Debug for Envelope<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Envelope")
            .field("keks", &self.keks)
            .finish_non_exhaustive()
    }
}

/// What [`Envelope::rewrap_all`] did or, in a dry run, would do.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RewrapReport {
    /// The KEK version everything is (to be) wrapped under.
    pub to_version: u32,
    /// Whether anything was written.
    pub dry_run: bool,
    /// DEKs in the store.
    pub total: usize,
    /// DEKs already under `to_version`.
    pub already_current: usize,
    /// DEKs rewrapped (or that would be, in a dry run).
    pub rewrapped: usize,
    /// DEKs another writer changed meanwhile (left as they were; run again).
    pub conflicts: usize,
    /// DEK count per KEK version before the run.
    pub by_version: BTreeMap<u32, usize>,
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    // Every write is a single insert: a poisoned lock holds consistent data.
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

impl<S: DekStore> Envelope<S> {
    /// An envelope over `store`, wrapping new DEKs with the ring's current KEK. The ring may
    /// be shared (`Arc<KekRing>`): envelopes built per operation then reuse one derivation.
    pub fn new(keks: impl Into<Arc<KekRing>>, store: S) -> Self {
        Self {
            keks: keks.into(),
            store,
            deks: RwLock::default(),
            latest: RwLock::default(),
        }
    }

    /// The DEK store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The KEK ring.
    pub fn keks(&self) -> &KekRing {
        &self.keks
    }

    /// Seals `plaintext` for `field` of `scope` with the scope's newest DEK (binary form).
    pub fn seal(&self, scope: Uuid, field: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
        let dek = self.current_dek(scope)?;
        seal_with(&dek, scope, field, plaintext)
    }

    /// [`Envelope::seal`] in text form (`myc1:` + base64), for text columns.
    pub fn seal_text(&self, scope: Uuid, field: &str, plaintext: &[u8]) -> Result<String> {
        Ok(format::to_text(&self.seal(scope, field, plaintext)?))
    }

    /// Opens a binary ciphertext sealed for `field` of `scope`.
    pub fn open(&self, scope: Uuid, field: &str, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let parsed = format::parse(ciphertext)?;
        let dek = self.dek(scope, parsed.generation)?;
        open_with(&dek, scope, field, &parsed)
    }

    /// Opens the text form.
    pub fn open_text(&self, scope: Uuid, field: &str, text: &str) -> Result<Zeroizing<Vec<u8>>> {
        self.open(scope, field, &format::from_text(text)?)
    }

    /// The newest DEK generation of `scope`, if it has one.
    pub fn latest_generation(&self, scope: Uuid) -> Result<Option<u32>> {
        Ok(self.store.latest(scope)?.map(|(g, _)| g))
    }

    /// Adds a new DEK generation to `scope` (new seals use it; older ones stay readable) and
    /// returns its number.
    pub fn rotate_dek(&self, scope: Uuid) -> Result<u32> {
        loop {
            let next = match self.store.latest(scope)? {
                Some((g, _)) => g.checked_add(1).ok_or(Error::GenerationOverflow(scope))?,
                None => 1,
            };
            if let Some(dek) = self.create_dek(scope, next, true)? {
                write(&self.latest).insert(scope, dek);
                return Ok(next);
            }
            // Someone else created that generation: go one further.
        }
    }

    /// Re-seals a value with the scope's newest DEK generation; `None` if it already uses it.
    pub fn reencrypt(
        &self,
        scope: Uuid,
        field: &str,
        ciphertext: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        let plaintext = self.open(scope, field, ciphertext)?;
        let current = self.current_dek(scope)?;
        if format::ciphertext_generation(ciphertext)? >= current.generation {
            return Ok(None);
        }
        seal_with(&current, scope, field, &plaintext).map(Some)
    }

    /// Rewraps every stored DEK under the ring's current KEK version. Data records are not
    /// touched: the work is one unwrap and one wrap per DEK. With `dry_run`, only reports.
    pub fn rewrap_all(&self, dry_run: bool) -> Result<RewrapReport> {
        let to = self.keks.current()?;
        let stored = self.store.list()?;
        let mut report = RewrapReport {
            to_version: to.version(),
            dry_run,
            total: stored.len(),
            ..Default::default()
        };
        for dek in &stored {
            *report
                .by_version
                .entry(dek.wrapped.kek_version())
                .or_default() += 1;
            // Refuse early, before writing anything, if an old version is not configured.
            self.keks.get(dek.wrapped.kek_version())?;
        }
        // One system call fetches the nonces for a whole chunk: a bulk rewrap would otherwise
        // spend most of its time in getrandom. The buffer never outlives this call, so a fork
        // cannot duplicate it.
        const CHUNK: usize = 256;
        let pending: Vec<_> = stored
            .into_iter()
            .filter(|d| d.wrapped.kek_version() != to.version())
            .collect();
        report.already_current = report.total - pending.len();
        let mut nonces = Zeroizing::new(vec![0u8; CHUNK * WRAP_NONCE_LEN]);
        for chunk in pending.chunks(CHUNK) {
            if dry_run {
                for dek in chunk {
                    // Prove every DEK unwraps before reporting it as rewrappable.
                    self.keks.get(dek.wrapped.kek_version())?.unwrap(
                        dek.scope,
                        dek.generation,
                        &dek.wrapped,
                    )?;
                }
                report.rewrapped += chunk.len();
                continue;
            }
            random::fill(&mut nonces[..chunk.len() * WRAP_NONCE_LEN])?;
            for (dek, nonce) in chunk.iter().zip(nonces.chunks_exact(WRAP_NONCE_LEN)) {
                let key = self.keks.get(dek.wrapped.kek_version())?.unwrap(
                    dek.scope,
                    dek.generation,
                    &dek.wrapped,
                )?;
                let nonce: &[u8; WRAP_NONCE_LEN] = nonce.try_into().map_err(|_| Error::Decrypt)?;
                let rewrapped = to.wrap_with_nonce(dek.scope, dek.generation, &key, nonce)?;
                if self.store.compare_and_swap(
                    dek.scope,
                    dek.generation,
                    &dek.wrapped,
                    &rewrapped,
                )? {
                    report.rewrapped += 1;
                } else {
                    report.conflicts += 1;
                }
            }
        }
        Ok(report)
    }

    fn current_dek(&self, scope: Uuid) -> Result<Arc<Dek>> {
        if let Some(dek) = read(&self.latest).get(&scope) {
            return Ok(dek.clone());
        }
        let dek = match self.store.latest(scope)? {
            Some((generation, wrapped)) => self.unwrap_and_cache(scope, generation, &wrapped)?,
            None => match self.create_dek(scope, 1, false)? {
                Some(dek) => dek,
                None => {
                    return Err(Error::Store(
                        "DEK creation raced and lost without a value".into(),
                    ));
                }
            },
        };
        write(&self.latest).insert(scope, dek.clone());
        Ok(dek)
    }

    /// Creates generation `generation`. If another writer created it first: adopts theirs, or
    /// returns `None` when `fresh_only` (rotation wants a new key, not an adopted one).
    fn create_dek(
        &self,
        scope: Uuid,
        generation: u32,
        fresh_only: bool,
    ) -> Result<Option<Arc<Dek>>> {
        let key = Zeroizing::new(random::array::<32>()?);
        let wrapped = self.keks.current()?.wrap(scope, generation, &key)?;
        match self.store.insert_if_absent(scope, generation, &wrapped)? {
            Insert::Inserted => {
                let dek = Arc::new(Dek::new(generation, &key)?);
                write(&self.deks).insert((scope, generation), dek.clone());
                Ok(Some(dek))
            }
            Insert::Existing(_) if fresh_only => Ok(None),
            Insert::Existing(theirs) => self.unwrap_and_cache(scope, generation, &theirs).map(Some),
        }
    }

    fn dek(&self, scope: Uuid, generation: u32) -> Result<Arc<Dek>> {
        if let Some(dek) = read(&self.deks).get(&(scope, generation)) {
            return Ok(dek.clone());
        }
        let wrapped = self
            .store
            .get(scope, generation)?
            .ok_or(Error::UnknownDek { scope, generation })?;
        self.unwrap_and_cache(scope, generation, &wrapped)
    }

    fn unwrap_and_cache(
        &self,
        scope: Uuid,
        generation: u32,
        wrapped: &crate::WrappedDek,
    ) -> Result<Arc<Dek>> {
        let key = self
            .keks
            .get(wrapped.kek_version())?
            .unwrap(scope, generation, wrapped)?;
        let dek = Arc::new(Dek::new(generation, &key)?);
        write(&self.deks).insert((scope, generation), dek.clone());
        Ok(dek)
    }
}

fn seal_with(dek: &Dek, scope: Uuid, field: &str, plaintext: &[u8]) -> Result<Vec<u8>> {
    let nonce = random::array::<NONCE_LEN>()?;
    let mut out = Vec::with_capacity(format::OVERHEAD + plaintext.len());
    out.push(CIPHERTEXT_VERSION);
    out.extend_from_slice(&dek.generation.to_be_bytes());
    out.extend_from_slice(&dek.commitment);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let aad = format::data_aad(&out[..format::BOUND_HEADER_LEN], scope, field)?;
    let tag = dek
        .xaes
        .seal_in_place(&nonce, aad.as_slice(), &mut out[HEADER_LEN..])
        .map_err(|_| Error::Malformed {
            what: "plaintext",
            reason: "too long for AES-GCM",
        })?;
    out.extend_from_slice(&tag);
    Ok(out)
}

fn open_with(
    dek: &Dek,
    scope: Uuid,
    field: &str,
    parsed: &format::Parsed<'_>,
) -> Result<Zeroizing<Vec<u8>>> {
    // Key commitment first, in constant time: a ciphertext made to open under two keys
    // carries only one key's commitment.
    if !commitments_equal(parsed.commitment, &dek.commitment) {
        return Err(Error::Decrypt);
    }
    let aad = format::data_aad(parsed.bound_header, scope, field)?;
    let mut buf = Zeroizing::new(parsed.body.to_vec());
    dek.xaes
        .open_in_place(parsed.nonce, aad.as_slice(), &mut buf, parsed.tag)
        .map_err(|_| Error::Decrypt)?;
    Ok(buf)
}

/// Constant-time equality of two commitments: fold the difference of every word without a
/// data-dependent branch, then one `subtle` comparison of the folded value.
fn commitments_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u64;
    for (x, y) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        let mut xw = [0u8; 8];
        let mut yw = [0u8; 8];
        xw.copy_from_slice(x);
        yw.copy_from_slice(y);
        diff |= u64::from_ne_bytes(xw) ^ u64::from_ne_bytes(yw);
    }
    bool::from(diff.ct_eq(&0))
}
