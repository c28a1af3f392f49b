//! Typed accounts as administrators see them: tenant-scoped accounts (subscription, tenant
//! manager, role-associated), system accounts, flags, privileges, metadata and deletion.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sqlx::Row;
use uuid::Uuid;

use super::Error;
use super::sql::{Arg, SqlStore, args, db, now, time, uuid};
use super::tenants::{Tag, meta_key};

/// Upstream's system actors an `actorAssociated` account can stand for.
pub const SYSTEM_ACTORS: &[&str] = &["gatewayManager", "guestsManager", "systemManager"];

/// What kind of tenant account to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantAccountKind {
    /// A subscription account (what guests are invited into).
    Subscription,
    /// The tenant's management account (upstream's `tenantManager`).
    TenantManager,
    /// An account tied to a role (upstream's `roleAssociated`).
    RoleAssociated {
        /// The role's slug.
        role_name: String,
        /// The role with read permission.
        read_role_id: Uuid,
        /// The role with write permission.
        write_role_id: Uuid,
    },
}

/// An account as administrators list it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountRecord {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Upstream's account type (`"user"`, `{"subscription": {"tenantId": …}}`, …).
    pub account_type: Value,
    /// The tenant of a tenant-scoped account.
    pub tenant_id: Option<Uuid>,
    /// Active.
    pub is_active: bool,
    /// Checked (approved).
    pub is_checked: bool,
    /// Archived.
    pub is_archived: bool,
    /// Deleted.
    pub is_deleted: bool,
    /// When it was created.
    pub created: DateTime<Utc>,
}

/// An account with its tags and metadata.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDetails {
    /// The account.
    #[serde(flatten)]
    pub account: AccountRecord,
    /// Its owners' e-mails.
    pub owners: Vec<String>,
    /// Its tags.
    pub tags: Vec<Tag>,
    /// Its metadata.
    pub meta: BTreeMap<String, String>,
}

/// Which accounts [`SqlStore::list_accounts`] answers.
#[derive(Clone, Debug, Default)]
pub struct AccountFilter {
    /// Only accounts of this tenant.
    pub tenant: Option<Uuid>,
    /// Only names containing this (case-insensitive).
    pub term: Option<String>,
    /// Only this account type (`user`, `staff`, `manager`, `subscription`, `tenantManager`,
    /// `roleAssociated`, `actorAssociated`).
    pub account_type: Option<String>,
    /// Only accounts tagged with this value.
    pub tag_value: Option<String>,
    /// How many to skip.
    pub skip: u32,
    /// At most this many.
    pub size: u32,
}

const COLUMNS: &str = "a.id, a.name, a.account_type, a.tenant_id, a.role_name, a.read_role_id, \
     a.write_role_id, a.actor, a.is_active, a.is_checked, a.is_archived, a.is_deleted, a.created_at";

fn account_type(row: &sqlx::any::AnyRow) -> Result<Value, Error> {
    let text = |i: usize| row.try_get::<Option<String>, _>(i).map_err(db);
    let kind: String = row.try_get(2).map_err(db)?;
    Ok(match kind.as_str() {
        "subscription" | "tenantManager" => json!({ kind.clone(): { "tenantId": text(3)? } }),
        "roleAssociated" => json!({ "roleAssociated": {
            "tenantId": text(3)?, "roleName": text(4)?,
            "readRoleId": text(5)?, "writeRoleId": text(6)?,
        }}),
        "actorAssociated" => json!({ "actorAssociated": { "actor": text(7)? } }),
        _ => Value::String(kind),
    })
}

fn record(row: &sqlx::any::AnyRow) -> Result<AccountRecord, Error> {
    let flag = |i: usize| Ok::<_, Error>(row.try_get::<i64, _>(i).map_err(db)? != 0);
    Ok(AccountRecord {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        name: row.try_get(1).map_err(db)?,
        account_type: account_type(row)?,
        tenant_id: row
            .try_get::<Option<String>, _>(3)
            .map_err(db)?
            .map(|t| uuid(&t))
            .transpose()?,
        is_active: flag(8)?,
        is_checked: flag(9)?,
        is_archived: flag(10)?,
        is_deleted: flag(11)?,
        created: time(row.try_get(12).map_err(db)?)?,
    })
}

fn not_found(id: Uuid) -> Error {
    Error::NotFound(format!("account {id}"))
}

