//! `accountManager.*`: guests whose role has children guest others with those.

use serde_json::Value;

use super::s::*;
use super::{call, invite, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, Success, optional, required, rest};
use crate::usecase::account_manager as uc;
use crate::usecase::{Caller, UseCaseError};

fn role_page() -> Value {
    page_of(role())
}

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "accountManager.guests.guestToChildrenAccount",
        summary: "Invite a user into one of the tenant's accounts with a child of a role the caller holds",
        params: &[
            required("tenantId", uuid),
            required("accountId", uuid),
            required("roleId", uuid),
            required("email", email),
        ],
        result: guest,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/account-manager/guests/accounts/{accountId}/roles/{roleId}",
            Success::CreatedUnlessExisting,
        ),
    },
    MethodSpec {
        name: "accountManager.guestRoles.listGuestRoles",
        summary: "Guest roles, for guests of the tenant",
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
        rest: rest("GET", "/_adm/account-manager/guest-roles", Success::Ok),
    },
    MethodSpec {
        name: "accountManager.guestRoles.fetchGuestRoleDetails",
        summary: "One guest role with its children, for guests of the tenant",
        params: &[required("tenantId", uuid), required("id", uuid)],
        result: role,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/account-manager/guest-roles/{id}", Success::Ok),
    },
];

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    Ok(match name {
        "accountManager.guests.guestToChildrenAccount" => {
            invite!(uc::guest_to_children, api, caller, params)
        }
        "accountManager.guestRoles.listGuestRoles" => call!(uc::list_roles, api, caller, params),
        "accountManager.guestRoles.fetchGuestRoleDetails" => {
            call!(uc::fetch_role, api, caller, params)
        }
        other => return Err(unserved(other)),
    })
}
