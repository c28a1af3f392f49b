//! Subscription accounts and guest relations: how a user joins a tenant in upstream's model.
//! A tenant's subscription account is the anchor of its permissions; a user's e-mail is
//! guested into it with a role, as a pending invitation until accepted.

use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::sql::{SqlStore, args, db, now, time, uuid};
use super::{Error, Store, normalize_email};

/// A tenant-scoped subscription account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionAccount {
    /// Id (what licences name as `accId`).
    pub id: Uuid,
    /// Its tenant.
    pub tenant_id: Uuid,
    /// Name (`accName`).
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A guest relation: an e-mail holds a role in a subscription account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GuestUser {
    /// The subscription account.
    pub subscription_id: Uuid,
    /// The guest role.
    pub role_id: Uuid,
    /// The guest's e-mail (canonical).
    pub email: String,
    /// Whether the invitation was accepted.
    pub accepted: bool,
}

fn subscription(row: &sqlx::any::AnyRow) -> Result<SubscriptionAccount, Error> {
    Ok(SubscriptionAccount {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        tenant_id: uuid(&row.try_get::<String, _>(1).map_err(db)?)?,
        name: row.try_get(2).map_err(db)?,
        created_at: time(row.try_get(3).map_err(db)?)?,
    })
}

const SUBSCRIPTIONS: &str = "SELECT id, tenant_id, name, created_at FROM myc_accounts \
     WHERE account_type = 'subscription' AND tenant_id = $1";

