//! The gateway end to end over real sockets: a client → the gateway router → real upstream
//! servers on 127.0.0.1 that echo what they receive.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_gateway::config::Config;
use myc_tower::auth::Authenticator;
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use serde_json::{Value, json};

const SECRET: &[u8] = b"gateway-test-secret-of-32-bytes-or-more!";

/// An upstream that echoes method, path, query and headers, and counts requests.
async fn upstream(name: &'static str) -> (String, Arc<AtomicU64>) {
    let (app, hits) = echo_app(name);
    let addr = myc_testkit::http::serve(app).await;
    (addr.to_string(), hits)
}

/// The echo upstream over TLS (test CA, certificate for `localhost`); returns `localhost:port`.
async fn upstream_tls(name: &'static str) -> (String, Arc<AtomicU64>) {
    let (app, hits) = echo_app(name);
    let addr = myc_testkit::tls::serve(app).await;
    (format!("localhost:{}", addr.port()), hits)
}

fn echo_app(name: &'static str) -> (Router, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicU64::new(0));
    async fn echo(
        State((name, hits)): State<(&'static str, Arc<AtomicU64>)>,
        uri: Uri,
        headers: HeaderMap,
    ) -> axum::response::Response {
        hits.fetch_add(1, Ordering::SeqCst);
        let headers: serde_json::Map<String, Value> = headers
            .iter()
            .map(|(k, v)| (k.to_string(), json!(String::from_utf8_lossy(v.as_bytes()))))
            .collect();
        let mut response =
            axum::Json(json!({"upstream": name, "uri": uri.to_string(), "headers": headers}))
                .into_response_parts();
        response
            .headers_mut()
            .insert("x-mycelium-leak", "internal".parse().unwrap());
        response
    }
    trait IntoParts {
        fn into_response_parts(self) -> axum::response::Response;
    }
    impl<T: axum::response::IntoResponse> IntoParts for T {
        fn into_response_parts(self) -> axum::response::Response {
            self.into_response()
        }
    }
    let app = Router::new()
        .fallback(echo)
        .with_state((name, hits.clone()));
    (app, hits)
}

fn dead_host() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().to_string()
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

async fn gateway(config_text: &str, trusted: &[&str]) -> String {
    let app = build_app(config_text, trusted).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(myc_gateway::server::serve(
        listener,
        app,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

async fn build_app(config_text: &str, trusted: &[&str]) -> myc_gateway::app::App {
    let trusted = trusted
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let config_text = format!(
        "[gateway]\ntrusted_proxies = [{trusted}]\nhealth_path = \"/_gateway/health\"\nmetrics_path = \"/_gateway/metrics\"\nhealth = {{ interval_ms = 100, timeout_ms = 500 }}\n{config_text}"
    );
    let config = Config::parse(&config_text, "test.toml", Path::new("."), &|_| None).unwrap();
    let jwt = JwtVerifier::new().internal(InternalIssuer {
        issuer: "mycelium".into(),
        audiences: vec!["gateway".into()],
        keys: vec![LocalKey::hmac(Some("v1"), Algorithm::HS256, SECRET).unwrap()],
    });
    let store = myc_gateway::store::SqlStore::memory().await.unwrap();
    myc_gateway::store::DirectoryFile::parse("[[accounts]]\nemail = \"alice@example.com\"\n")
        .unwrap()
        .import(&store)
        .await
        .unwrap();
    let auth = Arc::new(Authenticator::new(jwt, Arc::new(store)));
    let built = myc_gateway::app::build(config, auth, Default::default()).unwrap();
    built.health.spawn();
    built.app
}

/// Shutdown stops accepting, lets the request in flight finish, and ends once every
/// connection has closed.
#[tokio::test]
async fn graceful_shutdown_drains_in_flight_requests() {
    let slow = Router::new().fallback(|| async {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        "slow answer"
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, slow).into_future());
    let app = build_app(
        &format!(
            "[api.services]\n[[slow]]\nhost = \"{upstream}\"\n[[slow.path]]\ngroup = \"public\"\npath = \"/slow\"\nmethods = [\"GET\"]\n"
        ),
        &[],
    )
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(myc_gateway::server::serve(listener, app, async {
        let _ = stopped.await;
    }));
    let in_flight = tokio::spawn(async move {
        let response = reqwest::get(format!("http://{addr}/slow")).await.unwrap();
        let connection = response.headers().get("connection").cloned();
        (
            response.status().as_u16(),
            response.text().await.unwrap(),
            connection,
        )
    });
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    assert_eq!(
        in_flight.await.unwrap(),
        (
            200,
            "slow answer".to_owned(),
            Some(http::HeaderValue::from_static("close"))
        ),
        "the request in flight completes, and its response says the connection closes"
    );
    tokio::time::timeout(std::time::Duration::from_secs(5), server)
        .await
        .expect("serve returns once drained")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer accepting"
    );
}

async fn get(url: &str, headers: &[(&str, &str)]) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut request = reqwest::Client::new().get(url);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        response.json().await.unwrap_or(Value::Null),
        headers,
    )
}

#[tokio::test]
async fn routes_authenticates_and_forwards_with_clean_headers() {
    let (a, hits_a) = upstream("a").await;
    let (b, hits_b) = upstream("b").await;
    let config = format!(
        r#"
[api.services]
[[svc]]
hosts = ["{a}", "{b}"]
[[svc.secret]]
name = "q"
queryParameter = {{ name = "key", token = "s3cr3t" }}
[[svc.secret]]
name = "h"
authorizationHeader = {{ headerName = "x-api-key", prefix = "", token = "k3y" }}
[[svc.path]]
group = "public"
path = "/public/*"
methods = ["GET"]
[[svc.path]]
group = "protected"
path = "/private/*"
methods = ["GET"]
[[svc.path]]
group = "public"
path = "/query/*"
methods = ["GET"]
secretName = "q"
acceptInsecureRouting = true
[[svc.path]]
group = "public"
path = "/header/*"
methods = ["GET"]
secretName = "h"
acceptInsecureRouting = true
"#
    );
    let gw = gateway(&config, &[]).await;

    // Round-robin over both hosts; spoofed identity and forwarding headers are replaced.
    for _ in 0..4 {
        let (status, body, headers) = get(
            &format!("{gw}/public/x?y=1"),
            &[
                ("x-mycelium-profile", "forged"),
                ("x-forwarded-for", "6.6.6.6"),
                ("connection", "x-hop"),
                ("x-hop", "secret-hop"),
            ],
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["uri"], "/public/x?y=1");
        let h = &body["headers"];
        assert!(h.get("x-mycelium-profile").is_none());
        assert_eq!(h["x-mycelium-security-group"], "\"public\"");
        assert_eq!(h["x-forwarded-for"], "127.0.0.1");
        assert!(
            h.get("x-hop").is_none(),
            "headers named by Connection are hop-by-hop"
        );
        assert!(
            headers.get("x-mycelium-leak").is_none(),
            "responses are cleaned"
        );
        assert!(headers.contains_key("x-mycelium-request-id"));
    }
    assert_eq!(hits_a.load(Ordering::SeqCst), 2);
    assert_eq!(hits_b.load(Ordering::SeqCst), 2);

    // Protected: 401 without a token, the profile with one.
    assert_eq!(get(&format!("{gw}/private/x"), &[]).await.0, 401);
    let bearer = format!("Bearer {}", token("alice@example.com"));
    let (status, body, _) = get(&format!("{gw}/private/x"), &[("authorization", &bearer)]).await;
    assert_eq!(status, 200);
    assert!(body["headers"]["x-mycelium-profile"].as_str().is_some());
    assert!(body["headers"].get("authorization").is_none());

    // Secrets: the query keeps the client's parameters; the header replaces a client copy.
    let (_, body, _) = get(&format!("{gw}/query/x?a=1&key=forged&b=2"), &[]).await;
    assert_eq!(body["uri"], "/query/x?a=1&b=2&key=s3cr3t");
    let (_, body, headers) = get(&format!("{gw}/header/x"), &[("x-api-key", "forged")]).await;
    assert_eq!(body["headers"]["x-api-key"], "k3y");
    assert!(headers.get("x-api-key").is_none());

    // Traversal and encoded separators never reach a route; unknown paths and methods.
    for bad in [
        "/public/../private/x",
        "/public/%2e%2e/private/x",
        "/public/a%2fb",
    ] {
        let url = format!("{gw}{bad}");
        // reqwest would normalize dot segments: send the raw path with a plain TCP request.
        let status = raw_status(&gw, bad).await;
        assert_eq!(status, 400, "{url}");
    }
    assert_eq!(get(&format!("{gw}/nowhere"), &[]).await.0, 404);
    let status = reqwest::Client::new()
        .delete(format!("{gw}/public/x"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 405);
}

/// Sends `GET {path}` verbatim over TCP and returns the status code.
async fn raw_status(base: &str, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response.split(' ').nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_dead_host_is_ejected_and_idempotent_requests_retry_elsewhere() {
    let (live, hits) = upstream("live").await;
    let dead = dead_host();
    let config = format!(
        r#"
[api.services]
[[svc]]
hosts = ["{dead}", "{live}"]
[[svc.path]]
group = "public"
path = "/*"
methods = ["ALL"]
"#
    );
    let gw = gateway(&config, &[]).await;
    for _ in 0..6 {
        let (status, body, _) = get(&format!("{gw}/x"), &[]).await;
        assert_eq!(status, 200);
        assert_eq!(body["upstream"], "live");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 6);
    // A POST with a body is not retried: it fails if it lands on the dead host, but the dead
    // host is ejected now, so it goes to the live one.
    let status = reqwest::Client::new()
        .post(format!("{gw}/x"))
        .body("payload")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
}

#[tokio::test]
async fn allowed_sources_and_trusted_proxies_use_the_client_address() {
    let (up, _) = upstream("up").await;
    let config = format!(
        r#"
[api.services]
[[svc]]
host = "{up}"
allowedSources = ["198.51.100.0/24"]
[[svc.path]]
group = "public"
path = "/*"
methods = ["GET"]
"#
    );
    // Untrusted peer (127.0.0.1 not in the trusted list): its X-Forwarded-For is ignored.
    let gw = gateway(&config, &[]).await;
    let (status, _, _) = get(&format!("{gw}/x"), &[("x-forwarded-for", "198.51.100.7")]).await;
    assert_eq!(status, 403);
    let (status, _, _) = get(&format!("{gw}/x"), &[("host", "198.51.100.7")]).await;
    assert_eq!(status, 403, "the Host header is never a source");
    // Through a trusted proxy (loopback), the forwarded client address is checked and kept.
    let gw = gateway(&config, &["127.0.0.0/8"]).await;
    let (status, body, _) = get(&format!("{gw}/x"), &[("x-forwarded-for", "198.51.100.7")]).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["headers"]["x-forwarded-for"],
        "198.51.100.7, 127.0.0.1"
    );
    assert!(
        body["headers"]["forwarded"]
            .as_str()
            .unwrap()
            .starts_with("for=198.51.100.7")
    );
}

/// An upstream whose `/health` answers 200 or 503 as `healthy` says.
async fn upstream_with_health(name: &'static str) -> (String, Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::AtomicBool;
    let healthy = Arc::new(AtomicBool::new(true));
    let flag = healthy.clone();
    let app = Router::new()
        .route(
            "/health",
            axum::routing::get(move || {
                let flag = flag.clone();
                async move {
                    if flag.load(Ordering::SeqCst) {
                        axum::http::StatusCode::OK
                    } else {
                        axum::http::StatusCode::SERVICE_UNAVAILABLE
                    }
                }
            }),
        )
        .fallback(move || async move { axum::Json(json!({ "upstream": name })) });
    let addr = myc_testkit::http::serve(app).await;
    (addr.to_string(), healthy)
}

#[tokio::test]
async fn active_health_checks_take_a_host_out_and_bring_it_back() {
    let (a, a_healthy) = upstream_with_health("a").await;
    let (b, b_healthy) = upstream_with_health("b").await;
    let config = format!(
        r#"
[api.services]
[[svc]]
hosts = ["{a}", "{b}"]
healthCheckPath = "/health"
[[svc.path]]
group = "public"
path = "/x"
methods = ["GET"]
"#
    );
    let gw = gateway(&config, &[]).await;
    let served_by = |n: usize| {
        let gw = gw.clone();
        async move {
            let mut seen = Vec::new();
            for _ in 0..n {
                let (_, body, _) = get(&format!("{gw}/x"), &[]).await;
                seen.push(body["upstream"].as_str().unwrap().to_owned());
            }
            seen
        }
    };
    assert!(served_by(4).await.contains(&"a".to_owned()));
    // Unhealthy for three probes (100 ms apart): out of rotation within a few probe rounds.
    a_healthy.store(false, Ordering::SeqCst);
    let mut out = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if served_by(4).await.iter().all(|u| u == "b") {
            out = true;
            break;
        }
    }
    assert!(out, "the failing host left the rotation");
    assert!(served_by(6).await.iter().all(|u| u == "b"));
    // Healthy for two probes: back.
    a_healthy.store(true, Ordering::SeqCst);
    let mut back = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if served_by(4).await.contains(&"a".to_owned()) {
            back = true;
            break;
        }
    }
    assert!(back, "the recovered host rejoined the rotation");

    // Liveness, readiness and metrics.
    let (status, body, _) = get(&format!("{gw}/_gateway/health"), &[]).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, body, _) = get(&format!("{gw}/_gateway/health/ready"), &[]).await;
    assert_eq!(status, 200, "{body}");
    let metrics = reqwest::get(format!("{gw}/_gateway/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("myc_gateway_requests_total{route=\"svc /x\",status=\"200\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("myc_gateway_request_duration_seconds_count"));
    assert!(metrics.contains(&format!(
        "myc_gateway_upstream_up{{service=\"svc\",host=\"{a}\"}} 1"
    )));
    // Both hosts failing their checks: not ready.
    a_healthy.store(false, Ordering::SeqCst);
    b_healthy.store(false, Ordering::SeqCst);
    let mut degraded = false;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        if get(&format!("{gw}/_gateway/health/ready"), &[]).await.0 == 503 {
            degraded = true;
            break;
        }
    }
    assert!(degraded, "readiness reflects upstream health");
}

#[tokio::test]
async fn https_upstreams_trust_the_configured_roots() {
    let (host, hits) = upstream_tls("tls").await;
    let dir = std::env::temp_dir().join(format!("myc-gateway-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, myc_testkit::tls::CA_PEM).unwrap();
    let service = format!(
        r#"
[api.services]
[[secure]]
host = "{host}"
protocol = "https"
[[secure.secret]]
name = "key"
authorizationHeader = {{ headerName = "x-api-key", token = "s3cr3t" }}
[[secure.path]]
group = "public"
path = "/s/*"
methods = ["GET"]
secretName = "key"
"#
    );
    // Trusting the test CA: forwarded over TLS, the secret injected without
    // acceptInsecureRouting (the hop is encrypted), the connection reused.
    let trusted = format!(
        "[gateway.tls]\nextra_roots = [\"{}\"]\n{service}",
        ca.display()
    );
    let base = gateway(&trusted, &[]).await;
    for i in 0..3 {
        let (status, body, _) = get(&format!("{base}/s/{i}?q=1"), &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["upstream"], "tls");
        assert_eq!(body["uri"], format!("/s/{i}?q=1"));
        assert_eq!(body["headers"]["x-api-key"], "Bearer s3cr3t");
        assert_eq!(body["headers"]["host"], host.as_str());
    }
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // Without the CA the certificate is refused: 502, and the upstream never sees a request.
    let base = gateway(&service, &[]).await;
    let (status, body, _) = get(&format!("{base}/s/x"), &[]).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["code"], "MYG00502");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    // A roots file that holds no certificate is a config error naming the key.
    std::fs::write(&ca, "not a certificate").unwrap();
    let err = Config::parse(&trusted, "t.toml", Path::new("."), &|_| None).unwrap_err();
    assert_eq!(err.key, "gateway.tls.extra_roots[0]");
    std::fs::remove_dir_all(&dir).unwrap();
}
