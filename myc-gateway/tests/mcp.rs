//! `POST /mcp` through the binary, driven by the official Python MCP SDK: tools listed from
//! a discoverable service's OpenAPI document, calls that pass the route's security group
//! (profile injected), calls refused for a caller without the route's role or without a
//! credential, and what an agent cannot reach (an operation no route serves, a path value
//! trying to climb out of its segment).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::Json;
use axum::Router;
use axum::extract::Path;
use http::HeaderMap;
use serde_json::{Value, json};

const SECRET: &str = "mcp-test-secret-with-at-least-32-bytes";

/// The CRM: an OpenAPI document and the operations it describes (one no route serves).
async fn crm() -> String {
    let document = json!({
        "openapi": "3.0.3",
        "info": {"title": "CRM", "version": "1"},
        "paths": {
            "/api/customers/{id}": {"get": {
                "operationId": "get_customer", "summary": "One customer",
                "parameters": [{"$ref": "#/components/parameters/CustomerId"}]
            }},
            "/api/customers": {"post": {
                "summary": "Create a customer",
                "parameters": [{"name": "notify", "in": "query", "schema": {"type": "boolean"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                    "type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]
                }}}}
            }},
            "/admin/secret": {"delete": {"summary": "Not routed"}}
        },
        "components": {"parameters": {"CustomerId": {
            "name": "id", "in": "path", "required": true, "schema": {"type": "string"}
        }}}
    });
    let seen = |headers: &HeaderMap| {
        json!({
            "profile": headers.contains_key("x-mycelium-profile"),
            "authorization": headers.contains_key("authorization"),
        })
    };
    let app = Router::new()
        .route(
            "/openapi.json",
            axum::routing::get(move || {
                let document = document.clone();
                async move { Json(document) }
            }),
        )
        .route(
            "/api/customers/{id}",
            axum::routing::get(
                move |Path(id): Path<String>, headers: HeaderMap| async move {
                    Json(json!({"id": id, "seen": seen(&headers)}))
                },
            ),
        )
        .route(
            "/api/customers",
            axum::routing::post(
                move |uri: http::Uri, headers: HeaderMap, Json(body): Json<Value>| async move {
                    Json(json!({"created": body, "query": uri.query(), "seen": seen(&headers)}))
                },
            ),
        )
        .route(
            "/admin/secret",
            axum::routing::delete(|| async { "deleted everything" }),
        );
    myc_testkit::http::serve(app).await.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_call_routed_operations_with_their_own_rights() {
    let host = crm().await;
    let dir = common::temp_dir("myc-gw-mcp");
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            r#"
[gateway.auth.internal]
issuer = "mycelium"
audiences = ["mycelium"]
keys = [{{ kid = "v1", alg = "HS256", secret = {{ env = "TEST_JWT_SECRET" }} }}]

[api.services]

[[crm]]
host = "{host}"
discoverable = true
openapiPath = "/openapi.json"
description = "Customer data API"
capabilities = ["customer-search"]

[[crm.path]]
group = {{ protectedByRoles = [{{ slug = "viewer" }}] }}
path = "/api/*"
methods = ["GET", "POST"]
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
    let env = [("TEST_JWT_SECRET", SECRET)];
    let directory = dir.join("directory.toml");
    common::admin(
        &dir,
        &env,
        &["directory", "import", directory.to_str().unwrap()],
    );
    let (_gateway, base) = common::serve(&dir, &env, std::process::Stdio::null());
    let viewer = common::admin(
        &dir,
        &env,
        &["tokens", "mint", "--email", "viewer@example.com"],
    );
    let nobody = common::admin(
        &dir,
        &env,
        &["tokens", "mint", "--email", "nobody@example.com"],
    );
    let client = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/mcp/client.py");
    let base_for_client = base.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(client)
            .arg(format!("{base_for_client}/mcp"))
            .arg(viewer.trim())
            .arg(nobody.trim())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["server"], "mycelium-rs");
    assert_eq!(
        seen["tools"],
        json!(["crm__get__api_customers_id", "crm__post__api_customers"]),
        "only routed operations are tools"
    );
    assert_eq!(
        seen["schema"]["properties"]["__path_params"]["properties"]["id"]["type"],
        "string"
    );
    assert!(
        seen["description"]
            .as_str()
            .unwrap()
            .starts_with("crm: One customer [")
    );
    // Allowed: the upstream saw the injected profile, never the caller's token.
    assert_eq!(seen["allowed"]["isError"], false, "{seen}");
    let answer: Value = serde_json::from_str(seen["allowed"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(answer["id"], "42");
    assert_eq!(
        answer["seen"],
        json!({"profile": true, "authorization": false})
    );
    let posted: Value = serde_json::from_str(seen["posted"]["text"].as_str().unwrap()).unwrap();
    assert_eq!(posted["created"], json!({"name": "Ada"}));
    assert_eq!(posted["query"], "notify=true");
    // A path value cannot climb into another route: encoded as one segment, the gateway
    // refuses its encoded slashes like any client's.
    assert_eq!(seen["escape"]["isError"], true, "{seen}");
    assert!(
        seen["escape"]["text"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 400"),
        "{seen}"
    );
    assert!(
        seen["unlisted"].as_str().unwrap().contains("unknown tool"),
        "{seen}"
    );
    // Refused: the route's role is missing, or there is no credential at all.
    assert_eq!(seen["refused"]["isError"], true);
    assert!(
        seen["refused"]["text"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 403"),
        "{seen}"
    );
    assert_eq!(seen["anonymous_tools"], 2);
    assert!(
        seen["anonymous"]["text"]
            .as_str()
            .unwrap()
            .starts_with("HTTP 401"),
        "{seen}"
    );
    // The same tools over the admin API, for a gateway manager.
    common::admin(
        &dir,
        &env,
        &[
            "accounts",
            "create-seed-account",
            "--email",
            "ops@example.com",
        ],
    );
    let token = common::admin(
        &dir,
        &env,
        &["tokens", "mint", "--email", "ops@example.com"],
    );
    let listed: Value = reqwest::Client::new()
        .get(format!("{base}/_adm/gateway-manager/tools?method=post"))
        .bearer_auth(token.trim())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["records"][0]["name"], "crm__post__api_customers",
        "{listed}"
    );
    assert_eq!(listed["count"], 1);
    // A browser page from an origin the gateway does not allow is refused.
    let from_page = reqwest::Client::new()
        .post(format!("{base}/mcp"))
        .header("origin", "https://evil.example")
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(from_page.status(), 403);
    std::fs::remove_dir_all(dir).unwrap();
}
