//! HTTP callbacks: the context as a JSON body, sent with the callback's method; any 2xx
//! answer is a success. No redirects are followed; the answer's body is drained and
//! dropped.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::CallbackError;

/// The most of a receiver's answer read before the connection is reused.
const MAX_ANSWER: usize = 64 * 1024;

/// A pooled HTTP(S) client shared by a set's HTTP callbacks.
#[derive(Clone)]
pub(crate) struct Sender {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Sender {
    pub(crate) fn new(tls: Arc<rustls::ClientConfig>) -> Self {
        let connector = crate::jwt::fetch::connector(&tls, Duration::from_secs(10));
        Self {
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(60))
                .build(connector),
        }
    }

    /// One attempt: `method url` with `body`, at most `timeout` for the whole exchange.
    pub(crate) async fn send(
        &self,
        url: &http::Uri,
        method: &Method,
        body: Bytes,
        timeout: Duration,
    ) -> Result<(), CallbackError> {
        let request = Request::builder()
            .method(method.clone())
            .uri(url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::USER_AGENT, "mycelium-rs-callback")
            .body(Full::new(body))
            .map_err(|e| CallbackError::Request(e.to_string()))?;
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                CallbackError::Request(match std::error::Error::source(&e) {
                    Some(cause) => cause.to_string(),
                    None => e.to_string(),
                })
            })?;
            let status = response.status();
            let _ = Limited::new(response.into_body(), MAX_ANSWER)
                .collect()
                .await;
            if status.is_success() {
                Ok(())
            } else {
                Err(CallbackError::Status(status.as_u16()))
            }
        };
        tokio::time::timeout(timeout, exchange)
            .await
            .map_err(|_| CallbackError::TimedOut)?
    }
}
