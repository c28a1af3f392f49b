//! The role matrix: every method of the admin API × every kind of caller, over JSON-RPC and
//! REST (same outcome both ways, and the documented one), on SQLite and on the machine's
//! PostgreSQL. Each call gets targets of its own (prepared straight in the store), so an
//! allowed call must succeed and a refused one must be refused for its role, not for
//! anything else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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

const SECRET: &[u8] = b"matrix-test-secret-of-at-least-32-bytes!";

/// The kinds of caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
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

const CALLERS: [Who; 10] = [
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
    fn email(self) -> Option<&'static str> {
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
enum Outcome {
    Done,
    Forbidden,
    Unauthenticated,
    Invalid,
    Conflict,
}

use Who::*;

const ADMINS: &[Who] = &[Staff, Manager];
const OWNERS: &[Who] = &[Staff, Manager, Owner];
const TENANT_ADMINS: &[Who] = &[Staff, Manager, Owner, TenantManager];
const TENANT_MANAGERS: &[Who] = &[Staff, Manager, Owner, TenantManager, SubscriptionsManager];
const CHILD_GUESTERS: &[Who] = &[
    Staff,
    Manager,
    Owner,
    TenantManager,
    SubscriptionsManager,
    GuestWrite,
];
const MEMBERS: &[Who] = &[
    Staff,
    Manager,
    Owner,
    TenantManager,
    SubscriptionsManager,
    GuestRead,
    GuestWrite,
];
const EVERYONE: &[Who] = &[
    Staff,
    Manager,
    Owner,
    TenantManager,
    SubscriptionsManager,
    GuestRead,
    GuestWrite,
    User,
    ScopedElsewhere,
];

/// Who may call `method` (everyone else is refused for the role; nobody gets 401).
fn allowed(method: &str) -> &'static [Who] {
    match method {
        "beginners.accounts.delete" => &[],
        "staff.accounts.upgradePrivileges" | "staff.accounts.downgradePrivileges" => &[Staff],
        "accountManager.guests.guestToChildrenAccount" => CHILD_GUESTERS,
        m if m.starts_with("accountManager.") => MEMBERS,
        m if m.starts_with("rpc.") || m.starts_with("beginners.") => EVERYONE,
        m if m.starts_with("managers.")
            || m.starts_with("guestManager.")
            || m.starts_with("userManager.")
            || m.starts_with("audit.") =>
        {
            ADMINS
        }
        m if m.starts_with("gatewayManager.") => &[Staff, Manager, GuestWrite],
        m if m.starts_with("tenantOwner.") => OWNERS,
        m if m.starts_with("tenantManager.") => TENANT_ADMINS,
        m if m.starts_with("subscriptionsManager.") => TENANT_MANAGERS,
        other => panic!("no expectation for {other}"),
    }
}

struct Fixture {
    store: SqlStore,
    auth: Arc<Authenticator>,
    base: String,
    initech: Uuid,
    ops: Uuid,
    /// An account of another tenant, where callers accept invitations.
    lobby: Uuid,
    manager_account: Uuid,
    reader: Uuid,
    editor: Uuid,
    scoped: String,
    cleanup: Option<myc_testkit::db::PgSchema>,
    dir: Option<std::path::PathBuf>,
}

async fn user(store: &SqlStore, email: &str) -> Uuid {
    store
        .create_account(NewAccount::user(email))
        .await
        .unwrap()
        .id
}

async fn guest(store: &SqlStore, account: Uuid, email: &str, role: Uuid) {
    store.invite_guest(account, email, role).await.unwrap();
    store.accept_invitation(account, email, role).await.unwrap();
}

