//! The gateway's own tokens verified elsewhere without a shared secret: Ed25519 signing keys
//! derived from the master key, published at `/.well-known/jwks.json`; a downstream service
//! with myc-tower's JWKS cache verifies a minted token, and keeps verifying the tokens of the
//! previous key after a rotation while it is still listed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use myc_directory::store::SqlStore;
use myc_tower::auth::{AuthLayer, Authenticator};
use myc_tower::jwt::fetch::HttpFetcher;
use myc_tower::jwt::jwks::{JwksCache, JwksPolicy};
use myc_tower::jwt::{EmailPolicy, JwtVerifier, OidcProvider};
use serde_json::Value;

const MASTER: &str = "2f0c6a3c9d4e2b1a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a09080";

fn write_config(dir: &std::path::Path, kids: &[&str]) {
    let kids: Vec<String> = kids.iter().map(|k| format!("\"{k}\"")).collect();
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            "[gateway.secrets]\nmaster_key = \"{MASTER}\"\n\n[gateway.auth.internal]\nissuer = \"mycelium\"\naudiences = [\"mycelium\"]\nsigning_keys = [{}]\n\n[api.services]\n",
            kids.join(", ")
        ),
    )
    .unwrap();
}

/// A downstream service trusting the gateway's JWKS; answers the caller's e-mail.
async fn downstream(jwks_url: String) -> String {
    let cache = JwksCache::new(
        jwks_url,
        Arc::new(HttpFetcher::new().unwrap()),
        JwksPolicy {
            cooldown: Duration::ZERO,
            ..JwksPolicy::default()
        },
    );
    let verifier = JwtVerifier::new().provider(OidcProvider {
        issuer: "mycelium".into(),
        audiences: vec!["mycelium".into()],
        algorithms: vec![jsonwebtoken::Algorithm::EdDSA],
        jwks: Arc::new(cache),
        userinfo: None,
        email: EmailPolicy::default(),
    });
    let store = SqlStore::memory().await.unwrap();
    let auth = Arc::new(Authenticator::new(verifier, Arc::new(store)));
    let app = axum::Router::new().route(
        "/whoami",
        axum::routing::get(|headers: http::HeaderMap| async move {
            headers
                .get("x-mycelium-email")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        })
        .layer(AuthLayer::new(
            auth,
            myc_profile::SecurityGroup::Authenticated,
        )),
    );
    format!("http://{}", myc_testkit::http::serve(app).await)
}

async fn whoami(base: &str, token: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{base}/whoami"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn gateway_accepts(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/_adm/rpc"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "jsonrpc": "2.0", "id": 1, "method": "beginners.profile.get" }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downstream_verifies_through_the_jwks_across_a_rotation() {
    let dir = common::temp_dir("myc-gw-jwks");
    write_config(&dir, &["ed-1"]);
    common::admin(
        &dir,
        &[],
        &["accounts", "create", "--email", "ann@example.com"],
    );
    let (gateway, base) = common::serve(&dir, &[], std::process::Stdio::null());
    let old = common::admin(&dir, &[], &["tokens", "mint", "--email", "ann@example.com"]);
    let header = jsonwebtoken::decode_header(&old).unwrap();
    assert_eq!(
        (header.alg, header.kid.as_deref()),
        (jsonwebtoken::Algorithm::EdDSA, Some("ed-1"))
    );
    let jwks: Value = reqwest::get(format!("{base}/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
    assert!(jwks["keys"][0].get("d").is_none(), "never the private half");
    let service = downstream(format!("{base}/.well-known/jwks.json")).await;
    assert_eq!(
        whoami(&service, &old).await,
        (200, "\"ann@example.com\"".into())
    );
    assert_eq!(gateway_accepts(&base, &old).await, 200);
    // Rotation: ed-2 signs, ed-1 is still listed.
    drop(gateway);
    write_config(&dir, &["ed-2", "ed-1"]);
    let (gateway, base) = common::serve(&dir, &[], std::process::Stdio::null());
    let new = common::admin(&dir, &[], &["tokens", "mint", "--email", "ann@example.com"]);
    assert_eq!(
        jsonwebtoken::decode_header(&new).unwrap().kid.as_deref(),
        Some("ed-2")
    );
    // The downstream service's JWKS URL moved with the restarted gateway's port.
    let service = downstream(format!("{base}/.well-known/jwks.json")).await;
    assert_eq!(whoami(&service, &new).await.0, 200);
    assert_eq!(
        whoami(&service, &old).await.0,
        200,
        "tokens of a listed key still verify"
    );
    assert_eq!(
        (
            gateway_accepts(&base, &old).await,
            gateway_accepts(&base, &new).await
        ),
        (200, 200)
    );
    // Retired: ed-1 no longer listed, its tokens no longer accepted.
    drop(gateway);
    write_config(&dir, &["ed-2"]);
    let (_gateway, base) = common::serve(&dir, &[], std::process::Stdio::null());
    assert_eq!(gateway_accepts(&base, &old).await, 401);
    assert_eq!(gateway_accepts(&base, &new).await, 200);
    let forged = {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut parts: Vec<String> = new.split('.').map(str::to_owned).collect();
        let mut claims: Value = serde_json::from_slice(&b64.decode(&parts[1]).unwrap()).unwrap();
        claims["email"] = "root@example.com".into();
        parts[1] = b64.encode(claims.to_string());
        parts.join(".")
    };
    assert_eq!(
        gateway_accepts(&base, &forged).await,
        401,
        "a signature binds its claims"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
