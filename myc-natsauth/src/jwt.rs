//! Encoding (signing) and decoding (verifying) NATS JWTs.
//!
//! Header `{"typ":"JWT","alg":"ed25519-nkey"}`; segments base64url without padding; a raw
//! Ed25519 signature by the issuer over `"<header>.<payload>"`. On encode the issuer and issue
//! time are set and `jti` is computed as nats-io/jwt does: SHA-512/256 of the JSON of the
//! standard claims only (without `nats` and with `jti` empty), standard base32 without padding.
//! JSON escapes `<`, `>`, `&`, U+2028 and U+2029 as Go's encoder does, so ids match Go tools.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha512_256};

use crate::claims::{Claims, NatsClaims, VERSION};
use crate::keys::{self, KeyKind, Nkey};
use crate::{Error, Result};

/// The base64url of the v2 header.
pub const HEADER: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ";
/// Largest token accepted (Go's cap).
pub const MAX_TOKEN_LEN: usize = 1024 * 1024;

#[derive(Deserialize)]
struct Header {
    typ: String,
    alg: String,
}

/// Go's `ClaimsData` alone, for the `jti` hash.
#[derive(Serialize)]
struct Standard<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    aud: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    exp: i64,
    #[serde(skip_serializing_if = "is_zero")]
    iat: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    iss: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    name: &'a str,
    #[serde(skip_serializing_if = "is_zero")]
    nbf: i64,
    #[serde(skip_serializing_if = "str::is_empty")]
    sub: &'a str,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// JSON as Go's `encoding/json` writes it (HTML-safe escaping).
pub(crate) fn go_json<T: Serialize>(value: &T) -> Result<String> {
    let json = serde_json::to_string(value).map_err(|e| Error::Malformed(e.to_string()))?;
    if !json.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
        return Ok(json);
    }
    // These characters can only occur inside JSON strings, so replacing them is safe.
    Ok(json
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029"))
}

/// The `jti` nats-io/jwt computes for these standard claims.
pub fn compute_jti<T>(claims: &Claims<T>) -> Result<String> {
    let standard = Standard {
        aud: &claims.aud,
        exp: claims.exp,
        iat: claims.iat,
        iss: &claims.iss,
        name: &claims.name,
        nbf: claims.nbf,
        sub: &claims.sub,
    };
    let digest = Sha512_256::digest(go_json(&standard)?.as_bytes());
    Ok(data_encoding::BASE32_NOPAD.encode(&digest))
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl<T: NatsClaims> Claims<T> {
    /// Signs with `signer` at the current time. See [`Claims::encode_at`].
    pub fn encode(&mut self, signer: &Nkey) -> Result<String> {
        self.encode_at(signer, now())
    }

    /// Sorts lists as Go does, sets `iss` (the signer), `iat` (`now`), `jti`, and signs. The signer's kind must be
    /// allowed to issue this claim type.
    pub fn encode_at(&mut self, signer: &Nkey, now: i64) -> Result<String> {
        if !T::ISSUERS.is_empty() && !T::ISSUERS.contains(&signer.kind()) {
            return Err(Error::IssuerNotAllowed {
                claim: T::TYPE,
                issuer: signer.public_key(),
            });
        }
        self.iss = signer.public_key();
        self.iat = now;
        self.jti = String::new();
        self.jti = compute_jti(self)?;
        let payload = URL_SAFE_NO_PAD.encode(go_json(self)?);
        let signing_input = format!("{HEADER}.{payload}");
        let signature = signer.sign(signing_input.as_bytes())?;
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }

    /// Decodes and verifies a token: size, header, JSON, claim type, version, issuer kind, and
    /// the signature against the token's own `iss`. Whether that issuer is *trusted* is the
    /// caller's question (see [`crate::chain`]).
    pub fn decode(token: &str) -> Result<Self> {
        decode_parts::<T>(token)
    }
}

fn decode_parts<T: NatsClaims>(token: &str) -> Result<Claims<T>> {
    let token = token.trim();
    if token.len() > MAX_TOKEN_LEN {
        return Err(Error::TooLarge(token.len()));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Error::Malformed(
            "expected three dot-separated segments".into(),
        ));
    };
    let header_json = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| Error::Malformed("header is not base64url".into()))?;
    let parsed_header: Header = serde_json::from_slice(&header_json)
        .map_err(|_| Error::Malformed("header is not JSON".into()))?;
    if !parsed_header.typ.eq_ignore_ascii_case("jwt") {
        return Err(Error::Header(format!("typ {:?}", parsed_header.typ)));
    }
    let v1 = match parsed_header.alg.as_str() {
        "ed25519-nkey" => false,
        "ed25519" => true,
        other => return Err(Error::Header(format!("alg {other:?}"))),
    };
    let payload_json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| Error::Malformed("payload is not base64url".into()))?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| Error::Malformed("signature is not base64url".into()))?;
    let claims: Claims<T> = serde_json::from_slice(&payload_json)
        .map_err(|e| Error::Malformed(format!("claims: {e}")))?;
    if claims.nats.claim_type() != T::TYPE {
        return Err(Error::WrongType {
            expected: T::TYPE,
            found: claims.nats.claim_type().to_owned(),
        });
    }
    if claims.nats.version() > VERSION {
        return Err(Error::Version(claims.nats.version()));
    }
    let issuer_kind = KeyKind::of_public_key(&claims.iss);
    if !T::ISSUERS.is_empty() && !issuer_kind.is_some_and(|k| T::ISSUERS.contains(&k)) {
        return Err(Error::IssuerNotAllowed {
            claim: T::TYPE,
            issuer: claims.iss.clone(),
        });
    }
    // v1 tokens signed the payload only.
    let signed: &[u8] = if v1 {
        payload.as_bytes()
    } else {
        &token.as_bytes()[..header.len() + 1 + payload.len()]
    };
    keys::verify(&claims.iss, signed, &signature)?;
    Ok(claims)
}

