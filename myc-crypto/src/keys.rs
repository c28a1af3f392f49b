//! Key-encryption keys ([`Kek`], [`KekRing`]), wrapped DEKs ([`WrappedDek`]) and unwrapped DEKs.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::format::{self, WRAP_VERSION, WRAPPED_LEN, WRAPPED_TEXT_PREFIX};
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::{AeadInPlace, Aes256Gcm, KeyInit};

use crate::xaes::Xaes256Gcm;
use crate::{Error, MasterKey, Purpose, Result, random};

const COMMITMENT_LABEL: &[u8] = b"myc-crypto/v1/key-commitment";

/// A DEK wrapped under a KEK: `0x01 ‖ kek_version (u32 BE) ‖ nonce (12) ‖ enc(DEK) (32) ‖ tag (16)`.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedDek(Vec<u8>);

impl fmt::Debug for WrappedDek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WrappedDek(kek v{})", self.kek_version())
    }
}

impl WrappedDek {
    /// Validates and wraps stored bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self> {
        if bytes.len() != WRAPPED_LEN || bytes[0] != WRAP_VERSION {
            return Err(Error::Malformed {
                what: "wrapped DEK",
                reason: "wrong length or version",
            });
        }
        Ok(Self(bytes))
    }

    /// The stored bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The KEK version it is wrapped under.
    pub fn kek_version(&self) -> u32 {
        u32::from_be_bytes([self.0[1], self.0[2], self.0[3], self.0[4]])
    }

    /// Text form: `mycw1:` + standard base64.
    pub fn to_text(&self) -> String {
        format!("{WRAPPED_TEXT_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// Parses the text form.
    pub fn from_text(text: &str) -> Result<Self> {
        let body = text
            .trim()
            .strip_prefix(WRAPPED_TEXT_PREFIX)
            .ok_or(Error::Malformed {
                what: "wrapped DEK",
                reason: "missing mycw1: prefix",
            })?;
        Self::from_bytes(STANDARD.decode(body).map_err(|_| Error::Malformed {
            what: "wrapped DEK",
            reason: "invalid base64",
        })?)
    }
}

/// Nonce length of DEK wraps.
pub(crate) const WRAP_NONCE_LEN: usize = 12;
const WRAP_TAG_LEN: usize = 16;

/// A key-encryption key of one version.
///
/// Wraps use AES-256-GCM with a random 96-bit nonce: a KEK version wraps one key per scope and
/// generation (plus rewraps into it), orders of magnitude below the 2^32 wraps at which random
/// 96-bit nonces start to risk a collision. Data keys, which seal unbounded numbers of values,
/// use XAES-256-GCM instead.
pub struct Kek {
    version: u32,
    cipher: Aes256Gcm,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kek(v{}, <redacted>)", self.version)
    }
}

impl Kek {
    /// The KEK of `version` derived from `master` (label `myc-crypto/v1/kek/<version>`).
    pub fn derive(master: &MasterKey, version: u32) -> Self {
        Self::from_bytes(version, &master.derive(Purpose::Kek { version }))
    }

    /// A KEK from raw key bytes (e.g. held in an external KMS or a second master key).
    pub fn from_bytes(version: u32, key: &[u8; 32]) -> Self {
        Self {
            version,
            cipher: Aes256Gcm::new(GenericArray::from_slice(key)),
        }
    }

    /// Its version.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// Wraps a 32-byte DEK for `scope` at `generation` (bound into the AAD).
    pub fn wrap(&self, scope: Uuid, generation: u32, dek: &[u8; 32]) -> Result<WrappedDek> {
        self.wrap_with_nonce(scope, generation, dek, &random::array::<WRAP_NONCE_LEN>()?)
    }

    /// Wraps with a caller-drawn random nonce (bulk rewraps draw many in one system call).
    pub(crate) fn wrap_with_nonce(
        &self,
        scope: Uuid,
        generation: u32,
        dek: &[u8; 32],
        nonce: &[u8; WRAP_NONCE_LEN],
    ) -> Result<WrappedDek> {
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.push(WRAP_VERSION);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(nonce);
        out.extend_from_slice(dek);
        let aad = format::wrap_aad(scope, generation, self.version);
        let body_at = 5 + WRAP_NONCE_LEN;
        let tag = self
            .cipher
            .encrypt_in_place_detached(GenericArray::from_slice(nonce), &aad, &mut out[body_at..])
            .map_err(|_| Error::Decrypt)?;
        out.extend_from_slice(&tag);
        Ok(WrappedDek(out))
    }

