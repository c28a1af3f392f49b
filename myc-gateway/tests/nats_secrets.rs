//! Tenant secrets over NATS, end to end: a hub/org site generated from a spec (the code path
//! of `myc-nats init`), a real nats-server 2.15 in operator mode, two gateway replicas in the
//! hub account answering in one queue group, an org-account client fetching a secret across the
//! service import, and an account that is not allowed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use myc_gateway::config::Config;
use myc_gateway::nats::secrets::{FetchError, Kind, SecretsService, fetch, stored_name};
use myc_gateway::store::{SqlStore, Store};
use myc_gateway::vault::SecretVault;
use myc_natsauth::spec::Spec;
use myc_testkit::nats::{NatsServer, TempDir};
use serde_json::Value;

const SPEC: &str = r#"
[operator]
name = "OP"
signing_keys = 1

[[accounts]]
name = "HUB"
exports = [{ name = "mycelium", subject = "mycelium.>", type = "service", response_type = "Singleton" }]

[[accounts.users]]
name = "gateway"
pub_allow = ["_INBOX.>"]
sub_allow = ["mycelium.>"]
allow_responses = true

[[accounts]]
name = "ORG"
imports = [{ name = "mycelium", account = "HUB", subject = "mycelium.>", type = "service" }]

[[accounts.users]]
name = "forest"
pub_allow = ["mycelium.>"]
sub_allow = ["_INBOX.>"]

[[accounts]]
name = "OTHER"
imports = [{ name = "mycelium", account = "HUB", subject = "mycelium.>", type = "service" }]

[[accounts.users]]
name = "intruder"
pub_allow = ["mycelium.>"]
sub_allow = ["_INBOX.>"]
"#;

const SECRET_VALUE: &str = "hunter2-db-password-value";
const MASTER: &str = "9f0c6a3c9d4e2b1a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a09080";

/// Everything the gateway logs, for the "never in logs" check.
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

fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(move || writer.clone())
            .init();
        logs
    })
}

async fn client(server: &NatsServer, creds: &Path) -> async_nats::Client {
    async_nats::ConnectOptions::with_credentials_file(creds)
        .await
        .unwrap()
        .connect(server.url())
        .await
        .unwrap()
}

