//! `tenantManager.*`: a tenant's managers.

use serde_json::Value;

use super::s::*;
use super::{call, call_unit, invite, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, Success, optional, required, rest};
use crate::usecase::tenant_manager::{self as uc, TagAction};
use crate::usecase::{Caller, UseCaseError};

fn tenant_details() -> Value {
    object(&[
        "id",
        "name",
        "owners",
        "meta",
        "tags",
        "isArchived",
        "isTrashed",
        "isVerified",
    ])
}

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "tenantManager.accounts.createSubscriptionManagerAccount",
        summary: "Create an account tied to the subscriptions-manager role",
        params: &[required("tenantId", uuid)],
        result: account,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/tenant-manager/accounts", Success::Created),
    },
    MethodSpec {
        name: "tenantManager.accounts.deleteSubscriptionAccount",
        summary: "Delete a subscription account and its guests",
        params: &[required("tenantId", uuid), required("accountId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/tenant-manager/accounts/{accountId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "tenantManager.guests.guestUserToSubscriptionManagerAccount",
        summary: "Invite a user into a subscriptions-manager account",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            required("email", email),
            required("permission", permission),
        ],
        result: guest,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/tenant-manager/guests/accounts/{accountId}",
            Success::CreatedUnlessExisting,
        ),
    },
    MethodSpec {
        name: "tenantManager.guests.revokeUserGuestToSubscriptionManagerAccount",
        summary: "Revoke a user's guest relation to a subscriptions-manager account",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            required("roleId", uuid),
            required("email", email),
        ],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/tenant-manager/guests/accounts/{accountId}/roles/{roleId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "tenantManager.tags.create",
        summary: "Tag the tenant",
        params: &[
            required("tenantId", uuid),
            required("value", string),
            optional("meta", string_map),
        ],
        result: tag,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/tenant-manager/tags", Success::Created),
    },
    MethodSpec {
        name: "tenantManager.tags.update",
        summary: "Change a tag of the tenant",
        params: &[
            required("tenantId", uuid),
            required("tagId", uuid),
            required("value", string),
            optional("meta", string_map),
        ],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "PUT",
            "/_adm/tenant-manager/tags/{tagId}",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "tenantManager.tags.delete",
        summary: "Remove a tag of the tenant",
        params: &[required("tenantId", uuid), required("tagId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest("DELETE", "/_adm/tenant-manager/tags/{tagId}", Success::Ok),
    },
    MethodSpec {
        name: "tenantManager.tenant.get",
        summary: "The tenant's details: owners, metadata, tags, status",
        params: &[required("tenantId", uuid)],
        result: tenant_details,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/tenant-manager/tenants", Success::Ok),
    },
];

/// Tenant tags take no `accountId`.
fn no_account(params: &Value) -> Result<(), UseCaseError> {
    if params.get("accountId").is_some() {
        return Err(UseCaseError::InvalidParams(
            "unknown field `accountId`".into(),
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
        "tenantManager.accounts.createSubscriptionManagerAccount" => {
            call!(uc::create_subscription_manager_account, api, caller, params)
        }
        "tenantManager.accounts.deleteSubscriptionAccount" => {
            call_unit!(uc::delete_subscription_account, api, caller, params)
        }
        "tenantManager.guests.guestUserToSubscriptionManagerAccount" => {
            invite!(uc::guest_to_manager_account, api, caller, params)
        }
        "tenantManager.guests.revokeUserGuestToSubscriptionManagerAccount" => {
            call_unit!(uc::revoke_from_manager_account, api, caller, params)
        }
        "tenantManager.tags.create" => {
            no_account(&params)?;
            call!(uc::tag, api, caller, params, TagAction::Create)
        }
        "tenantManager.tags.update" => {
            no_account(&params)?;
            call_unit!(uc::tag, api, caller, params, TagAction::Update)
        }
        "tenantManager.tags.delete" => {
            no_account(&params)?;
            call_unit!(uc::tag, api, caller, params, TagAction::Delete)
        }
        "tenantManager.tenant.get" => call!(uc::tenant_get, api, caller, params),
        other => return Err(unserved(other)),
    })
}
