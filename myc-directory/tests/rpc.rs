//! The JSON-RPC admin API over HTTP, behind myc-tower's `AuthLayer`, on SQLite and on the
//! machine's PostgreSQL: conformance (batches mixing good, bad and notification entries,
//! parse errors, unknown methods, invalid params), discovery, and who may call what.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use myc_directory::rpc::{Api, codes, router::router};
use myc_directory::store::{NewAccount, SqlStore, Store, StoreLocation, StoreSettings};
use myc_profile::SecurityGroup;
use myc_tower::auth::{AuthLayer, Authenticator};
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
use serde_json::{Value, json};

const SECRET: &[u8] = b"rpc-test-secret-of-at-least-32-bytes!!";

struct Server {
    url: String,
    base: String,
    downstream: String,
    store: SqlStore,
    cleanup: Option<myc_testkit::db::PgSchema>,
    dir: Option<std::path::PathBuf>,
}

impl Server {
    async fn start(store: SqlStore) -> Self {
        store
            .create_account(NewAccount::seed("staff@example.com", "Staff"))
            .await
            .unwrap();
        store
            .create_account(NewAccount::user("user@example.com"))
            .await
            .unwrap();
        store
            .create_tenant("Acme", Some("staff@example.com"), None)
            .await
            .unwrap();
        store.create_tenant("Globex", None, None).await.unwrap();
        let verifier = JwtVerifier::new().internal(InternalIssuer {
            issuer: "mycelium".into(),
            audiences: vec!["adm".into()],
            keys: vec![LocalKey::hmac(Some("k"), Algorithm::HS256, SECRET).unwrap()],
        });
        let keyring = myc_profile::HmacKeyring::new(1, [(1, SECRET)]).unwrap();
        let auth = Arc::new(
            Authenticator::new(verifier, Arc::new(store.clone()))
                .with_connection_strings(keyring.clone(), Arc::new(store.clone())),
        );
        let forget = auth.clone();
        let api = Api::new(store.clone())
            .on_change(Arc::new(move || forget.forget_everyone()))
            .with_connection_strings(Arc::new(keyring));
        let app = router(api.clone())
            .merge(myc_directory::rest::router(api))
            .layer(AuthLayer::new(auth.clone(), SecurityGroup::Protected));
        let addr = myc_testkit::http::serve(app).await;
        let downstream = axum::Router::new()
            .route("/reports", axum::routing::get(downstream))
            .layer(AuthLayer::new(auth, SecurityGroup::Protected));
        let down = myc_testkit::http::serve(downstream).await;
        Self {
            url: format!("http://{addr}/_adm/rpc"),
            base: format!("http://{addr}"),
            downstream: format!("http://{down}"),
            store,
            cleanup: None,
            dir: None,
        }
    }

    async fn sqlite() -> Self {
        let dir = myc_testkit::process::temp_dir("myc-rpc");
        let settings = StoreSettings {
            location: StoreLocation::Sqlite(dir.join("d.sqlite3")),
            max_connections: 4,
        };
        let mut server = Self::start(SqlStore::open(&settings).await.unwrap()).await;
        server.dir = Some(dir);
        server
    }

    async fn postgres() -> Self {
        let schema = myc_testkit::db::PgSchema::create().await;
        let mut server = Self::start(SqlStore::connect(&schema.url, 4).await.unwrap()).await;
        server.cleanup = Some(schema);
        server
    }