async fn ask(client: &async_nats::Client, subject: String) -> (Value, Option<String>) {
    let reply = client.request(subject, "".into()).await.unwrap();
    let code = reply
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Service-Error-Code"))
        .map(|v| v.to_string());
    (serde_json::from_slice(&reply.payload).unwrap(), code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn org_reads_tenant_secrets_from_the_hub_and_others_are_refused() {
    let logs = captured_logs();
    let dir = TempDir::new("myc-gateway-nats").unwrap();
    let (site_dir, server) = common::site(dir.path(), &Spec::parse(SPEC).unwrap());
    let org = common::account_key(&site_dir, "ORG");

    // The store: two tenants; ORG may read only the first.
    let text = |allow: &str| {
        format!(
            r#"
[gateway.secrets]
master_key = "{MASTER}"

[nats]
servers = ["{}"]
creds = "site/creds/HUB/gateway.creds"

[[nats.secrets.allow]]
account = "{allow}"
tenants = ["11111111-1111-4111-8111-111111111111"]

[api.services]
"#,
            server.url()
        )
    };
    let config = Config::parse(&text(&org), "gateway.toml", dir.path(), &|_| None).unwrap();
    let store = SqlStore::open(&config.store).await.unwrap();
    let allowed = store
        .create_tenant(
            "Allowed",
            None,
            "11111111-1111-4111-8111-111111111111".parse().ok(),
        )
        .await
        .unwrap()
        .id;
    let closed = store.create_tenant("Closed", None, None).await.unwrap().id;
    let vault = SecretVault::new(store.clone(), config.secrets.clone().unwrap());
    for tenant in [allowed, closed] {
        vault
            .put(
                tenant,
                &stored_name(Kind::Secret, "db-password"),
                SECRET_VALUE.as_bytes(),
            )
            .await
            .unwrap();
    }
    vault
        .put(
            allowed,
            &stored_name(Kind::Integration, "stripe.key"),
            &[0xff, 0x00, 0x10],
        )
        .await
        .unwrap();

    // Two replicas in one queue group.
    let nats_settings = config.nats.clone().unwrap();
    let mut replicas = Vec::new();
    for _ in 0..2 {
        let client = myc_gateway::nats::connect(&nats_settings, &[], "myc-gateway-test")
            .await
            .unwrap()
            .client;
        let service = Arc::new(SecretsService::new(
            SecretVault::new(store.clone(), config.secrets.clone().unwrap()),
            nats_settings.secrets.clone().unwrap(),
        ));
        service
            .clone()
            .serve(client, &nats_settings.queue_group)
            .await
            .unwrap();
        replicas.push(service);
    }

    let forest = client(&server, &site_dir.join("creds/ORG/forest.creds")).await;
    let (body, code) = ask(&forest, format!("mycelium.secrets.{allowed}.db-password")).await;
    assert_eq!(code, None, "{body}");
    assert_eq!(body["ok"], true);
    assert_eq!(body["value"], SECRET_VALUE);
    assert_eq!(body["encoding"], "utf-8");
    // A binary integration credential comes back as base64; its name may hold dots.
    let (body, _) = ask(
        &forest,
        format!("mycelium.integrations.{allowed}.stripe.key"),
    )
    .await;
    assert_eq!(
        (body["value"].as_str(), body["encoding"].as_str()),
        (Some("/wAQ"), Some("base64"))
    );
    // Every refusal is an answer with a code, never a timeout.
    for (subject, expect) in [
        (format!("mycelium.secrets.{closed}.db-password"), "403"),
        (format!("mycelium.secrets.{allowed}.missing"), "404"),
        (
            format!("mycelium.integrations.{allowed}.db-password"),
            "404",
        ),
        (
            "mycelium.secrets.not-a-tenant.db-password".to_owned(),
            "400",
        ),
        (format!("mycelium.secrets.{allowed}"), "400"),
    ] {
        let (body, code) = ask(&forest, subject.clone()).await;
        assert_eq!(code.as_deref(), Some(expect), "{subject}: {body}");
        assert_eq!(body["ok"], false);
        assert_eq!(body["error"]["code"].to_string(), expect);
    }

    // Another account that imports the same service is refused, even when it writes a
    // Nats-Request-Info claiming to be ORG: the server replaces it at the import.
    let intruder = client(&server, &site_dir.join("creds/OTHER/intruder.creds")).await;
    let (body, code) = ask(&intruder, format!("mycelium.secrets.{allowed}.db-password")).await;
    assert_eq!(code.as_deref(), Some("403"), "{body}");
    let mut forged = async_nats::HeaderMap::new();
    forged.insert(
        "Nats-Request-Info",
        format!("{{\"acc\":\"{org}\"}}").as_str(),
    );
    let reply = intruder
        .request_with_headers(
            format!("mycelium.secrets.{allowed}.db-password"),
            forged,
            "".into(),
        )
        .await
        .unwrap();
    let body: Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(body["ok"], false, "forged header must not pass: {body}");
    assert!(!String::from_utf8_lossy(&reply.payload).contains(SECRET_VALUE));

    // The queue group spreads requests over both replicas.
    for _ in 0..40 {
        let (body, _) = ask(&forest, format!("mycelium.secrets.{allowed}.db-password")).await;
        assert_eq!(body["value"], SECRET_VALUE);
    }
    let answered: Vec<u64> = replicas.iter().map(|r| r.answered()).collect();
    assert!(
        answered.iter().all(|n| *n > 0),
        "both replicas serve: {answered:?}"
    );

    // Values never reach the logs; the refusals and the requester do.
    let logs = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(!logs.contains(SECRET_VALUE), "a secret value was logged");
    assert!(
        logs.contains("secret served") && logs.contains(&org),
        "{logs}"
    );
    drop(server);
}

/// The README walkthrough with the files in `examples/hub-org/`: generate the site from its
/// spec, start nats-server, put a secret with the CLI, `serve` its `gateway.toml`, fetch the
/// secret from an ORG client with `nats::secrets::fetch` (what `nats-secret-client` runs).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_walkthrough_serves_a_secret_to_the_org() {
    use std::process::{Command, Stdio};
    let dir = TempDir::new("myc-gateway-nats-cli").unwrap();
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/hub-org");
    let (site_dir, server) =
        common::site(dir.path(), &Spec::read(&example.join("spec.toml")).unwrap());
    let example_config = std::fs::read_to_string(example.join("gateway.toml")).unwrap();
    assert!(example_config.contains("nats://127.0.0.1:4333"));
    std::fs::write(
        dir.path().join("gateway.toml"),
        example_config.replace("nats://127.0.0.1:4333", &server.url()),
    )
    .unwrap();
    let gateway = |args: &[&str], stdin: Option<&str>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
            .args(args)
            .arg("--config")
            .arg(dir.path().join("gateway.toml"))
            .env("MYC_MASTER_KEY", MASTER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, tenant, err) = gateway(&["tenants", "create", "--name", "Acme"], None);
    assert_eq!(code, Some(0), "{err}");
    let tenant = tenant.trim().to_owned();
    let put = [
        "secrets",
        "put",
        "--tenant",
        &tenant,
        "--name",
        "db-password",
    ];
    let (code, _, err) = gateway(&put, Some(&format!("{SECRET_VALUE}\n")));
    assert_eq!(code, Some(0), "{err}");
    let (code, out, _) = gateway(
        &[
            "secrets",
            "get",
            "--tenant",
            &tenant,
            "--name",
            "db-password",
        ],
        None,
    );
    assert_eq!((code, out.as_str()), (Some(0), SECRET_VALUE));
    let (_, out, _) = gateway(&["secrets", "list", "--tenant", &tenant], None);
    assert_eq!(out, "secret\tdb-password\n");
    // Unknown tenant, empty value: exit 1 with one line.
    let missing = uuid::Uuid::new_v4().to_string();
    let (code, _, err) = gateway(
        &["secrets", "put", "--tenant", &missing, "--name", "x"],
        Some("v"),
    );
    assert_eq!(code, Some(1));
    assert!(
        err.contains("not found") && err.trim().lines().count() == 1,
        "{err}"
    );
    let (code, _, err) = gateway(&put, Some("\n"));
    assert_eq!(code, Some(1), "{err}");

    let child = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        // One worker: the single-threaded runtime serves HTTP, the store and NATS together.
        .args([
            "serve",
            "--workers",
            "1",
            "--listen",
            "127.0.0.1:0",
            "--config",
        ])
        .arg(dir.path().join("gateway.toml"))
        .env("MYC_MASTER_KEY", MASTER)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = common::Kill(child);
    common::listening(&mut child);
    let forest = client(&server, &site_dir.join("creds/ORG/forest.creds")).await;
    let tenant_id: uuid::Uuid = tenant.parse().unwrap();
    let value = fetch(&forest, Kind::Secret, tenant_id, "db-password")
        .await
        .unwrap();
    assert_eq!(&*value, SECRET_VALUE.as_bytes());
    assert!(matches!(
        fetch(&forest, Kind::Integration, tenant_id, "db-password").await,
        Err(FetchError::NotFound(_))
    ));
    let (code, out, _) = gateway(
        &[
            "secrets",
            "delete",
            "--tenant",
            &tenant,
            "--name",
            "db-password",
        ],
        None,
    );
    assert_eq!((code, out.trim()), (Some(0), "deleted db-password"));
    assert!(matches!(
        fetch(&forest, Kind::Secret, tenant_id, "db-password").await,
        Err(FetchError::NotFound(_))
    ));
    drop(child);
    drop(server);
}
