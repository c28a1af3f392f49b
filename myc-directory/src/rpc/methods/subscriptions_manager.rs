//! `subscriptionsManager.*`: a tenant's accounts, the guests in them, roles and tags.

use serde_json::Value;

use super::s::*;
use super::{call, call_unit, invite, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, ParamSpec, Success, optional, required, rest};
use crate::usecase::subscriptions_manager as uc;
use crate::usecase::tenant_manager::{self as tags, TagAction};
use crate::usecase::{Caller, UseCaseError};

const GUEST: &[ParamSpec] = &[
    required("tenantId", uuid),
    required("accountId", uuid),
    required("roleId", uuid),
    required("email", email),
];
const ACCOUNT: &[ParamSpec] = &[required("tenantId", uuid), required("accountId", uuid)];

fn account_page() -> Value {
    page_of(account())
}
fn guest_page() -> Value {
    page_of(guest())
}
fn guests() -> Value {
    array_of(guest())
}
fn role_page() -> Value {
    page_of(role())
}
fn propagated() -> Value {
    object(&["account", "deliveries"])
}
fn account_details() -> Value {
    object(&["id", "name", "accountType", "owners", "tags", "meta"])
}

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "subscriptionsManager.accounts.createSubscriptionAccount",
        summary: "Create a subscription account in a tenant",
        params: &[required("tenantId", uuid), required("name", string)],
        result: account,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/subscriptions-manager/accounts",
            Success::Created,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.accounts.createRoleAssociatedAccount",
        summary: "Create an account tied to a role (its read and write guest roles made if missing)",
        params: &[
            required("tenantId", uuid),
            required("accountName", string),
            required("roleName", string),
            required("roleDescription", string),
        ],
        result: account,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/subscriptions-manager/accounts/role-associated",
            Success::Created,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.accounts.list",
        summary: "The tenant's accounts, filtered and paginated",
        params: &[
            required("tenantId", uuid),
            optional("term", string),
            optional("tagValue", string),
            optional("accountType", string),
            optional("pageSize", page_size),
            optional("skip", skip),
        ],
        result: account_page,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/subscriptions-manager/accounts", Success::Ok),
    },
    MethodSpec {
        name: "subscriptionsManager.accounts.get",
        summary: "One of the tenant's accounts with its tags and metadata",
        params: ACCOUNT,
        result: account_details,
        effect: Effect::Read,
        rest: rest(
            "GET",
            "/_adm/subscriptions-manager/accounts/{accountId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.accounts.updateNameAndFlags",
        summary: "Rename one of the tenant's accounts and/or set its flags",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            optional("name", string),
            optional("isActive", boolean),
            optional("isChecked", boolean),
            optional("isArchived", boolean),
        ],
        result: account,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/subscriptions-manager/accounts/{accountId}",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.accounts.propagateSubscriptionAccount",
        summary: "Send a subscription account to the webhooks of subscriptionAccount.created again",
        params: ACCOUNT,
        result: propagated,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/subscriptions-manager/accounts/{accountId}/propagate",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.guests.listLicensedAccountsOfEmail",
        summary: "An e-mail's guest relations in the tenant",
        params: &[
            required("tenantId", uuid),
            required("email", email),
            optional("wasVerified", boolean),
        ],
        result: guests,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/subscriptions-manager/guests", Success::Ok),
    },
    MethodSpec {
        name: "subscriptionsManager.guests.guestUserToSubscriptionAccount",
        summary: "Invite a user (by e-mail) into a subscription account with a guest role",
        params: GUEST,
        result: guest,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/subscriptions-manager/guests/accounts/{accountId}/roles/{roleId}",
            Success::CreatedUnlessExisting,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.guests.updateFlagsFromSubscriptionAccount",
        summary: "Set the permit and deny flags of an account's guests with a role",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            required("roleId", uuid),
            optional("permitFlags", strings),
            optional("denyFlags", strings),
        ],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/subscriptions-manager/guests/accounts/{accountId}/roles/{roleId}",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount",
        summary: "Revoke a user's guest relation to a subscription account",
        params: GUEST,
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/subscriptions-manager/guests/accounts/{accountId}/roles/{roleId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.guests.listGuestOnSubscriptionAccount",
        summary: "The guests of an account (pending and accepted), paginated",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            optional("pageSize", page_size),
            optional("skip", skip),
        ],
        result: guest_page,
        effect: Effect::Read,
        rest: rest(
            "GET",
            "/_adm/subscriptions-manager/guests/accounts/{accountId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.guestRoles.list",
        summary: "The guest roles guests can be given, paginated",
        params: &[
            required("tenantId", uuid),
            optional("name", string),
            optional("slug", string),
            optional("system", boolean),
            optional("pageSize", page_size),
            optional("skip", skip),
        ],
        result: role_page,
        effect: Effect::Read,
        rest: rest(
            "GET",
            "/_adm/subscriptions-manager/guest-roles",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.guestRoles.get",
        summary: "One guest role with its children",
        params: &[required("tenantId", uuid), required("id", uuid)],
        result: role,
        effect: Effect::Read,
        rest: rest(
            "GET",
            "/_adm/subscriptions-manager/guest-roles/{id}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.tags.create",
        summary: "Tag one of the tenant's accounts",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            required("value", string),
            optional("meta", string_map),
        ],
        result: tag,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/subscriptions-manager/tags", Success::Created),
    },
    MethodSpec {
        name: "subscriptionsManager.tags.update",
        summary: "Change a tag of one of the tenant's accounts",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            required("tagId", uuid),
            required("value", string),
            optional("meta", string_map),
        ],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "PUT",
            "/_adm/subscriptions-manager/tags/{tagId}",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "subscriptionsManager.tags.delete",
        summary: "Remove a tag of one of the tenant's accounts",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            required("tagId", uuid),
        ],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/subscriptions-manager/tags/{tagId}",
            Success::Ok,
        ),
    },
];

