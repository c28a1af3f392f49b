//! User claims.

use serde::{Deserialize, Deserializer, Serialize};

use super::{
    NO_LIMIT, NatsClaims, VERSION, generic_type, is_false, is_zero, nats_claims, null_as_empty,
};

/// Allow and deny subject lists (a subscribe entry may be `"subject queue"`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// Allowed subjects.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub allow: Vec<String>,
    /// Denied subjects (deny wins).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub deny: Vec<String>,
}

impl Permission {
    /// True when neither list has entries.
    pub fn is_empty(&self) -> bool {
        self.allow.is_empty() && self.deny.is_empty()
    }
}

/// Lets a user answer requests it received without publish permission on the reply subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponsePermission {
    /// Replies allowed per request (-1 unlimited).
    pub max: i64,
    /// How long the reply subject stays allowed, in nanoseconds (0 = no limit).
    pub ttl: i64,
}

/// Publish, subscribe and response permissions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permissions {
    /// Publish.
    #[serde(rename = "pub", default)]
    pub publish: Permission,
    /// Subscribe.
    #[serde(rename = "sub", default)]
    pub subscribe: Permission,
    /// Responses.
    #[serde(rename = "resp", default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponsePermission>,
}

impl Permissions {
    /// True when nothing is set.
    pub fn is_empty(&self) -> bool {
        self.publish.is_empty() && self.subscribe.is_empty() && self.response.is_none()
    }
}

/// A daily time window (`HH:MM:SS`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Start.
    pub start: String,
    /// End.
    pub end: String,
}

/// `src` is an array of CIDRs; Go's decoder also reads a comma-separated string.
fn cidr_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => Vec::new(),
        Some(Either::List(v)) => v,
        Some(Either::Text(t)) => t
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// Permissions and limits of a user (also the template of a scoped signing key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPermissionLimits {
    /// Permissions (flattened into the JSON).
    #[serde(flatten)]
    pub permissions: Permissions,
    /// Allowed client CIDRs.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "cidr_list"
    )]
    pub src: Vec<String>,
    /// Allowed daily time windows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub times: Vec<TimeRange>,
    /// IANA zone of `times`.
    #[serde(
        default,
        rename = "times_location",
        skip_serializing_if = "String::is_empty"
    )]
    pub times_location: String,
    /// Max subscriptions (-1 unlimited; omitted = 0).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub subs: i64,
    /// Max data bytes (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub data: i64,
    /// Max payload bytes (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub payload: i64,
    /// Connect without signing the nonce.
    #[serde(default, skip_serializing_if = "is_false")]
    pub bearer_token: bool,
    /// Must connect through a proxy (jwt v2.8).
    #[serde(default, skip_serializing_if = "is_false")]
    pub proxy_required: bool,
    /// Allowed connection types (`STANDARD`, `WEBSOCKET`, `LEAFNODE`, …).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub allowed_connection_types: Vec<String>,
}

impl Default for UserPermissionLimits {
    /// No permissions set, unlimited subs/data/payload (Go's `NewUserClaims`), bearer off.
    fn default() -> Self {
        Self {
            permissions: Permissions::default(),
            src: Vec::new(),
            times: Vec::new(),
            times_location: String::new(),
            subs: NO_LIMIT,
            data: NO_LIMIT,
            payload: NO_LIMIT,
            bearer_token: false,
            proxy_required: false,
            allowed_connection_types: Vec::new(),
        }
    }
}

impl UserPermissionLimits {
    /// Nothing set at all: what a user of a *scoped* signing key must carry.
    pub fn none() -> Self {
        Self {
            subs: 0,
            data: 0,
            payload: 0,
            ..Self::default()
        }
    }

    /// True when no permission or limit is set (scoped-key users must be like this).
    pub fn is_empty(&self) -> bool {
        *self == Self::none()
    }
}

/// The `nats` section of a user JWT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Permissions and limits.
    #[serde(flatten)]
    pub limits: UserPermissionLimits,
    /// The account, when signed by one of its signing keys.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    /// Tags.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub tags: Vec<String>,
    /// `user`.
    #[serde(rename = "type", default, deserialize_with = "generic_type")]
    pub claim_type: String,
    /// 2.
    #[serde(default)]
    pub version: i64,
}

impl Default for User {
    /// Unlimited subs/data/payload, no permissions set (all subjects allowed), bearer off.
    fn default() -> Self {
        Self {
            limits: UserPermissionLimits::default(),
            issuer_account: String::new(),
            tags: Vec::new(),
            claim_type: Self::TYPE.to_owned(),
            version: VERSION,
        }
    }
}

impl User {
    /// A user for a scoped signing key: no permissions and no limits (the scope's template
    /// applies), signed on behalf of `issuer_account`.
    pub fn scoped(issuer_account: impl Into<String>) -> Self {
        Self {
            limits: UserPermissionLimits::none(),
            issuer_account: issuer_account.into(),
            ..Self::default()
        }
    }
}

nats_claims!(User, "user", [Account]);
