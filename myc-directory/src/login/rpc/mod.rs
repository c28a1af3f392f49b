//! Upstream's `beginners.users.*` JSON-RPC methods at `POST /_adm/rpc`. They are how a
//! caller gets a credential, so they cannot sit behind the authentication the rest of the
//! admin API needs: [`public_first`] reads the body once and answers a request (or batch)
//! made only of these methods itself; anything else goes on, body unchanged, to the
//! authenticated router. The TOTP methods check their bearer token here, as the REST paths
//! do (`totpCheckToken` takes the token of a login awaiting its code).
//!
//! `specs.rs` describes the methods (for `rpc.discover`); `methods.rs` runs them.

mod methods;
mod specs;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

pub use specs::SPECS;

use super::passwords::Passwords;
use super::rest::TotpRoutes;
use crate::rpc::router::RPC_PATH;
use crate::rpc::wire::{self, Entry, ErrorObject, Incoming, MAX_BODY_BYTES, codes};

/// Whether `method` is one of [`SPECS`].
pub fn is_public(method: &str) -> bool {
    SPECS.iter().any(|m| m.name == method)
}

/// What the public methods need.
#[derive(Clone)]
pub struct LoginRpc {
    /// Password credentials.
    pub passwords: Passwords,
    /// The TOTP factor, token checks and minting.
    pub totp: TotpRoutes,
}

/// `authenticated` (the admin API behind its authentication layer), with the public methods
/// answered first at [`RPC_PATH`].
pub fn public_first(login: LoginRpc, authenticated: Router) -> Router {
    let rest = authenticated.clone();
    Router::new()
        .route(
            RPC_PATH,
            axum::routing::post(move |state: State<LoginRpc>, request: Request| {
                let authenticated = authenticated.clone();
                async move { dispatch(state.0, authenticated, request).await }
            }),
        )
        .with_state(login)
        .fallback_service(rest)
}

fn json_response(body: String) -> Response {
    let mut response = (StatusCode::OK, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

async fn dispatch(login: LoginRpc, authenticated: Router, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        let error = ErrorObject::new(
            codes::INVALID_REQUEST,
            format!("requests are at most {MAX_BODY_BYTES} bytes"),
        );
        return json_response(
            serde_json::to_string(&wire::Response::error(Value::Null, error)).unwrap_or_default(),
        );
    };
    let public = |entry: &Entry| matches!(entry, Entry::Call(c) if is_public(&c.method));
    let answer = match wire::decode(&bytes) {
        Ok(Incoming::Single(entry)) if public(&entry) => {
            let Entry::Call(call) = entry else {
                return StatusCode::NO_CONTENT.into_response();
            };
            match methods::one(&login, &parts.headers, call).await {
                Some(response) => serde_json::to_string(&response).unwrap_or_default(),
                None => return StatusCode::NO_CONTENT.into_response(),
            }
        }
        Ok(Incoming::Batch(entries)) if !entries.is_empty() && entries.iter().all(public) => {
            let mut responses = Vec::new();
            for entry in entries {
                if let Entry::Call(call) = entry
                    && let Some(response) = methods::one(&login, &parts.headers, call).await
                {
                    responses.push(response);
                }
            }
            if responses.is_empty() {
                return StatusCode::NO_CONTENT.into_response();
            }
            serde_json::to_string(&responses).unwrap_or_default()
        }
        _ => {
            let request = Request::from_parts(parts, Body::from(bytes));
            return match authenticated.oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
        }
    };
    json_response(answer)
}
