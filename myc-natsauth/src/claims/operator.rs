//! Operator claims.

use serde::{Deserialize, Serialize};

use super::{NatsClaims, VERSION, generic_type, is_false, nats_claims, null_as_empty};

/// The `nats` section of an operator JWT (self-signed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    /// Operator signing keys (`O…`) that may sign accounts.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub signing_keys: Vec<String>,
    /// Account server URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub account_server_url: String,
    /// Server URLs clients may use.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub operator_service_urls: Vec<String>,
    /// The system account (`A…`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub system_account: String,
    /// Minimum server version (e.g. `2.10.0`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub assert_server_version: String,
    /// Accounts must be signed by a signing key, not the identity key.
    #[serde(default, skip_serializing_if = "is_false")]
    pub strict_signing_key_usage: bool,
    /// Tags.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_empty"
    )]
    pub tags: Vec<String>,
    /// `operator`.
    #[serde(rename = "type", default, deserialize_with = "generic_type")]
    pub claim_type: String,
    /// 2.
    #[serde(default)]
    pub version: i64,
}

impl Default for Operator {
    fn default() -> Self {
        Self {
            signing_keys: Vec::new(),
            account_server_url: String::new(),
            operator_service_urls: Vec::new(),
            system_account: String::new(),
            assert_server_version: String::new(),
            strict_signing_key_usage: false,
            tags: Vec::new(),
            claim_type: Self::TYPE.to_owned(),
            version: VERSION,
        }
    }
}

nats_claims!(Operator, "operator", [Operator]);
