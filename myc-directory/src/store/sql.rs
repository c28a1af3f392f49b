//! [`SqlStore`]: the [`Store`] on SQLite or PostgreSQL through sqlx's `Any` driver. Queries
//! use `$n` placeholders, which both databases accept.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use myc_crypto::{Insert, StoredDek, WrappedDek};
use myc_profile::Permission;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};
use uuid::Uuid;

use super::{
    Account, ConnectionStringRecord, Error, GuestLink, GuestRole, NewAccount, NewConnectionString,
    NodeRecord, Store, Tenant, normalize_email, schema,
};
use super::{StoreLocation, StoreSettings};

/// Which database a [`SqlStore`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite (embedded).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The SQL identity store (SQLite or PostgreSQL). Cheap to clone (a pool handle).
#[derive(Clone)]
pub struct SqlStore {
    pub(super) pool: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for SqlStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SqlStore({:?})", self.backend)
    }
}

pub(crate) fn db(e: sqlx::Error) -> Error {
    Error::Database(e.to_string())
}

fn unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}

/// Maps an insert's error: a unique violation is a conflict on `taken`, a foreign-key
/// violation means `missing` does not exist.
fn insert_error(
    e: sqlx::Error,
    taken: impl FnOnce() -> String,
    missing: impl FnOnce() -> String,
) -> Error {
    if unique_violation(&e) {
        Error::Conflict(taken())
    } else if e
        .as_database_error()
        .is_some_and(|d| d.is_foreign_key_violation())
    {
        Error::NotFound(missing())
    } else {
        db(e)
    }
}

pub(super) fn uuid(text: &str) -> Result<Uuid, Error> {
    Uuid::parse_str(text).map_err(|_| Error::Database(format!("corrupt id {text:?}")))
}

pub(super) fn time(secs: i64) -> Result<DateTime<Utc>, Error> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| Error::Database(format!("corrupt timestamp {secs}")))
}

pub(super) fn permission(value: i64) -> Result<Permission, Error> {
    Permission::from_int(value)
        .ok_or_else(|| Error::Database(format!("corrupt permission {value}")))
}

pub(super) fn now() -> i64 {
    Utc::now().timestamp()
}

fn flag(value: bool) -> i64 {
    i64::from(value)
}

fn generation(value: i64) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| Error::Database(format!("corrupt DEK generation {value}")))
}

const ACCOUNT_COLUMNS: &str = "a.id, a.name, o.email, a.is_staff, a.is_manager, a.created_at";

fn account(row: &AnyRow) -> Result<Account, Error> {
    Ok(Account {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        name: row.try_get(1).map_err(db)?,
        email: row.try_get(2).map_err(db)?,
        is_staff: row.try_get::<i64, _>(3).map_err(db)? != 0,
        is_manager: row.try_get::<i64, _>(4).map_err(db)? != 0,
        created_at: time(row.try_get(5).map_err(db)?)?,
    })
}

fn tenant(row: &AnyRow) -> Result<Tenant, Error> {
    Ok(Tenant {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        name: row.try_get(1).map_err(db)?,
        created_at: time(row.try_get(2).map_err(db)?)?,
    })
}

fn guest_role(row: &AnyRow) -> Result<GuestRole, Error> {
    Ok(GuestRole {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        slug: row.try_get(1).map_err(db)?,
        name: row.try_get(2).map_err(db)?,
        permission: permission(row.try_get(3).map_err(db)?)?,
    })
}

fn connection_string(row: &AnyRow) -> Result<ConnectionStringRecord, Error> {
    let opt_time = |i: usize| -> Result<Option<DateTime<Utc>>, Error> {
        row.try_get::<Option<i64>, _>(i)
            .map_err(db)?
            .map(time)
            .transpose()
    };
    Ok(ConnectionStringRecord {
        id: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        account_id: uuid(&row.try_get::<String, _>(1).map_err(db)?)?,
        name: row.try_get(2).map_err(db)?,
        tenant_id: row
            .try_get::<Option<String>, _>(3)
            .map_err(db)?
            .as_deref()
            .map(uuid)
            .transpose()?,
        created_at: time(row.try_get(4).map_err(db)?)?,
        expires_at: opt_time(5)?,
        revoked_at: opt_time(6)?,
    })
}

