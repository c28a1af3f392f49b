//! Upstream's `beginners.users.*` JSON-RPC methods at `POST /_adm/rpc`. They are how a
//! caller gets a credential, so they cannot sit behind the authentication the rest of the
//! admin API needs: [`public_first`] reads the body once and answers a request (or batch)
//! made only of these methods itself; anything else goes on, body unchanged, to the
//! authenticated router. The TOTP methods check their bearer token here, as the REST paths
//! do (`totpCheckToken` takes the token of a login awaiting its code).

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use tower::ServiceExt;

use super::LoginAnswer;
use super::passwords::{PasswordError, Passwords};
use super::rest::TotpRoutes;
use super::totp::TotpError;
use crate::rpc::router::RPC_PATH;
use crate::rpc::spec::{Effect, MethodSpec, ParamSpec, Success, optional, required, rest, schema};
use crate::rpc::wire::{self, Call, Entry, ErrorObject, Incoming, MAX_BODY_BYTES, codes};

fn login_answer() -> Value {
    json!({
        "type": "object",
        "description": "upstream's MyceliumLoginResponse: the token and the user, flattened",
        "required": ["token", "duration", "totpRequired", "email", "username", "mfa"],
    })
}
fn created() -> Value {
    schema::object(&["message"])
}
fn totp_url() -> Value {
    schema::object(&["totpUrl"])
}
fn finished() -> Value {
    schema::object(&["finished"])
}

const EMAIL_TOKEN: &[ParamSpec] = &[
    required("email", schema::email),
    required("token", schema::string),
];
const CODE: &[ParamSpec] = &[required("token", schema::string)];

