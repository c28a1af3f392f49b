//! `myc-gateway serve` and the admin CLI as processes: a configuration file, secrets from the
//! environment, identities put into the embedded store with `directory import`, `guests add`
//! and `connection-strings issue|revoke`, a real upstream; bad configuration exits 1 with one
//! line naming file and key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

const SECRET: &str = "serve-test-secret-with-at-least-32-bytes";

mod common;

use common::Kill;

fn temp_dir() -> std::path::PathBuf {
    common::temp_dir("myc-gateway-serve")
}

async fn upstream() -> String {
    let app = axum::Router::new().fallback(|headers: axum::http::HeaderMap| async move {
        axum::Json(json!({
            "group": headers.get("x-mycelium-security-group").and_then(|v| v.to_str().ok()),
            "has_profile": headers.contains_key("x-mycelium-profile"),
        }))
    });
    let addr = myc_testkit::http::serve(app).await;
    addr.to_string()
}

#[tokio::test]
async fn serve_runs_a_configured_gateway() {
    let up = upstream().await;
    let dir = temp_dir();
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            r#"
[gateway.ops]
ready_details = true

[gateway.auth.internal]
issuer = "mycelium"
audiences = ["mycelium"]
keys = [{{ kid = "v1", alg = "HS256", secret = {{ env = "TEST_JWT_SECRET" }} }}]

[gateway.auth.connection_strings]
primary = 1
keys = [{{ version = 1, secret = {{ env = "TEST_JWT_SECRET" }} }}]

[api.services]
[[app]]
host = "{up}"
[[app.path]]
group = "public"
path = "/public/*"
methods = ["GET"]
[[app.path]]
group = {{ protectedByRoles = [{{ slug = "viewer" }}] }}
path = "/reports/*"
methods = ["GET"]
"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("directory.toml"),
        r#"
[[tenants]]
id = "11111111-1111-4111-8111-111111111111"
name = "T"
[[accounts]]
email = "viewer@example.com"
licences = [{ tenant = "11111111-1111-4111-8111-111111111111", role = "viewer" }]
[[accounts]]
email = "nobody@example.com"
"#,
    )
    .unwrap();
    let admin = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
            .args(args)
            .arg("--config")
            .arg(dir.join("gateway.toml"))
            .env("TEST_JWT_SECRET", SECRET)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
            String::from_utf8(output.stderr).unwrap(),
        )
    };
    let ok = |args: &[&str]| {
        let (code, stdout, stderr) = admin(args);
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
        stdout.trim().to_owned()
    };
    let import = ok(&[
        "directory",
        "import",
        dir.join("directory.toml").to_str().unwrap(),
    ]);
    assert!(
        import.starts_with("accounts: 2 created, 0 existing"),
        "{import}"
    );
    // The embedded store is a private file in the data directory next to the config.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let db = dir.join("data").join("myc-gateway.sqlite3");
        assert_eq!(
            std::fs::metadata(db).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    ok(&[
        "accounts",
        "create-seed-account",
        "--email",
        "root@example.com",
    ]);
    let tenant = ok(&[
        "tenants",
        "create",
        "--name",
        "Second",
        "--owner",
        "root@example.com",
    ]);
    ok(&[
        "guest-roles",
        "create",
        "--slug",
        "viewer",
        "--permission",
        "write",
    ]);
    let granted = ok(&[
        "guests",
        "add",
        "--tenant",
        &tenant,
        "--email",
        "new@example.com",
        "--role",
        "viewer",
        "--permission",
        "write",
    ]);
    assert!(granted.starts_with("created account"), "{granted}");
    let (code, _, stderr) = admin(&[
        "accounts",
        "create-seed-account",
        "--email",
        "ROOT@example.com",
    ]);
    assert_eq!(code, Some(1));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
    let (code, _, stderr) = admin(&[
        "guests",
        "add",
        "--tenant",
        &tenant,
        "--email",
        "x@example.com",
        "--role",
        "nope",
    ]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("guest role nope (read) not found"),
        "{stderr}"
    );
    let cs = ok(&[
        "connection-strings",
        "issue",
        "--email",
        "viewer@example.com",
        "--role",
        "viewer",
        "--tenant",
        "11111111-1111-4111-8111-111111111111",
        "--name",
        "ci",
    ]);
    let revoked = ok(&[
        "connection-strings",
        "issue",
        "--email",
        "viewer@example.com",
    ]);
    let listed = ok(&[
        "connection-strings",
        "list",
        "--email",
        "viewer@example.com",
    ]);
    assert_eq!(listed.lines().count(), 3, "{listed}");
    assert!(!listed.contains(&cs) && !listed.contains(&revoked));
    let revoked_id = listed
        .lines()
        .skip(1)
        .find(|l| !l.contains("\tci\t"))
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    ok(&["connection-strings", "revoke", "--id", &revoked_id]);
    let (code, _, _) = admin(&["connection-strings", "revoke", "--id", &revoked_id]);
    assert_eq!(code, Some(1));

    let child = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(dir.join("gateway.toml"))
        .env("TEST_JWT_SECRET", SECRET)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Kill(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();

    // Tokens come from `myc-gateway tokens mint` with the same configuration.
    let token = |email: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
            .args([
                "tokens", "mint", "--email", email, "--ttl", "600", "--config",
            ])
            .arg(dir.join("gateway.toml"))
            .env("TEST_JWT_SECRET", SECRET)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let http = reqwest::Client::new();
    let body: Value = http
        .get(format!("{base}/public/x"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["group"], "\"public\"");
    let response = http
        .get(format!("{base}/reports/q1"))
        .bearer_auth(token("viewer@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["has_profile"], true);
    let status = http
        .get(format!("{base}/reports/q1"))
        .bearer_auth(token("nobody@example.com"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 403);
    assert_eq!(
        http.get(format!("{base}/reports/q1"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Connection strings: the issued one works, the revoked one does not.
    let with_cs = |value: &str| {
        http.get(format!("{base}/reports/q1"))
            .header("x-mycelium-connection-string", value)
            .send()
    };
    assert_eq!(with_cs(&cs).await.unwrap().status(), 200);
    assert_eq!(with_cs(&revoked).await.unwrap().status(), 401);
    // A guest added through the CLI (account created on the way) gets in.
    let status = http
        .get(format!("{base}/reports/q1"))
        .bearer_auth(token("new@example.com"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    // The admin API: the seed account lists tenants, a plain user is refused by role, no
    // credential is refused before JSON-RPC.
    let rpc = |email: Option<&str>, method: &str| {
        let mut request = http.post(format!("{base}/_adm/rpc")).json(
            &serde_json::json!({ "jsonrpc": "2.0", "method": method, "params": {}, "id": 1 }),
        );
        if let Some(email) = email {
            request = request.bearer_auth(token(email));
        }
        request.send()
    };
    let listed: Value = rpc(Some("root@example.com"), "managers.tenants.list")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["result"]["count"], 2, "{listed}");
    let refused: Value = rpc(Some("viewer@example.com"), "managers.tenants.list")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(refused["error"]["code"], -32401, "{refused}");
    let own: Value = rpc(Some("viewer@example.com"), "beginners.profile.get")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        own["result"]["owners"][0]["email"], "viewer@example.com",
        "{own}"
    );
    assert_eq!(
        rpc(None, "beginners.profile.get").await.unwrap().status(),
        401
    );
    // Readiness covers the store (details on: the test runs from loopback, an ops source).
    let ready: Value = http
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["store"]["up"], true, "{ready}");
    drop(child);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_configuration_exits_1_with_one_line() {
    let dir = temp_dir();
    std::fs::write(
        dir.join("gateway.toml"),
        "[api.services]\n[[app]]\nhost = \"h:1\"\n[[app.path]]\ngroup = \"public\"\npath = \"/x\"\nmethods = [\"GET\"]\nsecretName = \"missing\"\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["serve", "--config"])
        .arg(dir.join("gateway.toml"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().last().unwrap();
    assert!(
        last.contains(
            "gateway.toml: api.services.app.path[0].secretName: secret \"missing\" is not defined"
        ),
        "{stderr}"
    );
    let usage = Command::new(env!("CARGO_BIN_EXE_myc-gateway"))
        .args(["serve"])
        .output()
        .unwrap();
    assert_eq!(usage.status.code(), Some(2));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// SIGTERM (what orchestrators send) during a slow request: the request completes, new
/// connections are refused, and the process exits 0.
#[tokio::test]
async fn sigterm_drains_in_flight_requests_and_exits_0() {
    let slow = axum::Router::new().fallback(|| async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        "slow and complete"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let up = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, slow).into_future());
    let dir = temp_dir();
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            "[gateway]\nshutdown_grace_secs = 10\n[api.services]\n[[slow]]\nhost = \"{up}\"\n\
             [[slow.path]]\ngroup = \"public\"\npath = \"/slow\"\nmethods = [\"GET\"]\n"
        ),
    )
    .unwrap();
    let (mut child, base) = common::serve(&dir, &[], Stdio::null());
    let in_flight = tokio::spawn({
        let url = format!("{base}/slow");
        async move {
            let response = reqwest::get(url).await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let killed = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let address = base.strip_prefix("http://").unwrap();
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "a new connection was accepted while draining"
    );
    assert_eq!(
        in_flight.await.unwrap(),
        (200, "slow and complete".to_owned())
    );
    let mut status = None;
    for _ in 0..100 {
        if let Some(exited) = child.0.try_wait().unwrap() {
            status = Some(exited);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{status:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `[api.logging]`: JSON lines into a private file; `RUST_LOG` replaces the level;
/// `serviceWorkers` is accepted.
#[tokio::test]
async fn logs_go_where_api_logging_says() {
    let up = upstream().await;
    let dir = temp_dir();
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            "[api]\nserviceWorkers = 2\n[api.logging]\nlevel = \"info\"\nformat = \"jsonl\"\n\
             target = {{ file = {{ path = \"logs/api.log\" }} }}\n\
             [api.services]\n[[app]]\nhost = \"{up}\"\n\
             [[app.path]]\ngroup = \"protected\"\npath = \"/p\"\nmethods = [\"GET\"]\n"
        ),
    )
    .unwrap();
    let log = dir.join("logs").join("api.log");
    for rust_log in [None, Some("warn")] {
        let _ = std::fs::remove_file(&log);
        // An empty RUST_LOG counts as unset.
        let env = [("RUST_LOG", rust_log.unwrap_or(""))];
        let (child, base) = common::serve(&dir, &env, Stdio::null());
        let status = reqwest::get(format!("{base}/p")).await.unwrap().status();
        assert_eq!(status, 401);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        drop(child);
        let text = std::fs::read_to_string(&log).unwrap();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect();
        let refused = lines
            .iter()
            .any(|l| l["fields"]["message"] == "request refused");
        // One access event per request: route, status, request id; never the credential.
        let access = lines.iter().find(|l| l["target"] == "access");
        match rust_log {
            None => {
                let access = access.unwrap_or_else(|| panic!("no access event: {text}"));
                assert_eq!(access["fields"]["method"], "GET");
                assert_eq!(access["fields"]["route"], "app /p");
                assert_eq!(access["fields"]["status"], 401);
                assert!(access["fields"]["request_id"].is_string(), "{access}");
                assert!(access["fields"]["latency_us"].is_u64(), "{access}");
            }
            Some(_) => assert!(access.is_none(), "{text}"),
        }
        match rust_log {
            None => assert!(refused, "{text}"),
            Some(_) => assert!(
                !refused && lines.iter().all(|l| l["level"] != "INFO"),
                "{text}"
            ),
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&log).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
