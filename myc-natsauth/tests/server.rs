//! Claims and server configs proven against real nats-server processes (2.15.1, and Debian's
//! 2.9.x when installed), over real connections with async-nats.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use async_nats::{Client, ConnectErrorKind};
use common::*;
use futures::StreamExt;
use myc_natsauth::chain::{ChainError, Signer};
use myc_natsauth::claims::{
    Account, Activation, Claims, Export, ExportType, Import, SigningKey, User,
    UserPermissionLimits, UserScope,
};
use myc_natsauth::creds::Creds;
use myc_natsauth::{KeyKind, Nkey, creds, jwt};
use myc_testkit::nats;

#[tokio::test]
async fn publish_and_subscribe_permissions() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let app = site.account("APP", |_| {});
        let server = site.start(kind, &binary);
        let watcher = connect(&server, &user_creds(site.key(app), None, |_| {}))
            .await
            .unwrap();
        let limited = user_creds(site.key(app), None, |c| {
            allow(c, &["orders.>"], &["orders.>", "_INBOX.>"]);
            c.nats.limits.permissions.publish.deny = vec!["orders.secret".into()];
            c.nats.limits.permissions.subscribe.deny = vec!["orders.private.>".into()];
        });
        let client = connect(&server, &limited).await.unwrap();

        let mut all = watcher.subscribe(">").await.unwrap();
        await_interest(&watcher, &mut all, "probe").await;
        client.publish("orders.new", "ok".into()).await.unwrap();
        client
            .publish("orders.secret", "denied".into())
            .await
            .unwrap();
        client.publish("billing.x", "denied".into()).await.unwrap();
        client.flush().await.unwrap();
        assert_eq!(
            receives(&mut all, 2000).await.as_deref(),
            Some("ok"),
            "{kind:?}"
        );
        assert_eq!(
            receives(&mut all, 300).await,
            None,
            "{kind:?}: denied publishes must not arrive"
        );

        // The denied subscription gets its own connection: async-nats may close the wrong local
        // subscription when the server's permission error arrives (a client quirk, not ours).
        let mut open = client.subscribe("orders.open").await.unwrap();
        await_interest(&watcher, &mut open, "orders.open").await;
        let other = connect(&server, &limited).await.unwrap();
        let mut private = other.subscribe("orders.private.x").await.unwrap();
        await_log(&server, "Subscription Violation").await;
        watcher
            .publish("orders.private.x", "hidden".into())
            .await
            .unwrap();
        watcher
            .publish("orders.open", "visible".into())
            .await
            .unwrap();
        watcher.flush().await.unwrap();
        assert_eq!(
            receives(&mut open, 2000).await.as_deref(),
            Some("visible"),
            "{kind:?}"
        );
        assert_eq!(
            receives(&mut private, 300).await,
            None,
            "{kind:?}: denied subscription must not deliver"
        );
    }
}

#[tokio::test]
async fn cross_account_services_public_private_and_renamed() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let hub = site.account("HUB", |c| {
            c.nats
                .exports
                .push(Export::new("mycelium", "mycelium.>", ExportType::Service));
            let mut private = Export::new("private", "private.>", ExportType::Service);
            private.token_req = true;
            c.nats.exports.push(private);
        });
        let hub_key = site.key(hub).public_key();
        let org_key = Nkey::generate(KeyKind::Account).unwrap();
        // Activation for ORG to import HUB's private export, signed by HUB.
        let activation = Claims::new(
            org_key.public_key(),
            "act",
            Activation::new("private.>", ExportType::Service),
        )
        .encode(site.key(hub))
        .unwrap();
        let mut org = Claims::new(org_key.public_key(), "ORG", Account::default());
        let mut public = Import::new(
            "mycelium",
            hub_key.clone(),
            "mycelium.>",
            ExportType::Service,
        );
        public.local_subject = "hub.>".into();
        org.nats.imports.push(public);
        let mut private = Import::new("private", hub_key.clone(), "private.>", ExportType::Service);
        private.token = activation;
        org.nats.imports.push(private);
        let org_jwt = org.encode(&site.operator).unwrap();
        site.accounts.push((org_key, org_jwt));
        // A third account imports the private export without a token.
        let rogue = site.account("ROGUE", |c| {
            c.nats.imports.push(Import::new(
                "private",
                hub_key.clone(),
                "private.>",
                ExportType::Service,
            ));
        });
        let server = site.start(kind, &binary);

        let responder = connect(
            &server,
            &user_creds(site.key(hub), None, |c| {
                allow(c, &["nothing.at.all"], &["mycelium.>", "private.>"]);
                c.nats.limits.permissions.response =
                    Some(myc_natsauth::claims::ResponsePermission { max: 1, ttl: 0 });
            }),
        )
        .await
        .unwrap();
        let mut requests = futures::stream::select(
            responder.subscribe("mycelium.>").await.unwrap(),
            responder.subscribe("private.>").await.unwrap(),
        );
        responder.flush().await.unwrap();
        tokio::spawn({
            let responder = responder.clone();
            async move {
                while let Some(msg) = requests.next().await {
                    if let Some(reply) = msg.reply {
                        let body = format!("answer to {}", msg.subject);
                        let _ = responder.publish(reply, body.into()).await;
                    }
                }
            }
        });

        let org_user = connect(&server, &user_creds(site.key(1), None, |_| {}))
            .await
            .unwrap();
        let reply = request_when_ready(&org_user, "hub.secrets.db").await;
        assert_eq!(
            reply.payload,
            "answer to mycelium.secrets.db".as_bytes(),
            "{kind:?}: renamed import"
        );
        let reply = request_when_ready(&org_user, "private.x").await;
        assert_eq!(
            reply.payload,
            "answer to private.x".as_bytes(),
            "{kind:?}: private export with activation"
        );

        let rogue_user = connect(&server, &user_creds(site.key(rogue), None, |_| {}))
            .await
            .unwrap();
        let refused = tokio::time::timeout(
            Duration::from_secs(3),
            rogue_user.request("private.x", "?".into()),
        )
        .await;
        assert!(
            !matches!(refused, Ok(Ok(_))),
            "{kind:?}: private export without activation must not answer"
        );
    }
}