impl SqlStore {
    /// Creates a subscription account of `tenant`.
    pub async fn create_subscription_account(
        &self,
        tenant: Uuid,
        name: &str,
    ) -> Result<SubscriptionAccount, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("a subscription account needs a name".into()));
        }
        if self.tenant(tenant).await?.is_none() {
            return Err(Error::NotFound(format!("tenant {tenant}")));
        }
        let id = Uuid::new_v4();
        let created = now();
        sqlx::query(
            "INSERT INTO myc_accounts (id, name, is_staff, is_manager, is_active, created_at, \
             account_type, tenant_id) VALUES ($1, $2, 0, 0, 1, $3, 'subscription', $4)",
        )
        .bind(id.to_string())
        .bind(name)
        .bind(created)
        .bind(tenant.to_string())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(SubscriptionAccount {
            id,
            tenant_id: tenant,
            name: name.to_owned(),
            created_at: time(created)?,
        })
    }

    /// The subscription accounts of `tenant`, oldest first.
    pub async fn subscription_accounts(
        &self,
        tenant: Uuid,
    ) -> Result<Vec<SubscriptionAccount>, Error> {
        sqlx::query(&format!("{SUBSCRIPTIONS} ORDER BY created_at, id"))
            .bind(tenant.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(subscription)
            .collect()
    }

    /// The tenant's default subscription account: its oldest, created (named after the tenant)
    /// when it has none.
    pub(super) async fn default_subscription(&self, tenant: Uuid) -> Result<Uuid, Error> {
        if let Some(first) = self.subscription_accounts(tenant).await?.first() {
            return Ok(first.id);
        }
        let name = self
            .tenant(tenant)
            .await?
            .ok_or_else(|| Error::NotFound(format!("tenant {tenant}")))?
            .name;
        Ok(self.create_subscription_account(tenant, &name).await?.id)
    }

    /// Invites `email` into `subscription` with `role` (pending until accepted); `false` when
    /// the invitation exists already.
    pub async fn invite_guest(
        &self,
        subscription: Uuid,
        email: &str,
        role: Uuid,
    ) -> Result<bool, Error> {
        let email = normalize_email(email)?;
        let inserted = sqlx::query(
            "INSERT INTO myc_guest_users (subscription_id, role_id, email, accepted, created_at) \
             SELECT $1, $2, $3, 0, $4 WHERE EXISTS (SELECT 1 FROM myc_accounts WHERE id = $1 \
             AND account_type IN ('subscription', 'roleAssociated', 'tenantManager')) AND EXISTS (SELECT 1 FROM myc_guest_roles \
             WHERE id = $2) ON CONFLICT DO NOTHING",
        )
        .bind(subscription.to_string())
        .bind(role.to_string())
        .bind(&email)
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        if inserted == 1 {
            return Ok(true);
        }
        match self.guest(subscription, &email, role).await? {
            Some(_) => Ok(false),
            None => Err(Error::NotFound(format!(
                "subscription account {subscription} or guest role {role}"
            ))),
        }
    }

    /// Accepts the invitation of `email` into `subscription` with `role`; `false` when there is
    /// none.
    pub async fn accept_invitation(
        &self,
        subscription: Uuid,
        email: &str,
        role: Uuid,
    ) -> Result<bool, Error> {
        let email = normalize_email(email)?;
        let done = sqlx::query(
            "UPDATE myc_guest_users SET accepted = 1 WHERE subscription_id = $1 AND role_id = $2 \
             AND email = $3",
        )
        .bind(subscription.to_string())
        .bind(role.to_string())
        .bind(&email)
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(done == 1)
    }

    /// Removes the guest relation (invitation or accepted); `false` when there is none.
    pub async fn revoke_guest(
        &self,
        subscription: Uuid,
        email: &str,
        role: Uuid,
    ) -> Result<bool, Error> {
        let email = normalize_email(email)?;
        let done = sqlx::query(
            "DELETE FROM myc_guest_users WHERE subscription_id = $1 AND role_id = $2 AND email = $3",
        )
        .bind(subscription.to_string())
        .bind(role.to_string())
        .bind(&email)
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(done == 1)
    }

    /// The guest relation, if any.
    pub async fn guest(
        &self,
        subscription: Uuid,
        email: &str,
        role: Uuid,
    ) -> Result<Option<GuestUser>, Error> {
        let email = normalize_email(email)?;
        let row = sqlx::query(
            "SELECT accepted FROM myc_guest_users WHERE subscription_id = $1 AND role_id = $2 \
             AND email = $3",
        )
        .bind(subscription.to_string())
        .bind(role.to_string())
        .bind(&email)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(match row {
            None => None,
            Some(row) => Some(GuestUser {
                subscription_id: subscription,
                role_id: role,
                email,
                accepted: row.try_get::<i64, _>(0).map_err(db)? != 0,
            }),
        })
    }

    /// The guests of `account` (invitations and accepted), by e-mail, with how many in all.
    pub async fn account_guests(
        &self,
        account: Uuid,
        skip: u32,
        size: u32,
    ) -> Result<(u64, Vec<GuestUser>), Error> {
        let count: i64 = self
            .fetch(
                "SELECT COUNT(*) FROM myc_guest_users WHERE subscription_id = $1",
                args![account],
            )
            .await?
            .first()
            .map(|r| r.try_get(0).map_err(db))
            .transpose()?
            .unwrap_or(0);
        let sql = "SELECT subscription_id, role_id, email, accepted FROM myc_guest_users \
                   WHERE subscription_id = $1 ORDER BY email, role_id LIMIT $2 OFFSET $3";
        let guests = self
            .fetch(sql, args![account, i64::from(size), i64::from(skip)])
            .await?
            .iter()
            .map(guest_row)
            .collect::<Result<_, _>>()?;
        Ok((u64::try_from(count).unwrap_or(0), guests))
    }

    /// The guest relations of `email` in `tenant`'s accounts.
    pub async fn guest_relations_of(
        &self,
        tenant: Uuid,
        email: &str,
    ) -> Result<Vec<GuestUser>, Error> {
        let email = normalize_email(email)?;
        let sql = "SELECT g.subscription_id, g.role_id, g.email, g.accepted FROM myc_guest_users g \
                   JOIN myc_accounts s ON s.id = g.subscription_id \
                   WHERE s.tenant_id = $1 AND g.email = $2 ORDER BY s.name, g.role_id";
        self.fetch(sql, args![tenant, email])
            .await?
            .iter()
            .map(guest_row)
            .collect()
    }

    /// Sets the permit and deny flags of every guest of `account` with `role`; how many.
    pub async fn set_guest_flags(
        &self,
        account: Uuid,
        role: Uuid,
        permit: &[String],
        deny: &[String],
    ) -> Result<u64, Error> {
        let text = |f: &[String]| {
            (!f.is_empty()).then(|| serde_json::to_string(f).unwrap_or_else(|_| "[]".into()))
        };
        let sql = "UPDATE myc_guest_users SET permit_flags = $1, deny_flags = $2 \
                   WHERE subscription_id = $3 AND role_id = $4";
        self.execute(sql, args![text(permit), text(deny), account, role])
            .await
    }
}

fn guest_row(row: &sqlx::any::AnyRow) -> Result<GuestUser, Error> {
    Ok(GuestUser {
        subscription_id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        role_id: uuid(&row.try_get::<String, _>(1).map_err(db)?)?,
        email: row.try_get(2).map_err(db)?,
        accepted: row.try_get::<i64, _>(3).map_err(db)? != 0,
    })
}
