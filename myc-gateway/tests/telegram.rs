//! The Telegram identity source over real sockets: the gateway (library entry, SQLite store)
//! in front of an echo upstream; webhook routes with valid and forged secret tokens, linked
//! and unlinked senders; Mini App link and login with valid, tampered and stale `initData`;
//! double links; a tenant without a bot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use axum::Router;
use hmac::{Hmac, Mac};
use myc_gateway::config::Config;
use myc_gateway::store::{DirectoryFile, SqlStore};
use myc_gateway::telegram::Telegram;
use myc_gateway::vault::SecretVault;
use myc_testkit::nats::TempDir;
use serde_json::{Value, json};
use sha2::Sha256;

const BOT: &str = "7123456789:AAFexampleBotTokenForTests_1234567890";
const WEBHOOK_SECRET: &str = "4b9c2e1a8f3d7e0c5b2a9f6e3d1c8b5a";
const TENANT: &str = "a3f1e2d0-1234-4abc-8def-000000000001";
const BARE: &str = "a3f1e2d0-1234-4abc-8def-000000000002";
const MARIA_TG: i64 = 98765432;

/// Mini App initData for `user_id`, signed with `bot`, dated `age` seconds ago.
fn init_data(bot: &str, user_id: i64, age: i64) -> String {
    let user =
        json!({"id": user_id, "first_name": "T", "username": format!("u{user_id}")}).to_string();
    let auth_date = (chrono::Utc::now().timestamp() - age).to_string();
    let mut fields = [
        ("auth_date", auth_date.as_str()),
        ("query_id", "AAHq"),
        ("user", user.as_str()),
    ];
    fields.sort();
    let check = fields
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut key = Hmac::<Sha256>::new_from_slice(b"WebAppData").unwrap();
    key.update(bot.as_bytes());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key.finalize().into_bytes()).unwrap();
    mac.update(check.as_bytes());
    let hash = hex::encode(mac.finalize().into_bytes());
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        out.append_pair(k, v);
    }
    out.append_pair("hash", &hash);
    out.finish()
}

async fn echo() -> String {
    let app = Router::new().fallback(
        |headers: axum::http::HeaderMap, body: axum::body::Bytes| async move {
            let profile = headers.get("x-mycelium-profile").map(|v| {
                let p = myc_profile::codec::decode(v.to_str().unwrap()).unwrap();
                p.primary_email().map(str::to_owned)
            });
            axum::Json(json!({
                "profile_email": profile.flatten(),
                "secret_header": headers.contains_key("x-telegram-bot-api-secret-token"),
                "body": String::from_utf8_lossy(&body),
            }))
        },
    );
    let addr = myc_testkit::http::serve(app).await;
    addr.to_string()
}

struct Gw {
    base: String,
    config: Config,
    http: reqwest::Client,
    telegram: std::sync::Arc<myc_gateway::telegram::Telegram>,
}

