//! `AuthLayer` over real HTTP on 127.0.0.1: an axum app behind the layer, a local JWKS server
//! whose keys rotate, tokens minted here for HS256, RS256, ES256 and EdDSA.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use jsonwebtoken::Algorithm;
use myc_profile::connection_string::ScopedRole;
use myc_profile::{HmacKeyring, Permission, Profile};
use myc_tower::auth::Authenticator;
use myc_tower::jwt::fetch::HttpFetcher;
use myc_tower::jwt::jwks::{JwksCache, JwksPolicy};
use myc_tower::jwt::{EmailPolicy, InternalIssuer, JwtVerifier, LocalKey, OidcProvider};
use serde_json::{Value, json};

struct Env {
    auth: Arc<Authenticator>,
    base: String,
    jwks: Jwks,
    cache: Arc<JwksCache>,
    store: Store,
    keyring: HmacKeyring,
    http: reqwest::Client,
}

fn ed_public(name: &str) -> [u8; 32] {
    let x = public_jwk(name, "k")["x"].as_str().unwrap().to_owned();
    URL_SAFE_NO_PAD.decode(x).unwrap().try_into().unwrap()
}

async fn env_with(policy: JwksPolicy) -> Env {
    let jwks = Jwks::default();
    jwks.set(vec![
        public_jwk("rsa1", "rsa-1"),
        public_jwk("ec1", "ec-1"),
        public_jwk("ed1", "ed-1"),
    ]);
    let url = jwks.serve().await;
    let cache = Arc::new(JwksCache::new(
        url,
        Arc::new(HttpFetcher::new().unwrap()),
        policy,
    ));
    let verifier = JwtVerifier::new()
        .internal(InternalIssuer {
            issuer: INTERNAL_ISS.into(),
            audiences: vec![AUD.into()],
            keys: vec![
                LocalKey::hmac(Some("v1"), Algorithm::HS256, HMAC_SECRET).unwrap(),
                LocalKey::ed25519(Some("gw-ed"), &ed_public("ed2")).unwrap(),
            ],
        })
        .provider(OidcProvider {
            issuer: IDP_ISS.into(),
            audiences: vec![AUD.into()],
            algorithms: vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA],
            jwks: cache.clone(),
            userinfo: None,
            email: EmailPolicy::default(),
        });
    let store = Store::new();
    let keyring = HmacKeyring::new(2, [(2, "hmac-secret-v2")]).unwrap();
    let auth = Arc::new(
        Authenticator::new(verifier, Arc::new(store.clone()))
            .with_connection_strings(keyring.clone(), Arc::new(store.clone())),
    );
    let base = serve(app(auth.clone())).await;
    Env {
        auth,
        base,
        jwks,
        cache,
        store,
        keyring,
        http: reqwest::Client::new(),
    }
}

async fn env() -> Env {
    env_with(JwksPolicy::default()).await
}

impl Env {
    async fn get(
        &self,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = self.http.get(format!("{}{path}", self.base));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, headers)
    }

    async fn with_token(&self, path: &str, token: &str) -> (u16, Value) {
        let bearer = format!("Bearer {token}");
        let (status, body, _) = self.get(path, &[("authorization", &bearer)]).await;
        (status, body)
    }
}

fn hs(email: &str) -> String {
    mint(
        Algorithm::HS256,
        "hmac",
        Some("v1"),
        &claims(INTERNAL_ISS, email),
    )
}

fn decoded_profile(body: &Value) -> Profile {
    myc_profile::codec::decode(body["x-mycelium-profile"].as_str().unwrap()).unwrap()
}

