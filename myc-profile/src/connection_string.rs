//! Mycelium connection strings (`x-mycelium-connection-string`): parse, build, sign, verify.
//!
//! # Format (upstream 9.x)
//! The header value is standard padded base64 of `;`-joined `key=value` beans, issued in the
//! order `aid; edt; [rls]; [tid]; [sid]; [url]; kvr; sig`:
//!
//! | bean | value |
//! |---|---|
//! | `aid` | account UUID |
//! | `edt` | expiry, `%Y-%m-%dT%H:%M:%S%:z` (e.g. `2030-01-01T00:00:00+00:00`) |
//! | `rls` | `slug:perm,slug:perm` with perm `0` (read) or `1` (write) |
//! | `tid` | tenant UUID |
//! | `sid` | subscription-account UUID |
//! | `url` | a URL (cannot contain `=` or `;`) |
//! | `kvr` | HMAC key version (u32) |
//! | `sig` | 128 lowercase hex digits |
//!
//! `sig = hex(HMAC-SHA512(key[kvr], base64(unsigned text)))`: the MAC covers the **base64 text**
//! of every bean but `sig`, `kvr` included. Keys are all-lowercase or all-uppercase.
//!
//! # Verification
//! We MAC the received unsigned text verbatim (upstream re-serialises it, which breaks across
//! time zones), compare in constant time, and, unlike upstream, also reject a signed `edt` in
//! the past. Errors carry upstream's codes where upstream has one: missing `sig`/`kvr`
//! `MYC00030`, unknown key version `MYC00031`, bad signature `MYC00032`.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use myc_profile::connection_string::{ConnectionString, HmacKeyring, ScopedRole};
//! use myc_profile::Permission;
//!
//! let keys = HmacKeyring::new(2, [(1, "hmac-secret-v1"), (2, "hmac-secret-v2")]).unwrap();
//! let mut cs = ConnectionString::new(
//!     "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa".parse().unwrap(),
//!     Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap().fixed_offset(),
//! );
//! cs.roles = Some(vec![ScopedRole::new("editor", Permission::Write)]);
//! let header = cs.sign(&keys).unwrap();
//!
//! let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
//! let verified = ConnectionString::verify_header(&header, &keys, now).unwrap();
//! assert_eq!(verified, cs);
//! ```

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, FixedOffset, Timelike, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha512;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::Permission;

type HmacSha512 = Hmac<Sha512>;

/// Longest connection-string header accepted.
pub const MAX_HEADER_LEN: usize = 8 * 1024;

const EDT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%:z";

/// Why a connection string could not be parsed, built or verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectionStringError {
    /// Longer than [`MAX_HEADER_LEN`].
    #[error("connection string is {0} bytes, over the limit")]
    TooLong(usize),
    /// Not standard base64, or not UTF-8 inside.
    #[error("connection string is not base64 of UTF-8 text")]
    Encoding,
    /// A bean is not `key=value` with exactly one `=`.
    #[error("malformed bean {0:?}: expected key=value")]
    MalformedBean(String),
    /// A key mixes upper and lower case.
    #[error("bean key {0:?} mixes upper and lower case")]
    MixedCaseKey(String),
    /// A key is not one of the known beans.
    #[error("unknown bean key {0:?}")]
    UnknownKey(String),
    /// A key appears twice.
    #[error("bean {0:?} appears more than once")]
    DuplicateKey(String),
    /// `sig` is not the last bean.
    #[error("the sig bean must be the last one")]
    SignatureNotLast,
    /// A required bean is missing.
    #[error("missing required bean {0:?}")]
    MissingBean(&'static str),
    /// A bean value cannot be read (or written).
    #[error("bean {key:?}: {reason}")]
    InvalidValue {
        /// Which bean.
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `sig` or `kvr` is missing (`MYC00030`).
    #[error("connection string is not signed (missing sig or kvr)")]
    MissingSignature,
    /// The key version is not configured (`MYC00031`).
    #[error("unknown HMAC key version {0}")]
    UnknownKeyVersion(u32),
    /// The signature does not match (`MYC00032`).
    #[error("connection string signature does not match")]
    BadSignature,
    /// The signed expiry (`edt`) is in the past.
    #[error("connection string expired at {0}")]
    Expired(DateTime<FixedOffset>),
    /// The keyring is empty.
    #[error("HMAC keyring is empty")]
    EmptyKeyring,
    /// Two keys share a version.
    #[error("HMAC key version {0} is configured twice")]
    DuplicateKeyVersion(u32),
    /// The primary version has no key.
    #[error("HMAC primary version {0} has no key")]
    PrimaryKeyMissing(u32),
    /// A key is empty.
    #[error("HMAC key version {0} is empty")]
    EmptyKey(u32),
}

impl ConnectionStringError {
    /// Upstream's error code, where upstream has one.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Self::MissingSignature => Some("MYC00030"),
            Self::UnknownKeyVersion(_) => Some("MYC00031"),
            Self::BadSignature => Some("MYC00032"),
            _ => None,
        }
    }
}

