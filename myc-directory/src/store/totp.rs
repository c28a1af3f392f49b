//! TOTP enrolments: per e-mail, the sealed secret, whether it is active, the last time step
//! a code was accepted for (a code is never taken twice) and the wrong codes in a row.

use sqlx::Row;

use super::Error;
use super::sql::{SqlStore, args, db, now};

/// An enrolment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpRecord {
    /// The sealed secret.
    pub secret: Vec<u8>,
    /// Confirmed with a first code.
    pub active: bool,
    /// The last time step accepted.
    pub last_step: i64,
    /// Wrong codes in a row.
    pub failures: u32,
    /// When it last changed (unix seconds).
    pub updated_at: i64,
}

fn record(row: &sqlx::any::AnyRow) -> Result<TotpRecord, Error> {
    let active: i64 = row.try_get(1).map_err(db)?;
    let failures: i64 = row.try_get(3).map_err(db)?;
    Ok(TotpRecord {
        secret: row.try_get(0).map_err(db)?,
        active: active == 1,
        last_step: row.try_get(2).map_err(db)?,
        failures: u32::try_from(failures).unwrap_or(u32::MAX),
        updated_at: row.try_get(4).map_err(db)?,
    })
}

impl SqlStore {
    /// Starts (or restarts, while not active) the enrolment of `email`; false when an active
    /// one exists.
    pub async fn put_totp(&self, email: &str, secret: Vec<u8>) -> Result<bool, Error> {
        sqlx::query("DELETE FROM myc_totp WHERE email = $1 AND active = 0")
            .bind(email)
            .execute(&self.pool)
            .await
            .map_err(db)?;
        self.import_totp(email, secret, false).await
    }

    /// The enrolment of `email`.
    pub async fn totp(&self, email: &str) -> Result<Option<TotpRecord>, Error> {
        let sql = "SELECT secret, active, last_step, failures, updated_at FROM myc_totp \
                   WHERE email = $1";
        let rows = self.fetch(sql, args![email]).await?;
        rows.first().map(record).transpose()
    }

    /// Takes a code of `step` for `email` (activating the enrolment): false when that step
    /// or a later one was taken already (a replay, or a race lost).
    pub async fn take_totp_step(&self, email: &str, step: i64) -> Result<bool, Error> {
        let sql = "UPDATE myc_totp SET last_step = $1, failures = 0, active = 1, updated_at = $2 \
                   WHERE email = $3 AND last_step < $1";
        Ok(self.execute(sql, args![step, now(), email]).await? == 1)
    }

    /// Spends one try of the enrolment of `email` (active or pending, as `active` says)
    /// before a code is compared: it counts as a wrong code until [`Self::take_totp_step`]
    /// (a right one) clears the count. `None` when there is no such enrolment or it is locked
    /// (`max` tries, the last less than `lockout_secs` ago). One statement, so concurrent
    /// guesses never get more than `max` comparisons between them.
    pub async fn spend_totp_try(
        &self,
        email: &str,
        active: bool,
        max: u32,
        lockout_secs: i64,
    ) -> Result<Option<TotpRecord>, Error> {
        let at = now();
        let sql = "UPDATE myc_totp SET \
                   failures = CASE WHEN failures >= $1 THEN 1 ELSE failures + 1 END, \
                   updated_at = $2 \
                   WHERE email = $3 AND active = $4 AND (failures < $1 OR updated_at <= $5) \
                   RETURNING secret, active, last_step, failures, updated_at";
        let args = args![
            i64::from(max),
            at,
            email,
            i64::from(active),
            at - lockout_secs
        ];
        let rows = self.fetch(sql, args).await?;
        rows.first().map(record).transpose()
    }

    /// Removes the enrolment of `email`.
    pub async fn delete_totp(&self, email: &str) -> Result<bool, Error> {
        Ok(self
            .execute("DELETE FROM myc_totp WHERE email = $1", args![email])
            .await?
            == 1)
    }

    /// Adds an enrolment brought from elsewhere (upstream's export): active or pending, no
    /// step taken yet. False, and nothing changed, when `email` has one already.
    pub async fn import_totp(
        &self,
        email: &str,
        secret: Vec<u8>,
        active: bool,
    ) -> Result<bool, Error> {
        let inserted = sqlx::query(
            "INSERT INTO myc_totp (email, secret, active, last_step, failures, updated_at) \
             VALUES ($1, $2, $3, 0, 0, $4) ON CONFLICT DO NOTHING",
        )
        .bind(email)
        .bind(secret)
        .bind(i64::from(active))
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(inserted == 1)
    }
}