#[tokio::test]
async fn stream_export_and_import() {
    for (kind, binary) in nats::available() {
        let mut site = Site::new();
        let agent = site.account("AGENT", |c| {
            c.nats
                .exports
                .push(Export::new("metrics", "metrics.>", ExportType::Stream))
        });
        let agent_key = site.key(agent).public_key();
        let control = site.account("CONTROL", |c| {
            let mut import = Import::new(
                "metrics",
                agent_key.clone(),
                "metrics.>",
                ExportType::Stream,
            );
            import.local_subject = "agents.metrics.>".into();
            c.nats.imports.push(import);
        });
        let server = site.start(kind, &binary);
        let consumer = connect(&server, &user_creds(site.key(control), None, |_| {}))
            .await
            .unwrap();
        let producer = connect(
            &server,
            &user_creds(site.key(agent), None, |c| {
                allow(c, &["metrics.>"], &["_INBOX.>"])
            }),
        )
        .await
        .unwrap();
        let mut sub = consumer.subscribe("agents.metrics.>").await.unwrap();
        await_interest(&producer, &mut sub, "metrics.probe").await;
        producer.publish("metrics.cpu", "42".into()).await.unwrap();
        producer.flush().await.unwrap();
        assert_eq!(
            receives(&mut sub, 2000).await.as_deref(),
            Some("42"),
            "{kind:?}"
        );
    }
}

#[tokio::test]
async fn expiry_not_before_and_revocation() {
    for (kind, binary) in nats::available() {
        let now = jwt::now();
        let revoked_user = Nkey::generate(KeyKind::User).unwrap();
        let mut site = Site::new();
        let app = site.account("APP", |c| c.nats.revoke(revoked_user.public_key(), now + 5));
        let server = site.start(kind, &binary);
        let chain = site.chain();
        let refused = |r: Result<Client, async_nats::ConnectError>| matches!(r, Err(e) if e.kind() == ConnectErrorKind::AuthorizationViolation);

        let expired = user_creds(site.key(app), None, |c| c.exp = now - 10);
        let early = user_creds(site.key(app), None, |c| c.nbf = now + 3600);
        let valid = user_creds(site.key(app), None, |c| c.exp = now + 3600);
        assert!(
            refused(connect(&server, &expired).await),
            "{kind:?}: expired"
        );
        assert!(
            refused(connect(&server, &early).await),
            "{kind:?}: not yet valid"
        );
        assert!(connect(&server, &valid).await.is_ok(), "{kind:?}: valid");
        let verdicts = [
            chain_refusal(&chain, &expired),
            chain_refusal(&chain, &early),
            chain_refusal(&chain, &valid),
        ];
        assert_eq!(
            verdicts,
            [
                Some(ChainError::UserExpired),
                Some(ChainError::UserNotYetValid),
                None
            ],
            "the chain verifier agrees with the server"
        );

        // Revoked: a JWT issued at or before the revocation time is refused.
        let mut claims = Claims::new(revoked_user.public_key(), "r", User::default());
        let token = claims.encode_at(site.key(app), now).unwrap();
        let revoked = creds::format(&token, &revoked_user.seed().unwrap()).to_string();
        assert!(
            refused(connect(&server, &revoked).await),
            "{kind:?}: revoked"
        );
        assert_eq!(
            chain_refusal(&chain, &revoked),
            Some(ChainError::UserRevoked),
            "chain agrees: revoked"
        );
        // Reissued after the revocation time: accepted again.
        let token = claims.encode_at(site.key(app), now + 6).unwrap();
        let reissued = creds::format(&token, &revoked_user.seed().unwrap()).to_string();
        assert!(
            connect(&server, &reissued).await.is_ok(),
            "{kind:?}: reissued"
        );
        assert!(chain_ok(&chain, &reissued), "chain agrees: reissued");
    }
}

