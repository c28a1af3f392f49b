//! Upstream's password paths: register, activate, log in, start and finish a reset.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use crate::login::passwords::{PasswordError, Passwords};

/// The password endpoints (upstream's paths), each answered exactly.
pub const PASSWORD_PATHS: [&str; 5] = [
    "/_adm/beginners/users",
    "/_adm/beginners/users/validate-activation-token",
    "/_adm/beginners/users/login",
    "/_adm/beginners/users/start-password-reset",
    "/_adm/beginners/users/reset-password",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegisterBody {
    email: String,
    password: String,
    // Upstream's names for the person: accepted; the account is named at
    // `beginners.accounts.create`.
    #[serde(default)]
    #[allow(dead_code)]
    first_name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    last_name: Option<String>,
}

#[derive(Deserialize)]
struct EmailCode {
    email: String,
    token: String,
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResetBody {
    email: String,
    token: String,
    new_password: String,
}

#[derive(Deserialize)]
struct RequestBody {
    email: String,
}

pub(super) fn router(passwords: Passwords) -> Router {
    let [
        register_path,
        activate_path,
        login_path,
        start_path,
        reset_path,
    ] = PASSWORD_PATHS;
    Router::new()
        .route(register_path, post(register))
        .route(activate_path, post(activate))
        .route(login_path, post(login))
        .route(start_path, post(start_reset))
        .route(reset_path, post(finish_reset))
        .with_state(passwords)
}

fn password_refusal(e: &PasswordError) -> Response {
    use PasswordError as E;
    let status = match e {
        E::Invalid | E::InvalidCode => StatusCode::UNAUTHORIZED,
        E::Locked => StatusCode::TOO_MANY_REQUESTS,
        E::Weak | E::BadEmail => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "password step failed");
    }
    (status, Json(json!({ "message": e.to_string() }))).into_response()
}

async fn register(State(passwords): State<Passwords>, Json(body): Json<RegisterBody>) -> Response {
    match passwords.register(&body.email, &body.password).await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(json!({ "message": "User created successfully" })),
        )
            .into_response(),
        Err(e) => password_refusal(&e),
    }
}

async fn activate(State(passwords): State<Passwords>, Json(body): Json<EmailCode>) -> Response {
    match passwords.activate(&body.email, &body.token).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => password_refusal(&e),
    }
}

async fn login(State(passwords): State<Passwords>, Json(body): Json<Credentials>) -> Response {
    match passwords.login(&body.email, &body.password).await {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => password_refusal(&e),
    }
}

async fn start_reset(
    State(passwords): State<Passwords>,
    Json(body): Json<RequestBody>,
) -> Response {
    match passwords.start_reset(&body.email).await {
        Ok(()) => Json(json!(true)).into_response(),
        Err(e) => password_refusal(&e),
    }
}

async fn finish_reset(State(passwords): State<Passwords>, Json(body): Json<ResetBody>) -> Response {
    match passwords
        .finish_reset(&body.email, &body.token, &body.new_password)
        .await
    {
        Ok(()) => Json(json!(true)).into_response(),
        Err(e) => password_refusal(&e),
    }
}
