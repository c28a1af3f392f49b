//! [`Error`]: every error this crate returns, for callers that mix its operations with `?`.

use crate::access::AccessError;
use crate::codec::HeaderError;
use crate::connection_string::ConnectionStringError;
use crate::signature::SignatureError;
use crate::url_form::UrlFormError;

/// Any error of this crate. Each operation returns its own narrower type; this one converts
/// from all of them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Header encoding or decoding.
    #[error(transparent)]
    Header(#[from] HeaderError),
    /// An access check denied.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// A connection string.
    #[error(transparent)]
    ConnectionString(#[from] ConnectionStringError),
    /// A URL-form licence or ownership.
    #[error(transparent)]
    UrlForm(#[from] UrlFormError),
    /// A profile signature.
    #[error(transparent)]
    Signature(#[from] SignatureError),
}
