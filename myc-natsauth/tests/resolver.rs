//! The full NATS resolver with an operator signing key and strict signing-key usage: only the
//! system account is preloaded, other accounts are pushed over `$SYS.REQ.CLAIMS.UPDATE` and
//! stored in the resolver directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use myc_natsauth::chain::TrustChain;
use myc_natsauth::claims::{Account, Claims, Operator, SigningKey};
use myc_natsauth::server_config::{Resolver, ServerConfig};
use myc_natsauth::{KeyKind, Nkey, validate};
use myc_testkit::nats::{self, NatsServer};

/// An account with one plain signing key (strict usage requires users to be signed by one).
fn account_with_signing_key(name: &str) -> (Nkey, Nkey, Claims<Account>) {
    let key = Nkey::generate(KeyKind::Account).unwrap();
    let signing = Nkey::generate(KeyKind::Account).unwrap();
    let mut claims = Claims::new(key.public_key(), name, Account::default());
    claims.nats.signing_keys = vec![SigningKey::Plain(signing.public_key())];
    (key, signing, claims)
}

#[tokio::test]
async fn full_resolver_with_strict_operator_signing_key() {
    for (kind, binary) in nats::available() {
        let operator = Nkey::generate(KeyKind::Operator).unwrap();
        let operator_sk = Nkey::generate(KeyKind::Operator).unwrap();
        let (sys, sys_sk, sys_claims) = account_with_signing_key("SYS");
        let mut op = Claims::new(operator.public_key(), "OP", Operator::default());
        op.nats.system_account = sys.public_key();
        op.nats.signing_keys = vec![operator_sk.public_key()];
        op.nats.strict_signing_key_usage = true;
        assert!(validate::operator(&op).is_ok());
        let operator_jwt = op.encode(&operator).unwrap();
        let sys_jwt = sys_claims.clone().encode(&operator_sk).unwrap();

        let server = NatsServer::start(kind, &binary, |dir| {
            ServerConfig::new(operator_jwt.clone(), sys.public_key())
                .resolver(Resolver::full(
                    dir.join("jwt"),
                    (sys.public_key(), sys_jwt.clone()),
                ))
                .render()
        })
        .unwrap();

        // An account signed by the operator's identity key is refused under strict usage, by
        // the chain verifier and by the server; one signed by the signing key is stored.
        let (app, app_sk, mut app_claims) = account_with_signing_key("APP");
        let by_identity = app_claims.clone().encode(&operator).unwrap();
        let by_signing_key = app_claims.encode(&operator_sk).unwrap();
        let mut chain = TrustChain::new(&operator_jwt).unwrap();
        assert!(chain.add_account(&by_identity).is_err());
        chain.add_account(&by_signing_key).unwrap();

        let sys_client = connect(&server, &user_creds(&sys, Some(&sys_sk), |_| {}))
            .await
            .unwrap();
        let refused = sys_client
            .request("$SYS.REQ.CLAIMS.UPDATE", by_identity.into())
            .await
            .unwrap();
        assert!(
            !String::from_utf8_lossy(&refused.payload).contains("jwt updated"),
            "{kind:?}: {:?}",
            refused.payload
        );
        let stored = sys_client
            .request("$SYS.REQ.CLAIMS.UPDATE", by_signing_key.into())
            .await
            .unwrap();
        assert!(
            String::from_utf8_lossy(&stored.payload).contains("jwt updated"),
            "{kind:?}: {:?}",
            stored.payload
        );
        let file = server
            .dir()
            .join("jwt")
            .join(format!("{}.jwt", app.public_key()));
        assert!(file.is_file(), "{kind:?}: stored in the resolver directory");

        // A user signed by the account's signing key connects; one signed by the identity key
        // is refused under strict usage, by the server and by the chain.
        let good = user_creds(&app, Some(&app_sk), |_| {});
        let bad = user_creds(&app, None, |_| {});
        assert!(chain_ok(&chain, &good) && !chain_ok(&chain, &bad));
        assert!(
            connect(&server, &good).await.is_ok(),
            "{kind:?}: user of a pushed account"
        );
        assert!(
            connect(&server, &bad).await.is_err(),
            "{kind:?}: identity-key user under strict usage"
        );
    }
}
