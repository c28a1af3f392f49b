//! `guestManager.*`: the guest roles routes and licences name (staff or manager).

use serde_json::Value;

use super::s::*;
use super::{call, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, ParamSpec, Success, optional, required, rest};
use crate::usecase::guests_manager as uc;
use crate::usecase::{Caller, UseCaseError};

fn roles() -> Value {
    array_of(role())
}

const CHILD: &[ParamSpec] = &[required("guestRoleId", uuid), required("childId", uuid)];

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "guestManager.guestRoles.create",
        summary: "Create a guest role; its slug is derived from the name",
        params: &[
            required("name", string),
            required("description", string),
            optional("permission", permission),
            optional("system", boolean),
        ],
        result: role,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/guest-manager/guest-roles", Success::Created),
    },
    MethodSpec {
        name: "guestManager.guestRoles.list",
        summary: "List guest roles",
        params: &[
            optional("name", string),
            optional("slug", string),
            optional("system", boolean),
        ],
        result: roles,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/guest-manager/guest-roles", Success::Ok),
    },
    MethodSpec {
        name: "guestManager.guestRoles.delete",
        summary: "Delete a guest role and every guest relation with it",
        params: &[required("guestRoleId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/guest-manager/guest-roles/{guestRoleId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "guestManager.guestRoles.updateNameAndDescription",
        summary: "Rename (the slug follows) and/or redescribe a guest role",
        params: &[
            required("guestRoleId", uuid),
            optional("name", string),
            optional("description", string),
        ],
        result: role,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/guest-manager/guest-roles/{guestRoleId}",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "guestManager.guestRoles.updatePermission",
        summary: "Change a guest role's permission (every licence with it follows)",
        params: &[
            required("guestRoleId", uuid),
            required("permission", permission),
        ],
        result: role,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/guest-manager/guest-roles/{guestRoleId}/permission",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "guestManager.guestRoles.insertRoleChild",
        summary: "Make a role a child of another (holders may guest with it); no cycles",
        params: CHILD,
        result: role,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/guest-manager/guest-roles/{guestRoleId}/children/{childId}",
            Success::Created,
        ),
    },
    MethodSpec {
        name: "guestManager.guestRoles.removeRoleChild",
        summary: "Remove a child role",
        params: CHILD,
        result: role,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/guest-manager/guest-roles/{guestRoleId}/children/{childId}",
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
        "guestManager.guestRoles.create" => call!(uc::create_guest_role, api, caller, params),
        "guestManager.guestRoles.list" => call!(uc::list_guest_roles, api, caller, params),
        "guestManager.guestRoles.delete" => {
            uc::delete_guest_role(api.store(), caller, super::decode(params)?).await?;
            Value::Null
        }
        "guestManager.guestRoles.updateNameAndDescription" => {
            call!(uc::update_guest_role, api, caller, params)
        }
        "guestManager.guestRoles.updatePermission" => {
            call!(uc::update_permission, api, caller, params)
        }
        "guestManager.guestRoles.insertRoleChild" => {
            call!(uc::role_child, api, caller, params, true)
        }
        "guestManager.guestRoles.removeRoleChild" => {
            call!(uc::role_child, api, caller, params, false)
        }
        other => return Err(unserved(other)),
    })
}
