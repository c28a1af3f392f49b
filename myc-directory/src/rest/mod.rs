//! The admin API over REST, under `/_adm/<role>/…` (feature `axum`). Every method of
//! [`crate::rpc::methods::all`] is served at its [`Rest`](crate::rpc::Rest) endpoint through
//! the same [`Api::run`] as JSON-RPC, so the same caller gets the same outcome both ways.
//!
//! Params come from the request, by name: `{param}` path segments, the query string, and a
//! JSON object body; a param given twice is refused. Tenant-scoped methods take `tenantId`
//! from `x-mycelium-tenant-id` (what myc-tower's `AuthLayer` hands on as `RequestedTenant`)
//! as upstream's REST does; a `tenantId` in the query or body must agree with it. Path and
//! query values are strings, read as numbers or booleans where the param's schema says so.
//!
//! | outcome | status | body |
//! |---|---|---|
//! | done | the endpoint's [`Success`]: 200, 201, 202; 204 for `null` | the result |
//! | no credential | 401 | `{"message", "code": "MYT00401"}` |
//! | wrong role or scope | 403 | `{"message", "code": "MYC00019"}` (JSON-RPC: `-32401`) |
//! | invalid params, unknown thing | 400 | `{"message", "code": "MYC00013"}` (JSON-RPC: `-32602`) |
//! | conflict | 409 | `{"message", "code": "MYC00002"}` (JSON-RPC: `409`) |
//!
//! `rpc.discover` lists every method's endpoint as `x-rest`.

mod params;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{RawPathParams, RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter, on};
use http::StatusCode;
use myc_profile::Profile;
use serde_json::{Value, json};

use crate::rpc::{Api, ErrorObject, MethodSpec, Success};
use crate::usecase::Caller;

/// The paths the admin API answers (a path ending in `/` covers everything under it): what a
/// host that routes other traffic too must hand to [`router`] and the JSON-RPC router.
pub const PREFIXES: &[&str] = &[
    "/_adm/rpc",
    "/_adm/rpc/",
    "/_adm/beginners/",
    "/_adm/managers/",
    "/_adm/tenant-owner/",
    "/_adm/tenant-manager/",
    "/_adm/subscriptions-manager/",
    "/_adm/guest-manager/",
    "/_adm/gateway-manager/",
    "/_adm/account-manager/",
    "/_adm/users-manager/",
    "/_adm/service/",
    "/_adm/staffs/",
    "/_adm/system-manager/",
    "/_adm/audit/",
];

/// The REST endpoints of every method over `api`; mount behind myc-tower's `AuthLayer`
/// (`protected`), as the JSON-RPC router.
pub fn router(api: Api) -> Router {
    let api = Arc::new(api);
    let mut paths: BTreeMap<&'static str, MethodRouter<Arc<Api>>> = BTreeMap::new();
    for spec in crate::rpc::methods::all() {
        let Some(filter) = method_filter(spec.rest.method) else {
            continue;
        };
        let handler =
            move |state: State<Arc<Api>>,
                  path: RawPathParams,
                  query: RawQuery,
                  request: Request| { serve(state, spec, path, query, request) };
        let route = paths.remove(spec.rest.path).unwrap_or_default();
        paths.insert(spec.rest.path, route.merge(on(filter, handler)));
    }
    paths
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
        .with_state(api)
}

fn method_filter(method: &str) -> Option<MethodFilter> {
    Some(match method {
        "GET" => MethodFilter::GET,
        "POST" => MethodFilter::POST,
        "PUT" => MethodFilter::PUT,
        "PATCH" => MethodFilter::PATCH,
        "DELETE" => MethodFilter::DELETE,
        _ => return None,
    })
}

fn refusal(status: u16, message: &str, code: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(json!({ "message": message, "code": code }))).into_response()
}

fn failure(error: &ErrorObject) -> Response {
    let status =
        StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut body = json!({ "message": error.message, "code": error.myc_code() });
    if let Some(details) = error.data.as_ref().and_then(|d| d.get("details")) {
        body["details"] = details.clone();
    }
    (status, Json(body)).into_response()
}

async fn serve(
    State(api): State<Arc<Api>>,
    spec: &'static MethodSpec,
    path: RawPathParams,
    RawQuery(query): RawQuery,
    request: Request,
) -> Response {
    let Some(profile) = request.extensions().get::<Arc<Profile>>().cloned() else {
        return sign_up(&api, spec, path, query, request).await;
    };
    let tenant = request
        .extensions()
        .get::<myc_tower::auth::RequestedTenant>()
        .map(|t| t.0);
    let caller = Caller { profile, tenant };
    let params = match params::gather(spec, caller.tenant, &path, query.as_deref(), request).await {
        Ok(params) => params,
        Err(error) => return failure(&error),
    };
    match api.run(&caller, spec, params).await {
        Ok(result) => success(spec.rest.success, result),
        Err(error) => failure(&error),
    }
}

/// A request without a resolved profile: a verified caller without an account may create its
/// account (`beginners.accounts.create`), nothing else.
async fn sign_up(
    api: &Api,
    spec: &'static MethodSpec,
    path: RawPathParams,
    query: Option<String>,
    request: Request,
) -> Response {
    let email = request
        .extensions()
        .get::<myc_tower::auth::Caller>()
        .and_then(|c| c.email())
        .map(str::to_owned);
    let Some(email) = email else {
        return refusal(
            401,
            "the admin API needs an authenticated caller",
            "MYT00401",
        );
    };
    if spec.name != "beginners.accounts.create" {
        let message = "no account for this caller: beginners.accounts.create first";
        return refusal(401, message, "MYT00406");
    }
    let params = match params::gather(spec, None, &path, query.as_deref(), request).await {
        Ok(params) => params,
        Err(error) => return failure(&error),
    };
    match api.sign_up(&email, params).await {
        Ok(result) => success(spec.rest.success, result),
        Err(error) => failure(&error),
    }
}

fn success(kind: Success, result: Value) -> Response {
    let status = match kind {
        Success::Created => StatusCode::CREATED,
        Success::Accepted => StatusCode::ACCEPTED,
        Success::CreatedUnlessExisting if result["created"] == json!(true) => StatusCode::CREATED,
        _ if result.is_null() => StatusCode::NO_CONTENT,
        _ => StatusCode::OK,
    };
    if result.is_null() {
        status.into_response()
    } else {
        (status, Json(result)).into_response()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_endpoint_is_under_a_prefix() {
        for m in crate::rpc::methods::all() {
            let covered = super::PREFIXES
                .iter()
                .any(|p| p.ends_with('/') && m.rest.path.starts_with(p));
            assert!(covered, "{} at {} is under no prefix", m.name, m.rest.path);
        }
    }
}
