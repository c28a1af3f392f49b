//! The NATS credential issuer mounted in the gateway, end to end: nodes registered with
//! `myc-gateway nodes add` (token hash in the store), `myc-gateway serve` with `[nats.issuer]`,
//! an agent using myc-natsauth's self-renewing client against the gateway, connecting to a real
//! nats-server 2.15 in operator mode and publishing across several JWT expiries; wrong and
//! revoked tokens are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::StreamExt;
use myc_gateway::nats::renewing::IssuerClient;
use myc_natsauth::client::{
    ClientConfig, CredentialSource, HttpIssuer, NodeIdentity, RenewingCredentials, SourceError,
};
use myc_natsauth::spec::Spec;
use myc_natsauth::{KeyKind, Nkey};
use myc_testkit::nats::TempDir;

const SPEC: &str = r#"
[operator]
name = "OP"
signing_keys = 1

[[accounts]]
name = "AGENT"

[[accounts.users]]
name = "collector"
sub_allow = ["metrics.>"]
"#;

const TTL_SECS: u64 = 5;

fn gateway(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(args)
        .arg("--config")
        .arg(dir.join("gateway.toml"))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn refused(url: &str, node_id: &str, token: &str) -> u16 {
    let key = Nkey::generate(KeyKind::User).unwrap().public_key();
    reqwest::Client::new()
        .post(url)
        .json(&serde_json::json!({"node_id": node_id, "node_token": token, "nats_public_key": key}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_agents_get_renewed_credentials_from_the_gateway() {
    let dir = TempDir::new("myc-gateway-issuer").unwrap();
    let (site_dir, server) = common::site(dir.path(), &Spec::parse(SPEC).unwrap());
    let account = common::account_key(&site_dir, "AGENT");
    std::fs::write(
        dir.path().join("gateway.toml"),
        format!(
            r#"
[nats]
servers = ["{}"]

[nats.issuer]
account = "{account}"
signing_key = {{ file = "seeds/accounts/AGENT-signing-1.nk" }}

[api.services]
"#,
            server.url()
        ),
    )
    .unwrap();

    let (code, token, err) = gateway(
        dir.path(),
        &[
            "nodes",
            "add",
            "--id",
            "agent-1",
            "--pub-allow",
            "metrics.agent-1.>",
            "--ttl",
            &TTL_SECS.to_string(),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let token = token.trim().to_owned();
    let (code, _, err) = gateway(
        dir.path(),
        &["nodes", "add", "--id", "agent-1", "--pub-allow", "x"],
    );
    assert_eq!(code, Some(1));
    assert!(err.contains("already exists"), "{err}");
    let (code, token2, _) = gateway(
        dir.path(),
        &["nodes", "add", "--id", "agent-2", "--pub-allow", "x"],
    );
    assert_eq!(code, Some(0));
    let (_, listed, _) = gateway(dir.path(), &["nodes", "list"]);
    assert!(
        listed.contains("agent-1\tmetrics.agent-1.>\t\t5\t"),
        "{listed}"
    );
    assert!(!listed.contains(&token), "tokens are never listed");

    let child = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(dir.path().join("gateway.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = common::Kill(child);
    let base = common::listening(&mut child);
    let url = format!("{base}/v1/nats/credentials");

    // Wrong token, unknown node: 401. A revoked node: 401 from then on.
    assert_eq!(refused(&url, "agent-1", "not-the-token").await, 401);
    assert_eq!(refused(&url, "ghost", &token).await, 401);
    gateway(dir.path(), &["nodes", "revoke", "--id", "agent-2"]);
    assert_eq!(refused(&url, "agent-2", token2.trim()).await, 401);

    // The collector (a spec user of the same account) counts what the agent publishes.
    let collector = async_nats::ConnectOptions::with_credentials_file(
        site_dir.join("creds/AGENT/collector.creds"),
    )
    .await
    .unwrap()
    .connect(server.url())
    .await
    .unwrap();
    let mut received = collector.subscribe("metrics.>").await.unwrap();
    collector.flush().await.unwrap();

    let source = HttpIssuer::new(url.clone(), NodeIdentity::new("agent-1", &token)).unwrap();
    let creds = RenewingCredentials::start(ClientConfig::in_dir(dir.path().join("agent")), source)
        .await
        .unwrap();
    let first = creds.current();
    assert_eq!((first.expires_at - first.issued_at) as u64, TTL_SECS);
    let agent = creds
        .connect_with(&first.nats_url.clone().unwrap(), creds.connect_options())
        .await
        .unwrap();
    // Outside its grant: the server refuses (a permissions violation, not delivered).
    agent
        .publish("metrics.agent-2.x", "no".into())
        .await
        .unwrap();

    let mut renewals = creds.watch();
    let mut jwts = std::collections::BTreeSet::from([first.jwt.clone()]);
    let started = Instant::now();
    let mut published = 0u64;
    while started.elapsed() < Duration::from_secs(2 * TTL_SECS + 1) {
        agent
            .publish(format!("metrics.agent-1.{published}"), "1".into())
            .await
            .unwrap();
        published += 1;
        if renewals.has_changed().unwrap() {
            jwts.insert(renewals.borrow_and_update().jwt.clone());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    agent.flush().await.unwrap();
    assert!(
        jwts.len() >= 3,
        "renewed before each expiry: {} JWTs",
        jwts.len()
    );
    let mut count = 0u64;
    while count < published {
        match tokio::time::timeout(Duration::from_secs(2), received.next()).await {
            Ok(Some(message)) => {
                assert!(
                    message.subject.starts_with("metrics.agent-1."),
                    "{}",
                    message.subject
                );
                count += 1;
            }
            _ => break,
        }
    }
    assert_eq!(
        count, published,
        "every publish arrived across the renewals"
    );
    creds.close().await;
    drop(child);
    drop(server);
}

const HUB_SPEC: &str = r#"
[operator]
name = "OP"
signing_keys = 1

[[accounts]]
name = "HUB"
exports = [{ name = "mycelium", subject = "mycelium.>", type = "service", response_type = "Singleton" }]

[[accounts]]
name = "ORG"
imports = [{ name = "mycelium", account = "HUB", subject = "mycelium.>", type = "service" }]

[[accounts.users]]
name = "forest"
pub_allow = ["mycelium.>"]
sub_allow = ["_INBOX.>"]
"#;

/// An HTTPS front (the test CA's certificate for 127.0.0.1) that passes issue requests on to
/// `issuer_url` over plain HTTP, as a TLS-terminating proxy before an issuer would.
async fn https_front(issuer_url: String) -> String {
    let forward = move |body: axum::body::Bytes| {
        let issuer_url = issuer_url.clone();
        async move {
            let answer = reqwest::Client::new()
                .post(issuer_url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = axum::http::StatusCode::from_u16(answer.status().as_u16()).unwrap();
            (status, answer.bytes().await.unwrap())
        }
    };
    let app = axum::Router::new().route("/v1/nats/credentials", axum::routing::post(forward));
    let addr = myc_testkit::tls::serve(app).await;
    format!("https://{addr}/v1/nats/credentials")
}

/// A gateway replica without a creds file: `[nats.renewing]` fetches its HUB credentials over
/// HTTPS from another gateway's issuer (a node registered with `--allow-responses`) and keeps
/// them fresh while it serves secrets to the ORG account. Without the issuer's CA among its
/// trusted roots, the replica gets nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_serves_secrets_on_renewed_credentials() {
    let dir = TempDir::new("myc-gateway-renewing").unwrap();
    let (site_dir, server) = common::site(dir.path(), &Spec::parse(HUB_SPEC).unwrap());
    let (hub, org) = (
        common::account_key(&site_dir, "HUB"),
        common::account_key(&site_dir, "ORG"),
    );

    // Gateway A: the HUB issuer.
    let a = dir.path().join("a");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::write(
        a.join("gateway.toml"),
        format!(
            "[nats]\nservers = [\"{}\"]\n\n[nats.issuer]\naccount = \"{hub}\"\nsigning_key = {{ file = \"../seeds/accounts/HUB-signing-1.nk\" }}\n\n[api.services]\n",
            server.url()
        ),
    )
    .unwrap();
    let (code, token, err) = gateway(
        &a,
        &[
            "nodes",
            "add",
            "--id",
            "replica-b",
            "--sub-allow",
            "mycelium.>",
            "--allow-responses",
            "--ttl",
            "5",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    let child = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(a.join("gateway.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut issuer = common::Kill(child);
    let plain_url = format!("{}/v1/nats/credentials", common::listening(&mut issuer));
    let issuer_url = https_front(plain_url).await;

    // Not trusting the front's CA, the issue request fails in the TLS handshake.
    let untrusting = IssuerClient::new(
        &issuer_url,
        NodeIdentity::new("replica-b", token.trim()),
        &[],
    )
    .unwrap();
    let key = Nkey::generate(KeyKind::User).unwrap().public_key();
    match untrusting.fetch(&key).await {
        Err(SourceError::Unavailable(m)) => assert!(m.contains("certificate"), "{m}"),
        other => panic!("{other:?}"),
    }

    // Replica B: renewing credentials (the front's CA among its roots), a tenant secret.
    let b = dir.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    std::fs::write(b.join("issuer-ca.pem"), myc_testkit::tls::CA_PEM).unwrap();
    let text = format!(
        r#"
[gateway.tls]
extra_roots = ["issuer-ca.pem"]

[gateway.secrets]
master_key = "2f0c6a3c9d4e2b1a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a09080"

[nats]
servers = ["{}"]

[nats.renewing]
issuer_url = "{issuer_url}"
node_id = "replica-b"
node_token = "{}"
state_dir = "nats-state"

[[nats.secrets.allow]]
account = "{org}"
tenants = ["*"]

[api.services]
"#,
        server.url(),
        token.trim()
    );
    let config = myc_gateway::config::Config::parse(&text, "b.toml", &b, &|_| None).unwrap();
    let store = std::sync::Arc::new(
        myc_gateway::store::SqlStore::open(&config.store)
            .await
            .unwrap(),
    );
    let tenant = myc_gateway::store::Store::create_tenant(store.as_ref(), "Acme", None, None)
        .await
        .unwrap()
        .id;
    myc_gateway::vault::SecretVault::new(
        myc_gateway::store::SqlStore::clone(&store),
        config.secrets.clone().unwrap(),
    )
    .put(tenant, "secrets/api-key", b"renewed-value")
    .await
    .unwrap();
    let running = myc_gateway::serve::start_nats(&config, &store)
        .await
        .unwrap();

    let forest =
        async_nats::ConnectOptions::with_credentials_file(site_dir.join("creds/ORG/forest.creds"))
            .await
            .unwrap()
            .connect(server.url())
            .await
            .unwrap();
    // The replica reconnects on each renewal (every few seconds with this TTL): a request that
    // lands in that window finds no responder, so one is retried a few times.
    let fetch = || async {
        let mut attempts = 0;
        loop {
            match forest
                .request(format!("mycelium.secrets.{tenant}.api-key"), "".into())
                .await
            {
                Ok(reply) => {
                    break serde_json::from_slice::<serde_json::Value>(&reply.payload).unwrap();
                }
                Err(e) if attempts < 5 => {
                    attempts += 1;
                    eprintln!("request failed ({e}), retrying");
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
                Err(e) => panic!("no answer after retries: {e}"),
            }
        }
    };
    assert_eq!(fetch().await["value"], "renewed-value");
    // Past the first JWT's expiry the replica still answers: it reconnected with a renewal.
    tokio::time::sleep(Duration::from_secs(TTL_SECS + 2)).await;
    assert_eq!(fetch().await["value"], "renewed-value");
    running.stop().await;
    drop(issuer);
    drop(server);
}
