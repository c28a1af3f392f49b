//! Live enforcement and limits against real nats-server processes: revocation pushed over
//! `$SYS`, expiry of a live connection, allow_responses, response types, connection, subscription
//! and payload limits, bearer tokens, source CIDRs, connection types, and the CONNECT budget.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use async_nats::{Client, ConnectOptions};
use common::*;
use futures::StreamExt;
use myc_natsauth::chain::ConnectionContext;
use myc_natsauth::claims::{
    Account, Claims, Export, ExportType, Import, ResponsePermission, ResponseType, User,
};
use myc_natsauth::creds::Creds;
use myc_natsauth::validate;
use myc_natsauth::{KeyKind, Nkey, creds, jwt};
use myc_testkit::nats::{self, NatsServer};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

/// Connects and forwards every client event (disconnects, server errors) to a channel.
async fn connect_watching(
    server: &NatsServer,
    creds_text: &str,
) -> (Client, UnboundedReceiver<String>) {
    let (tx, rx) = unbounded_channel();
    let client = ConnectOptions::with_credentials(creds_text)
        .unwrap()
        .connection_timeout(Duration::from_secs(3))
        .event_callback(move |event| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(event.to_string());
            }
        })
        .connect(server.url())
        .await
        .unwrap();
    (client, rx)
}

/// Waits up to `secs` for an event whose text contains one of `needles`.
async fn await_event(
    events: &mut UnboundedReceiver<String>,
    needles: &[&str],
    secs: u64,
) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(e))
                if needles
                    .iter()
                    .any(|n| e.to_lowercase().contains(&n.to_lowercase())) =>
            {
                return e;
            }
            Ok(Some(_)) => continue,
            _ => panic!("no event matching {needles:?} within {secs} s"),
        }
    }
}

/// A request that must get no reply although a subscriber exists (retries NoResponders).
async fn expect_no_reply(client: &Client, subject: &str) {
    for _ in 0..50 {
        match tokio::time::timeout(
            Duration::from_millis(500),
            client.request(subject.to_owned(), "?".into()),
        )
        .await
        {
            Ok(Err(e)) if e.kind() == async_nats::RequestErrorKind::NoResponders => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok(Ok(reply)) => panic!("unexpected reply on {subject}: {:?}", reply.payload),
            _ => return,
        }
    }
    panic!("no subscriber ever appeared on {subject}");
}

fn sys_user(site: &Site) -> String {
    user_creds(&site.system.0, None, |_| {})
}

#[tokio::test]
async fn revocation_pushed_live_over_sys_disconnects_the_user() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let server = site.start(kind, &binary);
        let victim = Nkey::generate(KeyKind::User).unwrap();
        let token = Claims::new(victim.public_key(), "victim", User::default())
            .encode(site.key(app))
            .unwrap();
        let victim_creds = creds::format(&token, &victim.seed().unwrap()).to_string();
        let (_client, mut events) = connect_watching(&server, &victim_creds).await;

        // Push an account update that revokes the victim.
        let mut account = Claims::<Account>::decode(&site.accounts[app].1).unwrap();
        account.nats.revoke(victim.public_key(), jwt::now() + 1);
        let updated = account.encode(&site.operator).unwrap();
        let sys = connect(&server, &sys_user(&site)).await.unwrap();
        let subject = format!(
            "$SYS.REQ.ACCOUNT.{}.CLAIMS.UPDATE",
            site.key(app).public_key()
        );
        let reply = sys.request(subject, updated.into()).await.unwrap();
        assert!(
            String::from_utf8_lossy(&reply.payload).contains("updated"),
            "{kind:?}: {:?}",
            reply.payload
        );

        let event = await_event(
            &mut events,
            &["revoked", "disconnected", "authorization"],
            5,
        )
        .await;
        assert!(!event.is_empty());
        assert!(
            connect(&server, &victim_creds).await.is_err(),
            "{kind:?}: revoked user cannot reconnect"
        );
    }
}

#[tokio::test]
async fn expiry_is_enforced_on_a_live_connection() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let server = site.start(kind, &binary);
        let short = user_creds(site.key(app), None, |c| c.exp = jwt::now() + 2);
        let (_client, mut events) = connect_watching(&server, &short).await;
        await_event(&mut events, &["expired", "disconnected"], 6).await;
    }
}