fn roles_of(profile: &Profile) -> Vec<(String, Permission)> {
    profile
        .licensed_resources
        .as_ref()
        .map(|l| {
            l.to_records()
                .unwrap()
                .into_iter()
                .map(|r| (r.role, r.perm))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_group_allows_and_denies() {
    let env = env().await;
    // No credential: public passes, the rest answer 401 with a Bearer challenge.
    let (status, body, headers) = env.get("/public", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body["x-mycelium-security-group"], "\"public\"");
    assert!(headers.contains_key("x-mycelium-request-id"));
    for path in ["/authn", "/protected", "/accounting"] {
        let (status, body, headers) = env.get(path, &[]).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(body["code"], "MYT00401");
        assert!(
            headers["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
    }

    let alice = hs("alice@example.com");
    let (status, body) = env.with_token("/authn", &alice).await;
    assert_eq!(status, 200);
    assert_eq!(body["x-mycelium-email"], "\"alice@example.com\"");
    assert!(body.get("x-mycelium-profile").is_none());
    assert!(
        body.get("authorization").is_none(),
        "credentials are not forwarded"
    );

    let (status, body) = env.with_token("/protected", &alice).await;
    assert_eq!(status, 200);
    assert_eq!(roles_of(&decoded_profile(&body)).len(), 2);
    assert_eq!(body["x-mycelium-security-group"], "\"protected\"");

    // protectedByRoles: write satisfies write; the profile keeps only matching licences.
    let (status, body) = env.with_token("/accounting", &alice).await;
    assert_eq!(status, 200);
    assert_eq!(
        roles_of(&decoded_profile(&body)),
        vec![("accountant".to_owned(), Permission::Write)]
    );
    let bob = hs("bob@example.com");
    let (status, body) = env.with_token("/accounting", &bob).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("MYT00410")));
    let (status, _) = env.with_token("/viewing", &bob).await;
    assert_eq!(status, 200);
    // A valid token for nobody in the store: 401.
    let (status, _) = env
        .with_token("/protected", &hs("mallory@example.com"))
        .await;
    assert_eq!(status, 401);

    // x-mycelium-tenant-id narrows a JWT caller's profile.
    let bearer = format!("Bearer {alice}");
    let tenant = tenant_b().to_string();
    let (status, body, _) = env
        .get(
            "/protected",
            &[
                ("authorization", &bearer),
                ("x-mycelium-tenant-id", &tenant),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        roles_of(&decoded_profile(&body)),
        vec![("viewer".to_owned(), Permission::Read)]
    );
    let (status, _, _) = env
        .get(
            "/protected",
            &[("authorization", &bearer), ("x-mycelium-tenant-id", "nope")],
        )
        .await;
    assert_eq!(status, 400);
}

/// Repeated requests take the cached fast path (token cache, then the token's remembered
/// decision): it must stay specific to the route and to the tenant header.
#[tokio::test]
async fn cached_decisions_stay_per_route_and_tenant() {
    let env = env().await;
    let bob = hs("bob@example.com");
    for _ in 0..3 {
        let (status, _) = env.with_token("/viewing", &bob).await;
        assert_eq!(status, 200);
        let (status, body) = env.with_token("/accounting", &bob).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("MYT00410")));
    }
    let alice = hs("alice@example.com");
    let bearer = format!("Bearer {alice}");
    let tenant = tenant_b().to_string();
    for _ in 0..3 {
        let (status, body, _) = env
            .get(
                "/protected",
                &[
                    ("authorization", &bearer),
                    ("x-mycelium-tenant-id", &tenant),
                ],
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            roles_of(&decoded_profile(&body)),
            vec![("viewer".to_owned(), Permission::Read)]
        );
        let (status, body) = env.with_token("/protected", &alice).await;
        assert_eq!(status, 200);
        assert_eq!(roles_of(&decoded_profile(&body)).len(), 2);
        let (status, body) = env.with_token("/accounting", &alice).await;
        assert_eq!(status, 200);
        assert_eq!(
            roles_of(&decoded_profile(&body)),
            vec![("accountant".to_owned(), Permission::Write)]
        );
    }
}

#[tokio::test]
async fn spoofed_identity_headers_never_reach_the_handler() {
    let env = env().await;
    let forged = myc_profile::codec::encode(&profile("root@example.com", vec![])).unwrap();
    let spoof = [
        ("x-mycelium-profile", forged.as_str()),
        ("x-mycelium-email", "\"root@example.com\""),
        ("X-Mycelium-Role", "[\"admin\"]"),
        ("x-mycelium-request-id", "spoofed"),
        ("x-mycelium-security-group", "\"authenticated\""),
        ("x-mycelium-profile-signature", "v1;kid=x;iat=1;sig=AA"),
    ];
    let (status, body, _) = env.get("/public", &spoof).await;
    assert_eq!(status, 200);
    for (name, value) in spoof {
        let seen = body.get(name.to_lowercase()).and_then(Value::as_str);
        assert_ne!(seen, Some(value), "{name} reached a public handler");
    }
    let bearer = format!("Bearer {}", hs("bob@example.com"));
    let mut with_token = spoof.to_vec();
    with_token.push(("authorization", &bearer));
    let (status, body, _) = env.get("/authn", &with_token).await;
    assert_eq!(status, 200);
    assert_eq!(body["x-mycelium-email"], "\"bob@example.com\"");
    assert!(body.get("x-mycelium-profile").is_none());
    assert!(body.get("x-mycelium-role").is_none());
    let (_, body, _) = env.get("/viewing", &with_token).await;
    assert_ne!(body["x-mycelium-profile"], forged.as_str());
}

#[tokio::test]
async fn external_tokens_verify_through_a_rotating_jwks() {
    let env = env_with(JwksPolicy {
        cooldown: Duration::from_millis(500),
        ..JwksPolicy::default()
    })
    .await;
    for (alg, key, kid) in [
        (Algorithm::RS256, "rsa1", "rsa-1"),
        (Algorithm::ES256, "ec1", "ec-1"),
        (Algorithm::EdDSA, "ed1", "ed-1"),
    ] {
        let token = mint(alg, key, Some(kid), &claims(IDP_ISS, "alice@example.com"));
        assert_eq!(env.with_token("/authn", &token).await.0, 200, "{alg:?}");
    }
    // The gateway's own EdDSA key.
    let gw = mint(
        Algorithm::EdDSA,
        "ed2",
        Some("gw-ed"),
        &claims(INTERNAL_ISS, "alice@example.com"),
    );
    let (status, body) = env.with_token("/authn", &gw).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(env.cache.fetches(), 1);

    // Rotation: the IdP now signs with rsa2; the unknown kid triggers one refetch.
    env.jwks.set(vec![public_jwk("rsa2", "rsa-2")]);
    let rotated = mint(
        Algorithm::RS256,
        "rsa2",
        Some("rsa-2"),
        &claims(IDP_ISS, "bob@example.com"),
    );
    // Within the cooldown after the last fetch, the unknown kid is refused without a fetch.
    assert_eq!(env.with_token("/authn", &rotated).await.0, 401);
    assert_eq!(env.cache.fetches(), 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(env.with_token("/authn", &rotated).await.0, 200);
    assert_eq!(env.cache.fetches(), 2);
    assert_eq!(env.jwks.fetches(), 2);
    // Keys dropped from the set stop verifying once it is refetched.
    let old = mint(
        Algorithm::RS256,
        "rsa1",
        Some("rsa-1"),
        &claims(IDP_ISS, "carol@example.com"),
    );
    assert_eq!(env.with_token("/authn", &old).await.0, 401);
}

#[tokio::test]
async fn negative_tokens_are_refused() {
    let env = env().await;
    let good = claims(IDP_ISS, "alice@example.com");
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let rsa_pub_n = public_jwk("rsa1", "x")["n"].as_str().unwrap().to_owned();

    let mut cases: Vec<(&str, String)> = vec![
        (
            "alg none",
            format!(
                "{}.{}.",
                b64(&json!({"alg":"none","kid":"rsa-1"})),
                b64(&good)
            ),
        ),
        ("HS256 signed with the RSA public key (confusion)", {
            let header = json!({"alg":"HS256","kid":"rsa-1"});
            let msg = format!("{}.{}", b64(&header), b64(&good));
            use hmac::Mac;
            let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(rsa_pub_n.as_bytes()).unwrap();
            mac.update(msg.as_bytes());
            format!(
                "{msg}.{}",
                URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
            )
        }),
        ("bad signature", {
            let t = mint(Algorithm::RS256, "rsa1", Some("rsa-1"), &good);
            let (head, sig) = t.rsplit_once('.').unwrap();
            let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
            sig[10] ^= 1;
            format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig))
        }),
        (
            "signed by another key under a known kid",
            mint(Algorithm::RS256, "rsa2", Some("rsa-1"), &good),
        ),
        ("expired beyond leeway", {
            let mut c = good.clone();
            c["exp"] = json!(now() - 120);
            mint(Algorithm::RS256, "rsa1", Some("rsa-1"), &c)
        }),
        ("not yet valid", {
            let mut c = good.clone();
            c["nbf"] = json!(now() + 600);
            mint(Algorithm::RS256, "rsa1", Some("rsa-1"), &c)
        }),
        ("no exp", {
            let mut c = good.clone();
            c.as_object_mut().unwrap().remove("exp");
            mint(Algorithm::RS256, "rsa1", Some("rsa-1"), &c)
        }),
        ("wrong aud", {
            let mut c = good.clone();
            c["aud"] = json!("someone-else");
            mint(Algorithm::RS256, "rsa1", Some("rsa-1"), &c)
        }),
        (
            "wrong iss",
            mint(
                Algorithm::RS256,
                "rsa1",
                Some("rsa-1"),
                &claims("https://evil.test", "alice@example.com"),
            ),
        ),
        (
            "unknown kid",
            mint(Algorithm::RS256, "rsa1", Some("nope"), &good),
        ),
        (
            "external token without kid",
            mint(Algorithm::RS256, "rsa1", None, &good),
        ),
        (
            "kid path traversal",
            mint(Algorithm::RS256, "rsa1", Some("../../../etc/passwd"), &good),
        ),
        (
            "kid with control characters",
            format!(
                "{}.{}.c2ln",
                b64(&json!({"alg":"RS256","kid":"a\u{0}b"})),
                b64(&good)
            ),
        ),
        (
            "algorithm not allowed for the IdP",
            mint(Algorithm::PS256, "rsa1", Some("rsa-1"), &good),
        ),
        ("internal token with the wrong HMAC", {
            let c = claims(INTERNAL_ISS, "alice@example.com");
            let header = jsonwebtoken::Header {
                kid: Some("v1".into()),
                ..jsonwebtoken::Header::new(Algorithm::HS256)
            };
            myc_tower::jwt::backend::install_default();
            jsonwebtoken::encode(
                &header,
                &c,
                &jsonwebtoken::EncodingKey::from_secret(b"another-secret-another-secret-xx"),
            )
            .unwrap()
        }),
        (
            "oversize token",
            format!(
                "{}.{}.sig",
                b64(&json!({"alg":"RS256","kid":"rsa-1"})),
                "A".repeat(9000)
            ),
        ),
        ("garbage", "not-a-jwt".into()),
    ];
    // Also: a JWK that pins ES256 used with an RS256 header is refused by the alg check.
    cases.push((
        "alg differs from the JWK's",
        mint(Algorithm::RS256, "rsa1", Some("ec-1"), &good),
    ));
    for (name, token) in &cases {
        let (status, body) = env.with_token("/authn", token).await;
        assert_eq!(status, 401, "{name}: {body}");
    }
    // Expired within the leeway (60 s) still passes.
    let mut c = good.clone();
    c["exp"] = json!(now() - 10);
    assert_eq!(
        env.with_token("/authn", &mint(Algorithm::RS256, "rsa1", Some("rsa-1"), &c))
            .await
            .0,
        200
    );

    // Two Authorization headers.
    let bearer = format!("Bearer {}", hs("alice@example.com"));
    let response = env
        .http
        .get(format!("{}/authn", env.base))
        .header("authorization", &bearer)
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    for bad in ["", "Bearer", "Basic YTpi", "Bearer a b"] {
        let (status, _, _) = env.get("/authn", &[("authorization", bad)]).await;
        assert_eq!(status, 401, "{bad:?}");
    }
}

#[tokio::test]
async fn a_flood_of_random_kids_causes_at_most_one_fetch_per_cooldown() {
    let env = env().await;
    let first = mint(
        Algorithm::RS256,
        "rsa1",
        Some("rsa-1"),
        &claims(IDP_ISS, "alice@example.com"),
    );
    assert_eq!(env.with_token("/authn", &first).await.0, 200);
    let before = env.jwks.fetches();
    let mut tasks = Vec::new();
    for i in 0..1000 {
        // Only the header matters: the kid is looked up before any signature check.
        let (_, rest) = first.split_once('.').unwrap();
        let header = json!({"alg": "RS256", "kid": format!("random-{i}-{}", uuid::Uuid::new_v4())});
        let token = format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()));
        let url = format!("{}/authn", env.base);
        let http = env.http.clone();
        tasks.push(tokio::spawn(async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    for task in tasks {
        assert_eq!(task.await.unwrap(), 401);
    }
    assert!(
        env.jwks.fetches() - before <= 1,
        "{} fetches",
        env.jwks.fetches() - before
    );
}

#[tokio::test]
async fn stale_keys_serve_while_the_idp_is_down() {
    let env = env_with(JwksPolicy {
        ttl: Duration::from_millis(200),
        cooldown: Duration::from_millis(100),
        max_stale: Duration::from_secs(60),
    })
    .await;
    let token = |email: &str| {
        mint(
            Algorithm::ES256,
            "ec1",
            Some("ec-1"),
            &claims(IDP_ISS, email),
        )
    };
    assert_eq!(
        env.with_token("/authn", &token("alice@example.com"))
            .await
            .0,
        200
    );
    env.jwks.down.store(true, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(400)).await;
    // A new token (not in the verified-token cache) still verifies with the stale key.
    assert_eq!(
        env.with_token("/authn", &token("bob@example.com")).await.0,
        200
    );
    assert!(
        env.jwks.fetches() >= 2,
        "the expired set was refetched (and failed)"
    );
}

#[tokio::test]
async fn connection_strings_are_scoped_and_the_role_bypass_is_closed() {
    let env = env().await;
    let cs = |roles: Vec<ScopedRole>, tenant| {
        env.store
            .issue(&env.keyring, "alice@example.com", roles, tenant)
    };
    let viewer_only = cs(vec![ScopedRole::new("viewer", Permission::Read)], None);
    let get = |value: String, path: &'static str| {
        let env = &env;
        async move {
            let (status, body, _) = env
                .get(path, &[("x-mycelium-connection-string", &value)])
                .await;
            (status, body)
        }
    };
    // Upstream let this through with the unfiltered profile; here it is 403.
    let (status, body) = get(viewer_only.clone(), "/accounting").await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = get(viewer_only.clone(), "/protected").await;
    assert_eq!(status, 200);
    assert_eq!(
        roles_of(&decoded_profile(&body)),
        vec![("viewer".to_owned(), Permission::Read)]
    );
    // A read-scoped string cannot exercise write.
    let accountant_read = cs(vec![ScopedRole::new("accountant", Permission::Read)], None);
    assert_eq!(get(accountant_read, "/accounting").await.0, 403);
    // Scoped to accountant:write on tenant A.
    let scoped = cs(
        vec![ScopedRole::new("accountant", Permission::Write)],
        Some(tenant_a()),
    );
    let (status, body) = get(scoped.clone(), "/accounting").await;
    assert_eq!(status, 200);
    let profile = decoded_profile(&body);
    assert_eq!(
        roles_of(&profile),
        vec![("accountant".to_owned(), Permission::Write)]
    );
    // Scoped to tenant B: the accountant licence (tenant A) is gone.
    let other_tenant = cs(
        vec![ScopedRole::new("accountant", Permission::Write)],
        Some(tenant_b()),
    );
    assert_eq!(get(other_tenant, "/accounting").await.0, 403);
    // Revoked (no longer in the store) and tampered strings: 401.
    env.store.tokens.lock().unwrap().clear();
    assert_eq!(get(scoped, "/accounting").await.0, 401);
    let mut forged = viewer_only.into_bytes();
    forged[5] ^= 1;
    assert_eq!(
        get(String::from_utf8(forged).unwrap(), "/protected")
            .await
            .0,
        401
    );
}

#[tokio::test]
async fn a_route_claims_predicate_is_enforced() {
    let env = env().await;
    let with = |extra: Value| {
        let mut c = claims(INTERNAL_ISS, "alice@example.com");
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        mint(Algorithm::HS256, "hmac", Some("v1"), &c)
    };
    let admin = with(json!({"roles": ["admin"], "idp": "sso.corp.example.test"}));
    assert_eq!(env.with_token("/admin", &admin).await.0, 200);
    let (status, body) = env
        .with_token(
            "/admin",
            &with(json!({"roles": ["user"], "idp": "sso.corp.example.test"})),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("MYT00410")));
    let other_idp = with(json!({"roles": ["admin"], "idp": "corp.example.test.evil"}));
    assert_eq!(env.with_token("/admin", &other_idp).await.0, 403);
    // Connection strings carry no claims: the predicate fails closed.
    let cs = env
        .store
        .issue(&env.keyring, "alice@example.com", vec![], None);
    let (status, _, _) = env
        .get("/admin", &[("x-mycelium-connection-string", &cs)])
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn userinfo_supplies_the_email_once_per_token() {
    use axum::routing::get;
    use std::sync::atomic::AtomicU64;
    let calls = Arc::new(AtomicU64::new(0));
    let counter = calls.clone();
    let userinfo_app = axum::Router::new().route(
        "/userinfo",
        get(move |headers: axum::http::HeaderMap| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                let auth = headers
                    .get("authorization")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                // The IdP knows the token's subject; here the token's `sub` claim says it.
                let payload = auth.split('.').nth(1).unwrap_or_default().to_owned();
                let claims: Value =
                    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap_or_default())
                        .unwrap_or(Value::Null);
                let sub = claims["sub"].as_str().unwrap_or_default().to_owned();
                axum::Json(match sub.as_str() {
                    "u-alice" => {
                        json!({"sub": sub, "email": "alice@example.com", "email_verified": true})
                    }
                    "u-unverified" => {
                        json!({"sub": sub, "email": "bob@example.com", "email_verified": false})
                    }
                    _ => json!({"sub": sub}),
                })
            }
        }),
    );
    let userinfo_url = format!("{}/userinfo", serve(userinfo_app).await);
    let jwks = Jwks::default();
    jwks.set(vec![public_jwk("ec1", "ec-1")]);
    let fetcher = Arc::new(HttpFetcher::new().unwrap());
    let provider = OidcProvider {
        issuer: IDP_ISS.into(),
        audiences: vec![AUD.into()],
        algorithms: vec![Algorithm::ES256],
        jwks: Arc::new(JwksCache::new(
            jwks.serve().await,
            fetcher.clone(),
            JwksPolicy::default(),
        )),
        userinfo: Some(Arc::new(myc_tower::jwt::userinfo::UserInfo::new(
            userinfo_url,
            fetcher,
            Duration::from_secs(600),
        ))),
        email: EmailPolicy::default(),
    };
    let auth = Arc::new(Authenticator::new(
        JwtVerifier::new().provider(provider),
        Arc::new(Store::new()),
    ));
    let base = serve(app(auth)).await;
    let http = reqwest::Client::new();
    let token_for = |sub: &str| {
        mint(
            Algorithm::ES256,
            "ec1",
            Some("ec-1"),
            &json!({"iss": IDP_ISS, "aud": AUD, "sub": sub, "exp": now() + 600}),
        )
    };
    let alice = token_for("u-alice");
    for _ in 0..3 {
        let response = http
            .get(format!("{base}/authn"))
            .bearer_auth(&alice)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["x-mycelium-email"], "\"alice@example.com\"");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "cached after the first lookup"
    );
    for sub in ["u-unverified", "u-nobody"] {
        let status = http
            .get(format!("{base}/authn"))
            .bearer_auth(token_for(sub))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 401, "{sub}");
    }
}