#[tokio::test]
async fn plain_and_scoped_signing_keys() {
    for (kind, binary) in nats::available() {
        let plain = Nkey::generate(KeyKind::Account).unwrap();
        let scoped = Nkey::generate(KeyKind::Account).unwrap();
        let mut site = Site::new();
        let app = site.account("APP", |c| {
            c.nats
                .signing_keys
                .push(SigningKey::Plain(plain.public_key()));
            let mut template = UserPermissionLimits::default();
            template.permissions.publish.allow = vec!["svc.{{name()}}.>".into()];
            template.permissions.subscribe.allow = vec!["_INBOX.>".into()];
            let scope = UserScope::new(scoped.public_key(), "service", template);
            c.nats
                .signing_keys
                .push(SigningKey::Scoped(Box::new(scope)));
        });
        let server = site.start(kind, &binary);
        let chain = site.chain();
        let watcher = connect(&server, &user_creds(site.key(app), None, |_| {}))
            .await
            .unwrap();
        let mut all = watcher.subscribe("svc.>").await.unwrap();
        await_interest(&watcher, &mut all, "svc.probe").await;

        // Plain signing key: the user's own permissions apply.
        let plain_creds = user_creds(site.key(app), Some(&plain), |c| {
            allow(c, &["svc.plain.>"], &[])
        });
        let verified = chain
            .verify_creds(&Creds::parse(&plain_creds).unwrap(), jwt::now())
            .unwrap();
        assert_eq!(verified.signer, Signer::SigningKey(plain.public_key()));
        let by_plain = connect(&server, &plain_creds).await.unwrap();
        by_plain
            .publish("svc.plain.x", "plain".into())
            .await
            .unwrap();
        by_plain.flush().await.unwrap();
        assert_eq!(
            receives(&mut all, 2000).await.as_deref(),
            Some("plain"),
            "{kind:?}"
        );

        // Scoped key: no permissions on the user, the template with {{name()}} applies.
        let scoped_creds = user_creds(site.key(app), Some(&scoped), |c| {
            c.name = "billing".into();
            c.nats.limits = UserPermissionLimits::none();
        });
        let verified = chain
            .verify_creds(&Creds::parse(&scoped_creds).unwrap(), jwt::now())
            .unwrap();
        assert_eq!(
            verified.signer,
            Signer::Scoped {
                key: scoped.public_key(),
                role: "service".into()
            }
        );
        assert_eq!(
            verified.effective.permissions.publish.allow,
            vec!["svc.billing.>".to_owned()]
        );
        let by_scope = connect(&server, &scoped_creds).await.unwrap();
        by_scope
            .publish("svc.billing.invoice", "scoped".into())
            .await
            .unwrap();
        by_scope
            .publish("svc.other.invoice", "outside".into())
            .await
            .unwrap();
        by_scope.flush().await.unwrap();
        assert_eq!(
            receives(&mut all, 2000).await.as_deref(),
            Some("scoped"),
            "{kind:?}"
        );
        assert_eq!(
            receives(&mut all, 300).await,
            None,
            "{kind:?}: outside the template"
        );

        // A scoped-key user that carries its own limits is refused by the server and the chain.
        let bad = user_creds(site.key(app), Some(&scoped), |_| {});
        assert!(
            connect(&server, &bad).await.is_err(),
            "{kind:?}: scoped users must not carry limits"
        );
        assert_eq!(
            chain_refusal(&chain, &bad),
            Some(ChainError::ScopedUserHasPermissions),
            "chain agrees: scoped user with limits"
        );
        // A key the account does not list is refused by both.
        let stranger = Nkey::generate(KeyKind::Account).unwrap();
        let unknown = user_creds(site.key(app), Some(&stranger), |_| {});
        assert!(
            connect(&server, &unknown).await.is_err(),
            "{kind:?}: unknown signing key"
        );
        assert!(
            matches!(
                chain_refusal(&chain, &unknown),
                Some(ChainError::ForeignSigner { .. })
            ),
            "chain agrees: unknown signing key"
        );
    }
}
