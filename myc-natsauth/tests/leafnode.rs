//! Leaf nodes: a claim update pushed at the hub reaches a leaf through a remote bound to the
//! system account (NATS-NOTES §6), so a user revoked at the hub is disconnected at the leaf.
//! Also queue-group subscribe permissions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use async_nats::ConnectOptions;
use common::*;
use myc_natsauth::claims::{Account, Claims, User};
use myc_natsauth::server_config::LeafRemote;
use myc_natsauth::{KeyKind, Nkey, creds, jwt};
use myc_testkit::nats::{self, NatsServer, free_port};

#[tokio::test]
async fn revocation_at_the_hub_reaches_the_leaf_through_the_sys_remote() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let leaf_port = free_port().unwrap();
        let hub = site
            .start_with(kind, &binary, |mut config, _| {
                config.leafnode_listen = Some(format!("127.0.0.1:{leaf_port}"));
                config
            })
            .unwrap();

        let sys_creds = user_creds(&site.system.0, None, |_| {});
        let app_creds = user_creds(site.key(app), None, |_| {});
        let leaf = site
            .start_with(kind, &binary, |mut config, dir| {
                let (sys_path, app_path) = (dir.join("sys.creds"), dir.join("app.creds"));
                std::fs::write(&sys_path, &sys_creds).unwrap();
                std::fs::write(&app_path, &app_creds).unwrap();
                let url = format!("nats-leaf://127.0.0.1:{leaf_port}");
                config.leafnode_remotes = vec![
                    LeafRemote {
                        url: url.clone(),
                        credentials: sys_path,
                        account: site.system.0.public_key(),
                    },
                    LeafRemote {
                        url,
                        credentials: app_path,
                        account: site.key(app).public_key(),
                    },
                ];
                config
            })
            .unwrap();
        await_leaf_connections(&hub, 2).await;

        // A user connected at the leaf.
        let victim = Nkey::generate(KeyKind::User).unwrap();
        let token = Claims::new(victim.public_key(), "victim", User::default())
            .encode(site.key(app))
            .unwrap();
        let victim_creds = creds::format(&token, &victim.seed().unwrap()).to_string();
        let (tx, mut events) = tokio::sync::mpsc::unbounded_channel();
        let _victim = ConnectOptions::with_credentials(&victim_creds)
            .unwrap()
            .event_callback(move |e| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(e.to_string());
                }
            })
            .connect(leaf.url())
            .await
            .unwrap();

        // Revoke at the hub.
        let mut account = Claims::<Account>::decode(&site.accounts[app].1).unwrap();
        account.nats.revoke(victim.public_key(), jwt::now() + 1);
        let updated = account.encode(&site.operator).unwrap();
        let sys = connect(&hub, &sys_creds).await.unwrap();
        let subject = format!(
            "$SYS.REQ.ACCOUNT.{}.CLAIMS.UPDATE",
            site.key(app).public_key()
        );
        sys.request(subject, updated.into()).await.unwrap();

        let disconnected = tokio::time::timeout(Duration::from_secs(6), async {
            while let Some(e) = events.recv().await {
                if e.contains("disconnected") || e.to_lowercase().contains("revoked") {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(
            matches!(disconnected, Ok(true)),
            "{kind:?}: the leaf must drop the user revoked at the hub"
        );
        assert!(
            connect(&leaf, &victim_creds).await.is_err(),
            "{kind:?}: and refuse it afterwards"
        );
    }
}

async fn await_leaf_connections(hub: &NatsServer, n: usize) {
    for _ in 0..200 {
        if hub.log().matches("Leafnode connection created").count() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("leaf nodes did not connect:\n{}", hub.log());
}

#[tokio::test]
async fn queue_group_subscribe_permissions() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let server = site.start(kind, &binary);
        let worker = user_creds(site.key(app), None, |c| {
            c.nats.limits.permissions.subscribe.allow = vec!["jobs.* workers".into()];
        });
        let publisher = connect(&server, &user_creds(site.key(app), None, |_| {}))
            .await
            .unwrap();

        let allowed = connect(&server, &worker).await.unwrap();
        let mut jobs = allowed
            .queue_subscribe("jobs.a", "workers".into())
            .await
            .unwrap();
        await_interest(&publisher, &mut jobs, "jobs.a").await;
        publisher.publish("jobs.a", "work".into()).await.unwrap();
        publisher.flush().await.unwrap();
        assert_eq!(
            receives(&mut jobs, 2000).await.as_deref(),
            Some("work"),
            "{kind:?}"
        );

        // Another queue, or no queue, is refused (each on its own connection; see server.rs).
        for queue in [Some("others"), None] {
            let client = connect(&server, &worker).await.unwrap();
            let _sub = match queue {
                Some(q) => client.queue_subscribe("jobs.b", q.into()).await.unwrap(),
                None => client.subscribe("jobs.b").await.unwrap(),
            };
            client.flush().await.unwrap();
        }
        let mut violations = 0;
        for _ in 0..100 {
            violations = server.log().matches("Subscription Violation").count();
            if violations >= 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            violations >= 2,
            "{kind:?}: both refused ({violations})\n{}",
            server.log()
        );
    }
}
