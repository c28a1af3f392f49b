//! `myc-gateway demo`: a gateway with zero set-up. It starts a built-in upstream that echoes
//! what it receives (including the decoded, signature-checked profile), the gateway in front of
//! it with one route per security group, an embedded store (in-memory SQLite, the same schema
//! `serve` uses) seeded with a demo tenant and three users, and prints ready-to-paste curl
//! commands with freshly minted credentials.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use chrono::Utc;
use http::HeaderMap;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_profile::connection_string::ScopedRole;
use myc_profile::{ConnectionString, HmacKeyring, Permission, ProfileSigner, ProfileVerifier};
use myc_tower::auth::Authenticator;
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use myc_tower::profile::{GatewayProfile, ProfileLayer};
use serde_json::json;
use uuid::Uuid;

use crate::config::Config;
use crate::store::{DirectoryFile, NewConnectionString, SqlStore, Store};

const TENANT: &str = "7e57d3e0-0000-4000-8000-000000000001";

/// A running demo.
#[derive(Debug)]
pub struct Demo {
    /// Where the gateway listens.
    pub gateway: SocketAddr,
    /// Where the echo upstream listens.
    pub upstream: SocketAddr,
    /// Commands to try, each with the status it should print or `None` for "succeeds".
    pub commands: Vec<(String, Option<u16>)>,
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
#[error("demo: {0}")]
pub struct DemoError(pub String);

fn err(e: impl std::fmt::Display) -> DemoError {
    DemoError(e.to_string())
}

fn random_bytes() -> [u8; 32] {
    let mut out = [0u8; 32];
    out[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    out[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    out
}

async fn echo(
    headers: HeaderMap,
    uri: http::Uri,
    profile: Option<GatewayProfile>,
) -> axum::Json<serde_json::Value> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let profile = profile.map(|p| {
        let licences: Vec<_> = p
            .licensed_resources
            .as_ref()
            .and_then(|l| l.to_records().ok())
            .unwrap_or_default()
            .into_iter()
            .map(|r| json!({"tenant": r.tenant_id, "role": r.role, "permission": r.perm}))
            .collect();
        json!({"email": p.primary_email(), "account": p.acc_id, "licences": licences})
    });
    axum::Json(json!({
        "upstream": "demo-echo",
        "path": uri.path(),
        "query": uri.query(),
        "security_group": header("x-mycelium-security-group"),
        "email": header("x-mycelium-email"),
        "request_id": header("x-mycelium-request-id"),
        "profile": profile,
    }))
}

fn token(secret: &[u8], email: &str) -> Result<String, DemoError> {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("demo".into());
    let exp = jsonwebtoken::get_current_timestamp() + 3600;
    myc_tower::jwt::backend::install_default();
    jsonwebtoken::encode(
        &header,
        &json!({"iss": "mycelium", "aud": "demo", "sub": email, "email": email, "exp": exp}),
        &EncodingKey::from_secret(secret),
    )
    .map_err(err)
}

/// Starts the demo with the gateway on `listen` (port 0 picks one).
pub async fn start(listen: SocketAddr) -> Result<Demo, DemoError> {
    // The echo upstream trusts only profiles signed by this gateway.
    let signer = ProfileSigner::generate("demo-gateway").map_err(err)?;
    let mut verifier = ProfileVerifier::new(Duration::from_secs(60));
    verifier
        .add_key(signer.key_id(), &signer.public_key())
        .map_err(err)?;
    let upstream_app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .fallback(echo)
        .layer(ProfileLayer::new().verify_with(verifier));
    let upstream_listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(err)?;
    let upstream = upstream_listener.local_addr().map_err(err)?;
    tokio::spawn(axum::serve(upstream_listener, upstream_app).into_future());

    let config_text = format!(
        r#"
[api.services]

[[demo]]
host = "{upstream}"
healthCheckPath = "/health"

[[demo.path]]
group = "public"
path = "/public/*"
methods = ["READ"]

[[demo.path]]
group = "authenticated"
path = "/me"
methods = ["GET"]

[[demo.path]]
group = "protected"
path = "/profile"
methods = ["GET"]

[[demo.path]]
group = {{ protectedByRoles = [{{ slug = "reporter", permission = "read" }}] }}
path = "/reports/*"
methods = ["READ"]

[[demo.path]]
group = {{ protectedByRoles = [{{ slug = "accountant", permission = "write" }}] }}
path = "/ledger/*"
methods = ["ALL"]
"#
    );
    let config =
        Config::parse(&config_text, "(demo)", std::path::Path::new("."), &|_| None).map_err(err)?;

    let store = Arc::new(SqlStore::memory().await.map_err(err)?);
    DirectoryFile::parse(&format!(
        r#"
[[tenants]]
id = "{TENANT}"
name = "Demo tenant"
owner = "alice@demo.test"

[[accounts]]
email = "alice@demo.test"
licences = [
  {{ tenant = "{TENANT}", role = "accountant", permission = "write" }},
  {{ tenant = "{TENANT}", role = "reporter", permission = "read" }},
]

[[accounts]]
email = "bob@demo.test"
licences = [{{ tenant = "{TENANT}", role = "reporter", permission = "read" }}]

[[accounts]]
email = "carol@demo.test"
"#
    ))
    .map_err(err)?
    .import(store.as_ref())
    .await
    .map_err(err)?;
    let secret = random_bytes();
    let hmac = random_bytes();
    let keyring = HmacKeyring::new(1, [(1, hmac)]).map_err(err)?;
    let jwt = JwtVerifier::new().internal(InternalIssuer {
        issuer: "mycelium".into(),
        audiences: vec!["demo".into()],
        keys: vec![LocalKey::hmac(Some("demo"), Algorithm::HS256, &secret).map_err(err)?],
    });
    let auth = Arc::new(
        Authenticator::new(jwt, store.clone())
            .with_connection_strings(keyring.clone(), store.clone())
            .with_signer(signer),
    );

    // Bob's connection string, scoped to reporter (read) on the demo tenant.
    let bob = store
        .account_by_email("bob@demo.test")
        .await
        .map_err(err)?
        .ok_or_else(|| DemoError("seed lost bob".into()))?;
    let expires = Utc::now() + chrono::Duration::hours(1);
    let mut cs = ConnectionString::new(bob.id, expires.fixed_offset());
    cs.roles = Some(vec![ScopedRole::new("reporter", Permission::Read)]);
    cs.tenant_id = Uuid::parse_str(TENANT).ok();
    let connection_string = cs.sign(&keyring).map_err(err)?;
    store
        .record_connection_string(NewConnectionString {
            account_id: bob.id,
            name: "demo",
            tenant_id: cs.tenant_id,
            token_hash: myc_tower::resolver::connection_string_hash(&connection_string),
            expires_at: Some(expires),
        })
        .await
        .map_err(err)?;

    let built = crate::app::build(
        config,
        auth,
        crate::app::Extras {
            ready: Some(crate::app::ReadyCheckDebug(crate::serve::store_check(
                store,
            ))),
            telegram: None,
        },
    )
    .map_err(err)?;
    built.health.spawn();
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(err)?;
    let gateway = listener.local_addr().map_err(err)?;
    tokio::spawn(crate::server::serve(
        listener,
        built.app,
        std::future::pending(),
    ));

    let alice = token(&secret, "alice@demo.test")?;
    let bob_token = token(&secret, "bob@demo.test")?;
    let carol = token(&secret, "carol@demo.test")?;
    let base = format!("http://{gateway}");
    let status = |args: &str, expect: u16| {
        (
            format!("curl -sS -o /dev/null -w '%{{http_code}}\\n' {args}"),
            Some(expect),
        )
    };
    let ok = |args: &str| (format!("curl -sS --fail {args}"), None);
    let commands = vec![
        ok(&format!("{base}/public/hello")),
        status(&format!("{base}/me"), 401),
        ok(&format!("-H 'authorization: Bearer {alice}' {base}/me")),
        ok(&format!(
            "-H 'authorization: Bearer {alice}' {base}/profile"
        )),
        ok(&format!(
            "-H 'authorization: Bearer {bob_token}' {base}/reports/q3"
        )),
        status(
            &format!("-H 'authorization: Bearer {bob_token}' {base}/ledger/entries"),
            403,
        ),
        ok(&format!(
            "-X POST -H 'authorization: Bearer {alice}' {base}/ledger/entries"
        )),
        status(
            &format!("-H 'authorization: Bearer {carol}' {base}/reports/q3"),
            403,
        ),
        ok(&format!(
            "-H 'x-mycelium-connection-string: {connection_string}' {base}/reports/q3"
        )),
        status(
            &format!(
                "-H 'x-mycelium-connection-string: {connection_string}' {base}/ledger/entries"
            ),
            403,
        ),
        ok(&format!(
            "-H 'x-mycelium-profile: forged' -H 'authorization: Bearer {carol}' {base}/profile"
        )),
        status(
            &format!("--path-as-is {base}/public/../ledger/entries"),
            400,
        ),
    ];
    Ok(Demo {
        gateway,
        upstream,
        commands,
    })
}