#[tokio::test]
async fn jwks_over_https_with_a_private_ca() {
    let jwks = Jwks::default();
    jwks.set(vec![public_jwk("ec1", "ec-1")]);
    let url = jwks.serve_tls().await;
    let token = mint(
        Algorithm::ES256,
        "ec1",
        Some("ec-1"),
        &json!({"iss": IDP_ISS, "aud": AUD, "sub": "s", "email": "alice@example.com", "exp": now() + 600}),
    );
    let http = reqwest::Client::new();
    for (fetcher, expect) in [
        // Trusting the test CA: the keys load over TLS.
        (
            HttpFetcher::with_roots(&[myc_testkit::tls::CA_PEM]).unwrap(),
            200,
        ),
        // System roots only: the certificate is refused, so the IdP counts as unreachable.
        (HttpFetcher::new().unwrap(), 503),
    ] {
        let provider = OidcProvider {
            issuer: IDP_ISS.into(),
            audiences: vec![AUD.into()],
            algorithms: vec![Algorithm::ES256],
            jwks: Arc::new(JwksCache::new(
                url.clone(),
                Arc::new(fetcher),
                JwksPolicy::default(),
            )),
            userinfo: None,
            email: EmailPolicy::default(),
        };
        let auth = Arc::new(Authenticator::new(
            JwtVerifier::new().provider(provider),
            Arc::new(Store::new()),
        ));
        let base = serve(app(auth)).await;
        let status = http
            .get(format!("{base}/authn"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, expect);
    }
    assert!(HttpFetcher::with_roots(&[b"not pem".as_slice()]).is_err());
}

// Regressions of the security review: each request is what an attacker sent.

#[tokio::test]
async fn a_connection_header_cannot_name_the_identity_headers_away() {
    let env = env().await;
    let bearer = format!("Bearer {}", hs("bob@example.com"));
    let (status, body, _) = env
        .get(
            "/viewing",
            &[
                ("authorization", &bearer),
                (
                    "connection",
                    "X-Mycelium-Profile, x_mycelium_security_group, x-mycelium-request-id, keep-alive, x-other",
                ),
            ],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["x-mycelium-profile"].is_string());
    // The names are out of `Connection`: a proxy removing what it names keeps them.
    let connection = body["connection"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(!connection.contains("mycelium"), "{connection}");
    assert!(connection.contains("x-other"), "{connection}");
}

#[tokio::test]
async fn underscore_and_mixed_spellings_are_stripped_on_every_group() {
    let env = env().await;
    let forged = myc_profile::codec::encode(&profile("root@example.com", vec![])).unwrap();
    let spoof = [
        ("x_mycelium_profile", forged.as_str()),
        ("X-Mycelium_Email", "\"root@example.com\""),
        (
            "x_mycelium_tenant_id",
            "11111111-1111-4111-8111-111111111111",
        ),
        ("X_MYCELIUM-SECURITY-GROUP", "\"staff\""),
        ("x-MYCELIUM_profile-signature", "v1;kid=x;iat=1;sig=AA"),
    ];
    let bearer = format!("Bearer {}", hs("bob@example.com"));
    for path in ["/public", "/authn", "/viewing"] {
        let mut headers = spoof.to_vec();
        headers.push(("authorization", &bearer));
        let (status, body, _) = env.get(path, &headers).await;
        assert_eq!(status, 200, "{path}: {body}");
        for (name, value) in body.as_object().unwrap() {
            if myc_profile::headers::is_mycelium_header(name) {
                // Only what the layer itself injected, under its own spelling.
                assert!(!name.contains('_'), "{path}: {name} reached the handler");
                assert!(
                    spoof.iter().all(|(_, forged)| value != forged),
                    "{path}: {name} carries a forged value"
                );
            }
        }
    }
}

#[tokio::test]
async fn role_scoped_connection_strings_drop_staff_manager_and_ownership() {
    let env = env().await;
    let get = |value: String, path: &'static str| {
        let env = &env;
        async move {
            let (status, body, _) = env
                .get(path, &[("x-mycelium-connection-string", &value)])
                .await;
            (status, body)
        }
    };
    let scoped = env.store.issue(
        &env.keyring,
        "carol@example.com",
        vec![ScopedRole::new("viewer", Permission::Read)],
        None,
    );
    let (status, body) = get(scoped.clone(), "/protected").await;
    assert_eq!(status, 200, "{body}");
    let profile = decoded_profile(&body);
    assert!(!profile.is_staff && !profile.is_manager, "{profile:?}");
    assert!(profile.tenants_ownership.is_none());
    assert_eq!(
        roles_of(&profile),
        vec![("viewer".to_owned(), Permission::Read)]
    );
    // The staff/manager bypass of role routes is gone with the flags.
    assert_eq!(get(scoped, "/accounting").await.0, 403);
    // A string without roles stands for its owner.
    let full = env
        .store
        .issue(&env.keyring, "carol@example.com", vec![], Some(tenant_a()));
    let (status, body) = get(full, "/protected").await;
    assert_eq!(status, 200);
    let profile = decoded_profile(&body);
    assert!(profile.is_staff && profile.is_manager);
    assert!(profile.tenants_ownership.is_some());
}

#[tokio::test]
async fn an_inactive_account_is_refused_on_every_group() {
    let env = env().await;
    let cs = env
        .store
        .issue(&env.keyring, "bob@example.com", vec![], None);
    let warm = hs("bob@example.com");
    assert_eq!(env.with_token("/viewing", &warm).await.0, 200);
    assert_eq!(env.with_token("/authn", &warm).await.0, 200);
    env.store.set_active("bob@example.com", false);
    env.store.set_active("alice@example.com", false);
    // Connection strings: at once, whatever the group.
    for path in ["/authn", "/protected", "/viewing"] {
        let (status, body, _) = env
            .get(path, &[("x-mycelium-connection-string", &cs)])
            .await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["code"], "MYT00411");
    }
    // A JWT of an account this process holds nothing about: refused everywhere.
    let fresh = hs("alice@example.com");
    for path in ["/authn", "/protected", "/viewing", "/accounting"] {
        assert_eq!(env.with_token(path, &fresh).await.0, 403, "{path}");
    }
    // Once known disabled, the account costs no store query on any route.
    let before = env.store.resolved.load(Ordering::SeqCst);
    for path in ["/authn", "/protected", "/viewing", "/accounting"] {
        assert_eq!(env.with_token(path, &fresh).await.0, 403, "{path}");
    }
    assert_eq!(env.store.resolved.load(Ordering::SeqCst), before);
    // What this process cached of bob holds for the profile TTL (a change made elsewhere)...
    assert_eq!(env.with_token("/authn", &warm).await.0, 200);
    // ...and a change made here, announced by forgetting the account, applies at once.
    env.auth.forget_account("BOB@example.com");
    for path in ["/authn", "/viewing"] {
        assert_eq!(env.with_token(path, &warm).await.0, 403, "{path}");
    }
    env.store.set_active("bob@example.com", true);
    env.auth.forget_account("bob@example.com");
    assert_eq!(env.with_token("/viewing", &warm).await.0, 200);
    // Public routes need no account.
    assert_eq!(env.get("/public", &[]).await.0, 200);
}

