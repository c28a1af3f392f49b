//! `POST totp/enable | validate-app | check-token | disable` (bodies `{"token": "123456"}`),
//! each for the caller of a bearer token.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::magic_link::refusal;
use crate::login::LoginError;

/// The TOTP endpoints' common prefix.
pub const TOTP_PREFIX: &str = "/_adm/beginners/users/totp/";

/// What the TOTP endpoints need.
#[derive(Clone)]
pub struct TotpRoutes {
    /// The factor.
    pub totp: crate::login::totp::Totp,
    /// Verifies bearer tokens.
    pub check: crate::login::TokenCheck,
    /// Mints the completed login's token.
    pub mint: crate::login::TokenMinter,
}

/// `POST enable | validate-app | check-token | disable` under [`TOTP_PREFIX`].
pub(super) fn router(routes: TotpRoutes) -> Router {
    Router::new()
        .route(&format!("{TOTP_PREFIX}enable"), post(enable))
        .route(&format!("{TOTP_PREFIX}validate-app"), post(validate))
        .route(&format!("{TOTP_PREFIX}check-token"), post(check))
        .route(&format!("{TOTP_PREFIX}disable"), post(disable))
        .with_state(routes)
}

impl TotpRoutes {
    /// The answer of a login completed by its TOTP code.
    pub(crate) async fn finish(
        &self,
        email: &str,
    ) -> Result<crate::login::LoginAnswer, LoginError> {
        let finish = crate::login::answer::Finish {
            store: self.totp.store(),
            totp: Some(&self.totp),
            mint: &self.mint,
        };
        finish
            .answer(email, crate::login::answer::Factor::Second)
            .await
    }
}

#[derive(Deserialize)]
struct CodeBody {
    token: String,
}

/// Runs `step` for the e-mail of the request's bearer token when that token is valid at the
/// wanted stage (`pending`: a login awaiting its code); 401 otherwise.
async fn as_caller<F, Fut>(
    routes: &TotpRoutes,
    headers: &axum::http::HeaderMap,
    pending: bool,
    step: F,
) -> Response
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = Response>,
{
    let email = match crate::login::bearer_token(headers) {
        Some(token) => (routes.check)(token, pending).await,
        None => None,
    };
    match email {
        Some(email) => step(email).await,
        None => unauthenticated(),
    }
}

fn totp_refusal(e: &crate::login::totp::TotpError) -> Response {
    use crate::login::totp::TotpError as E;
    let status = match e {
        E::AlreadyEnabled => StatusCode::CONFLICT,
        E::NotEnabled => StatusCode::NOT_FOUND,
        E::InvalidCode => StatusCode::UNAUTHORIZED,
        E::Locked => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "TOTP failed");
    }
    (status, Json(json!({ "message": e.to_string() }))).into_response()
}

fn unauthenticated() -> Response {
    (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "message": "a valid bearer token is required" })),
    )
        .into_response()
}

/// `totp/enable` query (upstream's `qrCode`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EnableQuery {
    #[serde(default)]
    qr_code: Option<bool>,
}

async fn enable(
    State(routes): State<TotpRoutes>,
    Query(query): Query<EnableQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    if query.qr_code == Some(true) {
        // Upstream answers a base64 PNG labelled image/jpeg; the URL renders anywhere.
        let message = "qrCode images are not produced here: render totpUrl (an otpauth URL) \
                       as a QR code in the client";
        return (StatusCode::BAD_REQUEST, Json(json!({ "message": message }))).into_response();
    }
    let routes = &routes;
    as_caller(routes, &headers, false, |email| async move {
        match routes.totp.start(&email).await {
            Ok(url) => Json(json!({ "totpUrl": url.as_str() })).into_response(),
            Err(e) => totp_refusal(&e),
        }
    })
    .await
}

async fn validate(
    State(routes): State<TotpRoutes>,
    headers: axum::http::HeaderMap,
    Json(body): Json<CodeBody>,
) -> Response {
    let routes = &routes;
    as_caller(routes, &headers, false, |email| async move {
        match routes.totp.finish(&email, &body.token).await {
            Ok(()) => Json(json!({ "finished": true })).into_response(),
            Err(e) => totp_refusal(&e),
        }
    })
    .await
}

async fn check(
    State(routes): State<TotpRoutes>,
    headers: axum::http::HeaderMap,
    Json(body): Json<CodeBody>,
) -> Response {
    let routes = &routes;
    as_caller(routes, &headers, true, |email| async move {
        if let Err(e) = routes.totp.check(&email, &body.token).await {
            return totp_refusal(&e);
        }
        match routes.finish(&email).await {
            Ok(answer) => Json(answer).into_response(),
            Err(e) => refusal(&e),
        }
    })
    .await
}

async fn disable(
    State(routes): State<TotpRoutes>,
    headers: axum::http::HeaderMap,
    Json(body): Json<CodeBody>,
) -> Response {
    let routes = &routes;
    as_caller(routes, &headers, false, |email| async move {
        match routes.totp.disable(&email, &body.token).await {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => totp_refusal(&e),
        }
    })
    .await
}
