//! Account claims.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::user::{Permissions, UserPermissionLimits};
use super::{
    NO_LIMIT, NatsClaims, VERSION, generic_type, is_false, is_zero, is_zero_u64, null_as_empty,
};
use crate::KeyKind;

/// Stream or service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportType {
    /// Messages flow from exporter to importer.
    Stream,
    /// Request/reply into the exporter.
    Service,
}

/// How many replies a service import delivers across accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseType {
    /// Only the first reply (the default).
    Singleton,
    /// Every reply.
    Stream,
    /// Every reply, chunked.
    Chunked,
}

/// Latency tracking of a service export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLatency {
    /// Percentage 1–100, or `"headers"`.
    pub sampling: serde_json::Value,
    /// Subject results are published to.
    pub results: String,
}

/// Something an account offers to other accounts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Subject (may contain wildcards).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// Stream or service.
    #[serde(rename = "type")]
    pub export_type: ExportType,
    /// Importers need an activation token (private export).
    #[serde(default, skip_serializing_if = "is_false")]
    pub token_req: bool,
    /// Revoked activations: importer account → revoke tokens issued at or before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub revocations: BTreeMap<String, i64>,
    /// Service reply delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_type: Option<ResponseType>,
    /// How long a service may take to reply, in nanoseconds.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub response_threshold: i64,
    /// Latency tracking.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_latency: Option<ServiceLatency>,
    /// Position of the importer's account in the subject (1-based token index).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub account_token_position: u64,
    /// Listed to other accounts.
    #[serde(default, skip_serializing_if = "is_false")]
    pub advertise: bool,
    /// Message tracing allowed through it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_trace: bool,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Info URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub info_url: String,
}

impl Export {
    /// A public export of `subject`.
    pub fn new(
        name: impl Into<String>,
        subject: impl Into<String>,
        export_type: ExportType,
    ) -> Self {
        Self {
            name: name.into(),
            subject: subject.into(),
            export_type,
            token_req: false,
            revocations: BTreeMap::new(),
            response_type: None,
            response_threshold: 0,
            service_latency: None,
            account_token_position: 0,
            advertise: false,
            allow_trace: false,
            description: String::new(),
            info_url: String::new(),
        }
    }
}

/// Something an account takes from another account's export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Import {
    /// Name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The exporter's subject.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// The exporting account.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account: String,
    /// Activation token (for private exports).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub token: String,
    /// Deprecated rename target.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub to: String,
    /// Where it appears locally (services: what local users publish to).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub local_subject: String,
    /// Stream or service.
    #[serde(rename = "type")]
    pub import_type: ExportType,
    /// Share the importer's connection info with the service.
    #[serde(default, skip_serializing_if = "is_false")]
    pub share: bool,
    /// Message tracing allowed through it.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_trace: bool,
}

impl Import {
    /// An import of `subject` from `account`.
    pub fn new(
        name: impl Into<String>,
        account: impl Into<String>,
        subject: impl Into<String>,
        import_type: ExportType,
    ) -> Self {
        Self {
            name: name.into(),
            subject: subject.into(),
            account: account.into(),
            token: String::new(),
            to: String::new(),
            local_subject: String::new(),
            import_type,
            share: false,
            allow_trace: false,
        }
    }
}

/// JetStream limits (flat, or per replication tier). Omitted fields mean 0; JetStream is on
/// when memory or disk storage is non-zero.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JetStreamLimits {
    /// Memory storage bytes (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mem_storage: i64,
    /// Disk storage bytes (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub disk_storage: i64,
    /// Streams (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub streams: i64,
    /// Consumers (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub consumer: i64,
    /// Max ack pending per consumer (0 = server default).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub max_ack_pending: i64,
    /// Max bytes of one memory stream (0 = unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub mem_max_stream_bytes: i64,
    /// Max bytes of one disk stream (0 = unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub disk_max_stream_bytes: i64,
    /// Streams must declare max bytes.
    #[serde(default, skip_serializing_if = "is_false")]
    pub max_bytes_required: bool,
}

