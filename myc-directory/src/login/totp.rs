//! TOTP (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits) as a second factor: enrolment
//! (`start` → otpauth URL, `finish` with a first code), the check that completes a login,
//! and `disable` (needs a code). The secret is sealed in the store under a key derived from
//! the master key, bound to the address. A code is taken at most once: the step it was
//! accepted for is recorded and no code of that step or an earlier one passes again. The
//! clock may be one step off either way. [`MAX_FAILURES`] tries in a row without a right
//! code lock the factor for [`LOCKOUT`]; each try is spent atomically before the comparison,
//! so concurrent guesses gain nothing.

use std::sync::Arc;
use std::time::Duration;

use data_encoding::BASE32_NOPAD;
use hmac::{Hmac, Mac};
use myc_crypto::xaes::Xaes256Gcm;
use myc_crypto::{MasterKey, Purpose};
use sha1::Sha1;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::mail::notices::Notices;
use crate::mail::templates::Notice;
use crate::store::SqlStore;

/// Seconds per step.
pub const PERIOD: u64 = 30;

/// Wrong codes in a row before the factor locks.
pub const MAX_FAILURES: u32 = 5;

/// How long a locked factor stays locked.
pub const LOCKOUT: Duration = Duration::from_secs(900);

/// Why a TOTP step was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TotpError {
    /// An active enrolment exists (disable it first).
    #[error("TOTP is already enabled")]
    AlreadyEnabled,
    /// No enrolment (or none in the state the step needs).
    #[error("TOTP is not enabled")]
    NotEnabled,
    /// Wrong, replayed or expired code.
    #[error("invalid TOTP code")]
    InvalidCode,
    /// Too many wrong codes; try again later.
    #[error("too many wrong codes; try again later")]
    Locked,
    /// The secret could not be sealed or opened.
    #[error("the TOTP secret cannot be used")]
    Secret,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// The 6-digit code of `secret` at time step `step`.
pub fn code_at(secret: &[u8], step: u64) -> String {
    let Ok(mut mac) = <Hmac<Sha1> as Mac>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", binary % 1_000_000)
}

fn step_now() -> u64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    secs / PERIOD
}

/// The second factor over a store (cheap to clone).
#[derive(Clone)]
pub struct Totp(Arc<Inner>);

struct Inner {
    store: SqlStore,
    master: Arc<MasterKey>,
    issuer: String,
    notices: Option<Notices>,
}

impl std::fmt::Debug for Totp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Totp")
            .field("issuer", &self.0.issuer)
            .finish_non_exhaustive()
    }
}

impl Totp {
    /// TOTP over `store`, secrets sealed under `master`, apps showing `issuer`.
    pub fn new(store: SqlStore, master: Arc<MasterKey>, issuer: String) -> Self {
        Self(Arc::new(Inner {
            store,
            master,
            issuer,
            notices: None,
        }))
    }

    /// The same factor, telling people by mail when it is turned on or off for them.
    #[must_use]
    pub fn with_notices(self, notices: Notices) -> Self {
        let inner = &self.0;
        Self(Arc::new(Inner {
            store: inner.store.clone(),
            master: inner.master.clone(),
            issuer: inner.issuer.clone(),
            notices: Some(notices),
        }))
    }

    async fn notify(&self, email: &str, what: Notice) {
        if let Some(notices) = &self.0.notices {
            notices.send(&self.0.store, email, what).await;
        }
    }

    /// The name authenticator apps show.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    pub(crate) fn store(&self) -> &SqlStore {
        &self.0.store
    }

    /// `secret` sealed for `email`, as the store keeps it.
    pub(super) fn seal(&self, email: &str, secret: &[u8]) -> Result<Vec<u8>, ()> {
        crate::sealed::seal(&self.sealer(), email.as_bytes(), secret).map_err(|_| ())
    }

    fn sealer(&self) -> Xaes256Gcm {
        Xaes256Gcm::new(&self.0.master.derive(Purpose::Custom("totp-secret")))
    }

    /// Whether `email` completes logins with a code.
    pub async fn enabled(&self, email: &str) -> Result<bool, TotpError> {
        Ok(self.0.store.totp(email).await?.is_some_and(|r| r.active))
    }

    /// Starts the enrolment of `email`: the otpauth URL its app reads.
    pub async fn start(&self, email: &str) -> Result<Zeroizing<String>, TotpError> {
        let mut secret = Zeroizing::new([0u8; 20]);
        getrandom::getrandom(&mut *secret).map_err(|_| TotpError::Secret)?;
        let sealed = self.seal(email, &*secret).map_err(|()| TotpError::Secret)?;
        if !self.0.store.put_totp(email, sealed).await? {
            return Err(TotpError::AlreadyEnabled);
        }
        let label = |text: &str| {
            percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC)
                .to_string()
        };
        Ok(Zeroizing::new(format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={PERIOD}",
            label(&self.0.issuer),
            label(email),
            BASE32_NOPAD.encode(&*secret),
            label(&self.0.issuer),
        )))
    }

    /// Confirms the enrolment of `email` with a first code.
    pub async fn finish(&self, email: &str, code: &str) -> Result<(), TotpError> {
        self.accept(email, code, false).await?;
        self.notify(email, Notice::TotpEnabled).await;
        Ok(())
    }

    /// The code completing a login of `email`.
    pub async fn check(&self, email: &str, code: &str) -> Result<(), TotpError> {
        self.accept(email, code, true).await
    }

    /// Removes the factor of `email` (a valid code needed).
    pub async fn disable(&self, email: &str, code: &str) -> Result<(), TotpError> {
        self.accept(email, code, true).await?;
        self.0.store.delete_totp(email).await?;
        self.notify(email, Notice::TotpDisabled).await;
        Ok(())
    }

    /// Takes `code` for `email`, whose enrolment must be active (`active`) or pending. The
    /// try is spent (atomically, as a wrong code) before the code is compared, and given
    /// back when it is right: concurrent guesses never exceed [`MAX_FAILURES`].
    async fn accept(&self, email: &str, code: &str, active: bool) -> Result<(), TotpError> {
        let store = &self.0.store;
        let lockout = i64::try_from(LOCKOUT.as_secs()).unwrap_or(i64::MAX);
        let Some(record) = store
            .spend_totp_try(email, active, MAX_FAILURES, lockout)
            .await?
        else {
            return Err(match store.totp(email).await? {
                Some(r) if r.active == active => TotpError::Locked,
                _ => TotpError::NotEnabled,
            });
        };
        let secret = crate::sealed::open(&self.sealer(), email.as_bytes(), &record.secret)
            .map_err(|_| TotpError::Secret)?;
        let now = step_now();
        let given = code.trim().as_bytes();
        for step in [now.saturating_sub(1), now, now + 1] {
            let step_i = i64::try_from(step).unwrap_or(i64::MAX);
            let matches = bool::from(code_at(&secret, step).as_bytes().ct_eq(given));
            if matches && step_i > record.last_step {
                // Clears the count, the try included; false: a replay, or a race lost.
                if store.take_totp_step(email, step_i).await? {
                    return Ok(());
                }
                break;
            }
        }
        Err(TotpError::InvalidCode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B (SHA-1 key), the 8-digit values cut to 6 digits.
    #[test]
    fn rfc_6238_vectors() {
        let key = b"12345678901234567890";
        for (time, code) in [
            (59u64, "287082"),
            (1_111_111_109, "081804"),
            (1_111_111_111, "050471"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
            (20_000_000_000, "353130"),
        ] {
            assert_eq!(code_at(key, time / PERIOD), code, "T = {time}");
        }
    }
}
