//! [`MagicLinks`]: request, reveal and verify.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use myc_crypto::{MasterKey, Purpose};
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::answer::{Factor, LoginAnswer, Provider};
use crate::mail::templates::{self, Sender};
use crate::mail::{Mail, MailKeys};
use crate::store::SqlStore;

/// Wrong codes a link allows before it dies.
pub const MAX_ATTEMPTS: u32 = 5;

/// Codes an address may try per [`CODE_WINDOW`], right or wrong, over all its links; past
/// them its codes are refused (429) until the window ends. Guessing a 6-digit code then
/// succeeds with odds of at most 480 in a million a day (five times fewer tries than the
/// request limits alone allow), while someone who floods an address with wrong codes locks
/// its link logins for at most an hour (passwords and TOTP are not affected).
pub const MAX_CODES_PER_WINDOW: u64 = 20;

/// The window of [`MAX_CODES_PER_WINDOW`].
pub const CODE_WINDOW: Duration = Duration::from_secs(3600);

/// How far a login got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Done: the token is good everywhere.
    Complete,
    /// The address is proven; its TOTP code is still owed. The token is good only for
    /// `totp/check-token` (myc-tower refuses it elsewhere).
    TotpPending,
}

/// Mints the token of an e-mail address at a stage of its login: (token, lifetime).
pub type TokenMinter = Arc<dyn Fn(&str, Stage) -> Result<(String, Duration), String> + Send + Sync>;

/// How magic links behave.
#[derive(Clone, Debug)]
pub struct MagicLinkSettings {
    /// The gateway's public address, links start with it (`https://id.example.com`).
    pub public_url: String,
    /// Who the message comes from and in which language.
    pub sender: Sender,
    /// How long a link and its code live (`tmpExpiresIn`).
    pub lifetime: Duration,
    /// Requests per address per window.
    pub per_address: u32,
    /// Requests per client address per window.
    pub per_client: u32,
    /// The rate-limit window.
    pub window: Duration,
}

/// Why a login step was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// Too many requests from this address or for this e-mail.
    #[error("too many requests; try again later")]
    RateLimited,
    /// Not an e-mail address.
    #[error("not an e-mail address")]
    BadEmail,
    /// The link is unknown, expired, used, or its code was shown already.
    #[error("this link is no longer valid")]
    InvalidLink,
    /// The code is wrong, expired, used or out of attempts.
    #[error("invalid or expired code")]
    InvalidCode,
    /// The token could not be minted.
    #[error("token not issued: {0}")]
    Issue(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// The message could not be queued.
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
}

/// The magic-link login (cheap to clone).
#[derive(Clone)]
pub struct MagicLinks(Arc<Inner>);

struct Inner {
    store: SqlStore,
    mail: MailKeys,
    key: Zeroizing<[u8; 32]>,
    settings: MagicLinkSettings,
    mint: TokenMinter,
    totp: Option<super::totp::Totp>,
    /// When counters were last pruned (Unix seconds).
    pruned: AtomicI64,
}

impl std::fmt::Debug for MagicLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MagicLinks")
            .field("settings", &self.0.settings)
            .finish_non_exhaustive()
    }
}

impl MagicLinks {
    /// Links over `store`, keys derived from `master`, tokens minted by `mint`; with `totp`,
    /// an address that enabled it gets a token awaiting its code.
    pub fn new(
        store: SqlStore,
        master: Arc<MasterKey>,
        settings: MagicLinkSettings,
        mint: TokenMinter,
        totp: Option<super::totp::Totp>,
    ) -> Self {
        let key = master.derive(Purpose::Custom("login-links"));
        Self(Arc::new(Inner {
            store,
            mail: MailKeys::new(master),
            key,
            settings,
            mint,
            totp,
            pruned: AtomicI64::new(0),
        }))
    }

    /// The language of messages and pages (`[core.accountLifeCycle] locale`).
    pub fn locale(&self) -> &str {
        &self.0.settings.sender.locale
    }

    fn hmac(&self, label: &str, parts: &[&str]) -> [u8; 32] {
        // A 32-byte HMAC key is the same key zero-padded to the 64-byte block.
        let mut block = Zeroizing::new([0u8; 64]);
        block[..32].copy_from_slice(&*self.0.key);
        let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&(*block).into());
        mac.update(label.as_bytes());
        for part in parts {
            mac.update(&[0]);
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().into()
    }

    fn token_hash(&self, token: &str) -> String {
        hex::encode(self.hmac("token", &[token]))
    }

    /// The code a link token shows (6 digits, derived, never stored).
    fn code_of(&self, email: &str, token: &str) -> String {
        let d = self.hmac("code", &[email, token]);
        let n = u32::from_be_bytes([d[0], d[1], d[2], d[3]]) % 1_000_000;
        format!("{n:06}")
    }

    fn code_hash(&self, email: &str, code: &str) -> String {
        hex::encode(self.hmac("code-hash", &[email, code]))
    }

