//! The mail outbox: every message owed (its body sealed by the caller), leased to one
//! sender at a time, retried with backoff, kept as failed after the last attempt. A sent
//! message's body is erased.

use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::Error;
use super::sql::{SqlStore, args, db, now, uuid};

/// A message due for sending.
#[derive(Clone, Debug)]
pub struct DueMail {
    /// Id (also the sealing's binding).
    pub id: Uuid,
    /// Where it goes.
    pub recipient: String,
    /// Subject.
    pub subject: String,
    /// The sealed body.
    pub body: Vec<u8>,
    /// Attempts so far.
    pub attempts: u32,
}

/// The outcome of one sending attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailAttempt {
    /// The SMTP server accepted it.
    Sent,
    /// Not sent: tried again at `next`, or given up when `None`.
    Failed {
        /// What went wrong (no secret in it).
        error: String,
        /// When to try again.
        next: Option<DateTime<Utc>>,
    },
}

impl SqlStore {
    /// Owes `recipient` a message (`body` sealed for `id`).
    pub async fn enqueue_mail(
        &self,
        id: Uuid,
        recipient: &str,
        subject: &str,
        body: Vec<u8>,
    ) -> Result<(), Error> {
        let at = now();
        sqlx::query(
            "INSERT INTO myc_mail_outbox (id, recipient, subject, body, status, attempts, \
             next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
        )
        .bind(id.to_string())
        .bind(recipient)
        .bind(subject)
        .bind(body)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// Claims up to `limit` messages due at `at`, each leased until `lease_until` (if this
    /// sender dies, the message is due again then).
    pub async fn claim_due_mail(
        &self,
        at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueMail>, Error> {
        let sql = "SELECT id, recipient, subject, body, attempts, next_attempt_at \
                   FROM myc_mail_outbox WHERE status = 'pending' AND next_attempt_at <= $1 \
                   ORDER BY next_attempt_at, id LIMIT $2";
        let rows = self
            .fetch(sql, args![at.timestamp(), i64::from(limit)])
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get(0).map_err(db)?;
            let due: i64 = row.try_get(5).map_err(db)?;
            let lease = "UPDATE myc_mail_outbox SET next_attempt_at = $1 \
                         WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3";
            if self
                .execute(lease, args![lease_until.timestamp(), id.as_str(), due])
                .await?
                == 1
            {
                let attempts: i64 = row.try_get(4).map_err(db)?;
                claimed.push(DueMail {
                    id: uuid(&id)?,
                    recipient: row.try_get(1).map_err(db)?,
                    subject: row.try_get(2).map_err(db)?,
                    body: row.try_get(3).map_err(db)?,
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                });
            }
        }
        Ok(claimed)
    }

    /// Records an attempt at message `id`; a sent message's body is erased.
    pub async fn record_mail_attempt(&self, id: Uuid, attempt: &MailAttempt) -> Result<(), Error> {
        let (status, next, error) = match attempt {
            MailAttempt::Sent => ("sent", now(), None),
            MailAttempt::Failed {
                error,
                next: Some(at),
            } => ("pending", at.timestamp(), Some(error.as_str())),
            MailAttempt::Failed { error, next: None } => ("failed", now(), Some(error.as_str())),
        };
        let sql = "UPDATE myc_mail_outbox SET status = $1, attempts = attempts + 1, \
                   next_attempt_at = $2, last_error = COALESCE($3, last_error), updated_at = $4 \
                   WHERE id = $5";
        self.execute(sql, args![status, next, error, now(), id])
            .await?;
        if *attempt == MailAttempt::Sent {
            sqlx::query("UPDATE myc_mail_outbox SET body = NULL WHERE id = $1")
                .bind(id.to_string())
                .execute(&self.pool)
                .await
                .map_err(db)?;
        }
        Ok(())
    }

    /// (status, attempts) of every message to `recipient`, oldest first.
    pub async fn mail_status(&self, recipient: &str) -> Result<Vec<(String, u32)>, Error> {
        let sql = "SELECT status, attempts FROM myc_mail_outbox WHERE recipient = $1 \
                   ORDER BY created_at, id";
        self.fetch(sql, args![recipient])
            .await?
            .iter()
            .map(|row| {
                let status: String = row.try_get(0).map_err(db)?;
                let attempts: i64 = row.try_get(1).map_err(db)?;
                Ok((status, u32::try_from(attempts).unwrap_or(u32::MAX)))
            })
            .collect()
    }
}
