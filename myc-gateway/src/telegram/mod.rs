//! The Telegram identity source (`[gateway.telegram]`).
//!
//! - **Per-tenant bot**: `myc-gateway telegram config --tenant ID` seals the tenant's bot
//!   token and webhook secret in the store (tenant DEK; never readable through an endpoint).
//! - **Webhooks** (`identitySource = "telegram"` routes, the tenant id as the last path
//!   segment, e.g. `/auth/telegram/webhook/{tenant}`): `X-Telegram-Bot-Api-Secret-Token` is
//!   compared with the tenant's webhook secret in constant time and removed, the update's sender
//!   (`message.from`, `callback_query.from`, …) is looked up among linked
//!   accounts, and the route's group is applied to that account as to any caller (its profile
//!   is injected). 422 tenant not configured, 401 bad secret or unlinked sender, 400 no sender.
//! - **Linking** (`POST /auth/telegram/link`, authenticated, `x-mycelium-tenant-id` names the
//!   tenant whose bot signed the Mini App `initData`): verifies `initData` ([`init_data`]) and
//!   stores the Telegram user on the caller's account. 401 invalid or stale, 409 already linked
//!   (either side), 422 tenant not configured. `DELETE /auth/telegram/link` removes it (404 if
//!   none).
//! - **Login** (`POST /auth/telegram/login/{tenant}`, public): verifies `initData` with the
//!   tenant's bot and returns a connection string scoped to the tenant for the linked account
//!   (`{"connectionString", "expiresAt"}`). 401 invalid or stale, 404 not linked or not a member
//!   of the tenant, 422 tenant not configured.

pub use myc_tower::telegram as init_data;
pub(crate) mod update;

use std::sync::Arc;

/// The paths [`Telegram::router`] answers (a trailing `/` covers everything under it), for
/// [`crate::app::App::mount`].
pub const ENDPOINTS: [&str; 2] = ["/auth/telegram/link", "/auth/telegram/login/"];

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::routing::post;
use http::{HeaderValue, Request, Response, StatusCode};
use myc_tower::auth::{AssertedIdentity, AuthLayer, Authenticator, Caller};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::admin::{IssueRequest, issue_connection_string};
use crate::config::{AuthSettings, TelegramSettings};
use crate::store::{self, SqlStore, Store};
use crate::vault::SecretVault;

/// The header Telegram sends the webhook secret in.
pub const SECRET_TOKEN_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Largest webhook update read.
pub const MAX_UPDATE_BYTES: usize = 1024 * 1024;
const BOT_TOKEN: &str = "telegram/bot_token";
const WEBHOOK_SECRET: &str = "telegram/webhook_secret";

/// Why a Telegram request was refused.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    /// 400.
    #[error("{0}")]
    BadRequest(String),
    /// 401.
    #[error("{0}")]
    Unauthorized(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 409.
    #[error("{0}")]
    Conflict(String),
    /// 422: the tenant has no bot configured.
    #[error("tenant {0} has no Telegram bot configured")]
    NotConfigured(Uuid),
    /// 500.
    #[error("{0}")]
    Internal(String),
}

impl From<store::Error> for TelegramError {
    fn from(e: store::Error) -> Self {
        tracing::error!(error = %e, "telegram: store failure");
        Self::Internal("the store is unavailable".into())
    }
}

impl TelegramError {
    /// The JSON error response (`{"message", "code"}`).
    pub fn response(&self) -> Response<Body> {
        use crate::error_code::GatewayCode;
        let code = match self {
            Self::BadRequest(_) => GatewayCode::BadRequest,
            Self::Unauthorized(_) => GatewayCode::Unauthorized,
            Self::NotFound(_) => GatewayCode::NotFound,
            Self::Conflict(_) => GatewayCode::Conflict,
            Self::NotConfigured(_) => GatewayCode::NotConfigured,
            Self::Internal(_) => GatewayCode::Internal,
        };
        code.response(&self.to_string())
    }
}