#[tokio::test]
async fn allow_responses_within_an_account() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let server = site.start(kind, &binary);
        let responder = |resp: Option<ResponsePermission>, subject: &'static str| {
            user_creds(site.key(app), None, move |c| {
                c.nats.limits.permissions.publish.allow = vec!["nothing.at.all".into()];
                c.nats.limits.permissions.subscribe.allow = vec![subject.into()];
                c.nats.limits.permissions.response = resp;
            })
        };
        for (creds_text, subject) in [
            (
                responder(Some(ResponsePermission { max: 1, ttl: 0 }), "svc.with"),
                "svc.with",
            ),
            (responder(None, "svc.without"), "svc.without"),
        ] {
            let client = connect(&server, &creds_text).await.unwrap();
            let mut requests = client.subscribe(subject).await.unwrap();
            tokio::spawn(async move {
                while let Some(msg) = requests.next().await {
                    if let Some(reply) = msg.reply {
                        let _ = client.publish(reply, "pong".into()).await;
                        let _ = client.flush().await;
                    }
                }
            });
        }
        let requester = connect(&server, &user_creds(site.key(app), None, |_| {}))
            .await
            .unwrap();
        assert_eq!(
            request_when_ready(&requester, "svc.with").await.payload,
            "pong".as_bytes(),
            "{kind:?}"
        );
        expect_no_reply(&requester, "svc.without").await;
    }
}

#[tokio::test]
async fn response_types_singleton_and_stream_across_accounts() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let hub = site.account("HUB", |c| {
            let mut stream = Export::new("multi", "multi.stream", ExportType::Service);
            stream.response_type = Some(ResponseType::Stream);
            let mut single = Export::new("single", "multi.single", ExportType::Service);
            single.response_type = Some(ResponseType::Singleton);
            c.nats.exports.extend([stream, single]);
        });
        let hub_key = site.key(hub).public_key();
        let org = site.account("ORG", |c| {
            for s in ["multi.stream", "multi.single"] {
                c.nats
                    .imports
                    .push(Import::new(s, hub_key.clone(), s, ExportType::Service));
            }
        });
        let server = site.start(kind, &binary);
        let responder = connect(&server, &user_creds(site.key(hub), None, |_| {}))
            .await
            .unwrap();
        let mut requests = responder.subscribe("multi.>").await.unwrap();
        tokio::spawn(async move {
            while let Some(msg) = requests.next().await {
                if let Some(reply) = msg.reply {
                    for i in 0..3 {
                        let _ = responder
                            .publish(reply.clone(), format!("{i}").into())
                            .await;
                    }
                    let _ = responder.flush().await;
                }
            }
        });
        let requester = connect(&server, &user_creds(site.key(org), None, |_| {}))
            .await
            .unwrap();
        request_when_ready(&requester, "multi.single").await;
        for (subject, expected) in [("multi.stream", 3), ("multi.single", 1)] {
            let inbox = requester.new_inbox();
            let mut replies = requester.subscribe(inbox.clone()).await.unwrap();
            requester.flush().await.unwrap();
            requester
                .publish_with_reply(subject, inbox, "?".into())
                .await
                .unwrap();
            requester.flush().await.unwrap();
            let mut count = 0;
            while receives(&mut replies, 700).await.is_some() {
                count += 1;
            }
            assert_eq!(count, expected, "{kind:?}: {subject}");
        }
    }
}

#[tokio::test]
async fn connection_subscription_and_payload_limits() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |c| c.nats.limits.conn = 2);
        let server = site.start(kind, &binary);
        let watcher = connect(&server, &user_creds(site.key(app), None, |_| {}))
            .await
            .unwrap();
        let limited = user_creds(site.key(app), None, |c| {
            c.nats.limits.subs = 1;
            c.nats.limits.payload = 16;
        });
        let (client, mut events) = connect_watching(&server, &limited).await;
        // Account connection limit: the third connection is refused.
        assert!(
            connect(&server, &user_creds(site.key(app), None, |_| {}))
                .await
                .is_err(),
            "{kind:?}: conn limit"
        );

        // Subscription limit: the second SUB is refused.
        let _first = client.subscribe("a").await.unwrap();
        let _second = client.subscribe("b").await.unwrap();
        await_event(&mut events, &["subscriptions"], 5).await;

        // Payload limit: an oversized publish is refused (and never delivered).
        let mut all = watcher.subscribe("big.>").await.unwrap();
        await_interest(&watcher, &mut all, "big.probe").await;
        let _ = client.publish("big.x", vec![b'x'; 100].into()).await;
        let _ = client.flush().await;
        await_event(&mut events, &["payload", "disconnected"], 5).await;
        assert_eq!(
            receives(&mut all, 300).await,
            None,
            "{kind:?}: oversized message delivered"
        );
    }
}

