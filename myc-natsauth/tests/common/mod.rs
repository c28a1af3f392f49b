//! Helpers shared by the real-server tests: a site (operator, system account, accounts), user
//! creds, connections, and ways to wait for the server instead of sleeping.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use async_nats::{Client, ConnectOptions};
use futures::StreamExt;
use myc_natsauth::chain::TrustChain;
use myc_natsauth::claims::{Account, Claims, Operator, User};
use myc_natsauth::creds::{self, Creds};
use myc_natsauth::server_config::{Resolver, ServerConfig};
use myc_natsauth::{KeyKind, Nkey, jwt};
use myc_testkit::nats::{NatsServer, ServerKind};

/// An operator with a system account, plus application accounts.
pub(crate) struct Site {
    pub(crate) operator: Nkey,
    pub(crate) operator_jwt: String,
    pub(crate) system: (Nkey, String),
    pub(crate) accounts: Vec<(Nkey, String)>,
}

impl Site {
    pub(crate) fn new() -> Self {
        let operator = Nkey::generate(KeyKind::Operator).unwrap();
        let sys = Nkey::generate(KeyKind::Account).unwrap();
        let mut op = Claims::new(operator.public_key(), "OP", Operator::default());
        op.nats.system_account = sys.public_key();
        let operator_jwt = op.encode(&operator).unwrap();
        let sys_jwt = Claims::new(sys.public_key(), "SYS", Account::default())
            .encode(&operator)
            .unwrap();
        Self {
            operator,
            operator_jwt,
            system: (sys, sys_jwt),
            accounts: Vec::new(),
        }
    }

    /// Adds an account configured by `f`; returns its index.
    pub(crate) fn account(&mut self, name: &str, f: impl FnOnce(&mut Claims<Account>)) -> usize {
        let key = Nkey::generate(KeyKind::Account).unwrap();
        let mut claims = Claims::new(key.public_key(), name, Account::default());
        f(&mut claims);
        claims.nats.normalize();
        let token = claims.encode(&self.operator).unwrap();
        self.accounts.push((key, token));
        self.accounts.len() - 1
    }

    pub(crate) fn start(&self, kind: ServerKind, binary: &std::path::Path) -> NatsServer {
        self.start_with(kind, binary, |config, _| config).unwrap()
    }

    /// Starts a server with the site's MEMORY-resolver config, adjusted by `adjust` (which gets
    /// the server's scratch directory, e.g. for JetStream storage).
    pub(crate) fn start_with(
        &self,
        kind: ServerKind,
        binary: &std::path::Path,
        adjust: impl FnOnce(ServerConfig, &std::path::Path) -> ServerConfig,
    ) -> std::io::Result<NatsServer> {
        let mut preload = vec![(self.system.0.public_key(), self.system.1.clone())];
        preload.extend(
            self.accounts
                .iter()
                .map(|(k, j)| (k.public_key(), j.clone())),
        );
        let config = ServerConfig::new(self.operator_jwt.clone(), self.system.0.public_key())
            .resolver(Resolver::memory(preload));
        NatsServer::start(kind, binary, |dir| adjust(config, dir).render())
    }

    pub(crate) fn key(&self, account: usize) -> &Nkey {
        &self.accounts[account].0
    }

    /// The trust chain a verifier builds from the same JWTs the server got.
    pub(crate) fn chain(&self) -> TrustChain {
        let mut chain = TrustChain::new(&self.operator_jwt).unwrap();
        chain.add_account(&self.system.1).unwrap();
        for (_, token) in &self.accounts {
            chain.add_account(token).unwrap();
        }
        chain
    }
}

/// What the chain verifier says about a creds file.
pub(crate) fn chain_ok(chain: &TrustChain, creds_text: &str) -> bool {
    chain_refusal(chain, creds_text).is_none()
}

/// Why the chain refuses these creds (`None`: it accepts them); any other error fails the test.
pub(crate) fn chain_refusal(
    chain: &TrustChain,
    creds_text: &str,
) -> Option<myc_natsauth::chain::ChainError> {
    match chain.verify_creds(&Creds::parse(creds_text).unwrap(), jwt::now()) {
        Ok(_) => None,
        Err(myc_natsauth::Error::Chain(why)) => Some(why),
        Err(other) => panic!("not a chain refusal: {other}"),
    }
}

/// Creds for a new user of `account`, configured by `f`, signed by `signer` (default: the account).
pub(crate) fn user_creds(
    account: &Nkey,
    signer: Option<&Nkey>,
    f: impl FnOnce(&mut Claims<User>),
) -> String {
    let user = Nkey::generate(KeyKind::User).unwrap();
    let mut claims = Claims::new(user.public_key(), "user", User::default());
    if signer.is_some() {
        claims.nats.issuer_account = account.public_key();
    }
    f(&mut claims);
    let token = claims.encode(signer.unwrap_or(account)).unwrap();
    creds::format(&token, &user.seed().unwrap()).to_string()
}

pub(crate) async fn connect(
    server: &NatsServer,
    creds: &str,
) -> Result<Client, async_nats::ConnectError> {
    ConnectOptions::with_credentials(creds)
        .unwrap()
        .connection_timeout(Duration::from_secs(3))
        .connect(server.url())
        .await
}

