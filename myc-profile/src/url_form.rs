//! The URL forms upstream uses for licences and tenant ownerships, and their error type.
//!
//! Upstream writes these values without any percent-encoding and parses them with
//! `application/x-www-form-urlencoded` decoding, so a `+` it wrote (in base64 names, or in
//! `+00:00` offsets) comes back as a space. Our writer percent-encodes everything form decoding
//! would alter; our parser form-decodes like upstream and additionally reads a space as the `+`
//! that was meant wherever a space cannot occur (base64, timestamps).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use uuid::Uuid;

/// Why a URL-form licence or tenant ownership could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlFormError {
    /// The path does not have the expected segments.
    #[error("bad path {path:?}: expected {expected}")]
    Path {
        /// The path as received.
        path: String,
        /// The shape expected.
        expected: &'static str,
    },
    /// A UUID segment or parameter is not a UUID.
    #[error("{field}: {value:?} is not a UUID")]
    Uuid {
        /// Which field.
        field: &'static str,
        /// The text found.
        value: String,
    },
    /// A required query parameter is missing.
    #[error("missing query parameter {0:?}")]
    Missing(&'static str),
    /// A query parameter appears more than once.
    #[error("query parameter {0:?} appears more than once")]
    Duplicate(String),
    /// A query parameter has a value that cannot be read.
    #[error("query parameter {param:?}: {reason}")]
    Value {
        /// Which parameter.
        param: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A value cannot be written in URL form without changing meaning.
    #[error("cannot write {field} in URL form: {reason}")]
    Unrepresentable {
        /// Which field.
        field: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// Upper bound on one URL-form entry, so a hostile header cannot make the parser work hard.
pub(crate) const MAX_URL_LEN: usize = 16 * 1024;

/// A parsed URL: its `/`-separated path segments and its form-decoded query pairs.
pub(crate) struct ParsedUrl<'a> {
    pub(crate) segments: Vec<&'a str>,
    pairs: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> ParsedUrl<'a> {
    pub(crate) fn parse(
        text: &'a str,
        segments: usize,
        expected: &'static str,
    ) -> Result<Self, UrlFormError> {
        let bad_path = || UrlFormError::Path {
            path: truncate(text),
            expected,
        };
        if text.len() > MAX_URL_LEN || text.contains('#') {
            return Err(bad_path());
        }
        let (path, query) = text.split_once('?').unwrap_or((text, ""));
        let parts: Vec<&str> = path.split('/').collect();
        if parts.len() != segments || parts.iter().any(|s| s.is_empty()) {
            return Err(bad_path());
        }
        let mut pairs: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key = form_decode(k);
            if pairs.iter().any(|(seen, _)| *seen == key) {
                return Err(UrlFormError::Duplicate(key.into_owned()));
            }
            pairs.push((key, form_decode(v)));
        }
        Ok(Self {
            segments: parts,
            pairs,
        })
    }

    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    pub(crate) fn require(&self, key: &'static str) -> Result<&str, UrlFormError> {
        self.get(key).ok_or(UrlFormError::Missing(key))
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(120).collect()
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; invalid
/// escapes are kept literally and invalid UTF-8 is replaced (as the WHATWG algorithm does).
pub(crate) fn form_decode(input: &str) -> Cow<'_, str> {
    if !input.bytes().any(|b| b == b'+' || b == b'%') {
        return Cow::Borrowed(input);
    }
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// RFC 3986 unreserved characters stay; every other byte is percent-encoded.
pub(crate) const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// [`UNRESERVED`] and `:` (timestamps).
pub(crate) const UNRESERVED_COLON: &AsciiSet = &UNRESERVED.remove(b':');
/// [`UNRESERVED`], `/` and `=` (base64).
pub(crate) const UNRESERVED_BASE64: &AsciiSet = &UNRESERVED.remove(b'/').remove(b'=');

/// Percent-encodes `input` (uppercase hex) with `set`, appending to `out`.
pub(crate) fn percent_encode(input: &str, set: &'static AsciiSet, out: &mut String) {
    out.extend(utf8_percent_encode(input, set));
}

/// Parses a UUID written as 32 hex digits (upstream's writer) or hyphenated.
pub(crate) fn parse_uuid(field: &'static str, text: &str) -> Result<Uuid, UrlFormError> {
    let err = || UrlFormError::Uuid {
        field,
        value: truncate(text),
    };
    if text.len() != 32 && text.len() != 36 {
        return Err(err());
    }
    Uuid::try_parse(text).map_err(|_| err())
}

/// Standard base64 of a name, with a space read as the `+` form decoding turned it into.
pub(crate) fn decode_name(param: &'static str, value: &str) -> Result<String, UrlFormError> {
    let value = value.replace(' ', "+");
    let bytes = STANDARD
        .decode(value.as_bytes())
        .map_err(|e| UrlFormError::Value {
            param,
            reason: format!("invalid base64: {e}"),
        })?;
    String::from_utf8(bytes).map_err(|_| UrlFormError::Value {
        param,
        reason: "name is not UTF-8".into(),
    })
}

pub(crate) fn encode_name(name: &str, out: &mut String) {
    percent_encode(&STANDARD.encode(name.as_bytes()), UNRESERVED_BASE64, out);
}

pub(crate) fn parse_bit(param: &'static str, value: &str) -> Result<bool, UrlFormError> {
    match value {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(UrlFormError::Value {
            param,
            reason: format!("{other:?} is not 0 or 1"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding_matches_whatwg() {
        assert_eq!(form_decode("a+b%2Bc"), "a b+c");
        assert_eq!(form_decode("%zz%4"), "%zz%4");
        assert_eq!(form_decode("%41%"), "A%");
        assert_eq!(form_decode("plain"), "plain");
    }

    #[test]
    fn percent_encoding_round_trips_through_form_decoding() {
        for s in ["a+b", "x y&z=1", "ção", "%41", "a/b=c"] {
            let mut out = String::new();
            percent_encode(s, UNRESERVED, &mut out);
            assert_eq!(form_decode(&out), s);
        }
    }
}
