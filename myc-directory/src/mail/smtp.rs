//! [`Sender`]: takes the outbox's due messages to an SMTP server (lettre): implicit TLS on
//! port 465, STARTTLS required elsewhere, plain SMTP only to a loopback server; the
//! system's roots plus extra PEM roots; credentials when configured. A message accepted by
//! the server is marked sent (its body erased); a refused or unreachable one is retried one
//! poll later, then with doubling waits (at most an hour), and kept as failed after
//! [`SmtpSettings::max_attempts`].

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use zeroize::Zeroizing;

use super::{Mail, MailKeys};
use crate::store::{DueMail, MailAttempt, SqlStore};

/// How the connection to the server is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmtpTls {
    /// TLS from the first byte (port 465).
    Implicit,
    /// STARTTLS, required.
    StartTls,
    /// None: only for a server on loopback.
    Plain,
}

/// Where and as whom mail is sent.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Protection.
    pub tls: SmtpTls,
    /// User name and password, when the server wants them.
    pub credentials: Option<(String, Zeroizing<String>)>,
    /// `From` (`noreplyName <noreplyEmail>`).
    pub from: String,
    /// `Reply-To` (`supportName <supportEmail>`), if any.
    pub reply_to: Option<String>,
    /// PEM bundles trusted besides the system's roots.
    pub extra_roots: Vec<Vec<u8>>,
    /// How often the outbox is polled.
    pub interval: Duration,
    /// Attempts before a message is kept as failed.
    pub max_attempts: u32,
    /// Messages taken per poll.
    pub batch: u32,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|c| &c.0))
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

/// Why the sender could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SmtpError {
    /// An address (`From`, `Reply-To`) is not one.
    #[error("{0:?} is not a mailbox")]
    Address(String),
    /// TLS could not be set up.
    #[error("SMTP TLS: {0}")]
    Tls(String),
}

/// Sends the outbox.
pub struct Sender {
    store: SqlStore,
    keys: MailKeys,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    reply_to: Option<Mailbox>,
    settings: SmtpSettings,
}

impl Sender {
    /// A sender of `store`'s outbox, opening bodies with `keys`.
    pub fn new(store: SqlStore, keys: MailKeys, settings: SmtpSettings) -> Result<Self, SmtpError> {
        let mailbox = |text: &str| {
            text.parse::<Mailbox>()
                .map_err(|_| SmtpError::Address(text.to_owned()))
        };
        let from = mailbox(&settings.from)?;
        let reply_to = settings.reply_to.as_deref().map(mailbox).transpose()?;
        let tls = || -> Result<TlsParameters, SmtpError> {
            let mut builder = TlsParameters::builder(settings.host.clone());
            for pem in &settings.extra_roots {
                let cert = Certificate::from_pem(pem).map_err(|e| SmtpError::Tls(e.to_string()))?;
                builder = builder.add_root_certificate(cert);
            }
            builder
                .build_rustls()
                .map_err(|e| SmtpError::Tls(e.to_string()))
        };
        let tls = match settings.tls {
            SmtpTls::Implicit => Tls::Wrapper(tls()?),
            SmtpTls::StartTls => Tls::Required(tls()?),
            SmtpTls::Plain => Tls::None,
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(tls)
                .timeout(Some(Duration::from_secs(30)));
        if let Some((user, password)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.to_string()));
        }
        Ok(Self {
            store,
            keys,
            transport: builder.build(),
            from,
            reply_to,
            settings,
        })
    }

    /// Polls the outbox every interval until `stop` completes.
    pub async fn run(self, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            self.send_due().await;
            tokio::select! {
                () = &mut stop => return,
                () = tokio::time::sleep(self.settings.interval) => {}
            }
        }
    }

    /// Sends what is due now; how many were accepted.
    pub async fn send_due(&self) -> usize {
        let now = Utc::now();
        let lease = now + chrono::Duration::seconds(120);
        let due = match self
            .store
            .claim_due_mail(now, lease, self.settings.batch)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "mail outbox not read");
                return 0;
            }
        };
        let mut sent = 0;
        for mail in due {
            let attempt = self.attempt(&mail).await;
            if attempt == MailAttempt::Sent {
                sent += 1;
            }
            if let Err(e) = self.store.record_mail_attempt(mail.id, &attempt).await {
                tracing::warn!(error = %e, "mail attempt not recorded");
            }
        }
        sent
    }

    async fn attempt(&self, due: &DueMail) -> MailAttempt {
        let failed = |error: String| {
            let attempts = due.attempts + 1;
            let next = (attempts < self.settings.max_attempts).then(|| {
                let wait = self.settings.interval.as_secs().max(1) << (attempts - 1).min(12);
                Utc::now()
                    + chrono::Duration::seconds(i64::try_from(wait.min(3600)).unwrap_or(3600))
            });
            tracing::warn!(mail = %due.id, attempts, error = %error, "mail not sent");
            MailAttempt::Failed { error, next }
        };
        let mail = match self
            .keys
            .open(due.id, &due.recipient, &due.subject, &due.body)
        {
            Ok(mail) => mail,
            Err(e) => return failed(e.to_string()),
        };
        let message = match self.message(&mail) {
            Ok(message) => message,
            Err(e) => return failed(e),
        };
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::info!(mail = %due.id, "mail sent");
                MailAttempt::Sent
            }
            Err(e) => failed(e.to_string()),
        }
    }

    fn message(&self, mail: &Mail) -> Result<Message, String> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| format!("{:?} is not a mailbox", mail.to))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone());
        if let Some(reply_to) = &self.reply_to {
            builder = builder.reply_to(reply_to.clone());
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|e| e.to_string())
    }
}

/// A shared sender for hosts that keep one.
pub type SharedSender = Arc<Sender>;
