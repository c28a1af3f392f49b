//! Credential extraction: `x-mycelium-connection-string` first, else `Authorization: Bearer`.
//!
//! Several `Authorization` (or connection-string) headers, empty values, other schemes, bad
//! characters and oversize values are refused rather than guessed at.
//!
//! ```
//! use http::HeaderMap;
//! use myc_tower::credential::{Credential, extract};
//! let mut headers = HeaderMap::new();
//! headers.insert("authorization", "Bearer abc.def.ghi".parse().unwrap());
//! assert_eq!(extract(&headers), Ok(Some(Credential::Bearer("abc.def.ghi".into()))));
//! ```

use http::HeaderMap;
use myc_profile::headers;

use crate::AuthError;

/// Longest accepted credential (bytes); longer values are refused before any parsing.
pub const MAX_CREDENTIAL_LEN: usize = 8 * 1024;

/// A credential presented by the caller.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A bearer token (a JWT).
    Bearer(String),
    /// A Mycelium connection string (the header value, base64).
    ConnectionString(String),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::ConnectionString(_) => f.write_str("ConnectionString(<redacted>)"),
        }
    }
}

fn single<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, AuthError> {
    let mut values = headers.get_all(name).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::MalformedCredentials(
            "several credential headers",
        ));
    }
    if value.len() > MAX_CREDENTIAL_LEN {
        return Err(AuthError::MalformedCredentials("credential too long"));
    }
    let value = value
        .to_str()
        .map_err(|_| AuthError::MalformedCredentials("credential is not visible ASCII"))?
        .trim();
    if value.is_empty() {
        return Err(AuthError::MalformedCredentials("empty credential"));
    }
    Ok(Some(value))
}

/// Characters of a JWT: base64url segments separated by dots.
fn is_token68(token: &str) -> bool {
    token.bytes().all(|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=')
    })
}

/// The request's credential, if any.
pub fn extract(headers: &HeaderMap) -> Result<Option<Credential>, AuthError> {
    if let Some(value) = single(headers, headers::CONNECTION_STRING)? {
        // A request presenting both is ambiguous only if the bearer is malformed; the
        // connection string wins, as upstream.
        return Ok(Some(Credential::ConnectionString(value.to_owned())));
    }
    let Some(value) = single(headers, http::header::AUTHORIZATION.as_str())? else {
        return Ok(None);
    };
    let (scheme, token) = value
        .split_once(' ')
        .ok_or(AuthError::MalformedCredentials("expected `Bearer <token>`"))?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::MalformedCredentials(
            "only the Bearer scheme is accepted",
        ));
    }
    let token = token.trim();
    if token.is_empty() || !is_token68(token) {
        return Err(AuthError::MalformedCredentials("malformed bearer token"));
    }
    Ok(Some(Credential::Bearer(token.to_owned())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                http::HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    #[test]
    fn precedence_and_refusals() {
        assert_eq!(extract(&headers(&[])), Ok(None));
        assert_eq!(
            extract(&headers(&[
                ("authorization", "Bearer a.b.c"),
                ("x-mycelium-connection-string", "Y3M=")
            ])),
            Ok(Some(Credential::ConnectionString("Y3M=".into())))
        );
        assert_eq!(
            extract(&headers(&[("authorization", "bearer a.b.c")])),
            Ok(Some(Credential::Bearer("a.b.c".into())))
        );
        for bad in [
            vec![
                ("authorization", "Bearer a.b.c"),
                ("authorization", "Bearer d.e.f"),
            ],
            vec![("authorization", "")],
            vec![("authorization", "Bearer")],
            vec![("authorization", "Bearer ")],
            vec![("authorization", "Basic dXNlcjpwYXNz")],
            vec![("authorization", "Bearer a.b c")],
            vec![("authorization", "Bearer a\"b")],
            vec![("x-mycelium-connection-string", " ")],
        ] {
            assert!(
                matches!(
                    extract(&headers(&bad)),
                    Err(AuthError::MalformedCredentials(_))
                ),
                "{bad:?}"
            );
        }
        let long = format!("Bearer {}", "a".repeat(MAX_CREDENTIAL_LEN));
        assert!(extract(&headers(&[("authorization", &long)])).is_err());
        assert!(!format!("{:?}", Credential::Bearer("secret".into())).contains("secret"));
    }
}
