//! The app both load benches run (`benches/layer.rs` in process, `examples/bench_server.rs` on
//! loopback): an axum "hello" route, bare or behind `AuthLayer` (`protected`) with an internal
//! HS256 or EdDSA token and a one-profile store.

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

/// The router for `mode` (`bare`, `hs256`, `eddsa`) and a valid token for it.
pub(crate) fn app(mode: &str) -> (Router, String) {
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
    myc_tower::jwt::backend::install_default();
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
    // Finalized as `axum::serve` does (handlers turned into routes once, not per request).
    (router.with_state(()), token)
}
