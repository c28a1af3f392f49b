//! TOTP enrolments imported from an upstream Mycelium database (its `user.mfa` and system
//! tenant DEK, sealed the way upstream seals them) into both stores: the imported secret
//! completes logins with the codes the person's app shows; unverified enrolments arrive
//! pending; a wrong `tokenSecret` opens nothing; re-running keeps what is there.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use myc_directory::login::totp::{PERIOD, Totp, TotpError, code_at};
use myc_directory::login::upstream::{ImportError, Imported, UpstreamKeys, read_database};
use myc_directory::store::SqlStore;
use myc_testkit::upstream::{Format, User, totp_database};
use uuid::Uuid;

const TOKEN_SECRET: &str = "550e8400-e29b-41d4-a716-446655440000";

/// ann (v2, verified), bob (v1, verified), cid (v2, unverified), dee (disabled); the base32
/// texts are what the apps hold.
async fn upstream_database(url: &str) {
    let user = |email, secret, verified, format| User {
        email,
        secret,
        verified,
        format,
    };
    let users = [
        user(
            "Ann@Example.com",
            Some("JBSWY3DPEHPK3PXP"),
            true,
            Format::V2,
        ),
        user(
            "bob@example.com",
            Some("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            true,
            Format::V1,
        ),
        user(
            "cid@example.com",
            Some("MFRGGZDFMZTWQ2LK"),
            false,
            Format::V2,
        ),
        user("dee@example.com", None, false, Format::V2),
    ];
    totp_database(url, TOKEN_SECRET, &users).await;
}

fn step() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / PERIOD
}

async fn import(source: &str, store: SqlStore) {
    upstream_database(source).await;
    let export = read_database(source).await.unwrap();
    assert_eq!(export.users.len(), 4);
    assert!(export.system_dek.is_some());
    let master = Arc::new(myc_crypto::MasterKey::generate().unwrap());
    let totp = Totp::new(store.clone(), master, "Acme".into());

    // A wrong tokenSecret opens nothing and stores nothing.
    let wrong = UpstreamKeys::new(
        "00000000-0000-4000-8000-000000000001",
        export.system_dek.clone(),
    )
    .unwrap();
    let (email, mfa) = &export.users[0];
    assert!(matches!(
        totp.import_upstream(email, mfa, &wrong, false).await,
        Err(ImportError::Open(_))
    ));
    assert!(!totp.enabled("ann@example.com").await.unwrap());
    // Neither does a v2 value without the system DEK.
    let no_dek = UpstreamKeys::new(TOKEN_SECRET, None).unwrap();
    assert!(
        totp.import_upstream(email, mfa, &no_dek, false)
            .await
            .is_err()
    );
    assert!(matches!(
        UpstreamKeys::new("not a uuid", None),
        Err(ImportError::Open(_))
    ));

    let keys = UpstreamKeys::new(TOKEN_SECRET, export.system_dek.clone()).unwrap();
    let expected = [
        Imported::Added { active: true },
        Imported::Added { active: true },
        Imported::Added { active: false },
        Imported::NoFactor,
    ];
    // A dry run opens every secret, tells the same outcomes and writes nothing.
    for (n, (email, mfa)) in export.users.iter().enumerate() {
        let outcome = totp.import_upstream(email, mfa, &keys, true).await.unwrap();
        assert_eq!(outcome, expected[n]);
    }
    assert!(!totp.enabled("ann@example.com").await.unwrap());
    assert!(
        totp.import_upstream(email, mfa, &wrong, true)
            .await
            .is_err()
    );
    let mut outcomes = Vec::new();
    for (email, mfa) in &export.users {
        outcomes.push(
            totp.import_upstream(email, mfa, &keys, false)
                .await
                .unwrap(),
        );
    }
    assert_eq!(outcomes, expected);
    // The apps' codes complete logins (the e-mail is canonical now), once.
    let ann = b"Hello!\xde\xad\xbe\xef";
    let now = step();
    assert!(totp.enabled("ann@example.com").await.unwrap());
    totp.check("ann@example.com", &code_at(ann, now))
        .await
        .unwrap();
    assert!(matches!(
        totp.check("ann@example.com", &code_at(ann, now)).await,
        Err(TotpError::InvalidCode)
    ));
    totp.check("bob@example.com", &code_at(b"12345678901234567890", step()))
        .await
        .unwrap();
    // cid confirms with a first code before it counts.
    assert!(!totp.enabled("cid@example.com").await.unwrap());
    totp.finish("cid@example.com", &code_at(b"abcdefghij", step()))
        .await
        .unwrap();
    assert!(totp.enabled("cid@example.com").await.unwrap());
    assert!(!totp.enabled("dee@example.com").await.unwrap());

    // Re-running keeps what is there (ann's used step is not reset); so says a dry run.
    let (email, mfa) = &export.users[0];
    assert_eq!(
        totp.import_upstream(email, mfa, &keys, true).await.unwrap(),
        Imported::Kept
    );
    assert_eq!(
        totp.import_upstream(email, mfa, &keys, false)
            .await
            .unwrap(),
        Imported::Kept
    );
    assert!(
        totp.check("ann@example.com", &code_at(ann, now))
            .await
            .is_err()
    );
    // Not upstream's JSON, or too long: typed refusals.
    assert!(matches!(
        totp.import_upstream("eve@example.com", "{\"totp\": 3}", &keys, false)
            .await,
        Err(ImportError::Mfa(_))
    ));
    let long = format!("{{\"x\": \"{}\"}}", "a".repeat(20_000));
    assert!(matches!(
        totp.import_upstream("eve@example.com", &long, &keys, false)
            .await,
        Err(ImportError::Mfa(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_upstream_sqlite_into_sqlite() {
    let dir = std::env::temp_dir().join(format!("myc-up-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = format!(
        "sqlite://{}?mode=rwc",
        dir.join("upstream.sqlite3").display()
    );
    let settings = myc_directory::store::StoreSettings {
        location: myc_directory::store::StoreLocation::Sqlite(dir.join("db.sqlite3")),
        max_connections: 4,
    };
    import(&source, SqlStore::open(&settings).await.unwrap()).await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_upstream_postgres_into_postgres() {
    let upstream = myc_testkit::db::PgSchema::create().await;
    let ours = myc_testkit::db::PgSchema::create().await;
    import(
        &upstream.url,
        SqlStore::connect(&ours.url, 4).await.unwrap(),
    )
    .await;
    upstream.drop_schema().await;
    ours.drop_schema().await;
}