/// Checks a bot token (`<digits>:<token>`) and a webhook secret (16–256 of `A-Z a-z 0-9 _ -`,
/// what Telegram accepts as `secret_token`).
pub fn check_bot_config(bot_token: &str, webhook_secret: &str) -> Result<(), String> {
    let bot_ok = bot_token.split_once(':').is_some_and(|(id, rest)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && rest.len() >= 20
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if !bot_ok {
        return Err("botToken is not a Telegram bot token (<digits>:<token>)".into());
    }
    let secret_ok = (16..=256).contains(&webhook_secret.len())
        && webhook_secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !secret_ok {
        return Err("webhookSecret must be 16-256 characters of A-Z, a-z, 0-9, _ and -".into());
    }
    Ok(())
}

/// How long an opened webhook secret is reused before the store is read again (a secret
/// changed through another replica takes effect here within this time).
const WEBHOOK_SECRET_TTL: std::time::Duration = std::time::Duration::from_secs(30);
/// Tenants whose opened webhook secret is kept at most.
const WEBHOOK_SECRET_CACHE: usize = 10_000;

type SecretCache = std::collections::HashMap<Uuid, (Arc<Zeroizing<Vec<u8>>>, std::time::Instant)>;

/// The Telegram identity source of one gateway.
pub struct Telegram {
    vault: SecretVault<SqlStore>,
    auth: AuthSettings,
    settings: TelegramSettings,
    /// Opened webhook secrets by tenant: an update costs no DEK read or decryption.
    webhook_secrets: std::sync::Mutex<SecretCache>,
}

impl std::fmt::Debug for Telegram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Telegram")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InitDataBody {
    init_data: String,
}

/// The tenant a link request names (read before the auth layer strips the header).
#[derive(Clone, Copy, Debug)]
struct LinkTenant(Option<Uuid>);

impl Telegram {
    /// The identity source over `vault`'s store; `auth` signs login connection strings.
    pub fn new(
        vault: SecretVault<SqlStore>,
        auth: AuthSettings,
        settings: TelegramSettings,
    ) -> Self {
        Self {
            vault,
            auth,
            settings,
            webhook_secrets: std::sync::Mutex::new(SecretCache::new()),
        }
    }

    /// The tenant's webhook secret, from the cache while it is fresh.
    async fn webhook_secret(&self, tenant: Uuid) -> Result<Arc<Zeroizing<Vec<u8>>>, TelegramError> {
        if let Ok(cache) = self.webhook_secrets.lock()
            && let Some((secret, at)) = cache.get(&tenant)
            && at.elapsed() < WEBHOOK_SECRET_TTL
        {
            return Ok(secret.clone());
        }
        let secret = Arc::new(self.secret(tenant, WEBHOOK_SECRET).await?);
        if let Ok(mut cache) = self.webhook_secrets.lock() {
            if cache.len() >= WEBHOOK_SECRET_CACHE {
                cache.retain(|_, (_, at)| at.elapsed() < WEBHOOK_SECRET_TTL);
                if cache.len() >= WEBHOOK_SECRET_CACHE {
                    cache.clear();
                }
            }
            cache.insert(tenant, (secret.clone(), std::time::Instant::now()));
        }
        Ok(secret)
    }

    fn store(&self) -> &SqlStore {
        self.vault.store()
    }

    /// Seals a tenant's bot token and webhook secret (replacing earlier ones).
    pub async fn configure(
        &self,
        tenant: Uuid,
        bot_token: &str,
        webhook_secret: &str,
    ) -> Result<(), TelegramError> {
        check_bot_config(bot_token, webhook_secret).map_err(TelegramError::BadRequest)?;
        if self.store().tenant(tenant).await?.is_none() {
            return Err(TelegramError::NotFound(format!(
                "tenant {tenant} not found"
            )));
        }
        self.vault
            .put(tenant, BOT_TOKEN, bot_token.as_bytes())
            .await?;
        self.vault
            .put(tenant, WEBHOOK_SECRET, webhook_secret.as_bytes())
            .await?;
        if let Ok(mut cache) = self.webhook_secrets.lock() {
            cache.remove(&tenant);
        }
        Ok(())
    }

    async fn secret(&self, tenant: Uuid, name: &str) -> Result<Zeroizing<Vec<u8>>, TelegramError> {
        self.vault
            .get(tenant, name)
            .await?
            .ok_or(TelegramError::NotConfigured(tenant))
    }

