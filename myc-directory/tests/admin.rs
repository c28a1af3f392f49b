//! What the admin methods answer and change, beyond who may call them (`matrix.rs`): the
//! profile's status and metadata, tenant details, tags, role children, paging, the catalog —
//! over JSON-RPC on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Fixture, Who, rpc};
use serde_json::{Value, json};

async fn ok(f: &Fixture, who: Who, method: &str, params: Value) -> Value {
    let answer = rpc(f, who, method, params).await;
    assert!(answer.get("error").is_none(), "{method}: {answer}");
    answer["result"].clone()
}

/// The injected profile carries the account's flags as upstream summarises them, and its
/// metadata; an archived account is refused.
async fn profile_status_and_meta(f: &Fixture) {
    let me = ok(f, Who::User, "beginners.profile.get", json!({})).await;
    assert_eq!(me["verboseStatus"], "verified", "{me}");
    ok(
        f,
        Who::User,
        "beginners.meta.create",
        json!({ "key": "locale", "value": "pt-BR" }),
    )
    .await;
    let refused = rpc(
        f,
        Who::User,
        "beginners.meta.create",
        json!({ "key": "shoe", "value": "42" }),
    )
    .await;
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("custom:"),
        "{refused}"
    );
    let again = rpc(
        f,
        Who::User,
        "beginners.meta.create",
        json!({ "key": "locale", "value": "x" }),
    )
    .await;
    assert_eq!(again["error"]["code"], 409, "{again}");
    ok(
        f,
        Who::User,
        "beginners.meta.update",
        json!({ "key": "locale", "value": "en-GB" }),
    )
    .await;
    let me = ok(f, Who::User, "beginners.profile.get", json!({})).await;
    assert_eq!(me["meta"]["locale"], "en-GB", "{me}");
    let account = f.account_of(Who::User).await;
    ok(
        f,
        Who::Staff,
        "userManager.account.disapprove",
        json!({ "accountId": account }),
    )
    .await;
    let me = ok(f, Who::User, "beginners.profile.get", json!({})).await;
    assert_eq!(
        (
            me["verboseStatus"].as_str(),
            me["accountWasApproved"].as_bool()
        ),
        (Some("unverified"), Some(false)),
        "{me}"
    );
    ok(
        f,
        Who::Staff,
        "userManager.account.archive",
        json!({ "accountId": account }),
    )
    .await;
    let answer = rpc(f, Who::User, "beginners.profile.get", json!({})).await;
    assert_eq!(
        answer["code"], "MYT00411",
        "an archived account is refused: {answer}"
    );
    ok(
        f,
        Who::Staff,
        "userManager.account.unarchive",
        json!({ "accountId": account }),
    )
    .await;
    ok(
        f,
        Who::Staff,
        "userManager.account.approve",
        json!({ "accountId": account }),
    )
    .await;
    let me = ok(f, Who::User, "beginners.profile.get", json!({})).await;
    assert_eq!(me["verboseStatus"], "verified", "{me}");
}

