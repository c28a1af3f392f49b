//! Tenant administration: details, name and description, status flags, metadata, owners,
//! tags and deletion (upstream's `tenantOwner.*`, `tenantManager.*` and `managers.tenants.*`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;

use super::sql::{SqlStore, args, db, now, time, uuid};
use super::{Error, normalize_email};

/// A tenant's status flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TenantFlag {
    /// Archived.
    Archived,
    /// Trashed (bound for deletion).
    Trashed,
    /// Verified.
    Verified,
}

impl TenantFlag {
    fn column(self) -> &'static str {
        match self {
            Self::Archived => "is_archived",
            Self::Trashed => "is_trashed",
            Self::Verified => "is_verified",
        }
    }
}

/// An owner of a tenant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantOwnerRecord {
    /// The owner id (as profiles list owners).
    pub id: Uuid,
    /// The owner's e-mail.
    pub email: String,
    /// Since when.
    pub since: DateTime<Utc>,
}

/// A tag on a tenant or one of its accounts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tag {
    /// Id.
    pub id: Uuid,
    /// Value.
    pub value: String,
    /// Metadata.
    pub meta: BTreeMap<String, String>,
}

/// Everything about a tenant.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TenantDetails {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Archived.
    pub is_archived: bool,
    /// Trashed.
    pub is_trashed: bool,
    /// Verified.
    pub is_verified: bool,
    /// Owners.
    pub owners: Vec<TenantOwnerRecord>,
    /// Metadata.
    pub meta: BTreeMap<String, String>,
    /// Tags of the tenant itself.
    pub tags: Vec<Tag>,
}

pub(super) fn tag(row: &sqlx::any::AnyRow) -> Result<Tag, Error> {
    let meta: Option<String> = row.try_get(2).map_err(db)?;
    Ok(Tag {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        value: row.try_get(1).map_err(db)?,
        meta: match meta {
            Some(text) => serde_json::from_str(&text)
                .map_err(|_| Error::Database("corrupt tag metadata".into()))?,
            None => BTreeMap::new(),
        },
    })
}

fn not_found(tenant: Uuid) -> Error {
    Error::NotFound(format!("tenant {tenant}"))
}