impl SqlStore {
    /// Creates an account of `kind` in `tenant`.
    pub async fn create_tenant_account(
        &self,
        tenant: Uuid,
        name: &str,
        kind: &TenantAccountKind,
    ) -> Result<AccountRecord, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("an account needs a name".into()));
        }
        let exists = self.fetch("SELECT 1 FROM myc_tenants WHERE id = $1", args![tenant]);
        if exists.await?.is_empty() {
            return Err(Error::NotFound(format!("tenant {tenant}")));
        }
        let (kind_name, role, read, write) = match kind {
            TenantAccountKind::Subscription => ("subscription", None, None, None),
            TenantAccountKind::TenantManager => ("tenantManager", None, None, None),
            TenantAccountKind::RoleAssociated {
                role_name,
                read_role_id,
                write_role_id,
            } => (
                "roleAssociated",
                Some(role_name.clone()),
                Some(*read_role_id),
                Some(*write_role_id),
            ),
        };
        let id = Uuid::new_v4();
        let sql = "INSERT INTO myc_accounts (id, name, is_staff, is_manager, is_active, created_at, \
                   account_type, tenant_id, role_name, read_role_id, write_role_id) \
                   VALUES ($1, $2, 0, 0, 1, $3, $4, $5, $6, $7, $8)";
        self.execute(
            sql,
            args![id, name, now(), kind_name, tenant, role, read, write],
        )
        .await?;
        self.account_record(id).await
    }

    /// Creates a system account standing for `actor` (one of [`SYSTEM_ACTORS`]).
    pub async fn create_system_account(
        &self,
        name: &str,
        actor: &str,
    ) -> Result<AccountRecord, Error> {
        if !SYSTEM_ACTORS.contains(&actor) {
            return Err(Error::Invalid(format!(
                "actor must be one of {}",
                SYSTEM_ACTORS.join(", ")
            )));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("an account needs a name".into()));
        }
        let id = Uuid::new_v4();
        let sql = "INSERT INTO myc_accounts (id, name, is_staff, is_manager, is_active, created_at, \
                   account_type, actor) VALUES ($1, $2, 0, 0, 1, $3, 'actorAssociated', $4)";
        self.execute(sql, args![id, name, now(), actor]).await?;
        self.account_record(id).await
    }

    /// The account `id`.
    pub async fn account_record(&self, id: Uuid) -> Result<AccountRecord, Error> {
        let sql = format!("SELECT {COLUMNS} FROM myc_accounts a WHERE a.id = $1");
        let rows = self.fetch(&sql, args![id]).await?;
        rows.first()
            .map(record)
            .transpose()?
            .ok_or_else(|| not_found(id))
    }

    /// The account `id` with its owners, tags and metadata.
    pub async fn account_details(&self, id: Uuid) -> Result<AccountDetails, Error> {
        let account = self.account_record(id).await?;
        let owners = self
            .fetch(
                "SELECT email FROM myc_owners WHERE account_id = $1 ORDER BY is_principal DESC, email",
                args![id],
            )
            .await?
            .iter()
            .map(|r| r.try_get(0).map_err(db))
            .collect::<Result<_, _>>()?;
        let tags = match account.tenant_id {
            Some(tenant) => self.tags(tenant, Some(id)).await?,
            None => Vec::new(),
        };
        let meta = self
            .fetch(
                "SELECT key, value FROM myc_account_meta WHERE account_id = $1",
                args![id],
            )
            .await?
            .iter()
            .map(|r| Ok((r.try_get(0).map_err(db)?, r.try_get(1).map_err(db)?)))
            .collect::<Result<_, Error>>()?;
        Ok(AccountDetails {
            account,
            owners,
            tags,
            meta,
        })
    }

    /// Accounts matching `filter`, newest last, with how many match in all.
    pub async fn list_accounts(
        &self,
        filter: &AccountFilter,
    ) -> Result<(u64, Vec<AccountRecord>), Error> {
        let conditions = "($1 IS NULL OR a.tenant_id = $1) \
             AND ($2 IS NULL OR LOWER(a.name) LIKE $2) \
             AND ($3 IS NULL OR a.account_type = $3) \
             AND ($4 IS NULL OR EXISTS (SELECT 1 FROM myc_tags g WHERE g.account_id = a.id AND g.value = $4))";
        let term = filter
            .term
            .as_deref()
            .map(|t| format!("%{}%", t.to_lowercase().replace(['%', '_'], "")));
        let bind = || -> Vec<Arg> {
            args![
                filter.tenant,
                term.clone(),
                filter.account_type.clone(),
                filter.tag_value.clone()
            ]
        };
        let count: i64 = self
            .fetch(
                &format!("SELECT COUNT(*) FROM myc_accounts a WHERE {conditions}"),
                bind(),
            )
            .await?
            .first()
            .map(|r| r.try_get(0).map_err(db))
            .transpose()?
            .unwrap_or(0);
        let mut page = bind();
        page.extend(args![i64::from(filter.size), i64::from(filter.skip)]);
        let sql = format!(
            "SELECT {COLUMNS} FROM myc_accounts a WHERE {conditions} \
             ORDER BY a.created_at, a.name, a.id LIMIT $5 OFFSET $6"
        );
        let records = self
            .fetch(&sql, page)
            .await?
            .iter()
            .map(record)
            .collect::<Result<_, _>>()?;
        Ok((u64::try_from(count).unwrap_or(0), records))
    }

    /// Renames `id` and/or sets its flags (what is `None` stays).
    pub async fn update_account(&self, id: Uuid, update: &AccountUpdate) -> Result<(), Error> {
        if update.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(Error::Invalid("an account needs a name".into()));
        }
        let sql = "UPDATE myc_accounts SET name = COALESCE($1, name), \
                   is_active = COALESCE($2, is_active), is_checked = COALESCE($3, is_checked), \
                   is_archived = COALESCE($4, is_archived), is_deleted = COALESCE($5, is_deleted) \
                   WHERE id = $6";
        let args = args![
            update.name.as_deref().map(str::trim),
            update.active,
            update.checked,
            update.archived,
            update.deleted,
            id
        ];
        match self.execute(sql, args).await? {
            0 => Err(not_found(id)),
            _ => Ok(()),
        }
    }

    /// Makes `id` a staff, manager or plain user account (`"staff"`, `"manager"`, `"user"`).
    pub async fn set_privileges(&self, id: Uuid, to: &str) -> Result<(), Error> {
        let (staff, manager) = match to {
            "staff" => (true, false),
            "manager" => (false, true),
            "user" => (false, false),
            other => return Err(Error::Invalid(format!("unknown privilege level {other:?}"))),
        };
        let sql = "UPDATE myc_accounts SET is_staff = $1, is_manager = $2, account_type = $3 \
                   WHERE id = $4 AND account_type IN ('user', 'staff', 'manager')";
        match self.execute(sql, args![staff, manager, to, id]).await? {
            0 => Err(Error::NotFound(format!("user account {id}"))),
            _ => Ok(()),
        }
    }

    /// Deletes the account `id` of `tenant` (its guests go with it).
    pub async fn delete_tenant_account(
        &self,
        tenant: Uuid,
        id: Uuid,
        kind: &str,
    ) -> Result<(), Error> {
        let sql = "DELETE FROM myc_accounts WHERE id = $1 AND tenant_id = $2 AND account_type = $3";
        match self.execute(sql, args![id, tenant, kind]).await? {
            0 => Err(Error::NotFound(format!(
                "{kind} account {id} of tenant {tenant}"
            ))),
            _ => Ok(()),
        }
    }

    /// Sets `key` of `account`'s metadata; with `insert_only`, [`Error::Conflict`] when set.
    pub async fn put_account_meta(
        &self,
        account: Uuid,
        key: &str,
        value: &str,
        insert_only: bool,
    ) -> Result<(), Error> {
        meta_key(key)?;
        if myc_profile::AccountMetaKey::from_wire(key).is_none() {
            return Err(Error::Invalid(format!(
                "metadata key {key:?}: phone_number, telegram_user, whatsapp_user, locale, \
                 emergency_contact_name, emergency_contact_phone, job_title or custom:<name>"
            )));
        }
        let sql = if insert_only {
            "INSERT INTO myc_account_meta (account_id, key, value) VALUES ($1, $2, $3)"
        } else {
            "INSERT INTO myc_account_meta (account_id, key, value) VALUES ($1, $2, $3) \
             ON CONFLICT (account_id, key) DO UPDATE SET value = excluded.value"
        };
        self.execute(sql, args![account, key, value])
            .await
            .map_err(|e| match e {
                Error::Conflict(_) => Error::Conflict(format!("metadata {key}")),
                Error::NotFound(_) => not_found(account),
                other => other,
            })?;
        Ok(())
    }

    /// Removes `key` from `account`'s metadata; `false` when it had none.
    pub async fn delete_account_meta(&self, account: Uuid, key: &str) -> Result<bool, Error> {
        let sql = "DELETE FROM myc_account_meta WHERE account_id = $1 AND key = $2";
        Ok(self.execute(sql, args![account, key]).await? > 0)
    }
}

/// What [`SqlStore::update_account`] changes.
#[derive(Clone, Debug, Default)]
pub struct AccountUpdate {
    /// A new name.
    pub name: Option<String>,
    /// Active.
    pub active: Option<bool>,
    /// Checked (approved).
    pub checked: Option<bool>,
    /// Archived.
    pub archived: Option<bool>,
    /// Deleted.
    pub deleted: Option<bool>,
}
