//! `[gateway.ops]`: who may read metrics and readiness details.

use std::path::Path;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::{KeyError, ValueSource};

/// `[gateway.ops]`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOps {
    /// Client networks that may read them (default loopback only).
    #[serde(default)]
    allowed_sources: Option<Vec<String>>,
    /// A bearer token that also may.
    #[serde(default)]
    token: Option<ValueSource>,
    /// Whether readiness shows the store's error and each upstream host (default false).
    #[serde(default)]
    ready_details: bool,
}

/// Who may read the gateway's operational endpoints (`[gateway.ops]`): `{metrics_path}` and
/// the details of `{health_path}/ready`. Liveness and the readiness status stay open to
/// probes; everything else is refused (403) to other callers.
///
/// ```toml
/// [gateway.ops]
/// allowed_sources = ["127.0.0.0/8", "::1/128", "10.20.0.0/16"]   # default: loopback
/// token = { env = "MYC_OPS_TOKEN" }   # optional: `Authorization: Bearer …` also may
/// ready_details = false               # readiness names the store error and hosts only if true
/// ```
#[derive(Clone)]
pub struct OpsSettings {
    /// Client networks that may read them (the client address through trusted proxies).
    pub allowed_sources: Vec<myc_tower::client_addr::IpNet>,
    /// A bearer token that also may.
    pub token: Option<Zeroizing<String>>,
    /// Whether readiness shows details (to those allowed).
    pub ready_details: bool,
}

impl std::fmt::Debug for OpsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpsSettings")
            .field("allowed_sources", &self.allowed_sources)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ready_details", &self.ready_details)
            .finish()
    }
}

impl RawOps {
    pub(super) fn resolve(
        &self,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<OpsSettings, KeyError> {
        let default = ["127.0.0.0/8".to_owned(), "::1/128".to_owned()];
        let sources = self.allowed_sources.as_deref().unwrap_or(&default);
        let mut allowed_sources = Vec::new();
        for (i, source) in sources.iter().enumerate() {
            allowed_sources.push(source.parse().map_err(
                |m: myc_tower::client_addr::InvalidNetwork| {
                    KeyError::new(format!("gateway.ops.allowed_sources[{i}]"), m.to_string())
                },
            )?);
        }
        let token = match &self.token {
            None => None,
            Some(source) => {
                let token = source
                    .resolve(base, env)
                    .map_err(|m| KeyError::new("gateway.ops.token", m))?;
                if token.len() < 16 {
                    return Err(KeyError::new(
                        "gateway.ops.token",
                        "an ops token needs at least 16 characters",
                    ));
                }
                Some(token)
            }
        };
        Ok(OpsSettings {
            allowed_sources,
            token,
            ready_details: self.ready_details,
        })
    }
}
