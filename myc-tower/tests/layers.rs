//! `RouteLayer` and `ClientAddrLayer` in an axum service on a real socket, attacked as a
//! client would: forged `X-Forwarded-For`, traversal spelled every way a server might
//! decode, methods a route does not take.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::Router;
use axum::extract::Request;
use myc_tower::client_addr::{ClientAddr, ClientAddrLayer};
use myc_tower::routing::{Addressing, MatchedRoute, MethodSet, RouteLayer, RouteSpec, RouteTable};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn app(allow: Option<&str>) -> std::net::SocketAddr {
    let table = RouteTable::build(
        Addressing::FullPath,
        vec![
            RouteSpec::new(
                "reports",
                "/reports/*",
                MethodSet::parse(&["READ"]).unwrap(),
                1,
            ),
            RouteSpec::new(
                "reports",
                "/reports/export",
                MethodSet::parse(&["POST"]).unwrap(),
                2,
            ),
        ],
    )
    .unwrap();
    let mut addr_layer = ClientAddrLayer::new(vec!["127.0.0.0/8".parse().unwrap()]);
    if let Some(allow) = allow {
        addr_layer = addr_layer.allow_only(vec![allow.parse().unwrap()]);
    }
    let app = Router::new()
        .fallback(|request: Request| async move {
            let route = request.extensions().get::<MatchedRoute>().cloned().unwrap();
            let ClientAddr(client) = request.extensions().get().copied().unwrap();
            axum::Json(
                json!({ "key": route.key, "service": route.service, "client": client.to_string() }),
            )
        })
        .layer(RouteLayer::new(table))
        .layer(addr_layer);
    myc_testkit::http::serve(app).await
}

/// One raw HTTP/1.1 exchange (the path exactly as written); status and JSON body.
async fn raw(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    xff: Option<&str>,
) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let xff = xff
        .map(|v| format!("x-forwarded-for: {v}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: test\r\n{xff}content-length: 0\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1;
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn routes_match_most_specific_and_refuse_the_rest() {
    let addr = app(None).await;
    let (status, body) = raw(addr, "GET", "/reports/q3", None).await;
    assert_eq!((status, &body["key"]), (200, &json!(1)), "{body}");
    let (status, body) = raw(addr, "POST", "/reports/export", None).await;
    assert_eq!((status, &body["key"]), (200, &json!(2)), "{body}");
    let (status, body) = raw(addr, "DELETE", "/reports/q3", None).await;
    assert_eq!((status, &body["code"]), (405, &json!("MYT00422")));
    let (status, body) = raw(addr, "GET", "/admin", None).await;
    assert_eq!((status, &body["code"]), (404, &json!("MYT00421")));
    for sneaky in [
        "/reports/../admin",
        "/reports/%2e%2e/admin",
        "/reports/%2E%2e/admin",
        "/reports/..%2fadmin",
        "/reports/..;/admin",
        "/reports/%ef%bc%8e%ef%bc%8e/admin",
        "/reports/..%00",
        "/reports\\..\\admin",
    ] {
        let (status, body) = raw(addr, "GET", sneaky, None).await;
        assert_eq!(
            (status, &body["code"]),
            (400, &json!("MYT00420")),
            "{sneaky}"
        );
    }
    // Matching runs on the decoded path: an encoded letter does not dodge a route.
    let (status, body) = raw(addr, "POST", "/reports/%65xport", None).await;
    assert_eq!((status, &body["key"]), (200, &json!(2)), "{body}");
}

#[tokio::test]
async fn client_addresses_come_from_trusted_hops_only() {
    let addr = app(None).await;
    // The peer (127.0.0.1) is trusted: the rightmost untrusted entry is the client.
    let (_, body) = raw(
        addr,
        "GET",
        "/reports/a",
        Some("6.6.6.6, 198.51.100.7, 127.0.0.9"),
    )
    .await;
    assert_eq!(body["client"], "198.51.100.7");
    // Unreadable entries stop the walk at the last trusted hop, never further left.
    let (_, body) = raw(
        addr,
        "GET",
        "/reports/a",
        Some("6.6.6.6, unknown, 127.0.0.9"),
    )
    .await;
    assert_eq!(body["client"], "127.0.0.9");
    let (_, body) = raw(addr, "GET", "/reports/a", None).await;
    assert_eq!(body["client"], "127.0.0.1");
}

#[tokio::test]
async fn allowed_sources_refuse_forged_and_unlisted_clients() {
    let addr = app(Some("198.51.100.0/24")).await;
    let (status, body) = raw(addr, "GET", "/reports/a", Some("198.51.100.7")).await;
    assert_eq!((status, &body["client"]), (200, &json!("198.51.100.7")));
    // A forged allowed address to the left of the real client is not believed.
    for xff in [
        Some("198.51.100.7, 6.6.6.6"),
        Some("198.51.100.7, junk"),
        None,
    ] {
        let (status, body) = raw(addr, "GET", "/reports/a", xff).await;
        assert_eq!(
            (status, &body["code"]),
            (403, &json!("MYT00412")),
            "{xff:?}"
        );
    }
    // The source check runs before routing: an unlisted client learns nothing of the routes.
    let (status, _) = raw(addr, "GET", "/nothing-here", Some("6.6.6.6")).await;
    assert_eq!(status, 403);
}
