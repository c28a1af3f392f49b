//! `myc-nats init` end to end: the issue's hub/org spec → files → a real nats-server started
//! with the generated config → an ORG service requests `mycelium.secrets.*` from the HUB.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use futures::StreamExt;
use myc_natsauth::claims::{Account, Claims};
use myc_testkit::nats::{self, NatsServer, TempDir};

const SPEC: &str = r#"
[operator]
name = "OP"
signing_keys = 1

[[accounts]]
name = "HUB"
jetstream = { mem_storage = -1, disk_storage = -1, streams = 10, consumer = 50 }
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
expires_in = "14d"
"#;

fn myc_nats(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_myc-nats"))
        .args(args)
        .output()
        .unwrap()
}

fn init(dir: &Path, out: &str, extra: &[&str]) {
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let out = dir.join(out);
    let mut args = vec![
        "init",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let result = myc_nats(&args);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

async fn mycelium_round_trip(server: &NatsServer, out: &Path) {
    let read = |p: &str| std::fs::read_to_string(out.join(p)).unwrap();
    let gateway = connect(server, &read("creds/HUB/gateway.creds"))
        .await
        .unwrap();
    let mut requests = gateway.subscribe("mycelium.>").await.unwrap();
    gateway.flush().await.unwrap();
    tokio::spawn(async move {
        while let Some(msg) = requests.next().await {
            if let Some(reply) = msg.reply {
                let _ = gateway
                    .publish(reply, format!("secret for {}", msg.subject).into())
                    .await;
                let _ = gateway.flush().await;
            }
        }
    });
    let forest = connect(server, &read("creds/ORG/forest.creds"))
        .await
        .unwrap();
    let reply = request_when_ready(&forest, "mycelium.secrets.db").await;
    assert_eq!(reply.payload, "secret for mycelium.secrets.db".as_bytes());
}

#[tokio::test]
async fn init_generates_a_site_nats_server_runs_as_is() {
    let dir = TempDir::new("myc-nats").unwrap();
    let seeds = dir.path().join("seeds");
    init(dir.path(), "site", &["--seeds", seeds.to_str().unwrap()]);
    let out = dir.path().join("site");
    for f in [
        "operator.jwt",
        "accounts/SYS.jwt",
        "accounts/HUB.jwt",
        "accounts/ORG.jwt",
        "nats-server.conf",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    assert_eq!(mode(&out.join("creds/ORG/forest.creds")), 0o600);
    assert_eq!(mode(&seeds), 0o700);
    assert_eq!(mode(&seeds.join("operator.nk")), 0o600);

    for (kind, binary) in nats::available() {
        let config = std::fs::read_to_string(out.join("nats-server.conf")).unwrap();
        let server = NatsServer::start(kind, &binary, |_| config).unwrap();
        mycelium_round_trip(&server, &out).await;
    }

    // Same seeds: same keys, equal claims but for iat/jti.
    init(dir.path(), "again", &["--seeds", seeds.to_str().unwrap()]);
    for name in ["SYS", "HUB", "ORG"] {
        let read = |site: &str| {
            let token =
                std::fs::read_to_string(dir.path().join(site).join(format!("accounts/{name}.jwt")))
                    .unwrap();
            let mut claims = Claims::<Account>::decode(&token).unwrap();
            (claims.iat, claims.jti) = (0, String::new());
            claims
        };
        assert_eq!(read("site"), read("again"), "{name}");
    }

    // describe: valid creds pass, a tampered token fails with exit 1.
    let described = myc_nats(&[
        "describe",
        out.join("creds/ORG/forest.creds").to_str().unwrap(),
    ]);
    assert!(described.status.success());
    let json: serde_json::Value = serde_json::from_slice(&described.stdout).unwrap();
    assert_eq!(
        (json["type"].as_str(), json["claims"]["name"].as_str()),
        (Some("user"), Some("forest"))
    );
    let token = std::fs::read_to_string(out.join("accounts/HUB.jwt")).unwrap();
    let tampered = token.replacen("eyJ", "eyK", 2);
    assert_eq!(myc_nats(&["describe", &tampered]).status.code(), Some(1));
}

#[tokio::test]
async fn init_with_the_full_resolver_and_printed_seeds() {
    let dir = TempDir::new("myc-nats-full").unwrap();
    let spec = dir.path().join("spec.toml");
    std::fs::write(&spec, SPEC).unwrap();
    let out = dir.path().join("site");
    let result = myc_nats(&[
        "init",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--resolver",
        "full",
        "--print-seeds",
        "env",
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let printed = String::from_utf8(result.stdout).unwrap();
    assert!(
        printed.contains("export NATS_SEED_OPERATOR=SO"),
        "{printed}"
    );
    assert!(!dir.path().join("seeds").exists());
    for (kind, binary) in nats::available() {
        let config = std::fs::read_to_string(out.join("nats-server.conf")).unwrap();
        assert!(config.contains("type: full"));
        let server = NatsServer::start(kind, &binary, |_| config).unwrap();
        mycelium_round_trip(&server, &out).await;
    }
}

#[test]
fn lint_flags_the_harmony_and_mycelium_mistakes() {
    let dir = TempDir::new("myc-nats-lint").unwrap();
    let lint = |name: &str, spec: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, spec).unwrap();
        myc_nats(&["lint", "--spec", path.to_str().unwrap()])
    };
    let clean = lint("clean.toml", SPEC);
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );

    // Harmony: the KV bucket on the system account.
    let on_sys = "[operator]\nname = \"OP\"\n[[accounts]]\nname = \"SYS\"\njetstream = { mem_storage = -1, disk_storage = -1, streams = -1, consumer = -1 }\n";
    let out = lint("sys.toml", on_sys);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("spec.system-account"));

    // KV permissions in an account without JetStream, missing the stream-info subject.
    let kv = "[operator]\nname = \"OP\"\n[[accounts]]\nname = \"H\"\n[[accounts.users]]\nname = \"agent\"\npub_allow = [\"$KV.agents.>\"]\n";
    let text = String::from_utf8(lint("kv.toml", kv).stdout).unwrap();
    assert!(
        text.contains("spec.kv-without-jetstream") && text.contains("spec.kv-missing-subjects"),
        "{text}"
    );

    // An import with no matching export.
    let orphan = SPEC.replace(
        "subject = \"mycelium.>\", type = \"service\" }]\n\n[[accounts.users]]\nname = \"forest\"",
        "subject = \"other.>\", type = \"service\" }]\n\n[[accounts.users]]\nname = \"forest\"",
    );
    let text = String::from_utf8(lint("orphan.toml", &orphan).stdout).unwrap();
    assert!(text.contains("spec.import-without-export"), "{text}");
}

#[test]
fn diff_reports_drift_but_not_timestamps() {
    let dir = TempDir::new("myc-nats-diff").unwrap();
    let seeds = dir.path().join("seeds");
    init(dir.path(), "a", &["--seeds", seeds.to_str().unwrap()]);
    init(dir.path(), "b", &["--seeds", seeds.to_str().unwrap()]);
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let same = myc_nats(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert!(
        same.status.success(),
        "{}",
        String::from_utf8_lossy(&same.stdout)
    );

    // Change one account's export and regenerate with the same seeds.
    let spec = dir.path().join("changed.toml");
    std::fs::write(
        &spec,
        SPEC.replace(
            "response_type = \"Singleton\"",
            "response_type = \"Stream\"",
        ),
    )
    .unwrap();
    let c = dir.path().join("c");
    let made = myc_nats(&[
        "init",
        "--spec",
        spec.to_str().unwrap(),
        "--out",
        c.to_str().unwrap(),
        "--seeds",
        seeds.to_str().unwrap(),
    ]);
    assert!(made.status.success());
    let drift = myc_nats(&["diff", a.to_str().unwrap(), c.to_str().unwrap()]);
    assert_eq!(drift.status.code(), Some(1));
    let report = String::from_utf8(drift.stdout).unwrap();
    assert!(
        report.contains("accounts/HUB.jwt") && report.contains("response_type"),
        "{report}"
    );
    assert!(!report.contains("ORG.jwt"), "{report}");
}

#[tokio::test]
async fn revoke_and_push_refuse_the_org_user() {
    for (kind, binary) in nats::available() {
        let dir = TempDir::new("myc-nats-revoke").unwrap();
        let seeds = dir.path().join("seeds");
        init(dir.path(), "site", &["--seeds", seeds.to_str().unwrap()]);
        let out = dir.path().join("site");
        let config = std::fs::read_to_string(out.join("nats-server.conf")).unwrap();
        let server = NatsServer::start(kind, &binary, |_| config).unwrap();
        mycelium_round_trip(&server, &out).await;

        let forest_creds = std::fs::read_to_string(out.join("creds/ORG/forest.creds")).unwrap();
        let forest_key = myc_natsauth::creds::Creds::parse(&forest_creds)
            .unwrap()
            .claims()
            .unwrap()
            .sub;
        let before = std::fs::read_to_string(out.join("accounts/ORG.jwt")).unwrap();
        let stale = dir.path().join("stale-ORG.jwt");
        std::fs::write(&stale, &before).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100)); // a newer iat for the revoked JWT

        let revoked = myc_nats(&[
            "revoke",
            "--seeds",
            seeds.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--account",
            "ORG",
            "--user",
            &forest_key,
        ]);
        assert!(
            revoked.status.success(),
            "{}",
            String::from_utf8_lossy(&revoked.stderr)
        );
        let conf = std::fs::read_to_string(out.join("nats-server.conf")).unwrap();
        assert!(
            !conf.contains(before.trim()),
            "the config preload is updated too"
        );

        let sys = out.join("creds/SYS/sys.creds");
        let pushed = myc_nats(&[
            "push",
            "--server",
            &server.url(),
            "--creds",
            sys.to_str().unwrap(),
            out.join("accounts/ORG.jwt").to_str().unwrap(),
        ]);
        assert!(
            pushed.status.success(),
            "{kind:?}: {}",
            String::from_utf8_lossy(&pushed.stderr)
        );
        assert!(
            connect(&server, &forest_creds).await.is_err(),
            "{kind:?}: the revoked ORG user is refused"
        );

        // The older JWT (without the revocation) is not pushed over the newer one.
        let refused = myc_nats(&[
            "push",
            "--server",
            &server.url(),
            "--creds",
            sys.to_str().unwrap(),
            stale.to_str().unwrap(),
        ]);
        assert_eq!(refused.status.code(), Some(1), "{kind:?}");
        assert!(
            String::from_utf8_lossy(&refused.stderr).contains("newer"),
            "{}",
            String::from_utf8_lossy(&refused.stderr)
        );
        assert!(
            connect(&server, &forest_creds).await.is_err(),
            "{kind:?}: still refused"
        );
    }
}

