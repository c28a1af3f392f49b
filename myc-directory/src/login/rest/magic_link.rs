//! `POST request`, `GET`/`POST display` (the button, then the code once), `POST verify`.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::page::{button_page, page};
use crate::login::{LoginError, MagicLinks};
use crate::mail::templates::{LinkPage, escape};

/// The magic-link endpoints' common prefix.
pub const PREFIX: &str = "/_adm/beginners/users/magic-link/";

/// `POST request`, `GET`/`POST display`, `POST verify` under [`PREFIX`].
pub(super) fn router(links: MagicLinks) -> Router {
    Router::new()
        .route(&format!("{PREFIX}verify"), post(verify))
        .route(&format!("{PREFIX}request"), post(request))
        .route(&format!("{PREFIX}display"), get(display).post(reveal))
        .with_state(links)
}

#[derive(Deserialize)]
struct RequestBody {
    email: String,
}

#[derive(Deserialize)]
struct LinkParams {
    email: String,
    token: String,
}

#[derive(Deserialize)]
struct VerifyBody {
    email: String,
    code: String,
}

type Peer = Option<Extension<ConnectInfo<SocketAddr>>>;

/// The client: as the host resolved it through trusted proxies, else the peer.
fn client(
    asserted: Option<Extension<myc_tower::client_addr::ClientAddr>>,
    peer: Peer,
) -> Option<IpAddr> {
    asserted
        .map(|Extension(c)| c.0)
        .or(peer.map(|Extension(ConnectInfo(p))| p.ip()))
}

pub(super) fn refusal(e: &LoginError) -> Response {
    let status = match e {
        LoginError::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        LoginError::BadEmail => StatusCode::BAD_REQUEST,
        LoginError::InvalidLink | LoginError::InvalidCode => StatusCode::UNAUTHORIZED,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        tracing::error!(error = %e, "login failed");
    }
    (status, Json(json!({ "message": e.to_string() }))).into_response()
}

async fn request(
    State(links): State<MagicLinks>,
    asserted: Option<Extension<myc_tower::client_addr::ClientAddr>>,
    peer: Peer,
    Json(body): Json<RequestBody>,
) -> Response {
    match links.request(&body.email, client(asserted, peer)).await {
        // Upstream answers 200 (its clients check for it), whatever happens next.
        Ok(()) => Json(json!({ "sent": true })).into_response(),
        Err(e) => refusal(&e),
    }
}

/// `GET display`: a button; nothing is spent or shown until it is pressed.
async fn display(State(links): State<MagicLinks>, Query(params): Query<LinkParams>) -> Response {
    button_page(&LinkPage::of(links.locale()), &params.email, &params.token)
}

/// `POST display` (the button): the code, once.
async fn reveal(State(links): State<MagicLinks>, Form(params): Form<LinkParams>) -> Response {
    let words = LinkPage::of(links.locale());
    match links.reveal(&params.email, &params.token).await {
        Ok(code) => page(
            StatusCode::OK,
            words.lang,
            words.your_code,
            &format!(
                "<h1>{}</h1><p id=\"code\">{}</p><p>{}</p>",
                escape(words.your_code),
                escape(&code),
                escape(words.works_once)
            ),
        ),
        Err(LoginError::InvalidLink) => page(
            StatusCode::GONE,
            words.lang,
            words.gone_title,
            &format!(
                "<h1>{}</h1><p>{}</p>",
                escape(words.gone_title),
                escape(words.gone_text)
            ),
        ),
        Err(e) => refusal(&e),
    }
}

async fn verify(State(links): State<MagicLinks>, Json(body): Json<VerifyBody>) -> Response {
    match links.verify(&body.email, &body.code).await {
        Ok(answer) => (StatusCode::OK, Json(answer)).into_response(),
        Err(e) => refusal(&e),
    }
}
