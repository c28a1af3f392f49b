//! Tenant secrets over NATS request/reply: the subjects, the reply format and the client
//! ([`fetch`]) an org-account service uses; the gateway answers (its secrets service).
//!
//! | subject | answers |
//! |---|---|
//! | `mycelium.secrets.<tenant>.<name>` | the tenant's secret `name` |
//! | `mycelium.integrations.<tenant>.<name>` | the tenant's integration credential `name` |
//!
//! The request payload is ignored. Every request gets a [`Reply`]: the value
//! (`{"ok": true, "tenant", "name", "value", "encoding"}`; `encoding` is `utf-8`, or `base64`
//! for a value that is not UTF-8), or an error (`{"ok": false, "error": {"code", "message"}}`,
//! also in the `Nats-Service-Error-Code` / `Nats-Service-Error` headers): 400 malformed
//! subject, 403 requester not allowed for the tenant, 404 no such secret, 500 store failure.
//! A reply over [`MAX_REPLY`] bytes is refused unread.
//!
//! ```no_run
//! # async fn demo(client: async_nats::Client, tenant: uuid::Uuid) -> Result<(), myc_natsauth::secrets::FetchError> {
//! use myc_natsauth::secrets::{fetch, Kind};
//! let password = fetch(&client, Kind::Secret, tenant, "db-password").await?;
//! # Ok(()) }
//! ```

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

/// Subject prefix of tenant secrets.
pub const SECRETS_PREFIX: &str = "mycelium.secrets";
/// Subject prefix of integration credentials.
pub const INTEGRATIONS_PREFIX: &str = "mycelium.integrations";
/// The longest secret name.
pub const MAX_NAME_LEN: usize = 128;
/// The largest reply [`fetch`] reads.
pub const MAX_REPLY: usize = 1024 * 1024;

/// What kind of value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A tenant secret.
    Secret,
    /// An integration credential.
    Integration,
}

impl Kind {
    /// The subject prefix of this kind.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Secret => SECRETS_PREFIX,
            Self::Integration => INTEGRATIONS_PREFIX,
        }
    }
}

/// Why a name is not a secret name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "secret name {shown:?} must be 1-{MAX_NAME_LEN} ASCII letters, digits, '-', '_', '.' or '/'"
)]
pub struct BadName {
    /// The name's first 40 characters.
    pub shown: String,
}

/// Checks a secret name: 1 to [`MAX_NAME_LEN`] ASCII letters, digits, `-`, `_`, `.` or `/`.
pub fn check_name(name: &str) -> Result<(), BadName> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    if ok {
        Ok(())
    } else {
        Err(BadName {
            shown: name.chars().take(40).collect(),
        })
    }
}

/// The subject that asks for `name` of `tenant`.
pub fn subject(kind: Kind, tenant: Uuid, name: &str) -> Result<String, BadName> {
    check_name(name)?;
    Ok(format!("{}.{tenant}.{name}", kind.prefix()))
}

/// Parses `mycelium.<kind>.<tenant>.<name…>` (the name may contain dots).
pub fn parse_subject(subject: &str) -> Option<(Kind, Uuid, &str)> {
    let (kind, rest) = if let Some(rest) = subject.strip_prefix("mycelium.secrets.") {
        (Kind::Secret, rest)
    } else {
        (
            Kind::Integration,
            subject.strip_prefix("mycelium.integrations.")?,
        )
    };
    let (tenant, name) = rest.split_once('.')?;
    let tenant = Uuid::parse_str(tenant).ok()?;
    check_name(name).ok()?;
    Some((kind, tenant, name))
}

/// How a value travels in a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Encoding {
    /// The value is UTF-8 text.
    #[serde(rename = "utf-8")]
    Utf8,
    /// The value's bytes, base64 (standard alphabet, padded).
    #[serde(rename = "base64")]
    Base64,
}

/// An error reply's body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyError {
    /// 400, 403, 404 or 500.
    pub code: u16,
    /// What went wrong (never the value).
    pub message: String,
}

/// A reply of the secrets service.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reply {
    /// The value.
    Value {
        /// Always true.
        ok: bool,
        /// The tenant.
        tenant: Uuid,
        /// The name asked for.
        name: String,
        /// The value, as `encoding` says.
        value: String,
        /// How `value` is written.
        encoding: Encoding,
    },
    /// Why there is no value.
    Error {
        /// Always false.
        ok: bool,
        /// The error.
        error: ReplyError,
    },
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Value { tenant, name, .. } => f
                .debug_struct("Value")
                .field("tenant", tenant)
                .field("name", name)
                .finish_non_exhaustive(),
            Self::Error { error, .. } => f.debug_tuple("Error").field(error).finish(),
        }
    }
}

impl Reply {
    /// The reply carrying `value`.
    pub fn value(tenant: Uuid, name: &str, value: &[u8]) -> Self {
        let (value, encoding) = match std::str::from_utf8(value) {
            Ok(text) => (text.to_owned(), Encoding::Utf8),
            Err(_) => (
                base64::engine::general_purpose::STANDARD.encode(value),
                Encoding::Base64,
            ),
        };
        Self::Value {
            ok: true,
            tenant,
            name: name.to_owned(),
            value,
            encoding,
        }
    }

    /// The reply refusing with `code` and `message`.
    pub fn error(code: u16, message: impl Into<String>) -> Self {
        Self::Error {
            ok: false,
            error: ReplyError {
                code,
                message: message.into(),
            },
        }
    }

