//! Outbound webhooks end to end, on SQLite and PostgreSQL: registered over the admin API,
//! fired by the use cases, delivered by a real dispatcher to a real receiver that fails the
//! first attempts — across a restart (a new dispatcher on a new connection) — with the
//! Standard Webhooks signature and the webhook's credential checked by the receiver; given up
//! after the last attempt and listed; TLS receivers reached only when trusted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use common::{Fixture, Who, rpc};
use myc_directory::store::SqlStore;
use myc_directory::webhooks::dispatch::{DispatchSettings, Dispatcher};
use myc_directory::webhooks::sign;
use serde_json::{Value, json};

/// What the receiver saw: headers of interest and the body.
#[derive(Clone, Debug)]
struct Seen {
    id: String,
    timestamp: i64,
    signature: String,
    authorization: Option<String>,
    body: Vec<u8>,
}

#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Attempts answered 500 before a 200 (`u32::MAX`: always).
    fail_first: u32,
}

async fn receive(State(r): State<Receiver>, request: Request) -> http::StatusCode {
    let (parts, body) = request.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec();
    let seen = Seen {
        id: header("webhook-id").unwrap_or_default(),
        timestamp: header("webhook-timestamp")
            .unwrap_or_default()
            .parse()
            .unwrap_or(0),
        signature: header("webhook-signature").unwrap_or_default(),
        authorization: header("authorization"),
        body,
    };
    let count = {
        let mut all = r.seen.lock().unwrap();
        all.push(seen);
        all.len() as u32
    };
    if count <= r.fail_first {
        http::StatusCode::INTERNAL_SERVER_ERROR
    } else {
        http::StatusCode::OK
    }
}

async fn receiver(fail_first: u32, tls: bool) -> (String, Receiver) {
    let r = Receiver {
        seen: Arc::default(),
        fail_first,
    };
    let app = axum::Router::new()
        .route("/hook", axum::routing::any(receive))
        .with_state(r.clone());
    let url = if tls {
        format!(
            "https://localhost:{}/hook",
            myc_testkit::tls::serve(app).await.port()
        )
    } else {
        format!("http://{}/hook", myc_testkit::http::serve(app).await)
    };
    (url, r)
}

fn settings(max_attempts: u32) -> DispatchSettings {
    DispatchSettings {
        interval: Duration::from_millis(50),
        batch: 10,
        max_attempts,
        retry_base: Duration::ZERO,
        timeout: Duration::from_secs(5),
        ..DispatchSettings::default()
    }
}

async fn ok(f: &Fixture, who: Who, method: &str, params: Value) -> Value {
    let answer = rpc(f, who, method, params).await;
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}