fn node(row: &AnyRow) -> Result<NodeRecord, Error> {
    let list = |i: usize| -> Result<Vec<String>, Error> {
        let text: String = row.try_get(i).map_err(db)?;
        serde_json::from_str(&text).map_err(|_| Error::Database("corrupt node permissions".into()))
    };
    Ok(NodeRecord {
        id: row.try_get(0).map_err(db)?,
        pub_allow: list(1)?,
        sub_allow: list(2)?,
        ttl_secs: u64::try_from(row.try_get::<i64, _>(3).map_err(db)?)
            .map_err(|_| Error::Database("corrupt node lifetime".into()))?,
        created_at: time(row.try_get(4).map_err(db)?)?,
        revoked_at: row
            .try_get::<Option<i64>, _>(5)
            .map_err(db)?
            .map(time)
            .transpose()?,
        allow_responses: row.try_get::<i64, _>(6).map_err(db)? != 0,
    })
}

const NODE_COLUMNS: &str =
    "id, pub_allow, sub_allow, ttl_secs, created_at, revoked_at, allow_responses";

fn stored_dek(row: &AnyRow) -> Result<StoredDek, Error> {
    Ok(StoredDek {
        scope: uuid(&row.try_get::<String, _>(0).map_err(db)?)?,
        generation: generation(row.try_get(1).map_err(db)?)?,
        wrapped: WrappedDek::from_bytes(row.try_get(2).map_err(db)?)?,
    })
}

/// Creates the SQLite file's directory (0700) and the file itself (0600) so that neither the
/// database nor its WAL (which inherits the file's mode) is readable by others.
fn prepare_sqlite_file(path: &Path) -> Result<(), Error> {
    let io = |e: std::io::Error| Error::Database(format!("{}: {e}", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        && !dir.exists()
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map(drop).map_err(io)
}

impl SqlStore {
    /// Opens (creating and migrating) the store `settings` describe.
    pub async fn open(settings: &StoreSettings) -> Result<Self, Error> {
        match &settings.location {
            StoreLocation::Sqlite(path) => {
                let text = path
                    .to_str()
                    .ok_or_else(|| Error::Invalid(format!("{} is not UTF-8", path.display())))?;
                if text.contains(['?', '#']) {
                    return Err(Error::Invalid(format!(
                        "{text}: '?' and '#' are not allowed in the data directory"
                    )));
                }
                prepare_sqlite_file(path)?;
                Self::connect(
                    &format!("sqlite://{text}?mode=rwc"),
                    settings.max_connections,
                )
                .await
            }
            StoreLocation::Url(url) => Self::connect(url, settings.max_connections).await,
        }
    }

    /// Connects to `url` (`sqlite://…` or `postgres://…`) and migrates the schema.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, Error> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(Error::Invalid(
                "database URL must start with sqlite:, postgres:// or postgresql://".into(),
            ));
        };
        let mut options = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5));
        if url.contains(":memory:") || url.contains("mode=memory") {
            // Every connection would get its own empty database: keep exactly one, forever.
            options = options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        }
        Self::with_options(url, backend, options).await
    }

    /// An empty in-memory SQLite store (demo, tests).
    pub async fn memory() -> Result<Self, Error> {
        Self::connect("sqlite::memory:", 1).await
    }

    async fn with_options(
        url: &str,
        backend: Backend,
        options: AnyPoolOptions,
    ) -> Result<Self, Error> {
        sqlx::any::install_default_drivers();
        // sqlx's connect errors do not include the URL, so a password cannot leak here.
        let pool = options.connect(url).await.map_err(db)?;
        if backend == Backend::Sqlite {
            // sqlx turns foreign keys on and waits 5 s on a busy file by default; WAL lets
            // readers run beside a writer and persists in the file once set.
            sqlx::query("PRAGMA journal_mode = WAL")
                .execute(&pool)
                .await
                .map_err(db)?;
        }
        schema::migrate(&pool, backend).await?;
        let store = Self { pool, backend };
        store.seed_native_error_codes().await?;
        Ok(store)
    }

    /// The database behind this store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes the pool (waits for connections to be returned).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Sets `revoked_at` on the row `id` of `table` unless already set; `what` names it in
    /// the not-found error.
    async fn revoke(&self, table: &'static str, id: &str, what: &str) -> Result<(), Error> {
        let done = sqlx::query(&format!(
            "UPDATE {table} SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"
        ))
        .bind(now())
        .bind(id)
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        if done == 1 {
            Ok(())
        } else {
            Err(Error::NotFound(format!("{what} {id}")))
        }
    }

    /// The guest role `slug` with `permission`, if defined.
    pub async fn guest_role_by(
        &self,
        slug: &str,
        permission: Permission,
    ) -> Result<Option<GuestRole>, Error> {
        self.role_by(slug, permission).await
    }

    async fn role_by(
        &self,
        slug: &str,
        permission: Permission,
    ) -> Result<Option<GuestRole>, Error> {
        sqlx::query(
            "SELECT id, slug, name, permission FROM myc_guest_roles WHERE slug = $1 AND permission = $2",
        )
        .bind(slug)
        .bind(i64::from(permission.as_int()))
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(guest_role)
        .transpose()
    }
}

