//! Profile resolution of a user guested into 50 subscription accounts (50 tenants), on the
//! machine's PostgreSQL: statements per resolution (counted from sqlx's own statement log,
//! not from our code) and the time of one resolution against one `SELECT 1` round trip on the
//! same pool, in the same run. Run: `cargo bench -p myc-directory --bench profile`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use myc_directory::store::{NewAccount, SqlStore, Store};
use myc_profile::{LicensedResources, Permission};
use tracing_subscriber::layer::SubscriberExt;

/// Counts sqlx's per-statement log events.
struct Statements(Arc<AtomicU64>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn seed(store: &SqlStore) {
    store
        .create_account(NewAccount::user("pat@bench.test"))
        .await
        .unwrap();
    let role = store
        .create_guest_role("editor", "Editor", Permission::Write)
        .await
        .unwrap();
    for i in 0..50 {
        let tenant = store
            .create_tenant(&format!("T{i:02}"), None, None)
            .await
            .unwrap();
        let account = store
            .create_subscription_account(tenant.id, &format!("S{i:02}"))
            .await
            .unwrap();
        store
            .invite_guest(account.id, "pat@bench.test", role.id)
            .await
            .unwrap();
        store
            .accept_invitation(account.id, "pat@bench.test", role.id)
            .await
            .unwrap();
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let statements = Arc::new(AtomicU64::new(0));
    let filter = tracing_subscriber::EnvFilter::new("sqlx::query=trace");
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(Statements(statements.clone()));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let schema = myc_testkit::db::PgSchema::create().await;
        let store = SqlStore::connect(&schema.url, 1).await.unwrap();
        seed(&store).await;
        let n = 500u32;
        // Warm up (connection, plans).
        for _ in 0..20 {
            store.profile("pat@bench.test", None).await.unwrap();
            store.ping().await.unwrap();
        }
        let before = statements.load(Ordering::Relaxed);
        let started = Instant::now();
        for _ in 0..n {
            let profile = store
                .profile("pat@bench.test", None)
                .await
                .unwrap()
                .unwrap();
            let Some(LicensedResources::Records(records)) = profile.licensed_resources else {
                panic!("no licences");
            };
            assert_eq!(records.len(), 50);
        }
        let resolve = started.elapsed().as_secs_f64() / f64::from(n);
        let per_resolution = (statements.load(Ordering::Relaxed) - before) as f64 / f64::from(n);
        let started = Instant::now();
        for _ in 0..n {
            store.ping().await.unwrap();
        }
        let round_trip = started.elapsed().as_secs_f64() / f64::from(n);
        println!("profile resolution, PostgreSQL, a user guested into 50 subscription accounts");
        println!("statements per resolution: {per_resolution:.2} (sqlx statement log)");
        println!(
            "resolution: {:.0} us; SELECT 1 round trip: {:.0} us; ratio {:.2}x",
            resolve * 1e6,
            round_trip * 1e6,
            resolve / round_trip
        );
        store.close().await;
        schema.drop_schema().await;
    });
}