async fn deliveries_survive_failures_and_restarts(f: &Fixture) {
    let (url, seen) = receiver(2, false).await;
    let hook = ok(
        f,
        Who::Staff,
        "systemManager.webhooks.create",
        json!({
            "name": "billing", "url": url, "trigger": "subscriptionAccount.created",
            "secret": { "authorizationHeader": { "prefix": "Bearer", "token": "rcv-token" } },
        }),
    )
    .await;
    let secret = hook["signingSecret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(hook["hasSecret"], true);
    // Listing never shows either secret.
    let listed = ok(f, Who::Staff, "systemManager.webhooks.list", json!({})).await;
    assert!(!listed.to_string().contains(&secret) && !listed.to_string().contains("rcv-token"));
    let account = ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.accounts.createSubscriptionAccount",
        json!({ "tenantId": f.initech, "name": "Webhooked" }),
    )
    .await;
    // First process: one failed attempt, then it stops.
    let first =
        Dispatcher::new(f.store.clone(), Some(f.webhook_keys.clone()), settings(5)).unwrap();
    assert_eq!(first.tick().await.unwrap(), 1);
    drop(first);
    // A restarted process on its own connection finishes the job.
    let store = SqlStore::connect(&f.url, 2).await.unwrap();
    let second = Dispatcher::new(store, Some(f.webhook_keys.clone()), settings(5)).unwrap();
    assert_eq!(second.tick().await.unwrap(), 1);
    assert_eq!(second.tick().await.unwrap(), 1);
    assert_eq!(
        second.tick().await.unwrap(),
        0,
        "nothing left once delivered"
    );
    let seen = seen.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(
        seen.iter().all(|s| s.id == seen[0].id),
        "one idempotence key for all attempts"
    );
    for s in &seen {
        assert!(
            sign::verify(&secret, &s.id, s.timestamp, &s.body, &s.signature),
            "{s:?}"
        );
        assert!(!sign::verify(
            "whsec_AAAAAAAA",
            &s.id,
            s.timestamp,
            &s.body,
            &s.signature
        ));
        assert_eq!(s.authorization.as_deref(), Some("Bearer rcv-token"));
    }
    let body: Value = serde_json::from_slice(&seen[2].body).unwrap();
    assert_eq!(body["event"], "subscriptionAccount.created");
    assert_eq!(body["id"], seen[2].id.as_str());
    assert_eq!(body["payload"]["accountId"], account["id"]);
    assert_eq!(body["payload"]["tenantId"], f.initech.to_string());
    let listed = ok(
        f,
        Who::Staff,
        "systemManager.webhooks.listDeliveries",
        json!({ "status": "delivered" }),
    )
    .await;
    assert_eq!(listed[0]["attempts"], 3, "{listed}");
    // Propagating the account again owes the receiver one more delivery.
    let propagated = ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.accounts.propagateSubscriptionAccount",
        json!({ "tenantId": f.initech, "accountId": account["id"] }),
    )
    .await;
    assert_eq!(propagated["deliveries"], 1);
    assert_eq!(second.tick().await.unwrap(), 1);
}

async fn given_up_deliveries_are_kept(f: &Fixture) {
    let (url, seen) = receiver(u32::MAX, false).await;
    let hook = ok(
        f,
        Who::Staff,
        "systemManager.webhooks.create",
        json!({ "name": "down", "url": url, "trigger": "userAccount.updated" }),
    )
    .await;
    ok(
        f,
        Who::User,
        "beginners.accounts.updateName",
        json!({ "accountId": f.account_of(Who::User).await, "name": "Renamed" }),
    )
    .await;
    let dispatcher = Dispatcher::new(f.store.clone(), None, settings(2)).unwrap();
    assert_eq!(dispatcher.tick().await.unwrap(), 1);
    assert_eq!(dispatcher.tick().await.unwrap(), 1);
    assert_eq!(
        dispatcher.tick().await.unwrap(),
        0,
        "given up after two attempts"
    );
    assert_eq!(seen.seen.lock().unwrap().len(), 2);
    // Unsigned without keys (this dispatcher has none).
    assert!(seen.seen.lock().unwrap()[0].signature.is_empty());
    let failed = ok(
        f,
        Who::Staff,
        "systemManager.webhooks.listDeliveries",
        json!({ "webhookId": hook["id"], "status": "failed" }),
    )
    .await;
    assert_eq!(failed[0]["attempts"], 2, "{failed}");
    assert!(
        failed[0]["lastError"].as_str().unwrap().contains("500"),
        "{failed}"
    );
    // An inactive webhook is owed nothing new.
    ok(
        f,
        Who::Staff,
        "systemManager.webhooks.update",
        json!({ "webhookId": hook["id"], "isActive": false }),
    )
    .await;
    ok(
        f,
        Who::User,
        "beginners.accounts.updateName",
        json!({ "accountId": f.account_of(Who::User).await, "name": "Again" }),
    )
    .await;
    assert_eq!(dispatcher.tick().await.unwrap(), 0);
    // Bad registrations are refused.
    for bad in [
        json!({ "name": "x", "url": "ftp://x", "trigger": "userAccount.updated" }),
        json!({ "name": "x", "url": "http://x", "trigger": "account.exploded" }),
        json!({ "name": "x", "url": "http://x", "trigger": "userAccount.updated", "method": "GET" }),
    ] {
        let answer = rpc(f, Who::Staff, "systemManager.webhooks.create", bad).await;
        assert_eq!(answer["error"]["code"], -32602, "{answer}");
    }
}

