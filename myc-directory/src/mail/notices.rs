//! Telling people by mail when how they sign in changed (a second factor turned on or off, a
//! new password), so a change they did not make does not go unnoticed. A notice is queued in
//! the outbox like every message; failing to queue it never undoes the change (it is logged).

use super::templates::{self, Notice, Sender};
use super::{Mail, MailKeys};
use crate::store::SqlStore;

/// Queues notices (cheap to clone).
#[derive(Clone, Debug)]
pub struct Notices {
    keys: MailKeys,
    sender: Sender,
}

impl Notices {
    /// Notices sealed with `keys`, written for `sender`.
    pub fn new(keys: MailKeys, sender: Sender) -> Self {
        Self { keys, sender }
    }

    /// Queues `what` to `to`.
    pub async fn send(&self, store: &SqlStore, to: &str, what: Notice) {
        let (subject, text, html) = templates::notice(&self.sender, what);
        let mail = Mail {
            to: to.to_owned(),
            subject,
            text,
            html,
        };
        if let Err(e) = self.keys.enqueue(store, &mail).await {
            tracing::warn!(error = %e, notice = ?what, "notice not queued");
        }
    }
}
