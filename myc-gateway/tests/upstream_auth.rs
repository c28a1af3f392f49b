//! Upstream's `[auth]` section through the binary: tokens shaped as upstream 9.0.0 issues
//! them (HS512 with `jwtSecret`, `iss = "mycelium"`, `sub`, `email`, `exp`; no `aud`, no
//! `kid`) pass a protected route; forged ones do not. `[[auth.external.define]]` becomes an
//! OIDC provider.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_gateway::config::Config;
use serde_json::{Value, json};

const JWT_SECRET: &str = "upstream-jwt-secret-of-at-least-32-bytes!";

fn upstream_token(secret: &str, claims: Value) -> String {
    myc_tower::jwt::backend::install_default();
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS512),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_tokens_pass_and_forgeries_do_not() {
    let app = axum::Router::new().fallback(|headers: http::HeaderMap| async move {
        headers.contains_key("x-mycelium-profile").to_string()
    });
    let host = myc_testkit::http::serve(app).await;
    let dir = common::temp_dir("myc-gw-upstream-auth");
    std::fs::write(
        dir.join("gateway.toml"),
        format!(
            r#"
[auth]
internal = "enabled"
jwtSecret = {{ env = "MYC_JWT_SECRET" }}
jwtExpiresIn = 86400
tmpExpiresIn = 3600

[api.services]
[[app]]
host = "{host}"
[[app.path]]
group = "protected"
path = "/*"
methods = ["GET"]
"#
        ),
    )
    .unwrap();
    let env = [("MYC_JWT_SECRET", JWT_SECRET)];
    common::admin(
        &dir,
        &env,
        &["accounts", "create", "--email", "ada@example.com"],
    );
    let (_gateway, base) = common::serve(&dir, &env, std::process::Stdio::null());
    let exp = jsonwebtoken::get_current_timestamp() + 600;
    let claims = |iss: &str| {
        json!({"sub": "0b7a3c1e-0000-4000-8000-000000000001", "email": "ada@example.com",
               "exp": exp, "iss": iss})
    };
    let get = |token: String| {
        let request = reqwest::Client::new()
            .get(format!("{base}/anything"))
            .bearer_auth(token);
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    assert_eq!(
        get(upstream_token(JWT_SECRET, claims("mycelium"))).await,
        (200, "true".to_owned())
    );
    let minted = common::admin(
        &dir,
        &env,
        &["tokens", "mint", "--email", "ada@example.com"],
    );
    assert_eq!(get(minted.trim().to_owned()).await.0, 200);
    // Another secret, another issuer, an expired token: refused.
    let other = "another-secret-that-is-long-enough-32b!";
    assert_eq!(get(upstream_token(other, claims("mycelium"))).await.0, 401);
    assert_eq!(
        get(upstream_token(JWT_SECRET, claims("someone-else")))
            .await
            .0,
        401
    );
    let mut expired = claims("mycelium");
    expired["exp"] = json!(jsonwebtoken::get_current_timestamp() - 3600);
    assert_eq!(get(upstream_token(JWT_SECRET, expired)).await.0, 401);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn auth_sections_map_onto_the_gateways() {
    let env = |name: &str| (name == "MYC_JWT_SECRET").then(|| JWT_SECRET.to_owned());
    let parse = |text: &str| {
        Config::parse(text, "gateway.toml", Path::new("."), &env).map_err(|e| e.to_string())
    };
    let config = parse(
        r#"
[auth]
internal = "enabled"
jwtSecret = { env = "MYC_JWT_SECRET" }
jwtExpiresIn = 7200
tmpExpiresIn = 600

[[auth.external.define]]
issuer = "https://accounts.google.com"
jwksUri = "https://www.googleapis.com/oauth2/v3/certs"
userInfoUrl = "https://www.googleapis.com/oauth2/v3/userinfo"
audience = "client-id"

[api.services]
"#,
    )
    .unwrap();
    let (issuer, audiences, keys) = config.auth.internal.clone().unwrap();
    assert_eq!(
        (issuer.as_str(), audiences.len(), keys.len()),
        ("mycelium", 0, 1)
    );
    assert_eq!(config.auth.lifetimes.login.as_secs(), 7200);
    assert_eq!(config.auth.lifetimes.temporary.as_secs(), 600);
    let google = &config.auth.providers[0];
    assert_eq!(google.audiences, ["client-id"]);
    assert_eq!(
        google.jwks_url,
        "https://www.googleapis.com/oauth2/v3/certs"
    );
    assert!(!google.algorithms.contains(&Algorithm::HS256));
    assert!(
        config.warnings.iter().all(|w| !w.contains("[auth]")),
        "{:?}",
        config.warnings
    );
    // Disabled: no internal issuer; a short secret, an unknown mode, two issuers: refused.
    let off =
        parse("[auth]\ninternal = \"disabled\"\njwtSecret = \"x\"\n[api.services]\n").unwrap();
    assert!(off.auth.internal.is_none());
    let short = parse("[auth]\njwtSecret = \"short\"\n[api.services]\n").unwrap_err();
    assert!(
        short.contains("auth.jwtSecret") && short.contains("32 bytes"),
        "{short}"
    );
    let mode = parse("[auth]\ninternal = \"maybe\"\n[api.services]\n").unwrap_err();
    assert!(mode.contains("auth.internal"), "{mode}");
    let both = parse(&format!(
        "[auth]\njwtSecret = \"{JWT_SECRET}\"\n[gateway.auth.internal]\nissuer = \"i\"\naudiences = [\"a\"]\nkeys = [{{ kid = \"v1\", alg = \"HS256\", secret = \"{JWT_SECRET}\" }}]\n[api.services]\n"
    ))
    .unwrap_err();
    assert!(
        both.contains("auth.jwtSecret") && both.contains("keep one"),
        "{both}"
    );
}
