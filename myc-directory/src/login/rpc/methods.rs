//! Running one public method: its params, the credential of the TOTP ones, the answer.

use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::LoginRpc;
use crate::login::LoginAnswer;
use crate::login::passwords::PasswordError;
use crate::login::totp::TotpError;
use crate::rpc::wire::{self, Call, ErrorObject, codes};

pub(super) async fn one(
    login: &LoginRpc,
    headers: &HeaderMap,
    call: Call,
) -> Option<wire::Response> {
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
    let token = crate::login::bearer_token(headers).ok_or_else(refused)?;
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
