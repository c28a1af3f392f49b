//! Real sockets on 127.0.0.1: a JWKS server whose keys rotate, an in-memory profile store, an
//! axum app behind the layer that echoes what it received, token minting for HS/RS/ES/EdDSA.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_profile::connection_string::ScopedRole;
use myc_profile::{
    ConnectionString, HmacKeyring, LicensedResource, LicensedResources, Owner, Permission,
    PermissionedRole, Profile, SecurityGroup,
};
use myc_tower::BoxFuture;
use myc_tower::auth::{AuthLayer, Authenticator};
use myc_tower::resolver::{
    ConnectionStringStore, IssuedToken, ProfileQuery, ProfileResolver, StoreError,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub(crate) const INTERNAL_ISS: &str = "mycelium";
pub(crate) const IDP_ISS: &str = "https://idp.example.test";
pub(crate) const AUD: &str = "mycelium-api";
pub(crate) const HMAC_SECRET: &[u8] = b"internal-hs-secret-of-at-least-32-bytes!!";

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

pub(crate) fn key_file(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/keys/{name}.pem",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub(crate) fn public_jwk(name: &str, kid: &str) -> Value {
    let all: Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/tests/keys/public.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let mut jwk = all[name].clone();
    jwk["kid"] = json!(kid);
    jwk
}

/// Signs `claims` with `alg` and the test key `key` (`rsa1`, `ec2`, `ed1`, or `hmac`).
pub(crate) fn mint(alg: Algorithm, key: &str, kid: Option<&str>, claims: &Value) -> String {
    let encoding = match key {
        "hmac" => EncodingKey::from_secret(HMAC_SECRET),
        k if k.starts_with("rsa") => EncodingKey::from_rsa_pem(&key_file(k)).unwrap(),
        k if k.starts_with("ec") => EncodingKey::from_ec_pem(&key_file(k)).unwrap(),
        k => EncodingKey::from_ed_pem(&key_file(k)).unwrap(),
    };
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    myc_tower::jwt::backend::install_default();
    jsonwebtoken::encode(&header, claims, &encoding).unwrap()
}

pub(crate) fn claims(iss: &str, email: &str) -> Value {
    json!({ "iss": iss, "aud": AUD, "sub": email, "email": email, "exp": now() + 600, "iat": now() })
}

/// A JWKS endpoint whose document can be swapped or made to fail; counts fetches.
#[derive(Clone, Default)]
pub(crate) struct Jwks {
    pub(crate) document: Arc<Mutex<Value>>,
    pub(crate) fetches: Arc<AtomicU64>,
    pub(crate) down: Arc<AtomicBool>,
}

impl Jwks {
    pub(crate) fn set(&self, keys: Vec<Value>) {
        *self.document.lock().unwrap() = json!({ "keys": keys });
    }

    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::SeqCst)
    }

    pub(crate) async fn serve(&self) -> String {
        let url = serve(self.router()).await;
        format!("{url}/jwks.json")
    }

    /// Over TLS with the test CA's `localhost` certificate; returns `https://localhost:port/jwks.json`.
    pub(crate) async fn serve_tls(&self) -> String {
        let addr = myc_testkit::tls::serve(self.router()).await;
        format!("https://localhost:{}/jwks.json", addr.port())
    }

    fn router(&self) -> Router {
        async fn jwks(State(state): State<Jwks>) -> axum::response::Response {
            state.fetches.fetch_add(1, Ordering::SeqCst);
            if state.down.load(Ordering::SeqCst) {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            Json(state.document.lock().unwrap().clone()).into_response()
        }
        Router::new()
            .route("/jwks.json", get(jwks))
            .with_state(self.clone())
    }
}

/// Serves `app` on 127.0.0.1:0; returns `http://addr`.
pub(crate) async fn serve(app: Router) -> String {
    let addr = myc_testkit::http::serve(app).await;
    format!("http://{addr}")
}

pub(crate) fn tenant_a() -> Uuid {
    Uuid::parse_str("11111111-1111-4111-8111-111111111111").unwrap()
}
pub(crate) fn tenant_b() -> Uuid {
    Uuid::parse_str("22222222-2222-4222-8222-222222222222").unwrap()
}

fn licence(tenant: Uuid, role: &str, perm: Permission) -> LicensedResource {
    LicensedResource {
        acc_id: Uuid::new_v4(),
        sys_acc: false,
        tenant_id: tenant,
        acc_name: format!("{role} account"),
        role: role.into(),
        role_id: Uuid::new_v4(),
        perm,
        verified: true,
        permit_flags: None,
        deny_flags: None,
    }
}

pub(crate) fn profile(email: &str, licences: Vec<LicensedResource>) -> Profile {
    let mut p = Profile::new(Uuid::new_v4());
    p.owners.push(Owner {
        id: Uuid::new_v4(),
        email: email.into(),
        first_name: None,
        last_name: None,
        username: None,
        is_principal: true,
    });
    p.licensed_resources = Some(LicensedResources::Records(licences));
    p
}

/// Issued connection strings by (account, hash of the header value).
pub(crate) type Issued = Arc<Mutex<HashMap<(Uuid, [u8; 32]), IssuedToken>>>;