fn jwt_only(token: String, kind_of_sig: &'static [u8]) -> ConnectOptions {
    ConnectOptions::with_jwt(token, move |_nonce| async move { Ok(kind_of_sig.to_vec()) })
        .connection_timeout(Duration::from_secs(3))
}

#[tokio::test]
async fn bearer_tokens_src_cidrs_and_connection_types() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let strict = site.account("STRICT", |c| c.nats.limits.disallow_bearer = true);
        let server = site.start(kind, &binary);
        let token = |account: usize, bearer: bool| {
            let user = Nkey::generate(KeyKind::User).unwrap();
            let mut claims = Claims::new(user.public_key(), "b", User::default());
            claims.nats.limits.bearer_token = bearer;
            claims.encode(site.key(account)).unwrap()
        };
        static GARBAGE: [u8; 64] = [7u8; 64];
        // A bearer user connects without a valid nonce signature; a normal user does not.
        assert!(
            jwt_only(token(app, true), &GARBAGE)
                .connect(server.url())
                .await
                .is_ok(),
            "{kind:?}: bearer"
        );
        assert!(
            jwt_only(token(app, false), &GARBAGE)
                .connect(server.url())
                .await
                .is_err(),
            "{kind:?}: non-bearer"
        );
        assert!(
            jwt_only(token(strict, true), &GARBAGE)
                .connect(server.url())
                .await
                .is_err(),
            "{kind:?}: disallow_bearer"
        );

        // Source CIDRs.
        let from = |cidr: &str| {
            let cidr = cidr.to_owned();
            user_creds(site.key(app), None, move |c| c.nats.limits.src = vec![cidr])
        };
        assert!(
            connect(&server, &from("127.0.0.0/8")).await.is_ok(),
            "{kind:?}: loopback allowed"
        );
        assert!(
            connect(&server, &from("10.1.2.0/24")).await.is_err(),
            "{kind:?}: other network refused"
        );

        // Allowed connection types.
        let types = |t: &str| {
            let t = t.to_owned();
            user_creds(site.key(app), None, move |c| {
                c.nats.limits.allowed_connection_types = vec![t]
            })
        };
        assert!(
            connect(&server, &types("STANDARD")).await.is_ok(),
            "{kind:?}: standard allowed"
        );
        assert!(
            connect(&server, &types("WEBSOCKET")).await.is_err(),
            "{kind:?}: websocket-only refused"
        );

        // The chain verifier, given the same connection facts, decides the same way.
        let chain = site.chain();
        let now = jwt::now();
        let loopback = ConnectionContext::standard("127.0.0.1".parse().unwrap());
        let unsigned = ConnectionContext {
            signed_nonce: false,
            ..loopback.clone()
        };
        let by_token = |t: String| {
            chain
                .verify_user(&t, now)
                .and_then(|v| v.admits(&unsigned, now))
                .is_ok()
        };
        assert!(
            by_token(token(app, true))
                && !by_token(token(app, false))
                && !by_token(token(strict, true))
        );
        let by_creds = |c: String| {
            let parsed = Creds::parse(&c).unwrap();
            chain
                .verify_creds(&parsed, now)
                .and_then(|v| v.admits(&loopback, now))
                .is_ok()
        };
        assert!(by_creds(from("127.0.0.0/8")) && !by_creds(from("10.1.2.0/24")));
        assert!(by_creds(types("STANDARD")) && !by_creds(types("WEBSOCKET")));
    }
}

#[tokio::test]
async fn connect_budget_is_checked_before_connecting() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let server = site.start(kind, &binary);
        let sized = |subjects: usize| {
            let user = Nkey::generate(KeyKind::User).unwrap();
            let mut claims = Claims::new(user.public_key(), "wide", User::default());
            claims.nats.limits.permissions.publish.allow = (0..subjects)
                .map(|i| format!("tenant.{i:05}.events.>"))
                .collect();
            let token = claims.encode(site.key(app)).unwrap();
            (
                claims,
                token.clone(),
                creds::format(&token, &user.seed().unwrap()).to_string(),
            )
        };
        let (small_claims, small_token, small_creds) = sized(60);
        let (big_claims, big_token, big_creds) = sized(110);
        assert!(
            small_token.len() < 3600 && big_token.len() > 4500,
            "{} / {}",
            small_token.len(),
            big_token.len()
        );

        let small_report = validate::user(
            &small_claims,
            Some(&small_token),
            validate::DEFAULT_MAX_CONTROL_LINE,
        );
        let big_report = validate::user(
            &big_claims,
            Some(&big_token),
            validate::DEFAULT_MAX_CONTROL_LINE,
        );
        assert!(small_report.is_ok(), "{small_report:?}");
        assert!(
            !big_report.is_ok()
                && big_report
                    .findings
                    .iter()
                    .any(|f| f.code == "user.connect-line")
        );
        // The server agrees.
        assert!(
            connect(&server, &small_creds).await.is_ok(),
            "{kind:?}: within budget"
        );
        assert!(
            connect(&server, &big_creds).await.is_err(),
            "{kind:?}: over budget"
        );
    }
}

