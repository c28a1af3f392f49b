//! `[core.webhook]`: how outbound webhook deliveries are sent (upstream's keys). The rest of
//! upstream's `[core]` is reported as unused.

use serde::Deserialize;

use super::KeyError;

/// `[core.webhook]`, resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Accept any TLS certificate from receivers (development only).
    pub accept_invalid_certificates: bool,
    /// Seconds between outbox polls.
    pub consume_interval_secs: u64,
    /// Deliveries per poll.
    pub consume_batch_size: u32,
    /// Attempts before a delivery is given up.
    pub max_attempts: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            accept_invalid_certificates: false,
            consume_interval_secs: 10,
            consume_batch_size: 25,
            max_attempts: 5,
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RawWebhook {
    #[serde(default)]
    accept_invalid_certificates: Option<bool>,
    #[serde(default)]
    consume_interval_in_secs: Option<u64>,
    #[serde(default)]
    consume_batch_size: Option<u32>,
    #[serde(default)]
    max_attempts: Option<u32>,
}

/// Reads `[core]`: `webhook` resolved, every other key a warning.
pub(super) fn resolve(
    core: Option<&toml::Value>,
    warnings: &mut Vec<String>,
) -> Result<WebhookSettings, KeyError> {
    let Some(core) = core.and_then(toml::Value::as_table) else {
        return Ok(WebhookSettings::default());
    };
    for key in core
        .keys()
        .filter(|k| !matches!(k.as_str(), "webhook" | "accountLifeCycle"))
    {
        warnings.push(format!("core.{key} is not used by this gateway; ignored"));
    }
    let raw: RawWebhook = match core.get("webhook") {
        Some(value) => serde_path_to_error::deserialize(value.clone()).map_err(|e| {
            let path = e.path().to_string();
            KeyError::new(
                format!("core.webhook.{path}"),
                e.into_inner().message().to_owned(),
            )
        })?,
        None => RawWebhook::default(),
    };
    let defaults = WebhookSettings::default();
    let settings = WebhookSettings {
        accept_invalid_certificates: raw.accept_invalid_certificates.unwrap_or(false),
        consume_interval_secs: raw
            .consume_interval_in_secs
            .unwrap_or(defaults.consume_interval_secs),
        consume_batch_size: raw
            .consume_batch_size
            .unwrap_or(defaults.consume_batch_size),
        max_attempts: raw.max_attempts.unwrap_or(defaults.max_attempts),
    };
    let bounded = |key: &str, value: u64, range: std::ops::RangeInclusive<u64>| {
        if range.contains(&value) {
            Ok(())
        } else {
            Err(KeyError::new(
                format!("core.webhook.{key}"),
                format!("must be between {} and {}", range.start(), range.end()),
            ))
        }
    };
    bounded(
        "consumeIntervalInSecs",
        settings.consume_interval_secs,
        1..=86_400,
    )?;
    bounded(
        "consumeBatchSize",
        u64::from(settings.consume_batch_size),
        1..=1000,
    )?;
    bounded("maxAttempts", u64::from(settings.max_attempts), 1..=100)?;
    if settings.accept_invalid_certificates {
        warnings.push(
            "core.webhook.acceptInvalidCertificates = true: webhook receivers are not authenticated (development only)".into(),
        );
    }
    Ok(settings)
}
