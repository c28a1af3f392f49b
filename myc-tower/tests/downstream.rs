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

/// A gateway signing with `gateway_signer` in front of a service trusting only `trusted`;
/// returns the base URL.
async fn gateway_in_front(gateway_signer: ProfileSigner, trusted: &ProfileSigner) -> String {
    let app = Router::new()
        .route("/accounting", get(accounting))
        .layer(
            ProfileLayer::new()
                .required()
                .verify_with(verifier(trusted)),
        )
        .layer(AuthLayer::new(
            gateway(gateway_signer),
            SecurityGroup::Protected,
        ));
    serve(app).await
}

/// `GET {base}/accounting` as `email`: status and body.
async fn accounting_as(base: &str, email: &str) -> (u16, String) {
    let token = mint(
        Algorithm::HS256,
        "hmac",
        Some("v1"),
        &claims(INTERNAL_ISS, email),
    );
    let response = reqwest::Client::new()
        .get(format!("{base}/accounting"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn signed_profiles_flow_from_the_auth_layer_to_the_extractor() {
    let seed = [9u8; 32];
    let signer = ProfileSigner::from_seed("gw-1", &seed).unwrap();
    // The gateway signs with another key under the same kid: the service refuses it.
    let base = gateway_in_front(ProfileSigner::generate("gw-1").unwrap(), &signer).await;
    let (status, _) = accounting_as(&base, "alice@example.com").await;
    assert_eq!(status, 401, "signed by a key the service does not trust");

    // Same key on both sides: the extractor sees the profile and runs fluent checks.
    let base = gateway_in_front(ProfileSigner::from_seed("gw-1", &seed).unwrap(), &signer).await;
    let (_, body) = accounting_as(&base, "alice@example.com").await;
    assert_eq!(body, "may write accounting");
    let (_, body) = accounting_as(&base, "bob@example.com").await;
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
