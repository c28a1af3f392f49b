//! How every login ends: [`LoginAnswer`], upstream's `MyceliumLoginResponse` (camelCase: the
//! token, its lifetime in seconds, whether a TOTP code is still owed, and the user flattened
//! in), built in one place for the magic link, passwords and the TOTP check.
//!
//! The user part follows upstream's `User` serialization: `id`, `firstName`, `lastName` and
//! `updated` only when known; `username` (the e-mail's local part unless the owner has one);
//! `email`; `isActive`; `isPrincipal`; `created` (RFC 3339); `provider` (`{"internal": {}}`
//! after a password); `mfa` (`{"totp": "disabled"}` or `{"totp": {"enabled": {"verified":
//! true, "issuer": …, "secret": null}}}` — the secret never leaves the store). A person who
//! has no account yet (a magic link also signs people up) has no `id` and `isPrincipal:
//! false`.

use serde::Serialize;
use serde_json::{Value, json};

use super::magic_link::{LoginError, Stage, TokenMinter};
use super::totp::Totp;
use crate::store::SqlStore;

/// How the person proved who they are, as upstream names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Provider {
    /// A password of this gateway.
    Password,
    /// An e-mailed link (upstream shows no provider for it).
    MagicLink,
}

/// The user part of a login answer (upstream's `User`, serialized flat into the answer).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginUser {
    /// The owner's id, when the person owns an account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<uuid::Uuid>,
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Username.
    pub username: String,
    /// The canonical e-mail.
    pub email: String,
    /// Whether the account is active.
    pub is_active: bool,
    /// Whether the person is the account's principal owner.
    pub is_principal: bool,
    /// When the person was added (RFC 3339).
    pub created: String,
    /// How they proved who they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<Value>,
    /// Their second factor, without its secret.
    pub mfa: Value,
}

/// A successful login step (upstream's `MyceliumLoginResponse`, camelCase).
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginAnswer {
    /// The JWT.
    pub token: String,
    /// Its lifetime in seconds.
    pub duration: u64,
    /// Whether a TOTP code must complete the login.
    pub totp_required: bool,
    /// Who logged in.
    #[serde(flatten)]
    pub user: LoginUser,
}

impl std::fmt::Debug for LoginAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginAnswer")
            .field("user", &self.user)
            .field("totp_required", &self.totp_required)
            .finish_non_exhaustive()
    }
}

/// Which factor a login step proved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Factor {
    /// The e-mail or the password: with TOTP enabled, the login is not complete yet.
    First(Provider),
    /// The TOTP code: the login is complete.
    #[cfg_attr(not(feature = "axum"), allow(dead_code))]
    Second,
}

/// What ending a login needs.
pub(crate) struct Finish<'a> {
    pub(crate) store: &'a SqlStore,
    pub(crate) totp: Option<&'a Totp>,
    pub(crate) mint: &'a TokenMinter,
}

impl Finish<'_> {
    /// The answer for `email` (canonical) after `factor`.
    pub(crate) async fn answer(
        &self,
        email: &str,
        factor: Factor,
    ) -> Result<LoginAnswer, LoginError> {
        let issuer = match self.totp {
            Some(totp) => totp
                .enabled(email)
                .await
                .map_err(|e| LoginError::Issue(e.to_string()))?
                .then(|| totp.issuer().to_owned()),
            None => None,
        };
        let (stage, provider) = match factor {
            Factor::First(provider) if issuer.is_some() => (Stage::TotpPending, Some(provider)),
            Factor::First(provider) => (Stage::Complete, Some(provider)),
            Factor::Second => (Stage::Complete, None),
        };
        let (token, lifetime) = (self.mint)(email, stage).map_err(LoginError::Issue)?;
        let user = self.user(email, provider, issuer).await?;
        Ok(LoginAnswer {
            token,
            duration: lifetime.as_secs(),
            totp_required: stage == Stage::TotpPending,
            user,
        })
    }

    async fn user(
        &self,
        email: &str,
        provider: Option<Provider>,
        issuer: Option<String>,
    ) -> Result<LoginUser, LoginError> {
        let record = self.store.login_user(email).await?;
        let local = email.split('@').next().unwrap_or(email).to_owned();
        let created = record
            .as_ref()
            .and_then(|r| chrono::DateTime::from_timestamp(r.created_at, 0))
            .unwrap_or_else(chrono::Utc::now)
            .to_rfc3339();
        let mfa = match issuer {
            Some(issuer) => json!({ "totp": { "enabled": {
                "verified": true, "issuer": issuer, "secret": null } } }),
            None => json!({ "totp": "disabled" }),
        };
        let provider = match provider {
            Some(Provider::Password) => Some(json!({ "internal": {} })),
            _ => None,
        };
        Ok(match record {
            Some(r) => LoginUser {
                id: Some(r.id),
                first_name: r.first_name,
                last_name: r.last_name,
                username: r.username.unwrap_or(local),
                email: email.to_owned(),
                is_active: r.is_active,
                is_principal: r.is_principal,
                created,
                provider,
                mfa,
            },
            None => LoginUser {
                id: None,
                first_name: None,
                last_name: None,
                username: local,
                email: email.to_owned(),
                is_active: true,
                is_principal: false,
                created,
                provider,
                mfa,
            },
        })
    }
}
