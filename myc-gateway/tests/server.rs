//! The gateway's HTTP/1.1 server (hyper, with the gateway's head checks and lingering close)
//! over raw sockets, as a client library would hide it: pipelining, request-smuggling shapes
//! (each refused, or normalized so that nothing smuggled reaches the upstream), chunked and
//! `Expect: 100-continue` request bodies streamed to a real upstream, HEAD, HTTP/1.0, refusals.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{Method, Uri};
use jsonwebtoken::Algorithm;
use myc_gateway::config::Config;
use myc_tower::auth::Authenticator;
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// An upstream answering `METHOD URI BODY` as text, counting requests.
async fn upstream() -> (String, Arc<AtomicU64>) {
    let hits = Arc::new(AtomicU64::new(0));
    async fn echo(
        State(hits): State<Arc<AtomicU64>>,
        method: Method,
        uri: Uri,
        body: Bytes,
    ) -> String {
        hits.fetch_add(1, Ordering::SeqCst);
        format!("{method} {uri} {}", String::from_utf8_lossy(&body))
    }
    let app = Router::new().fallback(echo).with_state(hits.clone());
    let addr = myc_testkit::http::serve(app).await;
    (addr.to_string(), hits)
}

/// A gateway with a public `/echo*` and a protected `/private` route to the upstream.
async fn gateway() -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let (host, hits) = upstream().await;
    let config_text = format!(
        "[gateway]\n[api.services]\n[[svc]]\nhost = \"{host}\"\n\
         [[svc.path]]\ngroup = \"public\"\npath = \"/echo*\"\nmethods = [\"ALL\"]\n\
         [[svc.path]]\ngroup = \"protected\"\npath = \"/private\"\nmethods = [\"ALL\"]\n"
    );
    let config = Config::parse(&config_text, "test.toml", Path::new("."), &|_| None).unwrap();
    let jwt = JwtVerifier::new().internal(InternalIssuer {
        issuer: "mycelium".into(),
        audiences: vec!["gateway".into()],
        keys: vec![LocalKey::hmac(Some("v1"), Algorithm::HS256, &[7u8; 32]).unwrap()],
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
    (addr, hits)
}

/// Reads until `done` holds for what arrived, the peer closes, or 5 s pass.
async fn read_until(stream: &mut TcpStream, done: impl Fn(&str) -> bool) -> (String, bool) {
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        if done(&String::from_utf8_lossy(&received)) {
            return (String::from_utf8_lossy(&received).into_owned(), false);
        }
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (String::from_utf8_lossy(&received).into_owned(), true);
            }
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Err(_) => panic!(
                "timed out; received so far: {:?}",
                String::from_utf8_lossy(&received)
            ),
        }
    }
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order() {
    let (addr, _) = gateway().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"GET /echo/1 HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/2 HTTP/1.1\r\nHost: x\r\n\r\n\
              POST /echo/3 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        )
        .await
        .unwrap();
    let (text, closed) = read_until(&mut stream, |t| t.contains("POST /echo/3 hello")).await;
    assert!(!closed);
    let (a, b, c) = (
        text.find("GET /echo/1").unwrap(),
        text.find("GET /echo/2").unwrap(),
        text.find("POST /echo/3 hello").unwrap(),
    );
    assert!(a < b && b < c, "{text}");
    assert_eq!(count(&text, "HTTP/1.1 200 OK\r\n"), 3);
    assert!(text.to_ascii_lowercase().contains("date: "));
}

