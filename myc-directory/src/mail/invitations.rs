//! The invitation message: when a guest is invited to a tenant's account, they are told
//! where, with which role, and how to accept: sign in (the magic link works for an address
//! that was just invited: inviting creates its account), then accept with their own token.
//! Only the invited person's login can accept (`beginners.guests.acceptInvitation`).

use uuid::Uuid;

use super::templates::{self, Sender};
use super::{Mail, MailError, MailKeys};
use crate::store::{SqlStore, Store};

/// Sends invitation messages through the outbox.
#[derive(Clone, Debug)]
pub struct Invitations {
    store: SqlStore,
    keys: MailKeys,
    sender: Sender,
    public_url: String,
}

impl Invitations {
    /// Messages from `sender`, links under `public_url` (the gateway's address).
    pub fn new(store: SqlStore, keys: MailKeys, sender: Sender, public_url: String) -> Self {
        Self {
            store,
            keys,
            sender,
            public_url,
        }
    }

    /// Queues the invitation of `email` to `account` of `tenant` with guest role `role`.
    pub async fn send(
        &self,
        tenant: Uuid,
        account: Uuid,
        email: &str,
        role: Uuid,
    ) -> Result<(), MailError> {
        let tenant_name = self
            .store
            .tenant(tenant)
            .await?
            .map_or_else(|| tenant.to_string(), |t| t.name);
        let account_name = self.store.account_record(account).await?.name;
        let role = self.store.guest_role(role).await?;
        let base = self.public_url.trim_end_matches('/');
        let accept = format!(
            "{base}/_adm/beginners/guests/account/{account}/guest-role/{}/perm/{}/accept",
            role.slug,
            role.permission.as_str()
        );
        let sign_in = format!("{base}/_adm/beginners/users/magic-link/request");
        let (subject, text, html) = templates::invitation(
            &self.sender,
            &templates::Invitation {
                tenant: &tenant_name,
                account: &account_name,
                role: &role.name,
                accept: &accept,
                sign_in: &sign_in,
            },
        );
        let mail = Mail {
            to: email.to_owned(),
            subject,
            text,
            html,
        };
        self.keys.enqueue(&self.store, &mail).await?;
        Ok(())
    }
}