impl Fixture {
    async fn start(store: SqlStore) -> Self {
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
        guest(&store, ops, "wes@initech.test", role("gateway-manager", Permission::Read)).await;
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
            services: vec![myc_directory::catalog::ServiceEntry::new("billing", "http", 2, None)],
            routes: vec![myc_directory::catalog::RouteEntry::new(
                "billing",
                "/billing/*",
                vec!["GET".into()],
                json!("protected"),
            )],
        };
        let api = Api::new(store.clone())
            .with_catalog(Arc::new(catalog))
            .on_change(Arc::new(move || forget.forget_everyone()))
            .with_connection_strings(Arc::new(keyring));
        let app = router(api.clone())
            .merge(myc_directory::rest::router(api))
            .layer(AuthLayer::new(auth.clone(), SecurityGroup::Protected));
        let addr = myc_testkit::http::serve(app).await;
        Self {
            store,
            auth,
            base: format!("http://{addr}"),
            initech,
            ops,
            lobby,
            manager_account,
            reader,
            editor,
            scoped: scoped.as_str().to_owned(),
            cleanup: None,
            dir: None,
        }
    }

    async fn sqlite() -> Self {
        let dir = myc_testkit::process::temp_dir("myc-matrix");
        let settings = StoreSettings {
            location: StoreLocation::Sqlite(dir.join("d.sqlite3")),
            max_connections: 4,
        };
        let mut f = Self::start(SqlStore::open(&settings).await.unwrap()).await;
        f.dir = Some(dir);
        f
    }

    async fn postgres() -> Self {
        let schema = myc_testkit::db::PgSchema::create().await;
        let mut f = Self::start(SqlStore::connect(&schema.url, 4).await.unwrap()).await;
        f.cleanup = Some(schema);
        f
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

    async fn account_of(&self, who: Who) -> Uuid {
        let email = who.email().unwrap_or("user@example.com");
        self.store
            .account_by_email(email)
            .await
            .unwrap()
            .unwrap()
            .id
    }
}

fn jwt(email: &str) -> String {
    myc_tower::jwt::backend::install_default();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k".into());
    let exp = jsonwebtoken::get_current_timestamp() + 600;
    let claims = json!({ "iss": "mycelium", "aud": "adm", "email": email, "exp": exp });
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(SECRET)).unwrap()
}

fn credentials(f: &Fixture, who: Who, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    match who {
        Nobody => request,
        ScopedElsewhere => request.header("x-mycelium-connection-string", &f.scoped),
        other => request.bearer_auth(jwt(other.email().unwrap())),
    }
}

