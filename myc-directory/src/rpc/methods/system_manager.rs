//! `systemManager.*`: outbound webhooks and the error-code registry.

use serde_json::Value;

use super::s::*;
use super::{decode, encode, unserved};
use crate::rpc::Api;
use crate::rpc::spec::{Effect, MethodSpec, Success, optional, required, rest};
use crate::usecase::system_manager as uc;
use crate::usecase::{Caller, UseCaseError};

fn webhook() -> Value {
    object(&[
        "id",
        "name",
        "url",
        "trigger",
        "method",
        "isActive",
        "hasSecret",
    ])
}
fn webhooks() -> Value {
    page_of(webhook())
}
fn deliveries() -> Value {
    array_of(object(&["id", "webhookId", "event", "status", "attempts"]))
}
fn trigger() -> Value {
    serde_json::json!({ "enum": crate::webhooks::EVENTS })
}
fn method() -> Value {
    serde_json::json!({ "enum": ["POST", "PUT", "PATCH", "DELETE"] })
}
fn http_secret() -> Value {
    serde_json::json!({
        "description": "{\"authorizationHeader\": {\"headerName\"?, \"prefix\"?, \"token\"}} or {\"queryParameter\": {\"name\", \"token\"}}",
        "type": "object",
    })
}
fn delivery_status() -> Value {
    serde_json::json!({ "enum": ["pending", "delivered", "failed"] })
}

fn error_code() -> Value {
    object(&[
        "prefix",
        "code",
        "name",
        "message",
        "isInternal",
        "isNative",
    ])
}
fn error_codes() -> Value {
    page_of(error_code())
}
fn prefix() -> Value {
    serde_json::json!({ "type": "string", "pattern": "^[A-Z]{3}$" })
}

const CODE: &[crate::rpc::ParamSpec] = &[required("prefix", prefix), required("code", integer)];

pub(super) const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "systemManager.errorCodes.create",
        summary: "Register a custom error code; its number is the next under the prefix",
        params: &[
            required("prefix", prefix),
            required("message", string),
            optional("details", string),
            optional("isInternal", boolean),
        ],
        result: error_code,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/system-manager/error-codes", Success::Created),
    },
    MethodSpec {
        name: "systemManager.errorCodes.list",
        summary: "Error codes, native and custom",
        params: &[
            optional("prefix", prefix),
            optional("code", integer),
            optional("isInternal", boolean),
            optional("pageSize", page_size),
            optional("skip", skip),
        ],
        result: error_codes,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/system-manager/error-codes", Success::Ok),
    },
    MethodSpec {
        name: "systemManager.errorCodes.get",
        summary: "One error code",
        params: CODE,
        result: error_code,
        effect: Effect::Read,
        rest: rest(
            "GET",
            "/_adm/system-manager/error-codes/{prefix}/{code}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "systemManager.errorCodes.updateMessageAndDetails",
        summary: "Reword an error code (native ones too)",
        params: &[
            required("prefix", prefix),
            required("code", integer),
            required("message", string),
            optional("details", string),
        ],
        result: error_code,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/system-manager/error-codes/{prefix}/{code}",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "systemManager.errorCodes.delete",
        summary: "Remove a custom error code (native ones stay)",
        params: CODE,
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/system-manager/error-codes/{prefix}/{code}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "systemManager.webhooks.create",
        summary: "Register an outbound webhook; its signing secret is shown this once",
        params: &[
            required("name", string),
            optional("description", string),
            required("url", string),
            required("trigger", trigger),
            optional("method", method),
            optional("secret", http_secret),
            optional("isActive", boolean),
        ],
        result: webhook,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/system-manager/webhooks", Success::Created),
    },
    MethodSpec {
        name: "systemManager.webhooks.list",
        summary: "Registered webhooks (never their secrets)",
        params: &[
            optional("name", string),
            optional("trigger", trigger),
            optional("pageSize", page_size),
            optional("skip", skip),
        ],
        result: webhooks,
        effect: Effect::Read,
        rest: rest("GET", "/_adm/system-manager/webhooks", Success::Ok),
    },
    MethodSpec {
        name: "systemManager.webhooks.update",
        summary: "Rename, redescribe, (de)activate a webhook or change its credential",
        params: &[
            required("webhookId", uuid),
            optional("name", string),
            optional("description", string),
            optional("secret", http_secret),
            optional("isActive", boolean),
        ],
        result: webhook,
        effect: Effect::Write,
        rest: rest(
            "PATCH",
            "/_adm/system-manager/webhooks/{webhookId}",
            Success::Accepted,
        ),
    },
    MethodSpec {
        name: "systemManager.webhooks.delete",
        summary: "Remove a webhook and its deliveries",
        params: &[required("webhookId", uuid)],
        result: null,
        effect: Effect::Write,
        rest: rest(
            "DELETE",
            "/_adm/system-manager/webhooks/{webhookId}",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "systemManager.webhooks.listDeliveries",
        summary: "Deliveries, newest first: pending, delivered or given up (beyond upstream)",
        params: &[
            optional("webhookId", uuid),
            optional("status", delivery_status),
            optional("limit", integer),
        ],
        result: deliveries,
        effect: Effect::Read,
        rest: rest(
            "GET",
            "/_adm/system-manager/webhooks/deliveries",
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
    let store = api.store();
    let keys = api.webhook_keys();
    match name {
        "systemManager.errorCodes.create" => {
            encode(uc::create_error_code(store, caller, decode(params)?).await?)
        }
        "systemManager.errorCodes.list" => {
            encode(uc::list_error_codes(store, caller, decode(params)?).await?)
        }
        "systemManager.errorCodes.get" => {
            encode(uc::get_error_code(store, caller, decode(params)?).await?)
        }
        "systemManager.errorCodes.updateMessageAndDetails" => {
            encode(uc::reword_error_code(store, caller, decode(params)?).await?)
        }
        "systemManager.errorCodes.delete" => {
            uc::delete_error_code(store, caller, decode(params)?).await?;
            Ok(Value::Null)
        }
        "systemManager.webhooks.create" => {
            encode(uc::create(store, keys, caller, decode(params)?).await?)
        }
        "systemManager.webhooks.list" => encode(uc::list(store, caller, decode(params)?).await?),
        "systemManager.webhooks.update" => {
            encode(uc::update(store, keys, caller, decode(params)?).await?)
        }
        "systemManager.webhooks.delete" => {
            uc::delete(store, caller, decode(params)?).await?;
            Ok(Value::Null)
        }
        "systemManager.webhooks.listDeliveries" => {
            encode(uc::deliveries(store, caller, decode(params)?).await?)
        }
        other => Err(unserved(other)),
    }
}
