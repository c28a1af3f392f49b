//! Schema migrations, applied in order on start inside one transaction (PostgreSQL: under an
//! advisory lock, so replicas starting together migrate once). The same DDL serves both
//! databases: `{BLOB}` becomes `BLOB` or `BYTEA`; flags are `BIGINT` 0/1 and times are Unix
//! seconds, so every value maps to the same Rust type on both.

use sqlx::any::AnyQueryResult;
use sqlx::{AnyConnection, AnyPool};

use super::Error;
use super::sql::{Backend, db};

/// `(version, DDL)`, ascending. Never edit a released entry: add one.
const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        r#"
CREATE TABLE myc_accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    is_staff BIGINT NOT NULL DEFAULT 0,
    is_manager BIGINT NOT NULL DEFAULT 0,
    is_active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE TABLE myc_owners (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES myc_accounts(id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT,
    last_name TEXT,
    username TEXT,
    is_principal BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE INDEX myc_owners_account ON myc_owners(account_id);
CREATE TABLE myc_tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);
CREATE TABLE myc_tenant_owners (
    tenant_id TEXT NOT NULL REFERENCES myc_tenants(id) ON DELETE CASCADE,
    owner_id TEXT NOT NULL REFERENCES myc_owners(id) ON DELETE CASCADE,
    since BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, owner_id)
);
CREATE INDEX myc_tenant_owners_owner ON myc_tenant_owners(owner_id);
CREATE TABLE myc_guest_roles (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    permission BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (slug, permission)
);
CREATE TABLE myc_guest_links (
    account_id TEXT NOT NULL REFERENCES myc_accounts(id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES myc_tenants(id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES myc_guest_roles(id) ON DELETE CASCADE,
    verified BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, tenant_id, role_id)
);
CREATE TABLE myc_connection_strings (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES myc_accounts(id) ON DELETE CASCADE,
    token_hash {BLOB} NOT NULL UNIQUE,
    name TEXT NOT NULL,
    tenant_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX myc_connection_strings_account ON myc_connection_strings(account_id);
CREATE TABLE myc_deks (
    scope TEXT NOT NULL,
    generation BIGINT NOT NULL,
    wrapped {BLOB} NOT NULL,
    PRIMARY KEY (scope, generation)
);
CREATE TABLE myc_secrets (
    scope TEXT NOT NULL,
    name TEXT NOT NULL,
    ciphertext {BLOB} NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, name)
);
"#,
    ),
    (
        2,
        r#"
CREATE TABLE myc_nodes (
    id TEXT PRIMARY KEY,
    token_hash {BLOB} NOT NULL,
    pub_allow TEXT NOT NULL,
    sub_allow TEXT NOT NULL,
    ttl_secs BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
"#,
    ),
    (
        3,
        r#"
CREATE TABLE myc_telegram_links (
    account_id TEXT PRIMARY KEY REFERENCES myc_accounts(id) ON DELETE CASCADE,
    telegram_id BIGINT NOT NULL UNIQUE,
    username TEXT,
    linked_at BIGINT NOT NULL
);
"#,
    ),
    (
        4,
        "ALTER TABLE myc_nodes ADD COLUMN allow_responses BIGINT NOT NULL DEFAULT 0;",
    ),
    (
        5,
        r#"
ALTER TABLE myc_accounts ADD COLUMN account_type TEXT NOT NULL DEFAULT 'user';
ALTER TABLE myc_accounts ADD COLUMN tenant_id TEXT;
ALTER TABLE myc_accounts ADD COLUMN role_name TEXT;
ALTER TABLE myc_accounts ADD COLUMN read_role_id TEXT;
ALTER TABLE myc_accounts ADD COLUMN write_role_id TEXT;
ALTER TABLE myc_accounts ADD COLUMN actor TEXT;
ALTER TABLE myc_accounts ADD COLUMN is_checked BIGINT NOT NULL DEFAULT 1;
ALTER TABLE myc_accounts ADD COLUMN is_archived BIGINT NOT NULL DEFAULT 0;
ALTER TABLE myc_accounts ADD COLUMN is_deleted BIGINT NOT NULL DEFAULT 0;
ALTER TABLE myc_accounts ADD COLUMN meta TEXT;
UPDATE myc_accounts SET account_type = 'staff' WHERE is_staff = 1;
UPDATE myc_accounts SET account_type = 'manager' WHERE is_staff = 0 AND is_manager = 1;
CREATE INDEX myc_accounts_tenant ON myc_accounts(tenant_id, account_type);
CREATE TABLE myc_guest_users (
    subscription_id TEXT NOT NULL REFERENCES myc_accounts(id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES myc_guest_roles(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    accepted BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (subscription_id, role_id, email)
);
CREATE INDEX myc_guest_users_email ON myc_guest_users(email);
"#,
    ),
    (
        6,
        r#"
ALTER TABLE myc_tenants ADD COLUMN description TEXT;
CREATE TABLE myc_audit (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_account TEXT,
    actor_email TEXT,
    action TEXT NOT NULL,
    tenant_id TEXT,
    account_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX myc_audit_tenant ON myc_audit(tenant_id, at);
CREATE INDEX myc_audit_at ON myc_audit(at);
"#,
    ),
    (
        7,
        r#"
ALTER TABLE myc_guest_roles ADD COLUMN description TEXT;
ALTER TABLE myc_guest_roles ADD COLUMN is_system BIGINT NOT NULL DEFAULT 0;
CREATE INDEX myc_audit_account ON myc_audit(account_id, at);
"#,
    ),
    (
        8,
        r#"
ALTER TABLE myc_tenants ADD COLUMN is_archived BIGINT NOT NULL DEFAULT 0;
ALTER TABLE myc_tenants ADD COLUMN is_trashed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE myc_tenants ADD COLUMN is_verified BIGINT NOT NULL DEFAULT 0;
ALTER TABLE myc_guest_users ADD COLUMN permit_flags TEXT;
ALTER TABLE myc_guest_users ADD COLUMN deny_flags TEXT;
CREATE TABLE myc_tags (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES myc_tenants(id) ON DELETE CASCADE,
    account_id TEXT REFERENCES myc_accounts(id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    meta TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX myc_tags_owner ON myc_tags(tenant_id, account_id);
CREATE UNIQUE INDEX myc_accounts_one_management ON myc_accounts(tenant_id)
    WHERE account_type = 'tenantManager';
CREATE TABLE myc_tenant_meta (
    tenant_id TEXT NOT NULL REFERENCES myc_tenants(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE TABLE myc_account_meta (
    account_id TEXT NOT NULL REFERENCES myc_accounts(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (account_id, key)
);
CREATE TABLE myc_guest_role_children (
    parent_id TEXT NOT NULL REFERENCES myc_guest_roles(id) ON DELETE CASCADE,
    child_id TEXT NOT NULL REFERENCES myc_guest_roles(id) ON DELETE CASCADE,
    PRIMARY KEY (parent_id, child_id)
);
"#,
    ),
    (
        9,
        r#"
CREATE TABLE myc_webhooks (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT,
    url TEXT NOT NULL,
    trigger TEXT NOT NULL,
    method TEXT NOT NULL,
    secret {BLOB},
    is_active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT
);
CREATE INDEX myc_webhooks_trigger ON myc_webhooks(trigger, is_active);
CREATE TABLE myc_webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES myc_webhooks(id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX myc_webhook_deliveries_due ON myc_webhook_deliveries(status, next_attempt_at);
"#,
    ),
    (
        10,
        r#"
CREATE TABLE myc_error_codes (
    prefix TEXT NOT NULL,
    code BIGINT NOT NULL,
    message TEXT NOT NULL,
    details TEXT,
    is_internal BIGINT NOT NULL DEFAULT 0,
    is_native BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (prefix, code)
);
"#,
    ),
    (
        11,
        r#"
CREATE TABLE myc_mail_outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body {BLOB},
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX myc_mail_outbox_due ON myc_mail_outbox(status, next_attempt_at);
CREATE TABLE myc_login_links (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    code_hash TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    revealed_at BIGINT,
    used_at BIGINT,
    expires_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX myc_login_links_email ON myc_login_links(email, created_at);
"#,
    ),
    (
        12,
        r#"
CREATE TABLE myc_totp (
    email TEXT PRIMARY KEY,
    secret {BLOB} NOT NULL,
    active BIGINT NOT NULL DEFAULT 0,
    last_step BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
"#,
    ),
    (
        13,
        r#"
CREATE TABLE myc_passwords (
    email TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);
CREATE TABLE myc_user_tokens (
    token_hash TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    purpose TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
"#,
    ),
    (
        14,
        r#"
CREATE TABLE myc_rate_limits (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL
);
CREATE INDEX myc_rate_limits_window ON myc_rate_limits(window_start);
"#,
    ),
];

/// The newest schema version this build knows.
pub(super) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// Runs statements on a transaction's connection behind a boxed `Send` future: written inline,
/// rustc cannot prove the future `Send` for every lifetime (the "`Executor` is not general
/// enough" limitation), and `SqlStore::open` could not run on a spawned task.
fn run<'c>(
    conn: &'c mut AnyConnection,
    sql: &'c str,
) -> futures::future::BoxFuture<'c, Result<AnyQueryResult, sqlx::Error>> {
    sqlx::Executor::execute(conn, sql)
}

fn record(
    conn: &mut AnyConnection,
    version: i64,
) -> futures::future::BoxFuture<'_, Result<AnyQueryResult, sqlx::Error>> {
    sqlx::Executor::execute(
        conn,
        sqlx::query("INSERT INTO myc_schema (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(chrono::Utc::now().timestamp()),
    )
}

fn max_version(
    conn: &mut AnyConnection,
) -> futures::future::BoxFuture<'_, Result<Option<i64>, sqlx::Error>> {
    Box::pin(async move {
        let row = sqlx::Executor::fetch_one(conn, "SELECT MAX(version) FROM myc_schema").await?;
        sqlx::Row::try_get(&row, 0)
    })
}

/// Migration 5's data step: upstream's model guests users into tenant-scoped subscription
/// accounts, where version 4 linked them straight to tenants. Each tenant with guests gets one
/// subscription account named after it; every link becomes a guest relation of the account's
/// principal e-mail to that subscription account (accepted when the link was verified); the
/// old table goes. Nothing is lost: the licence keeps its tenant, role and permission, and
/// now names the subscription account, as upstream's profile does.
fn guest_links_to_subscriptions(
    conn: &mut AnyConnection,
) -> futures::future::BoxFuture<'_, Result<(), sqlx::Error>> {
    Box::pin(async move {
        let tenants = sqlx::Executor::fetch_all(
            &mut *conn,
            "SELECT DISTINCT l.tenant_id, t.name FROM myc_guest_links l \
             JOIN myc_tenants t ON t.id = l.tenant_id ORDER BY l.tenant_id",
        )
        .await?;
        let now = chrono::Utc::now().timestamp();
        for row in tenants {
            let tenant: String = sqlx::Row::try_get(&row, 0)?;
            let name: String = sqlx::Row::try_get(&row, 1)?;
            let subscription = uuid::Uuid::new_v4().to_string();
            sqlx::Executor::execute(
                &mut *conn,
                sqlx::query(
                    "INSERT INTO myc_accounts (id, name, is_staff, is_manager, is_active, \
                     created_at, account_type, tenant_id) VALUES ($1, $2, 0, 0, 1, $3, \
                     'subscription', $4)",
                )
                .bind(&subscription)
                .bind(&name)
                .bind(now)
                .bind(&tenant),
            )
            .await?;
            sqlx::Executor::execute(
                &mut *conn,
                sqlx::query(
                    "INSERT INTO myc_guest_users (subscription_id, role_id, email, accepted, \
                     created_at) SELECT $1, l.role_id, o.email, l.verified, l.created_at \
                     FROM myc_guest_links l JOIN myc_owners o ON o.account_id = l.account_id \
                     AND o.is_principal = 1 WHERE l.tenant_id = $2",
                )
                .bind(&subscription)
                .bind(&tenant),
            )
            .await?;
        }
        sqlx::Executor::execute(&mut *conn, "DROP TABLE myc_guest_links").await?;
        Ok(())
    })
}

/// Brings the schema up to date; refuses a database migrated by a newer build.
pub(super) async fn migrate(pool: &AnyPool, backend: Backend) -> Result<(), Error> {
    let mut tx = pool.begin().await.map_err(db)?;
    if backend == Backend::Postgres {
        run(
            &mut tx,
            "DO $$ BEGIN PERFORM pg_advisory_xact_lock(7272001); END $$;",
        )
        .await
        .map_err(db)?;
    }
    run(
        &mut tx,
        "CREATE TABLE IF NOT EXISTS myc_schema (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .await
    .map_err(db)?;
    let current = max_version(&mut tx).await.map_err(db)?;
    let current = current.unwrap_or(0);
    if current > latest() {
        return Err(Error::Database(format!(
            "schema version {current} is newer than this build knows ({}); upgrade myc-gateway",
            latest()
        )));
    }
    let blob = match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    };
    for (version, ddl) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let ddl = ddl.replace("{BLOB}", blob);
        run(&mut tx, &ddl)
            .await
            .map_err(|e| Error::Database(format!("migration {version}: {e}")))?;
        if *version == 5 {
            guest_links_to_subscriptions(&mut tx)
                .await
                .map_err(|e| Error::Database(format!("migration 5: {e}")))?;
        }
        record(&mut tx, *version).await.map_err(db)?;
    }
    tx.commit().await.map_err(db)
}