    async fn verified_user(
        &self,
        tenant: Uuid,
        init_data: &str,
    ) -> Result<init_data::TelegramUser, TelegramError> {
        let bot = self.secret(tenant, BOT_TOKEN).await?;
        let bot = std::str::from_utf8(&bot)
            .map_err(|_| TelegramError::Internal("stored bot token is not text".into()))?;
        init_data::verify(
            init_data,
            bot,
            chrono::Utc::now().timestamp(),
            self.settings.max_auth_age_secs,
        )
        .map_err(|e| TelegramError::Unauthorized(e.to_string()))
    }

    /// `POST /auth/telegram/login/{tenant}`: a connection string for the linked account.
    pub async fn login(
        &self,
        tenant: Uuid,
        init_data: &str,
    ) -> Result<(String, chrono::DateTime<chrono::Utc>), TelegramError> {
        let user = self.verified_user(tenant, init_data).await?;
        let account = self
            .store()
            .account_by_telegram(user.id)
            .await?
            .ok_or_else(|| TelegramError::NotFound("this Telegram user is not linked".into()))?;
        if !self.store().is_member(account.id, tenant).await? {
            return Err(TelegramError::NotFound(format!(
                "the linked account is not a member of tenant {tenant}"
            )));
        }
        let ttl = chrono::Duration::seconds(
            i64::try_from(self.settings.login_ttl_secs).unwrap_or(86_400),
        );
        let (value, record) = issue_connection_string(
            &self.auth,
            self.store(),
            IssueRequest {
                email: &account.email,
                tenant: Some(tenant),
                roles: Vec::new(),
                ttl,
                name: "telegram login",
            },
        )
        .await
        .map_err(|e| TelegramError::Internal(e.to_string()))?;
        tracing::info!(account = %account.id, %tenant, telegram_id = user.id, "telegram login");
        Ok((
            value.to_string(),
            record.expires_at.unwrap_or_else(chrono::Utc::now),
        ))
    }

