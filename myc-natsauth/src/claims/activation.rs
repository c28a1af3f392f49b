//! Activation claims: permission for one account to import another's private export.

use serde::{Deserialize, Serialize};

use super::account::ExportType;
use super::{NatsClaims, VERSION, generic_type, nats_claims};

/// The `nats` section of an activation JWT (`sub` = importing account, `iss` = exporter).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    /// The exported subject.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subject: String,
    /// Stream or service.
    pub kind: ExportType,
    /// The exporting account, when signed by one of its signing keys.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub issuer_account: String,
    /// `activation`.
    #[serde(rename = "type", default, deserialize_with = "generic_type")]
    pub claim_type: String,
    /// 2.
    #[serde(default)]
    pub version: i64,
}

impl Activation {
    /// An activation for `subject` of kind `kind`.
    pub fn new(subject: impl Into<String>, kind: ExportType) -> Self {
        Self {
            subject: subject.into(),
            kind,
            issuer_account: String::new(),
            claim_type: Self::TYPE.to_owned(),
            version: VERSION,
        }
    }
}

nats_claims!(Activation, "activation", [Account, Operator]);
