//! One handler per endpoint: read the path, query and body, call the use case, map the answer.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use myc_profile::{Permission, Profile};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::rpc::Api;
use crate::usecase::{self, Caller, UseCaseError};

/// A refusal before the use case runs.
struct Refusal {
    status: StatusCode,
    message: String,
    code: &'static str,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        refusal(self.status, &self.message, self.code)
    }
}

fn refused(status: StatusCode, message: impl Into<String>, code: &'static str) -> Refusal {
    Refusal {
        status,
        message: message.into(),
        code,
    }
}

fn refusal(status: StatusCode, message: &str, code: &str) -> Response {
    (status, Json(json!({ "message": message, "code": code }))).into_response()
}

fn error(e: UseCaseError) -> Response {
    match e {
        UseCaseError::Forbidden(why) => refusal(StatusCode::FORBIDDEN, why, "MYC00019"),
        UseCaseError::InvalidParams(why) | UseCaseError::NotFound(why) => {
            refusal(StatusCode::BAD_REQUEST, &why, "MYC00013")
        }
        UseCaseError::Conflict(why) => refusal(StatusCode::CONFLICT, &why, "MYC00002"),
        UseCaseError::NotConfigured(what) => refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("{what} are not configured on this server"),
            "MYC00001",
        ),
        UseCaseError::Store(e) => {
            tracing::error!(error = %e, "admin API: store failed");
            refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                "MYC00001",
            )
        }
    }
}

/// The caller, or 401 when no layer in front resolved a profile.
fn caller(request: &Request) -> Result<Caller, Refusal> {
    let profile = request
        .extensions()
        .get::<Arc<Profile>>()
        .cloned()
        .ok_or_else(|| {
            refused(
                StatusCode::UNAUTHORIZED,
                "the admin API needs an authenticated caller",
                "MYT00401",
            )
        })?;
    let tenant = request
        .extensions()
        .get::<myc_tower::auth::RequestedTenant>()
        .map(|t| t.0);
    Ok(Caller { profile, tenant })
}

fn tenant(caller: &Caller) -> Result<Uuid, Refusal> {
    caller.tenant.ok_or_else(|| {
        refused(
            StatusCode::BAD_REQUEST,
            "x-mycelium-tenant-id is required here",
            "MYC00013",
        )
    })
}

/// Reads a JSON body into `T` (limits come from the router's body limit).
async fn body<T: DeserializeOwned>(request: Request) -> Result<T, Refusal> {
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), crate::rpc::wire::MAX_BODY_BYTES)
        .await
        .map_err(|_| refused(StatusCode::PAYLOAD_TOO_LARGE, "body too large", "MYC00013"))?;
    serde_json::from_slice(&bytes)
        .map_err(|e| refused(StatusCode::BAD_REQUEST, e.to_string(), "MYC00013"))
}

fn query<T: DeserializeOwned + Default>(raw: Option<String>) -> Result<T, Refusal> {
    let Some(raw) = raw.filter(|q| !q.is_empty()) else {
        return Ok(T::default());
    };
    let pairs: serde_json::Map<String, Value> = form_urlencoded::parse(raw.as_bytes())
        .map(|(k, v)| {
            let value = v
                .parse::<u64>()
                .map_or_else(|_| Value::String(v.into_owned()), Value::from);
            (k.into_owned(), value)
        })
        .collect();
    serde_json::from_value(Value::Object(pairs))
        .map_err(|e| refused(StatusCode::BAD_REQUEST, e.to_string(), "MYC00013"))
}

macro_rules! try_response {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(refusal) => return refusal.into_response(),
        }
    };
}

pub(super) async fn profile(RawQuery(raw): RawQuery, request: Request) -> Response {
    let caller = try_response!(caller(&request));
    let params = try_response!(query(raw));
    match usecase::beginners::profile_get(&caller, params) {
        Ok(profile) => Json(profile).into_response(),
        Err(e) => error(e),
    }
}

pub(super) async fn accept_invitation(
    State(api): State<Arc<Api>>,
    Path((account, name, perm)): Path<(Uuid, String, u8)>,
    request: Request,
) -> Response {
    let caller = try_response!(caller(&request));
    let permission = match perm {
        0 => Permission::Read,
        1 => Permission::Write,
        _ => return refusal(StatusCode::BAD_REQUEST, "perm is 0 or 1", "MYC00013"),
    };
    let params = usecase::beginners::AcceptInvitation {
        account_id: account,
        guest_role_name: name,
        permission,
    };
    match api.accept_invitation(&caller, params).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(e),
    }
}

