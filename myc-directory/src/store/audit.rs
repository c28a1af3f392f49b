//! Audit events: who changed what, in which tenant or account, and when. One is recorded for
//! every mutation of the admin API; details never hold secrets (no tokens, no keys).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;
use uuid::Uuid;

use super::Error;
use super::sql::{SqlStore, db, now, time, uuid};

/// One audit event.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// Id.
    pub id: Uuid,
    /// When.
    pub at: DateTime<Utc>,
    /// The acting account, if known.
    pub actor_account: Option<Uuid>,
    /// The acting owner's e-mail, if known.
    pub actor_email: Option<String>,
    /// What happened (the method name, e.g. `managers.tenants.create`).
    pub action: String,
    /// The tenant concerned.
    pub tenant_id: Option<Uuid>,
    /// The account concerned.
    pub account_id: Option<Uuid>,
    /// What else identifies the change (names, roles, e-mails; never secrets).
    pub detail: serde_json::Value,
}

/// An event to record.
#[derive(Clone, Debug)]
pub struct NewAuditEvent<'a> {
    /// The acting account.
    pub actor_account: Option<Uuid>,
    /// The acting owner's e-mail.
    pub actor_email: Option<&'a str>,
    /// What happened.
    pub action: &'a str,
    /// The tenant concerned.
    pub tenant_id: Option<Uuid>,
    /// The account concerned.
    pub account_id: Option<Uuid>,
    /// Identifying details.
    pub detail: serde_json::Value,
}

fn opt_uuid(text: Option<String>) -> Result<Option<Uuid>, Error> {
    text.as_deref().map(uuid).transpose()
}

fn event(row: &sqlx::any::AnyRow) -> Result<AuditEvent, Error> {
    Ok(AuditEvent {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        at: time(row.try_get(1).map_err(db)?)?,
        actor_account: opt_uuid(row.try_get(2).map_err(db)?)?,
        actor_email: row.try_get(3).map_err(db)?,
        action: row.try_get(4).map_err(db)?,
        tenant_id: opt_uuid(row.try_get(5).map_err(db)?)?,
        account_id: opt_uuid(row.try_get(6).map_err(db)?)?,
        detail: serde_json::from_str(&row.try_get::<String, _>(7).map_err(db)?)
            .unwrap_or(serde_json::Value::Null),
    })
}

impl SqlStore {
    /// Records an event.
    pub async fn record_audit(&self, event: NewAuditEvent<'_>) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO myc_audit (id, at, actor_account, actor_email, action, tenant_id, \
             account_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(now())
        .bind(event.actor_account.map(|id| id.to_string()))
        .bind(event.actor_email)
        .bind(event.action)
        .bind(event.tenant_id.map(|id| id.to_string()))
        .bind(event.account_id.map(|id| id.to_string()))
        .bind(event.detail.to_string())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    /// How many audit events the store holds.
    pub async fn audit_count(&self) -> Result<u64, Error> {
        let rows = self
            .fetch("SELECT COUNT(*) FROM myc_audit", super::sql::args![])
            .await?;
        let count: i64 = rows
            .first()
            .map(|r| sqlx::Row::try_get(r, 0).map_err(super::sql::db))
            .transpose()?
            .unwrap_or(0);
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The newest `limit` events (of `tenant` if given), newest first.
    pub async fn audit_events(
        &self,
        tenant: Option<Uuid>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, Error> {
        const SELECT: &str = "SELECT id, at, actor_account, actor_email, action, tenant_id, \
             account_id, detail FROM myc_audit";
        let rows = match tenant {
            Some(tenant) => {
                sqlx::query(&format!(
                    "{SELECT} WHERE tenant_id = $1 ORDER BY at DESC, id LIMIT $2"
                ))
                .bind(tenant.to_string())
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await
            }
            None => {
                sqlx::query(&format!("{SELECT} ORDER BY at DESC, id LIMIT $1"))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(db)?;
        rows.iter().map(event).collect()
    }

    /// The events concerning `resource` (as tenant or as account), newest first.
    pub async fn audit_trail(&self, resource: Uuid, limit: u32) -> Result<Vec<AuditEvent>, Error> {
        let rows = sqlx::query(
            "SELECT id, at, actor_account, actor_email, action, tenant_id, account_id, detail \
             FROM myc_audit WHERE tenant_id = $1 OR account_id = $1 ORDER BY at DESC, id LIMIT $2",
        )
        .bind(resource.to_string())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(db)?;
        rows.iter().map(event).collect()
    }

    /// Sets a tenant's description.
    pub async fn describe_tenant(&self, tenant: Uuid, description: &str) -> Result<(), Error> {
        sqlx::query("UPDATE myc_tenants SET description = $1 WHERE id = $2")
            .bind(description)
            .bind(tenant.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    /// The e-mail of the owner with `id` (profiles list owners by id).
    pub async fn owner_email(&self, id: Uuid) -> Result<Option<String>, Error> {
        sqlx::query_scalar("SELECT email FROM myc_owners WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }
}
