//! The downstream side over real HTTP: `ProfileLayer` + `GatewayProfile` behind the gateway's
//! `AuthLayer` (with profile signing), and a service that only trusts signed profiles.
#![cfg(feature = "axum")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use common::*;
use jsonwebtoken::Algorithm;
use myc_profile::signature::{RequestBinding, unix_now};
use myc_profile::{ProfileSigner, ProfileVerifier, SecurityGroup};
use myc_tower::auth::{AuthLayer, Authenticator};
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use myc_tower::profile::{GatewayProfile, ProfileLayer};

/// Runs a fluent check on the decoded profile.
async fn accounting(GatewayProfile(profile): GatewayProfile) -> String {
    match profile
        .access()
        .with_write_access()
        .with_roles(["accountant"])
        .get_related_account_or_error()
    {
        Ok(_) => "may write accounting".into(),
        Err(e) => format!("denied: {}", e.message()),
    }
}

async fn whoami(profile: Option<GatewayProfile>) -> String {
    profile
        .and_then(|p| p.primary_email().map(str::to_owned))
        .unwrap_or_else(|| "anonymous".into())
}

/// The gateway side: internal HS256 tokens, the test store, profiles signed by `signer`.
fn gateway(signer: ProfileSigner) -> Arc<Authenticator> {
    let jwt = JwtVerifier::new().internal(InternalIssuer {
        issuer: INTERNAL_ISS.into(),
        audiences: vec![AUD.into()],
        keys: vec![LocalKey::hmac(Some("v1"), Algorithm::HS256, HMAC_SECRET).unwrap()],
    });
    Arc::new(Authenticator::new(jwt, Arc::new(Store::new())).with_signer(signer))
}

fn verifier(signer: &ProfileSigner) -> ProfileVerifier {
    let mut v = ProfileVerifier::new(Duration::from_secs(60));
    v.add_key(signer.key_id(), &signer.public_key()).unwrap();
    v
}

#[tokio::test]
async fn signed_profiles_flow_from_the_auth_layer_to_the_extractor() {
    let seed = [9u8; 32];
    let signer = ProfileSigner::from_seed("gw-1", &seed).unwrap();
    let auth = gateway(ProfileSigner::generate("gw-1").unwrap());
    // The gateway signs with another key under the same kid: the service refuses it.
    let app = Router::new()
        .route("/accounting", get(accounting))
        .layer(
            ProfileLayer::new()
                .required()
                .verify_with(verifier(&signer)),
        )
        .layer(AuthLayer::new(auth.clone(), SecurityGroup::Protected));
    let base = serve(app).await;
    let http = reqwest::Client::new();
    let token = mint(
        Algorithm::HS256,
        "hmac",
        Some("v1"),
        &claims(INTERNAL_ISS, "alice@example.com"),
    );
    let response = http
        .get(format!("{base}/accounting"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        401,
        "signed by a key the service does not trust"
    );

    // Same key on both sides: the extractor sees the profile and runs fluent checks.
    let auth = gateway(ProfileSigner::from_seed("gw-1", &seed).unwrap());
    let app = Router::new()
        .route("/accounting", get(accounting))
        .layer(
            ProfileLayer::new()
                .required()
                .verify_with(verifier(&signer)),
        )
        .layer(AuthLayer::new(auth, SecurityGroup::Protected));
    let base = serve(app).await;
    let body = http
        .get(format!("{base}/accounting"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "may write accounting");
    let bob = mint(
        Algorithm::HS256,
        "hmac",
        Some("v1"),
        &claims(INTERNAL_ISS, "bob@example.com"),
    );
    let body = http
        .get(format!("{base}/accounting"))
        .bearer_auth(&bob)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.starts_with("denied: "), "{body}");
}

#[tokio::test]
async fn a_downstream_service_refuses_unsigned_tampered_and_missing_profiles() {
    let signer = ProfileSigner::generate("gw-1").unwrap();
    let app = Router::new().route("/accounting", get(accounting)).layer(
        ProfileLayer::new()
            .required()
            .verify_with(verifier(&signer)),
    );
    let base = serve(app).await;
    let open = serve(
        Router::new()
            .route("/whoami", get(whoami))
            .route("/accounting", get(accounting))
            .layer(ProfileLayer::new()),
    )
    .await;
    let http = reqwest::Client::new();
    let header = myc_profile::codec::encode(&profile("alice@example.com", vec![])).unwrap();
    let signature = |profile_header: &str, path: &str| {
        signer.sign(
            profile_header,
            &RequestBinding {
                request_id: "req-1",
                method: "GET",
                path,
            },
            unix_now(),
        )
    };
    let send = |url: String, headers: Vec<(&'static str, String)>| {
        let http = http.clone();
        async move {
            let mut request = http.get(url);
            for (k, v) in headers {
                request = request.header(k, v);
            }
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let good = vec![
        ("x-mycelium-profile", header.clone()),
        ("x-mycelium-request-id", "req-1".to_owned()),
        (
            "x-mycelium-profile-signature",
            signature(&header, "/accounting"),
        ),
    ];
    let (status, body) = send(format!("{base}/accounting"), good.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("denied: "),
        "no accountant licence: {body}"
    );

    let mut unsigned = good.clone();
    unsigned.pop();
    assert_eq!(send(format!("{base}/accounting"), unsigned).await.0, 401);
    let other = myc_profile::codec::encode(&profile("root@example.com", vec![])).unwrap();
    let mut swapped = good.clone();
    swapped[0].1 = other;
    assert_eq!(send(format!("{base}/accounting"), swapped).await.0, 401);
    let mut replayed = good.clone();
    replayed[2].1 = signature(&header, "/elsewhere");
    assert_eq!(send(format!("{base}/accounting"), replayed).await.0, 401);
    let (status, body) = send(format!("{base}/accounting"), vec![]).await;
    assert_eq!(status, 401);
    assert!(body.contains("\"code\""), "{body}");

    // Without a verifier: Option<GatewayProfile> is None when absent, 401 when undecodable.
    assert_eq!(
        send(format!("{open}/whoami"), vec![]).await,
        (200, "anonymous".into())
    );
    assert_eq!(
        send(
            format!("{open}/whoami"),
            vec![("x-mycelium-profile", header.clone())]
        )
        .await,
        (200, "alice@example.com".into())
    );
    assert_eq!(
        send(
            format!("{open}/whoami"),
            vec![("x-mycelium-profile", "not-a-profile".into())]
        )
        .await
        .0,
        401
    );
    assert_eq!(send(format!("{open}/accounting"), vec![]).await.0, 401);
}
