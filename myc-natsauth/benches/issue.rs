//! Issuing a user JWT (build claims, serialize, sign, encode) against raw Ed25519 signing of a
//! payload of the same size with `nkeys`, in one run; decode + full chain verification beside it.
//!
//! Goal (issue #4): issuance ≥ 0.8x the rate of raw signing. Run:
//! `cargo bench -p myc-natsauth --bench issue`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use myc_natsauth::chain::TrustChain;
use myc_natsauth::claims::{Account, Claims, Operator, User};
use myc_natsauth::{KeyKind, Nkey, jwt};
use myc_testkit::bench::{mean_ns, speedup};

fn user_claims(user: &Nkey) -> Claims<User> {
    let mut claims = Claims::new(user.public_key(), "billing-service", User::default());
    claims.exp = jwt::now() + 3600;
    claims.nats.limits.permissions.publish.allow = vec!["billing.>".into(), "_INBOX.>".into()];
    claims.nats.limits.permissions.subscribe.allow =
        vec!["billing.requests.>".into(), "_INBOX.>".into()];
    claims
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let operator = Nkey::generate(KeyKind::Operator).unwrap();
    let account = Nkey::generate(KeyKind::Account).unwrap();
    let user = Nkey::generate(KeyKind::User).unwrap();
    let template = user_claims(&user);
    let sample = template.clone().encode(&account).unwrap();
    // Raw signing input of the same size as the JWT's signing input.
    let signing_input_len = sample.rsplit_once('.').unwrap().0.len();
    let raw_payload = vec![b'x'; signing_input_len];
    let raw_key = nkeys::KeyPair::from_seed(&account.seed().unwrap()).unwrap();

    let mut group = c.benchmark_group("issue-user-jwt");
    group.bench_function("raw-nkeys-sign", |b| {
        b.iter(|| raw_key.sign(black_box(&raw_payload)).unwrap())
    });
    group.bench_function("issue", |b| {
        b.iter(|| {
            let mut claims = user_claims(black_box(&user));
            claims.encode(&account).unwrap()
        })
    });
    group.finish();

    let mut chain = TrustChain::new(
        &Claims::new(operator.public_key(), "OP", Operator::default())
            .encode(&operator)
            .unwrap(),
    )
    .unwrap();
    chain
        .add_account(
            &Claims::new(account.public_key(), "APP", Account::default())
                .encode(&operator)
                .unwrap(),
        )
        .unwrap();
    let mut group = c.benchmark_group("verify-user-jwt");
    group.bench_function("decode", |b| {
        b.iter(|| Claims::<User>::decode(black_box(&sample)).unwrap())
    });
    group.bench_function("decode+chain", |b| {
        b.iter(|| chain.verify_user(black_box(&sample), jwt::now()).unwrap())
    });
    group.finish();
    c.final_summary();

    println!(
        "\nmyc-natsauth user JWT issuance (same run; JWT {} bytes)",
        sample.len()
    );
    println!(
        "  issue vs raw nkeys signing: {} of raw rate (goal ≥ 0.80x)",
        speedup("issue-user-jwt", "raw-nkeys-sign", "issue", "")
    );
    if let (Some(d), Some(v)) = (
        mean_ns("verify-user-jwt", "decode", ""),
        mean_ns("verify-user-jwt", "decode+chain", ""),
    ) {
        println!(
            "  decode: {:.0}/s; decode + chain verification: {:.0}/s",
            1e9 / d,
            1e9 / v
        );
    }
}
