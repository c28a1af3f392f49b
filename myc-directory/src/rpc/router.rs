//! `POST /_adm/rpc` as an axum router (feature `axum`).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::{HeaderValue, StatusCode, header};
use myc_profile::Profile;

use super::wire::{self, MAX_BODY_BYTES};
use super::{Api, ErrorObject, codes};
use crate::usecase::Caller;

/// Where the router answers.
pub const RPC_PATH: &str = "/_adm/rpc";

/// The JSON-RPC endpoint over `api`. Mount it behind myc-tower's `AuthLayer` with a group
/// that resolves a profile (`protected`): without one in the request, it answers 401 before
/// reading the body.
pub fn router(api: Api) -> Router {
    Router::new()
        .route(RPC_PATH, post(handle))
        .with_state(Arc::new(api))
}

fn json(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn refusal(error: ErrorObject) -> Response {
    let body = serde_json::to_string(&wire::Response::error(serde_json::Value::Null, error))
        .unwrap_or_default();
    json(StatusCode::OK, body)
}

fn unauthenticated() -> Response {
    json(
        StatusCode::UNAUTHORIZED,
        r#"{"message":"the admin API needs an authenticated caller","code":"MYT00401"}"#.into(),
    )
}

/// The caller's e-mail when its credential verified but it has no account (a layer with
/// `admit_unknown_accounts`): it may only create its account.
fn signing_up(request: &Request) -> Option<String> {
    request
        .extensions()
        .get::<myc_tower::auth::Caller>()
        .and_then(|c| c.email())
        .map(str::to_owned)
}

async fn sign_up(api: &Api, email: &str, body: &[u8]) -> Response {
    let call = match wire::decode(body) {
        Ok(wire::Incoming::Single(wire::Entry::Call(call))) if call.method == SIGN_UP => call,
        Ok(_) => {
            return json(
                StatusCode::UNAUTHORIZED,
                format!(
                    r#"{{"message":"no account for this caller: {SIGN_UP} first","code":"MYT00406"}}"#
                ),
            );
        }
        Err(error) => return refusal(error),
    };
    let result = api.sign_up(email, call.params).await;
    let Some(id) = call.id else {
        return (StatusCode::NO_CONTENT, Body::empty()).into_response();
    };
    let response = match result {
        Ok(value) => wire::Response::result(id, value),
        Err(error) => wire::Response::error(id, error),
    };
    json(
        StatusCode::OK,
        serde_json::to_string(&response).unwrap_or_default(),
    )
}

/// The one method a caller without an account may call.
const SIGN_UP: &str = "beginners.accounts.create";

async fn handle(State(api): State<Arc<Api>>, request: Request) -> Response {
    let Some(profile) = request.extensions().get::<Arc<Profile>>().cloned() else {
        let Some(email) = signing_up(&request) else {
            return unauthenticated();
        };
        return match axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await {
            Ok(body) => sign_up(&api, &email, &body).await,
            Err(_) => refusal(ErrorObject::new(
                codes::INVALID_REQUEST,
                format!("requests are at most {MAX_BODY_BYTES} bytes"),
            )),
        };
    };
    let tenant = request
        .extensions()
        .get::<myc_tower::auth::RequestedTenant>()
        .map(|t| t.0);
    let body = match axum::body::to_bytes(request.into_body(), MAX_BODY_BYTES).await {
        Ok(body) => body,
        Err(_) => {
            return refusal(ErrorObject::new(
                codes::INVALID_REQUEST,
                format!("requests are at most {MAX_BODY_BYTES} bytes"),
            ));
        }
    };
    let incoming = match wire::decode(&body) {
        Ok(incoming) => incoming,
        Err(error) => return refusal(error),
    };
    let caller = Caller { profile, tenant };
    match api.handle(&caller, incoming).await {
        Some(answer) => json(StatusCode::OK, answer.to_string()),
        None => (StatusCode::NO_CONTENT, Body::empty()).into_response(),
    }
}
