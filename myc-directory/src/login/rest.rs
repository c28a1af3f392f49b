//! The magic-link endpoints as an axum router (upstream's paths under
//! `/_adm/beginners/users/magic-link/`), public: they are how a caller gets a credential.
//! Pages are sent with `Cache-Control: no-store`, `Referrer-Policy: no-referrer` and a CSP
//! that allows no script.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{LoginError, MagicLinks};
use crate::mail::templates::{LinkPage, escape};

/// The magic-link endpoints' common prefix.
pub const PREFIX: &str = "/_adm/beginners/users/magic-link/";

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

/// The TOTP endpoints' common prefix.
pub const TOTP_PREFIX: &str = "/_adm/beginners/users/totp/";

/// What the TOTP endpoints need.
#[derive(Clone)]
pub struct TotpRoutes {
    /// The factor.
    pub totp: super::totp::Totp,
    /// Verifies bearer tokens.
    pub check: super::TokenCheck,
    /// Mints the completed login's token.
    pub mint: super::TokenMinter,
}

impl TotpRoutes {
    /// The answer of a login completed by its TOTP code.
    pub(crate) async fn finish(&self, email: &str) -> Result<super::LoginAnswer, LoginError> {
        let finish = super::answer::Finish {
            store: self.totp.store(),
            totp: Some(&self.totp),
            mint: &self.mint,
        };
        finish.answer(email, super::answer::Factor::Second).await
    }
}

#[derive(Deserialize)]
struct CodeBody {
    token: String,
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

/// The router: `POST request`, `GET`/`POST display`, `POST verify`; with `totp`, also
/// `POST totp/enable | validate-app | check-token | disable` (bodies `{"token": "123456"}`);
/// with `passwords`, the [`PASSWORD_PATHS`].
pub fn router(
    links: MagicLinks,
    totp: Option<TotpRoutes>,
    passwords: Option<super::passwords::Passwords>,
) -> Router {
    let magic = match passwords {
        None => Router::new(),
        Some(passwords) => password_router(passwords),
    };
    let magic = magic.merge(
        Router::new()
            .route(&format!("{PREFIX}verify"), post(verify))
            .route(&format!("{PREFIX}request"), post(request))
            .route(&format!("{PREFIX}display"), get(display).post(reveal))
            .with_state(links),
    );
    match totp {
        None => magic,
        Some(totp) => magic.merge(
            Router::new()
                .route(&format!("{TOTP_PREFIX}enable"), post(totp_enable))
                .route(&format!("{TOTP_PREFIX}validate-app"), post(totp_validate))
                .route(&format!("{TOTP_PREFIX}check-token"), post(totp_check))
                .route(&format!("{TOTP_PREFIX}disable"), post(totp_disable))
                .with_state(totp),
        ),
    }
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
    let email = match super::bearer_token(headers) {
        Some(token) => (routes.check)(token, pending).await,
        None => None,
    };
    match email {
        Some(email) => step(email).await,
        None => unauthenticated(),
    }
}

fn totp_refusal(e: &super::totp::TotpError) -> Response {
    use super::totp::TotpError as E;
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

async fn totp_enable(
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

async fn totp_validate(
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

async fn totp_check(
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

async fn totp_disable(
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

fn refusal(e: &LoginError) -> Response {
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

fn page(status: StatusCode, lang: &str, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>body{{font-family:sans-serif;max-width:28rem;margin:4rem auto;\
         text-align:center}}#code{{font-size:2.5rem;letter-spacing:.4rem;font-family:monospace}}\
         button{{font-size:1.1rem;padding:.6rem 1.2rem}}</style></head><body>{body}</body></html>",
        title = escape(title)
    );
    let mut response = (status, html).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    headers.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}

/// The button page of a link, in `words`' language.
fn button_page(words: &LinkPage, email: &str, token: &str) -> Response {
    let body = format!(
        "<h1>{sign_in}</h1><p>{press} {email}.</p>\
         <form method=\"post\"><input type=\"hidden\" name=\"email\" value=\"{email}\">\
         <input type=\"hidden\" name=\"token\" value=\"{token}\">\
         <button id=\"reveal\" type=\"submit\">{button}</button></form>",
        sign_in = escape(words.sign_in),
        press = escape(words.press_for),
        email = escape(email),
        token = escape(token),
        button = escape(words.button),
    );
    page(StatusCode::OK, words.lang, words.sign_in, &body)
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

fn password_router(passwords: super::passwords::Passwords) -> Router {
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

fn password_refusal(e: &super::passwords::PasswordError) -> Response {
    use super::passwords::PasswordError as E;
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

async fn register(
    State(passwords): State<super::passwords::Passwords>,
    Json(body): Json<RegisterBody>,
) -> Response {
    match passwords.register(&body.email, &body.password).await {
        Ok(()) => (
            StatusCode::CREATED,
            Json(json!({ "message": "User created successfully" })),
        )
            .into_response(),
        Err(e) => password_refusal(&e),
    }
}

async fn activate(
    State(passwords): State<super::passwords::Passwords>,
    Json(body): Json<EmailCode>,
) -> Response {
    match passwords.activate(&body.email, &body.token).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => password_refusal(&e),
    }
}

async fn login(
    State(passwords): State<super::passwords::Passwords>,
    Json(body): Json<Credentials>,
) -> Response {
    match passwords.login(&body.email, &body.password).await {
        Ok(answer) => Json(answer).into_response(),
        Err(e) => password_refusal(&e),
    }
}

async fn start_reset(
    State(passwords): State<super::passwords::Passwords>,
    Json(body): Json<RequestBody>,
) -> Response {
    match passwords.start_reset(&body.email).await {
        Ok(()) => Json(json!(true)).into_response(),
        Err(e) => password_refusal(&e),
    }
}

async fn finish_reset(
    State(passwords): State<super::passwords::Passwords>,
    Json(body): Json<ResetBody>,
) -> Response {
    match passwords
        .finish_reset(&body.email, &body.token, &body.new_password)
        .await
    {
        Ok(()) => Json(json!(true)).into_response(),
        Err(e) => password_refusal(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn the_button_page_speaks_the_configured_language_and_escapes_what_it_echoes() {
        let pt = text(button_page(
            &LinkPage::of("pt-BR"),
            "a@b.example",
            "t\"><x>",
        ))
        .await;
        assert!(
            pt.contains("lang=\"pt-BR\"") && pt.contains("Mostrar meu código"),
            "{pt}"
        );
        assert!(
            pt.contains("t&quot;&gt;&lt;x&gt;") && !pt.contains("<x>"),
            "{pt}"
        );
        let en = text(button_page(&LinkPage::of("fr-FR"), "a@b.example", "t")).await;
        assert!(
            en.contains("lang=\"en\"") && en.contains("Show my code"),
            "{en}"
        );
    }
}
