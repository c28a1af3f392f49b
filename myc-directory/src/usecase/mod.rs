//! Use cases, one function each, authorized through the caller's profile before they touch
//! the store. Both transports call these; neither holds a rule of its own.

pub mod beginners;
pub mod managers;

use std::sync::Arc;

use myc_profile::Profile;
use uuid::Uuid;

/// Who calls: the profile the identity layer resolved, and the tenant the request names
/// (`x-mycelium-tenant-id`), if any.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The caller's resolved profile.
    pub profile: Arc<Profile>,
    /// The tenant the request is scoped to.
    pub tenant: Option<Uuid>,
}

/// Why a use case refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UseCaseError {
    /// The caller's role or scope does not allow it (upstream's `MYC00019`).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The params do not fit.
    #[error("{0}")]
    InvalidParams(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
}

/// Platform administrators: staff or manager accounts (upstream's `managers.*` namespace).
pub(crate) fn require_platform_admin(caller: &Caller) -> Result<(), UseCaseError> {
    if caller.profile.is_staff || caller.profile.is_manager {
        Ok(())
    } else {
        Err(UseCaseError::Forbidden(
            "Insufficient privileges: staff or manager account required",
        ))
    }
}