#[tokio::test]
async fn idp_e_mails_are_matched_by_one_strict_rule() {
    let env = env().await;
    let idp = |claims: Value| mint(Algorithm::RS256, "rsa1", Some("rsa-1"), &claims);
    let base = |email: &str| json!({ "iss": IDP_ISS, "aud": AUD, "sub": "s", "email": email, "exp": now() + 600 });
    // The Kelvin sign lowercases to "k" under Unicode rules: refused, never folded.
    let (status, body) = env
        .with_token("/authn", &idp(base("\u{212A}ate@example.com")))
        .await;
    assert_eq!(status, 401, "{body}");
    // ASCII case is folded: BOB@EXAMPLE.COM is bob.
    let (status, body) = env
        .with_token("/viewing", &idp(base("BOB@Example.COM")))
        .await;
    assert_eq!(status, 200, "{body}");
    // `email_verified: false`, as a boolean or a string, is refused by default.
    for verified in [json!(false), json!("false")] {
        let mut claims = base("bob@example.com");
        claims["email_verified"] = verified.clone();
        assert_eq!(
            env.with_token("/authn", &idp(claims)).await.0,
            401,
            "{verified}"
        );
    }
    let mut claims = base("bob@example.com");
    claims["email_verified"] = json!(true);
    assert_eq!(env.with_token("/authn", &idp(claims)).await.0, 200);

    // A provider limited to a domain, and one that opts in to unverified addresses.
    let verifier = |email: EmailPolicy| {
        JwtVerifier::new().provider(OidcProvider {
            issuer: IDP_ISS.into(),
            audiences: vec![AUD.into()],
            algorithms: vec![Algorithm::RS256],
            jwks: env.cache.clone(),
            userinfo: None,
            email,
        })
    };
    let limited = verifier(EmailPolicy {
        domains: vec!["Partner.Test".into()],
        ..EmailPolicy::default()
    });
    assert!(limited.verify(&idp(base("bob@example.com"))).await.is_err());
    let identity = limited
        .verify(&idp(base("Eve@partner.test")))
        .await
        .unwrap();
    assert_eq!(identity.email.as_deref(), Some("eve@partner.test"));
    let mut unverified = base("bob@example.com");
    unverified["email_verified"] = json!(false);
    let lenient = verifier(EmailPolicy {
        accept_unverified: true,
        ..EmailPolicy::default()
    });
    assert!(lenient.verify(&idp(unverified)).await.is_ok());
}

