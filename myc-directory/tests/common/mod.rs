//! What the admin API tests share: a directory with one caller of every kind, served over
//! HTTP behind myc-tower's `AuthLayer`, and calls over JSON-RPC and REST that report the
//! outcome.
#![allow(
    dead_code,
    unused_macros,
    unused_imports,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_directory::rpc::{Api, codes, methods, router::router};
use myc_directory::store::{
    NewAccount, SqlStore, Store, StoreLocation, StoreSettings, TenantAccountKind, TokenRequest,
};
use myc_profile::{Permission, SecurityGroup};
use myc_tower::auth::{AuthLayer, Authenticator};
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use serde_json::{Value, json};
use uuid::Uuid;

pub(crate) const SECRET: &[u8] = b"matrix-test-secret-of-at-least-32-bytes!";

/// The kinds of caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Who {
    Staff,
    Manager,
    Owner,
    TenantManager,
    SubscriptionsManager,
    GuestRead,
    GuestWrite,
    User,
    /// The tenant owner's connection string, scoped to another tenant.
    ScopedElsewhere,
    Nobody,
}

pub(crate) const CALLERS: [Who; 10] = [
    Who::Staff,
    Who::Manager,
    Who::Owner,
    Who::TenantManager,
    Who::SubscriptionsManager,
    Who::GuestRead,
    Who::GuestWrite,
    Who::User,
    Who::ScopedElsewhere,
    Who::Nobody,
];

