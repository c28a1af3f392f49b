//! Signed profiles: an optional, detached Ed25519 signature over the profile header.
//!
//! The plain `x-mycelium-profile` header is trusted only because of network placement and the
//! gateway's stripping of inbound `x-mycelium-*` headers. A deployment that wants more can have
//! the gateway sign every profile it forwards; downstream services then check that the header
//! was minted by their gateway, recently, for this very request.
//!
//! # Header
//! `x-mycelium-profile-signature: v1;kid=<key id>;iat=<unix seconds>;sig=<base64url, no padding>`
//!
//! The plain header is untouched, so upstream decoders keep working and simply ignore this one.
//!
//! # Signed message
//! The Ed25519 signature covers the domain label `mycelium-profile-signature/v1`, followed by
//! six length-prefixed fields (each: 4-byte big-endian length, then the bytes):
//! key id, `iat` in decimal, the request id (`x-mycelium-request-id`), the HTTP method, the
//! request path as the downstream service receives it, and the exact `x-mycelium-profile` value.
//! Length prefixes make the encoding unambiguous; any change to any field breaks the signature.
//!
//! # Verification
//! [`ProfileVerifier`] looks the key id up among configured public keys, verifies strictly
//! (no malleable signatures), then requires `now - iat <= max_age` and `iat <= now + skew`.
//!
//! ```
//! use std::time::Duration;
//! use myc_profile::signature::{ProfileSigner, ProfileVerifier, RequestBinding};
//!
//! let signer = ProfileSigner::from_seed("gw-2026-11", &[7u8; 32]).unwrap();
//! let mut verifier = ProfileVerifier::new(Duration::from_secs(30));
//! verifier.add_key("gw-2026-11", &signer.public_key()).unwrap();
//!
//! let binding = RequestBinding { request_id: "3f1c…", method: "GET", path: "/invoices/42" };
//! let header = "KLUv/WBYAAAA"; // the x-mycelium-profile value being forwarded
//! let sig = signer.sign(header, &binding, 1_800_000_000);
//!
//! let ok = verifier.verify(&sig, header, &binding, 1_800_000_010).unwrap();
//! assert_eq!(ok.key_id, "gw-2026-11");
//! // Another path, another header value, or a stale signature: refused.
//! let other = RequestBinding { path: "/admin", ..binding };
//! assert!(verifier.verify(&sig, header, &other, 1_800_000_010).is_err());
//! assert!(verifier.verify(&sig, header, &binding, 1_800_000_100).is_err());
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use zeroize::Zeroizing;

const DOMAIN: &[u8] = b"mycelium-profile-signature/v1";
const VERSION: &str = "v1";
/// Longest signature header accepted.
const MAX_HEADER_LEN: usize = 256;

/// Why a profile signature could not be created or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The header does not have the `v1;kid=…;iat=…;sig=…` shape.
    #[error("malformed profile signature: {0}")]
    Malformed(&'static str),
    /// A version other than `v1`.
    #[error("unsupported profile signature version {0:?}")]
    UnsupportedVersion(String),
    /// A key id outside `[A-Za-z0-9._-]{1,64}`.
    #[error("invalid key id: expected 1 to 64 of [A-Za-z0-9._-]")]
    InvalidKeyId,
    /// No public key is configured for this key id.
    #[error("unknown profile signing key {0:?}")]
    UnknownKey(String),
    /// The bytes are not a valid Ed25519 public key.
    #[error("invalid Ed25519 public key")]
    InvalidPublicKey,
    /// The signature does not verify.
    #[error("profile signature does not verify")]
    BadSignature,
    /// Older than the maximum age.
    #[error("profile signature is {age_secs} s old, over the {max_secs} s limit")]
    Expired {
        /// Age.
        age_secs: u64,
        /// Limit.
        max_secs: u64,
    },
    /// Issued further in the future than the allowed clock skew.
    #[error("profile signature is issued in the future")]
    NotYetValid,
    /// The system random source failed.
    #[error("cannot generate a signing key: {0}")]
    Random(String),
}

/// The request a signature is bound to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestBinding<'a> {
    /// `x-mycelium-request-id`.
    pub request_id: &'a str,
    /// HTTP method (e.g. `GET`).
    pub method: &'a str,
    /// Path as the downstream service receives it (no query).
    pub path: &'a str,
}

