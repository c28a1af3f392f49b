//! `beginners.*`: what any signed-in caller does for itself.

use serde_json::Value;

use super::s::*;
use super::{call, call_unit, encode, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, Success, optional, required, rest};
use crate::usecase::beginners::{self as uc, MetaAction};
use crate::usecase::{Caller, UseCaseError, tokens};

fn profile() -> Value {
    serde_json::json!({
        "type": "object",
        "description": "the caller's profile, as injected in x-mycelium-profile",
        "required": ["accId", "owners", "isStaff", "isManager"],
    })
}
fn scoped_roles() -> Value {
    array_of(serde_json::json!({
        "type": "object",
        "required": ["name"],
        "properties": { "name": { "type": "string" }, "permission": { "enum": [0, 1] } },
    }))
}
fn connection_string() -> Value {
    object(&["connectionString"])
}
fn tokens() -> Value {
    array_of(object(&["id", "name", "created"]))
}
fn account_details() -> Value {
    object(&["id", "name", "accountType", "owners", "tags", "meta"])
}
fn public_info() -> Value {
    object(&["id", "name", "isVerified"])
}

const META: &[crate::rpc::ParamSpec] = &[required("key", string), required("value", string)];

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "beginners.profile.get",
        summary: "The caller's own resolved profile (tenants, roles, access scopes)",
        params: &[optional("withUrl", boolean)],
        result: profile,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/beginners/profile", Success::Ok),
    },
    MethodSpec {
        name: "beginners.accounts.create",
        summary: "Create the caller's own user account (a verified caller without one)",
        params: &[required("name", string)],
        result: account,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/accounts", Success::Created),
    },
    MethodSpec {
        name: "beginners.accounts.get",
        summary: "The caller's own account with its tags and metadata",
        params: &[],
        result: account_details,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/beginners/accounts", Success::Ok),
    },
    MethodSpec {
        name: "beginners.accounts.updateName",
        summary: "Rename the caller's own account",
        params: &[required("accountId", uuid), required("name", string)],
        result: account,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/beginners/accounts/{accountId}",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "beginners.accounts.delete",
        summary: "Delete the caller's own account (marked deleted and inactive)",
        params: &[required("accountId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/beginners/accounts/{accountId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.guests.acceptInvitation",
        summary: "Accept an invitation to a tenant's account",
        params: &[
            required("accountId", uuid),
            required("guestRoleName", string),
            required("permission", permission),
        ],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/beginners/guests/account/{accountId}/guest-role/{guestRoleName}/perm/{permission}/accept",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.meta.create",
        summary: "Add a metadata key to the caller's own account",
        params: META,
        result: null,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/meta", Success::Created),
    },
    MethodSpec {
        name: "beginners.meta.update",
        summary: "Set a metadata key of the caller's own account",
        params: META,
        result: null,
        effect: Effect::Write,
        rest: rest("PUT", "/_adm/beginners/meta", Success::Accepted),
    },
    MethodSpec {
        name: "beginners.meta.delete",
        summary: "Remove a metadata key of the caller's own account",
        params: &[required("key", string)],
        result: null,
        effect: Effect::Write,
        rest: rest("DELETE", "/_adm/beginners/meta/{key}", Success::Ok),
    },
    MethodSpec {
        name: "beginners.tenants.getPublicInfo",
        summary: "A tenant's name, description and verification",
        params: &[required("tenantId", uuid)],
        result: public_info,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/beginners/tenants/{tenantId}", Success::Ok),
    },
    MethodSpec {
        name: "beginners.tokens.create",
        summary: "Create a connection string for the caller's own account (shown once)",
        params: &[
            required("name", string),
            required("expiration", integer),
            optional("tenantId", uuid),
            optional("serviceAccountId", uuid),
            optional("roles", scoped_roles),
        ],
        result: connection_string,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/tokens", Success::Ok),
    },
    MethodSpec {
        name: "beginners.tokens.list",
        summary: "The caller's connection strings (never their values)",
        params: &[],
        result: tokens,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/beginners/tokens", Success::Ok),
    },
    MethodSpec {
        name: "beginners.tokens.revoke",
        summary: "Revoke one of the caller's connection strings",
        params: &[required("tokenId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/beginners/tokens/{tokenId}/revoke",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.tokens.delete",
        summary: "Delete one of the caller's connection strings",
        params: &[required("tokenId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest("DELETE", "/_adm/beginners/tokens/{tokenId}", Success::Ok),
    },
];

pub(super) async fn run(
    api: &Api,
    caller: &Caller,
    name: &str,
    params: Value,
) -> Result<Value, UseCaseError> {
    Ok(match name {
        "beginners.profile.get" => encode(uc::profile_get(caller, super::decode(params)?)?)?,
        "beginners.accounts.create" => {
            super::decode::<uc::CreateAccount>(params)?;
            return Err(UseCaseError::Conflict(
                "the caller has an account already".into(),
            ));
        }
        "beginners.accounts.get" => call!(uc::account_get, api, caller, params),
        "beginners.accounts.updateName" => call!(uc::account_update_name, api, caller, params),
        "beginners.accounts.delete" => call_unit!(uc::account_delete, api, caller, params),
        "beginners.guests.acceptInvitation" => {
            call_unit!(uc::accept_invitation, api, caller, params)
        }
        "beginners.meta.create" => call_unit!(uc::meta, api, caller, params, MetaAction::Create),
        "beginners.meta.update" => call_unit!(uc::meta, api, caller, params, MetaAction::Update),
        "beginners.meta.delete" => call_unit!(uc::meta, api, caller, params, MetaAction::Delete),
        "beginners.tenants.getPublicInfo" => call!(uc::tenant_public_info, api, caller, params),
        "beginners.tokens.create" => {
            let value =
                tokens::create(api.store(), api.keyring()?, caller, super::decode(params)?).await?;
            serde_json::json!({ "connectionString": value.as_str() })
        }
        "beginners.tokens.list" => {
            super::decode::<serde_json::Map<String, Value>>(params)?;
            encode(tokens::list(api.store(), caller).await?)?
        }
        "beginners.tokens.revoke" => call_unit!(tokens::revoke, api, caller, params),
        "beginners.tokens.delete" => call_unit!(tokens::delete, api, caller, params),
        other => return Err(unserved(other)),
    })
}