impl SqlStore {
    /// Everything about `tenant`.
    pub async fn tenant_details(&self, tenant: Uuid) -> Result<TenantDetails, Error> {
        let rows = self
            .fetch(
                "SELECT name, description, created_at, is_archived, is_trashed, is_verified \
                 FROM myc_tenants WHERE id = $1",
                args![tenant],
            )
            .await?;
        let row = rows.first().ok_or_else(|| not_found(tenant))?;
        let int = |i: usize| row.try_get::<i64, _>(i).map_err(db);
        let owners = self
            .fetch(
                "SELECT o.id, o.email, w.since FROM myc_tenant_owners w \
                 JOIN myc_owners o ON o.id = w.owner_id WHERE w.tenant_id = $1 ORDER BY w.since, o.email",
                args![tenant],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(TenantOwnerRecord {
                    id: uuid(&r.try_get::<String, _>(0).map_err(db)?)?,
                    email: r.try_get(1).map_err(db)?,
                    since: time(r.try_get(2).map_err(db)?)?,
                })
            })
            .collect::<Result<_, Error>>()?;
        let meta = self
            .fetch(
                "SELECT key, value FROM myc_tenant_meta WHERE tenant_id = $1",
                args![tenant],
            )
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)))
            .collect::<Result<_, Error>>()?;
        Ok(TenantDetails {
            id: tenant,
            name: row.try_get(0).map_err(db)?,
            description: row.try_get(1).map_err(db)?,
            created: time(int(2)?)?,
            is_archived: int(3)? != 0,
            is_trashed: int(4)? != 0,
            is_verified: int(5)? != 0,
            owners,
            meta,
            tags: self.tags(tenant, None).await?,
        })
    }

    async fn touch_tenant(
        &self,
        sql: &str,
        args: Vec<super::sql::Arg>,
        tenant: Uuid,
    ) -> Result<(), Error> {
        match self.execute(sql, args).await? {
            0 => Err(not_found(tenant)),
            _ => Ok(()),
        }
    }

    /// Renames and/or redescribes `tenant` (what is `None` stays).
    pub async fn update_tenant(
        &self,
        tenant: Uuid,
        name: Option<&str>,
        description: Option<&str>,
    ) -> Result<(), Error> {
        if let Some(name) = name {
            let name = name.trim();
            if name.is_empty() {
                return Err(Error::Invalid("a tenant needs a name".into()));
            }
            let sql = "UPDATE myc_tenants SET name = $1 WHERE id = $2";
            self.execute(sql, args![name, tenant])
                .await
                .map_err(|e| match e {
                    Error::Conflict(_) => Error::Conflict(format!("tenant {name}")),
                    other => other,
                })?;
        }
        let sql = "UPDATE myc_tenants SET description = COALESCE($1, description) WHERE id = $2";
        self.touch_tenant(sql, args![description, tenant], tenant)
            .await
    }

    /// Sets one of `tenant`'s status flags.
    pub async fn set_tenant_flag(
        &self,
        tenant: Uuid,
        flag: TenantFlag,
        on: bool,
    ) -> Result<(), Error> {
        let sql = format!(
            "UPDATE myc_tenants SET {} = $1 WHERE id = $2",
            flag.column()
        );
        self.touch_tenant(&sql, args![on, tenant], tenant).await
    }

    /// Sets `key` of `tenant`'s metadata to `value`, replacing a value it had unless
    /// `insert_only` ([`Error::Conflict`] then).
    pub async fn put_tenant_meta(
        &self,
        tenant: Uuid,
        key: &str,
        value: &str,
        insert_only: bool,
    ) -> Result<(), Error> {
        meta_key(key)?;
        if self.tenant_details_exists(tenant).await? {
            let sql = if insert_only {
                "INSERT INTO myc_tenant_meta (tenant_id, key, value) VALUES ($1, $2, $3)"
            } else {
                "INSERT INTO myc_tenant_meta (tenant_id, key, value) VALUES ($1, $2, $3) \
                 ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value"
            };
            self.execute(sql, args![tenant, key, value])
                .await
                .map_err(|e| match e {
                    Error::Conflict(_) => Error::Conflict(format!("metadata {key}")),
                    other => other,
                })?;
            Ok(())
        } else {
            Err(not_found(tenant))
        }
    }

    /// Removes `key` from `tenant`'s metadata; `false` when it had none.
    pub async fn delete_tenant_meta(&self, tenant: Uuid, key: &str) -> Result<bool, Error> {
        let sql = "DELETE FROM myc_tenant_meta WHERE tenant_id = $1 AND key = $2";
        Ok(self.execute(sql, args![tenant, key]).await? > 0)
    }

    async fn tenant_details_exists(&self, tenant: Uuid) -> Result<bool, Error> {
        let rows = self
            .fetch("SELECT 1 FROM myc_tenants WHERE id = $1", args![tenant])
            .await?;
        Ok(!rows.is_empty())
    }

    /// Makes the owner `owner` (an owner id) an owner of `tenant`; `false` when it was.
    pub async fn include_tenant_owner(&self, tenant: Uuid, owner: Uuid) -> Result<bool, Error> {
        if !self.tenant_details_exists(tenant).await? {
            return Err(not_found(tenant));
        }
        let sql = "INSERT INTO myc_tenant_owners (tenant_id, owner_id, since) \
                   SELECT $1, id, $3 FROM myc_owners WHERE id = $2 \
                   ON CONFLICT (tenant_id, owner_id) DO NOTHING";
        let done = self.execute(sql, args![tenant, owner, now()]).await?;
        if done == 0
            && self
                .fetch("SELECT 1 FROM myc_owners WHERE id = $1", args![owner])
                .await?
                .is_empty()
        {
            return Err(Error::NotFound(format!("owner {owner}")));
        }
        Ok(done > 0)
    }

    /// Removes the owner `owner` from `tenant`'s owners; `false` when it was not one.
    pub async fn exclude_tenant_owner(&self, tenant: Uuid, owner: Uuid) -> Result<bool, Error> {
        let sql = "DELETE FROM myc_tenant_owners WHERE tenant_id = $1 AND owner_id = $2";
        Ok(self.execute(sql, args![tenant, owner]).await? > 0)
    }

    /// The owner id of the account owner with `email`, if any.
    pub async fn owner_id(&self, email: &str) -> Result<Option<Uuid>, Error> {
        let email = normalize_email(email)?;
        let rows = self
            .fetch("SELECT id FROM myc_owners WHERE email = $1", args![email])
            .await?;
        rows.first()
            .map(|r| uuid(&r.try_get::<String, _>(0).map_err(db)?))
            .transpose()
    }

    /// Deletes `tenant` with its accounts (subscription, manager and role accounts), their
    /// guests, its owners' ownership, metadata and tags.
    pub async fn delete_tenant(&self, tenant: Uuid) -> Result<(), Error> {
        let mut tx = self.pool.begin().await.map_err(db)?;
        sqlx::query("DELETE FROM myc_accounts WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        let done = sqlx::query("DELETE FROM myc_tenants WHERE id = $1")
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if done == 0 {
            return Err(not_found(tenant));
        }
        tx.commit().await.map_err(db)
    }

    /// The tags of `tenant` (`account`: `None`) or of one of its accounts.
    pub async fn tags(&self, tenant: Uuid, account: Option<Uuid>) -> Result<Vec<Tag>, Error> {
        let sql = "SELECT id, value, meta FROM myc_tags WHERE tenant_id = $1 \
                   AND (account_id = $2 OR ($2 IS NULL AND account_id IS NULL)) ORDER BY created_at, id";
        self.fetch(sql, args![tenant, account])
            .await?
            .iter()
            .map(tag)
            .collect()
    }

    /// Tags `tenant` (or one of its accounts) with `value`.
    pub async fn create_tag(
        &self,
        tenant: Uuid,
        account: Option<Uuid>,
        value: &str,
        meta: &BTreeMap<String, String>,
    ) -> Result<Tag, Error> {
        let value = value.trim();
        if value.is_empty() {
            return Err(Error::Invalid("a tag needs a value".into()));
        }
        let id = Uuid::new_v4();
        let meta_text = serde_json::to_string(meta).map_err(|e| Error::Invalid(e.to_string()))?;
        let sql = "INSERT INTO myc_tags (id, tenant_id, account_id, value, meta, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        self.execute(sql, args![id, tenant, account, value, meta_text, now()])
            .await
            .map_err(|e| match e {
                Error::NotFound(_) => Error::NotFound("tenant or account".into()),
                other => other,
            })?;
        Ok(Tag {
            id,
            value: value.to_owned(),
            meta: meta.clone(),
        })
    }

    /// Changes tag `id` of `tenant` (and `account`, when the tag is an account's).
    pub async fn update_tag(
        &self,
        tenant: Uuid,
        account: Option<Uuid>,
        id: Uuid,
        value: &str,
        meta: &BTreeMap<String, String>,
    ) -> Result<(), Error> {
        let meta_text = serde_json::to_string(meta).map_err(|e| Error::Invalid(e.to_string()))?;
        let sql = "UPDATE myc_tags SET value = $1, meta = $2 WHERE id = $3 AND tenant_id = $4 \
                   AND (account_id = $5 OR ($5 IS NULL AND account_id IS NULL))";
        match self
            .execute(sql, args![value.trim(), meta_text, id, tenant, account])
            .await?
        {
            0 => Err(Error::NotFound(format!("tag {id}"))),
            _ => Ok(()),
        }
    }

    /// Deletes tag `id` of `tenant` (and `account`).
    pub async fn delete_tag(
        &self,
        tenant: Uuid,
        account: Option<Uuid>,
        id: Uuid,
    ) -> Result<(), Error> {
        let sql = "DELETE FROM myc_tags WHERE id = $1 AND tenant_id = $2 \
                   AND (account_id = $3 OR ($3 IS NULL AND account_id IS NULL))";
        match self.execute(sql, args![id, tenant, account]).await? {
            0 => Err(Error::NotFound(format!("tag {id}"))),
            _ => Ok(()),
        }
    }
}

/// A metadata key: 1–64 characters of letters, digits, `_`, `-`, `.` and `:`.
pub(super) fn meta_key(key: &str) -> Result<(), Error> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.:".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "metadata key {:?}: 1-64 of letters, digits, _ - . :",
            key.chars().take(64).collect::<String>()
        )))
    }
}