#[tokio::test]
async fn time_windows() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let server = site.start(kind, &binary);
        let hour = (jwt::now() / 3600) % 24;
        // A one-hour window that does not contain the current UTC hour, and the whole day.
        let (start, end) = if hour < 12 {
            ("13:00:00", "14:00:00")
        } else {
            ("01:00:00", "02:00:00")
        };
        let window = |start: &str, end: &str| {
            let range = myc_natsauth::claims::TimeRange {
                start: start.into(),
                end: end.into(),
            };
            user_creds(site.key(app), None, move |c| {
                c.nats.limits.times = vec![range];
                c.nats.limits.times_location = "UTC".into();
            })
        };
        assert!(
            connect(&server, &window(start, end)).await.is_err(),
            "{kind:?}: outside the window"
        );
        assert!(
            connect(&server, &window("00:00:00", "23:59:59"))
                .await
                .is_ok(),
            "{kind:?}: inside the window"
        );

        let chain = site.chain();
        let ctx = ConnectionContext::standard("127.0.0.1".parse().unwrap());
        let decide = |c: String| {
            let parsed = Creds::parse(&c).unwrap();
            chain
                .verify_creds(&parsed, jwt::now())
                .and_then(|v| v.admits(&ctx, jwt::now()))
                .is_ok()
        };
        assert!(
            !decide(window(start, end)) && decide(window("00:00:00", "23:59:59")),
            "chain agrees"
        );
    }
}

#[tokio::test]
async fn activation_revocation_pushed_live() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let hub = site.account("HUB", |c| {
            let mut private = Export::new("private", "private.>", ExportType::Service);
            private.token_req = true;
            c.nats.exports.push(private);
        });
        let hub_key = site.key(hub).public_key();
        let org_key = Nkey::generate(KeyKind::Account).unwrap();
        let activation_claims =
            myc_natsauth::claims::Activation::new("private.>", ExportType::Service);
        let activation = Claims::new(org_key.public_key(), "act", activation_claims)
            .encode_at(site.key(hub), jwt::now() - 10)
            .unwrap();
        let mut org = Claims::new(org_key.public_key(), "ORG", Account::default());
        let mut import = Import::new("private", hub_key.clone(), "private.>", ExportType::Service);
        import.token = activation;
        org.nats.imports.push(import);
        site.accounts
            .push((org_key, org.encode(&site.operator).unwrap()));
        let org = site.accounts.len() - 1;
        let server = site.start(kind, &binary);

        let responder = connect(&server, &user_creds(site.key(hub), None, |_| {}))
            .await
            .unwrap();
        let mut requests = responder.subscribe("private.>").await.unwrap();
        tokio::spawn(async move {
            while let Some(msg) = requests.next().await {
                if let Some(reply) = msg.reply {
                    let _ = responder.publish(reply, "yes".into()).await;
                    let _ = responder.flush().await;
                }
            }
        });
        let requester = connect(&server, &user_creds(site.key(org), None, |_| {}))
            .await
            .unwrap();
        assert_eq!(
            request_when_ready(&requester, "private.x").await.payload,
            "yes".as_bytes(),
            "{kind:?}"
        );

        // The exporter revokes ORG's activation and pushes its account over $SYS.
        let mut hub_claims = Claims::<Account>::decode(&site.accounts[hub].1).unwrap();
        hub_claims.nats.exports[0]
            .revocations
            .insert(site.key(org).public_key(), jwt::now());
        let updated = hub_claims.encode(&site.operator).unwrap();
        let sys = connect(&server, &sys_user(&site)).await.unwrap();
        let subject = format!("$SYS.REQ.ACCOUNT.{hub_key}.CLAIMS.UPDATE");
        let reply = sys.request(subject, updated.into()).await.unwrap();
        assert!(
            String::from_utf8_lossy(&reply.payload).contains("updated"),
            "{kind:?}"
        );
        let mut refused = false;
        for _ in 0..20 {
            let answer = tokio::time::timeout(
                Duration::from_millis(400),
                requester.request("private.x", "?".into()),
            )
            .await;
            if !matches!(answer, Ok(Ok(_))) {
                refused = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(
            refused,
            "{kind:?}: a revoked activation must stop the import"
        );
    }
}
