//! Who the caller is in the application: [`ProfileResolver`] (e-mail → profile) and
//! [`ConnectionStringStore`] (is this connection string still issued, and to whom).

use myc_profile::{PermissionedRole, Profile};
use uuid::Uuid;

use crate::BoxFuture;

/// The store failed (the layer answers 503).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile store: {0}")]
pub struct StoreError(pub String);

/// What the layer asks the store for: the caller, the tenant that scopes the request (a
/// connection string's `tid` or a JWT caller's `x-mycelium-tenant-id`) and the route's roles.
#[derive(Clone, Copy, Debug)]
pub struct ProfileQuery<'a> {
    /// The caller's e-mail.
    pub email: &'a str,
    /// The tenant scoping the request, if any.
    pub tenant: Option<Uuid>,
    /// The roles of a `protectedByRoles` route (write satisfies read), if any.
    pub roles: Option<&'a [PermissionedRole]>,
}

/// Loads the profile of an account owner. The store may filter by the query's tenant and
/// roles (as upstream's SQL does) or return the full profile: the layer narrows the result
/// itself either way, then caches the narrowed profile and its encoded header (bounded, TTL).
pub trait ProfileResolver: Send + Sync + 'static {
    /// `None` when nobody has this e-mail.
    fn resolve<'a>(
        &'a self,
        query: ProfileQuery<'a>,
    ) -> BoxFuture<'a, Result<Option<Profile>, StoreError>>;
}

/// A connection string the application issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    /// The owner's e-mail (the profile is loaded by it).
    pub email: String,
    /// The stored expiry, checked besides the signed `edt`.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// False when the account (or its owner) is inactive, archived or deleted: the layer then
    /// refuses the string at once, whatever the route's group.
    pub account_active: bool,
}

/// The key a connection string is stored and looked up by: SHA-256 of the header value
/// (surrounding whitespace removed). Stores keep only this, never the signature.
///
/// ```
/// let a = myc_tower::resolver::connection_string_hash("acc=x;sig=y");
/// assert_eq!(a, myc_tower::resolver::connection_string_hash(" acc=x;sig=y\n"));
/// ```
pub fn connection_string_hash(header_value: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(header_value.trim().as_bytes()).into()
}

/// Looks connection strings up by account and a SHA-256 of the header value (store only that
/// hash, never the signature).
pub trait ConnectionStringStore: Send + Sync + 'static {
    /// `None` when revoked or never issued.
    fn lookup<'a>(
        &'a self,
        account_id: Uuid,
        token_hash: [u8; 32],
    ) -> BoxFuture<'a, Result<Option<IssuedToken>, StoreError>>;
}
