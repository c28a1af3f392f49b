//! `[gateway.telegram]`: the Telegram identity source.

use serde::Deserialize;

use super::KeyError;

/// `[gateway.telegram]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelegram {
    #[serde(default)]
    max_auth_age_secs: Option<u64>,
    #[serde(default)]
    login_ttl_secs: Option<u64>,
}

/// `[gateway.telegram]`, resolved: the Telegram identity source is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TelegramSettings {
    /// How old a Mini App `initData` may be (`auth_date`), in seconds (86,400).
    pub max_auth_age_secs: u64,
    /// Lifetime of the connection strings `login` issues, in seconds (86,400).
    pub login_ttl_secs: u64,
}

impl RawTelegram {
    /// The settings; Telegram logins need sealed secrets and connection strings configured.
    pub(super) fn resolve(
        &self,
        has_secrets: bool,
        has_connection_strings: bool,
    ) -> Result<TelegramSettings, KeyError> {
        if !has_secrets {
            return Err(KeyError::new(
                "gateway.telegram",
                "bot tokens are stored sealed: configure [gateway.secrets]",
            ));
        }
        if !has_connection_strings {
            return Err(KeyError::new(
                "gateway.telegram",
                "login issues connection strings: configure [gateway.auth.connection_strings]",
            ));
        }
        let settings = TelegramSettings {
            max_auth_age_secs: self.max_auth_age_secs.unwrap_or(86_400),
            login_ttl_secs: self.login_ttl_secs.unwrap_or(86_400),
        };
        if settings.max_auth_age_secs == 0 || settings.login_ttl_secs < 60 {
            return Err(KeyError::new(
                "gateway.telegram",
                "max_auth_age_secs must be positive and login_ttl_secs at least 60",
            ));
        }
        Ok(settings)
    }
}