impl JetStreamLimits {
    /// Unlimited JetStream (memory, disk, streams and consumers -1).
    pub fn unlimited() -> Self {
        Self {
            mem_storage: NO_LIMIT,
            disk_storage: NO_LIMIT,
            streams: NO_LIMIT,
            consumer: NO_LIMIT,
            ..Self::default()
        }
    }

    /// True when these limits enable JetStream.
    pub fn is_enabled(&self) -> bool {
        self.mem_storage != 0 || self.disk_storage != 0
    }
}

/// Account limits: NATS, account and JetStream limits in one JSON object (Go's `OperatorLimits`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLimits {
    /// Max subscriptions (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub subs: i64,
    /// Max data bytes (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub data: i64,
    /// Max payload bytes (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub payload: i64,
    /// Max imports (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub imports: i64,
    /// Max exports (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub exports: i64,
    /// Wildcard exports allowed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub wildcards: bool,
    /// Refuse bearer users.
    #[serde(default, skip_serializing_if = "is_false")]
    pub disallow_bearer: bool,
    /// Max connections (-1 unlimited; **omitted = 0 = nobody connects**).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub conn: i64,
    /// Max leaf-node connections (-1 unlimited).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub leaf: i64,
    /// Flat JetStream limits (exclusive with `tiered_limits`).
    #[serde(flatten)]
    pub jetstream: JetStreamLimits,
    /// JetStream limits per replication tier (`R1`, `R3`, …).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tiered_limits: BTreeMap<String, JetStreamLimits>,
}

impl Default for AccountLimits {
    /// Go's `NewAccountClaims`: everything unlimited, wildcard exports allowed, JetStream off.
    fn default() -> Self {
        Self {
            subs: NO_LIMIT,
            data: NO_LIMIT,
            payload: NO_LIMIT,
            imports: NO_LIMIT,
            exports: NO_LIMIT,
            wildcards: true,
            disallow_bearer: false,
            conn: NO_LIMIT,
            leaf: NO_LIMIT,
            jetstream: JetStreamLimits::default(),
            tiered_limits: BTreeMap::new(),
        }
    }
}

impl AccountLimits {
    /// True when JetStream is enabled (flat, or in any tier).
    pub fn jetstream_enabled(&self) -> bool {
        self.jetstream.is_enabled() || self.tiered_limits.values().any(JetStreamLimits::is_enabled)
    }
}

/// A scoped signing key: users it signs get `template` and must carry no permissions or limits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserScope {
    /// `user_scope`.
    pub kind: String,
    /// The signing key (`A…`).
    pub key: String,
    /// A role name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub role: String,
    /// Permissions and limits every user of this key gets; subjects may use `{{name()}}`,
    /// `{{subject()}}`, `{{account-name()}}`, `{{account-subject()}}`, `{{tag(x)}}`,
    /// `{{account-tag(x)}}` as whole tokens.
    pub template: UserPermissionLimits,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl UserScope {
    /// A scope for `key` with `template`.
    pub fn new(
        key: impl Into<String>,
        role: impl Into<String>,
        template: UserPermissionLimits,
    ) -> Self {
        Self {
            kind: "user_scope".into(),
            key: key.into(),
            role: role.into(),
            template,
            description: String::new(),
        }
    }
}

/// An account signing key: plain (`"A…"`) or scoped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SigningKey {
    /// Signs users with their own permissions.
    Plain(String),
    /// Signs users that get the scope's template.
    Scoped(Box<UserScope>),
}

impl SigningKey {
    /// The public key.
    pub fn key(&self) -> &str {
        match self {
            Self::Plain(k) => k,
            Self::Scoped(s) => &s.key,
        }
    }
}

/// A weighted subject mapping destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeightedMapping {
    /// Destination subject.
    pub subject: String,
    /// Percentage (omitted = 100).
    #[serde(default, skip_serializing_if = "is_zero_u64")]
    pub weight: u64,
    /// Only in this cluster.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
}

