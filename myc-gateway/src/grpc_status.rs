//! Refusals a gRPC client can read. A gRPC client reads an HTTP status other than 200 as a
//! transport failure and the JSON body of a refusal as a corrupt message; so when a request
//! is gRPC (`content-type: application/grpc…`) and its answer is not a success, the answer
//! becomes a trailers-only gRPC response: HTTP 200, `grpc-status` mapped from the HTTP status
//! as the gRPC specification maps them (401 → 16 UNAUTHENTICATED, 403 → 7 PERMISSION_DENIED,
//! 404 → 12 UNIMPLEMENTED, 429/502/503/504 → 14 UNAVAILABLE, others → 2 UNKNOWN) and
//! `grpc-message` from the refusal's `message` (percent-encoded). The other headers
//! (`x-mycelium-request-id`, `www-authenticate`) stay.

use axum::body::Body;
use http::{HeaderValue, Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// What `grpc-message` must encode: everything outside printable ASCII, and `%`.
const GRPC_MESSAGE: &AsciiSet = &CONTROLS.add(b'%');
/// The largest refusal body read for its message.
const MAX_MESSAGE_BODY: usize = 4 * 1024;

/// Whether a request is a gRPC call.
pub fn is_grpc<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// The gRPC status code for an HTTP status.
pub fn code_of(status: StatusCode) -> u8 {
    match status.as_u16() {
        400 => 13,
        401 => 16,
        403 => 7,
        404 => 12,
        429 | 502 | 503 | 504 => 14,
        _ => 2,
    }
}

/// `response` as a trailers-only gRPC status, unless it is a success.
pub async fn refusal(response: Response<Body>) -> Response<Body> {
    if response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let code = code_of(parts.status);
    let small = http_body::Body::size_hint(&body)
        .upper()
        .is_some_and(|n| n <= MAX_MESSAGE_BODY as u64);
    let message = if small {
        let bytes = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
    } else {
        None
    }
    .unwrap_or_else(|| {
        parts
            .status
            .canonical_reason()
            .unwrap_or("refused")
            .to_owned()
    });
    parts.status = StatusCode::OK;
    parts.headers.remove(http::header::CONTENT_LENGTH);
    parts.headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/grpc"),
    );
    parts
        .headers
        .insert("grpc-status", HeaderValue::from(u16::from(code)));
    if let Ok(value) =
        HeaderValue::from_str(&utf8_percent_encode(&message, GRPC_MESSAGE).to_string())
    {
        parts.headers.insert("grpc-message", value);
    }
    Response::from_parts(parts, Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_json_refusal_becomes_a_grpc_status() {
        let refused = crate::proxy::error_response(StatusCode::FORBIDDEN, "X", "no 100% é");
        let response = refusal(refused).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["grpc-status"], "7");
        assert_eq!(response.headers()["grpc-message"], "no 100%25 %C3%A9");
        let ok = refusal(Response::new(Body::empty())).await;
        assert!(!ok.headers().contains_key("grpc-status"));
        assert_eq!(code_of(StatusCode::BAD_GATEWAY), 14);
        assert_eq!(code_of(StatusCode::IM_A_TEAPOT), 2);
    }
}
