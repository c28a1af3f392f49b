//! A store created by the previous release (schema 4: guests linked straight to tenants,
//! `tests/fixtures/v4.*.sql`, dumped from stores the v4 binary filled through its CLI) upgrades
//! in place on SQLite and PostgreSQL and keeps every identity; each licence now names a
//! subscription account of its tenant, as upstream's profile does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use myc_directory::store::{SqlStore, Store, StoreLocation, StoreSettings};
use myc_profile::{LicensedResources, Permission};
use uuid::Uuid;

const ACME: &str = "11111111-1111-4111-8111-111111111111";
const GLOBEX: &str = "22222222-2222-4222-8222-222222222222";

async fn check(store: &SqlStore) {
    // Every account and owner is still there, with its flags.
    let ann = store.profile("ann@acme.test", None).await.unwrap().unwrap();
    let staff = store
        .profile("staff@example.com", None)
        .await
        .unwrap()
        .unwrap();
    let bob = store
        .profile("bob@globex.test", None)
        .await
        .unwrap()
        .unwrap();
    let owner = store
        .profile("owner@acme.test", None)
        .await
        .unwrap()
        .unwrap();
    assert!(staff.is_staff && staff.is_manager);
    assert!(
        !bob.account_is_active,
        "the deactivated account stays deactivated"
    );
    assert!(
        matches!(&owner.tenants_ownership, Some(myc_profile::TenantsOwnership::Records(r)) if r.len() == 1)
    );
    // Ann's licences: same tenants, roles and permissions, now in subscription accounts.
    let Some(LicensedResources::Records(records)) = &ann.licensed_resources else {
        panic!("{ann:?}");
    };
    let mut seen: Vec<(String, String, String, Permission, bool)> = records
        .iter()
        .map(|r| {
            (
                r.tenant_id.to_string(),
                r.acc_name.clone(),
                r.role.clone(),
                r.perm,
                r.verified,
            )
        })
        .collect();
    seen.sort_by(|a, b| (&a.0, &a.2).cmp(&(&b.0, &b.2)));
    assert_eq!(
        seen,
        [
            (
                ACME.into(),
                "Acme".into(),
                "accountant".into(),
                Permission::Write,
                true
            ),
            (
                ACME.into(),
                "Acme".into(),
                "reporter".into(),
                Permission::Read,
                true
            ),
            (
                GLOBEX.into(),
                "Globex".into(),
                "reporter".into(),
                Permission::Read,
                true
            ),
        ]
    );
    // The subscription account is the tenant's, not Ann's own account.
    let acme: Uuid = ACME.parse().unwrap();
    let subscriptions = store.subscription_accounts(acme).await.unwrap();
    assert_eq!(subscriptions.len(), 1);
    assert!(
        records
            .iter()
            .filter(|r| r.tenant_id == acme)
            .all(|r| r.acc_id == subscriptions[0].id)
    );
    assert!(records.iter().all(|r| r.acc_id != ann.acc_id));
    // Membership and tenant-scoped resolution follow the new relations.
    let ann_account = store
        .account_by_email("ann@acme.test")
        .await
        .unwrap()
        .unwrap();
    assert!(store.is_member(ann_account.id, acme).await.unwrap());
    let scoped = store
        .profile("ann@acme.test", Some(GLOBEX.parse().unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        matches!(&scoped.licensed_resources, Some(LicensedResources::Records(r)) if r.len() == 1)
    );
    // Connection strings and tenants survive.
    assert_eq!(
        store
            .connection_strings(ann_account.id)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(store.tenants().await.unwrap().len(), 2);
    // A second open is a no-op.
    store.ping().await.unwrap();
}

#[tokio::test]
async fn sqlite_upgrades_in_place() {
    let dir = myc_testkit::process::temp_dir("myc-upgrade");
    let file = dir.join("v4.sqlite3");
    {
        use sqlx::ConnectOptions;
        let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        sqlx::Executor::execute(&mut conn, include_str!("fixtures/v4.sqlite.sql"))
            .await
            .unwrap();
    }
    let settings = StoreSettings {
        location: StoreLocation::Sqlite(file),
        max_connections: 2,
    };
    let store = SqlStore::open(&settings).await.unwrap();
    check(&store).await;
    store.close().await;
    let again = SqlStore::open(&settings).await.unwrap();
    check(&again).await;
    again.close().await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn postgres_upgrades_in_place() {
    let schema = myc_testkit::db::PgSchema::create().await;
    {
        let pool = sqlx::PgPool::connect(&schema.url).await.unwrap();
        let sql = include_str!("fixtures/v4.postgres.sql").replace("{SCHEMA}", schema.name());
        sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
        pool.close().await;
    }
    let store = SqlStore::connect(&schema.url, 2).await.unwrap();
    check(&store).await;
    store.close().await;
    schema.drop_schema().await;
}
