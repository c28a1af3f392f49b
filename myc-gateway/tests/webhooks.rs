//! Outbound webhooks through the running gateway: `[core.webhook]` and `[gateway.secrets]`
//! configure the dispatcher; a webhook registered over the admin API receives the signed
//! delivery of an account created over the admin API, after a failed first attempt.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

const MASTER: &str = "2f0c6a3c9d4e2b1a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a09080";

type Seen = Arc<Mutex<Vec<(http::HeaderMap, Vec<u8>)>>>;

async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post({
            let seen = seen.clone();
            move |headers: http::HeaderMap, body: axum::body::Bytes| async move {
                let first = {
                    let mut all = seen.lock().unwrap();
                    all.push((headers, body.to_vec()));
                    all.len() == 1
                };
                if first {
                    http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let addr = myc_testkit::http::serve(app).await;
    (format!("http://{addr}/hook"), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_events_reach_a_registered_webhook() {
    let dir = common::temp_dir("myc-gw-webhooks");
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            r#"
[core.webhook]
consumeIntervalInSecs = 1
maxAttempts = 3

[core.accountLifeCycle]
domainName = "ignored"

[gateway.secrets]
master_key = "{MASTER}"

[gateway.auth.internal]
issuer = "mycelium"
audiences = ["mycelium"]
keys = [{{ kid = "v1", alg = "HS256", secret = {{ env = "TEST_JWT_SECRET" }} }}]

[api.services]
"#
        ),
    )
    .unwrap();
    let env = [(
        "TEST_JWT_SECRET",
        "webhook-test-secret-of-at-least-32-bytes",
    )];
    common::admin(
        &dir,
        &env,
        &[
            "accounts",
            "create-seed-account",
            "--email",
            "ops@example.com",
        ],
    );
    let (_gateway, base) = common::serve(&dir, &env, std::process::Stdio::null());
    let token = common::admin(
        &dir,
        &env,
        &["tokens", "mint", "--email", "ops@example.com"],
    );
    let rpc = |method: &str, params: Value| {
        let request = reqwest::Client::new()
            .post(format!("{base}/_adm/rpc"))
            .bearer_auth(&token)
            .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let (url, seen) = receiver().await;
    let hook = rpc(
        "systemManager.webhooks.create",
        json!({ "name": "crm", "url": url, "trigger": "subscriptionAccount.created" }),
    )
    .await;
    let secret = hook["result"]["signingSecret"]
        .as_str()
        .unwrap_or_else(|| panic!("{hook}"))
        .to_owned();
    let tenant = rpc("managers.tenants.create", json!({ "name": "Initech" })).await;
    let tenant = tenant["result"]["id"].clone();
    let account = rpc(
        "subscriptionsManager.accounts.createSubscriptionAccount",
        json!({ "tenantId": tenant, "name": "Ops" }),
    )
    .await;
    // The dispatcher polls every second: the failed first attempt, then the retry.
    let mut waited = Duration::ZERO;
    while seen.lock().unwrap().len() < 2 {
        assert!(
            waited < Duration::from_secs(60),
            "no second delivery attempt"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
        waited += Duration::from_millis(200);
    }
    let (headers, body) = seen.lock().unwrap()[1].clone();
    let header = |name: &str| headers.get(name).unwrap().to_str().unwrap().to_owned();
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
    assert!(myc_directory::webhooks::sign::verify(
        &secret,
        &header("webhook-id"),
        timestamp,
        &body,
        &header("webhook-signature"),
    ));
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["payload"]["accountId"], account["result"]["id"]);
    let delivered = rpc(
        "systemManager.webhooks.listDeliveries",
        json!({ "status": "delivered" }),
    )
    .await;
    assert_eq!(delivered["result"][0]["attempts"], 2, "{delivered}");
    std::fs::remove_dir_all(dir).unwrap();
}
