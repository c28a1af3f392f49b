//! The methods served, with their params and result schemas (what `rpc.discover` lists).

use serde_json::{Value, json};

/// A param of a method.
#[derive(Clone, Copy, Debug)]
pub struct ParamSpec {
    /// Its name (upstream's camelCase).
    pub name: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// Its JSON Schema.
    pub schema: fn() -> Value,
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
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn page_size() -> Value {
    json!({ "type": "integer", "minimum": 1, "maximum": 100 })
}

fn skip() -> Value {
    json!({ "type": "integer", "minimum": 0 })
}

fn openrpc_document() -> Value {
    json!({ "type": "object", "description": "an OpenRPC 1.3 document" })
}

fn profile() -> Value {
    json!({
        "type": "object",
        "description": "the caller's profile, as injected in x-mycelium-profile",
        "required": ["accId", "owners", "isStaff", "isManager"],
    })
}

fn tenant_page() -> Value {
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
                    "records": { "type": "array", "items": {
                        "type": "object",
                        "required": ["id", "name", "created"],
                        "properties": {
                            "id": { "type": "string", "format": "uuid" },
                            "name": { "type": "string" },
                            "created": { "type": "string", "format": "date-time" },
                        },
                    }},
                },
            },
        ],
    })
}

/// `rpc.discover`.
pub const RPC_DISCOVER: &str = "rpc.discover";
/// `beginners.profile.get`.
pub const BEGINNERS_PROFILE_GET: &str = "beginners.profile.get";
/// `managers.tenants.list`.
pub const MANAGERS_TENANTS_LIST: &str = "managers.tenants.list";

/// Every method served, `rpc.discover` first.
pub const METHODS: &[MethodSpec] = &[
    MethodSpec {
        name: RPC_DISCOVER,
        summary: "This server's OpenRPC document",
        params: &[],
        result: openrpc_document,
    },
    MethodSpec {
        name: BEGINNERS_PROFILE_GET,
        summary: "The caller's own resolved profile (tenants, roles, access scopes)",
        params: &[],
        result: profile,
    },
    MethodSpec {
        name: MANAGERS_TENANTS_LIST,
        summary: "List tenants (staff or manager)",
        params: &[
            ParamSpec {
                name: "name",
                required: false,
                schema: string,
            },
            ParamSpec {
                name: "pageSize",
                required: false,
                schema: page_size,
            },
            ParamSpec {
                name: "skip",
                required: false,
                schema: skip,
            },
        ],
        result: tenant_page,
    },
];

/// The spec of `name`, if it is served.
pub fn find(name: &str) -> Option<&'static MethodSpec> {
    METHODS.iter().find(|m| m.name == name)
}
