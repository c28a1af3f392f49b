//! Uncached token verification per second under both JWT backends, in one run: what a flood
//! of distinct (or forged) tokens costs before any cache can help.
//!
//! Each backend runs in its own child process (jsonwebtoken's provider is process-wide): the
//! child installs it through `myc_tower::jwt::backend::install`, builds a `JwtVerifier` with an
//! OIDC provider whose JWKS holds the RSA-2048, P-256 and Ed25519 test keys, and verifies 64
//! distinct tokens per algorithm in a loop for `JWT_BENCH_SECS` (default 2) seconds, on one
//! thread. The parent prints verifications per second and the aws-lc / RustCrypto ratio.
//! Run: `cargo bench -p myc-tower --features rust-crypto --bench jwt_backends`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_tower::BoxFuture;
use myc_tower::jwt::backend::{self, Backend};
use myc_tower::jwt::jwks::{FetchError, JwksCache, JwksFetcher, JwksPolicy};
use myc_tower::jwt::{EmailPolicy, JwtVerifier, OidcProvider};
use serde_json::{Value, json};

const ISS: &str = "https://idp.bench.test";
const AUD: &str = "bench";
const CASES: [(Algorithm, &str); 3] = [
    (Algorithm::RS256, "rsa1"),
    (Algorithm::ES256, "ec1"),
    (Algorithm::EdDSA, "ed1"),
];

fn keys_dir() -> String {
    format!("{}/tests/keys", env!("CARGO_MANIFEST_DIR"))
}

struct StaticJwks(JwkSet);

impl JwksFetcher for StaticJwks {
    fn fetch<'a>(&'a self, _: &'a str) -> BoxFuture<'a, Result<JwkSet, FetchError>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

fn verifier() -> JwtVerifier {
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(keys_dir() + "/public.json").unwrap())
            .unwrap();
    let keys: Vec<Value> = CASES
        .iter()
        .map(|(_, name)| {
            let mut jwk = all[*name].clone();
            jwk["kid"] = json!(name);
            jwk
        })
        .collect();
    let set: JwkSet = serde_json::from_value(json!({ "keys": keys })).unwrap();
    let jwks = JwksCache::new("static", Arc::new(StaticJwks(set)), JwksPolicy::default());
    JwtVerifier::new().provider(OidcProvider {
        issuer: ISS.into(),
        audiences: vec![AUD.into()],
        algorithms: CASES.iter().map(|(alg, _)| *alg).collect(),
        jwks: Arc::new(jwks),
        userinfo: None,
        email: EmailPolicy::default(),
    })
}

fn tokens(alg: Algorithm, name: &str) -> Vec<String> {
    let pem = std::fs::read(format!("{}/{name}.pem", keys_dir())).unwrap();
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        Algorithm::ES256 => EncodingKey::from_ec_pem(&pem),
        _ => EncodingKey::from_ed_pem(&pem),
    }
    .unwrap();
    let mut header = Header::new(alg);
    header.kid = Some(name.into());
    let exp = jsonwebtoken::get_current_timestamp() + 3600;
    (0..64)
        .map(|i| {
            let claims = json!({ "iss": ISS, "aud": AUD, "exp": exp, "jti": i,
                                 "email": format!("user{i}@example.com") });
            jsonwebtoken::encode(&header, &claims, &key).unwrap()
        })
        .collect()
}

/// Child: verifications per second of each algorithm under `backend`.
fn child(backend: Backend, secs: f64) {
    backend::install(backend).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let verifier = verifier();
    runtime.block_on(async {
        for (alg, name) in CASES {
            let tokens = tokens(alg, name);
            for t in &tokens {
                verifier.verify(t).await.unwrap();
            }
            let started = Instant::now();
            let mut n = 0u64;
            while started.elapsed() < Duration::from_secs_f64(secs) {
                for t in &tokens {
                    std::hint::black_box(verifier.verify(t).await.unwrap());
                }
                n += tokens.len() as u64;
            }
            let rate = n as f64 / started.elapsed().as_secs_f64();
            println!("{alg:?} {rate:.0}");
        }
    });
}

fn run_child(backend: Backend) -> Vec<(String, f64)> {
    let out = Command::new(std::env::current_exe().unwrap())
        .env("JWT_BENCH_CHILD", backend.feature())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let (alg, rate) = l.split_once(' ')?;
            Some((alg.to_owned(), rate.parse().ok()?))
        })
        .collect()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let secs = std::env::var("JWT_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2.0);
    if let Ok(which) = std::env::var("JWT_BENCH_CHILD") {
        let backend = if which == "aws-lc" {
            Backend::AwsLc
        } else {
            Backend::RustCrypto
        };
        return child(backend, secs);
    }
    let rust = run_child(Backend::RustCrypto);
    let aws = run_child(Backend::AwsLc);
    println!("uncached JWT verifications per second, one thread (JwtVerifier::verify)");
    println!(
        "{:<6} {:>14} {:>14} {:>8}",
        "alg", "rust-crypto", "aws-lc", "ratio"
    );
    for ((alg, r), (_, a)) in rust.iter().zip(&aws) {
        println!("{alg:<6} {r:>14.0} {a:>14.0} {:>7.2}x", a / r);
    }
}