/// Tenant owners shape their tenant; tenant managers read it back with tags.
async fn tenant_details(f: &Fixture) {
    let t = f.initech;
    ok(
        f,
        Who::Owner,
        "tenantOwner.meta.create",
        json!({ "tenantId": t, "key": "legal_name", "value": "Initech LLC" }),
    )
    .await;
    ok(
        f,
        Who::Owner,
        "tenantOwner.tenant.updateNameAndDescription",
        json!({ "tenantId": t, "description": "TPS" }),
    )
    .await;
    ok(
        f,
        Who::Owner,
        "tenantOwner.tenant.updateVerifyingStatus",
        json!({ "tenantId": t }),
    )
    .await;
    let tag = ok(
        f,
        Who::TenantManager,
        "tenantManager.tags.create",
        json!({ "tenantId": t, "value": "gold", "meta": { "tier": "1" } }),
    )
    .await;
    ok(
        f,
        Who::Owner,
        "tenantOwner.owner.guest",
        json!({ "tenantId": t, "email": "tina@initech.test" }),
    )
    .await;
    let details = ok(
        f,
        Who::TenantManager,
        "tenantManager.tenant.get",
        json!({ "tenantId": t }),
    )
    .await;
    assert_eq!(details["meta"]["legal_name"], "Initech LLC", "{details}");
    assert_eq!(details["description"], "TPS");
    assert_eq!(details["isVerified"], true);
    assert_eq!(details["tags"][0]["value"], "gold");
    assert_eq!(details["tags"][0]["meta"]["tier"], "1");
    let owners: Vec<&str> = details["owners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["email"].as_str().unwrap())
        .collect();
    assert_eq!(owners, ["olga@initech.test", "tina@initech.test"]);
    // Tina now owns the tenant (her profile says so); the last owner cannot leave.
    let tina = ok(
        f,
        Who::TenantManager,
        "beginners.profile.get",
        json!({ "withUrl": false }),
    )
    .await;
    assert_eq!(
        tina["tenantsOwnership"]["records"][0]["id"],
        t.to_string(),
        "{tina}"
    );
    ok(
        f,
        Who::Owner,
        "tenantOwner.owner.revoke",
        json!({ "tenantId": t, "email": "tina@initech.test" }),
    )
    .await;
    let last = rpc(
        f,
        Who::Owner,
        "tenantOwner.owner.revoke",
        json!({ "tenantId": t, "email": "olga@initech.test" }),
    )
    .await;
    assert_eq!(last["error"]["code"], -32602, "{last}");
    ok(
        f,
        Who::TenantManager,
        "tenantManager.tags.update",
        json!({ "tenantId": t, "tagId": tag["id"], "value": "platinum" }),
    )
    .await;
    let details = ok(
        f,
        Who::Owner,
        "tenantManager.tenant.get",
        json!({ "tenantId": t }),
    )
    .await;
    assert_eq!(details["tags"][0]["value"], "platinum");
    assert!(details["tags"][0]["meta"].as_object().unwrap().is_empty());
    // One management account per tenant.
    let second = rpc(
        f,
        Who::Owner,
        "tenantOwner.accounts.createManagementAccount",
        json!({ "tenantId": t }),
    )
    .await;
    assert_eq!(second["error"]["code"], 409, "{second}");
    // Public info shows only what is public.
    let public = ok(
        f,
        Who::User,
        "beginners.tenants.getPublicInfo",
        json!({ "tenantId": t }),
    )
    .await;
    assert_eq!(
        public,
        json!({ "id": t, "name": "Initech", "description": "TPS", "isVerified": true })
    );
}

/// Role children: no cycles; a child relation shows in the role's details.
async fn role_children(f: &Fixture) {
    let parent = ok(
        f,
        Who::Staff,
        "guestManager.guestRoles.create",
        json!({ "name": "Lead", "description": "leads", "permission": 1 }),
    )
    .await;
    let child = ok(
        f,
        Who::Staff,
        "guestManager.guestRoles.create",
        json!({ "name": "Member", "description": "members" }),
    )
    .await;
    let (p, c) = (parent["id"].clone(), child["id"].clone());
    let with = ok(
        f,
        Who::Staff,
        "guestManager.guestRoles.insertRoleChild",
        json!({ "guestRoleId": p, "childId": c }),
    )
    .await;
    assert_eq!(with["children"], json!([c]));
    let cycle = rpc(
        f,
        Who::Staff,
        "guestManager.guestRoles.insertRoleChild",
        json!({ "guestRoleId": c, "childId": p }),
    )
    .await;
    assert_eq!(cycle["error"]["code"], -32602, "{cycle}");
    let own = rpc(
        f,
        Who::Staff,
        "guestManager.guestRoles.insertRoleChild",
        json!({ "guestRoleId": p, "childId": p }),
    )
    .await;
    assert_eq!(own["error"]["code"], -32602, "{own}");
    // Renaming moves the slug; the permission changes in place.
    let renamed = ok(
        f,
        Who::Staff,
        "guestManager.guestRoles.updateNameAndDescription",
        json!({ "guestRoleId": c, "name": "Team Member" }),
    )
    .await;
    assert_eq!(renamed["slug"], "team-member");
    let write = ok(
        f,
        Who::Staff,
        "guestManager.guestRoles.updatePermission",
        json!({ "guestRoleId": c, "permission": 1 }),
    )
    .await;
    assert_eq!(write["permission"], "write");
    let fetched = ok(
        f,
        Who::GuestRead,
        "accountManager.guestRoles.fetchGuestRoleDetails",
        json!({ "tenantId": f.initech, "id": p }),
    )
    .await;
    assert_eq!(fetched["children"], json!([c]));
}

/// Lists page as upstream's do (count, skip, size, records; `null` when nothing matches).
async fn paging(f: &Fixture) {
    let t = f.initech;
    for n in 0..5 {
        ok(
            f,
            Who::SubscriptionsManager,
            "subscriptionsManager.accounts.createSubscriptionAccount",
            json!({ "tenantId": t, "name": format!("Paged {n}") }),
        )
        .await;
    }
    let page = ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.accounts.list",
        json!({ "tenantId": t, "term": "paged", "pageSize": 2, "skip": 2 }),
    )
    .await;
    assert_eq!(
        (
            page["count"].as_u64(),
            page["size"].as_u64(),
            page["skip"].as_u64()
        ),
        (Some(5), Some(2), Some(2)),
        "{page}"
    );
    let names: Vec<&str> = page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Paged 2", "Paged 3"]);
    let none = ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.accounts.list",
        json!({ "tenantId": t, "term": "zzz" }),
    )
    .await;
    assert_eq!(none, Value::Null);
    let typed = ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.accounts.list",
        json!({ "tenantId": t, "accountType": "TenantManager" }),
    )
    .await;
    assert_eq!(typed["count"], 1, "{typed}");
    let big = rpc(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.accounts.list",
        json!({ "tenantId": t, "pageSize": 1000 }),
    )
    .await;
    assert_eq!(big["error"]["code"], -32602);
    let guests = ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.guests.listGuestOnSubscriptionAccount",
        json!({ "tenantId": t, "accountId": f.ops }),
    )
    .await;
    let emails: Vec<&str> = guests["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["email"].as_str().unwrap())
        .collect();
    assert!(
        emails.contains(&"rita@initech.test") && emails.contains(&"wes@initech.test"),
        "{emails:?}"
    );
    let licensed = ok(
        f,
        Who::SubscriptionsManager,
        "subscriptionsManager.guests.listLicensedAccountsOfEmail",
        json!({ "tenantId": t, "email": "RITA@initech.test" }),
    )
    .await;
    assert_eq!(licensed[0]["accountId"], f.ops.to_string(), "{licensed}");
}

