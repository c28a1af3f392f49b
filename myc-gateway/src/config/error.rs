//! Configuration errors: the key path and what is wrong with it ([`KeyError`], what each
//! section's resolver returns), and the file it is in ([`ConfigError`]).

/// A configuration error: the file, the key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {key}: {message}")]
pub struct ConfigError {
    /// The config file.
    pub file: String,
    /// The key (dotted path; `[i]` for array items).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// `error` in `file`.
    pub fn in_file(file: &str, error: KeyError) -> Self {
        Self {
            file: file.to_owned(),
            key: error.key,
            message: error.message,
        }
    }
}

/// What a section's resolver reports: the key path (`api.services.billing.path[2].methods`)
/// and what is wrong with its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct KeyError {
    /// The key (dotted path; `[i]` for array items).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl KeyError {
    /// `message` about `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            message: message.into(),
        }
    }
}
