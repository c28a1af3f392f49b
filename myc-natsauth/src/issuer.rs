//! The credential issuer: nodes trade `{node_id, node_token, nats_public_key}` for a short-lived
//! user JWT (hoodcloud flow), over HTTP (`POST /v1/nats/credentials`) or NATS request/reply.
//!
//! The embedding application decides who a node is ([`NodeAuthenticator`]); the issuer checks
//! the key is a user public key, builds the user JWT from the granted template and TTL, signs
//! it with the account signing key and logs every issuance (node id, user key, expiry — never
//! the token).
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use myc_natsauth::issuer::{Issuer, NodeAuthenticator, NodeGrant};
//! use myc_natsauth::claims::UserPermissionLimits;
//! use myc_natsauth::{KeyKind, Nkey};
//!
//! struct Fleet;
//! impl NodeAuthenticator for Fleet {
//!     async fn authenticate(&self, node_id: &str, token: &str) -> Option<NodeGrant> {
//!         // Look the node up; compare a hash of the token in constant time.
//!         (node_id == "node-1" && token == "t").then(|| NodeGrant {
//!             permissions: UserPermissionLimits::default(),
//!             ttl: Duration::from_secs(300),
//!         })
//!     }
//! }
//! # async fn run(account: String, signing_key: Nkey) -> Result<(), Box<dyn std::error::Error>> {
//! let issuer = Arc::new(Issuer::new(Fleet, account, signing_key, "nats://127.0.0.1:4222")?);
//! let app = issuer.router();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8081").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing::post};
use futures::StreamExt;

use crate::claims::{Claims, User, UserPermissionLimits};
use crate::wire::ErrorBody;
pub use crate::wire::{IssueRequest, IssueResponse};
use crate::{Error, KeyKind, Nkey, is_public_key, jwt};

/// What an authenticated node may receive.
#[derive(Clone, Debug)]
pub struct NodeGrant {
    /// Permissions and limits of the issued user.
    pub permissions: UserPermissionLimits,
    /// Lifetime of the issued JWT.
    pub ttl: Duration,
}

/// Decides whether a node is who it claims to be (the embedding application's store).
pub trait NodeAuthenticator: Send + Sync + 'static {
    /// `Some(grant)` when `node_token` authenticates `node_id`.
    fn authenticate(
        &self,
        node_id: &str,
        node_token: &str,
    ) -> impl Future<Output = Option<NodeGrant>> + Send;
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The node is not authenticated.
    #[error("node authentication failed")]
    Unauthorized,
    /// `nats_public_key` is not a user public key.
    #[error("nats_public_key is not a user public key")]
    InvalidPublicKey,
    /// Signing failed.
    #[error("cannot issue credentials: {0}")]
    Internal(String),
}

/// Issues user JWTs for one account.
pub struct Issuer<A> {
    auth: A,
    account: String,
    signing_key: Nkey,
    nats_url: String,
}

impl<A> std::fmt::Debug for Issuer<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issuer")
            .field("account", &self.account)
            .field("nats_url", &self.nats_url)
            .finish_non_exhaustive()
    }
}

impl<A: NodeAuthenticator> Issuer<A> {
    /// An issuer for `account` (public key) signing with `signing_key` (the account key or one of
    /// its signing keys), telling nodes to connect to `nats_url`.
    pub fn new(
        auth: A,
        account: impl Into<String>,
        signing_key: Nkey,
        nats_url: impl Into<String>,
    ) -> Result<Self, Error> {
        let account = account.into();
        if !is_public_key(KeyKind::Account, &account) || signing_key.kind() != KeyKind::Account {
            return Err(Error::Key {
                expected: "account",
                reason: "the issuer needs an account and an account signing key".into(),
            });
        }
        Ok(Self {
            auth,
            account,
            signing_key,
            nats_url: nats_url.into(),
        })
    }

    /// Authenticates the node and issues its user JWT.
    pub async fn issue(&self, request: &IssueRequest) -> Result<IssueResponse, IssueError> {
        if !is_public_key(KeyKind::User, &request.nats_public_key) {
            tracing::warn!(node_id = %request.node_id, "refused: not a user public key");
            return Err(IssueError::InvalidPublicKey);
        }
        let Some(grant) = self
            .auth
            .authenticate(&request.node_id, &request.node_token)
            .await
        else {
            tracing::warn!(node_id = %request.node_id, "refused: node authentication failed");
            return Err(IssueError::Unauthorized);
        };
        let mut claims = Claims::new(
            request.nats_public_key.clone(),
            request.node_id.clone(),
            User::default(),
        );
        claims.nats.limits = grant.permissions;
        if self.signing_key.public_key_str() != self.account {
            claims.nats.issuer_account = self.account.clone();
        }
        let expires_at =
            jwt::now().saturating_add(i64::try_from(grant.ttl.as_secs()).unwrap_or(i64::MAX));
        claims.exp = expires_at;
        let user_jwt = claims
            .encode(&self.signing_key)
            .map_err(|e| IssueError::Internal(e.to_string()))?;
        tracing::info!(node_id = %request.node_id, user = %request.nats_public_key, expires_at, "issued NATS credentials");
        Ok(IssueResponse {
            nats_url: self.nats_url.clone(),
            user_jwt,
            account: self.account.clone(),
            expires_at,
        })
    }

    /// `POST /v1/nats/credentials`: 200 with [`IssueResponse`], 401 unauthenticated, 400 bad key.
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/v1/nats/credentials", post(http_issue::<A>))
            .with_state(self)
    }

    /// Answers requests on `subject` (in `queue`, if given) with JSON responses or
    /// `{"error": …}`, until the subscription ends.
    pub async fn serve_nats(
        self: Arc<Self>,
        client: async_nats::Client,
        subject: String,
        queue: Option<String>,
    ) -> Result<(), async_nats::SubscribeError> {
        let mut requests = match queue {
            Some(q) => client.queue_subscribe(subject, q).await?,
            None => client.subscribe(subject).await?,
        };
        while let Some(msg) = requests.next().await {
            let Some(reply) = msg.reply else { continue };
            let body = match serde_json::from_slice::<IssueRequest>(&msg.payload) {
                Ok(request) => match self.issue(&request).await {
                    Ok(response) => serde_json::to_vec(&response),
                    Err(e) => serde_json::to_vec(&ErrorBody {
                        error: e.to_string(),
                    }),
                },
                Err(_) => serde_json::to_vec(&ErrorBody {
                    error: "malformed request".into(),
                }),
            };
            if let Ok(body) = body {
                let _ = client.publish(reply, body.into()).await;
            }
        }
        Ok(())
    }
}

async fn http_issue<A: NodeAuthenticator>(
    State(issuer): State<Arc<Issuer<A>>>,
    Json(request): Json<IssueRequest>,
) -> Response {
    match issuer.issue(&request).await {
        Ok(response) => (StatusCode::OK, Json(response)).into_response(),
        Err(e) => {
            let status = match e {
                IssueError::Unauthorized => StatusCode::UNAUTHORIZED,
                IssueError::InvalidPublicKey => StatusCode::BAD_REQUEST,
                IssueError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            (
                status,
                Json(ErrorBody {
                    error: e.to_string(),
                }),
            )
                .into_response()
        }
    }
}