/// The auth-callout block: which users are the callout service, which accounts it may place
/// users in, and the optional encryption key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalAuthorization {
    /// Users (`U…`) that run the callout service.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub auth_users: Vec<String>,
    /// Accounts (`A…` or `*`) the service may issue users for.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub allowed_accounts: Vec<String>,
    /// Curve key (`X…`) encrypting requests.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub xkey: String,
}

/// The `nats` section of an account JWT.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Imports (sorted on encode).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub imports: Vec<Import>,
    /// Exports (sorted on encode).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub exports: Vec<Export>,
    /// Limits (always written).
    #[serde(default = "missing_limits")]
    pub limits: AccountLimits,
    /// Signing keys (sorted by key on encode).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub signing_keys: Vec<SigningKey>,
    /// Revoked users: `U…` (or `*`) → revoke JWTs issued at or before.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub revocations: BTreeMap<String, i64>,
    /// Default permissions of users that set none.
    #[serde(default)]
    pub default_permissions: Permissions,
    /// Subject mappings.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mappings: BTreeMap<String, Vec<WeightedMapping>>,
    /// Auth callout.
    #[serde(default)]
    pub authorization: ExternalAuthorization,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Info URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub info_url: String,
    /// Tags.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub tags: Vec<String>,
    /// `account`.
    #[serde(rename = "type", default, deserialize_with = "generic_type")]
    pub claim_type: String,
    /// 2.
    #[serde(default)]
    pub version: i64,
}

/// A decoded account without `limits` has all-zero limits (nobody can connect), as in Go.
fn missing_limits() -> AccountLimits {
    AccountLimits {
        subs: 0,
        data: 0,
        payload: 0,
        imports: 0,
        exports: 0,
        wildcards: false,
        disallow_bearer: false,
        conn: 0,
        leaf: 0,
        jetstream: JetStreamLimits::default(),
        tiered_limits: BTreeMap::new(),
    }
}

impl Default for Account {
    /// Unlimited NATS and account limits, JetStream off, no imports, exports or signing keys.
    fn default() -> Self {
        Self {
            imports: Vec::new(),
            exports: Vec::new(),
            limits: AccountLimits::default(),
            signing_keys: Vec::new(),
            revocations: BTreeMap::new(),
            default_permissions: Permissions::default(),
            mappings: BTreeMap::new(),
            authorization: ExternalAuthorization::default(),
            description: String::new(),
            info_url: String::new(),
            tags: Vec::new(),
            claim_type: Self::TYPE.to_owned(),
            version: VERSION,
        }
    }
}

impl Account {
    /// Sorts imports, exports and signing keys as Go does before encoding.
    pub fn normalize(&mut self) {
        self.imports.sort_by(|a, b| {
            (&a.subject, a.import_type, &a.account).cmp(&(&b.subject, b.import_type, &b.account))
        });
        self.exports
            .sort_by(|a, b| (&a.subject, a.export_type).cmp(&(&b.subject, b.export_type)));
        self.signing_keys.sort_by(|a, b| a.key().cmp(b.key()));
    }

    /// The signing key entry for `key`, if listed.
    pub fn signing_key(&self, key: &str) -> Option<&SigningKey> {
        self.signing_keys.iter().find(|k| k.key() == key)
    }

    /// Revokes `user` (or `*` for everyone) for JWTs issued at or before `at`.
    pub fn revoke(&mut self, user: impl Into<String>, at: i64) {
        self.revocations.insert(user.into(), at);
    }

    /// True when a user JWT of `user` issued at `iat` is revoked.
    pub fn is_revoked(&self, user: &str, iat: i64) -> bool {
        [user, "*"]
            .iter()
            .any(|k| self.revocations.get(*k).is_some_and(|ts| *ts >= iat))
    }
}

impl NatsClaims for Account {
    const TYPE: &'static str = "account";
    const ISSUERS: &'static [KeyKind] = &[KeyKind::Operator, KeyKind::Account];
    fn claim_type(&self) -> &str {
        &self.claim_type
    }
    fn version(&self) -> i64 {
        self.version
    }
    fn normalize(&mut self) {
        Account::normalize(self);
    }
}
