//! The gateway's own error codes (`MYG…`), each with its HTTP status, in one place. Refusals
//! of the identity layer carry myc-tower's `MYT…` codes ([`myc_tower::AuthError`]); both use
//! the body `{"message": …, "code": …}`.

use axum::body::Body;
use http::{Response, StatusCode};

/// An error the gateway answers itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GatewayCode {
    /// `MYG00400`: a malformed request (unsafe path, bad head, bad upstream URI).
    BadRequest,
    /// `MYG00401`: a credential of the gateway's own endpoints failed.
    Unauthorized,
    /// `MYG00403`: the client address or caller may not use this.
    Forbidden,
    /// `MYG00404`: no route, or no such thing.
    NotFound,
    /// `MYG00405`: the route does not take this method.
    MethodNotAllowed,
    /// `MYG00409`: it exists already.
    Conflict,
    /// `MYG00417`: an expectation other than `100-continue`.
    ExpectationFailed,
    /// `MYG00422`: something the request needs is not configured.
    NotConfigured,
    /// `MYG00500`: the gateway failed.
    Internal,
    /// `MYG00501`: a transfer coding other than `chunked`.
    NotImplemented,
    /// `MYG00502`: no upstream host answered, or the exchange failed.
    BadGateway,
    /// `MYG00504`: the upstream did not answer within `gatewayTimeout`.
    GatewayTimeout,
}

impl GatewayCode {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::BadRequest => "MYG00400",
            Self::Unauthorized => "MYG00401",
            Self::Forbidden => "MYG00403",
            Self::NotFound => "MYG00404",
            Self::MethodNotAllowed => "MYG00405",
            Self::Conflict => "MYG00409",
            Self::ExpectationFailed => "MYG00417",
            Self::NotConfigured => "MYG00422",
            Self::Internal => "MYG00500",
            Self::NotImplemented => "MYG00501",
            Self::BadGateway => "MYG00502",
            Self::GatewayTimeout => "MYG00504",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict => StatusCode::CONFLICT,
            Self::ExpectationFailed => StatusCode::EXPECTATION_FAILED,
            Self::NotConfigured => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotImplemented => StatusCode::NOT_IMPLEMENTED,
            Self::BadGateway => StatusCode::BAD_GATEWAY,
            Self::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
        }
    }

    /// The JSON response `{"message", "code"}` with this status.
    pub fn response(self, message: &str) -> Response<Body> {
        crate::proxy::error_response(self.status(), self.code(), message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_end_in_their_status() {
        for code in [
            GatewayCode::BadRequest,
            GatewayCode::Unauthorized,
            GatewayCode::Forbidden,
            GatewayCode::NotFound,
            GatewayCode::MethodNotAllowed,
            GatewayCode::Conflict,
            GatewayCode::ExpectationFailed,
            GatewayCode::NotConfigured,
            GatewayCode::Internal,
            GatewayCode::NotImplemented,
            GatewayCode::BadGateway,
            GatewayCode::GatewayTimeout,
        ] {
            assert!(code.code().ends_with(code.status().as_str()), "{code:?}");
        }
    }
}
