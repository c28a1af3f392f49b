//! Outbound webhooks and their durable outbox: what is registered, and every delivery owed,
//! retried or given up on (kept, listable).

use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::Error;
use super::sql::{SqlStore, args, db, now, time, uuid};

/// A registered webhook (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookRecord {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Where deliveries go.
    pub url: String,
    /// The event it listens to.
    pub trigger: String,
    /// The HTTP method of deliveries.
    pub method: String,
    /// Whether deliveries carry a credential (sealed in the store).
    pub has_secret: bool,
    /// Active (inactive webhooks get no new deliveries).
    pub is_active: bool,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it last changed.
    pub updated: Option<DateTime<Utc>>,
}

/// What [`SqlStore::create_webhook`] registers.
#[derive(Clone, Debug)]
pub struct NewWebhook<'a> {
    /// Name.
    pub name: &'a str,
    /// Description.
    pub description: Option<&'a str>,
    /// Where deliveries go.
    pub url: &'a str,
    /// The event it listens to.
    pub trigger: &'a str,
    /// The HTTP method of deliveries.
    pub method: &'a str,
}

/// A delivery's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeliveryStatus {
    /// Owed: tried when due.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up after the last attempt.
    Failed,
}

impl DeliveryStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, Error> {
        Ok(match text {
            "pending" => Self::Pending,
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            other => {
                return Err(Error::Database(format!(
                    "corrupt delivery status {other:?}"
                )));
            }
        })
    }
}

/// One delivery of one event to one webhook.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// Id (the receiver's idempotence key: `webhook-id`).
    pub id: Uuid,
    /// The webhook.
    pub webhook_id: Uuid,
    /// The event.
    pub event: String,
    /// The JSON body sent.
    #[serde(skip)]
    pub body: String,
    /// Its state.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When it is next tried (pending).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the event fired.
    pub created: DateTime<Utc>,
}

/// A delivery that is due, with where and how to send it.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    /// The delivery.
    pub delivery: Delivery,
    /// The webhook's URL.
    pub url: String,
    /// The webhook's method.
    pub method: String,
    /// The webhook's sealed credential, if any.
    pub secret: Option<Vec<u8>>,
}

/// What an attempt came to.
#[derive(Clone, Debug)]
pub enum Attempt {
    /// Delivered.
    Delivered,
    /// Failed; tried again at `next` (or given up when `next` is `None`).
    Failed {
        /// Why.
        error: String,
        /// When to retry, or `None` to give up.
        next: Option<DateTime<Utc>>,
    },
}

const WEBHOOK_COLUMNS: &str = "id, name, description, url, trigger, method, secret IS NOT NULL, is_active, created_at, updated_at";

fn webhook(row: &sqlx::any::AnyRow) -> Result<WebhookRecord, Error> {
    let flag = |i: usize| -> Result<bool, Error> {
        // `IS NOT NULL` is a boolean on PostgreSQL and an integer on SQLite.
        row.try_get::<bool, _>(i)
            .or_else(|_| row.try_get::<i64, _>(i).map(|n| n != 0))
            .map_err(db)
    };
    Ok(WebhookRecord {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        name: row.try_get(1).map_err(db)?,
        description: row.try_get(2).map_err(db)?,
        url: row.try_get(3).map_err(db)?,
        trigger: row.try_get(4).map_err(db)?,
        method: row.try_get(5).map_err(db)?,
        has_secret: flag(6)?,
        is_active: row.try_get::<i64, _>(7).map_err(db)? != 0,
        created: time(row.try_get(8).map_err(db)?)?,
        updated: row
            .try_get::<Option<i64>, _>(9)
            .map_err(db)?
            .map(time)
            .transpose()?,
    })
}

const DELIVERY_COLUMNS: &str = "d.id, d.webhook_id, d.event, d.body, d.status, d.attempts, \
     d.next_attempt_at, d.last_error, d.created_at";

fn delivery(row: &sqlx::any::AnyRow) -> Result<Delivery, Error> {
    Ok(Delivery {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        webhook_id: uuid(&row.try_get::<String, _>(1).map_err(db)?)?,
        event: row.try_get(2).map_err(db)?,
        body: row.try_get(3).map_err(db)?,
        status: DeliveryStatus::parse(&row.try_get::<String, _>(4).map_err(db)?)?,
        attempts: u32::try_from(row.try_get::<i64, _>(5).map_err(db)?).unwrap_or(u32::MAX),
        next_attempt_at: time(row.try_get(6).map_err(db)?)?,
        last_error: row.try_get(7).map_err(db)?,
        created: time(row.try_get(8).map_err(db)?)?,
    })
}

fn not_found(id: Uuid) -> Error {
    Error::NotFound(format!("webhook {id}"))
}

impl SqlStore {
    /// Registers a webhook with `id`; `secret` is its sealed credential, if any.
    pub async fn create_webhook(
        &self,
        id: Uuid,
        new: &NewWebhook<'_>,
        secret: Option<Vec<u8>>,
    ) -> Result<WebhookRecord, Error> {
        let sql = "INSERT INTO myc_webhooks (id, name, description, url, trigger, method, secret, \
                   is_active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8)";
        bind_secret(
            sqlx::query(sql)
                .bind(id.to_string())
                .bind(new.name)
                .bind(new.description)
                .bind(new.url)
                .bind(new.trigger)
                .bind(new.method),
            secret,
        )
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        self.webhook(id).await
    }