/// An HMAC key (zeroized on drop, never printed).
#[derive(Clone)]
pub struct HmacKey(Zeroizing<Vec<u8>>);

impl HmacKey {
    /// Wraps key bytes.
    pub fn new(bytes: impl AsRef<[u8]>) -> Self {
        Self(Zeroizing::new(bytes.as_ref().to_vec()))
    }
}

impl fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HmacKey(<{} bytes redacted>)", self.0.len())
    }
}

/// Versioned HMAC keys: the primary signs, every version verifies.
#[derive(Clone, Debug)]
pub struct HmacKeyring {
    primary: u32,
    keys: BTreeMap<u32, HmacKey>,
}

impl HmacKeyring {
    /// Builds a keyring; refuses an empty set, duplicate versions, empty keys and a primary
    /// version without a key (as the upstream gateway refuses to start).
    pub fn new<I, K>(primary: u32, keys: I) -> Result<Self, ConnectionStringError>
    where
        I: IntoIterator<Item = (u32, K)>,
        K: AsRef<[u8]>,
    {
        let mut map = BTreeMap::new();
        for (version, key) in keys {
            if key.as_ref().is_empty() {
                return Err(ConnectionStringError::EmptyKey(version));
            }
            if map.insert(version, HmacKey::new(key)).is_some() {
                return Err(ConnectionStringError::DuplicateKeyVersion(version));
            }
        }
        if map.is_empty() {
            return Err(ConnectionStringError::EmptyKeyring);
        }
        if !map.contains_key(&primary) {
            return Err(ConnectionStringError::PrimaryKeyMissing(primary));
        }
        Ok(Self { primary, keys: map })
    }

    /// The version new strings are signed with.
    pub fn primary_version(&self) -> u32 {
        self.primary
    }

    fn mac(&self, version: u32) -> Result<HmacSha512, ConnectionStringError> {
        let key = self
            .keys
            .get(&version)
            .ok_or(ConnectionStringError::UnknownKeyVersion(version))?;
        HmacSha512::new_from_slice(&key.0).map_err(|_| ConnectionStringError::EmptyKey(version))
    }
}

/// A role a connection string is scoped to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ScopedRole {
    /// Role slug.
    pub slug: String,
    /// Permission.
    pub permission: Permission,
}

impl ScopedRole {
    /// A scoped role.
    pub fn new(slug: impl Into<String>, permission: Permission) -> Self {
        Self {
            slug: slug.into(),
            permission,
        }
    }
}

/// Error returned when text is not a scoped role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidScopedRole {
    /// Nothing before the `:`.
    #[error("role {0:?} has no slug")]
    NoSlug(String),
    /// The slug holds a character the wire format reserves (`,`, `:`, `;`, `=`) or whitespace.
    #[error("role slug {0:?} holds a reserved character or whitespace")]
    Slug(String),
    /// After the `:` is neither `read` nor `write`.
    #[error(transparent)]
    Permission(#[from] crate::permission::InvalidPermission),
}