    /// The JSON bytes (zeroized on drop: they may hold the value).
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(serde_json::to_vec(self).unwrap_or_default())
    }

    /// The value's bytes, or why there are none.
    pub fn into_value(mut self) -> Result<Zeroizing<Vec<u8>>, FetchError> {
        match &mut self {
            Self::Value {
                ok: true,
                value,
                encoding,
                ..
            } => {
                let text = Zeroizing::new(std::mem::take(value));
                match encoding {
                    Encoding::Utf8 => Ok(Zeroizing::new(text.as_bytes().to_vec())),
                    Encoding::Base64 => base64::engine::general_purpose::STANDARD
                        .decode(text.as_bytes())
                        .map(Zeroizing::new)
                        .map_err(|_| FetchError::Gateway("bad base64 value".into())),
                }
            }
            Self::Value { .. } => Err(FetchError::Gateway("a value marked not ok".into())),
            Self::Error { error, .. } => {
                let message = std::mem::take(&mut error.message);
                Err(match error.code {
                    400 => FetchError::Malformed(message),
                    403 => FetchError::NotAllowed(message),
                    404 => FetchError::NotFound(message),
                    _ => FetchError::Gateway(message),
                })
            }
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Self::Value { value, .. } = self {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

/// Why [`fetch`] got no value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// 400, or refused before asking: the tenant id or name is malformed.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// 403: this account may not read the tenant.
    #[error("not allowed: {0}")]
    NotAllowed(String),
    /// 404: no such value.
    #[error("not found: {0}")]
    NotFound(String),
    /// 500 or an answer that is not a reply: the gateway could not serve it.
    #[error("gateway failure: {0}")]
    Gateway(String),
    /// No gateway answered, or the request could not be sent.
    #[error("request failed: {0}")]
    Request(String),
}

/// Parses a reply's bytes (at most [`MAX_REPLY`]).
pub fn parse_reply(bytes: &[u8]) -> Result<Reply, FetchError> {
    if bytes.len() > MAX_REPLY {
        return Err(FetchError::Gateway(format!(
            "a reply of {} bytes (at most {MAX_REPLY})",
            bytes.len()
        )));
    }
    serde_json::from_slice(bytes)
        .map_err(|_| FetchError::Gateway("the answer is not a reply".into()))
}

/// Fetches a tenant secret (or integration credential) from the gateways, as an org-account
/// service does across the service import. The value comes back zeroize-on-drop.
pub async fn fetch(
    client: &async_nats::Client,
    kind: Kind,
    tenant: Uuid,
    name: &str,
) -> Result<Zeroizing<Vec<u8>>, FetchError> {
    let subject = subject(kind, tenant, name).map_err(|e| FetchError::Malformed(e.to_string()))?;
    let reply = client
        .request(subject, bytes::Bytes::new())
        .await
        .map_err(|e| FetchError::Request(e.to_string()))?;
    parse_reply(&reply.payload)?.into_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        let t = Uuid::from_u128(7);
        assert_eq!(
            parse_subject(&format!("mycelium.secrets.{t}.db-password")),
            Some((Kind::Secret, t, "db-password"))
        );
        assert_eq!(
            parse_subject(&subject(Kind::Integration, t, "stripe.key").unwrap()),
            Some((Kind::Integration, t, "stripe.key"))
        );
        for bad in [
            "mycelium.secrets".to_owned(),
            format!("mycelium.secrets.{t}"),
            format!("mycelium.secrets.{t}."),
            "mycelium.secrets.not-a-uuid.x".to_owned(),
            format!("mycelium.other.{t}.x"),
            format!("mycelium.secrets.{t}.{}", "x".repeat(200)),
        ] {
            assert_eq!(parse_subject(&bad), None, "{bad}");
        }
        assert!(subject(Kind::Secret, t, "a b").is_err());
    }

    #[test]
    fn replies_round_trip_in_the_documented_shape() {
        let t = Uuid::from_u128(7);
        let text = Reply::value(t, "db", b"s3cr3t");
        let json: serde_json::Value = serde_json::from_slice(&text.to_bytes()).unwrap();
        assert_eq!(json["ok"], true);
        assert_eq!(json["encoding"], "utf-8");
        assert_eq!(json["value"], "s3cr3t");
        assert_eq!(
            &*parse_reply(&text.to_bytes()).unwrap().into_value().unwrap(),
            b"s3cr3t"
        );
        let binary = Reply::value(t, "key", &[0xff, 0, 1]);
        assert_eq!(
            &*parse_reply(&binary.to_bytes())
                .unwrap()
                .into_value()
                .unwrap(),
            &[0xff, 0, 1]
        );
        assert!(
            !format!("{binary:?}").contains("/wAB"),
            "the value is not in Debug"
        );
        for (code, expected) in [
            (400, FetchError::Malformed("m".into())),
            (403, FetchError::NotAllowed("m".into())),
            (404, FetchError::NotFound("m".into())),
            (500, FetchError::Gateway("m".into())),
        ] {
            let bytes = Reply::error(code, "m").to_bytes();
            let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            assert_eq!(
                (json["ok"].clone(), json["error"]["code"].clone()),
                (false.into(), code.into())
            );
            assert_eq!(parse_reply(&bytes).unwrap().into_value(), Err(expected));
        }
        assert!(matches!(parse_reply(b"[]"), Err(FetchError::Gateway(_))));
        assert!(matches!(
            parse_reply(&vec![b' '; MAX_REPLY + 1]),
            Err(FetchError::Gateway(_))
        ));
    }
}