impl Who {
    pub(crate) fn email(self) -> Option<&'static str> {
        Some(match self {
            Who::Staff => "staff@example.com",
            Who::Manager => "manager@example.com",
            Who::Owner | Who::ScopedElsewhere => "olga@initech.test",
            Who::TenantManager => "tina@initech.test",
            Who::SubscriptionsManager => "sam@initech.test",
            Who::GuestRead => "rita@initech.test",
            Who::GuestWrite => "wes@initech.test",
            Who::User => "user@example.com",
            Who::Nobody => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Done,
    Forbidden,
    Unauthenticated,
    Invalid,
    Conflict,
}

use Who::*;

pub(crate) struct Fixture {
    pub(crate) store: SqlStore,
    pub(crate) auth: Arc<Authenticator>,
    pub(crate) base: String,
    pub(crate) initech: Uuid,
    pub(crate) ops: Uuid,
    /// An account of another tenant, where callers accept invitations.
    pub(crate) lobby: Uuid,
    pub(crate) manager_account: Uuid,
    /// Initech's management account (Tina is its tenant manager).
    pub(crate) management: Uuid,
    pub(crate) globex: Uuid,
    pub(crate) reader: Uuid,
    pub(crate) editor: Uuid,
    pub(crate) scoped: String,
    /// Where the store is (a second connection is a restarted process).
    pub(crate) url: String,
    /// The webhook keys the API signs deliveries with.
    pub(crate) webhook_keys: Arc<myc_directory::webhooks::WebhookKeys>,
    pub(crate) cleanup: Option<myc_testkit::db::PgSchema>,
    pub(crate) dir: Option<std::path::PathBuf>,
}

pub(crate) async fn user(store: &SqlStore, email: &str) -> Uuid {
    store
        .create_account(NewAccount::user(email))
        .await
        .unwrap()
        .id
}

pub(crate) async fn guest(store: &SqlStore, account: Uuid, email: &str, role: Uuid) {
    store.invite_guest(account, email, role).await.unwrap();
    store.accept_invitation(account, email, role).await.unwrap();
}

impl Fixture {
    async fn start(store: SqlStore, url: String) -> Self {
        store
            .create_account(NewAccount::seed("staff@example.com", "Staff"))
            .await
            .unwrap();
        let mut manager = NewAccount::user("manager@example.com");
        manager.is_manager = true;
        store.create_account(manager).await.unwrap();
        for email in ["user@example.com", "olga@initech.test", "tina@initech.test"] {
            user(&store, email).await;
        }
        for email in ["sam@initech.test", "rita@initech.test", "wes@initech.test"] {
            user(&store, email).await;
        }
        let system = store.create_system_roles().await.unwrap();
        let role = |slug: &str, p: Permission| {
            system
                .iter()
                .find(|r| r.slug == slug && r.permission == p)
                .unwrap()
                .id
        };
        let initech = store
            .create_tenant("Initech", Some("olga@initech.test"), None)
            .await
            .unwrap()
            .id;
        let globex = store.create_tenant("Globex", None, None).await.unwrap().id;
        let management = store
            .create_tenant_account(
                initech,
                "Initech management",
                &TenantAccountKind::TenantManager,
            )
            .await
            .unwrap()
            .id;
        guest(
            &store,
            management,
            "tina@initech.test",
            role("tenant-manager", Permission::Write),
        )
        .await;
        let ops = store
            .create_subscription_account(initech, "Ops")
            .await
            .unwrap()
            .id;
        guest(
            &store,
            ops,
            "sam@initech.test",
            role("subscriptions-manager", Permission::Write),
        )
        .await;
        let reader = store
            .create_guest_role_described("Reader", "reads", Permission::Read, false)
            .await
            .unwrap()
            .id;
        let editor = store
            .create_guest_role_described("Editor", "edits", Permission::Write, false)
            .await
            .unwrap()
            .id;
        store.insert_role_child(editor, reader).await.unwrap();
        guest(&store, ops, "rita@initech.test", reader).await;
        guest(&store, ops, "wes@initech.test", editor).await;
        // Wes may also read what the gateway routes.
        guest(
            &store,
            ops,
            "wes@initech.test",
            role("gateway-manager", Permission::Read),
        )
        .await;
        let manager_account = store
            .create_tenant_account(
                initech,
                "Initech subscriptions",
                &TenantAccountKind::RoleAssociated {
                    role_name: "subscriptions-manager".into(),
                    read_role_id: role("subscriptions-manager", Permission::Read),
                    write_role_id: role("subscriptions-manager", Permission::Write),
                },
            )
            .await
            .unwrap()
            .id;
        // Olga reads in Globex too; her connection string is scoped to Globex.
        let globex_ops = store
            .create_subscription_account(globex, "Globex ops")
            .await
            .unwrap()
            .id;
        guest(&store, globex_ops, "olga@initech.test", reader).await;
        let lobby_tenant = store.create_tenant("Lobby", None, None).await.unwrap().id;
        let lobby = store
            .create_subscription_account(lobby_tenant, "Lobby")
            .await
            .unwrap()
            .id;
        let keyring = myc_profile::HmacKeyring::new(1, [(1, SECRET)]).unwrap();
        let olga = store
            .account_by_email("olga@initech.test")
            .await
            .unwrap()
            .unwrap()
            .id;
        let (scoped, _) = store
            .issue_connection_string(
                &keyring,
                TokenRequest {
                    account_id: olga,
                    name: "globex only",
                    tenant: Some(globex),
                    roles: Vec::new(),
                    expires_at: chrono::Utc::now() + chrono::Duration::hours(1),
                },
            )
            .await
            .unwrap();
        let verifier = JwtVerifier::new().internal(InternalIssuer {
            issuer: "mycelium".into(),
            audiences: vec!["adm".into()],
            keys: vec![LocalKey::hmac(Some("k"), Algorithm::HS256, SECRET).unwrap()],
        });
        let auth = Arc::new(
            Authenticator::new(verifier, Arc::new(store.clone()))
                .with_connection_strings(keyring.clone(), Arc::new(store.clone())),
        );
        let forget = auth.clone();
        let catalog = myc_directory::catalog::Catalog {
            services: vec![myc_directory::catalog::ServiceEntry {
                discoverable: true,
                description: Some("Invoices and payments".into()),
                openapi_path: Some("/openapi.json".into()),
                capabilities: vec!["invoices".into()],
                service_type: Some("rest-api".into()),
                ..myc_directory::catalog::ServiceEntry::new("billing", "http", 2, None)
            }],
            routes: vec![myc_directory::catalog::RouteEntry::new(
                "billing",
                "/billing/*",
                vec!["GET".into()],
                json!("protected"),
            )],
        };
        let tools = myc_directory::tools::Tools::default();
        let billing_doc = json!({"openapi": "3.0.3", "paths": {"/billing/invoices/{id}": {"get": {
            "summary": "One invoice",
            "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}]
        }}}});
        tools.replace(
            "billing",
            myc_directory::tools::operations("billing", &billing_doc, |_, _| {
                Some(json!("protected"))
            }),
        );
        let master = myc_crypto::MasterKey::from_bytes(&[42; 32]).unwrap();
        let webhook_keys = Arc::new(myc_directory::webhooks::WebhookKeys::new(Arc::new(master)));
        let api = Api::new(store.clone())
            .with_webhook_keys(webhook_keys.clone())
            .with_catalog(Arc::new(catalog))
            .with_tools(tools)
            .on_change(Arc::new(move || forget.forget_everyone()))
            .with_connection_strings(Arc::new(keyring));
        let app = router(api.clone())
            .merge(myc_directory::rest::router(api))
            .layer(AuthLayer::new(auth.clone(), SecurityGroup::Protected).admit_unknown_accounts());
        let addr = myc_testkit::http::serve(app).await;
        Self {
            store,
            auth,
            base: format!("http://{addr}"),
            initech,
            ops,
            lobby,
            manager_account,
            management,
            globex,
            reader,
            editor,
            scoped: scoped.as_str().to_owned(),
            url,
            webhook_keys,
            cleanup: None,
            dir: None,
        }
    }

    pub(crate) async fn sqlite() -> Self {
        let dir = myc_testkit::process::temp_dir("myc-matrix");
        let settings = StoreSettings {
            location: StoreLocation::Sqlite(dir.join("d.sqlite3")),
            max_connections: 4,
        };
        let url = format!("sqlite://{}", dir.join("d.sqlite3").display());
        let mut f = Self::start(SqlStore::open(&settings).await.unwrap(), url).await;
        f.dir = Some(dir);
        f
    }

    pub(crate) async fn postgres() -> Self {
        let schema = myc_testkit::db::PgSchema::create().await;
        let url = schema.url.clone();
        let mut f = Self::start(SqlStore::connect(&url, 4).await.unwrap(), url).await;
        f.cleanup = Some(schema);
        f
    }

    pub(crate) async fn finish(self) {
        self.store.close().await;
        if let Some(schema) = self.cleanup {
            schema.drop_schema().await;
        }
        if let Some(dir) = self.dir {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }

    pub(crate) async fn account_of(&self, who: Who) -> Uuid {
        let email = who.email().unwrap_or("user@example.com");
        self.store
            .account_by_email(email)
            .await
            .unwrap()
            .unwrap()
            .id
    }
}

pub(crate) fn jwt(email: &str) -> String {
    myc_tower::jwt::backend::install_default();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k".into());
    let exp = jsonwebtoken::get_current_timestamp() + 600;
    let claims = json!({ "iss": "mycelium", "aud": "adm", "email": email, "exp": exp });
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

pub(crate) fn credentials(
    f: &Fixture,
    who: Who,
    request: reqwest::RequestBuilder,
) -> reqwest::RequestBuilder {
    match who {
        Nobody => request,
        ScopedElsewhere => request.header("x-mycelium-connection-string", &f.scoped),
        other => request.bearer_auth(jwt(other.email().unwrap())),
    }
}

pub(crate) async fn over_rpc(f: &Fixture, who: Who, method: &str, params: &Value) -> Outcome {
    let body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": 1 });
    let request = reqwest::Client::new()
        .post(format!("{}/_adm/rpc", f.base))
        .json(&body);
    let response = credentials(f, who, request).send().await.unwrap();
    let status = response.status().as_u16();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    match (status, answer["error"]["code"].as_i64()) {
        (401, _) => Outcome::Unauthenticated,
        (200, None) => Outcome::Done,
        (200, Some(codes::FORBIDDEN)) => Outcome::Forbidden,
        (200, Some(codes::INVALID_PARAMS)) => Outcome::Invalid,
        (200, Some(codes::CONFLICT)) => Outcome::Conflict,
        other => panic!("{method} as {who:?}: unexpected JSON-RPC answer {other:?}: {answer}"),
    }
}

pub(crate) fn query_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub(crate) async fn over_rest(f: &Fixture, who: Who, method: &str, params: &Value) -> Outcome {
    let spec = methods::find(method).unwrap();
    let mut params = params.as_object().cloned().unwrap_or_default();
    let tenant = params.get("tenantId").cloned();
    let mut path = spec.rest.path.to_owned();
    for (name, value) in params.clone() {
        let segment = format!("{{{name}}}");
        if path.contains(&segment) {
            let text = query_value(&value);
            let encoded =
                percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC);
            path = path.replace(&segment, &encoded.to_string());
            params.remove(&name);
        }
    }
    params.remove("tenantId");
    let enc = |t: &str| {
        percent_encoding::utf8_percent_encode(t, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    let mut url = format!("{}{path}", f.base);
    let in_query = matches!(spec.rest.method, "GET" | "DELETE");
    if in_query && !params.is_empty() {
        let pairs: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(&query_value(v))))
            .collect();
        url = format!("{url}?{}", pairs.join("&"));
    }
    let mut request = reqwest::Client::new().request(spec.rest.method.parse().unwrap(), url);
    if let Some(tenant) = tenant {
        request = request.header("x-mycelium-tenant-id", query_value(&tenant));
    }
    if !in_query && !params.is_empty() {
        request = request.json(&Value::Object(params));
    }
    let response = credentials(f, who, request).send().await.unwrap();
    let status = response.status().as_u16();
    match status {
        200 | 201 | 202 | 204 => Outcome::Done,
        401 => Outcome::Unauthenticated,
        403 => Outcome::Forbidden,
        400 => Outcome::Invalid,
        409 => Outcome::Conflict,
        other => panic!(
            "{method} as {who:?}: unexpected REST status {other}: {}",
            response.text().await.unwrap_or_default()
        ),
    }
}

/// A JSON-RPC call's answer (the whole response object).
pub(crate) async fn rpc(f: &Fixture, who: Who, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": 1 });
    let request = reqwest::Client::new()
        .post(format!("{}/_adm/rpc", f.base))
        .json(&body);
    credentials(f, who, request)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap_or(Value::Null)
}

/// One test per scenario on each store: `sqlite::NAME` and `postgres::NAME` run `NAME(&f)`
/// with a fresh [`Fixture`] each.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = super::Fixture::sqlite().await;
                    super::$name(&f).await;
                    f.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = super::Fixture::postgres().await;
                    super::$name(&f).await;
                    f.finish().await;
                }
            )*
        }
    };
}
pub(crate) use on_both_stores;