/// `slug` (read) or `slug:read` / `slug:write`, as a CLI or form takes it.
impl std::str::FromStr for ScopedRole {
    type Err = InvalidScopedRole;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (slug, permission) = match text.split_once(':') {
            Some((slug, permission)) => (slug, permission.parse()?),
            None => (text, Permission::Read),
        };
        if slug.is_empty() {
            return Err(InvalidScopedRole::NoSlug(text.to_owned()));
        }
        if slug
            .chars()
            .any(|c| matches!(c, ',' | ':' | ';' | '=') || c.is_whitespace() || c.is_control())
        {
            return Err(InvalidScopedRole::Slug(slug.to_owned()));
        }
        Ok(Self::new(slug, permission))
    }
}

/// The claims of a connection string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionString {
    /// `aid`: the account.
    pub account_id: Uuid,
    /// `edt`: expiry (second precision).
    pub expires_at: DateTime<FixedOffset>,
    /// `rls`: roles the string is scoped to.
    pub roles: Option<Vec<ScopedRole>>,
    /// `tid`: tenant the string is scoped to.
    pub tenant_id: Option<Uuid>,
    /// `sid`: subscription account.
    pub subscription_account_id: Option<Uuid>,
    /// `url`: an associated URL.
    pub url: Option<String>,
}

/// A parsed, not yet verified, connection string.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedConnectionString {
    /// The claims.
    pub claims: ConnectionString,
    /// `kvr`.
    pub key_version: Option<u32>,
    signature: Option<Vec<u8>>,
    /// The text before `;sig=`, verbatim: what the MAC covers (in base64).
    signed_text: String,
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConnectionStringError {
    ConnectionStringError::InvalidValue {
        key,
        reason: reason.into(),
    }
}

impl ConnectionString {
    /// Claims for `account_id` expiring at `expires_at` (truncated to whole seconds).
    pub fn new(account_id: Uuid, expires_at: DateTime<FixedOffset>) -> Self {
        let expires_at = expires_at.with_nanosecond(0).unwrap_or(expires_at);
        Self {
            account_id,
            expires_at,
            roles: None,
            tenant_id: None,
            subscription_account_id: None,
            url: None,
        }
    }

    /// The unsigned canonical text with `kvr`, in upstream's issue order.
    pub fn unsigned_text(&self, key_version: u32) -> Result<String, ConnectionStringError> {
        let mut text = format!(
            "aid={};edt={}",
            self.account_id,
            self.expires_at.format(EDT_FORMAT)
        );
        if let Some(roles) = &self.roles {
            if roles.is_empty() {
                return Err(invalid("rls", "empty role list"));
            }
            text.push_str(";rls=");
            for (i, role) in roles.iter().enumerate() {
                if role.slug.is_empty() || role.slug.contains([',', ':', ';', '=']) {
                    return Err(invalid(
                        "rls",
                        format!("slug {:?} cannot be written", role.slug),
                    ));
                }
                if i > 0 {
                    text.push(',');
                }
                let _ = write!(text, "{}:{}", role.slug, role.permission.as_int());
            }
        }
        if let Some(tid) = self.tenant_id {
            let _ = write!(text, ";tid={tid}");
        }
        if let Some(sid) = self.subscription_account_id {
            let _ = write!(text, ";sid={sid}");
        }
        if let Some(url) = &self.url {
            if url.is_empty() || url.contains([';', '=']) {
                return Err(invalid("url", "must be non-empty and free of ';' and '='"));
            }
            let _ = write!(text, ";url={url}");
        }
        let _ = write!(text, ";kvr={key_version}");
        Ok(text)
    }

    /// Signs with the keyring's primary key; returns the header value (base64).
    pub fn sign(&self, keys: &HmacKeyring) -> Result<String, ConnectionStringError> {
        let unsigned = self.unsigned_text(keys.primary)?;
        let mut mac = keys.mac(keys.primary)?;
        mac.update(STANDARD.encode(unsigned.as_bytes()).as_bytes());
        let sig = hex::encode(mac.finalize().into_bytes());
        Ok(STANDARD.encode(format!("{unsigned};sig={sig}")))
    }

    /// Parses and verifies a header value at time `now`; returns the claims.
    pub fn verify_header(
        value: &str,
        keys: &HmacKeyring,
        now: DateTime<Utc>,
    ) -> Result<ConnectionString, ConnectionStringError> {
        let parsed = ParsedConnectionString::parse(value)?;
        parsed.verify(keys, now)?;
        Ok(parsed.claims)
    }
}