fn valid_key_id(kid: &str) -> bool {
    (1..=64).contains(&kid.len())
        && kid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn message(kid: &str, iat: u64, profile_header: &str, binding: &RequestBinding<'_>) -> Vec<u8> {
    let iat = iat.to_string();
    let fields: [&[u8]; 6] = [
        kid.as_bytes(),
        iat.as_bytes(),
        binding.request_id.as_bytes(),
        binding.method.as_bytes(),
        binding.path.as_bytes(),
        profile_header.as_bytes(),
    ];
    let mut msg =
        Vec::with_capacity(DOMAIN.len() + 24 + fields.iter().map(|f| f.len()).sum::<usize>());
    msg.extend_from_slice(DOMAIN);
    for field in fields {
        // Header values are bounded far below 4 GiB; saturate rather than wrap regardless.
        msg.extend_from_slice(&u32::try_from(field.len()).unwrap_or(u32::MAX).to_be_bytes());
        msg.extend_from_slice(field);
    }
    msg
}

/// Seconds since the Unix epoch, now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Signs profile headers (gateway side). The private key is zeroized on drop and never printed.
pub struct ProfileSigner {
    key_id: String,
    key: SigningKey,
}

impl fmt::Debug for ProfileSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileSigner")
            .field("key_id", &self.key_id)
            .field("public_key", &URL_SAFE_NO_PAD.encode(self.public_key()))
            .finish_non_exhaustive()
    }
}

impl ProfileSigner {
    /// A signer from a 32-byte Ed25519 seed (derive it from a master key, e.g. with
    /// `myc-crypto`'s purpose-separated subkeys).
    pub fn from_seed(key_id: impl Into<String>, seed: &[u8; 32]) -> Result<Self, SignatureError> {
        let key_id = key_id.into();
        if !valid_key_id(&key_id) {
            return Err(SignatureError::InvalidKeyId);
        }
        Ok(Self {
            key_id,
            key: SigningKey::from_bytes(seed),
        })
    }

    /// A signer with a fresh random key.
    pub fn generate(key_id: impl Into<String>) -> Result<Self, SignatureError> {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(seed.as_mut()).map_err(|e| SignatureError::Random(e.to_string()))?;
        Self::from_seed(key_id, &seed)
    }

    /// The key id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The Ed25519 public key to configure in verifiers.
    pub fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// The signature header value for `profile_header` sent with `binding`, issued at `iat`
    /// (Unix seconds).
    pub fn sign(&self, profile_header: &str, binding: &RequestBinding<'_>, iat: u64) -> String {
        let sig = self
            .key
            .sign(&message(&self.key_id, iat, profile_header, binding));
        format!(
            "{VERSION};kid={};iat={iat};sig={}",
            self.key_id,
            URL_SAFE_NO_PAD.encode(sig.to_bytes())
        )
    }
}

/// A signature that verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedSignature {
    /// The key that signed.
    pub key_id: String,
    /// When (Unix seconds).
    pub issued_at: u64,
}

/// Verifies profile signatures (downstream side) against configured gateway public keys.
#[derive(Clone, Debug)]
pub struct ProfileVerifier {
    keys: BTreeMap<String, VerifyingKey>,
    max_age: Duration,
    max_skew: Duration,
}

impl ProfileVerifier {
    /// A verifier accepting signatures up to `max_age` old, with 5 s of clock skew.
    pub fn new(max_age: Duration) -> Self {
        Self {
            keys: BTreeMap::new(),
            max_age,
            max_skew: Duration::from_secs(5),
        }
    }

    /// Sets the tolerated clock skew for signatures issued "in the future".
    pub fn with_clock_skew(mut self, skew: Duration) -> Self {
        self.max_skew = skew;
        self
    }

    /// Trusts `public_key` under `key_id` (several keys allow rotation).
    pub fn add_key(
        &mut self,
        key_id: impl Into<String>,
        public_key: &[u8; 32],
    ) -> Result<(), SignatureError> {
        let key_id = key_id.into();
        if !valid_key_id(&key_id) {
            return Err(SignatureError::InvalidKeyId);
        }
        let key =
            VerifyingKey::from_bytes(public_key).map_err(|_| SignatureError::InvalidPublicKey)?;
        self.keys.insert(key_id, key);
        Ok(())
    }

