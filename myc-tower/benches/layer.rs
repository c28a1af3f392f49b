//! In-process cost of `AuthLayer` per request (no sockets, no load generator): the same axum
//! "hello" router called through `tower::ServiceExt::oneshot`, bare and behind the layer with
//! an HS256 or EdDSA internal JWT (verified-token cache and profile cache warm), in one run.
//! Complements `bench/tower.sh` (loopback RPS and p99), whose numbers move with host noise.
//! Run: `cargo bench -p myc-tower --bench layer`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use http::Request;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_profile::{Owner, Profile, SecurityGroup};
use myc_tower::BoxFuture;
use myc_tower::auth::{AuthLayer, Authenticator};
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use myc_tower::resolver::{ProfileQuery, ProfileResolver, StoreError};
use tower::ServiceExt;

struct One(Profile);

impl ProfileResolver for One {
    fn resolve<'a>(
        &'a self,
        _: ProfileQuery<'a>,
    ) -> BoxFuture<'a, Result<Option<Profile>, StoreError>> {
        Box::pin(async move { Ok(Some(self.0.clone())) })
    }
}

fn ed25519_pkcs8(seed: [u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    der
}

fn app(mode: &str) -> (Router, String) {
    let secret = [42u8; 64];
    let seed = [7u8; 32];
    let public = myc_profile::ProfileSigner::from_seed("b", &seed)
        .unwrap()
        .public_key();
    let mut profile = Profile::new(uuid::Uuid::new_v4());
    profile.owners.push(Owner {
        id: uuid::Uuid::new_v4(),
        email: "bench@example.com".into(),
        first_name: None,
        last_name: None,
        username: None,
        is_principal: true,
    });
    let (alg, key, encoding) = if mode == "eddsa" {
        (
            Algorithm::EdDSA,
            LocalKey::ed25519(Some("k"), &public).unwrap(),
            EncodingKey::from_ed_der(&ed25519_pkcs8(seed)),
        )
    } else {
        (
            Algorithm::HS256,
            LocalKey::hmac(Some("k"), Algorithm::HS256, &secret).unwrap(),
            EncodingKey::from_secret(&secret),
        )
    };
    let verifier = JwtVerifier::new().internal(InternalIssuer {
        issuer: "mycelium".into(),
        audiences: vec!["bench".into()],
        keys: vec![key],
    });
    let mut header = Header::new(alg);
    header.kid = Some("k".into());
    let token = jsonwebtoken::encode(
        &header,
        &serde_json::json!({"iss": "mycelium", "aud": "bench", "email": "bench@example.com",
                            "exp": jsonwebtoken::get_current_timestamp() + 3600}),
        &encoding,
    )
    .unwrap();
    let auth = Arc::new(Authenticator::new(verifier, Arc::new(One(profile))));
    let router = Router::new().route("/", get(|| async { "hello" }));
    let router = if mode == "bare" {
        router
    } else {
        router.layer(AuthLayer::new(auth, SecurityGroup::Protected))
    };
    (router, token)
}

async fn per_request_ns(router: &Router, token: &str, n: u32) -> f64 {
    let started = Instant::now();
    for _ in 0..n {
        let request = Request::get("/")
            .header("authorization", format!("Bearer {token}"))
            .header("user-agent", "bench")
            .body(Body::empty())
            .unwrap();
        let response = router.clone().oneshot(request).await.unwrap();
        assert!(response.status().is_success());
    }
    started.elapsed().as_nanos() as f64 / f64::from(n)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        // LAYER_BENCH_N / LAYER_BENCH_MODES / LAYER_BENCH_ROUNDS narrow a run (e.g. under callgrind).
        let n = std::env::var("LAYER_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        let rounds = std::env::var("LAYER_BENCH_ROUNDS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(5);
        let modes =
            std::env::var("LAYER_BENCH_MODES").unwrap_or_else(|_| "bare,hs256,eddsa".into());
        let modes: Vec<&str> = modes.split(',').collect();
        let mut best = std::collections::BTreeMap::new();
        for _round in 0..rounds {
            for mode in modes.iter().copied() {
                let (router, token) = app(mode);
                per_request_ns(&router, &token, 1_000).await; // warm caches
                let ns = per_request_ns(&router, &token, n).await;
                let entry = best.entry(mode).or_insert(f64::MAX);
                *entry = f64::min(*entry, ns);
            }
        }
        let bare = best.get("bare").copied().unwrap_or(0.0);
        println!("mode      ns/request  layer cost");
        for mode in modes {
            println!(
                "{mode:<8} {:>11.0} {:>+10.0} ns",
                best[mode],
                best[mode] - bare
            );
        }
    });
}