#[tokio::test]
async fn the_nil_tenant_does_not_share_a_cache_entry_with_no_tenant() {
    let env = env().await;
    let bearer = format!("Bearer {}", hs("bob@example.com"));
    let nil = "00000000-0000-0000-0000-000000000000";
    let (status, body, _) = env
        .get(
            "/protected",
            &[("authorization", &bearer), ("x-mycelium-tenant-id", nil)],
        )
        .await;
    assert_eq!(status, 200);
    assert!(roles_of(&decoded_profile(&body)).is_empty());
    let (status, body, _) = env.get("/protected", &[("authorization", &bearer)]).await;
    assert_eq!(status, 200);
    assert_eq!(
        roles_of(&decoded_profile(&body)),
        vec![("viewer".to_owned(), Permission::Read)]
    );
}

#[tokio::test]
async fn refusals_reflect_a_bounded_part_of_the_input() {
    let env = env().await;
    let huge = format!("AcC={};sig=x", "A".repeat(6000));
    let (status, body, _) = env
        .get("/protected", &[("x-mycelium-connection-string", &huge)])
        .await;
    assert_eq!(status, 401);
    let message = body["message"].as_str().unwrap();
    assert!(message.len() < 200, "{message}");
}

/// `admit_unknown_accounts` (sign-up endpoints): a verified caller without an account passes
/// with its e-mail and no profile there, and only there; known callers still get their
/// profile, inactive ones are still refused, and nobody passes without a valid credential.
#[tokio::test]
async fn unknown_accounts_pass_only_where_admitted() {
    use axum::routing::get;
    let env = env().await;
    let handler = |request: axum::extract::Request| async move {
        let headers = request.headers();
        axum::Json(json!({
            "email": headers.get("x-mycelium-email").map(|v| v.to_str().unwrap().to_owned()),
            "profile": headers.contains_key("x-mycelium-profile"),
            "caller": request.extensions().get::<myc_tower::auth::Caller>().and_then(|c| c.email()),
        }))
    };
    let protected = myc_profile::SecurityGroup::Protected;
    let app = axum::Router::new()
        .route(
            "/signup",
            get(handler).layer(
                myc_tower::auth::AuthLayer::new(env.auth.clone(), protected.clone())
                    .admit_unknown_accounts(),
            ),
        )
        .route(
            "/plain",
            get(handler).layer(myc_tower::auth::AuthLayer::new(env.auth.clone(), protected)),
        );
    let base = serve(app).await;
    let get = |path: &'static str, token: String| {
        let url = format!("{base}{path}");
        async move {
            let response = reqwest::Client::new()
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let newcomer = hs("newcomer@example.com");
    let (status, body) = get("/plain", newcomer.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("MYT00406")),
        "{body}"
    );
    let (status, body) = get("/signup", newcomer).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "\"newcomer@example.com\"");
    assert_eq!(body["caller"], "newcomer@example.com");
    assert_eq!(body["profile"], false);
    // A known account gets its profile as anywhere else.
    let (status, body) = get("/signup", hs("bob@example.com")).await;
    assert_eq!(
        (status, body["profile"].as_bool()),
        (200, Some(true)),
        "{body}"
    );
    // An inactive one is refused here too; a bad token everywhere.
    env.store.set_active("alice@example.com", false);
    assert_eq!(get("/signup", hs("alice@example.com")).await.0, 403);
    assert_eq!(get("/signup", "not-a-token".into()).await.0, 401);
}

