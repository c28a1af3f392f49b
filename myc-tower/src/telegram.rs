//! Telegram Mini App `initData` verification: the data-check string (every field but `hash`,
//! sorted by key, `key=value` joined by newlines) must carry the HMAC-SHA256 under the key
//! HMAC-SHA256("WebAppData", bot token), compared in constant time, and `auth_date` must be
//! recent. An identity source for Telegram bots and Mini Apps: a verified [`TelegramUser`] is
//! what a service maps to an account (the gateway asserts it to the [`AuthLayer`] as an
//! [`AssertedIdentity`](crate::auth::AssertedIdentity)).
//!
//! [`AuthLayer`]: crate::auth::AuthLayer

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Longest `initData` accepted.
pub const MAX_INIT_DATA_BYTES: usize = 16 * 1024;

/// The Telegram user `initData` vouches for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelegramUser {
    /// Telegram user id.
    pub id: i64,
    /// `@username`, if the user has one.
    pub username: Option<String>,
}

/// Why `initData` was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InitDataError {
    /// Not a well-formed `initData` string.
    #[error("malformed initData: {0}")]
    Malformed(&'static str),
    /// The hash does not verify with this bot's token.
    #[error("initData signature does not verify")]
    BadSignature,
    /// `auth_date` is too old (or in the future).
    #[error("initData is stale")]
    Stale,
}

/// Verifies `init_data` for `bot_token` at `now` (Unix seconds), accepting an `auth_date` at
/// most `max_age_secs` old.
///
/// ```
/// use myc_tower::telegram::{verify, InitDataError};
/// let err = verify("auth_date=1&hash=00", "123:abc", 2, 60).unwrap_err();
/// assert!(matches!(err, InitDataError::Malformed(_) | InitDataError::BadSignature));
/// ```
pub fn verify(
    init_data: &str,
    bot_token: &str,
    now: i64,
    max_age_secs: u64,
) -> Result<TelegramUser, InitDataError> {
    if init_data.len() > MAX_INIT_DATA_BYTES {
        return Err(InitDataError::Malformed("too long"));
    }
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut hash = None;
    for (key, value) in form_urlencoded::parse(init_data.as_bytes()) {
        if key == "hash" {
            if hash.replace(value.into_owned()).is_some() {
                return Err(InitDataError::Malformed("hash given twice"));
            }
            continue;
        }
        fields.push((key.into_owned(), value.into_owned()));
    }
    let hash = hash.ok_or(InitDataError::Malformed("no hash"))?;
    let expected = hex::decode(&hash).map_err(|_| InitDataError::Malformed("hash is not hex"))?;
    // Sorted once (the data-check string needs it), duplicates are then neighbours.
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    if fields.windows(2).any(|w| w[0].0 == w[1].0) {
        return Err(InitDataError::Malformed("a field is given twice"));
    }
    let check = fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut secret =
        Hmac::<Sha256>::new_from_slice(b"WebAppData").map_err(|_| InitDataError::BadSignature)?;
    secret.update(bot_token.as_bytes());
    let secret = secret.finalize().into_bytes();
    let mut mac =
        Hmac::<Sha256>::new_from_slice(&secret).map_err(|_| InitDataError::BadSignature)?;
    mac.update(check.as_bytes());
    mac.verify_slice(&expected)
        .map_err(|_| InitDataError::BadSignature)?;

    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let auth_date: i64 = field("auth_date")
        .ok_or(InitDataError::Malformed("no auth_date"))?
        .parse()
        .map_err(|_| InitDataError::Malformed("auth_date is not a number"))?;
    let age = now.saturating_sub(auth_date);
    if age > i64::try_from(max_age_secs).unwrap_or(i64::MAX) || age < -60 {
        return Err(InitDataError::Stale);
    }
    let user: serde_json::Value =
        serde_json::from_str(field("user").ok_or(InitDataError::Malformed("no user"))?)
            .map_err(|_| InitDataError::Malformed("user is not JSON"))?;
    let id = user
        .get("id")
        .and_then(serde_json::Value::as_i64)
        .ok_or(InitDataError::Malformed("user has no id"))?;
    let username = user
        .get("username")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    Ok(TelegramUser { id, username })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Computed independently with Python's hmac/hashlib/urllib.
    const BOT: &str = "7123456789:AAFexampleBotTokenForTests_1234567890";
    const INIT: &str = "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A98765432%2C%22first_name%22%3A%22Maria%22%2C%22username%22%3A%22maria_acme%22%7D&auth_date=1764500000&hash=5016728ba1cf0956ac331546687cf9a926c094c8e6fd453618c011c200e76489";

    #[test]
    fn verifies_the_python_vector() {
        let user = verify(INIT, BOT, 1_764_500_100, 86_400).unwrap();
        assert_eq!(
            user,
            TelegramUser {
                id: 98765432,
                username: Some("maria_acme".into())
            }
        );
    }

    #[test]
    fn refuses_tampering_other_bots_staleness_and_junk() {
        let tampered = INIT.replace("98765432", "98765433");
        assert_eq!(
            verify(&tampered, BOT, 1_764_500_100, 86_400),
            Err(InitDataError::BadSignature)
        );
        assert_eq!(
            verify(INIT, "7123456789:other", 1_764_500_100, 86_400),
            Err(InitDataError::BadSignature)
        );
        assert_eq!(
            verify(INIT, BOT, 1_764_500_000 + 86_401, 86_400),
            Err(InitDataError::Stale)
        );
        assert_eq!(
            verify(INIT, BOT, 1_764_500_000 - 3600, 86_400),
            Err(InitDataError::Stale)
        );
        for junk in [
            "",
            "hash=zz",
            "a=1&a=2&hash=00",
            &format!("{INIT}&hash=00"),
            &"x".repeat(20_000),
        ] {
            assert!(
                matches!(
                    verify(junk, BOT, 1_764_500_100, 86_400),
                    Err(InitDataError::Malformed(_))
                ),
                "{junk:.40}"
            );
        }
    }
}