    /// Unwraps a DEK wrapped under this KEK for `scope` at `generation`.
    pub fn unwrap(
        &self,
        scope: Uuid,
        generation: u32,
        wrapped: &WrappedDek,
    ) -> Result<Zeroizing<[u8; 32]>> {
        if wrapped.kek_version() != self.version {
            return Err(Error::UnknownKekVersion(wrapped.kek_version()));
        }
        let bytes = wrapped.as_bytes();
        let nonce = GenericArray::from_slice(&bytes[5..5 + WRAP_NONCE_LEN]);
        let tag = GenericArray::from_slice(&bytes[WRAPPED_LEN - WRAP_TAG_LEN..]);
        let mut dek = Zeroizing::new([0u8; 32]);
        dek.copy_from_slice(&bytes[5 + WRAP_NONCE_LEN..WRAPPED_LEN - WRAP_TAG_LEN]);
        let aad = format::wrap_aad(scope, generation, self.version);
        self.cipher
            .decrypt_in_place_detached(nonce, &aad, dek.as_mut(), tag)
            .map_err(|_| Error::Decrypt)?;
        Ok(dek)
    }
}

/// The KEK versions in use: `current` wraps new DEKs; every version present can unwrap.
///
/// Rotation: build a ring whose current is the new version and that still holds the old
/// ones, run [`Envelope::rewrap_all`](crate::Envelope::rewrap_all), then drop the old versions.
#[derive(Debug)]
pub struct KekRing {
    current: u32,
    keks: BTreeMap<u32, Kek>,
}

impl KekRing {
    /// A ring holding only `current`.
    pub fn new(current: Kek) -> Self {
        let version = current.version;
        Self {
            current: version,
            keks: BTreeMap::from([(version, current)]),
        }
    }

    /// Versions `1..=current`, all derived from `master`; `current` wraps.
    pub fn derived(master: &MasterKey, current: u32) -> Self {
        let keks = (1..=current.max(1))
            .map(|v| (v, Kek::derive(master, v)))
            .collect();
        Self {
            current: current.max(1),
            keks,
        }
    }

    /// Adds a decrypt-only (or replacement) version.
    pub fn with(mut self, kek: Kek) -> Self {
        self.keks.insert(kek.version, kek);
        self
    }

    /// The version that wraps new DEKs.
    pub fn current_version(&self) -> u32 {
        self.current
    }

    /// The configured versions.
    pub fn versions(&self) -> impl Iterator<Item = u32> + '_ {
        self.keks.keys().copied()
    }

    pub(crate) fn current(&self) -> Result<&Kek> {
        self.get(self.current)
    }

    pub(crate) fn get(&self, version: u32) -> Result<&Kek> {
        self.keks
            .get(&version)
            .ok_or(Error::UnknownKekVersion(version))
    }
}

/// An unwrapped DEK ready for use: its XAES schedule and its commitment value.
pub(crate) struct Dek {
    pub(crate) generation: u32,
    pub(crate) xaes: Xaes256Gcm,
    pub(crate) commitment: [u8; 32],
}

impl Dek {
    pub(crate) fn new(generation: u32, key: &[u8; 32]) -> Result<Self> {
        Ok(Self {
            generation,
            xaes: Xaes256Gcm::new(key),
            commitment: commitment(key)?,
        })
    }
}

/// The key commitment of a DEK: HMAC-SHA256(DEK, "myc-crypto/v1/key-commitment").
///
/// Every message key is derived deterministically from the DEK and the nonce stored beside the
/// commitment, so committing to the DEK commits the ciphertext to one message key.
pub(crate) fn commitment(key: &[u8; 32]) -> Result<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).map_err(|_| Error::Decrypt)?;
    mac.update(COMMITMENT_LABEL);
    Ok(mac.finalize().into_bytes().into())
}