    /// `POST /auth/telegram/link`: links the verified Telegram user to `email`'s account.
    pub async fn link(
        &self,
        email: &str,
        tenant: Uuid,
        init_data: &str,
    ) -> Result<init_data::TelegramUser, TelegramError> {
        let user = self.verified_user(tenant, init_data).await?;
        let account = self
            .store()
            .account_by_email(email)
            .await?
            .ok_or_else(|| TelegramError::Unauthorized("no account for the caller".into()))?;
        match self
            .store()
            .link_telegram(account.id, user.id, user.username.as_deref())
            .await
        {
            Ok(()) => {
                tracing::info!(account = %account.id, telegram_id = user.id, "telegram linked");
                Ok(user)
            }
            Err(store::Error::Conflict(_)) => Err(TelegramError::Conflict(
                "the account already has a Telegram link, or this Telegram user is linked to another account".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// `DELETE /auth/telegram/link`.
    pub async fn unlink(&self, email: &str) -> Result<(), TelegramError> {
        let account = self
            .store()
            .account_by_email(email)
            .await?
            .ok_or_else(|| TelegramError::Unauthorized("no account for the caller".into()))?;
        if self.store().unlink_telegram(account.id).await? {
            Ok(())
        } else {
            Err(TelegramError::NotFound("no Telegram link".into()))
        }
    }

    /// Checks a webhook request for an `identitySource = "telegram"` route and marks it with
    /// the linked account's identity (for the route's auth layer); the request comes back with
    /// its body intact and the secret header removed.
    pub async fn webhook(&self, request: Request<Body>) -> Result<Request<Body>, TelegramError> {
        let tenant = request
            .uri()
            .path()
            .rsplit('/')
            .find(|s| !s.is_empty())
            .and_then(|s| Uuid::parse_str(s).ok())
            .ok_or_else(|| {
                TelegramError::BadRequest("the webhook path must end with the tenant id".into())
            })?;
        let (mut parts, body) = request.into_parts();
        let presented = parts.headers.remove(SECRET_TOKEN_HEADER);
        let expected = self.webhook_secret(tenant).await?;
        let ok = presented
            .as_ref()
            .is_some_and(|p| bool::from(p.as_bytes().ct_eq(expected.as_slice())));
        if !ok {
            tracing::warn!(%tenant, "telegram webhook with a wrong or missing secret token");
            return Err(TelegramError::Unauthorized(
                "wrong or missing X-Telegram-Bot-Api-Secret-Token".into(),
            ));
        }
        let bytes = axum::body::to_bytes(body, MAX_UPDATE_BYTES)
            .await
            .map_err(|_| TelegramError::BadRequest("unreadable or too large update".into()))?;
        let update: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| TelegramError::BadRequest("the update is not JSON".into()))?;
        let sender = update::sender_id(&update)
            .ok_or_else(|| TelegramError::BadRequest("the update has no sender".into()))?;
        let account = self
            .store()
            .account_by_telegram(sender)
            .await?
            .ok_or_else(|| {
                TelegramError::Unauthorized("the sender has not linked a Mycelium account".into())
            })?;
        let mut request = Request::from_parts(parts, Body::from(bytes));
        request.extensions_mut().insert(AssertedIdentity {
            email: account.email,
            tenant: Some(tenant),
            source: "telegram",
        });
        Ok(request)
    }

    /// The link and login endpoints ([`ENDPOINTS`]); `auth` authenticates link callers.
    pub fn router(self: Arc<Self>, auth: Arc<Authenticator>) -> Router {
        async fn login(
            State(telegram): State<Arc<Telegram>>,
            Path(tenant): Path<String>,
            body: axum::body::Bytes,
        ) -> Response<Body> {
            let Ok(tenant) = Uuid::parse_str(&tenant) else {
                return TelegramError::BadRequest("not a tenant id".into()).response();
            };
            let Ok(body) = serde_json::from_slice::<InitDataBody>(&body) else {
                return TelegramError::BadRequest("expected {\"initData\": \"…\"}".into())
                    .response();
            };
            match telegram.login(tenant, &body.init_data).await {
                Ok((value, expires)) => json_response(
                    StatusCode::OK,
                    json!({"connectionString": value, "expiresAt": expires.to_rfc3339()}),
                ),
                Err(e) => e.response(),
            }
        }
        async fn link(
            State(telegram): State<Arc<Telegram>>,
            request: Request<Body>,
        ) -> Response<Body> {
            let email = request
                .extensions()
                .get::<Caller>()
                .and_then(|c| c.email().map(str::to_owned));
            let tenant = request.extensions().get::<LinkTenant>().and_then(|t| t.0);
            let (Some(email), Some(tenant)) = (email, tenant) else {
                return TelegramError::BadRequest(
                    "authenticate and name the tenant in x-mycelium-tenant-id".into(),
                )
                .response();
            };
            let delete = request.method() == http::Method::DELETE;
            if delete {
                return match telegram.unlink(&email).await {
                    Ok(()) => json_response(StatusCode::NO_CONTENT, serde_json::Value::Null),
                    Err(e) => e.response(),
                };
            }
            let Ok(body) = axum::body::to_bytes(request.into_body(), 64 * 1024).await else {
                return TelegramError::BadRequest("unreadable body".into()).response();
            };
            let Ok(body) = serde_json::from_slice::<InitDataBody>(&body) else {
                return TelegramError::BadRequest("expected {\"initData\": \"…\"}".into())
                    .response();
            };
            match telegram.link(&email, tenant, &body.init_data).await {
                Ok(user) => json_response(
                    StatusCode::CREATED,
                    json!({"telegramId": user.id, "username": user.username}),
                ),
                Err(e) => e.response(),
            }
        }
        let link_routes = Router::new()
            .route("/auth/telegram/link", post(link).delete(link))
            .layer(AuthLayer::new(
                auth,
                myc_profile::SecurityGroup::Authenticated,
            ))
            // Outermost: read the tenant before the auth layer strips x-mycelium-tenant-id.
            .layer(axum::middleware::map_request(
                |mut request: Request<Body>| async move {
                    let tenant = request
                        .headers()
                        .get(myc_profile::headers::TENANT_ID)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| Uuid::parse_str(v.trim()).ok());
                    request.extensions_mut().insert(LinkTenant(tenant));
                    request
                },
            ));
        Router::new()
            .route("/auth/telegram/login/{tenant}", post(login))
            .merge(link_routes)
            .with_state(self)
    }
}

fn json_response(status: StatusCode, body: serde_json::Value) -> Response<Body> {
    let mut response = if body.is_null() {
        Response::new(Body::empty())
    } else {
        Response::new(Body::from(body.to_string()))
    };
    *response.status_mut() = status;
    if !body.is_null() {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    response
}
