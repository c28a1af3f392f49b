//! [`Error`]: everything this crate reports.

use uuid::Uuid;

/// An error from key handling, sealing, opening, storage or migration.
///
/// Opening failures are deliberately coarse ([`Error::Decrypt`]): a wrong key, scope, field,
/// generation or a tampered byte all look the same to the caller, so an attacker learns nothing
/// from which check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Master key material is shorter than 32 bytes.
    #[error("master key must be at least {min} bytes, got {got}")]
    MasterKeyTooShort {
        /// Minimum.
        min: usize,
        /// Received.
        got: usize,
    },
    /// Master key text is neither hex nor base64.
    #[error("master key text is neither hex nor base64")]
    MasterKeyEncoding,
    /// The master key environment variable is unset or not UTF-8.
    #[error("environment variable {0} is not set")]
    MasterKeyEnv(String),
    /// A master key file is readable by group or others.
    #[error("{path} is readable by group or others (mode {mode:o}); chmod 600 it")]
    InsecurePermissions {
        /// The file.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The system random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// A ciphertext or wrapped key is not in a format this crate reads.
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// Which kind of value.
        what: &'static str,
        /// Why.
        reason: &'static str,
    },
    /// Authentication failed: wrong key, scope, field, generation, or tampered data.
    #[error("decryption failed (wrong key, scope or field, or tampered data)")]
    Decrypt,
    /// The ciphertext names a DEK generation the store does not hold for this scope.
    #[error("no DEK generation {generation} for scope {scope}")]
    UnknownDek {
        /// Scope.
        scope: Uuid,
        /// Generation.
        generation: u32,
    },
    /// A wrapped DEK names a KEK version that is not configured.
    #[error("KEK version {0} is not configured")]
    UnknownKekVersion(u32),
    /// A field name is empty or too long.
    #[error("field name must be 1 to 255 bytes")]
    InvalidField,
    /// The DEK store failed.
    #[error("DEK store: {0}")]
    Store(String),
    /// A DEK generation counter would overflow.
    #[error("DEK generation overflow for scope {0}")]
    GenerationOverflow(Uuid),
    /// An upstream value could not be read.
    #[error("upstream: {0}")]
    Upstream(&'static str),
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