impl ParsedConnectionString {
    /// Parses a header value (base64). Nothing is trusted until [`Self::verify`] succeeds.
    pub fn parse(value: &str) -> Result<Self, ConnectionStringError> {
        let value = value.trim();
        if value.len() > MAX_HEADER_LEN {
            return Err(ConnectionStringError::TooLong(value.len()));
        }
        let bytes = STANDARD
            .decode(value.as_bytes())
            .map_err(|_| ConnectionStringError::Encoding)?;
        let text = String::from_utf8(bytes).map_err(|_| ConnectionStringError::Encoding)?;
        Self::parse_text(&text)
    }

    /// Parses the decoded text form.
    pub fn parse_text(text: &str) -> Result<Self, ConnectionStringError> {
        if text.len() > MAX_HEADER_LEN {
            return Err(ConnectionStringError::TooLong(text.len()));
        }
        let mut beans: BTreeMap<&'static str, &str> = BTreeMap::new();
        let mut signed_len = text.len();
        let mut offset = 0usize;
        let parts: Vec<&str> = text.split(';').collect();
        let last = parts.len().saturating_sub(1);
        for (i, bean) in parts.iter().enumerate() {
            let (key, val) = bean
                .split_once('=')
                .filter(|(k, v)| !k.is_empty() && !v.contains('='))
                .ok_or_else(|| {
                    ConnectionStringError::MalformedBean(bean.chars().take(64).collect())
                })?;
            let lower = key.to_ascii_lowercase();
            if key != lower && key != key.to_ascii_uppercase() {
                return Err(ConnectionStringError::MixedCaseKey(key.to_owned()));
            }
            let known: &'static str = match lower.as_str() {
                "aid" => "aid",
                "edt" => "edt",
                "rls" => "rls",
                "tid" => "tid",
                "sid" => "sid",
                "url" => "url",
                "kvr" => "kvr",
                "sig" => "sig",
                _ => {
                    return Err(ConnectionStringError::UnknownKey(
                        key.chars().take(32).collect(),
                    ));
                }
            };
            if known == "sig" {
                if i != last || i == 0 {
                    return Err(ConnectionStringError::SignatureNotLast);
                }
                signed_len = offset.saturating_sub(1);
            }
            if beans.insert(known, val).is_some() {
                return Err(ConnectionStringError::DuplicateKey(known.to_owned()));
            }
            offset += bean.len() + 1;
        }

