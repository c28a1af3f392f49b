//! The admin API as an attacker tries it: raising oneself through the roles one holds,
//! crossing tenants, reading with a write-less licence, and smuggling a tenant past REST's
//! header — each refused on SQLite and PostgreSQL, and nothing changed by the attempt.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Fixture, Outcome, Who, guest, over_rest, over_rpc, rpc};
use myc_directory::rpc::codes;
use myc_profile::Permission;
use serde_json::{Value, json};

async fn role(f: &Fixture, slug: &str, permission: Permission) -> uuid::Uuid {
    f.store
        .guest_role_by(slug, permission)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Both transports refuse `method` for `who` with `expect`.
async fn refused(f: &Fixture, who: Who, method: &str, params: Value, expect: Outcome) {
    assert_eq!(
        over_rpc(f, who, method, &params).await,
        expect,
        "{method} as {who:?} (JSON-RPC)"
    );
    assert_eq!(
        over_rest(f, who, method, &params).await,
        expect,
        "{method} as {who:?} (REST)"
    );
}

/// A subscriptions manager cannot make anybody (itself included) a tenant manager or a
/// subscriptions manager, nor touch the management account.
async fn no_escalation_through_guests(f: &Fixture) {
    let tm = role(f, "tenant-manager", Permission::Write).await;
    let sm = role(f, "subscriptions-manager", Permission::Write).await;
    let t = f.initech;
    let sam = "sam@initech.test";
    for (account, role) in [
        (f.management, tm),
        (f.ops, tm),
        (f.ops, sm),
        (f.management, f.reader),
    ] {
        let params = json!({ "tenantId": t, "accountId": account, "roleId": role, "email": sam });
        let m = "subscriptionsManager.guests.guestUserToSubscriptionAccount";
        refused(
            f,
            Who::SubscriptionsManager,
            m,
            params.clone(),
            Outcome::Forbidden,
        )
        .await;
        let m = "accountManager.guests.guestToChildrenAccount";
        refused(f, Who::SubscriptionsManager, m, params, Outcome::Forbidden).await;
    }
    // Nor revoke the tenant's managers.
    let params = json!({ "tenantId": t, "accountId": f.management, "roleId": tm, "email": "tina@initech.test" });
    let m = "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount";
    refused(f, Who::SubscriptionsManager, m, params, Outcome::Forbidden).await;
    // None of it happened: Sam holds exactly the licence he had.
    let me = rpc(
        f,
        Who::SubscriptionsManager,
        "beginners.profile.get",
        json!({ "withUrl": false }),
    )
    .await;
    let licences = me["result"]["licensedResources"]["records"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(licences.len(), 1, "{licences:?}");
    assert_eq!(licences[0]["role"], "subscriptions-manager");
    // A tenant manager may do it (and the invitation stays pending until accepted).
    let params = json!({ "tenantId": t, "accountId": f.management, "roleId": tm, "email": "new@initech.test" });
    let answer = rpc(
        f,
        Who::TenantManager,
        "subscriptionsManager.guests.guestUserToSubscriptionAccount",
        params,
    )
    .await;
    assert_eq!(answer["result"]["wasVerified"], false, "{answer}");
}

/// Guests pass on only the children of a role they hold with write permission.
async fn children_only(f: &Fixture) {
    let t = f.initech;
    let params = |role: uuid::Uuid, email: &str| json!({ "tenantId": t, "accountId": f.ops, "roleId": role, "email": email });
    let m = "accountManager.guests.guestToChildrenAccount";
    // Rita reads as reader (no children); Wes, editor, may pass on reader but not editor.
    refused(
        f,
        Who::GuestRead,
        m,
        params(f.reader, "a@x.test"),
        Outcome::Forbidden,
    )
    .await;
    refused(
        f,
        Who::GuestWrite,
        m,
        params(f.editor, "b@x.test"),
        Outcome::Forbidden,
    )
    .await;
    assert!(rpc(f, Who::GuestWrite, m, params(f.reader, "c@x.test")).await["result"].is_object());
    // Not into another tenant's account, whatever the tenant named.
    let globex_ops = f
        .store
        .create_subscription_account(f.globex, "Globex sales")
        .await
        .unwrap()
        .id;
    let cross =
        json!({ "tenantId": t, "accountId": globex_ops, "roleId": f.reader, "email": "d@x.test" });
    assert_eq!(
        over_rpc(f, Who::GuestWrite, m, &cross).await,
        Outcome::Invalid
    );
    let other = json!({ "tenantId": f.globex, "accountId": globex_ops, "roleId": f.reader, "email": "d@x.test" });
    refused(f, Who::GuestWrite, m, other, Outcome::Forbidden).await;
}

/// A tenant's administrators reach nothing of another tenant, even naming their own tenant
/// with another tenant's account.
async fn tenants_stay_apart(f: &Fixture) {
    let globex_account = f
        .store
        .create_subscription_account(f.globex, "Globex billing")
        .await
        .unwrap()
        .id;
    for who in [Who::Owner, Who::TenantManager, Who::SubscriptionsManager] {
        let own_tenant = json!({ "tenantId": f.initech, "accountId": globex_account });
        for m in [
            "subscriptionsManager.accounts.get",
            "subscriptionsManager.guests.listGuestOnSubscriptionAccount",
            "tenantManager.accounts.deleteSubscriptionAccount",
        ] {
            // Subscriptions managers may not delete accounts at all.
            let expect = if who == Who::SubscriptionsManager && m.starts_with("tenantManager.") {
                Outcome::Forbidden
            } else {
                Outcome::Invalid
            };
            assert_eq!(
                over_rpc(f, who, m, &own_tenant).await,
                expect,
                "{m} as {who:?}"
            );
        }
        let theirs = json!({ "tenantId": f.globex });
        refused(
            f,
            who,
            "tenantManager.tenant.get",
            theirs.clone(),
            Outcome::Forbidden,
        )
        .await;
        refused(
            f,
            who,
            "subscriptionsManager.accounts.list",
            theirs,
            Outcome::Forbidden,
        )
        .await;
    }
    // The Globex account is still there.
    assert!(f.store.account_record(globex_account).await.is_ok());
}

/// A licence with read permission reads, never writes.
async fn read_is_read(f: &Fixture) {
    let read_tm = role(f, "tenant-manager", Permission::Read).await;
    common::user(&f.store, "ron@initech.test").await;
    guest(&f.store, f.management, "ron@initech.test", read_tm).await;
    f.auth.forget_everyone();
    let ron = "ron@initech.test";
    let call = |method: &str, params: Value| {
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": 1 });
        let f = &f;
        async move {
            reqwest::Client::new()
                .post(format!("{}/_adm/rpc", f.base))
                .bearer_auth(common::jwt(ron))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let got = call("tenantManager.tenant.get", json!({ "tenantId": f.initech })).await;
    assert_eq!(got["result"]["name"], "Initech", "{got}");
    let tagged = call(
        "tenantManager.tags.create",
        json!({ "tenantId": f.initech, "value": "x" }),
    )
    .await;
    assert_eq!(tagged["error"]["code"], codes::FORBIDDEN, "{tagged}");
}

/// REST takes the tenant from `x-mycelium-tenant-id`: a different `tenantId` in the body or
/// query is refused, not preferred.
async fn rest_tenant_cannot_be_smuggled(f: &Fixture) {
    let response = reqwest::Client::new()
        .post(format!("{}/_adm/subscriptions-manager/accounts", f.base))
        .bearer_auth(common::jwt("sam@initech.test"))
        .header("x-mycelium-tenant-id", f.initech.to_string())
        .json(&json!({ "tenantId": f.globex, "name": "smuggled" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let response = reqwest::Client::new()
        .get(format!(
            "{}/_adm/subscriptions-manager/accounts?tenantId={}",
            f.base, f.globex
        ))
        .bearer_auth(common::jwt("sam@initech.test"))
        .header("x-mycelium-tenant-id", f.initech.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // A param given twice (path and body) is refused too.
    let path = format!("{}/_adm/subscriptions-manager/accounts/{}", f.base, f.ops);
    let response = reqwest::Client::new()
        .patch(path)
        .bearer_auth(common::jwt("sam@initech.test"))
        .header("x-mycelium-tenant-id", f.initech.to_string())
        .json(&json!({ "accountId": f.management, "name": "hijack" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let management = f.store.account_record(f.management).await.unwrap();
    assert_eq!(management.name, "Initech management");
}

/// Staff privileges: nobody below staff grants them, and a manager cannot make itself staff.
async fn privileges_stay_put(f: &Fixture) {
    let me = f.account_of(Who::Manager).await;
    let up = json!({ "accountId": me, "to": "Staff" });
    refused(
        f,
        Who::Manager,
        "staff.accounts.upgradePrivileges",
        up,
        Outcome::Forbidden,
    )
    .await;
    let record = f.store.account_record(me).await.unwrap();
    assert_eq!(
        record.account_type, "user",
        "the manager fixture account stays as it was"
    );
    let profile = rpc(f, Who::Manager, "beginners.profile.get", json!({})).await;
    assert_eq!(profile["result"]["isStaff"], false);
}

/// A caller whose token verifies but who has no account may create its own account and do
/// nothing else before; the account is its e-mail's, whatever the params say.
async fn sign_up_is_all_an_unknown_caller_gets(f: &Fixture) {
    let post = |email: &'static str, method: &'static str, params: Value| {
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": 7 });
        let url = format!("{}/_adm/rpc", f.base);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .bearer_auth(common::jwt(email))
                .json(&body)
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
    let newcomer = "nina@newcomer.test";
    let (status, body) = post(newcomer, "beginners.profile.get", json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("MYT00406")),
        "{body}"
    );
    let (status, _) = post(newcomer, "managers.tenants.list", json!({})).await;
    assert_eq!(status, 401);
    // Over REST too, for anything but the sign-up endpoint.
    let response = reqwest::Client::new()
        .get(format!("{}/_adm/beginners/profile", f.base))
        .bearer_auth(common::jwt(newcomer))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // No e-mail of one's choosing.
    let (_, body) = post(
        newcomer,
        "beginners.accounts.create",
        json!({ "name": "Nina", "email": "staff@example.com" }),
    )
    .await;
    assert_eq!(body["error"]["code"], codes::INVALID_PARAMS, "{body}");
    let (_, body) = post(
        newcomer,
        "beginners.accounts.create",
        json!({ "name": "Nina" }),
    )
    .await;
    assert_eq!(body["result"]["name"], "Nina", "{body}");
    assert_eq!(body["result"]["accountType"], "user", "{body}");
    let (_, body) = post(newcomer, "beginners.profile.get", json!({})).await;
    assert_eq!(body["result"]["owners"][0]["email"], newcomer, "{body}");
    assert_eq!(body["result"]["isStaff"], false);
    // Once is enough, and the same over REST.
    let (_, body) = post(
        newcomer,
        "beginners.accounts.create",
        json!({ "name": "Again" }),
    )
    .await;
    assert_eq!(body["error"]["code"], codes::CONFLICT, "{body}");
    let response = reqwest::Client::new()
        .post(format!("{}/_adm/beginners/accounts", f.base))
        .bearer_auth(common::jwt("omar@newcomer.test"))
        .json(&json!({ "name": "Omar" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

common::on_both_stores!(
    no_escalation_through_guests,
    children_only,
    tenants_stay_apart,
    read_is_read,
    rest_tenant_cannot_be_smuggled,
    privileges_stay_put,
    sign_up_is_all_an_unknown_caller_gets,
);
