//! Password credentials (Argon2id PHC strings, never the password) and the one-use tokens
//! mailed to activate them or reset them (only their keyed hashes).

use sqlx::Row;

use super::Error;
use super::sql::{SqlStore, args, db, now};

/// A stored credential.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordRecord {
    /// The PHC string.
    pub hash: String,
    /// Activated by the mailed token.
    pub active: bool,
    /// Wrong passwords in a row.
    pub failures: u32,
    /// When it last changed (unix seconds).
    pub updated_at: i64,
}

impl std::fmt::Debug for PasswordRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordRecord")
            .field("active", &self.active)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

fn record(row: &sqlx::any::AnyRow) -> Result<PasswordRecord, Error> {
    let active: i64 = row.try_get(1).map_err(db)?;
    let failures: i64 = row.try_get(2).map_err(db)?;
    Ok(PasswordRecord {
        hash: row.try_get(0).map_err(db)?,
        active: active == 1,
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        updated_at: row.try_get(3).map_err(db)?,
    })
}

impl SqlStore {
    /// Records the inactive credential of `email`; false when one exists.
    pub async fn create_password(&self, email: &str, hash: &str) -> Result<bool, Error> {
        let sql = "INSERT INTO myc_passwords (email, hash, active, failures, updated_at) \
                   VALUES ($1, $2, 0, 0, $3) ON CONFLICT DO NOTHING";
        Ok(self.execute(sql, args![email, hash, now()]).await? == 1)
    }

    /// The credential of `email`.
    pub async fn password(&self, email: &str) -> Result<Option<PasswordRecord>, Error> {
        let sql = "SELECT hash, active, failures, updated_at FROM myc_passwords WHERE email = $1";
        let rows = self.fetch(sql, args![email]).await?;
        rows.first().map(record).transpose()
    }

    /// Spends one try of the credential of `email` before a password is checked: it counts
    /// as a wrong password until [`Self::clear_password_failures`] (a right one) clears the
    /// count. `None` when there is no credential or it is locked (`max` tries, the last less
    /// than `lockout_secs` ago). One statement, so concurrent guesses never get more than
    /// `max` checks between them.
    pub async fn spend_password_try(
        &self,
        email: &str,
        max: u32,
        lockout_secs: i64,
    ) -> Result<Option<PasswordRecord>, Error> {
        let at = now();
        let sql = "UPDATE myc_passwords SET \
                   failures = CASE WHEN failures >= $1 THEN 1 ELSE failures + 1 END, \
                   updated_at = $2 \
                   WHERE email = $3 AND (failures < $1 OR updated_at <= $4) \
                   RETURNING hash, active, failures, updated_at";
        let rows = self
            .fetch(sql, args![i64::from(max), at, email, at - lockout_secs])
            .await?;
        rows.first().map(record).transpose()
    }

    /// Activates the credential of `email`.
    pub async fn activate_password(&self, email: &str) -> Result<bool, Error> {
        let sql = "UPDATE myc_passwords SET active = 1, updated_at = $1 WHERE email = $2";
        Ok(self.execute(sql, args![now(), email]).await? == 1)
    }

    /// Replaces the credential of `email` (active, no failures); false when it has none.
    pub async fn set_password(&self, email: &str, hash: &str) -> Result<bool, Error> {
        let sql = "UPDATE myc_passwords SET hash = $1, active = 1, failures = 0, updated_at = $2 \
                   WHERE email = $3";
        Ok(self.execute(sql, args![hash, now(), email]).await? == 1)
    }

    /// Clears the wrong-password count of `email`.
    pub async fn clear_password_failures(&self, email: &str) -> Result<(), Error> {
        let sql = "UPDATE myc_passwords SET failures = 0 WHERE email = $1";
        self.execute(sql, args![email]).await?;
        Ok(())
    }

    /// Records a one-use token of `purpose` for `email`, valid `ttl_secs`.
    pub async fn create_user_token(
        &self,
        email: &str,
        purpose: &str,
        token_hash: &str,
        ttl_secs: i64,
    ) -> Result<(), Error> {
        let at = now();
        let sql = "INSERT INTO myc_user_tokens (token_hash, email, purpose, expires_at, created_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        self.execute(sql, args![token_hash, email, purpose, at + ttl_secs, at])
            .await?;
        Ok(())
    }

    /// Spends the live token `token_hash` of `purpose` for `email`; false when there is none
    /// (unknown, another address's, expired, or spent).
    pub async fn take_user_token(
        &self,
        email: &str,
        purpose: &str,
        token_hash: &str,
    ) -> Result<bool, Error> {
        let sql = "UPDATE myc_user_tokens SET used_at = $1 WHERE token_hash = $2 AND email = $3 \
                   AND purpose = $4 AND used_at IS NULL AND expires_at > $1";
        Ok(self
            .execute(sql, args![now(), token_hash, email, purpose])
            .await?
            == 1)
    }
}