impl Store for SqlStore {
    async fn ping(&self) -> Result<(), Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(())
    }

    async fn create_account(&self, new: NewAccount<'_>) -> Result<Account, Error> {
        let email = normalize_email(new.email)?;
        let name = if new.name.trim().is_empty() {
            email.clone()
        } else {
            new.name.trim().to_owned()
        };
        let id = new.id.unwrap_or_else(Uuid::new_v4);
        let created = now();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let conflict = |e: sqlx::Error, what: String| {
            if unique_violation(&e) {
                Error::Conflict(what)
            } else {
                db(e)
            }
        };
        sqlx::query(
            "INSERT INTO myc_accounts (id, name, is_staff, is_manager, is_active, created_at) VALUES ($1, $2, $3, $4, 1, $5)",
        )
        .bind(id.to_string())
        .bind(&name)
        .bind(flag(new.is_staff))
        .bind(flag(new.is_manager))
        .bind(created)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict(e, format!("account {id}")))?;
        sqlx::query(
            "INSERT INTO myc_owners (id, account_id, email, is_principal, created_at) VALUES ($1, $2, $3, 1, $4)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(id.to_string())
        .bind(&email)
        .bind(created)
        .execute(&mut *tx)
        .await
        .map_err(|e| conflict(e, format!("an account for {email}")))?;
        tx.commit().await.map_err(db)?;
        Ok(Account {
            id,
            name,
            email,
            is_staff: new.is_staff,
            is_manager: new.is_manager,
            created_at: time(created)?,
        })
    }

    async fn account_by_email(&self, email: &str) -> Result<Option<Account>, Error> {
        let email = normalize_email(email)?;
        sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM myc_owners o JOIN myc_accounts a ON a.id = o.account_id WHERE o.email = $1"
        ))
        .bind(email)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(account)
        .transpose()
    }

    async fn set_account_active(&self, email: &str, active: bool) -> Result<Account, Error> {
        let account = self
            .account_by_email(email)
            .await?
            .ok_or_else(|| Error::NotFound(format!("an account for {email}")))?;
        sqlx::query("UPDATE myc_accounts SET is_active = $1 WHERE id = $2")
            .bind(flag(active))
            .bind(account.id.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?;
        Ok(account)
    }

    async fn create_tenant(
        &self,
        name: &str,
        owner_email: Option<&str>,
        id: Option<Uuid>,
    ) -> Result<Tenant, Error> {
        let name = name.trim();
        if name.is_empty() {
            return Err(Error::Invalid("a tenant needs a name".into()));
        }
        let id = id.unwrap_or_else(Uuid::new_v4);
        let created = now();
        let mut tx = self.pool.begin().await.map_err(db)?;
        let owner = match owner_email {
            Some(email) => {
                let email = normalize_email(email)?;
                let owner: Option<String> =
                    sqlx::query_scalar("SELECT id FROM myc_owners WHERE email = $1")
                        .bind(&email)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                Some(owner.ok_or_else(|| Error::NotFound(format!("an account for {email}")))?)
            }
            None => None,
        };
        sqlx::query("INSERT INTO myc_tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(id.to_string())
            .bind(name)
            .bind(created)
            .execute(&mut *tx)
            .await
            .map_err(|e| {
                if unique_violation(&e) {
                    Error::Conflict(format!("a tenant named {name:?} (or with id {id})"))
                } else {
                    db(e)
                }
            })?;
        if let Some(owner) = owner {
            sqlx::query(
                "INSERT INTO myc_tenant_owners (tenant_id, owner_id, since) VALUES ($1, $2, $3)",
            )
            .bind(id.to_string())
            .bind(owner)
            .bind(created)
            .execute(&mut *tx)
            .await
            .map_err(db)?;
        }
        tx.commit().await.map_err(db)?;
        Ok(Tenant {
            id,
            name: name.to_owned(),
            created_at: time(created)?,
        })
    }

    async fn tenants(&self) -> Result<Vec<Tenant>, Error> {
        sqlx::query("SELECT id, name, created_at FROM myc_tenants ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(tenant)
            .collect()
    }

    async fn tenant(&self, id: Uuid) -> Result<Option<Tenant>, Error> {
        sqlx::query("SELECT id, name, created_at FROM myc_tenants WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(db)?
            .as_ref()
            .map(tenant)
            .transpose()
    }

    async fn create_guest_role(
        &self,
        slug: &str,
        name: &str,
        permission: Permission,
    ) -> Result<GuestRole, Error> {
        let slug = slug.trim();
        if slug.is_empty()
            || !slug
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(Error::Invalid(format!(
                "role slug {slug:?} must be non-empty ASCII letters, digits, '-', '_' or '.'"
            )));
        }
        let role = GuestRole {
            id: Uuid::new_v4(),
            slug: slug.to_owned(),
            name: if name.trim().is_empty() {
                slug.to_owned()
            } else {
                name.trim().to_owned()
            },
            permission,
        };
        sqlx::query(
            "INSERT INTO myc_guest_roles (id, slug, name, permission, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(role.id.to_string())
        .bind(&role.slug)
        .bind(&role.name)
        .bind(i64::from(permission.as_int()))
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if unique_violation(&e) {
                Error::Conflict(format!("guest role {slug} ({})", permission.as_str()))
            } else {
                db(e)
            }
        })?;
        Ok(role)
    }

    async fn add_guest(
        &self,
        tenant: Uuid,
        email: &str,
        slug: &str,
        permission: Permission,
    ) -> Result<GuestLink, Error> {
        let account = self
            .account_by_email(email)
            .await?
            .ok_or_else(|| Error::NotFound(format!("an account for {}", email.trim())))?;
        let role = self.role_by(slug, permission).await?.ok_or_else(|| {
            Error::NotFound(format!("guest role {slug} ({})", permission.as_str()))
        })?;
        if self.tenant(tenant).await?.is_none() {
            return Err(Error::NotFound(format!("tenant {tenant}")));
        }
        let subscription = self.default_subscription(tenant).await?;
        let inserted = sqlx::query(
            "INSERT INTO myc_guest_users (subscription_id, role_id, email, accepted, created_at) \
             VALUES ($1, $2, $3, 1, $4) ON CONFLICT DO NOTHING",
        )
        .bind(subscription.to_string())
        .bind(role.id.to_string())
        .bind(&account.email)
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(GuestLink {
            account_id: account.id,
            tenant_id: tenant,
            subscription_id: subscription,
            role,
            created: inserted == 1,
        })
    }

    async fn record_connection_string(
        &self,
        new: NewConnectionString<'_>,
    ) -> Result<ConnectionStringRecord, Error> {
        let record = ConnectionStringRecord {
            id: Uuid::new_v4(),
            account_id: new.account_id,
            name: new.name.trim().to_owned(),
            tenant_id: new.tenant_id,
            created_at: time(now())?,
            // Stored with second precision: return what a read gives back.
            expires_at: new.expires_at.map(|t| time(t.timestamp())).transpose()?,
            revoked_at: None,
        };
        sqlx::query(
            "INSERT INTO myc_connection_strings (id, account_id, token_hash, name, tenant_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(record.id.to_string())
        .bind(record.account_id.to_string())
        .bind(new.token_hash.to_vec())
        .bind(&record.name)
        .bind(record.tenant_id.map(|t| t.to_string()))
        .bind(record.created_at.timestamp())
        .bind(record.expires_at.map(|t| t.timestamp()))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            insert_error(
                e,
                || "that connection string".into(),
                || format!("account {}", new.account_id),
            )
        })?;
        Ok(record)
    }

    async fn connection_strings(
        &self,
        account: Uuid,
    ) -> Result<Vec<ConnectionStringRecord>, Error> {
        sqlx::query(
            "SELECT id, account_id, name, tenant_id, created_at, expires_at, revoked_at FROM myc_connection_strings WHERE account_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(account.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(db)?
        .iter()
        .map(connection_string)
        .collect()
    }

    async fn revoke_connection_string(&self, id: Uuid) -> Result<(), Error> {
        self.revoke(
            "myc_connection_strings",
            &id.to_string(),
            "an active connection string",
        )
        .await
    }

    async fn deks(&self, scope: Option<Uuid>) -> Result<Vec<StoredDek>, Error> {
        let rows = match scope {
            Some(scope) => sqlx::query(
                "SELECT scope, generation, wrapped FROM myc_deks WHERE scope = $1 ORDER BY generation",
            )
            .bind(scope.to_string())
            .fetch_all(&self.pool)
            .await,
            None => sqlx::query(
                "SELECT scope, generation, wrapped FROM myc_deks ORDER BY scope, generation",
            )
            .fetch_all(&self.pool)
            .await,
        }
        .map_err(db)?;
        rows.iter().map(stored_dek).collect()
    }

    async fn insert_dek(&self, dek: &StoredDek) -> Result<Insert, Error> {
        let inserted = sqlx::query(
            "INSERT INTO myc_deks (scope, generation, wrapped) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(dek.scope.to_string())
        .bind(i64::from(dek.generation))
        .bind(dek.wrapped.as_bytes().to_vec())
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        if inserted == 1 {
            return Ok(Insert::Inserted);
        }
        let existing: Vec<u8> =
            sqlx::query_scalar("SELECT wrapped FROM myc_deks WHERE scope = $1 AND generation = $2")
                .bind(dek.scope.to_string())
                .bind(i64::from(dek.generation))
                .fetch_one(&self.pool)
                .await
                .map_err(db)?;
        Ok(Insert::Existing(WrappedDek::from_bytes(existing)?))
    }

    async fn swap_dek(
        &self,
        scope: Uuid,
        generation: u32,
        expected: &WrappedDek,
        new: &WrappedDek,
    ) -> Result<bool, Error> {
        let done = sqlx::query(
            "UPDATE myc_deks SET wrapped = $1 WHERE scope = $2 AND generation = $3 AND wrapped = $4",
        )
        .bind(new.as_bytes().to_vec())
        .bind(scope.to_string())
        .bind(i64::from(generation))
        .bind(expected.as_bytes().to_vec())
        .execute(&self.pool)
        .await
        .map_err(db)?
        .rows_affected();
        Ok(done == 1)
    }

    async fn put_sealed(&self, scope: Uuid, name: &str, ciphertext: &[u8]) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO myc_secrets (scope, name, ciphertext, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (scope, name) DO UPDATE SET ciphertext = excluded.ciphertext, updated_at = excluded.updated_at",
        )
        .bind(scope.to_string())
        .bind(name)
        .bind(ciphertext.to_vec())
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(db)?;
        Ok(())
    }

    async fn get_sealed(&self, scope: Uuid, name: &str) -> Result<Option<Vec<u8>>, Error> {
        sqlx::query_scalar("SELECT ciphertext FROM myc_secrets WHERE scope = $1 AND name = $2")
            .bind(scope.to_string())
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(db)
    }

    async fn sealed_names(&self, scope: Uuid) -> Result<Vec<String>, Error> {
        sqlx::query_scalar("SELECT name FROM myc_secrets WHERE scope = $1 ORDER BY name")
            .bind(scope.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }

    async fn delete_sealed(&self, scope: Uuid, name: &str) -> Result<bool, Error> {
        let done = sqlx::query("DELETE FROM myc_secrets WHERE scope = $1 AND name = $2")
            .bind(scope.to_string())
            .bind(name)
            .execute(&self.pool)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(done == 1)
    }

    async fn add_node(&self, record: &NodeRecord, token_hash: [u8; 32]) -> Result<(), Error> {
        let json = |list: &Vec<String>| {
            serde_json::to_string(list).map_err(|e| Error::Invalid(e.to_string()))
        };
        sqlx::query(
            "INSERT INTO myc_nodes (id, token_hash, pub_allow, sub_allow, ttl_secs, created_at, allow_responses) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&record.id)
        .bind(token_hash.to_vec())
        .bind(json(&record.pub_allow)?)
        .bind(json(&record.sub_allow)?)
        .bind(i64::try_from(record.ttl_secs).map_err(|_| Error::Invalid("lifetime too large".into()))?)
        .bind(record.created_at.timestamp())
        .bind(i64::from(record.allow_responses))
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if unique_violation(&e) {
                Error::Conflict(format!("node {}", record.id))
            } else {
                db(e)
            }
        })?;
        Ok(())
    }

    async fn node(&self, id: &str) -> Result<Option<(NodeRecord, [u8; 32])>, Error> {
        let Some(row) = sqlx::query(&format!(
            "SELECT {NODE_COLUMNS}, token_hash FROM myc_nodes WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        else {
            return Ok(None);
        };
        let hash: Vec<u8> = row.try_get(7).map_err(db)?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| Error::Database("corrupt node token hash".into()))?;
        Ok(Some((node(&row)?, hash)))
    }

    async fn nodes(&self) -> Result<Vec<NodeRecord>, Error> {
        sqlx::query(&format!("SELECT {NODE_COLUMNS} FROM myc_nodes ORDER BY id"))
            .fetch_all(&self.pool)
            .await
            .map_err(db)?
            .iter()
            .map(node)
            .collect()
    }

    async fn revoke_node(&self, id: &str) -> Result<(), Error> {
        self.revoke("myc_nodes", id, "an active node").await
    }

    async fn link_telegram(
        &self,
        account: Uuid,
        telegram_id: i64,
        username: Option<&str>,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO myc_telegram_links (account_id, telegram_id, username, linked_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(account.to_string())
        .bind(telegram_id)
        .bind(username.map(str::to_owned))
        .bind(now())
        .execute(&self.pool)
        .await
        .map_err(|e| {
            insert_error(
                e,
                || "a Telegram link for this account or this Telegram user".into(),
                || format!("account {account}"),
            )
        })?;
        Ok(())
    }

    async fn unlink_telegram(&self, account: Uuid) -> Result<bool, Error> {
        let done = sqlx::query("DELETE FROM myc_telegram_links WHERE account_id = $1")
            .bind(account.to_string())
            .execute(&self.pool)
            .await
            .map_err(db)?
            .rows_affected();
        Ok(done == 1)
    }

    async fn account_by_telegram(&self, telegram_id: i64) -> Result<Option<Account>, Error> {
        sqlx::query(&format!(
            "SELECT {ACCOUNT_COLUMNS} FROM myc_telegram_links l \
             JOIN myc_accounts a ON a.id = l.account_id \
             JOIN myc_owners o ON o.account_id = a.id AND o.is_principal = 1 \
             WHERE l.telegram_id = $1 ORDER BY o.created_at LIMIT 1"
        ))
        .bind(telegram_id)
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?
        .as_ref()
        .map(account)
        .transpose()
    }

    async fn is_member(&self, account: Uuid, tenant: Uuid) -> Result<bool, Error> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM myc_guest_users g JOIN myc_accounts s ON s.id = g.subscription_id \
             JOIN myc_owners o ON o.email = g.email \
             WHERE o.account_id = $1 AND s.tenant_id = $2 AND g.accepted = 1 \
             UNION SELECT 1 FROM myc_tenant_owners w JOIN myc_owners o ON o.id = w.owner_id \
             WHERE o.account_id = $1 AND w.tenant_id = $2 LIMIT 1",
        )
        .bind(account.to_string())
        .bind(tenant.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(db)?;
        Ok(found.is_some())
    }
}

/// A bind value of [`SqlStore::execute`] and [`SqlStore::fetch`].
#[derive(Clone, Debug)]
pub(super) enum Arg {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
    /// SQL `NULL` typed as text.
    Null,
    /// SQL `NULL` typed as an integer (PostgreSQL types parameters).
    NullInt,
}

impl From<&str> for Arg {
    fn from(v: &str) -> Self {
        Self::Text(v.to_owned())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Self {
        Self::Text(v)
    }
}
impl From<Uuid> for Arg {
    fn from(v: Uuid) -> Self {
        Self::Text(v.to_string())
    }
}
impl From<i64> for Arg {
    fn from(v: i64) -> Self {
        Self::Int(v)
    }
}
impl From<bool> for Arg {
    fn from(v: bool) -> Self {
        Self::Int(i64::from(v))
    }
}
macro_rules! optional_arg {
    ($($t:ty => $null:ident),*) => {$(
        impl From<Option<$t>> for Arg {
            fn from(v: Option<$t>) -> Self {
                v.map_or(Self::$null, Into::into)
            }
        }
    )*};
}
optional_arg!(&str => Null, String => Null, Uuid => Null, i64 => NullInt, bool => NullInt);

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: Vec<Arg>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match arg {
            Arg::Text(v) => query.bind(v),
            Arg::Int(v) => query.bind(v),
            Arg::Null => query.bind(None::<String>),
            Arg::NullInt => query.bind(None::<i64>),
        };
    }
    query
}

impl SqlStore {
    /// Runs one statement; the number of rows it touched.
    pub(super) async fn execute(&self, sql: &str, args: Vec<Arg>) -> Result<u64, Error> {
        Ok(bind_all(sqlx::query(sql), args)
            .execute(&self.pool)
            .await
            .map_err(|e| insert_error(e, || "that record".into(), || "what it refers to".into()))?
            .rows_affected())
    }

    /// Runs one query; its rows.
    pub(super) async fn fetch(&self, sql: &str, args: Vec<Arg>) -> Result<Vec<AnyRow>, Error> {
        bind_all(sqlx::query(sql), args)
            .fetch_all(&self.pool)
            .await
            .map_err(db)
    }
}

/// `$args` as a `Vec<Arg>`.
macro_rules! args {
    ($($arg:expr),* $(,)?) => { vec![$($crate::store::sql::Arg::from($arg)),*] };
}
pub(super) use args;