    /// True when no key is configured.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Verifies `signature_header` for `profile_header` and `binding` at `now` (Unix seconds).
    pub fn verify(
        &self,
        signature_header: &str,
        profile_header: &str,
        binding: &RequestBinding<'_>,
        now: u64,
    ) -> Result<VerifiedSignature, SignatureError> {
        if signature_header.len() > MAX_HEADER_LEN {
            return Err(SignatureError::Malformed("too long"));
        }
        let mut parts = signature_header.trim().split(';');
        let version = parts.next().unwrap_or_default();
        if version != VERSION {
            return Err(SignatureError::UnsupportedVersion(
                version.chars().take(16).collect(),
            ));
        }
        let mut field = |name: &'static str| {
            parts
                .next()
                .and_then(|p| p.strip_prefix(name))
                .and_then(|p| p.strip_prefix('='))
                .ok_or(SignatureError::Malformed(name))
        };
        let kid = field("kid")?;
        let iat_text = field("iat")?;
        let sig_text = field("sig")?;
        if parts.next().is_some() {
            return Err(SignatureError::Malformed("trailing fields"));
        }
        if !valid_key_id(kid) {
            return Err(SignatureError::InvalidKeyId);
        }
        if iat_text.is_empty() || !iat_text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SignatureError::Malformed("iat"));
        }
        let iat: u64 = iat_text
            .parse()
            .map_err(|_| SignatureError::Malformed("iat"))?;
        let sig_bytes: [u8; 64] = URL_SAFE_NO_PAD
            .decode(sig_text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(SignatureError::Malformed("sig"))?;
        let key = self
            .keys
            .get(kid)
            .ok_or_else(|| SignatureError::UnknownKey(kid.to_owned()))?;
        key.verify_strict(
            &message(kid, iat, profile_header, binding),
            &Signature::from_bytes(&sig_bytes),
        )
        .map_err(|_| SignatureError::BadSignature)?;
        if iat > now.saturating_add(self.max_skew.as_secs()) {
            return Err(SignatureError::NotYetValid);
        }
        let age = now.saturating_sub(iat);
        if age > self.max_age.as_secs() {
            return Err(SignatureError::Expired {
                age_secs: age,
                max_secs: self.max_age.as_secs(),
            });
        }
        Ok(VerifiedSignature {
            key_id: kid.to_owned(),
            issued_at: iat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (ProfileSigner, ProfileVerifier) {
        let signer = ProfileSigner::generate("k1").unwrap();
        let mut verifier = ProfileVerifier::new(Duration::from_secs(60));
        verifier.add_key("k1", &signer.public_key()).unwrap();
        (signer, verifier)
    }

    const B: RequestBinding<'static> = RequestBinding {
        request_id: "r1",
        method: "POST",
        path: "/a",
    };

    #[test]
    fn every_field_is_bound() {
        let (signer, verifier) = setup();
        let sig = signer.sign("HDR", &B, 1000);
        assert!(verifier.verify(&sig, "HDR", &B, 1000).is_ok());
        for (hdr, b) in [
            ("HDX", B),
            (
                "HDR",
                RequestBinding {
                    request_id: "r2",
                    ..B
                },
            ),
            ("HDR", RequestBinding { method: "GET", ..B }),
            ("HDR", RequestBinding { path: "/b", ..B }),
        ] {
            assert_eq!(
                verifier.verify(&sig, hdr, &b, 1000),
                Err(SignatureError::BadSignature)
            );
        }
        let forged_iat = sig.replace("iat=1000", "iat=1001");
        assert_eq!(
            verifier.verify(&forged_iat, "HDR", &B, 1001),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn time_window() {
        let (signer, verifier) = setup();
        let sig = signer.sign("H", &B, 1000);
        assert!(verifier.verify(&sig, "H", &B, 1060).is_ok());
        assert!(matches!(
            verifier.verify(&sig, "H", &B, 1061),
            Err(SignatureError::Expired { .. })
        ));
        assert!(verifier.verify(&sig, "H", &B, 995).is_ok());
        assert_eq!(
            verifier.verify(&sig, "H", &B, 994),
            Err(SignatureError::NotYetValid)
        );
    }

    #[test]
    fn unknown_key_and_malformed_headers() {
        let (_, verifier) = setup();
        let other = ProfileSigner::generate("k2").unwrap();
        let sig = other.sign("H", &B, 1000);
        assert_eq!(
            verifier.verify(&sig, "H", &B, 1000),
            Err(SignatureError::UnknownKey("k2".into()))
        );
        for bad in [
            "",
            "v2;kid=k1;iat=1;sig=AA",
            "v1;kid=k1;iat=x;sig=AA",
            "v1;kid=k1;iat=1",
            "v1;kid=k1;iat=1;sig=AA;x=1",
            "v1;iat=1;kid=k1;sig=AA",
        ] {
            assert!(verifier.verify(bad, "H", &B, 1000).is_err(), "{bad}");
        }
        assert!(
            !format!("{:?}", ProfileSigner::from_seed("k", &[9; 32]).unwrap()).contains("0909")
        );
    }
}