    /// Counts a request under `kind`/`value` in the store (shared by replicas); false when
    /// over `limit` in the window. Counters are keyed by HMAC: no address is stored.
    async fn allow(&self, kind: &str, value: &str, limit: u32) -> Result<bool, LoginError> {
        let window = i64::try_from(self.0.settings.window.as_secs()).unwrap_or(i64::MAX);
        let store = &self.0.store;
        let now = chrono::Utc::now().timestamp();
        let last = self.0.pruned.load(Ordering::Relaxed);
        if now - last >= 60
            && self
                .0
                .pruned
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            // Only counters past the longest window in use (the code counters').
            let codes = i64::try_from(CODE_WINDOW.as_secs()).unwrap_or(i64::MAX);
            store.prune_rate_limits(window.max(codes)).await?;
        }
        let key = hex::encode(self.hmac("limit", &[kind, value]));
        Ok(store.hit_rate_limit(&key, window).await? <= u64::from(limit))
    }

    /// `POST …/magic-link/request`: queues a link to `email`, whether it has an account or
    /// not (the link is also how a new person signs up). Limited per client address and per
    /// e-mail address across every replica on the store.
    pub async fn request(&self, email: &str, client: Option<IpAddr>) -> Result<(), LoginError> {
        let s = &self.0.settings;
        let client_key = client.map_or_else(|| "-".to_owned(), |ip| ip.to_string());
        if !self.allow("client", &client_key, s.per_client).await? {
            return Err(LoginError::RateLimited);
        }
        let email = myc_profile::email::canonical(email).map_err(|_| LoginError::BadEmail)?;
        if !self.allow("address", &email, s.per_address).await? {
            return Err(LoginError::RateLimited);
        }
        // Known or not, the same work after the answer: a link also signs a new person up
        // (its JWT admits them to `beginners.accounts.create` only, until they have an
        // account).
        let this = self.clone();
        tokio::spawn(async move {
            if let Err(e) = this.send_link(&email).await {
                tracing::warn!(error = %e, "magic link not queued");
            }
        });
        Ok(())
    }

    async fn send_link(&self, email: &str) -> Result<(), LoginError> {
        let mut raw = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut *raw).map_err(|_| LoginError::Issue("no randomness".into()))?;
        let token = Zeroizing::new(URL_SAFE_NO_PAD.encode(*raw));
        let code = Zeroizing::new(self.code_of(email, &token));
        let s = &self.0.settings;
        let ttl = i64::try_from(s.lifetime.as_secs()).unwrap_or(i64::MAX);
        self.0
            .store
            .create_login_link(
                email,
                &self.token_hash(&token),
                &self.code_hash(email, &code),
                ttl,
            )
            .await?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("email", email)
            .append_pair("token", &token)
            .finish();
        let link = Zeroizing::new(format!(
            "{}/_adm/beginners/users/magic-link/display?{query}",
            s.public_url.trim_end_matches('/')
        ));
        let (subject, text, html) =
            templates::magic_link(&s.sender, &link, s.lifetime.as_secs().div_ceil(60));
        let mail = Mail {
            to: email.to_owned(),
            subject,
            text,
            html,
        };
        self.0.mail.enqueue(&self.0.store, &mail).await?;
        Ok(())
    }

    /// The deliberate step of the display page: the code of the link `token` for `email`,
    /// once.
    pub async fn reveal(&self, email: &str, token: &str) -> Result<Zeroizing<String>, LoginError> {
        let email = myc_profile::email::canonical(email).map_err(|_| LoginError::InvalidLink)?;
        let link = self
            .0
            .store
            .login_link_by_token(&self.token_hash(token))
            .await?
            .ok_or(LoginError::InvalidLink)?;
        if link.email != email || !self.0.store.reveal_login_link(link.id).await? {
            return Err(LoginError::InvalidLink);
        }
        Ok(Zeroizing::new(self.code_of(&email, token)))
    }

    /// `POST …/magic-link/verify`: the login token when `code` is the shown code of a live
    /// link of `email`. Every try spends, atomically and before any comparison, one of the
    /// address's [`MAX_CODES_PER_WINDOW`] and one attempt of each of its live links: however
    /// many guesses arrive at once, none is compared past those limits.
    pub async fn verify(&self, email: &str, code: &str) -> Result<LoginAnswer, LoginError> {
        let email = myc_profile::email::canonical(email).map_err(|_| LoginError::InvalidCode)?;
        let window = i64::try_from(CODE_WINDOW.as_secs()).unwrap_or(i64::MAX);
        let tries_key = hex::encode(self.hmac("limit", &["verify", &email]));
        let store = &self.0.store;
        if store.hit_rate_limit(&tries_key, window).await? > MAX_CODES_PER_WINDOW {
            return Err(LoginError::RateLimited);
        }
        let given = self.code_hash(&email, code.trim());
        let reserved = store.spend_login_attempt(&email, MAX_ATTEMPTS).await?;
        let hit = reserved
            .iter()
            .find(|l| bool::from(l.code_hash.as_bytes().ct_eq(given.as_bytes())));
        let Some(link) = hit else {
            return Err(LoginError::InvalidCode);
        };
        if !self.0.store.use_login_link(link.id).await? {
            return Err(LoginError::InvalidCode);
        }
        let finish = super::answer::Finish {
            store: &self.0.store,
            totp: self.0.totp.as_ref(),
            mint: &self.0.mint,
        };
        finish
            .answer(&email, Factor::First(Provider::MagicLink))
            .await
    }
}
