//! [`AccountMetaKey`]: the keys of the profile's `meta` map.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A key of the account `meta` map.
///
/// Emitted with the spelling upstream writes (`whatsapp_user`, `custom:<key>`); read in every
/// spelling upstream writes or reads (`whatsapp_user` and `whats_app_user`). Keys order by their
/// wire text, so a `BTreeMap<AccountMetaKey, _>` serializes with sorted keys (deterministic
/// header bytes).
///
/// Upstream Rust decoders cannot read [`AccountMetaKey::WhatsAppUser`] or
/// [`AccountMetaKey::Custom`] back; see [`crate::codec::MetaPolicy`] for a way to drop them when
/// the downstream services are upstream Rust.
///
/// ```
/// use myc_profile::AccountMetaKey;
/// let key: AccountMetaKey = serde_json::from_str("\"custom:team\"").unwrap();
/// assert_eq!(key, AccountMetaKey::Custom("team".into()));
/// assert_eq!(key.as_wire(), "custom:team");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum AccountMetaKey {
    /// `phone_number`
    PhoneNumber,
    /// `telegram_user`
    TelegramUser,
    /// `whatsapp_user` (also read as `whats_app_user`)
    WhatsAppUser,
    /// `locale`
    Locale,
    /// `emergency_contact_name`
    EmergencyContactName,
    /// `emergency_contact_phone`
    EmergencyContactPhone,
    /// `job_title`
    JobTitle,
    /// `custom:<key>`
    Custom(String),
}

const CUSTOM_PREFIX: &str = "custom:";

impl AccountMetaKey {
    /// The fixed wire name, or `None` for [`AccountMetaKey::Custom`].
    fn fixed_name(&self) -> Option<&'static str> {
        Some(match self {
            Self::PhoneNumber => "phone_number",
            Self::TelegramUser => "telegram_user",
            Self::WhatsAppUser => "whatsapp_user",
            Self::Locale => "locale",
            Self::EmergencyContactName => "emergency_contact_name",
            Self::EmergencyContactPhone => "emergency_contact_phone",
            Self::JobTitle => "job_title",
            Self::Custom(_) => return None,
        })
    }

    /// The text this key is written as.
    pub fn as_wire(&self) -> Cow<'_, str> {
        match (self.fixed_name(), self) {
            (Some(name), _) => Cow::Borrowed(name),
            (None, Self::Custom(key)) => Cow::Owned(format!("{CUSTOM_PREFIX}{key}")),
            (None, _) => Cow::Borrowed(""),
        }
    }

    /// Parses any accepted spelling; `None` if the key is unknown.
    pub fn from_wire(text: &str) -> Option<Self> {
        Some(match text {
            "phone_number" => Self::PhoneNumber,
            "telegram_user" => Self::TelegramUser,
            "whatsapp_user" | "whats_app_user" => Self::WhatsAppUser,
            "locale" => Self::Locale,
            "emergency_contact_name" => Self::EmergencyContactName,
            "emergency_contact_phone" => Self::EmergencyContactPhone,
            "job_title" => Self::JobTitle,
            other => Self::Custom(other.strip_prefix(CUSTOM_PREFIX)?.to_owned()),
        })
    }

    /// True for the keys upstream Rust (9.x) emits but cannot decode.
    pub fn unreadable_by_upstream_rust(&self) -> bool {
        matches!(self, Self::WhatsAppUser | Self::Custom(_))
    }

    fn wire_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let (head, tail) = match self {
            Self::Custom(key) => (CUSTOM_PREFIX, key.as_str()),
            other => (other.fixed_name().unwrap_or(""), ""),
        };
        head.bytes().chain(tail.bytes())
    }
}

impl Ord for AccountMetaKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.wire_bytes().cmp(other.wire_bytes())
    }
}

impl PartialOrd for AccountMetaKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for AccountMetaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.as_wire())
    }
}

impl Serialize for AccountMetaKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.as_wire())
    }
}

impl<'de> Deserialize<'de> for AccountMetaKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = AccountMetaKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an account meta key (phone_number, ..., custom:<key>)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AccountMetaKey, E> {
                AccountMetaKey::from_wire(v).ok_or_else(|| {
                    E::unknown_variant(
                        v,
                        &[
                            "phone_number",
                            "telegram_user",
                            "whatsapp_user",
                            "locale",
                            "emergency_contact_name",
                            "emergency_contact_phone",
                            "job_title",
                            "custom:<key>",
                        ],
                    )
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn reads_both_whatsapp_spellings_and_writes_upstreams() {
        for text in ["\"whatsapp_user\"", "\"whats_app_user\""] {
            let key: AccountMetaKey = serde_json::from_str(text).unwrap();
            assert_eq!(key, AccountMetaKey::WhatsAppUser);
            assert_eq!(serde_json::to_string(&key).unwrap(), "\"whatsapp_user\"");
        }
    }

    #[test]
    fn map_serializes_sorted_by_wire_text() {
        let mut map = BTreeMap::new();
        map.insert(AccountMetaKey::PhoneNumber, "1");
        map.insert(AccountMetaKey::Custom("a".into()), "2");
        map.insert(AccountMetaKey::Locale, "3");
        map.insert(AccountMetaKey::JobTitle, "4");
        let json = serde_json::to_string(&map).unwrap();
        assert_eq!(
            json,
            r#"{"custom:a":"2","job_title":"4","locale":"3","phone_number":"1"}"#
        );
    }

    #[test]
    fn unknown_keys_are_rejected() {
        assert!(serde_json::from_str::<AccountMetaKey>("\"shoe_size\"").is_err());
        assert!(serde_json::from_str::<AccountMetaKey>("\"Custom:x\"").is_err());
    }
}
