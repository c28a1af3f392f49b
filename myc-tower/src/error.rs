//! [`AuthError`]: why a request was refused, with a stable code, an HTTP status and a JSON body
//! `{"message": ..., "code": ...}`.

use http::{HeaderValue, Response, StatusCode, header};

/// The longest part of a message that may come from the request (a connection string's key,
/// a token's header): longer text is cut, so a refusal never reflects kilobytes of input into
/// a response body or a log line.
pub const MAX_REFLECTED: usize = 96;

/// Shows at most [`MAX_REFLECTED`] bytes of a text (cut at a character boundary, then `…`),
/// control characters escaped.
struct Capped<'a>(&'a str);

impl std::fmt::Display for Capped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut end = self.0.len().min(MAX_REFLECTED);
        while !self.0.is_char_boundary(end) {
            end -= 1;
        }
        for c in self.0[..end].chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        if end < self.0.len() {
            f.write_str("…")?;
        }
        Ok(())
    }
}

/// Why the layer refused a request. Messages never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No credential on a route that needs one.
    #[error("missing credentials")]
    MissingCredentials,
    /// The credential headers are malformed (several Authorization headers, empty, not Bearer, too long).
    #[error("malformed credentials: {0}")]
    MalformedCredentials(&'static str),
    /// The token does not verify (signature, algorithm, issuer, audience, key).
    #[error("invalid token: {}", Capped(.0))]
    InvalidToken(String),
    /// The token expired or is not yet valid.
    #[error("token expired or not yet valid")]
    Expired,
    /// The connection string does not verify, expired or was revoked.
    #[error("invalid connection string: {}", Capped(.0))]
    InvalidConnectionString(String),
    /// The identity provider's keys could not be fetched and none are cached.
    #[error("identity provider unavailable")]
    ProviderUnavailable,
    /// No profile for this caller.
    #[error("no profile for this caller")]
    UnknownCaller,
    /// The caller is authenticated but lacks the route's roles or claims.
    #[error("forbidden: {}", Capped(.0))]
    Forbidden(String),
    /// The caller's account (or its owner) is inactive, archived or deleted.
    #[error("account {0}")]
    AccountDisabled(&'static str),
    /// The `x-mycelium-tenant-id` header is not a UUID.
    #[error("invalid tenant id")]
    InvalidTenant,
    /// The profile store failed.
    #[error("profile store unavailable")]
    ResolverUnavailable,
    /// The injected headers could not be built.
    #[error("internal error")]
    Internal,
}

impl AuthError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingCredentials => "MYT00401",
            Self::MalformedCredentials(_) => "MYT00402",
            Self::InvalidToken(_) => "MYT00403",
            Self::Expired => "MYT00404",
            Self::InvalidConnectionString(_) => "MYT00405",
            Self::UnknownCaller => "MYT00406",
            Self::InvalidTenant => "MYT00407",
            Self::Forbidden(_) => "MYT00410",
            Self::AccountDisabled(_) => "MYT00411",
            Self::ProviderUnavailable => "MYT00503",
            Self::ResolverUnavailable => "MYT00504",
            Self::Internal => "MYT00500",
        }
    }

    /// The HTTP status: 401 for missing or invalid credentials, 403 for a valid caller without
    /// access, 400 for a bad tenant header, 503 when a dependency is down.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingCredentials
            | Self::MalformedCredentials(_)
            | Self::InvalidToken(_)
            | Self::Expired
            | Self::InvalidConnectionString(_)
            | Self::UnknownCaller => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::AccountDisabled(_) => StatusCode::FORBIDDEN,
            Self::InvalidTenant => StatusCode::BAD_REQUEST,
            Self::ProviderUnavailable | Self::ResolverUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The JSON body.
    pub fn body(&self) -> String {
        serde_json::json!({ "message": self.to_string(), "code": self.code() }).to_string()
    }

    /// The full response; 401s carry `WWW-Authenticate: Bearer` with an RFC 6750 error.
    pub fn into_response<B: From<String>>(self) -> Response<B> {
        let mut response = Response::new(B::from(self.body()));
        *response.status_mut() = self.status();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if self.status() == StatusCode::UNAUTHORIZED {
            let challenge = match self {
                Self::MissingCredentials => "Bearer realm=\"mycelium\"",
                _ => "Bearer realm=\"mycelium\", error=\"invalid_token\"",
            };
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflected_text_is_capped() {
        let long = format!("unknown key {:?}", "AcC".repeat(2000));
        let e = AuthError::InvalidConnectionString(long);
        let body = e.body();
        assert!(body.len() < 200, "{body}");
        assert!(e.to_string().ends_with('…'));
        let e = AuthError::InvalidToken("a\nb\u{1b}".into());
        assert_eq!(e.to_string(), "invalid token: a\\nb\\u{1b}");
        let e = AuthError::Forbidden("é".repeat(60));
        assert!(e.to_string().len() <= "forbidden: ".len() + MAX_REFLECTED + 3);
    }
}