async fn tls_receivers_are_reached_only_when_trusted(f: &Fixture) {
    let (url, seen) = receiver(0, true).await;
    ok(
        f,
        Who::Staff,
        "systemManager.webhooks.create",
        json!({ "name": "tls", "url": url, "trigger": "userAccount.created" }),
    )
    .await;
    // A newcomer creates its account: the event fires.
    let response = reqwest::Client::new()
        .post(format!("{}/_adm/beginners/accounts", f.base))
        .bearer_auth(common::jwt("tess@newcomer.test"))
        .json(&json!({ "name": "Tess" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let strict = Dispatcher::new(f.store.clone(), None, settings(3)).unwrap();
    assert_eq!(strict.tick().await.unwrap(), 1);
    assert!(
        seen.seen.lock().unwrap().is_empty(),
        "an untrusted certificate is refused"
    );
    let trusting = DispatchSettings {
        extra_roots: vec![myc_testkit::tls::CA_PEM.to_vec()],
        ..settings(3)
    };
    let with_ca = Dispatcher::new(f.store.clone(), None, trusting).unwrap();
    assert_eq!(with_ca.tick().await.unwrap(), 1);
    assert_eq!(seen.seen.lock().unwrap().len(), 1);
    let body: Value = serde_json::from_slice(&seen.seen.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["payload"]["email"], "tess@newcomer.test");
}

async fn accept_invalid_certificates_is_explicit(f: &Fixture) {
    let (url, seen) = receiver(0, true).await;
    ok(
        f,
        Who::Staff,
        "systemManager.webhooks.create",
        json!({ "name": "dev", "url": url, "trigger": "subscriptionAccount.deleted" }),
    )
    .await;
    let account = f
        .store
        .create_subscription_account(f.initech, "Doomed")
        .await
        .unwrap();
    ok(
        f,
        Who::TenantManager,
        "tenantManager.accounts.deleteSubscriptionAccount",
        json!({ "tenantId": f.initech, "accountId": account.id }),
    )
    .await;
    let dev = DispatchSettings {
        accept_invalid_certificates: true,
        ..settings(3)
    };
    let dispatcher = Dispatcher::new(f.store.clone(), None, dev).unwrap();
    assert_eq!(dispatcher.tick().await.unwrap(), 1);
    let body: Value = serde_json::from_slice(&seen.seen.lock().unwrap()[0].body).unwrap();
    assert_eq!(body["event"], "subscriptionAccount.deleted");
    assert_eq!(body["payload"]["accountId"], account.id.to_string());
}

async fn guest_events_reach_their_webhooks(f: &Fixture) {
    let (invited_url, invited) = receiver(0, false).await;
    let (revoked_url, revoked) = receiver(0, false).await;
    for (url, trigger) in [
        (&invited_url, "guestAccount.invited"),
        (&revoked_url, "guestAccount.revoked"),
    ] {
        ok(
            f,
            Who::Staff,
            "systemManager.webhooks.create",
            json!({ "name": trigger, "url": url, "trigger": trigger }),
        )
        .await;
    }
    let guest = json!({ "tenantId": f.initech, "accountId": f.ops, "roleId": f.reader, "email": "Gail@Initech.test" });
    ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.guests.guestUserToSubscriptionAccount",
        guest.clone(),
    )
    .await;
    ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount",
        guest,
    )
    .await;
    let dispatcher = Dispatcher::new(f.store.clone(), None, settings(3)).unwrap();
    assert_eq!(dispatcher.tick().await.unwrap(), 2);
    for (seen, event) in [
        (invited, "guestAccount.invited"),
        (revoked, "guestAccount.revoked"),
    ] {
        let body: Value = serde_json::from_slice(&seen.seen.lock().unwrap()[0].body).unwrap();
        assert_eq!(body["event"], event);
        assert_eq!(body["payload"]["email"], "gail@initech.test", "{body}");
        assert_eq!(body["payload"]["roleId"], f.reader.to_string());
    }
}

common::on_both_stores!(
    deliveries_survive_failures_and_restarts,
    given_up_deliveries_are_kept,
    tls_receivers_are_reached_only_when_trusted,
    accept_invalid_certificates_is_explicit,
    guest_events_reach_their_webhooks,
);