/// The methods answered without authentication (upstream's names), with the REST paths
/// [`super::rest`] serves. They appear in `rpc.discover` when the admin API is built with
/// [`crate::rpc::Api::with_public_methods`]. The TOTP methods take the caller's bearer token.
pub const SPECS: &[MethodSpec] = &[
    MethodSpec {
        name: "beginners.users.create",
        summary: "Register a password credential; an activation code is mailed",
        params: &[
            required("email", schema::email),
            required("password", schema::string),
            optional("firstName", schema::string),
            optional("lastName", schema::string),
        ],
        result: created,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/users", Success::Created),
    },
    MethodSpec {
        name: "beginners.users.checkTokenAndActivateUser",
        summary: "Activate a password credential with its mailed code",
        params: EMAIL_TOKEN,
        result: schema::boolean,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/beginners/users/validate-activation-token",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.users.startPasswordRedefinition",
        summary: "Mail a password reset code (the same answer for unknown addresses)",
        params: &[required("email", schema::email)],
        result: schema::boolean,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/beginners/users/start-password-reset",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.users.checkTokenAndResetPassword",
        summary: "Set a new password with the mailed reset code",
        params: &[
            required("email", schema::email),
            required("token", schema::string),
            required("newPassword", schema::string),
        ],
        result: schema::boolean,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/users/reset-password", Success::Ok),
    },
    MethodSpec {
        name: "beginners.users.checkEmailPasswordValidity",
        summary: "Log in with e-mail and password",
        params: &[
            required("email", schema::email),
            required("password", schema::string),
        ],
        result: login_answer,
        effect: Effect::Read,
        rest: rest("POST", "/_adm/beginners/users/login", Success::Ok),
    },
    MethodSpec {
        name: "beginners.users.totpStartActivation",
        summary: "Begin TOTP enrolment: the otpauth URL (bearer: a complete login)",
        params: &[],
        result: totp_url,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/users/totp/enable", Success::Ok),
    },
    MethodSpec {
        name: "beginners.users.totpFinishActivation",
        summary: "Confirm TOTP enrolment with a first code (bearer: a complete login)",
        params: CODE,
        result: finished,
        effect: Effect::Write,
        rest: rest(
            "POST",
            "/_adm/beginners/users/totp/validate-app",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.users.totpCheckToken",
        summary: "Complete a login awaiting its TOTP code (bearer: the pending token)",
        params: CODE,
        result: login_answer,
        effect: Effect::Read,
        rest: rest(
            "POST",
            "/_adm/beginners/users/totp/check-token",
            Success::Ok,
        ),
    },
    MethodSpec {
        name: "beginners.users.totpDisable",
        summary: "Remove the TOTP factor with a valid code (bearer: a complete login)",
        params: CODE,
        result: schema::null,
        effect: Effect::Write,
        rest: rest("POST", "/_adm/beginners/users/totp/disable", Success::Ok),
    },
];

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
            match one(&login, &parts.headers, call).await {
                Some(response) => serde_json::to_string(&response).unwrap_or_default(),
                None => return StatusCode::NO_CONTENT.into_response(),
            }
        }
        Ok(Incoming::Batch(entries)) if !entries.is_empty() && entries.iter().all(public) => {
            let mut responses = Vec::new();
            for entry in entries {
                if let Entry::Call(call) = entry
                    && let Some(response) = one(&login, &parts.headers, call).await
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

async fn one(login: &LoginRpc, headers: &HeaderMap, call: Call) -> Option<wire::Response> {
    let id = call.id.clone()?;
    Some(match run(login, headers, &call.method, call.params).await {
        Ok(value) => wire::Response::result(id, value),
        Err(error) => wire::Response::error(id, error),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Create {
    email: String,
    password: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    first_name: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    last_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EmailToken {
    email: String,
    token: String,
    #[serde(default)]
    new_password: Option<String>,
}

#[derive(Deserialize)]
struct EmailOnly {
    email: String,
}

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
struct Code {
    #[serde(default)]
    token: Option<String>,
}

fn params<T: for<'de> Deserialize<'de>>(value: Value) -> Result<T, ErrorObject> {
    serde_json::from_value(value).map_err(|e| ErrorObject::invalid_params(e.to_string()))
}

fn denied(message: String) -> ErrorObject {
    ErrorObject::forbidden(message, "MYC00019")
}

fn password_error(e: &PasswordError) -> ErrorObject {
    match e {
        PasswordError::Weak | PasswordError::BadEmail => ErrorObject::invalid_params(e.to_string()),
        PasswordError::Invalid | PasswordError::InvalidCode | PasswordError::Locked => {
            denied(e.to_string())
        }
        _ => ErrorObject::new(codes::INTERNAL_ERROR, e.to_string()),
    }
}

fn totp_error(e: &TotpError) -> ErrorObject {
    match e {
        TotpError::Secret | TotpError::Store(_) => {
            ErrorObject::new(codes::INTERNAL_ERROR, e.to_string())
        }
        _ => denied(e.to_string()),
    }
}

async fn bearer(
    login: &LoginRpc,
    headers: &HeaderMap,
    pending: bool,
) -> Result<String, ErrorObject> {
    let refused = || denied("a valid bearer token is required".into());
    let token = super::bearer_token(headers).ok_or_else(refused)?;
    (login.totp.check)(token, pending).await.ok_or_else(refused)
}

fn answer(a: LoginAnswer) -> Value {
    serde_json::to_value(a).unwrap_or(Value::Null)
}

async fn run(
    login: &LoginRpc,
    headers: &HeaderMap,
    method: &str,
    value: Value,
) -> Result<Value, ErrorObject> {
    let pw = &login.passwords;
    let totp = &login.totp.totp;
    match method {
        "beginners.users.create" => {
            let p: Create = params(value)?;
            let password = p
                .password
                .ok_or_else(|| ErrorObject::invalid_params("password is required"))?;
            pw.register(&p.email, &password)
                .await
                .map_err(|e| password_error(&e))?;
            Ok(json!({ "message": "User created successfully" }))
        }
        "beginners.users.checkTokenAndActivateUser" => {
            let p: EmailToken = params(value)?;
            pw.activate(&p.email, &p.token)
                .await
                .map_err(|e| password_error(&e))?;
            Ok(json!(true))
        }
        "beginners.users.startPasswordRedefinition" => {
            let p: EmailOnly = params(value)?;
            pw.start_reset(&p.email)
                .await
                .map_err(|e| password_error(&e))?;
            Ok(json!(true))
        }
        "beginners.users.checkTokenAndResetPassword" => {
            let p: EmailToken = params(value)?;
            let new = p
                .new_password
                .ok_or_else(|| ErrorObject::invalid_params("newPassword is required"))?;
            pw.finish_reset(&p.email, &p.token, &new)
                .await
                .map_err(|e| password_error(&e))?;
            Ok(json!(true))
        }
        "beginners.users.checkEmailPasswordValidity" => {
            let p: Credentials = params(value)?;
            let a = pw
                .login(&p.email, &p.password)
                .await
                .map_err(|e| password_error(&e))?;
            Ok(answer(a))
        }
        "beginners.users.totpStartActivation" => {
            let email = bearer(login, headers, false).await?;
            let url = totp.start(&email).await.map_err(|e| totp_error(&e))?;
            Ok(json!({ "totpUrl": url.as_str() }))
        }
        "beginners.users.totpFinishActivation" => {
            let email = bearer(login, headers, false).await?;
            let code = params::<Code>(value)?.token.unwrap_or_default();
            totp.finish(&email, &code)
                .await
                .map_err(|e| totp_error(&e))?;
            Ok(json!({ "finished": true }))
        }
        "beginners.users.totpCheckToken" => {
            let email = bearer(login, headers, true).await?;
            let code = params::<Code>(value)?.token.unwrap_or_default();
            totp.check(&email, &code)
                .await
                .map_err(|e| totp_error(&e))?;
            let a = login
                .totp
                .finish(&email)
                .await
                .map_err(|e| ErrorObject::new(codes::INTERNAL_ERROR, e.to_string()))?;
            Ok(answer(a))
        }
        "beginners.users.totpDisable" => {
            let email = bearer(login, headers, false).await?;
            let code = params::<Code>(value)?.token.unwrap_or_default();
            totp.disable(&email, &code)
                .await
                .map_err(|e| totp_error(&e))?;
            Ok(Value::Null)
        }
        other => Err(ErrorObject::new(
            codes::METHOD_NOT_FOUND,
            format!("method {other} not found"),
        )),
    }
}
