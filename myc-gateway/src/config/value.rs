//! Values that may come from the file, the environment or another file:
//! `"literal"`, `{ env = "VAR" }` or `{ file = "path" }` (relative to the config file).

use std::path::Path;

use serde::Deserialize;
use zeroize::Zeroizing;

/// Where a value comes from.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ValueSource {
    /// Written in the file.
    Literal(String),
    /// Read from an environment variable.
    Env {
        /// The variable.
        env: String,
    },
    /// Read from a file (trailing newline trimmed).
    File {
        /// The file, relative to the config file.
        file: String,
    },
    /// Upstream's Vault form: refused with a clear message.
    Vault {
        /// The reference.
        vault: toml::Value,
    },
}

impl std::fmt::Debug for ValueSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Literal(_) => f.write_str("Literal(<redacted>)"),
            Self::Env { env } => write!(f, "Env({env})"),
            Self::File { file } => write!(f, "File({file})"),
            Self::Vault { .. } => f.write_str("Vault(..)"),
        }
    }
}

impl ValueSource {
    /// The value; `env` looks variables up (the process environment in production).
    pub fn resolve(
        &self,
        base: &Path,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Zeroizing<String>, String> {
        match self {
            Self::Literal(text) => Ok(Zeroizing::new(text.clone())),
            Self::Env { env: name } => env(name)
                .map(Zeroizing::new)
                .ok_or_else(|| format!("environment variable {name} is not set")),
            Self::File { file } => {
                let path = base.join(file);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                Ok(Zeroizing::new(
                    text.trim_end_matches(['\n', '\r']).to_owned(),
                ))
            }
            Self::Vault { .. } => Err(
                "Vault references are not supported; use { env = ... } or { file = ... }".into(),
            ),
        }
    }
}