    /// The webhook `id`.
    pub async fn webhook(&self, id: Uuid) -> Result<WebhookRecord, Error> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM myc_webhooks WHERE id = $1");
        let rows = self.fetch(&sql, args![id]).await?;
        rows.first()
            .map(webhook)
            .transpose()?
            .ok_or_else(|| not_found(id))
    }

    /// Every webhook, by name.
    pub async fn webhooks(&self) -> Result<Vec<WebhookRecord>, Error> {
        let sql = format!("SELECT {WEBHOOK_COLUMNS} FROM myc_webhooks ORDER BY name, id");
        self.fetch(&sql, args![])
            .await?
            .iter()
            .map(webhook)
            .collect()
    }

    /// Changes the webhook `id` (what is `None` stays; `secret: Some(None)` removes it).
    pub async fn update_webhook(
        &self,
        id: Uuid,
        name: Option<&str>,
        description: Option<&str>,
        is_active: Option<bool>,
        secret: Option<Option<Vec<u8>>>,
    ) -> Result<WebhookRecord, Error> {
        let sql = "UPDATE myc_webhooks SET name = COALESCE($1, name), \
                   description = COALESCE($2, description), is_active = COALESCE($3, is_active), \
                   updated_at = $4 WHERE id = $5";
        let done = self
            .execute(sql, args![name, description, is_active, now(), id])
            .await?;
        if done == 0 {
            return Err(not_found(id));
        }
        if let Some(secret) = secret {
            let sql = "UPDATE myc_webhooks SET secret = $1 WHERE id = $2";
            bind_secret(sqlx::query(sql), secret)
                .bind(id.to_string())
                .execute(&self.pool)
                .await
                .map_err(db)?;
        }
        self.webhook(id).await
    }

    /// Deletes the webhook `id` with its deliveries.
    pub async fn delete_webhook(&self, id: Uuid) -> Result<(), Error> {
        match self
            .execute("DELETE FROM myc_webhooks WHERE id = $1", args![id])
            .await?
        {
            0 => Err(not_found(id)),
            _ => Ok(()),
        }
    }

    /// Owes every active webhook listening to `event` a delivery of `body` (built per
    /// delivery id); how many.
    pub async fn enqueue_event(
        &self,
        event: &str,
        body: impl Fn(Uuid) -> String,
    ) -> Result<usize, Error> {
        let sql = "SELECT id FROM myc_webhooks WHERE trigger = $1 AND is_active = 1";
        let hooks = self.fetch(sql, args![event]).await?;
        let at = now();
        let mut tx = self.pool.begin().await.map_err(db)?;
        for row in &hooks {
            let hook: String = row.try_get(0).map_err(db)?;
            let id = Uuid::new_v4();
            sqlx::query(
                "INSERT INTO myc_webhook_deliveries (id, webhook_id, event, body, status, \
                 attempts, next_attempt_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $5)",
            )
            .bind(id.to_string())
            .bind(hook)
            .bind(event)
            .bind(body(id))
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(hooks.len())
    }

    /// Claims up to `limit` pending deliveries due at `at`: each is leased until `lease_until`
    /// (another dispatcher skips it meanwhile; if this one dies, it is due again then).
    pub async fn claim_due_deliveries(
        &self,
        at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, Error> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS}, w.url, w.method, w.secret FROM myc_webhook_deliveries d \
             JOIN myc_webhooks w ON w.id = d.webhook_id \
             WHERE d.status = 'pending' AND d.next_attempt_at <= $1 \
             ORDER BY d.next_attempt_at, d.id LIMIT $2"
        );
        let rows = self
            .fetch(&sql, args![at.timestamp(), i64::from(limit)])
            .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let delivery = delivery(row)?;
            // Optimistic lease: only the dispatcher whose update matches the row it read.
            let lease = "UPDATE myc_webhook_deliveries SET next_attempt_at = $1 \
                         WHERE id = $2 AND status = 'pending' AND next_attempt_at = $3";
            let args = args![
                lease_until.timestamp(),
                delivery.id,
                delivery.next_attempt_at.timestamp()
            ];
            if self.execute(lease, args).await? == 1 {
                claimed.push(DueDelivery {
                    delivery,
                    url: row.try_get(9).map_err(db)?,
                    method: row.try_get(10).map_err(db)?,
                    secret: row.try_get(11).map_err(db)?,
                });
            }
        }
        Ok(claimed)
    }

    /// Records an attempt at delivery `id`.
    pub async fn record_attempt(&self, id: Uuid, attempt: &Attempt) -> Result<(), Error> {
        let (status, next, error) = match attempt {
            Attempt::Delivered => (DeliveryStatus::Delivered, now(), None),
            Attempt::Failed {
                error,
                next: Some(at),
            } => (
                DeliveryStatus::Pending,
                at.timestamp(),
                Some(error.as_str()),
            ),
            Attempt::Failed { error, next: None } => {
                (DeliveryStatus::Failed, now(), Some(error.as_str()))
            }
        };
        let sql = "UPDATE myc_webhook_deliveries SET status = $1, attempts = attempts + 1, \
                   next_attempt_at = $2, last_error = COALESCE($3, last_error), updated_at = $4 \
                   WHERE id = $5";
        self.execute(sql, args![status.as_str(), next, error, now(), id])
            .await?;
        Ok(())
    }

    /// Deliveries, newest first, of `webhook` (or all) in `status` (or any); at most `limit`.
    pub async fn deliveries(
        &self,
        webhook: Option<Uuid>,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<Delivery>, Error> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM myc_webhook_deliveries d \
             WHERE ($1 IS NULL OR d.webhook_id = $1) AND ($2 IS NULL OR d.status = $2) \
             ORDER BY d.created_at DESC, d.id LIMIT $3"
        );
        let args = args![
            webhook,
            status.map(DeliveryStatus::as_str),
            i64::from(limit)
        ];
        self.fetch(&sql, args).await?.iter().map(delivery).collect()
    }
}

fn bind_secret<'q>(
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    secret: Option<Vec<u8>>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    query.bind(secret)
}
