//! `managers.*`: platform-wide operations of staff and manager accounts.

use serde_json::Value;

use super::s::*;
use super::{call, call_unit, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, Success, optional, required, rest};
use crate::usecase::managers as uc;
use crate::usecase::{Caller, UseCaseError};

fn tenant_page() -> Value {
    page_of(tenant())
}
fn roles() -> Value {
    array_of(role())
}

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "managers.accounts.createSystemAccount",
        summary: "Create an account standing for a system actor (gatewayManager, guestsManager, systemManager)",
        params: &[required("name", string), required("actor", string)],
        result: account,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/managers/accounts", Success::Created),
    },
    MethodSpec {
        name: "managers.guestRoles.createSystemRoles",
        summary: "Create the system guest roles that are missing (read and write each)",
        params: &[],
        result: roles,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/managers/guest-roles", Success::Created),
    },
    MethodSpec {
        name: "managers.tenants.list",
        summary: "List tenants (staff or manager)",
        params: &[
            optional("name", string),
            optional("pageSize", page_size),
            optional("skip", skip),
        ],
        result: tenant_page,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/managers/tenants", Success::Ok),
    },
    MethodSpec {
        name: "managers.tenants.create",
        summary: "Create a tenant, optionally owned (staff or manager)",
        params: &[
            required("name", string),
            optional("description", string),
            optional("ownerId", uuid),
        ],
        result: tenant,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/managers/tenants", Success::Created),
    },
    MethodSpec {
        name: "managers.tenants.delete",
        summary: "Delete a tenant with its accounts, guests, metadata and tags",
        params: &[required("id", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest("DELETE", "/_adm/managers/tenants/{id}", Success::Ok),
    },
    MethodSpec {
        name: "managers.tenants.includeTenantOwner",
        summary: "Make an owner (by owner id) an owner of a tenant",
        params: &[required("id", uuid), required("ownerId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/managers/tenants/{id}/owners/{ownerId}",
            Success::Created,
        ),
    },
    MethodSpec {
        name: "managers.tenants.excludeTenantOwner",
        summary: "Remove an owner from a tenant",
        params: &[required("id", uuid), required("ownerId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/managers/tenants/{id}/owners/{ownerId}",
            Success::Ok,
        ),
    },
];

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    Ok(match name {
        "managers.accounts.createSystemAccount" => {
            call!(uc::create_system_account, api, caller, params)
        }
        "managers.guestRoles.createSystemRoles" => {
            call!(uc::create_system_roles, api, caller, params)
        }
        "managers.tenants.list" => call!(uc::tenants_list, api, caller, params),
        "managers.tenants.create" => {
            let (tenant, _owner) =
                uc::tenants_create(api.store(), caller, super::decode(params)?).await?;
            super::encode(tenant)?
        }
        "managers.tenants.delete" => call_unit!(uc::tenants_delete, api, caller, params),
        "managers.tenants.includeTenantOwner" => {
            call_unit!(uc::tenant_owner, api, caller, params, true)
        }
        "managers.tenants.excludeTenantOwner" => {
            call_unit!(uc::tenant_owner, api, caller, params, false)
        }
        other => return Err(unserved(other)),
    })
}
