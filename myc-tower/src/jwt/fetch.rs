//! [`HttpFetcher`]: the [`JwksFetcher`] and [`UserInfoFetcher`] that ships with the crate.
//! HTTP or HTTPS (rustls on ring, the system's roots plus any you add: see
//! [`tls::client_config`](crate::tls::client_config)), pooled connections, a 5-second
//! timeout per fetch, bodies capped at [`MAX_JWKS_BYTES`], no redirects followed. Error
//! messages never contain the URL or the bearer token.
//!
//! ```no_run
//! use std::sync::Arc;
//! use myc_tower::jwt::fetch::HttpFetcher;
//! use myc_tower::jwt::jwks::{JwksCache, JwksPolicy};
//! let fetcher = Arc::new(HttpFetcher::new()?);
//! let jwks = JwksCache::new(
//!     "https://idp.example.com/.well-known/jwks.json",
//!     fetcher,
//!     JwksPolicy::default(),
//! );
//! # Ok::<(), myc_tower::jwt::jwks::FetchError>(())
//! ```

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, header};
use http_body_util::{BodyExt, Empty, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::JwkSet;
use serde_json::Value;

use super::jwks::{FetchError, JwksFetcher, MAX_JWKS_BYTES};
use super::userinfo::UserInfoFetcher;
use crate::BoxFuture;

/// Per-fetch timeout (connect, TLS, request and body).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Fetches JSON documents over HTTP or HTTPS.
#[derive(Clone)]
pub struct HttpFetcher {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl std::fmt::Debug for HttpFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpFetcher")
    }
}

impl HttpFetcher {
    /// HTTPS trusting the system's roots.
    pub fn new() -> Result<Self, FetchError> {
        Self::with_roots(&[])
    }

    /// HTTPS trusting the system's roots and the PEM bundles given (an IdP behind a private
    /// CA).
    pub fn with_roots(extra_pem: &[&[u8]]) -> Result<Self, FetchError> {
        let tls = crate::tls::client_config(extra_pem).map_err(|e| FetchError(e.to_string()))?;
        Ok(Self::with_tls(tls))
    }

    /// With your TLS configuration.
    pub fn with_tls(tls: Arc<rustls::ClientConfig>) -> Self {
        let connector = connector(&tls, FETCH_TIMEOUT);
        Self {
            client: Client::builder(TokioExecutor::new())
                .pool_idle_timeout(Duration::from_secs(90))
                .build(connector),
        }
    }

    /// `GET url` (with a bearer token if given); the body of a 2xx answer, at most
    /// [`MAX_JWKS_BYTES`].
    pub async fn get(&self, url: &str, bearer: Option<&str>) -> Result<Bytes, FetchError> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| FetchError("not a valid URL".into()))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) {
            return Err(FetchError(
                "only http:// and https:// URLs are fetched".into(),
            ));
        }
        let mut request = Request::get(uri)
            .header(header::ACCEPT, "application/json")
            .body(Empty::<Bytes>::new())
            .map_err(|_| FetchError("not a valid URL".into()))?;
        if let Some(token) = bearer {
            let mut value = http::HeaderValue::try_from(format!("Bearer {token}"))
                .map_err(|_| FetchError("token is not a valid header value".into()))?;
            value.set_sensitive(true);
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
        let exchange = async {
            let response = self.client.request(request).await.map_err(|e| {
                // The legacy client's errors do not carry the URL; keep the cause chain short.
                FetchError(match std::error::Error::source(&e) {
                    Some(cause) => format!("request failed: {cause}"),
                    None => format!("request failed: {e}"),
                })
            })?;
            let status = response.status();
            if !status.is_success() {
                return Err(FetchError(format!("status {status}")));
            }
            Limited::new(response.into_body(), MAX_JWKS_BYTES)
                .collect()
                .await
                .map(|b| b.to_bytes())
                .map_err(|e| {
                    if e.is::<http_body_util::LengthLimitError>() {
                        FetchError("document too large".into())
                    } else {
                        FetchError(format!("reading the body: {e}"))
                    }
                })
        };
        tokio::time::timeout(FETCH_TIMEOUT, exchange)
            .await
            .map_err(|_| FetchError(format!("no answer within {FETCH_TIMEOUT:?}")))?
    }
}

/// An HTTP/1.1 connector for `http://` and `https://` URLs over `tls`, no Nagle delay,
/// connecting within `connect_timeout`.
pub(crate) fn connector(
    tls: &rustls::ClientConfig,
    connect_timeout: Duration,
) -> HttpsConnector<HttpConnector> {
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    http.set_connect_timeout(Some(connect_timeout));
    HttpsConnectorBuilder::new()
        .with_tls_config(tls.clone())
        .https_or_http()
        .enable_http1()
        .wrap_connector(http)
}

impl JwksFetcher for HttpFetcher {
    fn fetch<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<JwkSet, FetchError>> {
        Box::pin(async move {
            let body = self.get(url, None).await?;
            serde_json::from_slice(&body).map_err(|e| FetchError(format!("bad JWKS: {e}")))
        })
    }
}

impl UserInfoFetcher for HttpFetcher {
    fn userinfo<'a>(
        &'a self,
        url: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Value, FetchError>> {
        Box::pin(async move {
            let body = self.get(url, Some(token)).await?;
            serde_json::from_slice(&body).map_err(|e| FetchError(format!("bad userinfo: {e}")))
        })
    }
}
