//! Envelope encryption for the secrets a gateway holds on behalf of tenants.
//!
//! A [`MasterKey`] (32+ random bytes) derives purpose-separated subkeys with HKDF-SHA256
//! ([`Purpose`]). Versioned key-encryption keys ([`Kek`], [`KekRing`]) wrap per-scope data keys
//! (DEKs); DEKs seal field values with XAES-256-GCM, bound to their scope and field, with key
//! commitment. [`Envelope`] ties it together over a [`DekStore`].
//!
//! ```
//! use myc_crypto::{Envelope, JsonFileDekStore, KekRing, MasterKey};
//! use uuid::Uuid;
//! # let dir = std::env::temp_dir().join(format!("myc-crypto-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let master = MasterKey::generate()?;                       // or from_env / from_file
//! let store = JsonFileDekStore::new(dir.join("keyring.json"));
//! let envelope = Envelope::new(KekRing::derived(&master, 1), store);
//!
//! let tenant = Uuid::from_u128(7);
//! let sealed = envelope.seal_text(tenant, "webhook_secret", b"s3cr3t")?;
//! assert_eq!(&*envelope.open_text(tenant, "webhook_secret", &sealed)?, b"s3cr3t");
//!
//! // KEK rotation: rewrap the DEKs (not the data) under version 2.
//! let rotated = Envelope::new(KekRing::derived(&master, 2), envelope.store().clone());
//! let report = rotated.rewrap_all(false)?;
//! assert_eq!(report.rewrapped, 1);
//! assert_eq!(&*rotated.open_text(tenant, "webhook_secret", &sealed)?, b"s3cr3t");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), myc_crypto::Error>(())
//! ```
//!
//! # Formats
//!
//! **Data ciphertext** (binary; the text form is `myc1:` + standard base64):
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version `0x01` |
//! | 4 | DEK generation, big-endian |
//! | 32 | key commitment: HMAC-SHA256(DEK, `"myc-crypto/v1/key-commitment"`) |
//! | 24 | XAES-256-GCM nonce, random |
//! | n | AES-GCM ciphertext |
//! | 16 | tag |
//!
//! AAD = the first 37 bytes ‖ scope UUID (16 bytes) ‖ field length (1 byte) ‖ field name, so a
//! value moved to another scope or field, or relabelled to another generation, fails to open.
//! Overhead: 77 bytes.
//!
//! **Wrapped DEK** (text form `mycw1:` + base64): `0x01` ‖ KEK version (4, BE) ‖ nonce (12) ‖
//! encrypted DEK (32) ‖ tag (16), AES-256-GCM under the KEK (random nonce; a KEK wraps far fewer
//! than the 2^32 keys that would make that a concern) with AAD =
//! `"myc-crypto/v1/dek-wrap"` ‖ scope ‖ generation (4) ‖ `0x01` ‖ KEK version (4).
//!
//! # Threat model
//!
//! - **Database read leak** (backups, replicas, SQL injection): ciphertexts and wrapped DEKs
//!   reveal nothing without the master key, which never touches the database.
//! - **Database write access**: swapping values between tenants, fields or generations, or
//!   editing any byte, fails authentication. Rolling a field back to an older value of the
//!   *same* scope and field is not detected (bind a record version into the field name if that
//!   matters).
//! - **Nonce reuse**: each message gets a key derived from a random 192-bit nonce (XAES-256-GCM),
//!   so the usual random-96-bit-nonce limit of about 2^32 messages per key does not apply; even
//!   2^48 messages under one DEK collide with probability below 2^-96.
//! - **Multi-key attacks** ("invisible salamanders"): GCM alone lets one ciphertext open under two
//!   chosen keys. The stored commitment, checked in constant time before decryption, binds each
//!   ciphertext to one DEK.
//! - **Memory**: key material is zeroized on drop and never printed by `Debug`. Decrypted
//!   values are returned in `Zeroizing` buffers.
//! - **Not covered**: a compromised process (it holds the master key), side channels beyond
//!   constant-time comparison and hardware AES, traffic analysis of value lengths.
//!
//! # Rotation
//!
//! - **KEK** (cheap, O(scopes)): build a [`KekRing`] whose current version is the new one and
//!   that still holds the old ones; new DEKs are wrapped under the new version at once. Run
//!   [`Envelope::rewrap_all`] (dry run first for the report). Once the report shows everything
//!   under the new version, the old versions can be dropped. Data records are never touched.
//! - **DEK of a scope**: [`Envelope::rotate_dek`] adds a generation; new seals use it and old
//!   values stay readable. Re-seal old values at leisure with [`Envelope::reencrypt`].
//! - **Master key**: derive the new KEK from the new master with [`Kek::derive`], add the old KEKs
//!   with [`KekRing::with`], rewrap, then retire the old master.
//! - **Upstream Mycelium values** (`v1`, `v2:`): [`Envelope::migrate_upstream`] (see
//!   [`upstream`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod envelope;
mod error;
mod file_store;
pub mod format;
mod keys;
mod master;
mod random;
mod store;
pub mod upstream;
pub mod xaes;

pub use envelope::{Envelope, RewrapReport};
pub use error::{Error, Result};
pub use file_store::JsonFileDekStore;
pub use keys::{Kek, KekRing, WrappedDek};
pub use master::{MasterKey, Purpose};
pub use store::{DekStore, Insert, MemoryDekStore, StoredDek};
