//! Auth callout (nats-server 2.10+): a service in the AUTH account admits one user into APP and
//! rejects another, using this crate's request/response claim types.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use async_nats::ConnectOptions;
use common::*;
use futures::StreamExt;
use myc_natsauth::claims::{AuthorizationRequest, AuthorizationResponse, Claims, User};
use myc_natsauth::{KeyKind, Nkey, creds};
use myc_testkit::nats::{self, ServerKind};

/// Sentinel creds: a bearer user of the callout account that may do nothing by itself.
fn sentinel_creds(auth: &Nkey) -> String {
    let user = Nkey::generate(KeyKind::User).unwrap();
    let mut sentinel = Claims::new(user.public_key(), "sentinel", User::default());
    sentinel.nats.limits.bearer_token = true;
    sentinel.nats.limits.permissions.publish.deny = vec![">".into()];
    sentinel.nats.limits.permissions.subscribe.deny = vec![">".into()];
    creds::format(&sentinel.encode(auth).unwrap(), &user.seed().unwrap()).to_string()
}

#[tokio::test]
async fn callout_admits_one_user_and_rejects_another() {
    let service_user = Nkey::generate(KeyKind::User).unwrap();
    let mut site = Site::new();
    let app = site.account("APP", |_| {});
    let app_key = site.key(app).public_key();
    let service_pub = service_user.public_key();
    let auth = site.account("AUTH", |c| {
        c.nats.authorization.auth_users = vec![service_pub.clone()];
        c.nats.authorization.allowed_accounts = vec![app_key.clone()];
    });
    let server = site.start(ServerKind::Modern, &nats::modern_binary());

    // The callout service: a user of AUTH listed in auth_users.
    let service_token = Claims::new(service_user.public_key(), "callout", User::default())
        .encode(site.key(auth))
        .unwrap();
    let service = connect(
        &server,
        &creds::format(&service_token, &service_user.seed().unwrap()),
    )
    .await
    .unwrap();
    let mut requests = service.subscribe("$SYS.REQ.USER.AUTH").await.unwrap();
    service.flush().await.unwrap();
    let auth_key = Nkey::from_seed(KeyKind::Account, &site.key(auth).seed().unwrap()).unwrap();
    let app_signer = Nkey::from_seed(KeyKind::Account, &site.key(app).seed().unwrap()).unwrap();
    tokio::spawn(async move {
        while let Some(msg) = requests.next().await {
            let request =
                Claims::<AuthorizationRequest>::decode(std::str::from_utf8(&msg.payload).unwrap())
                    .unwrap();
            let r = &request.nats;
            let body = if r.connect_opts.user == "alice" && r.connect_opts.pass == "good" {
                let user = Claims::new(r.user_nkey.clone(), "alice", User::default())
                    .encode(&app_signer)
                    .unwrap();
                AuthorizationResponse::allow(user)
            } else {
                AuthorizationResponse::deny("bad credentials")
            };
            let mut response = Claims::new(r.user_nkey.clone(), "", body);
            response.aud = r.server_id.id.clone();
            let token = response.encode(&auth_key).unwrap();
            if let Some(reply) = msg.reply {
                service.publish(reply, token.into()).await.unwrap();
                service.flush().await.unwrap();
            }
        }
    });

    let sentinel_creds = sentinel_creds(site.key(auth));
    let login = |user: &str, pass: &str| {
        ConnectOptions::with_credentials(&sentinel_creds)
            .unwrap()
            .user_and_password(user.into(), pass.into())
            .connection_timeout(Duration::from_secs(5))
    };

    let alice = login("alice", "good")
        .connect(server.url())
        .await
        .expect("alice is admitted");
    // Alice landed in APP: a default APP user sees her messages.
    let watcher = connect(&server, &user_creds(site.key(app), None, |_| {}))
        .await
        .unwrap();
    let mut sub = watcher.subscribe("hello").await.unwrap();
    await_interest(&watcher, &mut sub, "hello").await;
    alice.publish("hello", "from alice".into()).await.unwrap();
    alice.flush().await.unwrap();
    assert_eq!(
        receives(&mut sub, 2000).await.as_deref(),
        Some("from alice")
    );

    assert!(
        login("bob", "bad").connect(server.url()).await.is_err(),
        "bob is rejected"
    );
    await_log(&server, "bad credentials").await;
}

#[tokio::test]
async fn callout_with_xkey_encryption() {
    let service_user = Nkey::generate(KeyKind::User).unwrap();
    let service_xkey = myc_natsauth::CurveKey::generate();
    let mut site = Site::new();
    let app = site.account("APP", |_| {});
    let app_key = site.key(app).public_key();
    let (service_pub, xkey_pub) = (service_user.public_key(), service_xkey.public_key());
    let auth = site.account("AUTH", |c| {
        c.nats.authorization.auth_users = vec![service_pub.clone()];
        c.nats.authorization.allowed_accounts = vec![app_key.clone()];
        c.nats.authorization.xkey = xkey_pub.clone();
    });
    let server = site.start(ServerKind::Modern, &nats::modern_binary());

    let service_token = Claims::new(service_user.public_key(), "callout", User::default())
        .encode(site.key(auth))
        .unwrap();
    let service = connect(
        &server,
        &creds::format(&service_token, &service_user.seed().unwrap()),
    )
    .await
    .unwrap();
    let mut requests = service.subscribe("$SYS.REQ.USER.AUTH").await.unwrap();
    service.flush().await.unwrap();
    let auth_key = Nkey::from_seed(KeyKind::Account, &site.key(auth).seed().unwrap()).unwrap();
    let app_signer = Nkey::from_seed(KeyKind::Account, &site.key(app).seed().unwrap()).unwrap();
    tokio::spawn(async move {
        while let Some(msg) = requests.next().await {
            let server_xkey = msg
                .headers
                .as_ref()
                .and_then(|h| h.get("Nats-Server-Xkey"))
                .map(|v| v.to_string())
                .unwrap();
            let plain = service_xkey.open(&msg.payload, &server_xkey).unwrap();
            let request =
                Claims::<AuthorizationRequest>::decode(std::str::from_utf8(&plain).unwrap())
                    .unwrap();
            let r = &request.nats;
            let body = if r.connect_opts.auth_token == "s3cret" {
                AuthorizationResponse::allow(
                    Claims::new(r.user_nkey.clone(), "tok", User::default())
                        .encode(&app_signer)
                        .unwrap(),
                )
            } else {
                AuthorizationResponse::deny("bad token")
            };
            let mut response = Claims::new(r.user_nkey.clone(), "", body);
            response.aud = r.server_id.id.clone();
            let sealed = service_xkey
                .seal(response.encode(&auth_key).unwrap().as_bytes(), &server_xkey)
                .unwrap();
            if let Some(reply) = msg.reply {
                service.publish(reply, sealed.into()).await.unwrap();
                service.flush().await.unwrap();
            }
        }
    });

    let sentinel_creds = sentinel_creds(site.key(auth));
    let with_token = |token: &str| {
        ConnectOptions::with_credentials(&sentinel_creds)
            .unwrap()
            .token(token.into())
            .connection_timeout(Duration::from_secs(5))
    };
    assert!(
        with_token("s3cret").connect(server.url()).await.is_ok(),
        "the encrypted exchange admits"
    );
    assert!(
        with_token("wrong").connect(server.url()).await.is_err(),
        "and refuses"
    );
}
