//! JetStream through the permission presets and account limits, on nats-server 2.15.1
//! (async-nats 0.51's KV API cannot talk to 2.9.x; see NATS-NOTES §12).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use async_nats::jetstream::{self, stream};
use common::*;
use myc_natsauth::claims::{Account, Claims, JetStreamLimits};
use myc_natsauth::{permissions, validate};
use myc_testkit::nats::{self, ServerKind};

fn harmony_site(limits: impl FnOnce(&mut Claims<Account>)) -> (Site, usize) {
    let mut site = Site::new();
    let harmony = site.account("HARMONY", limits);
    (site, harmony)
}

#[tokio::test]
async fn kv_bucket_through_preset_permissions() {
    let (site, harmony) = harmony_site(|c| c.nats.limits.jetstream = JetStreamLimits::unlimited());
    let server = site
        .start_with(ServerKind::Modern, &nats::modern_binary(), |config, dir| {
            config.jetstream(dir.join("js"))
        })
        .unwrap();
    let agent_creds = user_creds(site.key(harmony), None, |c| {
        permissions::kv_read("agents", permissions::INBOX)
            .and(permissions::kv_write("agents"))
            .and(permissions::kv_watch("agents"))
            .apply(&mut c.nats.limits);
    });
    let admin_creds = user_creds(site.key(harmony), None, |_| {});
    kv_agent_is_confined(&server, &admin_creds, &agent_creds).await;
}

async fn second_stream_is_refused(
    server: &myc_testkit::nats::NatsServer,
    creds_text: &str,
    replicas: Option<usize>,
) {
    let client = connect(server, creds_text).await.unwrap();
    let js = jetstream::new(client);
    let config = |name: &str| stream::Config {
        name: name.into(),
        subjects: vec![format!("{}.>", name.to_lowercase())],
        num_replicas: replicas.unwrap_or(1),
        ..Default::default()
    };
    js.create_stream(config("S1")).await.unwrap();
    assert!(
        js.create_stream(config("S2")).await.is_err(),
        "the stream limit must refuse a second stream"
    );
}

#[tokio::test]
async fn jetstream_flat_and_tiered_account_limits() {
    let limited = JetStreamLimits {
        streams: 1,
        ..JetStreamLimits::unlimited()
    };
    for tiered in [false, true] {
        let (site, app) = harmony_site(|c| {
            if tiered {
                c.nats
                    .limits
                    .tiered_limits
                    .insert("R1".into(), limited.clone());
            } else {
                c.nats.limits.jetstream = limited.clone();
            }
        });
        let account = Claims::<Account>::decode(&site.accounts[app].1).unwrap();
        assert!(validate::account(&account, None).is_ok());
        let server = site
            .start_with(ServerKind::Modern, &nats::modern_binary(), |config, dir| {
                config.jetstream(dir.join("js"))
            })
            .unwrap();
        second_stream_is_refused(&server, &user_creds(site.key(app), None, |_| {}), Some(1)).await;
    }
}

#[test]
fn jetstream_on_the_system_account_is_rejected_by_validation_and_by_the_server() {
    let mut site = Site::new();
    let mut sys = Claims::<Account>::decode(&site.system.1).unwrap();
    sys.nats.limits.jetstream = JetStreamLimits::unlimited();
    let report = validate::account(&sys, Some(&site.system.0.public_key()));
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == "account.system-jetstream"),
        "{report:?}"
    );
    site.system.1 = sys.encode(&site.operator).unwrap();
    let started = site.start_with(ServerKind::Modern, &nats::modern_binary(), |config, dir| {
        config.jetstream(dir.join("js"))
    });
    assert!(
        started.is_err(),
        "nats-server must refuse JetStream on the system account"
    );
}