/// An internal issuer configured without audiences (upstream's tokens carry none) skips the
/// `aud` check for its own keys only; an OIDC provider configured without audiences takes
/// nothing. Tried as an attacker would: IdP tokens for another application, IdP-signed
/// tokens claiming the internal issuer, the internal secret claiming the IdP.
#[tokio::test]
async fn empty_audiences_open_nothing_beyond_the_internal_keys() {
    let jwks = Jwks::default();
    jwks.set(vec![public_jwk("rsa1", "rsa-1")]);
    let url = jwks.serve().await;
    let cache = |url: &str| {
        Arc::new(JwksCache::new(
            url.to_owned(),
            Arc::new(HttpFetcher::new().unwrap()),
            JwksPolicy::default(),
        ))
    };
    const OPEN_ISS: &str = "https://open.example.test";
    let verifier = JwtVerifier::new()
        .internal(InternalIssuer {
            issuer: INTERNAL_ISS.into(),
            audiences: Vec::new(),
            keys: vec![LocalKey::hmac(None, Algorithm::HS512, HMAC_SECRET).unwrap()],
        })
        .provider(OidcProvider {
            issuer: IDP_ISS.into(),
            audiences: vec![AUD.into()],
            algorithms: vec![Algorithm::RS256],
            jwks: cache(&url),
            userinfo: None,
            email: EmailPolicy::default(),
        })
        .provider(OidcProvider {
            issuer: OPEN_ISS.into(),
            audiences: Vec::new(),
            algorithms: vec![Algorithm::RS256],
            jwks: cache(&url),
            userinfo: None,
            email: EmailPolicy::default(),
        });
    let auth = Arc::new(Authenticator::new(verifier, Arc::new(Store::new())));
    let base = serve(app(auth)).await;
    let status = |token: String| {
        let request = reqwest::Client::new()
            .get(format!("{base}/authn"))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let with = |iss: &str, aud: Option<Value>| {
        let mut c = claims(iss, "alice@example.com");
        match aud {
            Some(aud) => c["aud"] = aud,
            None => {
                c.as_object_mut().unwrap().remove("aud");
            }
        }
        c
    };
    let internal = |c: &Value| mint(Algorithm::HS512, "hmac", None, c);
    let idp = |c: &Value| mint(Algorithm::RS256, "rsa1", Some("rsa-1"), c);

    // The internal issuer's own tokens: with no aud, or any, as upstream mints them.
    assert_eq!(status(internal(&with(INTERNAL_ISS, None))).await, 200);
    assert_eq!(
        status(internal(&with(INTERNAL_ISS, Some(json!("x"))))).await,
        200
    );
    // The IdP's key cannot stand in for the internal issuer, aud or not.
    assert_eq!(status(idp(&with(INTERNAL_ISS, None))).await, 401);
    assert_eq!(
        status(idp(&with(INTERNAL_ISS, Some(json!(AUD))))).await,
        401
    );
    // The internal secret cannot mint for the IdP.
    assert_eq!(
        status(internal(&with(IDP_ISS, Some(json!(AUD))))).await,
        401
    );
    // The IdP still checks its audience: none, another application's, or a list without it.
    assert_eq!(status(idp(&with(IDP_ISS, Some(json!(AUD))))).await, 200);
    assert_eq!(status(idp(&with(IDP_ISS, None))).await, 401);
    assert_eq!(
        status(idp(&with(IDP_ISS, Some(json!("other-app"))))).await,
        401
    );
    assert_eq!(
        status(idp(&with(IDP_ISS, Some(json!(["other-app", "more"]))))).await,
        401
    );
    // A provider configured without audiences takes no token at all, whatever its aud.
    for aud in [None, Some(json!(AUD)), Some(json!("")), Some(json!([]))] {
        assert_eq!(
            status(idp(&with(OPEN_ISS, aud.clone()))).await,
            401,
            "{aud:?}"
        );
    }
}