async fn over_rpc(f: &Fixture, who: Who, method: &str, params: &Value) -> Outcome {
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

fn query_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn over_rest(f: &Fixture, who: Who, method: &str, params: &Value) -> Outcome {
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

/// Params for one call of `method` by `who`, with targets of its own (`n` is unique).
async fn prepare(f: &Fixture, method: &str, who: Who, n: usize) -> Value {
    let s = &f.store;
    let t = f.initech;
    let email = format!("x{n}@initech.test");
    let fresh_user = || async { user(s, &format!("u{n}@example.com")).await };
    let params = match method {
        "rpc.discover"
        | "beginners.profile.get"
        | "beginners.accounts.get"
        | "beginners.tokens.list"
        | "managers.guestRoles.createSystemRoles"
        | "managers.tenants.list"
        | "guestManager.guestRoles.list" => json!({}),
        "beginners.accounts.updateName" => {
            json!({ "accountId": f.account_of(who).await, "name": format!("Name {n}") })
        }
        "beginners.accounts.delete" => json!({ "accountId": fresh_user().await }),
        "beginners.guests.acceptInvitation" => {
            let role = s
                .create_guest_role_described(&format!("inv {n}"), "", Permission::Read, false)
                .await
                .unwrap();
            let invitee = who.email().unwrap_or("user@example.com");
            s.invite_guest(f.lobby, invitee, role.id).await.unwrap();
            json!({ "accountId": f.lobby, "guestRoleName": role.slug, "permission": 0 })
        }
        "beginners.meta.create" => json!({ "key": format!("k{n}"), "value": "v" }),
        "beginners.meta.update" => json!({ "key": "locale", "value": format!("v{n}") }),
        "beginners.meta.delete" => {
            s.put_account_meta(f.account_of(who).await, &format!("k{n}"), "v", false)
                .await
                .unwrap();
            json!({ "key": format!("k{n}") })
        }
        "beginners.tenants.getPublicInfo" => json!({ "tenantId": t }),
        "beginners.tokens.create" => {
            json!({ "name": format!("t{n}"), "expiration": 600 + n })
        }
        "beginners.tokens.revoke" | "beginners.tokens.delete" => {
            let keyring = myc_profile::HmacKeyring::new(1, [(1, SECRET)]).unwrap();
            let (_, record) = s
                .issue_connection_string(
                    &keyring,
                    TokenRequest {
                        account_id: f.account_of(who).await,
                        name: "to go",
                        tenant: None,
                        roles: Vec::new(),
                        // Same claims sign to the same value: a distinct expiry each.
                        expires_at: chrono::Utc::now() + chrono::Duration::seconds(3600 + n as i64),
                    },
                )
                .await
                .unwrap();
            json!({ "tokenId": record.id })
        }
        "managers.accounts.createSystemAccount" => {
            json!({ "name": format!("sys {n}"), "actor": "gatewayManager" })
        }
        "managers.tenants.create" => json!({ "name": format!("Tenant {n}") }),
        "managers.tenants.delete" => {
            json!({ "id": s.create_tenant(&format!("Doomed {n}"), None, None).await.unwrap().id })
        }
        "managers.tenants.includeTenantOwner" => {
            fresh_user().await;
            let owner = s
                .owner_id(&format!("u{n}@example.com"))
                .await
                .unwrap()
                .unwrap();
            json!({ "id": t, "ownerId": owner })
        }
        "managers.tenants.excludeTenantOwner" => {
            fresh_user().await;
            let owner = s
                .owner_id(&format!("u{n}@example.com"))
                .await
                .unwrap()
                .unwrap();
            s.include_tenant_owner(t, owner).await.unwrap();
            json!({ "id": t, "ownerId": owner })
        }
        "tenantOwner.accounts.createManagementAccount" => {
            // A tenant of Olga's without a management account yet.
            let tenant = s
                .create_tenant(&format!("Olga {n}"), Some("olga@initech.test"), None)
                .await
                .unwrap();
            json!({ "tenantId": tenant.id })
        }
        "tenantOwner.accounts.deleteTenantManagerAccount" => {
            let account = s
                .create_tenant_account(t, &format!("mgmt {n}"), &TenantAccountKind::TenantManager)
                .await
                .unwrap();
            json!({ "tenantId": t, "accountId": account.id })
        }
        "tenantOwner.meta.create" => json!({ "tenantId": t, "key": format!("k{n}"), "value": "v" }),
        "tenantOwner.meta.delete" => {
            s.put_tenant_meta(t, &format!("k{n}"), "v", true)
                .await
                .unwrap();
            json!({ "tenantId": t, "key": format!("k{n}") })
        }
        "tenantOwner.owner.guest" => {
            fresh_user().await;
            json!({ "tenantId": t, "email": format!("u{n}@example.com") })
        }
        "tenantOwner.owner.revoke" => {
            fresh_user().await;
            let owner = s
                .owner_id(&format!("u{n}@example.com"))
                .await
                .unwrap()
                .unwrap();
            s.include_tenant_owner(t, owner).await.unwrap();
            json!({ "tenantId": t, "email": format!("u{n}@example.com") })
        }
        "tenantOwner.tenant.updateNameAndDescription" => {
            json!({ "tenantId": t, "description": format!("d{n}") })
        }
        "tenantOwner.tenant.updateArchivingStatus"
        | "tenantOwner.tenant.updateTrashingStatus"
        | "tenantOwner.tenant.updateVerifyingStatus" => json!({ "tenantId": t, "value": false }),
        "tenantManager.accounts.createSubscriptionManagerAccount" | "tenantManager.tenant.get" => {
            json!({ "tenantId": t })
        }
        "tenantManager.accounts.deleteSubscriptionAccount" => {
            let account = s
                .create_subscription_account(t, &format!("gone {n}"))
                .await
                .unwrap();
            json!({ "tenantId": t, "accountId": account.id })
        }
        "tenantManager.guests.guestUserToSubscriptionManagerAccount" => json!({
            "tenantId": t, "accountId": f.manager_account, "email": email, "permission": 1,
        }),
        "tenantManager.guests.revokeUserGuestToSubscriptionManagerAccount" => {
            let role = s
                .guest_role_by("subscriptions-manager", Permission::Read)
                .await
                .unwrap()
                .unwrap();
            s.invite_guest(f.manager_account, &email, role.id)
                .await
                .unwrap();
            json!({ "tenantId": t, "accountId": f.manager_account, "roleId": role.id, "email": email })
        }
        "tenantManager.tags.create" => json!({ "tenantId": t, "value": format!("tag {n}") }),
        "tenantManager.tags.update" | "tenantManager.tags.delete" => {
            let tag = s
                .create_tag(t, None, "t", &Default::default())
                .await
                .unwrap();
            let mut p = json!({ "tenantId": t, "tagId": tag.id });
            if method.ends_with("update") {
                p["value"] = json!(format!("v{n}"));
            }
            p
        }
        "subscriptionsManager.accounts.createSubscriptionAccount" => {
            json!({ "tenantId": t, "name": format!("sub {n}") })
        }
        "subscriptionsManager.accounts.createRoleAssociatedAccount" => json!({
            "tenantId": t, "accountName": format!("ra {n}"), "roleName": "Auditors",
            "roleDescription": "audit",
        }),
        "subscriptionsManager.accounts.list" => json!({ "tenantId": t }),
        "subscriptionsManager.accounts.get" => json!({ "tenantId": t, "accountId": f.ops }),
        "subscriptionsManager.accounts.updateNameAndFlags" => {
            let account = s
                .create_subscription_account(t, &format!("ren {n}"))
                .await
                .unwrap();
            json!({ "tenantId": t, "accountId": account.id, "name": format!("renamed {n}"), "isChecked": true })
        }
        "subscriptionsManager.guests.listLicensedAccountsOfEmail" => {
            json!({ "tenantId": t, "email": "rita@initech.test" })
        }
        "subscriptionsManager.guests.guestUserToSubscriptionAccount" => {
            json!({ "tenantId": t, "accountId": f.ops, "roleId": f.reader, "email": email })
        }
        "subscriptionsManager.guests.updateFlagsFromSubscriptionAccount" => {
            let account = s
                .create_subscription_account(t, &format!("flags {n}"))
                .await
                .unwrap();
            s.invite_guest(account.id, &email, f.reader).await.unwrap();
            json!({ "tenantId": t, "accountId": account.id, "roleId": f.reader, "permitFlags": ["beta"] })
        }
        "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount" => {
            s.invite_guest(f.ops, &email, f.reader).await.unwrap();
            json!({ "tenantId": t, "accountId": f.ops, "roleId": f.reader, "email": email })
        }
        "subscriptionsManager.guests.listGuestOnSubscriptionAccount" => {
            json!({ "tenantId": t, "accountId": f.ops })
        }
        "subscriptionsManager.guestRoles.list" | "accountManager.guestRoles.listGuestRoles" => {
            json!({ "tenantId": t })
        }
        "subscriptionsManager.guestRoles.get"
        | "accountManager.guestRoles.fetchGuestRoleDetails" => {
            json!({ "tenantId": t, "id": f.reader })
        }
        "subscriptionsManager.tags.create" => {
            json!({ "tenantId": t, "accountId": f.ops, "value": format!("tag {n}") })
        }
        "subscriptionsManager.tags.update" | "subscriptionsManager.tags.delete" => {
            let tag = s
                .create_tag(t, Some(f.ops), "t", &Default::default())
                .await
                .unwrap();
            let mut p = json!({ "tenantId": t, "accountId": f.ops, "tagId": tag.id });
            if method.ends_with("update") {
                p["value"] = json!(format!("v{n}"));
            }
            p
        }
        "guestManager.guestRoles.create" => {
            json!({ "name": format!("role {n}"), "description": "d", "permission": 1 })
        }
        "guestManager.guestRoles.delete"
        | "guestManager.guestRoles.updateNameAndDescription"
        | "guestManager.guestRoles.updatePermission" => {
            let role = s
                .create_guest_role_described(&format!("r {n}"), "", Permission::Read, false)
                .await
                .unwrap();
            match method {
                "guestManager.guestRoles.delete" => json!({ "guestRoleId": role.id }),
                "guestManager.guestRoles.updatePermission" => {
                    json!({ "guestRoleId": role.id, "permission": 1 })
                }
                _ => json!({ "guestRoleId": role.id, "description": format!("d{n}") }),
            }
        }
        "guestManager.guestRoles.insertRoleChild" | "guestManager.guestRoles.removeRoleChild" => {
            let parent = s
                .create_guest_role_described(&format!("p {n}"), "", Permission::Write, false)
                .await
                .unwrap();
            if method.ends_with("removeRoleChild") {
                s.insert_role_child(parent.id, f.reader).await.unwrap();
            }
            json!({ "guestRoleId": parent.id, "childId": f.reader })
        }
        "accountManager.guests.guestToChildrenAccount" => {
            json!({ "tenantId": t, "accountId": f.ops, "roleId": f.reader, "email": email })
        }
        "userManager.account.approve"
        | "userManager.account.disapprove"
        | "userManager.account.activate"
        | "userManager.account.deactivate"
        | "userManager.account.archive"
        | "userManager.account.unarchive" => {
            json!({ "accountId": fresh_user().await })
        }
        "staff.accounts.upgradePrivileges" => {
            json!({ "accountId": fresh_user().await, "to": "Manager" })
        }
        "staff.accounts.downgradePrivileges" => {
            let id = fresh_user().await;
            s.set_privileges(id, "manager").await.unwrap();
            json!({ "accountId": id, "to": "User" })
        }
        "audit.resourceTrail.fetch" => json!({ "resourceType": "tenant", "resourceId": t }),
        "gatewayManager.routes.list" => json!({ "name": "billing" }),
        "gatewayManager.services.list" => json!({ "name": "bill", "pageSize": 5 }),
        other => panic!("no params for {other}"),
    };
    // What was written straight to the store must be seen by the next request.
    f.auth.forget_everyone();
    let _ = f.editor;
    params
}

async fn every_method_for_every_caller(f: &Fixture) {
    let mut n = 0;
    let mut failures = Vec::new();
    for spec in methods::all() {
        let allowed = allowed(spec.name);
        for who in CALLERS {
            let expect = if who == Nobody {
                Outcome::Unauthenticated
            } else if allowed.contains(&who) {
                Outcome::Done
            } else {
                Outcome::Forbidden
            };
            n += 1;
            let params = prepare(f, spec.name, who, n).await;
            let rpc = over_rpc(f, who, spec.name, &params).await;
            n += 1;
            let params = prepare(f, spec.name, who, n).await;
            let rest = over_rest(f, who, spec.name, &params).await;
            if (rpc, rest) != (expect, expect) {
                failures.push(format!(
                    "{} as {who:?}: JSON-RPC {rpc:?}, REST {rest:?}, expected {expect:?}",
                    spec.name
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_matrix() {
    let f = Fixture::sqlite().await;
    every_method_for_every_caller(&f).await;
    f.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_matrix() {
    let f = Fixture::postgres().await;
    every_method_for_every_caller(&f).await;
    f.finish().await;
}
