//! Generic claims (e.g. the operator-signed body of `$SYS.REQ.CLAIMS.DELETE`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{NatsClaims, VERSION};
use crate::KeyKind;

/// An arbitrary `nats` map; `version` is set to 2 on creation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Generic(pub BTreeMap<String, serde_json::Value>);

impl Default for Generic {
    fn default() -> Self {
        Self(BTreeMap::from([(
            "version".to_owned(),
            serde_json::Value::from(VERSION),
        )]))
    }
}

impl Generic {
    /// The body that deletes `accounts` from a full resolver (`$SYS.REQ.CLAIMS.DELETE`).
    pub fn delete_accounts(accounts: &[String]) -> Self {
        let mut map = Self::default().0;
        map.insert("accounts".into(), serde_json::json!(accounts));
        Self(map)
    }
}

impl Eq for Generic {}

impl NatsClaims for Generic {
    const TYPE: &'static str = "generic";
    const ISSUERS: &'static [KeyKind] = &[];
    fn claim_type(&self) -> &str {
        self.0
            .get("type")
            .and_then(|v| v.as_str())
            .unwrap_or(Self::TYPE)
    }
    fn version(&self) -> i64 {
        self.0
            .get("version")
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(VERSION)
    }
}
