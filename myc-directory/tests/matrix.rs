//! The role matrix: every method of the admin API × every kind of caller, over JSON-RPC and
//! REST (same outcome both ways, and the documented one), on SQLite and on the machine's
//! PostgreSQL. Each call gets targets of its own (prepared straight in the store), so an
//! allowed call must succeed and a refused one must be refused for its role, not for
//! anything else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{CALLERS, Fixture, Outcome, SECRET, Who, over_rest, over_rpc, user};
use myc_directory::rpc::methods;
use myc_directory::store::{Store, TenantAccountKind, TokenRequest};
use myc_profile::Permission;
use serde_json::{Value, json};

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
        m if m.starts_with("rpc.") || m.starts_with("beginners.") || m.starts_with("service.") => {
            EVERYONE
        }
        m if m.starts_with("managers.")
            || m.starts_with("guestManager.")
            || m.starts_with("userManager.")
            || m.starts_with("audit.") =>
        {
            ADMINS
        }
        m if m.starts_with("gatewayManager.") => &[Staff, Manager, GuestWrite],
        m if m.starts_with("systemManager.") => ADMINS,
        m if m.starts_with("tenantOwner.") => OWNERS,
        m if m.starts_with("tenantManager.") => TENANT_ADMINS,
        m if m.starts_with("subscriptionsManager.") => TENANT_MANAGERS,
        other => panic!("no expectation for {other}"),
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
        | "service.listDiscoverableServices"
        | "beginners.profile.get"
        | "beginners.accounts.get"
        | "beginners.tokens.list"
        | "managers.guestRoles.createSystemRoles"
        | "managers.tenants.list"
        | "guestManager.guestRoles.list" => json!({}),
        "beginners.accounts.create" => json!({ "name": format!("Me {n}") }),
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
        "beginners.meta.create" => json!({ "key": format!("custom:k{n}"), "value": "v" }),
        "beginners.meta.update" => json!({ "key": "locale", "value": format!("v{n}") }),
        "beginners.meta.delete" => {
            let key = format!("custom:k{n}");
            s.put_account_meta(f.account_of(who).await, &key, "v", false)
                .await
                .unwrap();
            json!({ "key": key })
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
            // A tenant has one management account: a tenant of Olga's each time.
            let tenant = s
                .create_tenant(&format!("Olga mgmt {n}"), Some("olga@initech.test"), None)
                .await
                .unwrap()
                .id;
            let account = s
                .create_tenant_account(tenant, "mgmt", &TenantAccountKind::TenantManager)
                .await
                .unwrap();
            json!({ "tenantId": tenant, "accountId": account.id })
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
        "subscriptionsManager.accounts.propagateSubscriptionAccount" => {
            json!({ "tenantId": t, "accountId": f.ops })
        }
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
        "systemManager.webhooks.create" => json!({
            "name": format!("hook {n}"), "url": "http://127.0.0.1:9/hook",
            "trigger": "userAccount.created",
        }),
        "systemManager.webhooks.list" | "systemManager.webhooks.listDeliveries" => json!({}),
        "systemManager.errorCodes.create" => json!({ "prefix": "SVC", "message": format!("m{n}") }),
        "systemManager.errorCodes.list" => json!({ "prefix": "MYC" }),
        "systemManager.errorCodes.get" => json!({ "prefix": "MYC", "code": 19 }),
        "systemManager.errorCodes.updateMessageAndDetails" | "systemManager.errorCodes.delete" => {
            let code = s
                .create_error_code("SVC", "to change", None, false)
                .await
                .unwrap();
            let mut p = json!({ "prefix": "SVC", "code": code.code });
            if method.ends_with("Details") {
                p["message"] = json!(format!("changed {n}"));
            }
            p
        }
        "systemManager.webhooks.update" | "systemManager.webhooks.delete" => {
            let new = myc_directory::store::NewWebhook {
                name: "to change",
                description: None,
                url: "http://127.0.0.1:9/hook",
                trigger: "userAccount.deleted",
                method: "POST",
            };
            let hook = s
                .create_webhook(uuid::Uuid::new_v4(), &new, None)
                .await
                .unwrap();
            if method.ends_with("update") {
                json!({ "webhookId": hook.id, "isActive": false })
            } else {
                json!({ "webhookId": hook.id })
            }
        }
        "gatewayManager.services.list" => json!({ "name": "bill", "pageSize": 5 }),
        "gatewayManager.tools.list" => json!({ "query": "invoice", "method": "get" }),
        other => panic!("no params for {other}"),
    };
    // What was written straight to the store must be seen by the next request.
    f.auth.forget_everyone();
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
            } else if spec.name == "beginners.accounts.create" {
                // Every caller here has an account already.
                Outcome::Conflict
            } else if allowed.contains(&who) {
                Outcome::Done
            } else {
                Outcome::Forbidden
            };
            n += 1;
            let params = prepare(f, spec.name, who, n).await;
            let before = f.store.audit_count().await.unwrap();
            let rpc = over_rpc(f, who, spec.name, &params).await;
            let after = f.store.audit_count().await.unwrap();
            // Every change is in the audit trail; a read or a refusal writes nothing there.
            let audited = after > before;
            let writes = rpc == Outcome::Done && spec.effect == myc_directory::rpc::Effect::Write;
            if audited != writes {
                failures.push(format!(
                    "{} as {who:?}: {} audit events for {rpc:?}",
                    spec.name,
                    after - before
                ));
            }
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
