//! Bounded, strict parsing of a JWT's header before any key is looked up.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;

/// Longest accepted encoded header segment.
pub const MAX_HEADER_SEGMENT: usize = 2048;
/// Longest accepted `kid`.
pub const MAX_KID_LEN: usize = 256;

/// What the verifier needs from a JWT header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JwtHeader {
    /// The signing algorithm (never `none`).
    pub alg: Algorithm,
    /// The key id, when present: printable ASCII, at most [`MAX_KID_LEN`] bytes.
    pub kid: Option<String>,
}

/// Why a header was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// Not three dot-separated segments.
    #[error("not a compact JWS")]
    Shape,
    /// The header segment is too long, not base64url or not a JSON object.
    #[error("malformed header")]
    Malformed,
    /// `alg` is `none` or unknown.
    #[error("algorithm {0:?} is not accepted")]
    Algorithm(String),
    /// `kid` is too long or contains control or non-ASCII characters.
    #[error("malformed kid")]
    Kid,
    /// The header marks extensions critical (`crit`), which are not supported.
    #[error("critical header extensions are not supported")]
    Critical,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crit: Option<serde_json::Value>,
}

/// Parses the header of a compact JWS.
///
/// ```
/// use myc_tower::internal::jwt_header::{parse, HeaderError};
/// // {"alg":"none"}
/// assert_eq!(parse("eyJhbGciOiJub25lIn0.e30."), Err(HeaderError::Algorithm("none".into())));
/// ```
pub fn parse(token: &str) -> Result<JwtHeader, HeaderError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeaderError::Shape);
    };
    if header.is_empty() || header.len() > MAX_HEADER_SEGMENT {
        return Err(HeaderError::Malformed);
    }
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| HeaderError::Malformed)?;
    let raw: RawHeader = serde_json::from_slice(&bytes).map_err(|_| HeaderError::Malformed)?;
    if raw.crit.is_some() {
        return Err(HeaderError::Critical);
    }
    let alg = match raw.alg.as_str() {
        "HS256" => Algorithm::HS256,
        "HS384" => Algorithm::HS384,
        "HS512" => Algorithm::HS512,
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        "EdDSA" => Algorithm::EdDSA,
        other => return Err(HeaderError::Algorithm(other.chars().take(32).collect())),
    };
    if let Some(kid) = &raw.kid
        && (kid.is_empty()
            || kid.len() > MAX_KID_LEN
            || !kid.bytes().all(|b| (0x20..0x7f).contains(&b)))
    {
        return Err(HeaderError::Kid);
    }
    Ok(JwtHeader { alg, kid: raw.kid })
}

/// The unverified `iss` of a token, used only to pick which issuer's rules verify it.
pub(crate) fn peek_issuer(token: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct Iss {
        #[serde(default)]
        iss: Option<String>,
    }
    let payload = token.split('.').nth(1)?;
    if payload.len() > crate::credential::MAX_CREDENTIAL_LEN {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    serde_json::from_slice::<Iss>(&bytes).ok()?.iss
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(json: &str) -> String {
        format!("{}.e30.c2ln", URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn refusals() {
        for (json, err) in [
            (r#"{"alg":"none"}"#, HeaderError::Algorithm("none".into())),
            (r#"{"alg":"NONE"}"#, HeaderError::Algorithm("NONE".into())),
            (r#"{"alg":"HS256","kid":""}"#, HeaderError::Kid),
            (r#"{"alg":"HS256","kid":"a\nb"}"#, HeaderError::Kid),
            (r#"{"alg":"HS256","kid":"é"}"#, HeaderError::Kid),
            (r#"{"alg":"HS256","crit":["b64"]}"#, HeaderError::Critical),
            (r#"{"kid":"x"}"#, HeaderError::Malformed),
            (r#"[]"#, HeaderError::Malformed),
        ] {
            assert_eq!(parse(&seg(json)), Err(err), "{json}");
        }
        let long_kid = format!(
            r#"{{"alg":"HS256","kid":"{}"}}"#,
            "k".repeat(MAX_KID_LEN + 1)
        );
        assert_eq!(parse(&seg(&long_kid)), Err(HeaderError::Kid));
        assert_eq!(parse("a.b"), Err(HeaderError::Shape));
        assert_eq!(parse("a.b.c.d"), Err(HeaderError::Shape));
        assert_eq!(
            parse(&seg(r#"{"alg":"EdDSA","kid":"../../etc/passwd"}"#)).unwrap(),
            JwtHeader {
                alg: Algorithm::EdDSA,
                kid: Some("../../etc/passwd".into())
            }
        );
    }
}
