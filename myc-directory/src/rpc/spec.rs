//! What a method is: its name, params, result, and where REST serves it. One table of these
//! ([`super::methods::all`]) drives `rpc.discover`, the JSON-RPC dispatcher's param checks and
//! the REST router, so the transports cannot drift apart.

use serde_json::{Value, json};

/// A param of a method.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// Its name (upstream's camelCase; REST path segments and query keys use it too).
    pub name: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// Its JSON Schema.
    pub schema: fn() -> Value,
}

/// How a REST endpoint answers success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Success {
    /// `200` with the result (`204` when it is `null`).
    Ok,
    /// `201` with the result.
    Created,
    /// `201` when the result says `"created": true`, else `200`.
    CreatedUnlessExisting,
    /// `202` with the result (empty when `null`).
    Accepted,
}

/// Where REST serves a method: `method` on `path` under `/_adm`, with `{param}` segments.
#[derive(Clone, Copy, Debug)]
pub struct Rest {
    /// The HTTP method.
    pub method: &'static str,
    /// The path; `{name}` segments bind the param of that name.
    pub path: &'static str,
    /// The success status.
    pub success: Success,
}

/// Whether a method changes the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// It only reads.
    Read,
    /// It writes: recorded in the audit trail, and cached profiles are forgotten after it.
    Write,
}

/// A method.
#[derive(Clone, Copy, Debug)]
pub struct MethodSpec {
    /// Its name (`namespace.group.action`; the namespace is the role it needs).
    pub name: &'static str,
    /// One line about it.
    pub summary: &'static str,
    /// Its named params.
    pub params: &'static [ParamSpec],
    /// The JSON Schema of its result.
    pub result: fn() -> Value,
    /// Whether it writes.
    pub effect: Effect,
    /// Its REST endpoint.
    pub rest: Rest,
}

impl MethodSpec {
    /// The spec of the param `name`, if the method has it.
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

pub(crate) const fn required(name: &'static str, schema: fn() -> Value) -> ParamSpec {
    ParamSpec {
        name,
        required: true,
        schema,
    }
}

pub(crate) const fn optional(name: &'static str, schema: fn() -> Value) -> ParamSpec {
    ParamSpec {
        name,
        required: false,
        schema,
    }
}

pub(crate) const fn rest(method: &'static str, path: &'static str, success: Success) -> Rest {
    Rest {
        method,
        path,
        success,
    }
}

/// JSON Schemas the specs share.
pub mod schema {
    use super::{Value, json};

    pub(crate) fn string() -> Value {
        json!({ "type": "string" })
    }
    pub(crate) fn boolean() -> Value {
        json!({ "type": "boolean" })
    }
    pub(crate) fn integer() -> Value {
        json!({ "type": "integer" })
    }
    pub(crate) fn uuid() -> Value {
        json!({ "type": "string", "format": "uuid" })
    }
    pub(crate) fn email() -> Value {
        json!({ "type": "string", "format": "email" })
    }
    pub(crate) fn permission() -> Value {
        json!({ "enum": [0, 1, "read", "write"] })
    }
    pub(crate) fn page_size() -> Value {
        json!({ "type": "integer", "minimum": 1, "maximum": 100 })
    }
    pub(crate) fn skip() -> Value {
        json!({ "type": "integer", "minimum": 0 })
    }
    pub(crate) fn null() -> Value {
        json!({ "type": "null" })
    }
    pub(crate) fn strings() -> Value {
        json!({ "type": "array", "items": { "type": "string" } })
    }
    pub(crate) fn string_map() -> Value {
        json!({ "type": "object", "additionalProperties": { "type": "string" } })
    }
    pub(crate) fn object(required: &[&str]) -> Value {
        json!({ "type": "object", "required": required })
    }
    pub(crate) fn array_of(items: Value) -> Value {
        json!({ "type": "array", "items": items })
    }
    pub(crate) fn page_of(items: Value) -> Value {
        json!({
            "oneOf": [
                { "type": "null" },
                {
                    "type": "object",
                    "required": ["count", "skip", "size", "records"],
                    "properties": {
                        "count": { "type": "integer" },
                        "skip": { "type": "integer" },
                        "size": { "type": "integer" },
                        "records": { "type": "array", "items": items },
                    },
                },
            ],
        })
    }
    pub(crate) fn tenant() -> Value {
        object(&["id", "name", "created"])
    }
    pub(crate) fn account() -> Value {
        object(&["id", "name", "accountType", "created"])
    }
    pub(crate) fn role() -> Value {
        object(&["id", "slug", "name", "permission", "system"])
    }
    pub(crate) fn tag() -> Value {
        object(&["id", "value"])
    }
    pub(crate) fn guest() -> Value {
        object(&["email", "accountId", "roleId", "wasVerified"])
    }
}
