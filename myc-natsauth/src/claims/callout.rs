//! Auth-callout request and response claims (nats-server 2.10+).

use serde::{Deserialize, Serialize};

use super::{NatsClaims, VERSION, generic_type, nats_claims};

/// The server asking.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerId {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Host.
    #[serde(default)]
    pub host: String,
    /// Server id (`N…`): the `aud` of the response.
    #[serde(default)]
    pub id: String,
    /// Version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Cluster.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Curve key to encrypt the response to.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub xkey: String,
}

/// The connecting client.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInformation {
    /// Client address.
    #[serde(default)]
    pub host: String,
    /// Connection id.
    #[serde(default)]
    pub id: u64,
    /// User.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Client name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Connection kind.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Client type.
    #[serde(default, rename = "type", skip_serializing_if = "String::is_empty")]
    pub client_type: String,
    /// The nonce the client signed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nonce: String,
}

/// What the client sent in CONNECT.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectOptions {
    /// User JWT.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jwt: String,
    /// Nkey.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nkey: String,
    /// Nonce signature.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sig: String,
    /// Token.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub auth_token: String,
    /// User name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub user: String,
    /// Password.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pass: String,
    /// Client name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Client language.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub lang: String,
    /// Client version.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// Protocol.
    #[serde(default)]
    pub protocol: i64,
}

/// `nats` of an `authorization_request` (server-signed, `N…`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// The server.
    pub server_id: ServerId,
    /// The user nkey the response must be about (`sub`).
    pub user_nkey: String,
    /// The client.
    pub client_info: ClientInformation,
    /// The client's CONNECT options.
    pub connect_opts: ConnectOptions,
    /// TLS details, when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_tls: Option<serde_json::Value>,
    /// Nonce.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub request_nonce: String,
    /// `authorization_request`.
    #[serde(rename = "type", default, deserialize_with = "generic_type")]
    pub claim_type: String,
    /// 2.
    #[serde(default)]
    pub version: i64,
}

nats_claims!(AuthorizationRequest, "authorization_request", [Server]);

/// `nats` of an `authorization_response` (signed by the callout account; `sub` = the user
/// nkey, `aud` = the server id): a user JWT, or an error.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationResponse {
    /// The user JWT to admit with.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub jwt: String,
    /// Why the user is refused.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
    /// The account, when signed by one of its signing keys.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    /// `authorization_response`.
    #[serde(rename = "type", default, deserialize_with = "generic_type")]
    pub claim_type: String,
    /// 2.
    #[serde(default)]
    pub version: i64,
}

impl AuthorizationResponse {
    /// Admit with `user_jwt`.
    pub fn allow(user_jwt: impl Into<String>) -> Self {
        Self {
            jwt: user_jwt.into(),
            claim_type: Self::TYPE.to_owned(),
            version: VERSION,
            ..Self::default()
        }
    }

    /// Refuse with `reason`.
    pub fn deny(reason: impl Into<String>) -> Self {
        Self {
            error: reason.into(),
            claim_type: Self::TYPE.to_owned(),
            version: VERSION,
            ..Self::default()
        }
    }
}

nats_claims!(AuthorizationResponse, "authorization_response", [Account]);
