//! The store as myc-tower's [`ProfileResolver`] and [`ConnectionStringStore`]: the profile an
//! owner's e-mail resolves to, and whether a presented connection string is still issued.

use myc_profile::{
    LicensedResource, LicensedResources, Owner, Profile, TenantOwnership, TenantsOwnership,
};
use myc_tower::BoxFuture;
use myc_tower::resolver::{
    ConnectionStringStore, IssuedToken, ProfileQuery, ProfileResolver, StoreError,
};
use sqlx::Row;
use uuid::Uuid;

use super::sql::{SqlStore, db, permission, time, uuid};
use super::{Error, normalize_email};

impl SqlStore {
    /// The full profile of the owner with `email`, its licences limited to `tenant` if given.
    pub async fn profile(
        &self,
        email: &str,
        tenant: Option<Uuid>,
    ) -> Result<Option<Profile>, Error> {
        let Ok(email) = normalize_email(email) else {
            return Ok(None);
        };
        let Some(row) = sqlx::query(
            "SELECT a.id, a.is_staff, a.is_manager, a.is_active FROM myc_owners o \
             JOIN myc_accounts a ON a.id = o.account_id WHERE o.email = $1",
        )
        .bind(&email)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        else {
            return Ok(None);
        };
        let account_text: String = row.try_get(0).map_err(db)?;
        let mut profile = Profile::new(uuid(&account_text)?);
        profile.is_staff = row.try_get::<i64, _>(1).map_err(db)? != 0;
        profile.is_manager = row.try_get::<i64, _>(2).map_err(db)? != 0;
        let active = row.try_get::<i64, _>(3).map_err(db)? != 0;
        profile.account_is_active = active;

        for row in sqlx::query(
            "SELECT id, email, first_name, last_name, username, is_principal FROM myc_owners \
             WHERE account_id = $1 ORDER BY is_principal DESC, created_at, id",
        )
        .bind(&account_text)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        {
            profile.owners.push(Owner {
                id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
                email: row.try_get(1).map_err(db)?,
                first_name: row.try_get(2).map_err(db)?,
                last_name: row.try_get(3).map_err(db)?,
                username: row.try_get(4).map_err(db)?,
                is_principal: row.try_get::<i64, _>(5).map_err(db)? != 0,
            });
        }

        // Licences: the accepted guest relations of the account's e-mails, each naming the
        // tenant's subscription account it was guested into (upstream's `accId`/`accName`).
        // A pending invitation grants nothing: it is not in the profile at all, so neither a
        // route's roles nor a downstream check can be satisfied by it.
        const LICENCES: &str = "SELECT s.tenant_id, s.id, s.name, r.id, r.slug, r.permission, \
             g.accepted FROM myc_guest_users g \
             JOIN myc_accounts s ON s.id = g.subscription_id \
             JOIN myc_guest_roles r ON r.id = g.role_id \
             WHERE g.accepted = 1 \
             AND g.email IN (SELECT email FROM myc_owners WHERE account_id = $1)";
        const ORDER: &str = "ORDER BY s.name, s.id, r.slug, r.permission";
        let rows = match tenant {
            Some(tenant) => {
                sqlx::query(&format!("{LICENCES} AND s.tenant_id = $2 {ORDER}"))
                    .bind(&account_text)
                    .bind(tenant.to_string())
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                sqlx::query(&format!("{LICENCES} {ORDER}"))
                    .bind(&account_text)
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(db)?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            records.push(LicensedResource {
                tenant_id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
                acc_id: uuid(&row.try_get::<String, _>(1).map_err(db)?)?,
                acc_name: row.try_get(2).map_err(db)?,
                sys_acc: false,
                role_id: uuid(&row.try_get::<String, _>(3).map_err(db)?)?,
                role: row.try_get(4).map_err(db)?,
                perm: permission(row.try_get(5).map_err(db)?)?,
                verified: row.try_get::<i64, _>(6).map_err(db)? != 0,
                permit_flags: None,
                deny_flags: None,
            });
        }
        if !records.is_empty() {
            profile.licensed_resources = Some(LicensedResources::Records(records));
        }

        let mut owned = Vec::new();
        for row in sqlx::query(
            "SELECT t.id, t.name, MIN(w.since) FROM myc_tenant_owners w \
             JOIN myc_tenants t ON t.id = w.tenant_id \
             JOIN myc_owners o ON o.id = w.owner_id WHERE o.account_id = $1 \
             GROUP BY t.id, t.name ORDER BY t.name",
        )
        .bind(&account_text)
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        {
            owned.push(TenantOwnership {
                id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
                name: row.try_get(1).map_err(db)?,
                since: time(row.try_get(2).map_err(db)?)?.fixed_offset(),
            });
        }
        if !owned.is_empty() {
            profile.tenants_ownership = Some(TenantsOwnership::Records(owned));
        }
        Ok(Some(profile))
    }
}

impl ProfileResolver for SqlStore {
    fn resolve<'a>(
        &'a self,
        query: ProfileQuery<'a>,
    ) -> BoxFuture<'a, Result<Option<Profile>, StoreError>> {
        Box::pin(async move {
            // The profile comes back whatever the account's state: the layer refuses an
            // inactive one on every route (and knows it exists).
            self.profile(query.email, query.tenant)
                .await
                .map_err(StoreError::from)
        })
    }
}

impl ConnectionStringStore for SqlStore {
    fn lookup<'a>(
        &'a self,
        account_id: Uuid,
        token_hash: [u8; 32],
    ) -> BoxFuture<'a, Result<Option<IssuedToken>, StoreError>> {
        Box::pin(async move {
            let row = sqlx::query(
                "SELECT o.email, c.expires_at, a.is_active FROM myc_connection_strings c \
                 JOIN myc_accounts a ON a.id = c.account_id \
                 JOIN myc_owners o ON o.account_id = c.account_id AND o.is_principal = 1 \
                 WHERE c.account_id = $1 AND c.token_hash = $2 AND c.revoked_at IS NULL \
                 ORDER BY o.created_at LIMIT 1",
            )
            .bind(account_id.to_string())
            .bind(token_hash.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| StoreError::from(db(e)))?;
            let Some(row) = row else { return Ok(None) };
            let email: String = row.try_get(0).map_err(|e| StoreError::from(db(e)))?;
            let expires_at = row
                .try_get::<Option<i64>, _>(1)
                .map_err(|e| StoreError::from(db(e)))?
                .map(time)
                .transpose()
                .map_err(StoreError::from)?;
            let account_active = row
                .try_get::<i64, _>(2)
                .map_err(|e| StoreError::from(db(e)))?
                != 0;
            Ok(Some(IssuedToken {
                email,
                expires_at,
                account_active,
            }))
        })
    }
}