#[tokio::test]
async fn smuggling_shapes_are_refused_and_the_connection_closed() {
    let (addr, hits) = gateway().await;
    // (request, status, whether the connection must close after it)
    let attempts: [(&[u8], &str); 6] = [
        // Both framings: normalized to the chunked one (an empty body), and the connection
        // closes after it, so the bytes behind are never read as a request.
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
            "200",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 40\r\n\r\nGET /echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
            "400",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
            "400",
        ),
        (
            b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            "501",
        ),
        (
            b"POST /echo HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            "400",
        ),
        (
            b"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n",
            "400",
        ),
    ];
    for (request, status) in attempts {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(request).await.unwrap();
        let (text, closed) = read_until(&mut stream, |_| false).await;
        assert!(
            text.starts_with(&format!("HTTP/1.1 {status} ")),
            "{}: {text}",
            String::from_utf8_lossy(request)
        );
        assert!(closed, "{text}");
        assert!(!text.contains("smuggled"), "{text}");
    }
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "only the normalized POST reached the upstream"
    );
    // A chunked body spelled in another case still works, and the bytes after it are the next
    // request, never a part of this one.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"POST /echo/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n\
              5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: t\r\n\r\n\
              GET /echo/b HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await
        .unwrap();
    let (text, _) = read_until(&mut stream, |t| t.contains("GET /echo/b ")).await;
    assert!(text.contains("POST /echo/a hello world"), "{text}");
    assert_eq!(hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn expect_continue_is_answered_when_the_body_is_wanted() {
    let (addr, hits) = gateway().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"PUT /echo/up HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let (interim, _) = read_until(&mut stream, |t| t.ends_with("\r\n\r\n")).await;
    assert_eq!(interim, "HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"upload").await.unwrap();
    let (text, closed) = read_until(&mut stream, |t| t.contains("PUT /echo/up upload")).await;
    assert!(!closed && text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    // A refused request never gets the interim response, and its unread body ends the
    // connection (announced in the response).
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"PUT /private HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nExpect: 100-continue\r\n\r\n",
        )
        .await
        .unwrap();
    let (text, closed) = read_until(&mut stream, |_| false).await;
    assert!(text.starts_with("HTTP/1.1 401 "), "{text}");
    assert!(closed && !text.contains("100 Continue"), "{text}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn head_http10_and_refusals() {
    let (addr, _) = gateway().await;
    // HEAD: the length of the representation, no body; the connection goes on.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"HEAD /echo/h HTTP/1.1\r\nHost: x\r\n\r\nGET /echo/after HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .await
        .unwrap();
    let (text, _) = read_until(&mut stream, |t| t.contains("GET /echo/after")).await;
    let head_response = &text[..text.find("\r\n\r\n").unwrap() + 4];
    assert!(head_response.starts_with("HTTP/1.1 200 OK\r\n"));
    assert!(
        head_response.contains("content-length: 13"),
        "{head_response}"
    );
    assert!(
        text[head_response.len()..].starts_with("HTTP/1.1 200 OK\r\n"),
        "{text}"
    );
    // HTTP/1.0 without keep-alive: the answer, then the close.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /echo/old HTTP/1.0\r\n\r\n")
        .await
        .unwrap();
    let (text, closed) = read_until(&mut stream, |_| false).await;
    assert!(closed && text.ends_with("GET /echo/old "), "{text}");
    // No Host, a head past the limit, an expectation we do not meet.
    for (request, status) in [
        ("GET /echo HTTP/1.1\r\n\r\n".to_owned(), "400"),
        (
            format!(
                "GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
                "a".repeat(70_000)
            ),
            "431",
        ),
        (
            "GET /echo HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n".to_owned(),
            "417",
        ),
    ] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The server may close as soon as it has seen enough of an oversize head.
        let _ = stream.write_all(request.as_bytes()).await;
        let (text, closed) = read_until(&mut stream, |_| false).await;
        assert!(text.starts_with(&format!("HTTP/1.1 {status} ")), "{text}");
        assert!(closed);
    }
}

#[tokio::test]
async fn a_client_closing_mid_body_does_not_reach_the_upstream() {
    let (addr, hits) = gateway().await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /echo/cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part")
        .await
        .unwrap();
    stream.shutdown().await.unwrap();
    let (text, closed) = read_until(&mut stream, |_| false).await;
    assert!(closed);
    assert!(!text.contains("200 OK"), "{text}");
    // The gateway is still serving.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /echo/ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let (text, _) = read_until(&mut stream, |t| t.contains("GET /echo/ok")).await;
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

/// When the gateway closes a connection whose client is still sending (a refused head with data
/// behind it, a body the route refused without reading), it closes with a FIN and keeps reading
/// for a while: closing with unread input makes the kernel send a reset instead, and a client
/// that has not read the response yet may then lose it.
#[tokio::test]
async fn closing_with_unread_input_sends_a_fin_not_a_reset() {
    let (addr, hits) = gateway().await;
    let body = vec![b'a'; 256 * 1024];
    let shapes: [(Vec<u8>, &str); 2] = [
        (
            format!(
                "POST /private HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes(),
            "401",
        ),
        (
            b"GET /echo HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n".to_vec(),
            "400",
        ),
    ];
    for (head, status) in shapes {
        let stream = TcpStream::connect(addr).await.unwrap();
        let (mut read, mut write) = stream.into_split();
        let mut bytes = head;
        bytes.extend_from_slice(&body);
        // Sent in one go: most of it is still unread in the gateway's socket when it answers.
        let writer = tokio::spawn(async move {
            let _ = write.write_all(&bytes).await;
            write
        });
        let mut received = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let end = loop {
            match tokio::time::timeout(Duration::from_secs(5), read.read(&mut buf))
                .await
                .expect("the gateway neither answered nor closed")
            {
                Ok(0) => break Ok(()),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) => break Err(e),
            }
        };
        let text = String::from_utf8_lossy(&received);
        assert!(text.starts_with(&format!("HTTP/1.1 {status} ")), "{text}");
        assert!(end.is_ok(), "the connection ended in {end:?}, not a FIN");
        // A reset would have arrived by now, leaving its error on the socket.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut stream = read.reunite(writer.await.unwrap()).unwrap();
        assert!(
            stream.take_error().unwrap().is_none(),
            "reset by the gateway"
        );
        stream.write_all(b"still read and discarded").await.unwrap();
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}
