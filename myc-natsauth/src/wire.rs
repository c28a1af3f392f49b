//! The credential issuer's request and response bodies, shared by the issuer
//! ([`crate::issuer`], feature `issuer`) and the self-renewing client ([`crate::client`],
//! feature `client`). JSON over `POST /v1/nats/credentials` or NATS request/reply; errors are
//! `{"error": "..."}`.

use serde::{Deserialize, Serialize};

/// A request for credentials.
#[derive(Clone, Deserialize, Serialize)]
pub struct IssueRequest {
    /// The node's id.
    pub node_id: String,
    /// The node's secret token.
    pub node_token: String,
    /// The node's user public key (`U…`); its seed never leaves the node.
    pub nats_public_key: String,
}

impl std::fmt::Debug for IssueRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssueRequest")
            .field("node_id", &self.node_id)
            .field("node_token", &"<redacted>")
            .field("nats_public_key", &self.nats_public_key)
            .finish()
    }
}

/// Issued credentials.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct IssueResponse {
    /// Where to connect.
    pub nats_url: String,
    /// The user JWT.
    pub user_jwt: String,
    /// The account's public key.
    pub account: String,
    /// Expiry (Unix seconds).
    pub expires_at: i64,
}

/// The body of a refusal.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ErrorBody {
    /// What went wrong (never secret material).
    pub error: String,
}
