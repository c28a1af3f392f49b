//! The gateway's edge with real clients and servers: HTTP/1.1, h2c and h2 over TLS against
//! every security group; a certificate swapped while a request is in flight; WebSocket
//! through a protected route; gRPC unary and server-streaming calls (tonic) with their
//! trailers; HTTP/2 rapid reset and slow clients bounded. The gateway runs as the
//! `myc-gateway serve` process.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    // tungstenite's handshake callback returns its own (large) error type.
    clippy::result_large_err
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use common::Kill;
use futures::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

const SECRET: &str = "edge-test-secret-with-at-least-32-bytes!!";
const TENANT: &str = "11111111-1111-4111-8111-111111111111";

/// A test CA and a `localhost`/`127.0.0.1` certificate it issued, as PEM.
struct TestCa {
    ca_pem: String,
    cert_pem: String,
    key_pem: String,
}

fn test_ca(name: &str) -> TestCa {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, name);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    let cert = leaf.signed_by(&key, &issuer).unwrap();
    TestCa {
        ca_pem: ca_cert.pem(),
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    }
}

/// A rustls client configuration trusting `ca_pem` only.
fn client_tls(ca_pem: &str) -> rustls::ClientConfig {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// hyper clients: HTTP/1.1 or HTTP/2 only, plain (h2c) or over TLS trusting `ca_pem`.
fn client(http2: bool, ca_pem: Option<&str>) -> Client<Https, Body> {
    let tls = client_tls(ca_pem.unwrap_or_default());
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    // ALPN offers only the protocol under test.
    let https = if http2 {
        builder.enable_http2().wrap_connector(http)
    } else {
        builder.enable_http1().wrap_connector(http)
    };
    Client::builder(TokioExecutor::new())
        .http2_only(http2)
        .build(https)
}

/// Echoes what the upstream saw as JSON, after waiting `?sleep_ms=`.
async fn echo_upstream() -> String {
    let app = axum::Router::new().fallback(
        |headers: axum::http::HeaderMap, uri: axum::http::Uri| async move {
            if let Some(ms) = uri.query().and_then(|q| q.strip_prefix("sleep_ms=")) {
                tokio::time::sleep(Duration::from_millis(ms.parse().unwrap())).await;
            }
            axum::Json(json!({
                "path": uri.path(),
                "group": headers.get("x-mycelium-security-group").and_then(|v| v.to_str().ok()),
                "email": headers.get("x-mycelium-email").and_then(|v| v.to_str().ok()),
                "has_profile": headers.contains_key("x-mycelium-profile"),
            }))
        },
    );
    let addr = myc_testkit::http::serve(app).await;
    addr.to_string()
}

struct Gateway {
    dir: PathBuf,
    base: String,
    process: Kill,
}

const ENV: [(&str, &str); 1] = [("TEST_JWT_SECRET", SECRET)];

fn admin(dir: &Path, args: &[&str]) -> String {
    common::admin(dir, &ENV, args)
}

impl Gateway {
    /// A gateway whose config is `head` (sections before `[api.services]`) and `services`,
    /// with an internal HS256 issuer, a viewer account, and `tls` files if given.
    fn start(head: &str, services: &str, tls: Option<&TestCa>) -> Self {
        let dir = common::temp_dir("myc-edge");
        let tls_section = match tls {
            Some(ca) => {
                std::fs::write(dir.join("cert.pem"), &ca.cert_pem).unwrap();
                std::fs::write(dir.join("key.pem"), &ca.key_pem).unwrap();
                "[api.tls.define]\ntlsCert = { file = \"cert.pem\" }\ntlsKey = { file = \"key.pem\" }\n"
            }
            None => "",
        };
        std::fs::write(
            dir.join("gateway.toml"),
            format!(
                "{head}\n{tls_section}\n[gateway.auth.internal]\nissuer = \"mycelium\"\naudiences = [\"mycelium\"]\n\
                 keys = [{{ kid = \"v1\", alg = \"HS256\", secret = {{ env = \"TEST_JWT_SECRET\" }} }}]\n\
                 [api.services]\n{services}"
            ),
        )
        .unwrap();
        std::fs::write(
            dir.join("directory.toml"),
            format!(
                "[[tenants]]\nid = \"{TENANT}\"\nname = \"T\"\n[[accounts]]\nemail = \"viewer@t.test\"\n\
                 licences = [{{ tenant = \"{TENANT}\", role = \"viewer\" }}]\n"
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
        let (process, base) = common::serve(&dir, &ENV, Stdio::null());
        Self { dir, base, process }
    }

    fn token(&self) -> String {
        admin(
            &self.dir,
            &["tokens", "mint", "--email", "viewer@t.test", "--ttl", "600"],
        )
    }

    fn https_base(&self) -> String {
        // The certificate names localhost.
        self.base.replace("127.0.0.1", "localhost")
    }
}

fn groups(upstream: &str) -> String {
    format!(
        "[[app]]\nhost = \"{upstream}\"\n\
         [[app.path]]\ngroup = \"public\"\npath = \"/public/*\"\nmethods = [\"GET\"]\n\
         [[app.path]]\ngroup = \"authenticated\"\npath = \"/me/*\"\nmethods = [\"GET\"]\n\
         [[app.path]]\ngroup = \"protected\"\npath = \"/reports/*\"\nmethods = [\"GET\"]\n\
         [[app.path]]\ngroup = {{ protectedByRoles = [{{ slug = \"viewer\" }}] }}\npath = \"/viewing/*\"\nmethods = [\"GET\"]\n"
    )
}

async fn get(
    client: &Client<Https, Body>,
    url: &str,
    token: Option<&str>,
) -> (u16, http::Version, Value) {
    let mut request = http::Request::get(url);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = client
        .request(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let (status, version) = (response.status().as_u16(), response.version());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        version,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Every group answers alike over HTTP/1.1, h2c and h2 over TLS.
#[tokio::test]
async fn every_group_over_http1_h2c_and_h2_over_tls() {
    let upstream = echo_upstream().await;
    let ca = test_ca("edge CA");
    let plain = Gateway::start("", &groups(&upstream), None);
    let tls = Gateway::start("", &groups(&upstream), Some(&ca));
    assert!(tls.base.starts_with("https://"), "{}", tls.base);
    let token = plain.token();
    let cases = [
        (
            plain.base.clone(),
            client(false, None),
            http::Version::HTTP_11,
        ),
        (
            plain.base.clone(),
            client(true, None),
            http::Version::HTTP_2,
        ),
        (
            tls.https_base(),
            client(false, Some(&ca.ca_pem)),
            http::Version::HTTP_11,
        ),
        (
            tls.https_base(),
            client(true, Some(&ca.ca_pem)),
            http::Version::HTTP_2,
        ),
    ];
    for (base, client, version) in &cases {
        let (status, seen_version, body) = get(client, &format!("{base}/public/x"), None).await;
        assert_eq!((status, seen_version), (200, *version), "{base} {body}");
        assert_eq!(body["group"], "\"public\"");
        assert_eq!(get(client, &format!("{base}/me/x"), None).await.0, 401);
        let (status, _, body) = get(client, &format!("{base}/me/x"), Some(&token)).await;
        assert_eq!(
            (status, &body["email"]),
            (200, &json!("\"viewer@t.test\"")),
            "{body}"
        );
        let (status, _, body) = get(client, &format!("{base}/reports/x"), Some(&token)).await;
        assert_eq!(
            (status, &body["has_profile"]),
            (200, &json!(true)),
            "{body}"
        );
        let (status, _, body) = get(client, &format!("{base}/viewing/x"), Some(&token)).await;
        assert_eq!(status, 200, "{version:?} {body}");
        assert_eq!(
            get(client, &format!("{base}/viewing/x"), Some("junk"))
                .await
                .0,
            401
        );
    }
    // A client that does not trust the CA gets no answer.
    let stranger = test_ca("stranger");
    let untrusting = client(true, Some(&stranger.ca_pem));
    let refused = untrusting
        .request(
            http::Request::get(format!("{}/public/x", tls.https_base()))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(refused.is_err());
    drop((plain.process, tls.process));
}

/// The served certificate is replaced by writing new files: new connections get it, a
/// request in flight on an old connection completes.
#[tokio::test]
async fn a_certificate_swap_is_picked_up_without_dropping_connections() {
    let upstream = echo_upstream().await;
    let first = test_ca("first CA");
    let second = test_ca("second CA");
    let gateway = Gateway::start("", &groups(&upstream), Some(&first));
    let base = gateway.https_base();
    let old = client(false, Some(&first.ca_pem));
    let in_flight = tokio::spawn({
        let (old, url) = (old.clone(), format!("{base}/public/slow?sleep_ms=3000"));
        async move { get(&old, &url, None).await.0 }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    std::fs::write(gateway.dir.join("key.pem"), &second.key_pem).unwrap();
    std::fs::write(gateway.dir.join("cert.pem"), &second.cert_pem).unwrap();
    let new = client(false, Some(&second.ca_pem));
    let mut swapped = false;
    for _ in 0..40 {
        let attempt = new
            .request(
                http::Request::get(format!("{base}/public/x"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        if attempt.is_ok_and(|r| r.status() == 200) {
            swapped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(swapped, "the new certificate was not served");
    assert_eq!(in_flight.await.unwrap(), 200);
}

/// A WebSocket echo server that first tells whether the upgrade request carried a profile.
async fn websocket_upstream() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut profile = false;
                let callback =
                    |request: &tokio_tungstenite::tungstenite::handshake::server::Request,
                     response| {
                        profile = request.headers().contains_key("x-mycelium-profile");
                        Ok(response)
                    };
                let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
                    return;
                };
                let hello = format!("profile: {profile}");
                let _ = ws
                    .send(tokio_tungstenite::tungstenite::Message::text(hello))
                    .await;
                while let Some(Ok(message)) = ws.next().await {
                    if message.is_close() {
                        break;
                    }
                    if ws.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    addr.to_string()
}

#[tokio::test]
async fn websocket_through_a_protected_route() {
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let upstream = websocket_upstream().await;
    let gateway = Gateway::start(
        "",
        &format!(
            "[[ws]]\nhost = \"{upstream}\"\n[[ws.path]]\ngroup = \"protected\"\npath = \"/ws\"\nmethods = [\"GET\"]\n"
        ),
        None,
    );
    let url = format!("{}/ws", gateway.base.replace("http://", "ws://"));
    // Refused before any upgrade.
    match tokio_tungstenite::connect_async(url.as_str()).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!(
            "upgraded without a token: {:?}",
            other.map(|(_, r)| r.status())
        ),
    }
    let mut request = url.as_str().into_client_request().unwrap();
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", gateway.token()).parse().unwrap(),
    );
    let (mut ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    let first = ws.next().await.unwrap().unwrap();
    assert_eq!(first, Message::text("profile: true"));
    for text in ["one", "two", &"x".repeat(100_000)] {
        ws.send(Message::text(text)).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text(text));
    }
    ws.send(Message::binary(vec![0u8, 1, 2, 255]))
        .await
        .unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::binary(vec![0u8, 1, 2, 255])
    );
    // Closing propagates: the upstream ends, and the client's stream ends with it.
    ws.close(None).await.unwrap();
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(message) = ws.next().await {
            if message.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(rest.is_ok(), "the closed connection did not end");
}

/// The message of the gRPC test service (`test.Echo`).
#[derive(Clone, PartialEq, prost::Message)]
struct Echo {
    #[prost(string, tag = "1")]
    text: String,
}

/// A gRPC frame (uncompressed) around `message`.
fn grpc_frame(message: &Echo) -> bytes::Bytes {
    let encoded = prost::Message::encode_to_vec(message);
    let mut frame = Vec::with_capacity(5 + encoded.len());
    frame.push(0);
    frame.extend_from_slice(&u32::try_from(encoded.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(&encoded);
    frame.into()
}

/// A gRPC server on HTTP/2 (h2c) written against the wire format: `Unary` echoes with
/// whether a profile arrived, `Stream` answers three messages, `Missing` fails with status 5;
/// every answer ends with trailers (`grpc-status`, and `x-trailer: kept` on success).
async fn grpc_upstream() -> String {
    use http_body_util::StreamBody;
    use hyper::body::Frame;
    type Frames = StreamBody<
        futures::stream::Iter<
            std::vec::IntoIter<Result<Frame<bytes::Bytes>, std::convert::Infallible>>,
        >,
    >;
    async fn handle(
        request: http::Request<hyper::body::Incoming>,
    ) -> Result<http::Response<Frames>, std::convert::Infallible> {
        let path = request.uri().path().to_owned();
        let profile = request.headers().contains_key("x-mycelium-profile");
        let body = request.into_body().collect().await.unwrap().to_bytes();
        let echo: Echo = prost::Message::decode(&body[5..]).unwrap();
        let mut trailers = http::HeaderMap::new();
        let mut frames = Vec::new();
        match path.as_str() {
            "/test.Echo/Unary" => {
                frames.push(grpc_frame(&Echo {
                    text: format!("{} profile={profile}", echo.text),
                }));
                trailers.insert("grpc-status", "0".parse().unwrap());
                trailers.insert("x-trailer", "kept".parse().unwrap());
            }
            "/test.Echo/Stream" => {
                for i in 0..3 {
                    frames.push(grpc_frame(&Echo {
                        text: format!("{}-{i}", echo.text),
                    }));
                }
                trailers.insert("grpc-status", "0".parse().unwrap());
                trailers.insert("x-trailer", "kept".parse().unwrap());
            }
            _ => {
                trailers.insert("grpc-status", "5".parse().unwrap());
                trailers.insert("grpc-message", "nope".parse().unwrap());
            }
        }
        let mut all: Vec<_> = frames.into_iter().map(|f| Ok(Frame::data(f))).collect();
        all.push(Ok(Frame::trailers(trailers)));
        let mut response = http::Response::new(StreamBody::new(futures::stream::iter(all)));
        response
            .headers_mut()
            .insert("content-type", "application/grpc".parse().unwrap());
        Ok(response)
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            tokio::spawn(
                hyper::server::conn::http2::Builder::new(TokioExecutor::new()).serve_connection(
                    hyper_util::rt::TokioIo::new(stream),
                    hyper::service::service_fn(handle),
                ),
            );
        }
    });
    addr.to_string()
}

#[tokio::test]
async fn grpc_unary_and_streaming_keep_their_trailers_through_a_protected_route() {
    let upstream = grpc_upstream().await;
    let gateway = Gateway::start(
        "",
        &format!(
            "[[rpc]]\nhost = \"{upstream}\"\nprotocol = \"grpc\"\n\
             [[rpc.path]]\ngroup = \"protected\"\npath = \"/test.Echo/*\"\nmethods = [\"POST\"]\n"
        ),
        None,
    );
    let channel = tonic::transport::Channel::from_shared(gateway.base.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut grpc = tonic::client::Grpc::new(channel);
    let bearer: tonic::metadata::MetadataValue<_> =
        format!("Bearer {}", gateway.token()).parse().unwrap();
    let request = |text: &str, token: bool| {
        let mut request = tonic::Request::new(Echo { text: text.into() });
        if token {
            request
                .metadata_mut()
                .insert("authorization", bearer.clone());
        }
        request
    };
    let codec = || tonic_prost::ProstCodec::<Echo, Echo>::default();
    let path = |p: &'static str| http::uri::PathAndQuery::from_static(p);

    grpc.ready().await.unwrap();
    let unary = grpc
        .unary(request("hi", true), path("/test.Echo/Unary"), codec())
        .await
        .unwrap();
    assert_eq!(unary.get_ref().text, "hi profile=true");
    assert_eq!(unary.metadata().get("x-trailer").unwrap(), "kept");

    grpc.ready().await.unwrap();
    let mut stream = grpc
        .server_streaming(request("s", true), path("/test.Echo/Stream"), codec())
        .await
        .unwrap()
        .into_inner();
    let mut texts = Vec::new();
    while let Some(message) = stream.message().await.unwrap() {
        texts.push(message.text);
    }
    assert_eq!(texts, ["s-0", "s-1", "s-2"]);
    let trailers = stream.trailers().await.unwrap().unwrap();
    assert_eq!(trailers.get("x-trailer").unwrap(), "kept");

    // A status in the trailers reaches the client as that status.
    grpc.ready().await.unwrap();
    let status = grpc
        .unary(request("x", true), path("/test.Echo/Missing"), codec())
        .await
        .unwrap_err();
    assert_eq!(
        (status.code(), status.message()),
        (tonic::Code::NotFound, "nope")
    );
    // Without a credential the gateway refuses before the service.
    grpc.ready().await.unwrap();
    let status = grpc
        .unary(request("x", false), path("/test.Echo/Unary"), codec())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated, "{status:?}");
}

/// The resident memory of a process, in KiB.
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// An HTTP/2 client opening streams and resetting them at once (CVE-2023-44487): each reset
/// stream's work is cancelled (at most 256 streams at once, at most 32 reset before they were
/// accepted), memory stays bounded and other clients are served meanwhile.
#[tokio::test]
async fn http2_rapid_reset_stays_bounded() {
    let upstream = echo_upstream().await;
    let gateway = Gateway::start("", &groups(&upstream), None);
    let pid = gateway.process.0.id();
    let address = gateway.base.strip_prefix("http://").unwrap().to_owned();
    let before = rss_kib(pid);
    let tcp = tokio::net::TcpStream::connect(&address).await.unwrap();
    let (mut sender, connection) = h2::client::handshake(tcp).await.unwrap();
    let driver = tokio::spawn(connection);
    let probe = tokio::spawn({
        let url = format!("{}/public/x", gateway.base);
        async move {
            let mut slowest = Duration::ZERO;
            for _ in 0..20 {
                let started = std::time::Instant::now();
                let (status, _, _) = get(&client(false, None), &url, None).await;
                assert_eq!(status, 200);
                slowest = slowest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            slowest
        }
    });
    let mut sent = 0;
    for _ in 0..20_000 {
        let request = http::Request::get(format!("http://{address}/public/x"))
            .body(())
            .unwrap();
        let Ok(ready) = sender.clone().ready().await else {
            break;
        };
        sender = ready;
        match sender.send_request(request, true) {
            Ok((_, mut stream)) => {
                stream.send_reset(h2::Reason::CANCEL);
                sent += 1;
            }
            Err(_) => break,
        }
    }
    drop(sender);
    let _ = tokio::time::timeout(Duration::from_secs(5), driver).await;
    let slowest = probe.await.unwrap();
    let grown = rss_kib(pid).saturating_sub(before);
    println!(
        "rapid reset: {sent} streams opened and reset; RSS +{grown} KiB; slowest other request {slowest:?}"
    );
    assert!(grown < 64 * 1024, "RSS grew by {grown} KiB");
    assert!(
        slowest < Duration::from_secs(2),
        "another client waited {slowest:?}"
    );
    let (status, _, _) = get(
        &client(false, None),
        &format!("{}/public/x", gateway.base),
        None,
    )
    .await;
    assert_eq!(status, 200);
}

/// Slow clients that trickle their heads hold a connection each, nothing more: memory stays
/// bounded and other clients are served at once.
#[tokio::test]
async fn slow_heads_do_not_starve_other_clients() {
    use tokio::io::AsyncWriteExt;
    let upstream = echo_upstream().await;
    let gateway = Gateway::start("", &groups(&upstream), None);
    let pid = gateway.process.0.id();
    let address = gateway.base.strip_prefix("http://").unwrap().to_owned();
    let before = rss_kib(pid);
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"GET /public/x HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        slow.push(stream);
    }
    for round in 0..5 {
        for stream in &mut slow {
            let _ = stream
                .write_all(format!("X-Slow-{round}: 1\r\n").as_bytes())
                .await;
        }
        let started = std::time::Instant::now();
        let (status, _, _) = get(
            &client(false, None),
            &format!("{}/public/x", gateway.base),
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "a normal client waited"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let grown = rss_kib(pid).saturating_sub(before);
    println!("slow heads: 300 connections; RSS +{grown} KiB");
    assert!(grown < 64 * 1024, "RSS grew by {grown} KiB");
}

/// An upgraded connection on which nothing moves is closed after `upgrade_idle_secs`.
#[tokio::test]
async fn a_silent_websocket_is_closed_after_the_idle_timeout() {
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let upstream = websocket_upstream().await;
    let gateway = Gateway::start(
        "[gateway]\nupgrade_idle_secs = 1",
        &format!(
            "[[ws]]\nhost = \"{upstream}\"\n[[ws.path]]\ngroup = \"public\"\npath = \"/ws\"\nmethods = [\"GET\"]\n"
        ),
        None,
    );
    let request = format!("{}/ws", gateway.base.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(
        ws.next().await.unwrap().unwrap(),
        Message::text("profile: false")
    );
    // Traffic keeps it open past the timeout...
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        ws.send(Message::text("ping")).await.unwrap();
        assert_eq!(ws.next().await.unwrap().unwrap(), Message::text("ping"));
    }
    // ...silence closes it.
    let started = std::time::Instant::now();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the silent connection stayed open");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}