/// Reads `nats.type` of a token without verifying it (to pick the type to decode it as).
pub fn peek_type(token: &str) -> Result<String> {
    let payload = token
        .trim()
        .split('.')
        .nth(1)
        .ok_or_else(|| Error::Malformed("no payload".into()))?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| Error::Malformed("payload is not base64url".into()))?;
    let value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|e| Error::Malformed(e.to_string()))?;
    Ok(value["nats"]["type"]
        .as_str()
        .unwrap_or("generic")
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::claims::{Account, Operator, User};

    #[test]
    fn encode_decode_and_jti() {
        let op = Nkey::generate(KeyKind::Operator).unwrap();
        let mut claims = Claims::new(op.public_key(), "OP", Operator::default());
        let token = claims.encode_at(&op, 1_700_000_000).unwrap();
        assert!(token.starts_with(HEADER));
        let back = Claims::<Operator>::decode(&token).unwrap();
        assert_eq!(back, claims);
        assert_eq!(back.jti.len(), 52);
        assert_eq!(
            back.jti,
            compute_jti(&Claims {
                jti: String::new(),
                ..back.clone()
            })
            .unwrap()
        );

        // Wrong type, tampering, wrong issuer kind.
        assert!(matches!(
            Claims::<Account>::decode(&token),
            Err(Error::WrongType { .. })
        ));
        let mut bad = token.clone().into_bytes();
        let i = HEADER.len() + 5;
        bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
        assert!(Claims::<Operator>::decode(std::str::from_utf8(&bad).unwrap()).is_err());
        let user = Nkey::generate(KeyKind::User).unwrap();
        let mut u = Claims::new(user.public_key(), "u", User::default());
        assert!(matches!(u.encode(&op), Err(Error::IssuerNotAllowed { .. })));
    }

    #[test]
    fn go_escaping() {
        let v = serde_json::json!({"name": "a<b>&c\u{2028}"});
        assert_eq!(
            go_json(&v).unwrap(),
            r#"{"name":"a\u003cb\u003e\u0026c\u2028"}"#
        );
    }
}
