//! Load-test target for `bench/tower.sh`: one axum "hello" route, bare or behind `AuthLayer`.
//!
//! `cargo run --release -p myc-tower --example bench_server -- MODE ADDR` with MODE one of
//! `bare`, `hs256` (internal HS256 JWT, cached profile, injection) or `eddsa` (internal EdDSA
//! JWT, verified-token cache). Prints `TOKEN=<jwt>` and `READY` on stdout.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_profile::{Owner, Profile, SecurityGroup};
use myc_tower::BoxFuture;
use myc_tower::auth::{AuthLayer, Authenticator};
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use myc_tower::resolver::{ProfileQuery, ProfileResolver, StoreError};

struct One(Profile);

impl ProfileResolver for One {
    fn resolve<'a>(
        &'a self,
        _: ProfileQuery<'a>,
    ) -> BoxFuture<'a, Result<Option<Profile>, StoreError>> {
        Box::pin(async move { Ok(Some(self.0.clone())) })
    }
}

/// PKCS#8 DER of an Ed25519 seed (RFC 8410 prefix).
fn ed25519_pkcs8(seed: [u8; 32]) -> Vec<u8> {
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    der
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "bare".into());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:3100".into());
    let secret = [42u8; 64];
    let seed = [7u8; 32];
    let public = myc_profile::ProfileSigner::from_seed("bench", &seed)
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
    let (alg, key, encoding) = match mode.as_str() {
        "eddsa" => (
            Algorithm::EdDSA,
            LocalKey::ed25519(Some("k"), &public).unwrap(),
            EncodingKey::from_ed_der(&ed25519_pkcs8(seed)),
        ),
        _ => (
            Algorithm::HS256,
            LocalKey::hmac(Some("k"), Algorithm::HS256, &secret).unwrap(),
            EncodingKey::from_secret(&secret),
        ),
    };
    let verifier = JwtVerifier::new().internal(InternalIssuer {
        issuer: "mycelium".into(),
        audiences: vec!["bench".into()],
        keys: vec![key],
    });
    let auth = Arc::new(Authenticator::new(verifier, Arc::new(One(profile))));
    let mut header = Header::new(alg);
    header.kid = Some("k".into());
    let exp = jsonwebtoken::get_current_timestamp() + 3600;
    let token = jsonwebtoken::encode(
        &header,
        &serde_json::json!({"iss": "mycelium", "aud": "bench", "email": "bench@example.com", "exp": exp}),
        &encoding,
    )
    .unwrap();

    let hello = get(|| async { "hello" });
    let app = match mode.as_str() {
        "bare" => Router::new().route("/", hello),
        _ => Router::new()
            .route("/", hello)
            .layer(AuthLayer::new(auth, SecurityGroup::Protected)),
    };
    let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
    println!("TOKEN={token}");
    println!("READY");
    axum::serve(listener, app).await.unwrap();
}