/// Guest flags reach the licence; staff privileges reach the profile.
async fn flags_and_privileges(f: &Fixture) {
    let t = f.initech;
    ok(f, Who::SubscriptionsManager, "subscriptionsManager.guests.updateFlagsFromSubscriptionAccount", json!({ "tenantId": t, "accountId": f.ops, "roleId": f.reader, "permitFlags": ["beta"], "denyFlags": ["export"] })).await;
    let rita = ok(
        f,
        Who::GuestRead,
        "beginners.profile.get",
        json!({ "withUrl": false }),
    )
    .await;
    let licence = &rita["licensedResources"]["records"][0];
    assert_eq!(
        (licence["permitFlags"].clone(), licence["denyFlags"].clone()),
        (json!(["beta"]), json!(["export"])),
        "{rita}"
    );
    let user = f.account_of(Who::User).await;
    ok(
        f,
        Who::Staff,
        "staff.accounts.upgradePrivileges",
        json!({ "accountId": user, "to": "Manager" }),
    )
    .await;
    let me = ok(f, Who::User, "beginners.profile.get", json!({})).await;
    assert_eq!(
        (me["isManager"].as_bool(), me["isStaff"].as_bool()),
        (Some(true), Some(false))
    );
    ok(
        f,
        Who::Staff,
        "staff.accounts.downgradePrivileges",
        json!({ "accountId": user, "to": "User" }),
    )
    .await;
    let me = ok(f, Who::User, "beginners.profile.get", json!({})).await;
    assert_eq!(me["isManager"], false);
}

