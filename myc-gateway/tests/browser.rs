//! CORS as a browser enforces it: headless Chromium loads a page from one loopback origin
//! that `fetch`es a protected route of the gateway (another origin) with a bearer token. The
//! allowed origin gets the data; another origin is blocked by the browser; the preflight is
//! answered by the gateway before authentication.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Command, Stdio};

const SECRET: &str = "browser-test-secret-with-at-least-32-bytes";

async fn echo_upstream() -> String {
    let app = axum::Router::new().fallback(|headers: axum::http::HeaderMap| async move {
        axum::Json(serde_json::json!({
            "has_profile": headers.contains_key("x-mycelium-profile"),
        }))
    });
    let addr = myc_testkit::http::serve(app).await;
    addr.to_string()
}

/// The page's title after Chromium ran its script (`DATA:…` or `BLOCKED:…`).
fn title_in_chromium(url: &str) -> String {
    let profile = std::env::temp_dir().join(format!("myc-chromium-{}", uuid::Uuid::new_v4()));
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stderr(Stdio::null())
        .output()
        .expect("chromium runs (scripts/setup installs it)");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    let start = dom.find("<title>").map(|i| i + 7).unwrap_or(0);
    let end = dom.find("</title>").unwrap_or(start);
    dom[start..end].to_owned()
}

#[tokio::test]
async fn an_allowed_origin_reads_a_protected_route_and_another_is_blocked() {
    let upstream = echo_upstream().await;
    // Two page origins; the gateway allows only the first. Pages are created before the
    // gateway (their origins go into its config) and get its URL and a token afterwards.
    let slot = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let script = |slot: std::sync::Arc<std::sync::Mutex<String>>| {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let html = slot.lock().unwrap().clone();
                async move { axum::response::Html(html) }
            }),
        );
        async move {
            let addr = myc_testkit::http::serve(app).await;
            format!("http://{addr}")
        }
    };
    let allowed = script(slot.clone()).await;
    let other = script(slot.clone()).await;
    let dir = common::temp_dir("myc-browser");
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            "[api]\nallowedOrigins = [\"{allowed}\"]\n\
             [gateway.auth.internal]\nissuer = \"mycelium\"\naudiences = [\"mycelium\"]\n\
             keys = [{{ kid = \"v1\", alg = \"HS256\", secret = {{ env = \"TEST_JWT_SECRET\" }} }}]\n\
             [api.services]\n[[app]]\nhost = \"{upstream}\"\n\
             [[app.path]]\ngroup = \"protected\"\npath = \"/reports/*\"\nmethods = [\"GET\"]\n"
        ),
    )
    .unwrap();
    let env = [("TEST_JWT_SECRET", SECRET)];
    let admin = |args: &[&str]| common::admin(&dir, &env, args);
    admin(&["accounts", "create", "--email", "ann@t.test"]);
    let token = admin(&["tokens", "mint", "--email", "ann@t.test", "--ttl", "600"]);
    let (gateway, base) = common::serve(&dir, &env, Stdio::null());
    *slot.lock().unwrap() = format!(
        r#"<!doctype html><html><head><title>PENDING</title></head><body><script>
fetch("{base}/reports/q3", {{ headers: {{ "Authorization": "Bearer {token}" }} }})
  .then(r => r.json())
  .then(j => {{ document.title = "DATA:" + j.has_profile; }})
  .catch(e => {{ document.title = "BLOCKED:" + e.name; }});
</script></body></html>"#
    );
    let (a, b) = tokio::task::spawn_blocking({
        let (allowed, other) = (allowed.clone(), other.clone());
        move || (title_in_chromium(&allowed), title_in_chromium(&other))
    })
    .await
    .unwrap();
    assert_eq!(a, "DATA:true", "the allowed origin");
    assert_eq!(b, "BLOCKED:TypeError", "another origin");

    // The preflight as the browser sends it: answered by the gateway without credentials,
    // with the allowed origin echoed, and without any CORS grant for another origin.
    let http = reqwest::Client::new();
    for (origin, granted) in [(&allowed, true), (&other, false)] {
        let response = http
            .request(reqwest::Method::OPTIONS, format!("{base}/reports/q3"))
            .header("origin", origin.as_str())
            .header("access-control-request-method", "GET")
            .header("access-control-request-headers", "authorization")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let grant = response.headers().get("access-control-allow-origin");
        assert_eq!(
            grant.map(|v| v.to_str().unwrap()),
            granted.then_some(origin.as_str())
        );
    }
    drop(gateway);
}
