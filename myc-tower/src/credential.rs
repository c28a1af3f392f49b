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
        Self::range(value, start, start + text.len())
    }

    fn range(value: &http::HeaderValue, start: usize, end: usize) -> Self {
        Self {
            value: value.clone(),
            start,
            end,
        }
    }

    /// The raw bytes (what the verified-token cache hashes).
    pub fn as_bytes(&self) -> &[u8] {
        self.value
            .as_bytes()
            .get(self.start..self.end)
            .unwrap_or_default()
    }

    /// The text (empty when the bytes are not UTF-8; such a credential never verifies).
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

fn is_token68(token: &[u8]) -> bool {
    token.iter().all(|b| TOKEN68[usize::from(*b)])
}

/// The request's credential, if any.
pub fn extract(headers: &HeaderMap) -> Result<Option<Credential>, AuthError> {
    let credential = extract_unchecked(headers, has_identity_headers(headers))?;
    if let Some(Credential::Bearer(token)) = &credential {
        check_bearer(token.as_bytes())?;
    }
    Ok(credential)
}

/// Refuses a bearer token that is empty or has characters outside RFC 6750's `b64token`
/// (spaces, controls and non-ASCII bytes among them).
pub(crate) fn check_bearer(token: &[u8]) -> Result<(), AuthError> {
    if !token.is_empty() && is_token68(token) {
        Ok(())
    } else {
        Err(AuthError::MalformedCredentials("malformed bearer token"))
    }
}

/// The range of `bytes[start..end]` without leading and trailing spaces and tabs.
fn trim_ows(bytes: &[u8], mut start: usize, mut end: usize) -> (usize, usize) {
    while start < end && matches!(bytes.get(start), Some(b' ' | b'\t')) {
        start += 1;
    }
    while end > start && matches!(bytes.get(end - 1), Some(b' ' | b'\t')) {
        end -= 1;
    }
    (start, end)
}

/// Whether any header is in the `x-mycelium-` namespace (any spelling), or is a `Connection`
/// header (which could name one): one pass over the names, cheaper than hashing a custom name
/// to look it up, and most requests carry none.
pub(crate) fn has_identity_headers(headers: &HeaderMap) -> bool {
    headers.keys().any(|name| {
        name == http::header::CONNECTION || myc_profile::headers::is_mycelium_header(name.as_str())
    })
}

/// [`extract`] without the per-character check of bearer tokens, which would read every
/// byte of the token once more: the layer looks the token's bytes up in its verified-token
/// cache first (a hit is a token that passed [`check_bearer`] before) and runs the check
/// before verifying anything else. `namespaced` is [`has_identity_headers`]: without it there
/// is no connection-string header to look for.
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
    let mut values = headers.get_all(http::header::AUTHORIZATION).iter();
    let Some(header) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthError::MalformedCredentials(
            "several credential headers",
        ));
    }
    let bytes = header.as_bytes();
    if bytes.len() > MAX_CREDENTIAL_LEN {
        return Err(AuthError::MalformedCredentials("credential too long"));
    }
    let (start, end) = trim_ows(bytes, 0, bytes.len());
    if start == end {
        return Err(AuthError::MalformedCredentials("empty credential"));
    }
    let space = bytes
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .position(|b| *b == b' ')
        .ok_or(AuthError::MalformedCredentials("expected `Bearer <token>`"))?;
    let scheme = bytes.get(start..start + space).unwrap_or_default();
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(AuthError::MalformedCredentials(
            "only the Bearer scheme is accepted",
        ));
    }
    let (start, end) = trim_ows(bytes, start + space, end);
    if start == end {
        return Err(AuthError::MalformedCredentials("malformed bearer token"));
    }
    Ok(Some(Credential::Bearer(CredentialText::range(
        header, start, end,
    ))))
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

    #[test]
    fn unchecked_extraction_defers_only_the_character_check() {
        let bearer = |map: &HeaderMap| match extract_unchecked(map, false) {
            Ok(Some(Credential::Bearer(token))) => token.as_bytes().to_vec(),
            other => panic!("{other:?}"),
        };
        // Spaces and tabs around the value and the token are not part of the token.
        let map = headers(&[("authorization", " \tBearer \t a.b.c \t")]);
        assert_eq!(bearer(&map), b"a.b.c");
        assert_eq!(extract(&map), Ok(Some(Credential::Bearer("a.b.c".into()))));
        // Characters are left to `check_bearer`, which every path runs before a verification.
        let mut map = HeaderMap::new();
        map.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_bytes(b"Bearer a.b\xffc d").unwrap(),
        );
        let token = bearer(&map);
        assert_eq!(token, b"a.b\xffc d");
        assert!(check_bearer(&token).is_err());
        assert!(extract(&map).is_err());
        for bad in ["Bearer", "Bearer \t ", "Token a.b.c", "\t"] {
            assert!(
                extract_unchecked(&headers(&[("authorization", bad)]), false).is_err(),
                "{bad:?}"
            );
        }
    }
}
