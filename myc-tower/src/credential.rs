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

use crate::AuthError;

/// Longest accepted credential (bytes); longer values are refused before any parsing.
pub const MAX_CREDENTIAL_LEN: usize = 8 * 1024;

/// A credential's text, sharing the request header's bytes (no copy). Never printed.
#[derive(Clone)]
pub struct CredentialText {
    value: http::HeaderValue,
    start: usize,
    end: usize,
}

impl CredentialText {
    fn new(value: &http::HeaderValue, text: &str) -> Self {
        // `text` is a subslice of `value`'s bytes.
        let base = value.as_bytes().as_ptr() as usize;
        let start = (text.as_ptr() as usize).saturating_sub(base);
        Self {
            value: value.clone(),
            start,
            end: start + text.len(),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.value
            .as_bytes()
            .get(self.start..self.end)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl From<&str> for CredentialText {
    fn from(text: &str) -> Self {
        let value = http::HeaderValue::from_str(text)
            .unwrap_or_else(|_| http::HeaderValue::from_static(""));
        let end = value.len();
        Self {
            value,
            start: 0,
            end,
        }
    }
}

impl PartialEq for CredentialText {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for CredentialText {}

impl std::ops::Deref for CredentialText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

/// A credential presented by the caller.
#[derive(Clone, PartialEq, Eq)]
pub enum Credential {
    /// A bearer token (a JWT).
    Bearer(CredentialText),
    /// A Mycelium connection string (the header value, base64).
    ConnectionString(CredentialText),
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bearer(_) => f.write_str("Bearer(<redacted>)"),
            Self::ConnectionString(_) => f.write_str("ConnectionString(<redacted>)"),
        }
    }
}

fn single<'a>(
    headers: &'a HeaderMap,
    name: &http::HeaderName,
) -> Result<Option<(&'a http::HeaderValue, &'a str)>, AuthError> {
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
    let text = value
        .to_str()
        .map_err(|_| AuthError::MalformedCredentials("credential is not visible ASCII"))?
        .trim();
    if text.is_empty() {
        return Err(AuthError::MalformedCredentials("empty credential"));
    }
    Ok(Some((value, text)))
}

/// RFC 6750 `b64token` characters (a JWT's base64url segments and dots among them).
const TOKEN68: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'_' | b'.' | b'~' | b'+' | b'/' | b'=');
        c += 1;
    }
    table
};

fn is_token68(token: &str) -> bool {
    token.bytes().all(|b| TOKEN68[usize::from(b)])
}

/// The request's credential, if any.
pub fn extract(headers: &HeaderMap) -> Result<Option<Credential>, AuthError> {
    let credential = extract_unchecked(headers, has_identity_headers(headers))?;
    if let Some(Credential::Bearer(token)) = &credential {
        check_bearer(token)?;
    }
    Ok(credential)
}

/// Refuses a bearer token with characters outside RFC 6750's `b64token`.
pub(crate) fn check_bearer(token: &str) -> Result<(), AuthError> {
    if is_token68(token) {
        Ok(())
    } else {
        Err(AuthError::MalformedCredentials("malformed bearer token"))
    }
}

/// Whether any header is in the `x-mycelium-` namespace: one pass over the names, cheaper
/// than hashing a custom name to look it up, and most requests carry none.
pub(crate) fn has_identity_headers(headers: &HeaderMap) -> bool {
    headers
        .keys()
        .any(|name| myc_profile::headers::is_mycelium_header(name.as_str()))
}

/// [`extract`] without the per-character check of bearer tokens: the layer looks the token
/// up in its verified-token cache first (a hit is a token that passed [`check_bearer`]) and
/// runs the check before verifying anything else. `namespaced` is
/// [`has_identity_headers`]: without it there is no connection string to look for.
pub(crate) fn extract_unchecked(
    headers: &HeaderMap,
    namespaced: bool,
) -> Result<Option<Credential>, AuthError> {
    if !namespaced {
        // Nothing in the namespace: no connection-string header to look up.
    } else if let Some((header, text)) = single(headers, &crate::header_names::CONNECTION_STRING)? {
        // The connection string wins over a bearer token, as upstream.
        return Ok(Some(Credential::ConnectionString(CredentialText::new(
            header, text,
        ))));
    }
    let Some((header, value)) = single(headers, &http::header::AUTHORIZATION)? else {
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
    if token.is_empty() || token.contains(' ') {
        return Err(AuthError::MalformedCredentials("malformed bearer token"));
    }
    Ok(Some(Credential::Bearer(CredentialText::new(header, token))))
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