        let uuid =
            |key: &'static str, v: &str| Uuid::try_parse(v).map_err(|_| invalid(key, "not a UUID"));
        let account_id = uuid(
            "aid",
            beans
                .get("aid")
                .ok_or(ConnectionStringError::MissingBean("aid"))?,
        )?;
        let edt = beans
            .get("edt")
            .ok_or(ConnectionStringError::MissingBean("edt"))?;
        let expires_at = DateTime::parse_from_str(edt, EDT_FORMAT)
            .map_err(|e| invalid("edt", format!("not {EDT_FORMAT}: {e}")))?;
        let roles = beans
            .get("rls")
            .map(|v| {
                v.split(',')
                    .map(|pair| {
                        let (slug, perm) = pair
                            .split_once(':')
                            .filter(|(s, p)| !s.is_empty() && !p.contains(':'))
                            .ok_or_else(|| invalid("rls", format!("{pair:?} is not slug:perm")))?;
                        let permission = match perm {
                            "0" => Permission::Read,
                            "1" => Permission::Write,
                            _ => {
                                return Err(invalid(
                                    "rls",
                                    format!("permission {perm:?} is not 0 or 1"),
                                ));
                            }
                        };
                        Ok(ScopedRole::new(slug, permission))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let tenant_id = beans.get("tid").map(|v| uuid("tid", v)).transpose()?;
        let subscription_account_id = beans.get("sid").map(|v| uuid("sid", v)).transpose()?;
        let url = beans.get("url").map(|v| (*v).to_owned());
        let key_version = beans
            .get("kvr")
            .map(|v| {
                v.parse::<u32>()
                    .map_err(|_| invalid("kvr", "not an unsigned integer"))
            })
            .transpose()?;
        let signature = beans
            .get("sig")
            .map(|v| {
                if v.len() != 128 {
                    return Err(invalid("sig", "expected 128 hex digits"));
                }
                hex::decode(v).map_err(|_| invalid("sig", "not hex"))
            })
            .transpose()?;
        Ok(Self {
            claims: ConnectionString {
                account_id,
                expires_at,
                roles,
                tenant_id,
                subscription_account_id,
                url,
            },
            key_version,
            signature,
            signed_text: text[..signed_len.min(text.len())].to_owned(),
        })
    }

    /// Verifies the MAC (constant time) with the key named by `kvr`, then the signed expiry.
    pub fn verify(
        &self,
        keys: &HmacKeyring,
        now: DateTime<Utc>,
    ) -> Result<(), ConnectionStringError> {
        let (Some(version), Some(signature)) = (self.key_version, self.signature.as_ref()) else {
            return Err(ConnectionStringError::MissingSignature);
        };
        let mut mac = keys.mac(version)?;
        mac.update(STANDARD.encode(self.signed_text.as_bytes()).as_bytes());
        mac.verify_slice(signature)
            .map_err(|_| ConnectionStringError::BadSignature)?;
        if now > self.claims.expires_at {
            return Err(ConnectionStringError::Expired(self.claims.expires_at));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn scoped_roles_from_text() {
        let ok = |t: &str| t.parse::<ScopedRole>().unwrap();
        assert_eq!(
            ok("reporter"),
            ScopedRole::new("reporter", Permission::Read)
        );
        assert_eq!(
            ok("reporter:write"),
            ScopedRole::new("reporter", Permission::Write)
        );
        assert_eq!(
            ok("a-b_c.d:1"),
            ScopedRole::new("a-b_c.d", Permission::Write)
        );
        for bad in [
            "", ":read", "r:", "r:admin", "a b", "a,b:read", "a=b", "a;b", "r:read:x",
        ] {
            assert!(bad.parse::<ScopedRole>().is_err(), "{bad:?}");
        }
    }

    fn keys() -> HmacKeyring {
        HmacKeyring::new(2, [(1, "hmac-secret-v1"), (2, "hmac-secret-v2")]).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 0, 0, 0).unwrap()
    }

    #[test]
    fn keyring_rules() {
        assert_eq!(
            HmacKeyring::new(1, Vec::<(u32, &str)>::new()).unwrap_err(),
            ConnectionStringError::EmptyKeyring
        );
        assert_eq!(
            HmacKeyring::new(1, [(1, "a"), (1, "b")]).unwrap_err(),
            ConnectionStringError::DuplicateKeyVersion(1)
        );
        assert_eq!(
            HmacKeyring::new(3, [(1, "a")]).unwrap_err(),
            ConnectionStringError::PrimaryKeyMissing(3)
        );
        assert!(!format!("{:?}", keys()).contains("secret"));
    }

    #[test]
    fn sig_must_be_last_and_keys_not_mixed_case() {
        assert_eq!(
            ParsedConnectionString::parse_text("aid=x;sig=00;edt=y").unwrap_err(),
            ConnectionStringError::SignatureNotLast
        );
        assert!(matches!(
            ParsedConnectionString::parse_text("Aid=x").unwrap_err(),
            ConnectionStringError::MixedCaseKey(_)
        ));
    }

    #[test]
    fn uppercase_keys_are_read() {
        let header = ConnectionString::new(
            Uuid::from_u128(5),
            now().fixed_offset() + chrono::Duration::days(1),
        )
        .sign(&keys())
        .unwrap();
        let text = String::from_utf8(STANDARD.decode(header).unwrap()).unwrap();
        let upper = text.replace("aid=", "AID=").replace("edt=", "EDT=");
        // Different text: the MAC no longer matches, but it parses.
        let parsed = ParsedConnectionString::parse_text(&upper).unwrap();
        assert_eq!(
            parsed.verify(&keys(), now()),
            Err(ConnectionStringError::BadSignature)
        );
    }
}
