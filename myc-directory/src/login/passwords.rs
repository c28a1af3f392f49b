//! Password credentials as upstream offers them (`beginners.users.*`): register (an
//! activation code is mailed), activate, log in, and reset through a mailed code.
//!
//! - Hashes are Argon2id PHC strings, peppered with a key derived from the master key (a
//!   copy of the table alone cannot be attacked offline); parameters in [`HashCost`],
//!   OWASP's 19 MiB × 2 passes by default. Hashing runs on the blocking pool, at most one
//!   hash per CPU at a time: a flood of logins waits instead of holding 19 MiB each.
//! - Login answers the same for an unknown address, a wrong password and an inactive
//!   credential, and costs the same: an unknown address is checked against a dummy hash.
//!   [`MAX_FAILURES`] tries in a row without the right password lock the credential for
//!   [`LOCKOUT`]; a try is spent atomically before the check, so concurrent guesses gain
//!   nothing, and unknown addresses lock alike.
//! - Registering answers the same whether the address has a credential or not (a second
//!   registration mails nothing). Codes are 32 random bytes (base64url), kept as keyed
//!   hashes, used once, valid the temporary lifetime (`tmpExpiresIn`).
//! - With TOTP enabled for the address, a login ends half-way ([`super::Stage`]).

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use myc_crypto::{MasterKey, Purpose};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::answer::{Factor, LoginAnswer, Provider};
use super::magic_link::{LoginError, TokenMinter};
use crate::mail::notices::Notices;
use crate::mail::templates::{self, CodePurpose, Notice, Sender};
use crate::mail::{Mail, MailKeys};
use crate::store::SqlStore;

/// Wrong passwords in a row before the credential locks.
pub const MAX_FAILURES: u32 = 5;

/// How long a locked credential stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(900);

/// Shortest password accepted (characters).
pub const MIN_LENGTH: usize = 10;

/// Longest password accepted (bytes): hashing is bounded.
pub const MAX_LENGTH: usize = 1024;

/// Argon2id cost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB (19,456: 19 MiB).
    pub memory_kib: u32,
    /// Passes (2).
    pub passes: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            passes: 2,
        }
    }
}

/// Why a password step was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Wrong address, password, or an inactive credential (one answer for all).
    #[error("invalid e-mail or password")]
    Invalid,
    /// Too many wrong passwords; try again later.
    #[error("too many wrong passwords; try again later")]
    Locked,
    /// The password is too short or too long.
    #[error("passwords have {MIN_LENGTH} to {MAX_LENGTH} characters")]
    Weak,
    /// Not an e-mail address.
    #[error("not an e-mail address")]
    BadEmail,
    /// The code is unknown, spent or expired.
    #[error("invalid or expired code")]
    InvalidCode,
    /// Hashing failed.
    #[error("password hashing failed")]
    Hash,
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

impl From<LoginError> for PasswordError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Store(e) => Self::Store(e),
            other => Self::Issue(other.to_string()),
        }
    }
}

/// Where messages point and what they say.
#[derive(Clone, Debug)]
pub struct PasswordSettings {
    /// The gateway's public address.
    pub public_url: String,
    /// Who messages come from.
    pub sender: Sender,
    /// How long a mailed code lives.
    pub lifetime: Duration,
    /// Argon2id cost.
    pub cost: HashCost,
}

/// Password credentials (cheap to clone).
#[derive(Clone)]
pub struct Passwords(Arc<Inner>);

struct Inner {
    store: SqlStore,
    mail: MailKeys,
    pepper: Zeroizing<[u8; 32]>,
    tokens: Zeroizing<[u8; 32]>,
    settings: PasswordSettings,
    mint: TokenMinter,
    totp: Option<super::totp::Totp>,
    dummy: String,
    /// Hashes running at once: each holds `cost.memory_kib` of memory.
    hashing: tokio::sync::Semaphore,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("settings", &self.0.settings)
            .finish_non_exhaustive()
    }
}

const ACTIVATE: &str = "activate";
const RESET: &str = "reset";