pub(super) async fn list_tenants(
    State(api): State<Arc<Api>>,
    RawQuery(raw): RawQuery,
    request: Request,
) -> Response {
    let caller = try_response!(caller(&request));
    let params = try_response!(query(raw));
    match usecase::managers::tenants_list(api.store(), &caller, params).await {
        Ok(Some(page)) => Json(page).into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(e),
    }
}

pub(super) async fn create_tenant(State(api): State<Arc<Api>>, request: Request) -> Response {
    let caller = try_response!(caller(&request));
    let params = try_response!(body(request).await);
    match api.create_tenant(&caller, params).await {
        Ok(tenant) => (StatusCode::CREATED, Json(tenant)).into_response(),
        Err(e) => error(e),
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

pub(super) async fn create_subscription_account(
    State(api): State<Arc<Api>>,
    request: Request,
) -> Response {
    let caller = try_response!(caller(&request));
    let tenant_id = try_response!(tenant(&caller));
    let NameBody { name } = try_response!(body(request).await);
    let params = usecase::subscriptions_manager::CreateSubscriptionAccount { tenant_id, name };
    match usecase::subscriptions_manager::create_subscription_account(api.store(), &caller, params)
        .await
    {
        Ok(account) => (StatusCode::CREATED, Json(account)).into_response(),
        Err(e) => error(e),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

pub(super) async fn guest_user(
    State(api): State<Arc<Api>>,
    Path((account, role)): Path<(Uuid, Uuid)>,
    request: Request,
) -> Response {
    let caller = try_response!(caller(&request));
    let tenant_id = try_response!(tenant(&caller));
    let EmailBody { email } = try_response!(body(request).await);
    let params = usecase::subscriptions_manager::GuestParams {
        tenant_id,
        account_id: account,
        role_id: role,
        email,
    };
    match usecase::subscriptions_manager::guest_user(api.store(), &caller, params).await {
        Ok(guest) if guest.created => (StatusCode::CREATED, Json(guest)).into_response(),
        Ok(guest) => Json(guest).into_response(),
        Err(e) => error(e),
    }
}

pub(super) async fn revoke_guest(
    State(api): State<Arc<Api>>,
    Path((account, role)): Path<(Uuid, Uuid)>,
    RawQuery(raw): RawQuery,
    request: Request,
) -> Response {
    let caller = try_response!(caller(&request));
    let tenant_id = try_response!(tenant(&caller));
    let EmailBody { email } = try_response!(query(raw));
    let params = usecase::subscriptions_manager::GuestParams {
        tenant_id,
        account_id: account,
        role_id: role,
        email,
    };
    match api.revoke_guest(&caller, params).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => error(e),
    }
}

pub(super) async fn create_token(State(api): State<Arc<Api>>, request: Request) -> Response {
    let caller = try_response!(caller(&request));
    let params = try_response!(body(request).await);
    match api.create_token(&caller, params).await {
        Ok(value) => Json(json!({ "connectionString": value.as_str() })).into_response(),
        Err(e) => error(e),
    }
}

pub(super) async fn list_tokens(State(api): State<Arc<Api>>, request: Request) -> Response {
    let caller = try_response!(caller(&request));
    match usecase::tokens::list(api.store(), &caller).await {
        Ok(tokens) => Json(tokens).into_response(),
        Err(e) => error(e),
    }
}

pub(super) async fn account_state(
    State(api): State<Arc<Api>>,
    Path((account, action)): Path<(Uuid, String)>,
    request: Request,
) -> Response {
    let caller = try_response!(caller(&request));
    let active = match action.as_str() {
        "activate" => true,
        "deactivate" => false,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let params = usecase::users_manager::AccountId {
        account_id: account,
    };
    match api.set_account_active(&caller, params, active).await {
        Ok(()) => (
            StatusCode::ACCEPTED,
            Json(json!({ "id": account, "isActive": active })),
        )
            .into_response(),
        Err(e) => error(e),
    }
}