#[tokio::test]
async fn creds_for_one_service_on_a_plane() {
    let dir = TempDir::new("myc-nats-creds").unwrap();
    let seeds = dir.path().join("seeds");
    init(dir.path(), "site", &["--seeds", seeds.to_str().unwrap()]);
    let out = dir.path().join("site");
    let seeds_s = seeds.to_str().unwrap().to_owned();
    let issue = |name: &str, args: &[&str]| {
        let file = dir.path().join(format!("{name}.creds"));
        let mut all = vec![
            "creds",
            "--seeds",
            &seeds_s,
            "--account",
            "HUB",
            "--name",
            name,
            "--out",
            file.to_str().unwrap(),
        ];
        all.extend_from_slice(args);
        let result = myc_nats(&all);
        (result, file)
    };
    let nkeys = dir.path().join("user-nkeys");
    let (made, billing) = issue(
        "billing",
        &[
            "--pub",
            "{{plane}}.billing.>",
            "--sub",
            "_INBOX.>",
            "--plane",
            "prod",
            "--expires",
            "1h",
            "--persist-user-nkeys",
            nkeys.to_str().unwrap(),
        ],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert_eq!(mode(&billing), 0o600);
    let described: serde_json::Value =
        serde_json::from_slice(&myc_nats(&["describe", billing.to_str().unwrap()]).stdout).unwrap();
    let hub =
        Claims::<Account>::decode(&std::fs::read_to_string(out.join("accounts/HUB.jwt")).unwrap())
            .unwrap();
    assert_eq!(
        described["claims"]["nats"]["issuer_account"].as_str(),
        Some(hub.sub.as_str())
    );
    assert_eq!(
        described["claims"]["nats"]["pub"]["allow"][0].as_str(),
        Some("prod.billing.>")
    );
    assert_ne!(
        described["claims"]["iss"].as_str(),
        Some(hub.sub.as_str()),
        "signed by the signing key"
    );

    // Same persisted nkey on a second run.
    let first_sub = described["claims"]["sub"].as_str().unwrap().to_owned();
    let (_, again) = issue(
        "billing",
        &[
            "--pub",
            "{{plane}}.billing.>",
            "--plane",
            "prod",
            "--persist-user-nkeys",
            nkeys.to_str().unwrap(),
        ],
    );
    let again: serde_json::Value =
        serde_json::from_slice(&myc_nats(&["describe", again.to_str().unwrap()]).stdout).unwrap();
    assert_eq!(again["claims"]["sub"].as_str(), Some(first_sub.as_str()));

    // {{plane}} without --plane is refused.
    assert_eq!(
        issue("nope", &["--pub", "{{plane}}.x"]).0.status.code(),
        Some(1)
    );

    // The creds work against the generated site: the plane subject only.
    let (_, watcher) = issue("watcher", &["--sub", "prod.>", "--sub", "dev.>"]);
    let config = std::fs::read_to_string(out.join("nats-server.conf")).unwrap();
    let server = NatsServer::start(
        myc_testkit::nats::ServerKind::Modern,
        &nats::modern_binary(),
        |_| config,
    )
    .unwrap();
    let watcher = connect(&server, &std::fs::read_to_string(&watcher).unwrap())
        .await
        .unwrap();
    let mut seen = watcher.subscribe("prod.>").await.unwrap();
    let mut dev = watcher.subscribe("dev.>").await.unwrap();
    let billing = connect(&server, &std::fs::read_to_string(&billing).unwrap())
        .await
        .unwrap();
    await_interest(&billing, &mut seen, "prod.billing.probe").await;
    billing
        .publish("dev.billing.x", "wrong plane".into())
        .await
        .unwrap();
    billing
        .publish("prod.billing.x", "ok".into())
        .await
        .unwrap();
    billing.flush().await.unwrap();
    assert_eq!(receives(&mut seen, 2000).await.as_deref(), Some("ok"));
    assert_eq!(
        receives(&mut dev, 300).await,
        None,
        "another plane is refused"
    );
}