impl Passwords {
    /// Credentials over `store`, keys derived from `master`, tokens minted by `mint`.
    pub fn new(
        store: SqlStore,
        master: Arc<MasterKey>,
        settings: PasswordSettings,
        mint: TokenMinter,
        totp: Option<super::totp::Totp>,
    ) -> Result<Self, PasswordError> {
        let pepper = master.derive(Purpose::Custom("password-pepper"));
        let tokens = master.derive(Purpose::Custom("password-tokens"));
        let mut this = Inner {
            store,
            mail: MailKeys::new(master),
            pepper,
            tokens,
            settings,
            mint,
            totp,
            dummy: String::new(),
            hashing: tokio::sync::Semaphore::new(hashing_slots()),
        };
        this.dummy = hash_with(&this, b"not anybody's password")?;
        Ok(Self(Arc::new(this)))
    }

    fn token_hash(&self, token: &str) -> String {
        let mut block = Zeroizing::new([0u8; 64]);
        block[..32].copy_from_slice(&*self.0.tokens);
        let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(&(*block).into());
        mac.update(token.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    async fn hash(&self, password: &str) -> Result<String, PasswordError> {
        let _slot = self
            .0
            .hashing
            .acquire()
            .await
            .map_err(|_| PasswordError::Hash)?;
        let this = self.clone();
        let password = Zeroizing::new(password.to_owned());
        tokio::task::spawn_blocking(move || hash_with(&this.0, password.as_bytes()))
            .await
            .map_err(|_| PasswordError::Hash)?
    }

    async fn matches(&self, hash: String, password: &str) -> bool {
        let Ok(_slot) = self.0.hashing.acquire().await else {
            return false;
        };
        let this = self.clone();
        let password = Zeroizing::new(password.to_owned());
        tokio::task::spawn_blocking(move || {
            let Ok(parsed) = PasswordHash::new(&hash) else {
                return false;
            };
            argon(&this.0).is_ok_and(|a| a.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .unwrap_or(false)
    }

    async fn mail_code(&self, email: &str, purpose: CodePurpose) -> Result<(), PasswordError> {
        let mut raw = Zeroizing::new([0u8; 32]);
        getrandom::getrandom(&mut *raw).map_err(|_| PasswordError::Hash)?;
        let token = Zeroizing::new(URL_SAFE_NO_PAD.encode(*raw));
        let (kind, path) = match purpose {
            CodePurpose::Activation => (ACTIVATE, "validate-activation-token"),
            _ => (RESET, "reset-password"),
        };
        let s = &self.0.settings;
        let ttl = i64::try_from(s.lifetime.as_secs()).unwrap_or(i64::MAX);
        self.0
            .store
            .create_user_token(email, kind, &self.token_hash(&token), ttl)
            .await?;
        let endpoint = format!(
            "{}/_adm/beginners/users/{path}",
            s.public_url.trim_end_matches('/')
        );
        let minutes = s.lifetime.as_secs().div_ceil(60);
        let (subject, text, html) =
            templates::one_use_code(&s.sender, purpose, &token, &endpoint, minutes);
        let mail = Mail {
            to: email.to_owned(),
            subject,
            text,
            html,
        };
        self.0.mail.enqueue(&self.0.store, &mail).await?;
        Ok(())
    }

    /// `POST /_adm/beginners/users`: a new, inactive credential and its activation code by
    /// mail; the same answer when `email` has one already (nothing is mailed then).
    pub async fn register(&self, email: &str, password: &str) -> Result<(), PasswordError> {
        let email = canonical(email)?;
        check_strength(password)?;
        let hash = self.hash(password).await?;
        if self.0.store.create_password(&email, &hash).await? {
            self.mail_code(&email, CodePurpose::Activation).await?;
        }
        Ok(())
    }

    /// `POST …/validate-activation-token`.
    pub async fn activate(&self, email: &str, code: &str) -> Result<(), PasswordError> {
        let email = canonical(email).map_err(|_| PasswordError::InvalidCode)?;
        let hash = self.token_hash(code.trim());
        if !self
            .0
            .store
            .take_user_token(&email, ACTIVATE, &hash)
            .await?
        {
            return Err(PasswordError::InvalidCode);
        }
        self.0.store.activate_password(&email).await?;
        Ok(())
    }

    /// `POST …/login`: the login token when `password` is right for an active credential.
    /// The try is spent (atomically) before the password is checked, for known and unknown
    /// addresses alike, so concurrent guesses gain nothing and every address answers the
    /// same way, lockout included.
    pub async fn login(&self, email: &str, password: &str) -> Result<LoginAnswer, PasswordError> {
        let email = canonical(email).map_err(|_| PasswordError::Invalid)?;
        let store = &self.0.store;
        let lockout = i64::try_from(LOCKOUT.as_secs()).unwrap_or(i64::MAX);
        let Some(record) = store
            .spend_password_try(&email, MAX_FAILURES, lockout)
            .await?
        else {
            // No credential, or a locked one: the same cost as a real check, and an unknown
            // address locks like a known one (its tries are counted apart).
            let _ = self.matches(self.0.dummy.clone(), password).await;
            let locked = match store.password(&email).await? {
                Some(_) => true,
                None => {
                    let key = self.token_hash(&format!("unknown-tries\0{email}"));
                    store.hit_rate_limit(&key, lockout).await? > u64::from(MAX_FAILURES)
                }
            };
            return Err(if locked {
                PasswordError::Locked
            } else {
                PasswordError::Invalid
            });
        };
        if password.len() > MAX_LENGTH || !self.matches(record.hash.clone(), password).await {
            return Err(PasswordError::Invalid);
        }
        store.clear_password_failures(&email).await?;
        if !record.active {
            return Err(PasswordError::Invalid);
        }
        let finish = super::answer::Finish {
            store,
            totp: self.0.totp.as_ref(),
            mint: &self.0.mint,
        };
        finish
            .answer(&email, Factor::First(Provider::Password))
            .await
            .map_err(PasswordError::from)
    }

    /// `POST …/start-password-reset`: a reset code by mail when `email` has a credential;
    /// the same answer otherwise.
    pub async fn start_reset(&self, email: &str) -> Result<(), PasswordError> {
        let email = canonical(email)?;
        if self.0.store.password(&email).await?.is_some() {
            self.mail_code(&email, CodePurpose::Reset).await?;
        }
        Ok(())
    }

    /// `POST …/reset-password`: a new password, with the mailed code.
    pub async fn finish_reset(
        &self,
        email: &str,
        code: &str,
        new_password: &str,
    ) -> Result<(), PasswordError> {
        let email = canonical(email).map_err(|_| PasswordError::InvalidCode)?;
        check_strength(new_password)?;
        let hash = self.hash(new_password).await?;
        let token = self.token_hash(code.trim());
        if !self.0.store.take_user_token(&email, RESET, &token).await? {
            return Err(PasswordError::InvalidCode);
        }
        self.0.store.set_password(&email, &hash).await?;
        let notices = Notices::new(self.0.mail.clone(), self.0.settings.sender.clone());
        notices
            .send(&self.0.store, &email, Notice::PasswordChanged)
            .await;
        Ok(())
    }
}

/// How many hashes may run at once: one per CPU (at least two). More would only queue on
/// the CPUs while each held its memory; callers past the limit wait their turn.
fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().max(2))
}

fn canonical(email: &str) -> Result<String, PasswordError> {
    myc_profile::email::canonical(email).map_err(|_| PasswordError::BadEmail)
}

fn check_strength(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_LENGTH || password.len() > MAX_LENGTH {
        return Err(PasswordError::Weak);
    }
    Ok(())
}

fn argon(inner: &Inner) -> Result<Argon2<'_>, PasswordError> {
    let cost = inner.settings.cost;
    let params =
        Params::new(cost.memory_kib, cost.passes, 1, None).map_err(|_| PasswordError::Hash)?;
    Argon2::new_with_secret(&*inner.pepper, Algorithm::Argon2id, Version::V0x13, params)
        .map_err(|_| PasswordError::Hash)
}

fn hash_with(inner: &Inner, password: &[u8]) -> Result<String, PasswordError> {
    argon(inner)?
        .hash_password(password)
        .map(|h| h.to_string())
        .map_err(|_| PasswordError::Hash)
}
