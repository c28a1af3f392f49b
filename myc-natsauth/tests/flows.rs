//! The seed documents' flows end to end, on files produced by `myc-nats` and a real
//! nats-server started with the generated `nats-server.conf`:
//!
//! - hoodcloud: an agent with 5-second JWTs from the issuer over HTTP publishes metrics across
//!   several expiries; every one lands in the control plane's JetStream stream;
//! - Harmony: an agent limited to the KV preset uses its bucket and is refused on another;
//!   lint rejects buckets on the system account, excess replicas and wildcard planes.
//!
//! (Mycelium's cross-account request/reply with revoke + push, and drift, are in `cli_init.rs`.)
#![cfg(all(feature = "cli", feature = "issuer", feature = "client"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, stream};
use common::*;
use myc_natsauth::claims::{Account, Claims};
use myc_natsauth::client::{ClientConfig, HttpIssuer, NodeIdentity, RenewingCredentials};
use myc_natsauth::issuer::Issuer;
use myc_natsauth::{KeyKind, Nkey};
use myc_testkit::nats::{self, NatsServer, ServerKind, TempDir};

fn myc_nats(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_myc-nats"))
        .args(args)
        .output()
        .unwrap()
}

/// `myc-nats init --spec SPEC --out DIR/site --seeds DIR/seeds`; returns the site directory.
fn init(dir: &Path, spec: &str) -> std::path::PathBuf {
    let spec_path = dir.join("spec.toml");
    std::fs::write(&spec_path, spec).unwrap();
    let out = dir.join("site");
    let seeds = dir.join("seeds");
    let result = myc_nats(&[
        "init",
        "--spec",
        spec_path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--seeds",
        seeds.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    out
}

fn start(out: &Path) -> NatsServer {
    let config = std::fs::read_to_string(out.join("nats-server.conf")).unwrap();
    assert!(
        config.contains("jetstream"),
        "JetStream enabled by the spec"
    );
    NatsServer::start(ServerKind::Modern, &nats::modern_binary(), |_| config).unwrap()
}

fn read(out: &Path, file: &str) -> String {
    std::fs::read_to_string(out.join(file)).unwrap()
}

const HOODCLOUD: &str = r#"
[operator]
name = "HOODCLOUD"
signing_keys = 1

[[accounts]]
name = "AGENT"
exports = [{ name = "metrics", subject = "metrics.>", type = "stream" }]

[[accounts]]
name = "CONTROL_PLANE"
jetstream = { mem_storage = -1, disk_storage = -1, streams = 10, consumer = 50 }
imports = [{ name = "metrics", account = "AGENT", subject = "metrics.>", type = "stream" }]
streams = [{ name = "METRICS" }]

[[accounts.users]]
name = "collector"
pub_allow = ["$JS.API.>"]
sub_allow = ["_INBOX.>"]
"#;

const TOKEN: &str = "agent-token";
const TTL: Duration = Duration::from_secs(5);

/// The control plane's node registry: one agent, metrics publishing only, 5-second JWTs.
const AGENTS: MetricsNodes = MetricsNodes {
    node_id: "agent-1",
    token: TOKEN,
    ttl: TTL,
};

/// The AGENT account's issuer, built from the files `init` wrote.
fn agent_issuer(dir: &Path, out: &Path, nats_url: String) -> Arc<Issuer<MetricsNodes>> {
    let account = Claims::<Account>::decode(&read(out, "accounts/AGENT.jwt"))
        .unwrap()
        .sub;
    let signing = Nkey::from_seed_file(
        KeyKind::Account,
        &dir.join("seeds/accounts/AGENT-signing-1.nk"),
    )
    .unwrap();
    Arc::new(Issuer::new(AGENTS, account, signing, nats_url).unwrap())
}

/// [`agent_issuer`] served over HTTP on 127.0.0.1; returns the endpoint URL.
async fn serve_issuer(dir: &Path, out: &Path, nats_url: String) -> String {
    let issuer = agent_issuer(dir, out, nats_url);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, issuer.router()).into_future());
    format!("http://{addr}/v1/nats/credentials")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hoodcloud_agent_publishes_across_jwt_expiries_and_nothing_is_lost() {
    let dir = TempDir::new("flow-hoodcloud").unwrap();
    let out = init(dir.path(), HOODCLOUD);
    let server = start(&out);

    let collector = connect(&server, &read(&out, "creds/CONTROL_PLANE/collector.creds"))
        .await
        .unwrap();
    let js = jetstream::new(collector);
    let metrics = js
        .create_stream(stream::Config {
            name: "METRICS".into(),
            subjects: vec!["metrics.>".into()],
            ..Default::default()
        })
        .await
        .unwrap();

    let issuer_url = serve_issuer(dir.path(), &out, server.url()).await;
    let source = HttpIssuer::new(issuer_url, NodeIdentity::new("agent-1", TOKEN)).unwrap();
    let creds = RenewingCredentials::start(ClientConfig::in_dir(dir.path().join("agent")), source)
        .await
        .unwrap();
    let first = creds.current();
    assert_eq!(first.expires_at - first.issued_at, TTL.as_secs() as i64);
    // Count what the server says: with proactive reconnects no JWT ever expires on a
    // connection, so the server never reports "authentication expired".
    let server_errors = Arc::new(std::sync::Mutex::new(Vec::new()));
    let errors = server_errors.clone();
    let options = creds.connect_options().event_callback(move |event| {
        let errors = errors.clone();
        async move {
            if let async_nats::Event::ServerError(e) = event {
                errors.lock().unwrap().push(e.to_string());
            }
        }
    });
    let agent = creds
        .connect_with(&first.nats_url.clone().unwrap(), options)
        .await
        .unwrap();

    // Publish continuously until three JWTs have expired (the first and two renewals).
    let mut renewals = creds.watch();
    let mut jwts = std::collections::BTreeSet::from([first.jwt.clone()]);
    let deadline = first.expires_at + 2 * TTL.as_secs() as i64 + 1;
    let started = Instant::now();
    let mut published = 0u64;
    while myc_natsauth::jwt::now() <= deadline {
        agent
            .publish(format!("metrics.agent-1.{published}"), "0.42".into())
            .await
            .unwrap();
        published += 1;
        if renewals.has_changed().unwrap() {
            jwts.insert(renewals.borrow_and_update().jwt.clone());
        }
        if published.is_multiple_of(10) {
            agent.flush().await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    agent.flush().await.unwrap();
    assert!(
        started.elapsed() > 2 * TTL,
        "the run spans at least three expiries"
    );
    assert!(
        jwts.len() >= 4,
        "renewed before each expiry: {} JWTs",
        jwts.len()
    );

    assert_eq!(*server_errors.lock().unwrap(), Vec::<String>::new());

    // Every published metric is stored exactly once.
    let mut metrics = metrics;
    let mut stored = 0;
    for _ in 0..100 {
        stored = metrics.info().await.unwrap().state.messages;
        if stored >= published {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(stored, published, "published == stored");

    // The stored creds are the newest JWT, and a restart with the issuer down reuses them.
    let newest = creds.current();
    assert_eq!(
        myc_natsauth::creds::Creds::read(&dir.path().join("agent/node.creds"))
            .unwrap()
            .jwt,
        newest.jwt
    );
    creds.close().await;
}

#[tokio::test]
async fn client_reuses_stored_creds_waits_for_the_issuer_and_wipes_its_seed() {
    let dir = TempDir::new("flow-client").unwrap();
    let out = init(dir.path(), HOODCLOUD);
    let server = start(&out);
    let config = ClientConfig {
        backoff_initial: Duration::from_millis(100),
        ..ClientConfig::in_dir(dir.path().join("agent"))
    };

    // Issuer down at start: the client retries until it comes up.
    let port = nats::free_port().unwrap();
    let url = format!("http://127.0.0.1:{port}/v1/nats/credentials");
    let (dir_path, out_path, nats_url) = (dir.path().to_path_buf(), out.clone(), server.url());
    let late_issuer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        let issuer = agent_issuer(&dir_path, &out_path, nats_url);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        axum::serve(listener, issuer.router()).await.unwrap();
    });
    let started = Instant::now();
    let creds = RenewingCredentials::start(
        config.clone(),
        HttpIssuer::new(&url, NodeIdentity::new("agent-1", TOKEN)).unwrap(),
    )
    .await
    .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(700));
    let public_key = creds.public_key().to_owned();
    let jwt = creds.current().jwt;
    let client = creds.connect(None).await.unwrap();
    client.publish("metrics.up", "1".into()).await.unwrap();
    client.flush().await.unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["agent/node.nk", "agent/node.creds"] {
            let mode = std::fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }

    // Close: the seed is wiped, so options taken before can no longer authenticate.
    let options = creds.connect_options();
    creds.close().await;
    assert!(
        options
            .connection_timeout(Duration::from_secs(2))
            .connect(server.url())
            .await
            .is_err()
    );

    // Restart with the issuer gone: the stored JWT is still valid, so no request is made.
    late_issuer.abort();
    let _ = late_issuer.await;
    let again = tokio::time::timeout(
        Duration::from_secs(2),
        RenewingCredentials::start(
            config.clone(),
            HttpIssuer::new(&url, NodeIdentity::new("agent-1", TOKEN)).unwrap(),
        ),
    )
    .await
    .expect("starts without the issuer")
    .unwrap();
    assert_eq!(again.public_key(), public_key);
    assert_eq!(again.current().jwt, jwt);
    assert!(again.connect(Some(&server.url())).await.is_ok());
    again.close().await;

    // A wrong token is a refusal, reported at once rather than retried forever.
    let refused = tokio::time::timeout(
        Duration::from_secs(5),
        RenewingCredentials::start(
            ClientConfig::in_dir(dir.path().join("other-agent")),
            HttpIssuer::new(
                serve_issuer(dir.path(), &out, server.url()).await,
                NodeIdentity::new("agent-1", "wrong"),
            )
            .unwrap(),
        ),
    )
    .await
    .unwrap();
    assert!(
        matches!(
            refused,
            Err(myc_natsauth::client::ClientError::Source(
                myc_natsauth::client::SourceError::Refused(_)
            ))
        ),
        "{refused:?}"
    );
}

const HARMONY: &str = r#"
[operator]
name = "HARMONY_OP"

[[accounts]]
name = "HARMONY"
jetstream = { mem_storage = -1, disk_storage = -1, streams = 10, consumer = 50 }
kv_buckets = [{ name = "agents" }, { name = "other" }]

[[accounts.users]]
name = "admin"
pub_allow = ["$JS.API.>", "$KV.>"]
sub_allow = ["_INBOX.>"]

[[accounts.users]]
name = "agent"
kv = [{ bucket = "agents", access = "all" }]
"#;

#[tokio::test]
async fn harmony_agent_uses_its_kv_bucket_and_is_refused_on_another() {
    let dir = TempDir::new("flow-harmony").unwrap();
    let lint = myc_nats(&["lint", "--spec", dir.path().join("x").to_str().unwrap()]);
    assert_eq!(lint.status.code(), Some(1), "missing spec file");
    assert_eq!(String::from_utf8_lossy(&lint.stderr).lines().count(), 1);
    let out = init(dir.path(), HARMONY);
    let lint = myc_nats(&[
        "lint",
        "--spec",
        dir.path().join("spec.toml").to_str().unwrap(),
    ]);
    assert!(
        lint.status.success(),
        "{}",
        String::from_utf8_lossy(&lint.stdout)
    );
    let server = start(&out);
    kv_agent_is_confined(
        &server,
        &read(&out, "creds/HARMONY/admin.creds"),
        &read(&out, "creds/HARMONY/agent.creds"),
    )
    .await;
}

#[test]
fn lint_rejects_buckets_on_sys_excess_replicas_and_wildcard_planes() {
    let dir = TempDir::new("flow-lint").unwrap();
    let lint = |name: &str, spec: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, spec).unwrap();
        let result = myc_nats(&["lint", "--spec", path.to_str().unwrap()]);
        (
            result.status.code(),
            String::from_utf8_lossy(&result.stdout).into_owned(),
        )
    };
    let (code, report) = lint(
        "sys.toml",
        &HARMONY.replace("name = \"HARMONY\"", "name = \"SYS\""),
    );
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("spec.system-account"), "{report}");

    let (code, report) = lint(
        "replicas.toml",
        &HARMONY.replace("{ name = \"other\" }", "{ name = \"other\", replicas = 3 }"),
    );
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("spec.replicas"), "{report}");
    let (code, report) = lint(
        "cluster.toml",
        &format!(
            "cluster_size = 3\n{}",
            HARMONY.replace("{ name = \"other\" }", "{ name = \"other\", replicas = 3 }")
        ),
    );
    assert_eq!(code, Some(0), "{report}");

    let (code, report) = lint(
        "no-js.toml",
        &HARMONY.replace(
            "jetstream = { mem_storage = -1, disk_storage = -1, streams = 10, consumer = 50 }\n",
            "",
        ),
    );
    assert_eq!(code, Some(1), "{report}");
    assert!(report.contains("spec.kv-without-jetstream"), "{report}");

    let planes = format!(
        "planes = [\"prod\", \"*\"]\n{}\n[[accounts.users]]\nname = \"svc\"\nplane = \"prod.eu\"\npub_allow = [\"{{{{plane}}}}.orders.>\"]\n",
        HARMONY.trim_end()
    );
    let (code, report) = lint("planes.toml", &planes);
    assert_eq!(code, Some(1), "{report}");
    assert!(
        report.contains("spec.wildcard-plane") && report.contains("spec.plane"),
        "{report}"
    );
}

/// An issuer answering more than `MAX_ISSUER_ANSWER` bytes is unavailable: the answer is not
/// read to its end.
#[tokio::test]
async fn an_oversize_issuer_answer_is_refused_unread() {
    use myc_natsauth::client::{CredentialSource, MAX_ISSUER_ANSWER, SourceError};
    let app = axum::Router::new().route(
        "/v1/nats/credentials",
        axum::routing::post(|| async { "x".repeat(4 * MAX_ISSUER_ANSWER) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, app).into_future());
    let source = HttpIssuer::new(
        format!("http://{addr}/v1/nats/credentials"),
        NodeIdentity::new("agent-1", TOKEN),
    )
    .unwrap();
    let key = Nkey::generate(KeyKind::User).unwrap().public_key();
    match source.fetch(&key).await {
        Err(SourceError::Unavailable(m)) => assert!(m.contains("larger than 64 KiB"), "{m}"),
        other => panic!("{other:?}"),
    }
}
