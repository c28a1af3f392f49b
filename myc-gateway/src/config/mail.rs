//! Upstream's e-mail sections: `[smtp]` (where mail goes), `[core.accountLifeCycle]` (who it
//! comes from, in which language, with which product name and address) and `[queue]` (how
//! often the outbox is polled). With `[smtp]` set, the magic-link login is served.
//!
//! ```toml
//! [smtp]
//! host = "smtp.example.com:587"     # 465: implicit TLS; otherwise STARTTLS is required
//! username = "user@example.com"
//! password = { env = "SMTP_PASSWORD" }
//! # tls = "starttls" | "implicit" | "none"   (ours; "none" only to a loopback server)
//!
//! [core.accountLifeCycle]
//! domainName = "My App"
//! domainUrl = "https://id.example.com"   # links in messages start here: the gateway's address
//! noreplyName = "No-Reply"
//! noreplyEmail = "noreply@example.com"
//! supportName = "Support"
//! supportEmail = "support@example.com"
//! locale = "en-US"                        # or pt-BR
//!
//! [queue]
//! consumeIntervalInSecs = 5
//! ```

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{KeyError, ValueSource};

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// TLS from the first byte.
    Implicit,
    /// STARTTLS, required.
    StartTls,
    /// None (a loopback server only).
    Plain,
}

/// The mail settings, resolved.
#[derive(Clone)]
pub struct MailSettings {
    /// SMTP host.
    pub host: String,
    /// SMTP port.
    pub port: u16,
    /// Protection.
    pub security: SmtpSecurity,
    /// User and password.
    pub credentials: Option<(String, Zeroizing<String>)>,
    /// `domainName`.
    pub domain_name: String,
    /// `domainUrl`.
    pub domain_url: String,
    /// `From`.
    pub from: String,
    /// `Reply-To`.
    pub reply_to: Option<String>,
    /// `locale`.
    pub locale: String,
    /// `[queue] consumeIntervalInSecs`.
    pub interval: Duration,
}

impl std::fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawSmtp {
    host: String,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<ValueSource>,
    #[serde(default)]
    tls: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawLifeCycle {
    #[serde(default)]
    domain_name: Option<String>,
    #[serde(default)]
    domain_url: Option<String>,
    // Upstream's e-mail token lifetime and secret: our links live `tmpExpiresIn` and are
    // keyed from the master key.
    #[serde(default)]
    #[allow(dead_code)]
    token_expiration: Option<toml::Value>,
    #[serde(default)]
    #[allow(dead_code)]
    token_secret: Option<toml::Value>,
    #[serde(default)]
    noreply_name: Option<String>,
    #[serde(default)]
    noreply_email: Option<String>,
    #[serde(default)]
    support_name: Option<String>,
    #[serde(default)]
    support_email: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawQueue {
    #[serde(default)]
    #[allow(dead_code)]
    email_queue_name: Option<String>,
    #[serde(default)]
    consume_interval_in_secs: Option<u64>,
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn mailbox(name: Option<&str>, email: &str) -> String {
    match name {
        Some(name) if !name.is_empty() => format!("\"{}\" <{email}>", name.replace('"', "'")),
        _ => email.to_owned(),
    }
}

/// Resolves the three sections; `None` without `[smtp]`.
pub(super) fn resolve(
    smtp: Option<RawSmtp>,
    life: RawLifeCycle,
    queue: RawQueue,
    base: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<MailSettings>, KeyError> {
    let Some(smtp) = smtp else { return Ok(None) };
    let (host, port) = smtp
        .host
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.to_owned(), p.parse::<u16>().ok()?)))
        .ok_or_else(|| KeyError::new("smtp.host", "expected host:port"))?;
    let security = match smtp.tls.as_deref() {
        None if port == 465 => SmtpSecurity::Implicit,
        None | Some("starttls") => SmtpSecurity::StartTls,
        Some("implicit") => SmtpSecurity::Implicit,
        Some("none") => SmtpSecurity::Plain,
        Some(other) => {
            return Err(KeyError::new(
                "smtp.tls",
                format!("{other:?} is not starttls, implicit or none"),
            ));
        }
    };
    if security == SmtpSecurity::Plain && !is_loopback(&host) {
        return Err(KeyError::new(
            "smtp.tls",
            "plain SMTP carries passwords and login links in clear: only to a loopback server",
        ));
    }
    let credentials = match (smtp.username, smtp.password) {
        (Some(user), Some(password)) if !user.is_empty() => Some((
            user,
            password
                .resolve(base, env)
                .map_err(|m| KeyError::new("smtp.password", m))?,
        )),
        _ => None,
    };
    let noreply = life
        .noreply_email
        .ok_or_else(|| KeyError::new("core.accountLifeCycle.noreplyEmail", "[smtp] needs it"))?;
    let domain_url = life
        .domain_url
        .ok_or_else(|| KeyError::new("core.accountLifeCycle.domainUrl", "[smtp] needs it"))?;
    if !(domain_url.starts_with("https://") || domain_url.starts_with("http://")) {
        return Err(KeyError::new(
            "core.accountLifeCycle.domainUrl",
            "an http:// or https:// address (links in messages start with it)",
        ));
    }
    let interval = queue.consume_interval_in_secs.unwrap_or(5);
    if !(1..=3600).contains(&interval) {
        return Err(KeyError::new(
            "queue.consumeIntervalInSecs",
            "must be between 1 and 3600",
        ));
    }
    Ok(Some(MailSettings {
        host,
        port,
        security,
        credentials,
        domain_name: life.domain_name.unwrap_or_else(|| "Mycelium".into()),
        domain_url,
        from: mailbox(life.noreply_name.as_deref(), &noreply),
        reply_to: life
            .support_email
            .as_deref()
            .map(|email| mailbox(life.support_name.as_deref(), email)),
        locale: life.locale.unwrap_or_else(|| "en-US".into()),
        interval: Duration::from_secs(interval),
    }))
}
