//! [`VerboseStatus`]: the human-readable account status.

use serde::{Deserialize, Serialize};

/// The account status summarised for humans, as upstream writes it (`verboseStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VerboseStatus {
    /// Registered, e-mail not yet verified.
    Unverified,
    /// Active and verified.
    Verified,
    /// Deactivated.
    Inactive,
    /// Archived.
    Archived,
    /// Deleted.
    Deleted,
    /// The flags do not map to a known status.
    Unknown,
}