/// alice: accountant (write) on A, viewer (read) on B; bob: viewer (read) on A; carol: staff
/// and manager, owner of tenant A, viewer (read) on A.
#[derive(Clone)]
pub(crate) struct Store {
    pub(crate) profiles: Arc<Mutex<HashMap<String, Profile>>>,
    pub(crate) tokens: Issued,
    /// Profile resolutions asked of the store.
    pub(crate) resolved: Arc<AtomicU64>,
}

impl Store {
    pub(crate) fn new() -> Self {
        let mut profiles = HashMap::new();
        profiles.insert(
            "alice@example.com".to_owned(),
            profile(
                "alice@example.com",
                vec![
                    licence(tenant_a(), "accountant", Permission::Write),
                    licence(tenant_b(), "viewer", Permission::Read),
                ],
            ),
        );
        profiles.insert(
            "bob@example.com".to_owned(),
            profile(
                "bob@example.com",
                vec![licence(tenant_a(), "viewer", Permission::Read)],
            ),
        );
        let mut carol = profile(
            "carol@example.com",
            vec![licence(tenant_a(), "viewer", Permission::Read)],
        );
        carol.is_staff = true;
        carol.is_manager = true;
        carol.tenants_ownership = Some(myc_profile::TenantsOwnership::Records(vec![
            myc_profile::TenantOwnership {
                id: tenant_a(),
                name: "A".into(),
                since: chrono::Utc::now().fixed_offset(),
            },
        ]));
        profiles.insert("carol@example.com".to_owned(), carol);
        Self {
            profiles: Arc::new(Mutex::new(profiles)),
            tokens: Arc::new(Mutex::new(HashMap::new())),
            resolved: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Changes the state of `email`'s account, as an administrator would.
    pub(crate) fn set_active(&self, email: &str, active: bool) {
        self.profiles
            .lock()
            .unwrap()
            .get_mut(email)
            .unwrap()
            .account_is_active = active;
    }

    /// Issues a connection string for `email`'s account, stored by hash.
    pub(crate) fn issue(
        &self,
        keyring: &HmacKeyring,
        email: &str,
        roles: Vec<ScopedRole>,
        tenant: Option<Uuid>,
    ) -> String {
        let account = self.profiles.lock().unwrap()[email].acc_id;
        let mut cs = ConnectionString::new(
            account,
            (chrono::Utc::now() + chrono::Duration::hours(1)).fixed_offset(),
        );
        cs.roles = (!roles.is_empty()).then_some(roles);
        cs.tenant_id = tenant;
        let value = cs.sign(keyring).unwrap();
        let hash: [u8; 32] = Sha256::digest(value.as_bytes()).into();
        self.tokens.lock().unwrap().insert(
            (account, hash),
            IssuedToken {
                email: email.into(),
                expires_at: None,
                account_active: true,
            },
        );
        value
    }
}

impl ProfileResolver for Store {
    fn resolve<'a>(
        &'a self,
        query: ProfileQuery<'a>,
    ) -> BoxFuture<'a, Result<Option<Profile>, StoreError>> {
        let email = query.email;
        Box::pin(async move {
            self.resolved.fetch_add(1, Ordering::SeqCst);
            Ok(self.profiles.lock().unwrap().get(email).cloned())
        })
    }
}

impl ConnectionStringStore for Store {
    fn lookup<'a>(
        &'a self,
        account_id: Uuid,
        token_hash: [u8; 32],
    ) -> BoxFuture<'a, Result<Option<IssuedToken>, StoreError>> {
        Box::pin(async move {
            let issued = self
                .tokens
                .lock()
                .unwrap()
                .get(&(account_id, token_hash))
                .cloned();
            // The account's state as it is now, as a store reads it on every lookup.
            Ok(issued.map(|mut issued| {
                issued.account_active = self
                    .profiles
                    .lock()
                    .unwrap()
                    .values()
                    .any(|p| p.acc_id == account_id && p.account_is_active);
                issued
            }))
        })
    }
}

/// Echoes the request headers the handler saw.
async fn echo(headers: HeaderMap) -> Json<Value> {
    let map: serde_json::Map<String, Value> = headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                json!(String::from_utf8_lossy(v.as_bytes())),
            )
        })
        .collect();
    Json(Value::Object(map))
}

pub(crate) fn roles(list: &[(&str, Permission)]) -> SecurityGroup {
    SecurityGroup::ProtectedByRoles(
        list.iter()
            .map(|(n, p)| PermissionedRole::new(*n, *p))
            .collect(),
    )
}

/// The app: one route per group, every handler echoing its headers.
pub(crate) fn app(auth: Arc<Authenticator>) -> Router {
    let route = |group: SecurityGroup| get(echo).layer(AuthLayer::new(auth.clone(), group));
    Router::new()
        .route("/public", route(SecurityGroup::Public))
        .route("/authn", route(SecurityGroup::Authenticated))
        .route("/protected", route(SecurityGroup::Protected))
        .route(
            "/accounting",
            route(roles(&[("accountant", Permission::Write)])),
        )
        .route("/viewing", route(roles(&[("viewer", Permission::Read)])))
        .route(
            "/admin",
            get(echo).layer(
                AuthLayer::new(auth.clone(), SecurityGroup::Authenticated).require_claims(
                    myc_tower::claims_expr::ClaimsPredicate::parse(
                        r#"roles.admin && idp =~ "corp\.example\.test$""#,
                    )
                    .unwrap(),
                ),
            ),
        )
}