/// Account tags need the account.
fn with_account(params: &Value) -> Result<(), UseCaseError> {
    if params.get("accountId").is_none() {
        return Err(UseCaseError::InvalidParams(
            "missing field `accountId`".into(),
        ));
    }
    Ok(())
}

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    Ok(match name {
        "subscriptionsManager.accounts.createSubscriptionAccount" => {
            call!(uc::create_subscription_account, api, caller, params)
        }
        "subscriptionsManager.accounts.createRoleAssociatedAccount" => {
            call!(uc::create_role_associated_account, api, caller, params)
        }
        "subscriptionsManager.accounts.list" => call!(uc::list_accounts, api, caller, params),
        "subscriptionsManager.accounts.get" => call!(uc::get_account, api, caller, params),
        "subscriptionsManager.accounts.updateNameAndFlags" => {
            call!(uc::update_account, api, caller, params)
        }
        "subscriptionsManager.accounts.propagateSubscriptionAccount" => {
            call!(uc::propagate, api, caller, params)
        }
        "subscriptionsManager.guests.listLicensedAccountsOfEmail" => {
            call!(uc::licensed_accounts_of, api, caller, params)
        }
        "subscriptionsManager.guests.guestUserToSubscriptionAccount" => {
            invite!(uc::guest_user, api, caller, params)
        }
        "subscriptionsManager.guests.updateFlagsFromSubscriptionAccount" => {
            call_unit!(uc::update_guest_flags, api, caller, params)
        }
        "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount" => {
            call_unit!(uc::revoke_guest, api, caller, params)
        }
        "subscriptionsManager.guests.listGuestOnSubscriptionAccount" => {
            call!(uc::list_guests, api, caller, params)
        }
        "subscriptionsManager.guestRoles.list" => call!(uc::list_roles, api, caller, params),
        "subscriptionsManager.guestRoles.get" => call!(uc::get_role, api, caller, params),
        "subscriptionsManager.tags.create" => {
            with_account(&params)?;
            call!(tags::tag, api, caller, params, TagAction::Create)
        }
        "subscriptionsManager.tags.update" => {
            with_account(&params)?;
            call_unit!(tags::tag, api, caller, params, TagAction::Update)
        }
        "subscriptionsManager.tags.delete" => {
            with_account(&params)?;
            call_unit!(tags::tag, api, caller, params, TagAction::Delete)
        }
        other => return Err(unserved(other)),
    })
}
