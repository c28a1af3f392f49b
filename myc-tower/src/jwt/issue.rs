//! Issuing tokens with Ed25519 keys that have key ids, and the JWKS that publishes their
//! public halves, so a downstream service verifies a gateway's tokens with [`jwks::JwksCache`]
//! and no shared secret. Rotation: a new key goes first (it signs), the previous ones stay
//! listed (they verify) until every token they signed has expired.
//!
//! [`jwks::JwksCache`]: super::jwks::JwksCache

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::LocalKey;

/// An Ed25519 signing key with its key id.
pub struct SigningKey {
    kid: String,
    pkcs8: Zeroizing<Vec<u8>>,
    public: [u8; 32],
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({:?}, <seed redacted>)", self.kid)
    }
}

/// The PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410 §10.3): the 32-byte seed
/// follows. A fixed 16-byte header, so the key needs neither ed25519-dalek's `pkcs8` feature
/// (and its DER stack) nor an error path; both JWT backends read it (`jwt::backend` tests).
const PKCS8_ED25519: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

impl SigningKey {
    /// The key of `seed`, named `kid`.
    pub fn from_seed(kid: &str, seed: &[u8; 32]) -> Self {
        let public = ed25519_dalek::SigningKey::from_bytes(seed)
            .verifying_key()
            .to_bytes();
        let mut pkcs8 = Zeroizing::new(Vec::with_capacity(48));
        pkcs8.extend_from_slice(&PKCS8_ED25519);
        pkcs8.extend_from_slice(seed);
        Self {
            kid: kid.to_owned(),
            pkcs8,
            public,
        }
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// This key's JWK (public half only).
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.public),
            "kid": self.kid,
            "alg": "EdDSA",
            "use": "sig",
        })
    }
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The claims could not be signed.
    #[error("signing failed: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    /// No signing key is configured.
    #[error("no signing key")]
    NoKey,
}

/// Signs tokens with the first of its keys; publishes all of them.
#[derive(Debug)]
pub struct TokenIssuer {
    keys: Vec<SigningKey>,
}

impl TokenIssuer {
    /// An issuer signing with `keys[0]`; the others (previous keys) are only published.
    pub fn new(keys: Vec<SigningKey>) -> Result<Self, IssueError> {
        if keys.is_empty() {
            return Err(IssueError::NoKey);
        }
        Ok(Self { keys })
    }

    /// `claims` signed with the current key (EdDSA, `kid` in the header).
    pub fn sign(&self, claims: &Value) -> Result<String, IssueError> {
        let key = self.keys.first().ok_or(IssueError::NoKey)?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(key.kid.clone());
        super::backend::install_default();
        let encoding = EncodingKey::from_ed_der(&key.pkcs8);
        Ok(jsonwebtoken::encode(&header, claims, &encoding)?)
    }

    /// The JWKS document of every key (`/.well-known/jwks.json`).
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(SigningKey::jwk).collect::<Vec<_>>() })
    }

    /// Keys that verify what this issuer signed (for the issuer's own verifier).
    pub fn verification_keys(&self) -> Vec<LocalKey> {
        self.keys
            .iter()
            .filter_map(|k| LocalKey::ed25519(Some(&k.kid), &k.public).ok())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 8032 test 1: the seed's public key, and a token that verifies with it.
    #[test]
    fn rfc8032_key_and_a_verifiable_token() {
        let seed: [u8; 32] =
            hex_literal("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = SigningKey::from_seed("ed-1", &seed);
        assert_eq!(
            key.public_key(),
            hex_literal::<32>("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        );
        let issuer = TokenIssuer::new(vec![key]).unwrap();
        let token = issuer
            .sign(&json!({ "sub": "a", "exp": jsonwebtoken::get_current_timestamp() + 60 }))
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(
            (header.alg, header.kid.as_deref()),
            (Algorithm::EdDSA, Some("ed-1"))
        );
        let jwk = &issuer.jwks()["keys"][0];
        let decoding =
            jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::EdDSA);
        validation.required_spec_claims.clear();
        validation.validate_aud = false;
        assert!(jsonwebtoken::decode::<Value>(&token, &decoding, &validation).is_ok());
        assert!(!format!("{:?}", issuer).contains("9d61"));
        assert!(TokenIssuer::new(Vec::new()).is_err());
    }

    fn hex_literal<const N: usize>(text: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
