//! Where the store is: an embedded SQLite file or a database URL.

use std::path::PathBuf;

use zeroize::Zeroizing;

/// The SQLite file name inside the data directory.
pub const SQLITE_FILE: &str = "myc-gateway.sqlite3";

/// Where the identity store is.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// The embedded default: a SQLite file (created and migrated on first start).
    Sqlite(PathBuf),
    /// A database URL (`postgres://…`, or `sqlite://…`); may hold a password.
    Url(Zeroizing<String>),
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
            Self::Url(url) => {
                let scheme = url.split("://").next().unwrap_or("?");
                write!(f, "Url({scheme}://<redacted>)")
            }
        }
    }
}

/// Where the store is and how many connections its pool holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreSettings {
    /// Where.
    pub location: StoreLocation,
    /// Pool size (8).
    pub max_connections: u32,
}
