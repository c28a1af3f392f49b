//! E-mail the directory sends (login links, invitations), through a durable outbox in the
//! store: a use case seals the message (its links are secrets) with a key derived from the
//! host's master key and records it; [`smtp::Sender`] (feature `mail`) hands it to the SMTP
//! server, at least once, retried with backoff, and erases the body once accepted.
//! Messages are plain text and HTML, written from [`templates`] in the reader's locale.

pub mod invitations;
pub mod notices;
#[cfg(feature = "mail")]
pub mod smtp;
pub mod templates;

use std::sync::Arc;

use myc_crypto::xaes::Xaes256Gcm;
use myc_crypto::{MasterKey, Purpose};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::sealed::SealError;
use crate::store::SqlStore;

/// A message.
#[derive(Clone, Serialize, Deserialize)]
pub struct Mail {
    /// The recipient's address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

impl std::fmt::Debug for Mail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Bodies carry login links: never printed.
        f.debug_struct("Mail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// The bodies as they are sealed.
#[derive(Serialize, Deserialize)]
struct Bodies {
    text: String,
    html: String,
}

/// Why a message could not be queued or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// Sealing or opening failed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Seals and opens message bodies (a key derived from the master key).
#[derive(Clone)]
pub struct MailKeys {
    master: Arc<MasterKey>,
}

impl std::fmt::Debug for MailKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailKeys(<redacted>)")
    }
}

impl MailKeys {
    /// Keys derived from `master`.
    pub fn new(master: Arc<MasterKey>) -> Self {
        Self { master }
    }

    fn sealer(&self) -> Xaes256Gcm {
        Xaes256Gcm::new(&self.master.derive(Purpose::Custom("mail-body")))
    }

    /// Queues `mail` in `store`'s outbox; its id.
    pub async fn enqueue(&self, store: &SqlStore, mail: &Mail) -> Result<Uuid, MailError> {
        let id = Uuid::new_v4();
        let plain = Zeroizing::new(
            serde_json::to_vec(&Bodies {
                text: mail.text.clone(),
                html: mail.html.clone(),
            })
            .unwrap_or_default(),
        );
        let sealed = crate::sealed::seal(&self.sealer(), id.as_bytes(), &plain)?;
        store
            .enqueue_mail(id, &mail.to, &mail.subject, sealed)
            .await?;
        Ok(id)
    }

    /// Opens the body of message `id`.
    pub fn open(
        &self,
        id: Uuid,
        to: &str,
        subject: &str,
        sealed: &[u8],
    ) -> Result<Mail, MailError> {
        let plain = crate::sealed::open(&self.sealer(), id.as_bytes(), sealed)?;
        let bodies: Bodies =
            serde_json::from_slice(&plain).map_err(|_| MailError::Seal(SealError::Unopenable))?;
        Ok(Mail {
            to: to.to_owned(),
            subject: subject.to_owned(),
            text: bodies.text,
            html: bodies.html,
        })
    }
}
