//! Where fresh user JWTs come from: [`CredentialSource`], with the issuer over HTTP
//! ([`HttpIssuer`]) and over NATS request/reply ([`NatsIssuer`]).

use std::future::Future;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::wire::{ErrorBody, IssueRequest, IssueResponse};

/// Why a source gave no credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The issuer could not be reached or failed (retry later).
    #[error("credential issuer unavailable: {0}")]
    Unavailable(String),
    /// The issuer answered and refused this node (bad token, bad key).
    #[error("credential issuer refused the node: {0}")]
    Refused(String),
    /// The issuer answered something that is not an [`IssueResponse`].
    #[error("credential issuer sent a malformed response: {0}")]
    Malformed(String),
}

/// Something that trades the node's user public key for a signed user JWT.
pub trait CredentialSource: Send + Sync + 'static {
    /// Asks for a JWT whose subject is `public_key`.
    fn fetch(
        &self,
        public_key: &str,
    ) -> impl Future<Output = Result<IssueResponse, SourceError>> + Send;
}

/// The node's identity towards the issuer: its id and secret token (never printed).
#[derive(Clone)]
pub struct NodeIdentity {
    node_id: String,
    node_token: Zeroizing<String>,
}

impl NodeIdentity {
    /// A node id and its token.
    pub fn new(node_id: impl Into<String>, node_token: impl Into<String>) -> Self {
        Self {
            node_id: node_id.into(),
            node_token: Zeroizing::new(node_token.into()),
        }
    }

    /// The JSON body of an issue request for `public_key` (what [`HttpIssuer`] posts and
    /// [`NatsIssuer`] sends), for a source with its own transport.
    pub fn request_body(&self, public_key: &str) -> Zeroizing<Vec<u8>> {
        let request = IssueRequest {
            node_id: self.node_id.clone(),
            node_token: self.node_token.as_str().to_owned(),
            nats_public_key: public_key.to_owned(),
        };
        let body = serde_json::to_vec(&request).unwrap_or_default();
        // The request's own copy of the token is a plain String: overwrite it before dropping.
        let mut token = request.node_token;
        zeroize::Zeroize::zeroize(&mut token);
        Zeroizing::new(body)
    }
}

impl std::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("node_id", &self.node_id)
            .field("node_token", &"<redacted>")
            .finish()
    }
}

fn parse_response(body: &[u8]) -> Result<IssueResponse, SourceError> {
    if let Ok(response) = serde_json::from_slice::<IssueResponse>(body) {
        return Ok(response);
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(refusal) => Err(SourceError::Refused(refusal.error)),
        Err(e) => Err(SourceError::Malformed(e.to_string())),
    }
}

/// What an issuer's HTTP answer means: a 2xx body is an [`IssueResponse`]; a 4xx other than
/// 408/429 is a refusal of this node (its `{"error"}` text, else the status); anything else
/// is the issuer being unavailable. For a source with its own HTTP transport.
pub fn http_answer(status: u16, body: &[u8]) -> Result<IssueResponse, SourceError> {
    if (200..300).contains(&status) {
        return parse_response(body);
    }
    let reason = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_else(|_| http_status_text(status));
    if (400..500).contains(&status) && status != 408 && status != 429 {
        Err(SourceError::Refused(reason))
    } else {
        Err(SourceError::Unavailable(reason))
    }
}

fn http_status_text(status: u16) -> String {
    reqwest::StatusCode::from_u16(status).map_or_else(|_| status.to_string(), |s| s.to_string())
}

/// The largest issuer answer read (a user JWT and a URL take about 2 KiB).
pub const MAX_ISSUER_ANSWER: usize = 64 * 1024;

/// The issuer's `POST /v1/nats/credentials` endpoint.
///
/// TLS: this crate builds `reqwest` without a TLS backend; for an `https://` issuer pass a
/// client from [`HttpIssuer::with_client`] after enabling one of reqwest's TLS features in your
/// application (cargo unifies the features).
#[derive(Debug, Clone)]
pub struct HttpIssuer {
    http: reqwest::Client,
    url: String,
    identity: NodeIdentity,
}

impl HttpIssuer {
    /// An issuer at `url` (the full endpoint URL), with a 10-second request timeout.
    pub fn new(url: impl Into<String>, identity: NodeIdentity) -> Result<Self, SourceError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SourceError::Unavailable(e.to_string()))?;
        Ok(Self::with_client(http, url, identity))
    }

    /// An issuer reached through your own `reqwest` client (TLS, proxies, timeouts).
    pub fn with_client(
        http: reqwest::Client,
        url: impl Into<String>,
        identity: NodeIdentity,
    ) -> Self {
        Self {
            http,
            url: url.into(),
            identity,
        }
    }
}

impl CredentialSource for HttpIssuer {
    async fn fetch(&self, public_key: &str) -> Result<IssueResponse, SourceError> {
        let body = self.identity.request_body(public_key);
        let mut response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| SourceError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let mut answer = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| SourceError::Unavailable(e.without_url().to_string()))?
        {
            if answer.len() + chunk.len() > MAX_ISSUER_ANSWER {
                return Err(SourceError::Unavailable(format!(
                    "answer larger than {} KiB",
                    MAX_ISSUER_ANSWER / 1024
                )));
            }
            answer.extend_from_slice(&chunk);
        }
        http_answer(status.as_u16(), &answer)
    }
}

/// The issuer's NATS responder, reached over a bootstrap connection.
#[derive(Debug, Clone)]
pub struct NatsIssuer {
    client: async_nats::Client,
    subject: String,
    identity: NodeIdentity,
}

impl NatsIssuer {
    /// Requests on `subject` through `client`.
    pub fn new(
        client: async_nats::Client,
        subject: impl Into<String>,
        identity: NodeIdentity,
    ) -> Self {
        Self {
            client,
            subject: subject.into(),
            identity,
        }
    }
}

impl CredentialSource for NatsIssuer {
    async fn fetch(&self, public_key: &str) -> Result<IssueResponse, SourceError> {
        let body = self.identity.request_body(public_key);
        let reply = self
            .client
            .request(self.subject.clone(), body.to_vec().into())
            .await
            .map_err(|e| SourceError::Unavailable(e.to_string()))?;
        parse_response(&reply.payload)
    }
}

#[cfg(test)]
mod tests {
    use super::{SourceError, http_answer};

    #[test]
    fn http_answers() {
        let issued =
            br#"{"nats_url":"nats://h:4222","user_jwt":"eyJ.x.y","account":"ABC","expires_at":7}"#;
        let ok = http_answer(200, issued).unwrap();
        assert_eq!((ok.user_jwt.as_str(), ok.expires_at), ("eyJ.x.y", 7));
        assert!(matches!(
            http_answer(200, b"{}"),
            Err(SourceError::Malformed(_))
        ));
        assert_eq!(
            http_answer(401, br#"{"error":"unknown node"}"#).err(),
            Some(SourceError::Refused("unknown node".into()))
        );
        assert_eq!(
            http_answer(403, b"nope").err(),
            Some(SourceError::Refused("403 Forbidden".into()))
        );
        for status in [408, 429, 500, 503] {
            assert!(
                matches!(http_answer(status, b""), Err(SourceError::Unavailable(_))),
                "{status}"
            );
        }
        assert_eq!(
            http_answer(599, b"").err(),
            Some(SourceError::Unavailable("599 <unknown status code>".into()))
        );
    }
}