impl Gw {
    fn token(&self, email: &str) -> String {
        myc_gateway::admin::mint_token(&self.config.auth, email, 600).unwrap()
    }
    async fn post(&self, path: &str, headers: &[(&str, String)], body: Value) -> (u16, Value) {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

async fn gateway(dir: &std::path::Path) -> Gw {
    let up = echo().await;
    let text = format!(
        r#"
[gateway.auth.internal]
issuer = "mycelium"
audiences = ["mycelium"]
keys = [{{ kid = "v1", alg = "HS256", secret = "telegram-test-secret-with-32-bytes!!" }}]

[gateway.auth.connection_strings]
primary = 1
keys = [{{ version = 1, secret = "telegram-test-hmac-secret-32-bytes!!" }}]

[gateway.secrets]
master_key = "1f0c6a3c9d4e2b1a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a09080"

[gateway.telegram]
max_auth_age_secs = 3600

[api.services]
[[bot]]
host = "{up}"
allowedSources = ["127.0.0.1/32"]

[[bot.path]]
group = "protected"
path = "/auth/telegram/webhook/*"
methods = ["POST"]
identitySource = "telegram"

[[bot.path]]
group = "protected"
path = "/hr/*"
methods = ["GET"]
"#
    );
    let config = Config::parse(&text, "gateway.toml", dir, &|_| None).unwrap();
    let store = Arc::new(SqlStore::open(&config.store).await.unwrap());
    DirectoryFile::parse(&format!(
        r#"
[[tenants]]
id = "{TENANT}"
name = "Acme"
[[tenants]]
id = "{BARE}"
name = "Bare"
[[accounts]]
email = "maria@acme.test"
licences = [{{ tenant = "{TENANT}", role = "support" }}]
[[accounts]]
email = "bob@acme.test"
licences = [{{ tenant = "{TENANT}", role = "support" }}]
[[accounts]]
email = "carol@elsewhere.test"
"#
    ))
    .unwrap()
    .import(store.as_ref())
    .await
    .unwrap();
    let telegram = Arc::new(Telegram::new(
        SecretVault::new(SqlStore::clone(&store), config.secrets.clone().unwrap()),
        config.auth.clone(),
        config.telegram.unwrap(),
    ));
    telegram
        .configure(TENANT.parse().unwrap(), BOT, WEBHOOK_SECRET)
        .await
        .unwrap();
    // Bad bot configurations are refused before anything is stored.
    assert!(
        telegram
            .configure(TENANT.parse().unwrap(), "not-a-token", WEBHOOK_SECRET)
            .await
            .is_err()
    );
    assert!(
        telegram
            .configure(TENANT.parse().unwrap(), BOT, "short")
            .await
            .is_err()
    );
    let auth =
        Arc::new(myc_gateway::serve::authenticator(&config.auth, &[], store.clone()).unwrap());
    let extras = myc_gateway::app::Extras {
        ready: None,
        telegram: Some(telegram.clone()),
    };
    let built = myc_gateway::app::build(config.clone(), auth.clone(), extras).unwrap();
    let app = built.app.mount(
        &myc_gateway::telegram::ENDPOINTS,
        telegram.clone().router(auth),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(myc_gateway::server::serve(
        listener,
        app,
        std::future::pending(),
    ));
    Gw {
        base: format!("http://{addr}"),
        config,
        http: reqwest::Client::new(),
        telegram: telegram.clone(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn link_login_and_webhooks() {
    let dir = TempDir::new("myc-gateway-telegram").unwrap();
    let gw = gateway(dir.path()).await;
    let maria = gw.token("maria@acme.test");
    let bob = gw.token("bob@acme.test");
    let tenant = || ("x-mycelium-tenant-id", TENANT.to_owned());
    let bearer = |t: &str| ("authorization", format!("Bearer {t}"));
    let body = |data: String| json!({ "initData": data });

    // Link.
    let good = init_data(BOT, MARIA_TG, 10);
    for (headers, data, expect) in [
        (vec![tenant()], good.clone(), 401),       // no credentials
        (vec![bearer(&maria)], good.clone(), 400), // no tenant
        (
            vec![bearer(&maria), ("x-mycelium-tenant-id", BARE.to_owned())],
            good.clone(),
            422,
        ),
        (
            vec![bearer(&maria), tenant()],
            good.replace("u98765432", "u98765433"),
            401,
        ), // tampered
        (
            vec![bearer(&maria), tenant()],
            init_data(BOT, MARIA_TG, 7200),
            401,
        ), // stale
        (
            vec![bearer(&maria), tenant()],
            init_data("1:otherbotothertokenxxxxxxx", MARIA_TG, 10),
            401,
        ),
        (vec![bearer(&maria), tenant()], good.clone(), 201),
        (vec![bearer(&maria), tenant()], good.clone(), 409), // already linked
        (vec![bearer(&bob), tenant()], good.clone(), 409),   // linked elsewhere
    ] {
        let (status, response) = gw.post("/auth/telegram/link", &headers, body(data)).await;
        assert_eq!(status, expect, "{headers:?}: {response}");
    }

    // Login: a connection string for the tenant, usable on protected routes.
    let (status, response) = gw
        .post(
            &format!("/auth/telegram/login/{TENANT}"),
            &[],
            body(good.clone()),
        )
        .await;
    assert_eq!(status, 200, "{response}");
    let cs = response["connectionString"].as_str().unwrap().to_owned();
    assert!(response["expiresAt"].as_str().is_some());
    let hr: Value = gw
        .http
        .get(format!("{}/hr/balance", gw.base))
        .header("x-mycelium-connection-string", &cs)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hr["profile_email"], "maria@acme.test");
    for (path, data, expect) in [
        (
            format!("/auth/telegram/login/{TENANT}"),
            init_data(BOT, 111, 10),
            404,
        ), // not linked
        (format!("/auth/telegram/login/{BARE}"), good.clone(), 422),
        (
            format!("/auth/telegram/login/{TENANT}"),
            good.replace("auth_date=", "auth_date=1"),
            401,
        ),
        (
            "/auth/telegram/login/not-a-tenant".to_owned(),
            good.clone(),
            400,
        ),
    ] {
        let (status, response) = gw.post(&path, &[], body(data)).await;
        assert_eq!(status, expect, "{path}: {response}");
    }
    // Linked but not a member of the tenant: 404.
    let carol = gw.token("carol@elsewhere.test");
    let carol_tg = init_data(BOT, 555, 10);
    let (status, _) = gw
        .post(
            "/auth/telegram/link",
            &[bearer(&carol), tenant()],
            body(carol_tg.clone()),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = gw
        .post(
            &format!("/auth/telegram/login/{TENANT}"),
            &[],
            body(carol_tg),
        )
        .await;
    assert_eq!(status, 404);

    // Webhooks: the secret token proves Telegram, the sender is the linked account.
    let webhook = |tenant: &str| format!("/auth/telegram/webhook/{tenant}");
    let secret = || ("x-telegram-bot-api-secret-token", WEBHOOK_SECRET.to_owned());
    let message = |from: i64| json!({"update_id": 1, "message": {"message_id": 7, "from": {"id": from}, "text": "hi"}});
    let (status, seen) = gw
        .post(&webhook(TENANT), &[secret()], message(MARIA_TG))
        .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["profile_email"], "maria@acme.test");
    assert_eq!(
        seen["secret_header"], false,
        "the secret token is not forwarded"
    );
    assert_eq!(
        serde_json::from_str::<Value>(seen["body"].as_str().unwrap()).unwrap(),
        message(MARIA_TG)
    );
    let callback = json!({"update_id": 2, "callback_query": {"id": "q", "from": {"id": MARIA_TG}}});
    let (status, seen) = gw.post(&webhook(TENANT), &[secret()], callback).await;
    assert_eq!(
        (status, seen["profile_email"].as_str()),
        (200, Some("maria@acme.test"))
    );
    for (path, headers, update, expect) in [
        (
            webhook(TENANT),
            vec![(
                "x-telegram-bot-api-secret-token",
                "4b9c2e1a8f3d7e0c5b2a9f6e3d1c8b5b".to_owned(),
            )],
            message(MARIA_TG),
            401,
        ),
        (webhook(TENANT), vec![], message(MARIA_TG), 401),
        (webhook(TENANT), vec![secret()], message(111), 401), // unlinked sender
        (
            webhook(TENANT),
            vec![secret()],
            json!({"update_id": 3, "poll": {}}),
            400,
        ), // no sender
        (webhook(BARE), vec![secret()], message(MARIA_TG), 422),
        (
            webhook("not-a-tenant"),
            vec![secret()],
            message(MARIA_TG),
            400,
        ),
        // Spoofed identity headers do not help an unlinked sender.
        (
            webhook(TENANT),
            vec![
                secret(),
                ("x-mycelium-email", "\"maria@acme.test\"".to_owned()),
            ],
            message(111),
            401,
        ),
    ] {
        let (status, response) = gw.post(&path, &headers, update).await;
        assert_eq!(status, expect, "{path} {headers:?}: {response}");
    }

    // A new webhook secret set through this gateway applies at once (its cached copy is
    // dropped); the old one is refused.
    let rotated = "7d1e9a3c5b2f8e4d6a0c9b1e3f5a7c2d";
    gw.telegram
        .configure(TENANT.parse().unwrap(), BOT, rotated)
        .await
        .unwrap();
    let (status, _) = gw
        .post(&webhook(TENANT), &[secret()], message(MARIA_TG))
        .await;
    assert_eq!(status, 401);
    let rotated_header = ("x-telegram-bot-api-secret-token", rotated.to_owned());
    let (status, _) = gw
        .post(&webhook(TENANT), &[rotated_header], message(MARIA_TG))
        .await;
    assert_eq!(status, 200);
    gw.telegram
        .configure(TENANT.parse().unwrap(), BOT, WEBHOOK_SECRET)
        .await
        .unwrap();

    // Unlink, then the sender is unknown again.
    let response = gw
        .http
        .delete(format!("{}/auth/telegram/link", gw.base))
        .bearer_auth(&maria)
        .header("x-mycelium-tenant-id", TENANT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let response = gw
        .http
        .delete(format!("{}/auth/telegram/link", gw.base))
        .bearer_auth(&maria)
        .header("x-mycelium-tenant-id", TENANT)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let (status, _) = gw
        .post(&webhook(TENANT), &[secret()], message(MARIA_TG))
        .await;
    assert_eq!(status, 401);
}