    async fn finish(self) {
        self.store.close().await;
        if let Some(schema) = self.cleanup {
            schema.drop_schema().await;
        }
        if let Some(dir) = self.dir {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }
}

fn token(email: &str) -> String {
    myc_tower::jwt::backend::install_default();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k".into());
    let exp = jsonwebtoken::get_current_timestamp() + 600;
    let claims = json!({ "iss": "mycelium", "aud": "adm", "email": email, "exp": exp });
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

/// POSTs `body` as `email` (or with no credential); status and JSON (Null when empty).
async fn post(url: &str, email: Option<&str>, body: &str) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(email) = email {
        request = request.bearer_auth(token(email));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn call(method: &str, params: Value, id: u64) -> String {
    json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": id }).to_string()
}

async fn conformance(s: &Server) {
    let staff = Some("staff@example.com");
    // No credential: refused before the JSON-RPC layer.
    let (status, _) = post(&s.url, None, &call("beginners.profile.get", json!({}), 1)).await;
    assert_eq!(status, 401);
    // Parse error: one error with a null id.
    let (status, body) = post(&s.url, staff, "{\"jsonrpc\": \"2.0\", ").await;
    assert_eq!(
        (status, &body["error"]["code"], &body["id"]),
        (200, &json!(codes::PARSE_ERROR), &Value::Null)
    );
    // Empty batch.
    let (_, body) = post(&s.url, staff, "[]").await;
    assert_eq!(body["error"]["code"], codes::INVALID_REQUEST);
    // A mixed batch: answers for what has an id, in order; nothing for the notification.
    let batch = format!(
        "[{}, {}, {}, {}, {}, {}]",
        call("beginners.profile.get", json!({}), 1),
        r#"{"jsonrpc": "1.0", "method": "beginners.profile.get", "id": 2}"#,
        r#"{"jsonrpc": "2.0", "method": "managers.tenants.list"}"#,
        call("no.such.method", json!({}), 3),
        call("managers.tenants.list", json!({ "pageSize": "ten" }), 4),
        r#"42"#,
    );
    let (status, body) = post(&s.url, staff, &batch).await;
    assert_eq!(status, 200);
    let answers = body.as_array().unwrap();
    let summary: Vec<(Value, Value)> = answers
        .iter()
        .map(|a| (a["id"].clone(), a["error"]["code"].clone()))
        .collect();
    assert_eq!(
        summary,
        [
            (json!(1), Value::Null),
            (json!(2), json!(codes::INVALID_REQUEST)),
            (json!(3), json!(codes::METHOD_NOT_FOUND)),
            (json!(4), json!(codes::INVALID_PARAMS)),
            (Value::Null, json!(codes::INVALID_REQUEST)),
        ],
        "{body}"
    );
    assert!(answers.iter().all(|a| a["jsonrpc"] == "2.0"));
    // Notifications only: nothing to answer.
    let (status, body) = post(
        &s.url,
        staff,
        r#"[{"jsonrpc": "2.0", "method": "beginners.profile.get"}]"#,
    )
    .await;
    assert_eq!((status, body), (204, Value::Null));
    // Discovery lists every method with its params.
    let (_, body) = post(&s.url, staff, &call("rpc.discover", json!({}), 9)).await;
    let doc = &body["result"];
    assert_eq!(doc["openrpc"], "1.3.2");
    let names: Vec<&str> = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(&names[..2], ["rpc.discover", "beginners.profile.get"]);
    assert!(names.contains(&"subscriptionsManager.guests.guestUserToSubscriptionAccount"));
    assert!(
        doc["methods"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["result"]["schema"].is_object())
    );
    let list = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "managers.tenants.list")
        .unwrap();
    assert_eq!(list["params"][1]["name"], "pageSize");
    assert_eq!(list["x-rest"]["path"], "/_adm/managers/tenants");
}

async fn who_may_call_what(s: &Server) {
    // Everybody reads their own profile.
    for email in ["staff@example.com", "user@example.com"] {
        let (_, body) = post(
            &s.url,
            Some(email),
            &call("beginners.profile.get", json!({}), 1),
        )
        .await;
        assert_eq!(body["result"]["owners"][0]["email"], email, "{body}");
    }
    // Tenants: staff only; a plain user gets upstream's forbidden code.
    let (_, body) = post(
        &s.url,
        Some("staff@example.com"),
        &call("managers.tenants.list", json!({}), 1),
    )
    .await;
    let result = &body["result"];
    assert_eq!(
        (result["count"].clone(), result["size"].clone()),
        (json!(2), json!(20)),
        "{body}"
    );
    let (_, body) = post(
        &s.url,
        Some("staff@example.com"),
        &call(
            "managers.tenants.list",
            json!({ "name": "glo", "pageSize": 1 }),
            2,
        ),
    )
    .await;
    assert_eq!(body["result"]["records"][0]["name"], "Globex", "{body}");
    let (_, body) = post(
        &s.url,
        Some("staff@example.com"),
        &call("managers.tenants.list", json!({ "name": "nobody" }), 3),
    )
    .await;
    assert_eq!(body["result"], Value::Null, "{body}");
    let (_, body) = post(
        &s.url,
        Some("user@example.com"),
        &call("managers.tenants.list", json!({}), 4),
    )
    .await;
    assert_eq!(body["error"]["code"], codes::FORBIDDEN, "{body}");
    assert_eq!(body["error"]["data"]["code"], "MYC00019");
    assert!(body.get("result").is_none());
    // Unknown params are refused, not ignored.
    let (_, body) = post(
        &s.url,
        Some("staff@example.com"),
        &call("managers.tenants.list", json!({ "tenantId": "x" }), 5),
    )
    .await;
    assert_eq!(body["error"]["code"], codes::INVALID_PARAMS, "{body}");
}

/// "How a user joins a tenant": staff creates a tenant with an owner, the owner creates the
/// tenant's management account and makes Tom its tenant manager, Tom creates a subscription
/// account and invites a user, the user accepts; a downstream service behind the identity
/// layer then sees a licence naming that subscription account and its
/// `on_account(subscription)` check passes; revoking the guest makes the next request 403.
async fn journey(s: &Server) {
    let staff = Some("staff@example.com");
    let tom = Some("tom@initech.test");
    s.store
        .create_account(NewAccount::user("tom@initech.test"))
        .await
        .unwrap();
    let (_, roles) = post(
        &s.url,
        staff,
        &call("managers.guestRoles.createSystemRoles", json!({}), 1),
    )
    .await;
    let tenant_manager = roles["result"]
        .as_array()
        .unwrap_or_else(|| panic!("{roles}"))
        .iter()
        .find(|r| r["slug"] == "tenant-manager" && r["permission"] == "write")
        .unwrap()["id"]
        .clone();
    s.store
        .create_account(NewAccount::user("olga@initech.test"))
        .await
        .unwrap();
    s.store
        .create_account(NewAccount::user("pat@initech.test"))
        .await
        .unwrap();
    let role = s
        .store
        .create_guest_role("editor", "Editor", myc_profile::Permission::Write)
        .await
        .unwrap();
    // Staff: the tenant, owned by Olga (by her owner id, as profiles list owners).
    let me = call("beginners.profile.get", json!({}), 1);
    let (_, olga) = post(&s.url, Some("olga@initech.test"), &me).await;
    let olga_owner = olga["result"]["owners"][0]["id"].clone();
    let create_tenant =
        json!({ "name": "Initech", "description": "TPS reports", "ownerId": olga_owner });
    let (_, created) = post(
        &s.url,
        staff,
        &call("managers.tenants.create", create_tenant, 2),
    )
    .await;
    let tenant = created["result"]["id"].as_str().unwrap().to_owned();
    // Olga, the owner, creates the management account and invites Tom as tenant manager.
    let (_, management) = post(
        &s.url,
        Some("olga@initech.test"),
        &call(
            "tenantOwner.accounts.createManagementAccount",
            json!({ "tenantId": tenant }),
            2,
        ),
    )
    .await;
    let management = management["result"]["id"].clone();
    let make_manager = json!({
        "tenantId": tenant, "accountId": management, "roleId": tenant_manager,
        "email": "tom@initech.test",
    });
    let (_, invited) = post(
        &s.url,
        Some("olga@initech.test"),
        &call(
            "subscriptionsManager.guests.guestUserToSubscriptionAccount",
            make_manager,
            2,
        ),
    )
    .await;
    assert_eq!(invited["result"]["wasVerified"], false, "{invited}");
    let accept_management = json!({
        "accountId": management, "guestRoleName": "tenant-manager", "permission": 1,
    });
    let (_, accepted) = post(
        &s.url,
        tom,
        &call("beginners.guests.acceptInvitation", accept_management, 2),
    )
    .await;
    assert_eq!(accepted["result"], Value::Null, "{accepted}");
    // Pat cannot create subscription accounts there; Tom, the tenant manager, can.
    let create = call(
        "subscriptionsManager.accounts.createSubscriptionAccount",
        json!({ "tenantId": tenant, "name": "Initech Ops" }),
        3,
    );
    let (_, refused) = post(&s.url, Some("pat@initech.test"), &create).await;
    assert_eq!(refused["error"]["code"], codes::FORBIDDEN, "{refused}");
    let (_, account) = post(&s.url, tom, &create).await;
    let account = &account;
    let subscription = account["result"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{account}"))
        .to_owned();
    assert_eq!(
        account["result"]["accountType"]["subscription"]["tenantId"],
        tenant.as_str()
    );
    // Olga invites Pat; pending until Pat accepts, and only Pat can accept.
    let guest = json!({
        "tenantId": tenant, "accountId": subscription, "roleId": role.id, "email": "pat@initech.test"
    });
    let invite = call(
        "subscriptionsManager.guests.guestUserToSubscriptionAccount",
        guest.clone(),
        4,
    );
    let (_, invited) = post(&s.url, tom, &invite).await;
    assert_eq!(invited["result"]["wasVerified"], false, "{invited}");
    let accept = call(
        "beginners.guests.acceptInvitation",
        json!({ "accountId": subscription, "guestRoleName": "editor", "permission": 1 }),
        5,
    );
    let (_, wrong) = post(&s.url, Some("olga@initech.test"), &accept).await;
    assert_eq!(wrong["error"]["code"], codes::INVALID_PARAMS, "{wrong}");
    let (status, _) = get(&s.downstream, "pat@initech.test", &tenant, &subscription).await;
    assert_eq!(
        status, 403,
        "an unaccepted invitation grants nothing downstream"
    );
    let (_, accepted) = post(&s.url, Some("pat@initech.test"), &accept).await;
    assert_eq!(accepted["result"], Value::Null, "{accepted}");
    // Downstream: the injected profile's licence names the subscription account.
    let (status, body) = get(&s.downstream, "pat@initech.test", &tenant, &subscription).await;
    assert_eq!(status, 200, "{body}");
    // Revoked: the next request is refused (the profile cache was told).
    let revoke = call(
        "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount",
        guest,
        6,
    );
    let (_, revoked) = post(&s.url, tom, &revoke).await;
    assert_eq!(revoked["result"], Value::Null, "{revoked}");
    let (status, _) = get(&s.downstream, "pat@initech.test", &tenant, &subscription).await;
    assert_eq!(status, 403);
    // Every mutation is in the audit trail.
    let trail = s
        .store
        .audit_events(Some(tenant.parse().unwrap()), 50)
        .await
        .unwrap();
    let mut actions: Vec<&str> = trail.iter().map(|e| e.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "managers.tenants.create",
            "subscriptionsManager.accounts.createSubscriptionAccount",
            "subscriptionsManager.guests.guestUserToSubscriptionAccount",
            "subscriptionsManager.guests.guestUserToSubscriptionAccount",
            "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount",
            "tenantOwner.accounts.createManagementAccount",
        ]
    );
    let by_staff = trail
        .iter()
        .find(|e| e.action == "managers.tenants.create")
        .unwrap();
    assert_eq!(by_staff.actor_email.as_deref(), Some("staff@example.com"));
    let all = s.store.audit_events(None, 50).await.unwrap();
    assert!(
        all.iter()
            .any(|e| e.action == "beginners.guests.acceptInvitation"
                && e.actor_email.as_deref() == Some("pat@initech.test"))
    );
}

/// A downstream request as `email` scoped to `tenant`; the service answers 200 when the
/// profile it received passes `on_tenant(tenant).on_account(account)`, else 403.
async fn get(url: &str, email: &str, tenant: &str, account: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .get(format!("{url}/reports?tenant={tenant}&account={account}"))
        .bearer_auth(token(email))
        .header("x-mycelium-tenant-id", tenant)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The downstream service: decodes the injected profile and narrows as a ported Mycelium
/// service would.
async fn downstream(
    headers: axum::http::HeaderMap,
    uri: axum::http::Uri,
) -> (axum::http::StatusCode, String) {
    let header = headers["x-mycelium-profile"].to_str().unwrap();
    let profile = myc_profile::codec::decode(header).unwrap();
    let query: std::collections::HashMap<&str, &str> = uri
        .query()
        .unwrap()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let tenant = query["tenant"].parse().unwrap();
    let account = query["account"].parse().unwrap();
    let narrowed = profile
        .on_tenant(tenant)
        .on_account(account)
        .with_write_access();
    match narrowed.get_ids_or_error() {
        Ok(ids) => (axum::http::StatusCode::OK, format!("{ids:?}")),
        Err(e) => (axum::http::StatusCode::FORBIDDEN, e.message()),
    }
}

/// What a caller got, either way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Done,
    Forbidden,
    Unauthenticated,
}

fn rpc_outcome(status: u16, body: &Value) -> Outcome {
    match (status, body["error"]["code"].as_i64()) {
        (401, _) => Outcome::Unauthenticated,
        (200, None) => Outcome::Done,
        (200, Some(codes::FORBIDDEN)) => Outcome::Forbidden,
        other => panic!("unexpected JSON-RPC answer {other:?}: {body}"),
    }
}

fn rest_outcome(status: u16) -> Outcome {
    match status {
        200 | 201 | 204 => Outcome::Done,
        401 => Outcome::Unauthenticated,
        403 => Outcome::Forbidden,
        other => panic!("unexpected REST status {other}"),
    }
}

async fn rest(
    s: &Server,
    email: Option<&str>,
    method: &str,
    path: &str,
    tenant: Option<&str>,
    body: Option<Value>,
) -> u16 {
    let mut request =
        reqwest::Client::new().request(method.parse().unwrap(), format!("{}{path}", s.base));
    if let Some(email) = email {
        request = request.bearer_auth(token(email));
    }
    if let Some(tenant) = tenant {
        request = request.header("x-mycelium-tenant-id", tenant);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap().status().as_u16()
}

/// Every operation served × caller kinds, over REST and JSON-RPC: the same outcome both
/// ways, and the documented one.
async fn both_transports_agree(s: &Server) {
    use Outcome::{Done, Forbidden, Unauthenticated};
    let store = &s.store;
    store
        .create_account(NewAccount::user("olga@initech.test"))
        .await
        .unwrap();
    store
        .create_account(NewAccount::user("sam@initech.test"))
        .await
        .unwrap();
    store
        .create_account(NewAccount::user("gus@initech.test"))
        .await
        .unwrap();
    let tenant = store
        .create_tenant("Initech", Some("olga@initech.test"), None)
        .await
        .unwrap();
    let other = store
        .tenants()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.name == "Globex")
        .unwrap();
    let sub = store
        .create_subscription_account(tenant.id, "Ops")
        .await
        .unwrap();
    let editor = store
        .create_guest_role("editor", "Editor", myc_profile::Permission::Write)
        .await
        .unwrap();
    let manager = store
        .create_guest_role(
            "subscriptions-manager",
            "Subscriptions manager",
            myc_profile::Permission::Write,
        )
        .await
        .unwrap();
    // Sam manages Initech's subscriptions; Gus is a plain guest (editor) of Initech.
    store
        .invite_guest(sub.id, "sam@initech.test", manager.id)
        .await
        .unwrap();
    store
        .accept_invitation(sub.id, "sam@initech.test", manager.id)
        .await
        .unwrap();
    store
        .invite_guest(sub.id, "gus@initech.test", editor.id)
        .await
        .unwrap();
    store
        .accept_invitation(sub.id, "gus@initech.test", editor.id)
        .await
        .unwrap();
    let t = tenant.id.to_string();
    let callers: [(Option<&str>, &str); 6] = [
        (Some("staff@example.com"), "staff"),
        (Some("olga@initech.test"), "tenant owner"),
        (Some("sam@initech.test"), "subscriptions manager"),
        (Some("gus@initech.test"), "guest (editor)"),
        (Some("user@example.com"), "plain user"),
        (None, "no credential"),
    ];
    for (i, (email, who)) in callers.iter().enumerate() {
        let n = i as u64;
        // managers.tenants.list
        let (st, body) = post(&s.url, *email, &call("managers.tenants.list", json!({}), n)).await;
        let rest_st = rest(s, *email, "GET", "/_adm/managers/tenants", None, None).await;
        let expect = match i {
            0 => Done,
            5 => Unauthenticated,
            _ => Forbidden,
        };
        assert_eq!(
            (rpc_outcome(st, &body), rest_outcome(rest_st)),
            (expect, expect),
            "list tenants as {who}"
        );
        // beginners.profile.get
        let (st, body) = post(&s.url, *email, &call("beginners.profile.get", json!({}), n)).await;
        let rest_st = rest(s, *email, "GET", "/_adm/beginners/profile", None, None).await;
        let expect = if i == 5 { Unauthenticated } else { Done };
        assert_eq!(
            (rpc_outcome(st, &body), rest_outcome(rest_st)),
            (expect, expect),
            "profile as {who}"
        );
        // subscriptionsManager.accounts.createSubscriptionAccount in Initech
        let params = json!({ "tenantId": t, "name": format!("rpc {n}") });
        let (st, body) = post(
            &s.url,
            *email,
            &call(
                "subscriptionsManager.accounts.createSubscriptionAccount",
                params,
                n,
            ),
        )
        .await;
        let rest_st = rest(
            s,
            *email,
            "POST",
            "/_adm/subscriptions-manager/accounts",
            Some(&t),
            Some(json!({ "name": format!("rest {n}") })),
        )
        .await;
        let expect = match i {
            0..=2 => Done,
            5 => Unauthenticated,
            _ => Forbidden,
        };
        assert_eq!(
            (rpc_outcome(st, &body), rest_outcome(rest_st)),
            (expect, expect),
            "create account as {who}"
        );
        // subscriptionsManager.guests.guestUserToSubscriptionAccount into Initech's Ops
        let email_param = format!("invitee{n}@initech.test");
        let params = json!({ "tenantId": t, "accountId": sub.id, "roleId": editor.id, "email": email_param });
        let (st, body) = post(
            &s.url,
            *email,
            &call(
                "subscriptionsManager.guests.guestUserToSubscriptionAccount",
                params,
                n,
            ),
        )
        .await;
        let path = format!(
            "/_adm/subscriptions-manager/guests/accounts/{}/roles/{}",
            sub.id, editor.id
        );
        let rest_st = rest(
            s,
            *email,
            "POST",
            &path,
            Some(&t),
            Some(json!({ "email": format!("rest{n}@initech.test") })),
        )
        .await;
        assert_eq!(
            (rpc_outcome(st, &body), rest_outcome(rest_st)),
            (expect, expect),
            "invite as {who}"
        );
        // Tenant isolation: nobody but staff manages Globex through Initech's rights.
        let params = json!({ "tenantId": other.id, "name": "intruder" });
        let (st, body) = post(
            &s.url,
            *email,
            &call(
                "subscriptionsManager.accounts.createSubscriptionAccount",
                params,
                n,
            ),
        )
        .await;
        let rest_st = rest(
            s,
            *email,
            "POST",
            "/_adm/subscriptions-manager/accounts",
            Some(&other.id.to_string()),
            Some(json!({ "name": "intruder" })),
        )
        .await;
        let expect = match i {
            0 => Done,
            5 => Unauthenticated,
            _ => Forbidden,
        };
        assert_eq!(
            (rpc_outcome(st, &body), rest_outcome(rest_st)),
            (expect, expect),
            "other tenant as {who}"
        );
    }
}

/// Guest roles, account life cycle and the audit trail: staff only; a deactivated account is
/// refused at once (the identity cache is told), and activating it lets it back in.
async fn administration(s: &Server) {
    let staff = Some("staff@example.com");
    let user = Some("user@example.com");
    let create = call(
        "guestManager.guestRoles.create",
        json!({ "name": "Subscriptions Manager", "description": "manages guests", "permission": 1 }),
        1,
    );
    let (_, refused) = post(&s.url, user, &create).await;
    assert_eq!(refused["error"]["code"], codes::FORBIDDEN, "{refused}");
    let (_, role) = post(&s.url, staff, &create).await;
    assert_eq!(role["result"]["slug"], "subscriptions-manager", "{role}");
    assert_eq!(role["result"]["system"], false);
    let (_, listed) = post(
        &s.url,
        staff,
        &call(
            "guestManager.guestRoles.list",
            json!({ "slug": "subscriptions-manager" }),
            2,
        ),
    )
    .await;
    assert_eq!(
        listed["result"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    // Life cycle.
    let (_, me) = post(&s.url, user, &call("beginners.profile.get", json!({}), 3)).await;
    let account = me["result"]["accId"].as_str().unwrap().to_owned();
    let (_, staff_me) = post(&s.url, staff, &call("beginners.profile.get", json!({}), 4)).await;
    let own = call(
        "userManager.account.deactivate",
        json!({ "accountId": staff_me["result"]["accId"] }),
        5,
    );
    let (_, selfish) = post(&s.url, staff, &own).await;
    assert_eq!(selfish["error"]["code"], codes::INVALID_PARAMS, "{selfish}");
    let off = call(
        "userManager.account.deactivate",
        json!({ "accountId": account }),
        6,
    );
    let (_, refused) = post(&s.url, user, &off).await;
    assert_eq!(refused["error"]["code"], codes::FORBIDDEN);
    let (_, done) = post(&s.url, staff, &off).await;
    assert_eq!(done["result"]["isActive"], false, "{done}");
    let (status, _) = post(&s.url, user, &call("beginners.profile.get", json!({}), 7)).await;
    assert_eq!(status, 403, "a deactivated account is refused at once");
    let on = call(
        "userManager.account.activate",
        json!({ "accountId": account }),
        8,
    );
    post(&s.url, staff, &on).await;
    let (status, _) = post(&s.url, user, &call("beginners.profile.get", json!({}), 9)).await;
    assert_eq!(status, 200);
    // The same over REST (upstream's PATCH paths); a plain user is refused there too.
    let patch = |email: &str, action: &str| {
        reqwest::Client::new()
            .patch(format!(
                "{}/_adm/users-manager/accounts/{account}/{action}",
                s.base
            ))
            .bearer_auth(token(email))
            .send()
    };
    assert_eq!(
        patch("user@example.com", "deactivate")
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        patch("staff@example.com", "deactivate")
            .await
            .unwrap()
            .status(),
        202
    );
    let (status, _) = post(&s.url, user, &call("beginners.profile.get", json!({}), 12)).await;
    assert_eq!(status, 403);
    assert_eq!(
        patch("staff@example.com", "activate")
            .await
            .unwrap()
            .status(),
        202
    );
    let (status, _) = post(&s.url, user, &call("beginners.profile.get", json!({}), 13)).await;
    assert_eq!(status, 200);
    // The account's trail: every change, by staff; other resource types are refused.
    let trail = call(
        "audit.resourceTrail.fetch",
        json!({ "resourceType": "account", "resourceId": account }),
        10,
    );
    let (_, events) = post(&s.url, staff, &trail).await;
    let actions: Vec<&str> = events["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 4, "{events}");
    assert!(
        actions.contains(&"userManager.account.deactivate")
            && actions.contains(&"userManager.account.activate")
    );
    assert!(
        events["result"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actorEmail"] == "staff@example.com")
    );
    let (_, refused) = post(&s.url, user, &trail).await;
    assert_eq!(refused["error"]["code"], codes::FORBIDDEN);
    let (_, bad) = post(
        &s.url,
        staff,
        &call(
            "audit.resourceTrail.fetch",
            json!({ "resourceType": "webhook", "resourceId": account }),
            11,
        ),
    )
    .await;
    assert_eq!(bad["error"]["code"], codes::INVALID_PARAMS);
}

/// A caller's own connection strings: created once (value shown once), usable, listed
/// without values, revoked; scope only to a tenant the caller belongs to.
async fn tokens(s: &Server) {
    let user = Some("user@example.com");
    let create = |params: Value| call("beginners.tokens.create", params, 1);
    let (_, made) = post(
        &s.url,
        user,
        &create(json!({ "name": "ci", "expiration": 3600 })),
    )
    .await;
    let value = made["result"]["connectionString"]
        .as_str()
        .unwrap_or_else(|| panic!("{made}"))
        .to_owned();
    let with_string = |value: String| {
        let url = s.url.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .header("x-mycelium-connection-string", value)
                .json(&json!({ "jsonrpc": "2.0", "method": "beginners.profile.get", "id": 1 }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(with_string(value.clone()).await, 200);
    let (_, listed) = post(&s.url, user, &call("beginners.tokens.list", json!({}), 2)).await;
    let records = listed["result"].as_array().unwrap();
    assert_eq!(records.len(), 1, "{listed}");
    assert!(
        !listed.to_string().contains(&value),
        "a listing never shows the value"
    );
    let id = records[0]["id"].clone();
    // Another caller cannot revoke it.
    let revoke = call("beginners.tokens.revoke", json!({ "tokenId": id }), 3);
    let (_, foreign) = post(&s.url, Some("staff@example.com"), &revoke).await;
    assert_eq!(foreign["error"]["code"], codes::INVALID_PARAMS, "{foreign}");
    let (_, revoked) = post(&s.url, user, &revoke).await;
    assert_eq!(revoked["result"], Value::Null, "{revoked}");
    assert_eq!(with_string(value).await, 401);
    // The same over REST (`/_adm/beginners/tokens`), listed both ways.
    let made = reqwest::Client::new()
        .post(format!("{}/_adm/beginners/tokens", s.base))
        .bearer_auth(token("user@example.com"))
        .json(&json!({ "name": "rest", "expiration": 600 }))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200);
    let made: Value = made.json().await.unwrap();
    assert!(made["connectionString"].is_string(), "{made}");
    let listed: Value = reqwest::Client::new()
        .get(format!("{}/_adm/beginners/tokens", s.base))
        .bearer_auth(token("user@example.com"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    // Scope: not to a tenant the caller is not in; no unsupported scopes silently dropped.
    let acme = s.store.tenants().await.unwrap()[0].id;
    let (_, refused) = post(
        &s.url,
        user,
        &create(json!({ "name": "x", "expiration": 60, "tenantId": acme })),
    )
    .await;
    assert_eq!(refused["error"]["code"], codes::FORBIDDEN, "{refused}");
    let (_, refused) = post(
        &s.url,
        user,
        &create(json!({ "name": "x", "expiration": 60, "serviceAccountId": acme })),
    )
    .await;
    assert_eq!(refused["error"]["code"], codes::INVALID_PARAMS, "{refused}");
    let (_, refused) = post(
        &s.url,
        user,
        &create(json!({ "name": "x", "expiration": 0 })),
    )
    .await;
    assert_eq!(refused["error"]["code"], codes::INVALID_PARAMS, "{refused}");
    // The profile answers URL forms by default, records on request.
    s.store
        .create_account(NewAccount::user("fresh@example.com"))
        .await
        .unwrap();
    s.store
        .create_guest_role("viewer", "Viewer", myc_profile::Permission::Read)
        .await
        .unwrap();
    s.store
        .add_guest(
            acme,
            "fresh@example.com",
            "viewer",
            myc_profile::Permission::Read,
        )
        .await
        .unwrap();
    let fresh = Some("fresh@example.com");
    let (_, urls) = post(&s.url, fresh, &call("beginners.profile.get", json!({}), 4)).await;
    let urls = &urls["result"]["licensedResources"]["urls"];
    assert!(
        urls.as_array()
            .is_some_and(|u| u.len() == 1 && u[0].is_string()),
        "{urls}"
    );
    let (_, records) = post(
        &s.url,
        fresh,
        &call("beginners.profile.get", json!({ "withUrl": false }), 5),
    )
    .await;
    let records = &records["result"]["licensedResources"]["records"];
    assert_eq!(records[0]["role"], "viewer", "{records}");
}

macro_rules! suite {
    ($backend:ident) => {
        mod $backend {
            macro_rules! case {
                ($name:ident) => {
                    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                    async fn $name() {
                        let server = super::Server::$backend().await;
                        super::$name(&server).await;
                        server.finish().await;
                    }
                };
            }
            case!(conformance);
            case!(who_may_call_what);
            case!(both_transports_agree);
            case!(administration);
            case!(tokens);
            case!(journey);
        }
    };
}

suite!(sqlite);
suite!(postgres);
