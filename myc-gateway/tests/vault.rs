//! Sealed secrets ([`SecretVault`]) over the identity store, on SQLite and on the machine's
//! PostgreSQL: values sealed per tenant scope, one DEK per scope even with two replicas
//! racing, KEK rotation by rewrapping.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use myc_crypto::MasterKey;
use myc_gateway::config::SecretsSettings;
use myc_gateway::store::{Error, SqlStore, Store, StoreLocation, StoreSettings};
use myc_gateway::vault::SecretVault;
use uuid::Uuid;

/// A store, a way to open a second replica on the same database, and its clean-up.
struct Fixture {
    store: SqlStore,
    url: String,
    dir: Option<std::path::PathBuf>,
    schema: Option<myc_testkit::db::PgSchema>,
}

impl Fixture {
    async fn sqlite() -> Self {
        let dir = myc_testkit::process::temp_dir("myc-vault");
        let file = dir.join("myc-gateway.sqlite3");
        let settings = StoreSettings {
            location: StoreLocation::Sqlite(file.clone()),
            max_connections: 4,
        };
        let store = SqlStore::open(&settings).await.unwrap();
        let url = format!("sqlite://{}", file.display());
        Self {
            store,
            url,
            dir: Some(dir),
            schema: None,
        }
    }

    async fn postgres() -> Self {
        let schema = myc_testkit::db::PgSchema::create().await;
        let store = SqlStore::connect(&schema.url, 4).await.unwrap();
        Self {
            store,
            url: schema.url.clone(),
            dir: None,
            schema: Some(schema),
        }
    }

    async fn reopen(&self) -> SqlStore {
        SqlStore::connect(&self.url, 4).await.unwrap()
    }

    async fn finish(self) {
        self.store.close().await;
        if let Some(dir) = self.dir {
            std::fs::remove_dir_all(dir).unwrap();
        }
        if let Some(schema) = self.schema {
            schema.drop_schema().await;
        }
    }
}

fn secrets(version: u32) -> SecretsSettings {
    SecretsSettings {
        master: Arc::new(
            MasterKey::from_text(
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            )
            .unwrap(),
        ),
        kek_version: version,
    }
}

async fn sealed_secrets_and_kek_rotation(f: &Fixture) {
    let vault = SecretVault::new(f.store.clone(), secrets(1));
    let tenant = Uuid::new_v4();
    vault.put(tenant, "webhook", b"s3cr3t-value").await.unwrap();
    vault.put(tenant, "bot/token", b"other").await.unwrap();
    assert_eq!(
        &*vault.get(tenant, "webhook").await.unwrap().unwrap(),
        b"s3cr3t-value"
    );
    assert!(vault.get(tenant, "missing").await.unwrap().is_none());
    assert!(matches!(
        vault.put(tenant, "bad name", b"x").await,
        Err(Error::Invalid(_))
    ));
    // One DEK for the scope, created on first use; the stored value is not the plaintext.
    assert_eq!(f.store.deks(Some(tenant)).await.unwrap().len(), 1);
    let stored = f
        .store
        .get_sealed(tenant, "webhook")
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.windows(12).any(|w| w == b"s3cr3t-value"));
    // A value moved to another name or scope does not open.
    f.store.put_sealed(tenant, "moved", &stored).await.unwrap();
    assert!(matches!(
        vault.get(tenant, "moved").await,
        Err(Error::Crypto(_))
    ));
    assert_eq!(
        f.store.sealed_names(tenant).await.unwrap(),
        ["bot/token", "moved", "webhook"]
    );
    assert!(f.store.delete_sealed(tenant, "moved").await.unwrap());
    assert!(!f.store.delete_sealed(tenant, "moved").await.unwrap());

    // Two replicas sealing for a new scope at once agree on one DEK.
    let replica = SecretVault::new(f.reopen().await, secrets(1));
    let fresh = Uuid::new_v4();
    let (a, b) = tokio::join!(vault.put(fresh, "a", b"A"), replica.put(fresh, "b", b"B"));
    a.unwrap();
    b.unwrap();
    assert_eq!(f.store.deks(Some(fresh)).await.unwrap().len(), 1);
    assert_eq!(&*vault.get(fresh, "b").await.unwrap().unwrap(), b"B");
    assert_eq!(&*replica.get(fresh, "a").await.unwrap().unwrap(), b"A");
    replica.store().close().await;

    // KEK rotation: dry run reports, the real run rewraps, values still open.
    let v2 = SecretVault::new(f.store.clone(), secrets(2));
    let dry = v2.rotate_kek(true).await.unwrap();
    assert_eq!((dry.total, dry.rewrapped, dry.already_current), (2, 2, 0));
    assert!(
        f.store
            .deks(None)
            .await
            .unwrap()
            .iter()
            .all(|d| d.wrapped.kek_version() == 1)
    );
    let done = v2.rotate_kek(false).await.unwrap();
    assert_eq!((done.rewrapped, done.conflicts), (2, 0));
    assert!(
        f.store
            .deks(None)
            .await
            .unwrap()
            .iter()
            .all(|d| d.wrapped.kek_version() == 2)
    );
    assert_eq!(
        &*v2.get(tenant, "webhook").await.unwrap().unwrap(),
        b"s3cr3t-value"
    );
    assert_eq!(v2.rotate_kek(false).await.unwrap().already_current, 2);
    // A gateway still on version 1 cannot unwrap what version 2 wraps.
    assert!(matches!(
        vault.get(tenant, "webhook").await,
        Err(Error::Crypto(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let fixture = Fixture::sqlite().await;
    sealed_secrets_and_kek_rotation(&fixture).await;
    fixture.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let fixture = Fixture::postgres().await;
    sealed_secrets_and_kek_rotation(&fixture).await;
    fixture.finish().await;
}
