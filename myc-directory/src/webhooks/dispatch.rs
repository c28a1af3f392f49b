//! [`Dispatcher`]: sends the outbox's due deliveries (feature `webhooks`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::keys::{HttpSecret, WebhookKeys};
use crate::store::{Attempt, DueDelivery, SqlStore};

/// How deliveries are sent (`[core.webhook]`).
#[derive(Clone, Debug)]
pub struct DispatchSettings {
    /// How often the outbox is polled (`consumeIntervalInSecs`).
    pub interval: Duration,
    /// Deliveries per poll (`consumeBatchSize`).
    pub batch: u32,
    /// Attempts before a delivery is given up (`maxAttempts`).
    pub max_attempts: u32,
    /// The wait after the first failure; doubled after each next one, at most an hour.
    pub retry_base: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// Accept any TLS certificate (`acceptInvalidCertificates`; development only).
    pub accept_invalid_certificates: bool,
    /// Extra PEM roots trusted besides the system's.
    pub extra_roots: Vec<Vec<u8>>,
}

impl Default for DispatchSettings {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(10),
            batch: 25,
            max_attempts: 5,
            retry_base: Duration::from_secs(30),
            timeout: Duration::from_secs(10),
            accept_invalid_certificates: false,
            extra_roots: Vec::new(),
        }
    }
}

/// Why a dispatcher could not be built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// The TLS client configuration failed.
    #[error("webhook TLS client: {0}")]
    Tls(#[from] myc_tower::tls::TlsError),
}

/// The bound on a receiver's answer read (the answer is discarded).
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// Sends due deliveries: at least once each, retried with backoff, given up after the last
/// attempt. Several dispatchers may share a store (replicas): each delivery is leased by one.
pub struct Dispatcher {
    store: SqlStore,
    keys: Option<Arc<WebhookKeys>>,
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
    settings: DispatchSettings,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher over `store`; deliveries are signed when `keys` are given.
    pub fn new(
        store: SqlStore,
        keys: Option<Arc<WebhookKeys>>,
        settings: DispatchSettings,
    ) -> Result<Self, DispatchError> {
        let tls = if settings.accept_invalid_certificates {
            danger::accept_any()?
        } else {
            let roots: Vec<&[u8]> = settings.extra_roots.iter().map(Vec::as_slice).collect();
            myc_tower::tls::client_config(&roots)?
        };
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(settings.timeout));
        let connector = HttpsConnectorBuilder::new()
            .with_tls_config(rustls::ClientConfig::clone(&tls))
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self {
            store,
            keys,
            client,
            settings,
        })
    }

    /// Runs until `shutdown` completes: a batch, then a pause of `interval`.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!(error = %e, "webhook outbox unavailable");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.settings.interval) => {}
            }
        }
    }

    /// One batch: claims what is due and tries each; how many were tried.
    pub async fn tick(&self) -> Result<usize, crate::store::Error> {
        let now = Utc::now();
        let lease = self.settings.timeout * 3 + Duration::from_secs(30);
        let lease_until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let due = self
            .store
            .claim_due_deliveries(now, lease_until, self.settings.batch)
            .await?;
        let tried = due.len();
        for delivery in due {
            let attempt = match self.send(&delivery).await {
                Ok(()) => Attempt::Delivered,
                Err(error) => {
                    let made = delivery.delivery.attempts + 1;
                    let next = (made < self.settings.max_attempts).then(|| self.retry_at(made));
                    tracing::warn!(
                        delivery = %delivery.delivery.id,
                        attempt = made,
                        error = %error,
                        given_up = next.is_none(),
                        "webhook delivery failed"
                    );
                    Attempt::Failed { error, next }
                }
            };
            self.store
                .record_attempt(delivery.delivery.id, &attempt)
                .await?;
        }
        Ok(tried)
    }

    fn retry_at(&self, attempts: u32) -> chrono::DateTime<Utc> {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(16));
        let wait = self
            .settings
            .retry_base
            .saturating_mul(factor)
            .min(Duration::from_secs(3600));
        Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default()
    }

    /// One attempt: `Err` says why it failed (never a secret).
    async fn send(&self, due: &DueDelivery) -> Result<(), String> {
        let delivery = &due.delivery;
        let mut uri = due.url.clone();
        let mut request = http::Request::builder()
            .method(due.method.as_str())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, "myc-directory-webhooks")
            .header("webhook-id", delivery.id.to_string());
        let timestamp = Utc::now().timestamp();
        request = request.header("webhook-timestamp", timestamp.to_string());
        if let Some(keys) = &self.keys {
            let key = keys.signing_key(delivery.webhook_id);
            let id = delivery.id.to_string();
            let signature = super::sign::signature(&*key, &id, timestamp, delivery.body.as_bytes())
                .ok_or_else(|| "signing failed".to_owned())?;
            request = request.header("webhook-signature", signature);
            if let Some(sealed) = &due.secret {
                let secret = keys
                    .open(delivery.webhook_id, sealed)
                    .map_err(|e| e.to_string())?;
                (request, uri) = with_secret(request, uri, &secret)?;
            }
        } else if due.secret.is_some() {
            return Err("the webhook's credential needs the master key".into());
        }
        let request = request
            .uri(uri)
            .body(Full::new(Bytes::from(delivery.body.clone())))
            .map_err(|_| "invalid webhook URL or method".to_owned())?;
        let response = tokio::time::timeout(self.settings.timeout, self.client.request(request))
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| format!("unreachable: {e}"))?;
        let status = response.status();
        // Read (bounded) so the connection can be reused; the content is not kept.
        let _ = tokio::time::timeout(
            self.settings.timeout,
            Limited::new(response.into_body(), MAX_ANSWER_BYTES).collect(),
        )
        .await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    }
}

fn with_secret(
    mut request: http::request::Builder,
    mut uri: String,
    secret: &HttpSecret,
) -> Result<(http::request::Builder, String), String> {
    match secret {
        HttpSecret::AuthorizationHeader {
            header_name,
            prefix,
            token,
        } => {
            let name = header_name.as_deref().unwrap_or("authorization");
            let value = match prefix {
                Some(prefix) => format!("{prefix} {token}"),
                None => token.clone(),
            };
            let mut value = http::HeaderValue::from_str(&value)
                .map_err(|_| "the webhook's credential is not a header value".to_owned())?;
            value.set_sensitive(true);
            request = request.header(name, value);
        }
        HttpSecret::QueryParameter { name, token } => {
            let encode = |t: &str| {
                percent_encoding::utf8_percent_encode(t, percent_encoding::NON_ALPHANUMERIC)
                    .to_string()
            };
            let separator = if uri.contains('?') { '&' } else { '?' };
            uri = format!("{uri}{separator}{}={}", encode(name), encode(token));
        }
    }
    Ok((request, uri))
}

/// `acceptInvalidCertificates`: a TLS client that takes any certificate (development only).
mod danger {
    use std::sync::Arc;

    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    #[derive(Debug)]
    struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        // Signatures are still checked: the peer holds the key of the certificate it shows.
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.0.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    pub(super) fn accept_any() -> Result<Arc<rustls::ClientConfig>, myc_tower::tls::TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| myc_tower::tls::TlsError::Config(e.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}
