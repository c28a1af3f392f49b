//! Response callbacks through the gateway over real sockets: Rhai scripts in process, HTTP
//! callbacks to a real receiver, Python and Node.js scripts as real child processes;
//! filters, the three execution modes, timeouts, retries and the bounded queue.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_gateway::config::Config;
use myc_tower::auth::Authenticator;
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use serde_json::{Value, json};

mod common;

const SECRET: &[u8] = b"gateway-test-secret-of-32-bytes-or-more!";

/// An upstream: `/ok` answers 200, `/fail` 500 with `X-Error-Code: PAYMENT_FAILED`.
async fn upstream() -> String {
    let app = Router::new()
        .route("/ok", axum::routing::any(|| async { "fine" }))
        .route(
            "/fail",
            axum::routing::any(|| async {
                (
                    http::StatusCode::INTERNAL_SERVER_ERROR,
                    [("x-error-code", "PAYMENT_FAILED")],
                    "broken",
                )
            }),
        );
    myc_testkit::http::serve(app).await.to_string()
}

/// A receiver that answers 503 to its first `fail_first` requests, then 204.
async fn receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let app = Router::new().route(
        "/events",
        axum::routing::put({
            let seen = seen.clone();
            move |body: axum::Json<Value>| async move {
                let mut all = seen.lock().unwrap();
                all.push(body.0);
                if all.len() <= fail_first {
                    http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    http::StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let addr = myc_testkit::http::serve(app).await;
    (format!("http://{addr}/events"), seen)
}

fn token(email: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("v1".into());
    let exp = jsonwebtoken::get_current_timestamp() + 600;
    myc_tower::jwt::backend::install_default();
    jsonwebtoken::encode(
        &header,
        &json!({"iss": "mycelium", "aud": "gateway", "email": email, "exp": exp}),
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap()
}

/// The gateway for `config` (upstream's shape; file paths relative to `dir`).
async fn gateway(dir: &Path, config: &str) -> String {
    let text = format!("[gateway]\nmetrics_path = \"/_gateway/metrics\"\n{config}");
    let config = Config::parse(&text, "test.toml", dir, &|_| None).unwrap();
    let jwt = JwtVerifier::new().internal(InternalIssuer {
        issuer: "mycelium".into(),
        audiences: vec!["gateway".into()],
        keys: vec![LocalKey::hmac(Some("v1"), Algorithm::HS256, SECRET).unwrap()],
    });
    let store = myc_gateway::store::SqlStore::memory().await.unwrap();
    let auth = Arc::new(Authenticator::new(jwt, Arc::new(store)));
    let built = myc_gateway::app::build(config, auth, Default::default()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(myc_gateway::server::serve(
        listener,
        built.app,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

/// `[api.services]` with one service at `host`: `/ok` and `/fail`, both with `callbacks`,
/// in `group`.
fn service(host: &str, group: &str, callbacks: &[&str]) -> String {
    let names = callbacks
        .iter()
        .map(|c| format!("{c:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        r#"
[api.services]

[[app]]
host = "{host}"

[[app.path]]
group = "{group}"
path = "/ok"
methods = ["GET", "POST"]
callbacks = [{names}]

[[app.path]]
group = "{group}"
path = "/fail"
methods = ["GET", "POST"]
callbacks = [{names}]
"#
    )
}

/// The callback counter `outcome` from `/metrics`.
async fn counter(gw: &str, outcome: &str) -> u64 {
    let text = reqwest::get(format!("{gw}/_gateway/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let needle = format!("myc_gateway_callbacks_total{{outcome=\"{outcome}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(needle.as_str()))
        .unwrap_or_else(|| panic!("no {outcome} counter in\n{text}"))
        .parse()
        .unwrap()
}

/// Polls `check` every 50 ms for up to 20 s.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never: {what}");
}

/// A Python script appending its argument to `out` after `sleep` seconds (its pid goes to
/// `out.pid` first).
fn python_script(dir: &Path, name: &str, out: &Path, sleep: f64) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            "import os, sys, time\nopen({pid:?}, 'w').write(str(os.getpid()))\ntime.sleep({sleep})\nopen({out:?}, 'a').write(sys.argv[1] + '\\n')\n",
            pid = format!("{}.pid", out.display()),
            out = out.display().to_string(),
        ),
    )
    .unwrap();
    path
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_callback_gets_the_context_and_is_retried() {
    let (url, seen) = receiver(2).await;
    let host = upstream().await;
    let dir = common::temp_dir("myc-cb-http");
    let gw = gateway(
        &dir,
        &format!(
            r#"
[api.callbacks]

[[callback]]
name = "audit-log"
type = "http"
url = "{url}"
method = "PUT"
timeoutMs = 3000
retryCount = 3
retryIntervalMs = 100
{}"#,
            service(&host, "authenticated", &["audit-log"])
        ),
    )
    .await;
    let response = reqwest::Client::new()
        .post(format!("{gw}/ok?secret=1"))
        .bearer_auth(token("alice@example.com"))
        .header("x-mycelium-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "fine");
    eventually("three attempts", async || seen.lock().unwrap().len() == 3).await;
    eventually("one success", async || counter(&gw, "succeeded").await == 1).await;
    let context = seen.lock().unwrap()[2].clone();
    assert_eq!(context["status_code"], 200);
    assert_eq!(context["method"], "POST");
    assert_eq!(context["upstream_path"], "/ok");
    assert_eq!(context["downstream_url"], format!("http://{host}/ok"));
    assert_eq!(context["client_ip"], "127.0.0.1");
    assert_eq!(context["user_info"], json!({"email": "alice@example.com"}));
    assert_eq!(context["security_group"], "authenticated");
    assert_eq!(
        context["response_headers"]["content-type"],
        "text/plain; charset=utf-8"
    );
    assert!(context["request_id"].is_string(), "{context}");
    assert!(context["timestamp"].as_str().unwrap().ends_with('Z'));
    assert!(context["duration_ms"].is_u64());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn filters_pick_the_responses() {
    let (url, seen) = receiver(0).await;
    let host = upstream().await;
    let dir = common::temp_dir("myc-cb-filters");
    let gw = gateway(
        &dir,
        &format!(
            r#"
[[callback]]
name = "error-alert"
type = "http"
url = "{url}"
method = "PUT"
triggeringStatusCodes = {{ oneof = [500, 502, 503, 504] }}
triggeringMethods = {{ oneof = ["POST", "DELETE"] }}
triggeringHeaders = {{ oneof = {{ "X-Error-Code" = "PAYMENT_FAILED" }} }}
{}"#,
            service(&host, "public", &["error-alert"])
        ),
    )
    .await;
    let client = reqwest::Client::new();
    // Wrong status, wrong method, then the one that matches every filter.
    assert_eq!(
        client
            .post(format!("{gw}/ok"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{gw}/fail"))
            .send()
            .await
            .unwrap()
            .status(),
        500
    );
    assert_eq!(
        client
            .post(format!("{gw}/fail"))
            .send()
            .await
            .unwrap()
            .status(),
        500
    );
    eventually("the matching response", async || {
        counter(&gw, "succeeded").await == 1
    })
    .await;
    assert_eq!(counter(&gw, "filtered").await, 2);
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["status_code"], 500);
    assert_eq!(seen[0]["method"], "POST");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rhai_scripts_run_and_an_endless_one_is_stopped() {
    let host = upstream().await;
    let dir = common::temp_dir("myc-cb-rhai");
    let gw = gateway(
        &dir,
        &format!(
            r#"
[[callback]]
name = "error-monitor"
type = "rhai"
script = """
if status_code >= 500 {{
    log_error("Server error: " + status_code);
}}
if headers["content-type"] != () && method == "GET" && upstream_path.starts_with("/") {{
    log_info("ok: " + upstream_path + " in " + duration_ms + "ms");
}}
"""

[[callback]]
name = "endless"
type = "rhai"
timeoutMs = 300
script = "loop {{ }}"

[[callback]]
name = "throws"
type = "rhai"
script = "throw \"refused\";"
{}"#,
            service(&host, "public", &["error-monitor", "endless", "throws"])
        ),
    )
    .await;
    let response = reqwest::get(format!("{gw}/ok")).await.unwrap();
    assert_eq!(response.status(), 200);
    eventually("the scripts ended", async || {
        counter(&gw, "succeeded").await == 1 && counter(&gw, "failed").await == 2
    })
    .await;
    // The gateway still answers: the endless script was stopped, not left spinning.
    let response = reqwest::get(format!("{gw}/fail")).await.unwrap();
    assert_eq!(response.status(), 500);
    eventually("the second round", async || {
        counter(&gw, "failed").await == 4
    })
    .await;
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_and_javascript_children_get_the_context() {
    let host = upstream().await;
    let dir = common::temp_dir("myc-cb-process");
    let out = dir.join("out.txt");
    python_script(&dir, "record.py", &out, 0.0);
    std::fs::write(
        dir.join("record.js"),
        format!(
            "const fs = require('fs');\nconst c = JSON.parse(process.argv[2]);\nfs.appendFileSync({:?}, 'js ' + c.upstream_path + ' ' + c.status_code + '\\n');\n",
            out.display().to_string()
        ),
    )
    .unwrap();
    let gw = gateway(
        &dir,
        &format!(
            r#"
[[callback]]
name = "metrics-push"
type = "python"
scriptPath = "record.py"
pythonPath = "python3"
timeoutMs = 5000

[[callback]]
name = "slack-notify"
type = "javascript"
scriptPath = "record.js"
nodePath = "node"
timeoutMs = 5000
{}"#,
            service(&host, "public", &["metrics-push", "slack-notify"])
        ),
    )
    .await;
    assert_eq!(
        reqwest::get(format!("{gw}/fail")).await.unwrap().status(),
        500
    );
    eventually("both children wrote", async || lines(&out).len() == 2).await;
    let lines = lines(&out);
    assert!(lines.contains(&"js /fail 500".to_owned()), "{lines:?}");
    let python: Value =
        serde_json::from_str(lines.iter().find(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(python["upstream_path"], "/fail");
    assert_eq!(python["response_headers"]["x-error-code"], "PAYMENT_FAILED");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fire_and_forget_never_holds_the_response_and_waiting_modes_do() {
    let host = upstream().await;
    for (mode, waits) in [
        ("fireAndForget", false),
        ("parallel", true),
        ("sequential", true),
    ] {
        let dir = common::temp_dir("myc-cb-modes");
        let out = dir.join("out.txt");
        python_script(&dir, "slow.py", &out, 1.0);
        let gw = gateway(
            &dir,
            &format!(
                r#"
[api]
callbackExecutionMode = "{mode}"

[[callback]]
name = "slow"
type = "python"
scriptPath = "slow.py"
{}"#,
                service(&host, "public", &["slow"])
            ),
        )
        .await;
        let response = reqwest::get(format!("{gw}/ok")).await.unwrap();
        assert_eq!(response.status(), 200);
        // Ordering, not timing: in fireAndForget the answer is here before the child has
        // written; in the waiting modes only after.
        assert_eq!(lines(&out).len(), usize::from(waits), "{mode}");
        eventually("the child wrote", async || lines(&out).len() == 1).await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_mode_keeps_the_routes_order() {
    let host = upstream().await;
    let dir = common::temp_dir("myc-cb-order");
    let out = dir.join("out.txt");
    for (name, text) in [("a.js", "first"), ("b.js", "second")] {
        std::fs::write(
            dir.join(name),
            format!(
                "require('fs').appendFileSync({:?}, '{text}\\n');\n",
                out.display().to_string()
            ),
        )
        .unwrap();
    }
    let gw = gateway(
        &dir,
        &format!(
            r#"
[api]
callbackExecutionMode = "sequential"

[[callback]]
name = "b"
type = "javascript"
scriptPath = "b.js"

[[callback]]
name = "a"
type = "javascript"
scriptPath = "a.js"
{}"#,
            service(&host, "public", &["a", "b"])
        ),
    )
    .await;
    for _ in 0..3 {
        assert_eq!(
            reqwest::get(format!("{gw}/ok")).await.unwrap().status(),
            200
        );
    }
    assert_eq!(
        lines(&out),
        ["first", "second", "first", "second", "first", "second"]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_past_its_timeout_is_killed() {
    let host = upstream().await;
    let dir = common::temp_dir("myc-cb-kill");
    let out = dir.join("out.txt");
    python_script(&dir, "hang.py", &out, 60.0);
    let gw = gateway(
        &dir,
        &format!(
            r#"
[[callback]]
name = "hang"
type = "python"
scriptPath = "hang.py"
timeoutMs = 500
retryCount = 0
{}"#,
            service(&host, "public", &["hang"])
        ),
    )
    .await;
    assert_eq!(
        reqwest::get(format!("{gw}/ok")).await.unwrap().status(),
        200
    );
    eventually("the timeout", async || counter(&gw, "failed").await == 1).await;
    let pid = std::fs::read_to_string(format!("{}.pid", out.display())).unwrap();
    eventually("the child is gone", async || {
        // A killed child may stay a zombie until reaped; either way it no longer runs.
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| stat.split_whitespace().nth(2) == Some("Z"))
            .unwrap_or(true)
    })
    .await;
    assert!(lines(&out).is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_and_counts_instead_of_waiting() {
    let host = upstream().await;
    let dir = common::temp_dir("myc-cb-queue");
    let out = dir.join("out.txt");
    python_script(&dir, "slow.py", &out, 2.0);
    let gw = gateway(
        &dir,
        &format!(
            r#"
[gateway.callbacks]
queue = 1
concurrency = 1

[[callback]]
name = "slow"
type = "python"
scriptPath = "slow.py"
retryCount = 0
{}"#,
            service(&host, "public", &["slow"])
        ),
    )
    .await;
    // One running, one queued, one held by the consumer waiting for a slot: the rest drop.
    for _ in 0..10 {
        assert_eq!(
            reqwest::get(format!("{gw}/ok")).await.unwrap().status(),
            200
        );
    }
    let dropped = counter(&gw, "dropped").await;
    assert!(dropped >= 7, "dropped {dropped}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bad_definitions_are_refused_at_load() {
    let dir = common::temp_dir("myc-cb-config");
    let parse = |text: &str| {
        Config::parse(text, "test.toml", &dir, &|_| None)
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    let base = "[api.services]\n[[app]]\nhost = \"localhost:1\"\n[[app.path]]\ngroup = \"public\"\npath = \"/x\"\nmethods = [\"GET\"]\ncallbacks = [\"nope\"]\n";
    let e = parse(base).unwrap_err();
    assert!(
        e.contains("api.services.app.path[0].callbacks") && e.contains("nope"),
        "{e}"
    );
    let e = parse("[api]\n[[callback]]\nname = \"x\"\ntype = \"http\"\n").unwrap_err();
    assert!(e.contains("api.callbacks[0].url"), "{e}");
    let e = parse(
        "[api]\n[[callback]]\nname = \"x\"\ntype = \"python\"\nscriptPath = \"missing.py\"\n",
    )
    .unwrap_err();
    assert!(e.contains("scriptPath"), "{e}");
    let e = parse("[api]\n[[callback]]\nname = \"x\"\ntype = \"http\"\nurl = \"http://h/\"\nmethod = \"GET\"\n").unwrap_err();
    assert!(e.contains("method"), "{e}");
    let e = parse("[api]\n[[callback]]\nname = \"x\"\ntype = \"rhai\"\nscript = \"1\"\n[[callback]]\nname = \"x\"\ntype = \"rhai\"\nscript = \"2\"\n").unwrap_err();
    assert!(e.contains("defined twice"), "{e}");
    let e = parse(
        "[api]\n[[callback]]\nname = \"x\"\ntype = \"rhai\"\nscript = \"1\"\nurl = \"http://h/\"\n",
    )
    .unwrap_err();
    assert!(e.contains("api.callbacks[0].url"), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_script_that_does_not_compile_stops_the_build() {
    let text = "[[callback]]\nname = \"bad\"\ntype = \"rhai\"\nscript = \"if {\"\n[api.services]\n";
    let config = Config::parse(text, "test.toml", Path::new("."), &|_| None).unwrap();
    let store = myc_gateway::store::SqlStore::memory().await.unwrap();
    let auth = Arc::new(Authenticator::new(JwtVerifier::new(), Arc::new(store)));
    let e = myc_gateway::app::build(config, auth, Default::default()).unwrap_err();
    assert!(e.to_string().contains("callback \"bad\""), "{e}");
}
