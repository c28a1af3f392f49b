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

/// `managers.tenants.create`.
pub const MANAGERS_TENANTS_CREATE: &str = "managers.tenants.create";
/// `subscriptionsManager.accounts.createSubscriptionAccount`.
pub const SUBSCRIPTIONS_CREATE_ACCOUNT: &str =
    "subscriptionsManager.accounts.createSubscriptionAccount";
/// `subscriptionsManager.guests.guestUserToSubscriptionAccount`.
pub const SUBSCRIPTIONS_GUEST_USER: &str =
    "subscriptionsManager.guests.guestUserToSubscriptionAccount";
/// `subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount`.
pub const SUBSCRIPTIONS_REVOKE_GUEST: &str =
    "subscriptionsManager.guests.revokeUserGuestToSubscriptionAccount";
/// `beginners.guests.acceptInvitation`.
pub const BEGINNERS_ACCEPT_INVITATION: &str = "beginners.guests.acceptInvitation";

/// `guestManager.guestRoles.create`.
pub const GUEST_ROLES_CREATE: &str = "guestManager.guestRoles.create";
/// `guestManager.guestRoles.list`.
pub const GUEST_ROLES_LIST: &str = "guestManager.guestRoles.list";
/// `userManager.account.activate`.
pub const USERS_ACTIVATE: &str = "userManager.account.activate";
/// `userManager.account.deactivate`.
pub const USERS_DEACTIVATE: &str = "userManager.account.deactivate";
/// `beginners.tokens.create`.
pub const TOKENS_CREATE: &str = "beginners.tokens.create";
/// `beginners.tokens.list`.
pub const TOKENS_LIST: &str = "beginners.tokens.list";
/// `beginners.tokens.revoke`.
pub const TOKENS_REVOKE: &str = "beginners.tokens.revoke";

fn integer() -> Value {
    json!({ "type": "integer" })
}

fn scoped_roles() -> Value {
    json!({ "type": "array", "items": {
        "type": "object",
        "required": ["name"],
        "properties": { "name": { "type": "string" }, "permission": { "enum": [0, 1] } },
    }})
}

fn connection_string() -> Value {
    json!({ "type": "object", "required": ["connectionString"] })
}

fn tokens() -> Value {
    json!({ "type": "array", "items": {
        "type": "object",
        "required": ["id", "name", "created"],
    }})
}

/// `audit.resourceTrail.fetch`.
pub const AUDIT_TRAIL: &str = "audit.resourceTrail.fetch";

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

fn role() -> Value {
    json!({ "type": "object", "required": ["id", "slug", "name", "permission", "system"] })
}

fn roles() -> Value {
    json!({ "type": "array", "items": role() })
}

fn events() -> Value {
    json!({ "type": "array", "items": {
        "type": "object",
        "required": ["id", "at", "action", "detail"],
    }})
}

fn resource_type() -> Value {
    json!({ "enum": ["tenant", "account"] })
}

const fn optional(name: &'static str, schema: fn() -> Value) -> ParamSpec {
    ParamSpec {
        name,
        required: false,
        schema,
    }
}

fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

fn email() -> Value {
    json!({ "type": "string", "format": "email" })
}

fn permission() -> Value {
    json!({ "enum": [0, 1, "read", "write"] })
}

fn null() -> Value {
    json!({ "type": "null" })
}

fn tenant_record() -> Value {
    json!({ "type": "object", "required": ["id", "name", "created"] })
}

fn account_record() -> Value {
    json!({ "type": "object", "required": ["id", "name", "accountType", "created"] })
}

fn guest_record() -> Value {
    json!({ "type": "object", "required": ["email", "accountId", "roleId", "wasVerified"] })
}

const fn required(name: &'static str, schema: fn() -> Value) -> ParamSpec {
    ParamSpec {
        name,
        required: true,
        schema,
    }
}

const GUEST_PARAMS: &[ParamSpec] = &[
    required("tenantId", uuid),
    required("accountId", uuid),
    required("roleId", uuid),
    required("email", email),
];

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
        params: &[optional("withUrl", boolean)],
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
    MethodSpec {
        name: MANAGERS_TENANTS_CREATE,
        summary: "Create a tenant, optionally owned (staff or manager)",
        params: &[
            required("name", string),
            ParamSpec {
                name: "description",
                required: false,
                schema: string,
            },
            ParamSpec {
                name: "ownerId",
                required: false,
                schema: uuid,
            },
        ],
        result: tenant_record,
    },
    MethodSpec {
        name: SUBSCRIPTIONS_CREATE_ACCOUNT,
        summary: "Create a subscription account in a tenant",
        params: &[required("tenantId", uuid), required("name", string)],
        result: account_record,
    },
    MethodSpec {
        name: SUBSCRIPTIONS_GUEST_USER,
        summary: "Invite a user (by e-mail) into a subscription account with a guest role",
        params: GUEST_PARAMS,
        result: guest_record,
    },
    MethodSpec {
        name: SUBSCRIPTIONS_REVOKE_GUEST,
        summary: "Revoke a user's guest relation to a subscription account",
        params: GUEST_PARAMS,
        result: null,
    },
    MethodSpec {
        name: TOKENS_CREATE,
        summary: "Create a connection string for the caller's own account (shown once)",
        params: &[
            required("name", string),
            required("expiration", integer),
            optional("tenantId", uuid),
            optional("roles", scoped_roles),
        ],
        result: connection_string,
    },
    MethodSpec {
        name: TOKENS_LIST,
        summary: "The caller's connection strings (never their values)",
        params: &[],
        result: tokens,
    },
    MethodSpec {
        name: TOKENS_REVOKE,
        summary: "Revoke one of the caller's connection strings",
        params: &[required("tokenId", uuid)],
        result: null,
    },
    MethodSpec {
        name: GUEST_ROLES_CREATE,
        summary: "Create a guest role; its slug is derived from the name (staff or manager)",
        params: &[
            required("name", string),
            required("description", string),
            optional("permission", permission),
            optional("system", boolean),
        ],
        result: role,
    },
    MethodSpec {
        name: GUEST_ROLES_LIST,
        summary: "List guest roles (staff or manager)",
        params: &[
            optional("name", string),
            optional("slug", string),
            optional("system", boolean),
        ],
        result: roles,
    },
    MethodSpec {
        name: USERS_ACTIVATE,
        summary: "Activate an account (staff or manager)",
        params: &[required("accountId", uuid)],
        result: null,
    },
    MethodSpec {
        name: USERS_DEACTIVATE,
        summary: "Deactivate an account: refused on every non-public route (staff or manager)",
        params: &[required("accountId", uuid)],
        result: null,
    },
    MethodSpec {
        name: AUDIT_TRAIL,
        summary: "What happened to a tenant or an account, newest first (staff or manager)",
        params: &[
            required("resourceType", resource_type),
            required("resourceId", uuid),
        ],
        result: events,
    },
    MethodSpec {
        name: BEGINNERS_ACCEPT_INVITATION,
        summary: "Accept an invitation to a subscription account",
        params: &[
            required("accountId", uuid),
            required("guestRoleName", string),
            required("permission", permission),
        ],
        result: null,
    },
];

/// The spec of `name`, if it is served.
pub fn find(name: &str) -> Option<&'static MethodSpec> {
    METHODS.iter().find(|m| m.name == name)
}
