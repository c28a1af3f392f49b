//! The credential issuer over real HTTP (127.0.0.1) and NATS request/reply: the issued JWT
//! connects to a real nats-server, bad tokens and keys are refused, and the token is never logged.
#![cfg(feature = "issuer")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::ConnectOptions;
use common::*;
use myc_natsauth::issuer::{IssueRequest, IssueResponse, Issuer};
use myc_natsauth::{KeyKind, Nkey};
use myc_testkit::nats::{self, ServerKind};

const TOKEN: &str = "node-token-do-not-log";

const FLEET: MetricsNodes = MetricsNodes {
    node_id: "node-1",
    token: TOKEN,
    ttl: Duration::from_secs(60),
};

/// Captured log output.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn node_options(jwt: String, node: Arc<Nkey>) -> ConnectOptions {
    ConnectOptions::with_jwt(jwt, move |nonce| {
        let node = node.clone();
        async move {
            node.sign(&nonce)
                .map_err(|e| async_nats::AuthError::new(e.to_string()))
        }
    })
    .connection_timeout(Duration::from_secs(3))
}

#[tokio::test]
async fn issues_over_http_and_nats_and_never_logs_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let signing = Nkey::generate(KeyKind::Account).unwrap();
    let signing_pub = signing.public_key();
    let mut site = Site::new();
    let agent = site.account("AGENT", |c| {
        c.nats
            .signing_keys
            .push(myc_natsauth::claims::SigningKey::Plain(signing_pub.clone()))
    });
    let server = site.start(ServerKind::Modern, &nats::modern_binary());
    let issuer =
        Arc::new(Issuer::new(FLEET, site.key(agent).public_key(), signing, server.url()).unwrap());

    // HTTP on a real socket.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, issuer.clone().router()).into_future());
    let http = reqwest::Client::new();
    let url = format!("http://{addr}/v1/nats/credentials");
    let node = Arc::new(Nkey::generate(KeyKind::User).unwrap());
    let request = |token: &str, key: &str| IssueRequest {
        node_id: "node-1".into(),
        node_token: token.into(),
        nats_public_key: key.into(),
    };

    let ok = http
        .post(&url)
        .json(&request(TOKEN, &node.public_key()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let issued: IssueResponse = ok.json().await.unwrap();
    assert_eq!(issued.account, site.key(agent).public_key());
    assert!(issued.expires_at > myc_natsauth::jwt::now());
    let client = node_options(issued.user_jwt.clone(), node.clone())
        .connect(&issued.nats_url)
        .await
        .unwrap();
    let watcher = connect(&server, &user_creds(site.key(agent), None, |_| {}))
        .await
        .unwrap();
    let mut metrics = watcher.subscribe("metrics.>").await.unwrap();
    await_interest(&client, &mut metrics, "metrics.probe").await;

    let bad_token = http
        .post(&url)
        .json(&request("wrong", &node.public_key()))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_token.status(), 401);
    let account_key = Nkey::generate(KeyKind::Account).unwrap().public_key();
    let bad_key = http
        .post(&url)
        .json(&request(TOKEN, &account_key))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), 400);
    let garbage = http
        .post(&url)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert!(garbage.status().is_client_error());

    // NATS request/reply, by an issuer user of the account.
    let responder = connect(&server, &user_creds(site.key(agent), None, |_| {}))
        .await
        .unwrap();
    tokio::spawn(issuer.clone().serve_nats(
        responder,
        "creds.issue".into(),
        Some("issuers".into()),
    ));
    let asker = connect(&server, &user_creds(site.key(agent), None, |_| {}))
        .await
        .unwrap();
    let body = serde_json::to_vec(&request(TOKEN, &node.public_key())).unwrap();
    let reply = loop {
        match asker.request("creds.issue", body.clone().into()).await {
            Ok(reply) => break reply,
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    };
    let over_nats: IssueResponse = serde_json::from_slice(&reply.payload).unwrap();
    assert!(
        node_options(over_nats.user_jwt, node.clone())
            .connect(server.url())
            .await
            .is_ok()
    );
    let refused = asker
        .request(
            "creds.issue",
            serde_json::to_vec(&request("nope", &node.public_key()))
                .unwrap()
                .into(),
        )
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&refused.payload).contains("authentication failed"));

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("issued NATS credentials") && log.contains("node-1"),
        "{log}"
    );
    assert!(!log.contains(TOKEN), "the node token must never be logged");
}
