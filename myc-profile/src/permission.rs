//! [`Permission`]: the read/write level of a licence or a role requirement.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The permission a licence grants, or a route requires.
///
/// Ordered so that `Write > Read`: a licence *satisfies* a requirement when its permission is
/// greater than or equal to it (write implies read).
///
/// JSON: emitted as `"read"` / `"write"`. Accepted as `"read"`, `"write"`, `0`, `1` and the
/// externally tagged object form `{"write": null}` that serde-derived upstream code also reads.
/// Unknown values are rejected (upstream silently maps them to `Read`).
///
/// ```
/// use myc_profile::Permission;
/// assert!(Permission::Write.satisfies(Permission::Read));
/// assert!(!Permission::Read.satisfies(Permission::Write));
/// assert_eq!(serde_json::from_str::<Permission>("1").unwrap(), Permission::Write);
/// assert_eq!(serde_json::to_string(&Permission::Read).unwrap(), "\"read\"");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Read access (`0`).
    Read,
    /// Write access (`1`); implies read.
    Write,
}

impl Permission {
    /// The integer form used in URL-form licences, connection strings and `filteringState`.
    pub const fn as_int(self) -> u8 {
        match self {
            Self::Read => 0,
            Self::Write => 1,
        }
    }

    /// Parses the integer form; `None` for anything but `0` and `1`.
    pub const fn from_int(value: i64) -> Option<Self> {
        match value {
            0 => Some(Self::Read),
            1 => Some(Self::Write),
            _ => None,
        }
    }

    /// The JSON string form.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
        }
    }

    /// True when a holder of `self` may do what `required` asks (write implies read).
    pub fn satisfies(self, required: Permission) -> bool {
        self >= required
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when text is not a permission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid permission {0:?}: expected read, write, 0 or 1")]
pub struct InvalidPermission(pub String);

impl FromStr for Permission {
    type Err = InvalidPermission;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" | "0" => Ok(Self::Read),
            "write" | "1" => Ok(Self::Write),
            other => Err(InvalidPermission(other.to_owned())),
        }
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(PermissionVisitor)
    }
}

#[derive(Clone, Copy)]
struct PermissionVisitor;

const EXPECTED: &[&str] = &["read", "write"];

impl<'de> Visitor<'de> for PermissionVisitor {
    type Value = Permission;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"read\", \"write\", 0 or 1")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Permission, E> {
        match v {
            "read" => Ok(Permission::Read),
            "write" => Ok(Permission::Write),
            other => Err(E::unknown_variant(other, EXPECTED)),
        }
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Permission, E> {
        i64::try_from(v)
            .ok()
            .and_then(Permission::from_int)
            .ok_or_else(|| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Permission, E> {
        Permission::from_int(v).ok_or_else(|| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    // `{"write": null}`: serde's externally tagged form of a unit variant.
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Permission, A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        let permission = self.visit_str::<A::Error>(&key)?;
        map.next_value::<de::IgnoredAny>()?;
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_upstream_spelling() {
        for (json, want) in [
            ("\"read\"", Permission::Read),
            ("\"write\"", Permission::Write),
            ("0", Permission::Read),
            ("1", Permission::Write),
            ("{\"write\":null}", Permission::Write),
            ("{\"read\":null}", Permission::Read),
        ] {
            assert_eq!(
                serde_json::from_str::<Permission>(json).unwrap(),
                want,
                "{json}"
            );
        }
    }

    #[test]
    fn rejects_unknown_values() {
        for json in [
            "2",
            "-1",
            "\"admin\"",
            "\"Read\"",
            "true",
            "null",
            "{}",
            "1.0",
        ] {
            assert!(serde_json::from_str::<Permission>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn write_implies_read() {
        assert!(Permission::Write.satisfies(Permission::Write));
        assert!(Permission::Write.satisfies(Permission::Read));
        assert!(Permission::Read.satisfies(Permission::Read));
        assert!(!Permission::Read.satisfies(Permission::Write));
    }
}
