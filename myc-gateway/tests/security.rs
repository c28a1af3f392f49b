//! Regressions of the security review, each sent as an attacker would: through the real
//! `myc-gateway serve` process, with identities from its admin CLI, in front of a Python
//! WSGI upstream (`wsgiref`), which reads headers as `HTTP_*` environ keys the way WSGI, CGI
//! and Rack servers do (`-` and `_` both become `_`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::Kill;
use serde_json::Value;

const SECRET: &str = "security-test-secret-with-at-least-32-bytes";
const OPS_TOKEN: &str = "ops-token-of-the-security-test";
const TENANT: &str = "11111111-1111-4111-8111-111111111111";

/// Echoes the `HTTP_*` environ keys and `PATH_INFO` of each request as JSON.
const WSGI_ECHO: &str = r#"
import json
from wsgiref.simple_server import make_server, WSGIRequestHandler

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

def app(environ, start_response):
    seen = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
    seen["PATH_INFO"] = environ.get("PATH_INFO")
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(body)))])
    return [body]

server = make_server("127.0.0.1", 0, app, handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
"#;

struct Gateway {
    dir: PathBuf,
    base: String,
    http: reqwest::Client,
    _upstream: Kill,
    process: Kill,
    log: PathBuf,
}

fn wsgi_upstream() -> (Kill, String) {
    let mut child = Kill(
        Command::new("python3")
            .args(["-c", WSGI_ECHO])
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 (wsgiref) runs the WSGI upstream"),
    );
    let mut port = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    (child, format!("127.0.0.1:{}", port.trim()))
}

fn config(upstream: &str) -> String {
    format!(
        r#"
[gateway]
trusted_proxies = ["127.0.0.0/8"]

[gateway.ops]
allowed_sources = ["10.0.0.0/8"]
token = {{ env = "TEST_OPS_TOKEN" }}

[gateway.auth.internal]
issuer = "mycelium"
audiences = ["mycelium"]
keys = [{{ kid = "v1", alg = "HS256", secret = {{ env = "TEST_JWT_SECRET" }} }}]

[gateway.auth.connection_strings]
primary = 1
keys = [{{ version = 1, secret = {{ env = "TEST_JWT_SECRET" }} }}]

[api.services]
[[wsgi]]
host = "{upstream}"
[[wsgi.path]]
group = "public"
path = "/public/*"
methods = ["GET"]
[[wsgi.path]]
group = "authenticated"
path = "/me/*"
methods = ["GET"]
[[wsgi.path]]
group = "protected"
path = "/reports/*"
methods = ["GET"]
[[wsgi.path]]
group = "protected"
path = "/ledger/*"
methods = ["GET"]

[[limited]]
host = "{upstream}"
allowedSources = ["10.9.9.9/32"]
[[limited.path]]
group = "public"
path = "/limited/*"
methods = ["GET"]

[[named]]
host = "{upstream}"
allowedSources = ["localhost"]
[[named.path]]
group = "public"
path = "/named/*"
methods = ["GET"]
"#
    )
}

const ENV: [(&str, &str); 2] = [("TEST_JWT_SECRET", SECRET), ("TEST_OPS_TOKEN", OPS_TOKEN)];

fn admin(dir: &Path, args: &[&str]) -> String {
    common::admin(dir, &ENV, args)
}

impl Gateway {
    fn start() -> Self {
        let (upstream, host) = wsgi_upstream();
        let dir = common::temp_dir("myc-security");
        std::fs::write(dir.join("gateway.toml"), config(&host)).unwrap();
        std::fs::write(
            dir.join("directory.toml"),
            format!(
                r#"
[[tenants]]
id = "{TENANT}"
name = "T"
[[accounts]]
email = "viewer@t.test"
licences = [{{ tenant = "{TENANT}", role = "viewer" }}]
[[accounts]]
email = "dormant@t.test"
"#
            ),
        )
        .unwrap();
        admin(
            &dir,
            &[
                "directory",
                "import",
                dir.join("directory.toml").to_str().unwrap(),
            ],
        );
        admin(
            &dir,
            &["accounts", "create-seed-account", "--email", "root@t.test"],
        );
        let log = dir.join("gateway.log");
        let (process, base) = common::serve(
            &dir,
            &ENV,
            Stdio::from(std::fs::File::create(&log).unwrap()),
        );
        Self {
            dir,
            base,
            http: reqwest::Client::new(),
            _upstream: upstream,
            process,
            log,
        }
    }

    fn token(&self, email: &str) -> String {
        admin(
            &self.dir,
            &["tokens", "mint", "--email", email, "--ttl", "600"],
        )
    }

    async fn get(&self, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// The profile the upstream received, decoded.
fn profile_of(seen: &Value) -> myc_profile::Profile {
    myc_profile::codec::decode(seen["HTTP_X_MYCELIUM_PROFILE"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn the_review_findings_stay_fixed() {
    let gw = Gateway::start();
    let viewer = format!("Bearer {}", gw.token("viewer@t.test"));

    // 1. A Connection header naming the identity headers: they still reach the upstream.
    let (status, seen) = gw
        .get(
            "/reports/q3",
            &[
                ("authorization", &viewer),
                (
                    "connection",
                    "x-mycelium-profile, x-mycelium-security-group",
                ),
            ],
        )
        .await;
    assert_eq!(status, 200, "{seen}");
    assert!(seen["HTTP_X_MYCELIUM_PROFILE"].is_string(), "{seen}");
    assert!(seen["HTTP_X_MYCELIUM_SECURITY_GROUP"].is_string(), "{seen}");

    // 2. Underscore spellings on a public route, no login at all.
    let forged = myc_profile::codec::encode(&{
        let mut p = myc_profile::Profile::new(uuid::Uuid::new_v4());
        p.is_staff = true;
        p
    })
    .unwrap();
    let (status, seen) = gw
        .get(
            "/public/x",
            &[
                ("x_mycelium_profile", &forged),
                ("X-Mycelium_Email", "\"root@t.test\""),
                ("x_mycelium_tenant_id", TENANT),
                ("X_MYCELIUM_SECURITY_GROUP", "\"staff\""),
            ],
        )
        .await;
    assert_eq!(status, 200);
    for key in [
        "HTTP_X_MYCELIUM_PROFILE",
        "HTTP_X_MYCELIUM_EMAIL",
        "HTTP_X_MYCELIUM_TENANT_ID",
    ] {
        assert!(
            seen.get(key).is_none(),
            "{key} reached the upstream: {seen}"
        );
    }
    assert_ne!(seen["HTTP_X_MYCELIUM_SECURITY_GROUP"], "\"staff\"");

    // 3. A role-scoped connection string of the seed (staff, manager) account.
    let scoped = admin(
        &gw.dir,
        &[
            "connection-strings",
            "issue",
            "--email",
            "root@t.test",
            "--role",
            "reporter",
        ],
    );
    let (status, seen) = gw
        .get("/reports/q3", &[("x-mycelium-connection-string", &scoped)])
        .await;
    assert_eq!(status, 200, "{seen}");
    let profile = profile_of(&seen);
    assert!(!profile.is_staff && !profile.is_manager, "{profile:?}");
    assert!(profile.tenants_ownership.is_none());

    // 4. Deactivated accounts: the connection string at once, a JWT of an account the
    // gateway holds nothing about on every group.
    let string = admin(
        &gw.dir,
        &["connection-strings", "issue", "--email", "viewer@t.test"],
    );
    let cs = [("x-mycelium-connection-string", string.as_str())];
    assert_eq!(gw.get("/me/x", &cs).await.0, 200);
    let dormant = format!("Bearer {}", gw.token("dormant@t.test"));
    admin(
        &gw.dir,
        &["accounts", "deactivate", "--email", "viewer@t.test"],
    );
    admin(
        &gw.dir,
        &["accounts", "deactivate", "--email", "dormant@t.test"],
    );
    for path in ["/me/x", "/reports/x"] {
        assert_eq!(gw.get(path, &cs).await.0, 403, "{path}");
        let (status, body) = gw.get(path, &[("authorization", &dormant)]).await;
        assert_eq!(status, 403, "{path}: {body}");
    }
    admin(
        &gw.dir,
        &["accounts", "activate", "--email", "viewer@t.test"],
    );
    assert_eq!(gw.get("/me/x", &cs).await.0, 200);

    // 5. allowedSources through a trusted proxy's X-Forwarded-For.
    for (chain, status) in [
        ("10.9.9.9", 200),
        ("10.9.9.9, 203.0.113.7:4444", 403),
        ("10.9.9.9, [2001:db8::1]:443", 403),
        ("10.9.9.9, unknown", 403),
        ("10.9.9.9, 203.0.113.7:99999", 403),
    ] {
        let (got, body) = gw.get("/limited/x", &[("x-forwarded-for", chain)]).await;
        assert_eq!(got, status, "{chain}: {body}");
    }

    // allowedSources by host name: resolved to addresses and matched against the client.
    assert_eq!(gw.get("/named/x", &[]).await.0, 200);
    let (status, body) = gw
        .get(
            "/named/x",
            &[("x-forwarded-for", "203.0.113.7"), ("host", "localhost")],
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // 7. Dot segments a Tomcat/Jetty/Spring, trimming or Unicode-folding upstream resolves.
    for path in [
        "/public/..;/ledger/x",
        "/public/..%20/ledger/x",
        "/public/..%09/ledger/x",
        "/public/%ef%bc%8e%ef%bc%8e/ledger/x",
        "/public/%2e%2e;x=1/ledger/x",
    ] {
        let (status, body) = gw.get(path, &[]).await;
        assert_eq!(status, 400, "{path}: {body}");
    }

    // 9. Operational endpoints: not for anybody.
    let (status, _) = gw.get("/metrics", &[]).await;
    assert_eq!(status, 403);
    let ops_bearer = format!("Bearer {OPS_TOKEN}");
    assert_eq!(
        gw.get("/metrics", &[("authorization", &ops_bearer)])
            .await
            .0,
        200
    );
    assert_eq!(
        gw.get("/metrics", &[("x-forwarded-for", "10.1.2.3")])
            .await
            .0,
        200
    );
    let (_, ready) = gw
        .get("/health/ready", &[("authorization", &ops_bearer)])
        .await;
    assert_eq!(
        ready.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["status"],
        "readiness details are off by default: {ready}"
    );
    // A reflected value is capped in the body and in the log.
    let huge = format!("AcC={};sig=x", "A".repeat(6000));
    let response = gw
        .http
        .get(format!("{}/reports/x", gw.base))
        .header("x-mycelium-connection-string", &huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().len() < 300);

    // The access log names the account of an admitted request, and no credential.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let log = std::fs::read_to_string(&gw.log).unwrap();
    let admitted = log
        .lines()
        .find(|l| l.contains(" access:") && l.contains("status=200") && l.contains("reports"))
        .unwrap_or_else(|| panic!("no access line for an admitted request:\n{log}"));
    assert!(admitted.contains("account="), "{admitted}");
    assert!(
        !log.contains(&scoped) && !log.contains(&string),
        "a credential was logged"
    );
}

#[tokio::test]
async fn refusals_are_logged_with_request_id_and_client_and_a_flood_is_bounded() {
    let gw = Gateway::start();
    let started = std::time::Instant::now();
    let requests: Vec<_> = (0..400)
        .map(|i| {
            let http = gw.http.clone();
            let url = format!("{}/reports/{i}", gw.base);
            tokio::spawn(async move {
                http.get(url)
                    .bearer_auth("not-a-token")
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    for request in requests {
        assert_eq!(request.await.unwrap(), 401);
    }
    let seconds = started.elapsed().as_secs() + 2;
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut log = String::new();
    std::fs::File::open(&gw.log)
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert!(!refused.is_empty(), "{log}");
    assert!(
        refused.len() as u64 <= 20 * seconds,
        "{} lines for 400 refusals in {seconds} s",
        refused.len()
    );
    for line in &refused {
        assert!(line.contains("request_id="), "{line}");
        assert!(line.contains("client=127.0.0.1"), "{line}");
        assert!(!line.contains("not-a-token"), "{line}");
    }
    drop(gw.process);
}
