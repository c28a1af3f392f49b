//! One mapping of use-case failures for both transports: the JSON-RPC error object, and from
//! it the REST status and upstream's `MYC…` code, so a refusal reads the same both ways.

use super::wire::{ErrorObject, codes};
use crate::usecase::UseCaseError;

impl From<UseCaseError> for ErrorObject {
    fn from(e: UseCaseError) -> Self {
        match e {
            UseCaseError::Forbidden(why) => ErrorObject::forbidden(why, "MYC00019"),
            UseCaseError::InvalidParams(why) | UseCaseError::NotFound(why) => {
                ErrorObject::invalid_params(why)
            }
            UseCaseError::Conflict(why) => ErrorObject::new(codes::CONFLICT, why),
            UseCaseError::NotConfigured(what) => ErrorObject::new(
                codes::INTERNAL_ERROR,
                format!("{what} are not configured on this server"),
            ),
            UseCaseError::Store(e) => {
                tracing::error!(error = %e, "admin API: store failed");
                ErrorObject::new(codes::INTERNAL_ERROR, "internal error")
            }
        }
    }
}

impl ErrorObject {
    /// The REST status of this error.
    pub fn http_status(&self) -> u16 {
        match self.code {
            codes::FORBIDDEN => 403,
            codes::INVALID_PARAMS | codes::INVALID_REQUEST | codes::PARSE_ERROR => 400,
            codes::CONFLICT => 409,
            codes::METHOD_NOT_FOUND => 404,
            _ => 500,
        }
    }

    /// Upstream's code of this error (`MYC00019` forbidden, `MYC00013` bad input, `MYC00002`
    /// conflict, `MYC00001` server-side failure).
    pub fn myc_code(&self) -> &str {
        if let Some(code) = self.data.as_ref().and_then(|d| d["code"].as_str()) {
            return code;
        }
        match self.code {
            codes::INVALID_PARAMS | codes::INVALID_REQUEST | codes::PARSE_ERROR => "MYC00013",
            codes::CONFLICT => "MYC00002",
            codes::METHOD_NOT_FOUND => "MYC00014",
            _ => "MYC00001",
        }
    }
}