pub(crate) async fn receives(sub: &mut async_nats::Subscriber, within_ms: u64) -> Option<String> {
    tokio::time::timeout(Duration::from_millis(within_ms), sub.next())
        .await
        .ok()
        .flatten()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
}

/// Publishes probes on `subject` until `sub` sees one: proves the server has processed the
/// subscription (async-nats's `flush` does not guarantee a queued SUB reached the server).
pub(crate) async fn await_interest(
    publisher: &Client,
    sub: &mut async_nats::Subscriber,
    subject: &str,
) {
    for _ in 0..100 {
        publisher
            .publish(subject.to_owned(), "probe".into())
            .await
            .unwrap();
        publisher.flush().await.unwrap();
        if receives(sub, 50).await.is_some() {
            while receives(sub, 50).await.is_some() {}
            return;
        }
    }
    panic!("subscription to {subject} never became active");
}

/// Waits until the server log contains `needle` (evidence the server processed something).
pub(crate) async fn await_log(server: &NatsServer, needle: &str) {
    for _ in 0..100 {
        if server.log().contains(needle) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("server never logged {needle:?}");
}

/// A request retried while the responder's subscription is still on its way to the server.
pub(crate) async fn request_when_ready(client: &Client, subject: &str) -> async_nats::Message {
    for _ in 0..100 {
        match client.request(subject.to_owned(), "?".into()).await {
            Ok(reply) => return reply,
            Err(e) if e.kind() == async_nats::RequestErrorKind::NoResponders => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("request to {subject}: {e}"),
        }
    }
    panic!("no responders on {subject}");
}

pub(crate) fn allow(claims: &mut Claims<User>, publish: &[&str], subscribe: &[&str]) {
    claims.nats.limits.permissions.publish.allow = publish.iter().map(|s| s.to_string()).collect();
    claims.nats.limits.permissions.subscribe.allow =
        subscribe.iter().map(|s| s.to_string()).collect();
}

/// With `admin` (full JetStream rights) creating buckets `agents` and `other`, checks that
/// `agent` can put, get and watch `agents` and can neither bind to, read nor write `other`.
pub(crate) async fn kv_agent_is_confined(server: &NatsServer, admin: &str, agent: &str) {
    use async_nats::jetstream::{self, kv};
    let admin = connect(server, admin).await.unwrap();
    let admin_js = jetstream::new(admin);
    for bucket in ["agents", "other"] {
        admin_js
            .create_key_value(kv::Config {
                bucket: bucket.into(),
                history: 5,
                ..Default::default()
            })
            .await
            .unwrap();
    }
    let other = admin_js.get_key_value("other").await.unwrap();
    other.put("secret", "hidden".into()).await.unwrap();

    let agent = connect(server, agent).await.unwrap();
    let mut js = jetstream::new(agent.clone());
    js.set_timeout(Duration::from_secs(2));
    let bucket = js.get_key_value("agents").await.unwrap();
    let mut watch = bucket.watch("node.>").await.unwrap();
    bucket.put("node.1", "up".into()).await.unwrap();
    assert_eq!(
        bucket.get("node.1").await.unwrap().as_deref(),
        Some(&b"up"[..])
    );
    let seen = tokio::time::timeout(Duration::from_secs(5), watch.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!((seen.key.as_str(), &seen.value[..]), ("node.1", &b"up"[..]));

    assert!(!matches!(
        tokio::time::timeout(Duration::from_secs(4), js.get_key_value("other")).await,
        Ok(Ok(_))
    ));
    let read_other = tokio::time::timeout(
        Duration::from_secs(4),
        agent.request("$JS.API.DIRECT.GET.KV_other.$KV.other.secret", "".into()),
    )
    .await;
    assert!(
        !matches!(read_other, Ok(Ok(ref m)) if &m.payload[..] == b"hidden"),
        "direct get of another bucket"
    );
    agent
        .publish("$KV.other.secret", "overwritten".into())
        .await
        .unwrap();
    agent.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        other.get("secret").await.unwrap().as_deref(),
        Some(&b"hidden"[..])
    );
}

/// A node registry for the credential issuer: `node_id` with `token` may publish metrics
/// (`metrics.>`) and receive replies, for `ttl`.
#[cfg(feature = "issuer")]
pub(crate) struct MetricsNodes {
    pub(crate) node_id: &'static str,
    pub(crate) token: &'static str,
    pub(crate) ttl: Duration,
}

#[cfg(feature = "issuer")]
impl myc_natsauth::issuer::NodeAuthenticator for MetricsNodes {
    async fn authenticate(
        &self,
        node_id: &str,
        token: &str,
    ) -> Option<myc_natsauth::issuer::NodeGrant> {
        use myc_natsauth::permissions;
        (node_id == self.node_id && token == self.token).then(|| {
            let mut limits = myc_natsauth::claims::UserPermissionLimits::default();
            permissions::stream_publisher("metrics.>")
                .and(permissions::stream_subscriber(permissions::INBOX))
                .apply(&mut limits);
            myc_natsauth::issuer::NodeGrant {
                permissions: limits,
                ttl: self.ttl,
            }
        })
    }
}