/// Error codes: native ones seeded and undeletable but re-wordable, custom ones numbered per
/// prefix; refusals carry the registry's words in both transports.
async fn error_codes(f: &Fixture) {
    let native = ok(
        f,
        Who::Staff,
        "systemManager.errorCodes.get",
        json!({ "prefix": "MYC", "code": 19 }),
    )
    .await;
    assert_eq!(
        (native["name"].as_str(), native["isNative"].as_bool()),
        (Some("MYC00019"), Some(true))
    );
    let first = ok(
        f,
        Who::Staff,
        "systemManager.errorCodes.create",
        json!({ "prefix": "SVC", "message": "Rate limit exceeded.", "details": "Too many calls." }),
    )
    .await;
    let second = ok(
        f,
        Who::Staff,
        "systemManager.errorCodes.create",
        json!({ "prefix": "SVC", "message": "Quota exceeded." }),
    )
    .await;
    assert_eq!(
        (first["name"].as_str(), second["name"].as_str()),
        (Some("SVC00001"), Some("SVC00002"))
    );
    let reserved = rpc(
        f,
        Who::Staff,
        "systemManager.errorCodes.create",
        json!({ "prefix": "MYC", "message": "x" }),
    )
    .await;
    assert_eq!(reserved["error"]["code"], -32602);
    let undeletable = rpc(
        f,
        Who::Staff,
        "systemManager.errorCodes.delete",
        json!({ "prefix": "MYC", "code": 19 }),
    )
    .await;
    assert_eq!(undeletable["error"]["code"], -32602, "{undeletable}");
    ok(
        f,
        Who::Staff,
        "systemManager.errorCodes.delete",
        json!({ "prefix": "SVC", "code": 2 }),
    )
    .await;
    let page = ok(
        f,
        Who::Staff,
        "systemManager.errorCodes.list",
        json!({ "prefix": "SVC" }),
    )
    .await;
    assert_eq!(page["count"], 1);
    // Reworded (say, localized), the native code's words reach the next refusal.
    ok(f, Who::Staff, "systemManager.errorCodes.updateMessageAndDetails", json!({ "prefix": "MYC", "code": 19, "message": "Acesso negado.", "details": "Seu perfil não permite." })).await;
    let refused = rpc(f, Who::User, "managers.tenants.list", json!({})).await;
    assert_eq!(refused["error"]["data"]["code"], "MYC00019");
    assert_eq!(
        refused["error"]["data"]["details"], "Acesso negado. Seu perfil não permite.",
        "{refused}"
    );
    let response = reqwest::Client::new()
        .get(format!("{}/_adm/managers/tenants", f.base))
        .bearer_auth(common::jwt("user@example.com"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["details"], "Acesso negado. Seu perfil não permite.",
        "{body}"
    );
}

/// The catalog lists what the host routes, filtered and paged.
async fn catalog(f: &Fixture) {
    let routes = ok(f, Who::Staff, "gatewayManager.routes.list", json!({})).await;
    assert_eq!(routes["records"][0]["path"], "/billing/*", "{routes}");
    let id = routes["records"][0]["id"].clone();
    let by_id = ok(
        f,
        Who::Staff,
        "gatewayManager.routes.list",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(by_id["count"], 1);
    let none = ok(
        f,
        Who::Staff,
        "gatewayManager.services.list",
        json!({ "name": "nothing" }),
    )
    .await;
    assert_eq!(none, Value::Null);
    // The tools agents are offered, from the discoverable services' OpenAPI documents.
    let tools = ok(
        f,
        Who::Staff,
        "gatewayManager.tools.list",
        json!({ "query": "INVOICE" }),
    )
    .await;
    assert_eq!(
        tools["records"][0]["name"], "billing__get__billing_invoices_id",
        "{tools}"
    );
    assert_eq!(tools["records"][0]["securityGroup"], "protected");
    let none = ok(
        f,
        Who::Staff,
        "gatewayManager.tools.list",
        json!({ "method": "POST" }),
    )
    .await;
    assert_eq!(none, Value::Null);
    // Discoverable services, for any signed-in caller, as agents see them.
    let found = ok(f, Who::User, "service.listDiscoverableServices", json!({})).await;
    let tool = &found["tools"][0];
    assert_eq!(tool["openapiPath"], "/billing/openapi.json", "{found}");
    assert_eq!(
        (tool["toolType"].as_str(), tool["capabilities"][0].as_str()),
        (Some("rest-api"), Some("invoices"))
    );
    assert_eq!(found["contexts"], json!([]));
    let none = ok(
        f,
        Who::User,
        "service.listDiscoverableServices",
        json!({ "name": "nothing" }),
    )
    .await;
    assert_eq!(none, Value::Null);
}

common::on_both_stores!(
    profile_status_and_meta,
    tenant_details,
    role_children,
    paging,
    flags_and_privileges,
    catalog,
    error_codes,
);
