//! The self-renewing NATS client side of the credential issuer (hoodcloud's agent flow).
//!
//! [`RenewingCredentials`] owns the node's user nkey (generated on first start, kept in a 0600
//! seed file), keeps the newest creds on disk (0600, atomically replaced), and:
//!
//! - starts without the issuer when the stored JWT is still valid (connect immediately);
//! - otherwise asks a [`CredentialSource`] (the issuer over [HTTP](HttpIssuer) or
//!   [NATS](NatsIssuer)), retrying with exponential backoff and jitter while it is unavailable;
//! - renews in the background once less than [`ClientConfig::renew_when_remaining`] of the
//!   JWT's lifetime is left (20% by default), and makes the connections it opened reconnect so
//!   they present the new JWT before the old one expires;
//! - plugs into async-nats through `with_auth_callback`, so every (re)connect signs the server's
//!   nonce and presents the newest JWT;
//! - wipes the seed from memory on [`close`](RenewingCredentials::close) (or drop).
//!
//! ```no_run
//! use myc_natsauth::client::{ClientConfig, HttpIssuer, NodeIdentity, RenewingCredentials};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let source = HttpIssuer::new(
//!     "http://issuer.internal:8081/v1/nats/credentials",
//!     NodeIdentity::new("node-1", std::env::var("NODE_TOKEN")?),
//! )?;
//! let creds = RenewingCredentials::start(ClientConfig::in_dir("/var/lib/agent/nats"), source).await?;
//! let client = creds.connect(None).await?; // the issuer's nats_url
//! client.publish("metrics.cpu", "0.42".into()).await?;
//! // ... runs for weeks: JWTs renew and the connection follows.
//! creds.close().await;
//! # Ok(()) }
//! ```

mod source;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_nats::{Auth, AuthError, ConnectOptions};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use self::source::{
    CredentialSource, HttpIssuer, MAX_ISSUER_ANSWER, NatsIssuer, NodeIdentity, SourceError,
    http_answer,
};
use crate::claims::{Claims, User};
use crate::creds::{self, Creds};
use crate::wire::IssueResponse;
use crate::{Error, KeyKind, Nkey};

/// Where the client keeps its files and when it renews.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The node's user nkey seed (created 0600 when missing).
    pub seed_file: PathBuf,
    /// The newest creds (JWT + seed), rewritten 0600 on every renewal.
    pub creds_file: PathBuf,
    /// Renew when less than this fraction of the JWT's lifetime remains (0 < f < 1; 0.2).
    pub renew_when_remaining: f64,
    /// First retry delay while the issuer is unavailable (250 ms); doubles each failure.
    pub backoff_initial: Duration,
    /// Longest retry delay (30 s).
    pub backoff_max: Duration,
    /// After a renewal, make connections opened by [`RenewingCredentials::connect`] reconnect
    /// at once so they present the new JWT (true). When false they switch on their next
    /// reconnect, which at the latest is the server closing them at the old JWT's expiry.
    pub reconnect_on_renewal: bool,
}

impl ClientConfig {
    /// `DIR/node.nk` and `DIR/node.creds`, with the defaults above.
    pub fn in_dir(dir: impl AsRef<Path>) -> Self {
        let dir = dir.as_ref();
        Self {
            seed_file: dir.join("node.nk"),
            creds_file: dir.join("node.creds"),
            renew_when_remaining: 0.2,
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            reconnect_on_renewal: true,
        }
    }
}

/// Why the client could not start or connect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Reading or writing the seed or creds file, or a key, failed.
    #[error(transparent)]
    Local(#[from] Error),
    /// The configuration is unusable.
    #[error("client configuration: {0}")]
    Config(String),
    /// The issuer refused the node (a wrong token is not retried at start).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The issuer returned a JWT that is not for this node, not valid, or already expired.
    #[error("issued JWT rejected: {0}")]
    BadJwt(String),
    /// No NATS URL was given and the issuer named none.
    #[error("no NATS URL: pass one or use an issuer that returns nats_url")]
    NoUrl,
    /// Connecting to NATS failed.
    #[error("connect: {0}")]
    Connect(#[from] async_nats::ConnectError),
}

/// The JWT the client currently presents.
#[derive(Clone, PartialEq, Eq)]
pub struct CurrentJwt {
    /// The user JWT.
    pub jwt: String,
    /// Its `iat` (Unix seconds).
    pub issued_at: i64,
    /// Its `exp` (Unix seconds; 0 = never).
    pub expires_at: i64,
    /// The NATS URL the issuer named, when it came from the issuer.
    pub nats_url: Option<String>,
}

impl std::fmt::Debug for CurrentJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CurrentJwt")
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("nats_url", &self.nats_url)
            .finish_non_exhaustive()
    }
}

struct Shared {
    config: ClientConfig,
    /// `None` once closed: the seed is gone and every auth callback fails.
    key: RwLock<Option<Nkey>>,
    public_key: String,
    current: watch::Sender<CurrentJwt>,
    clients: Mutex<Vec<async_nats::Client>>,
}

/// The node's credentials, renewed in the background. See the [module docs](self).
pub struct RenewingCredentials {
    shared: Arc<Shared>,
    renewal: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RenewingCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RenewingCredentials")
            .field("public_key", &self.shared.public_key)
            .field("current", &*self.shared.current.borrow())
            .finish_non_exhaustive()
    }
}

fn now_ms() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i128)
        .unwrap_or(0)
}

/// Checks an issued or stored JWT is a valid user JWT for `public_key`, not expired.
fn accept(jwt: &str, public_key: &str, nats_url: Option<String>) -> Result<CurrentJwt, String> {
    let claims = Claims::<User>::decode(jwt).map_err(|e| e.to_string())?;
    if claims.sub != public_key {
        return Err(format!("subject {} is not this node's key", claims.sub));
    }
    if claims.exp != 0 && i128::from(claims.exp) * 1000 <= now_ms() {
        return Err("already expired".into());
    }
    Ok(CurrentJwt {
        jwt: jwt.to_owned(),
        issued_at: claims.iat,
        expires_at: claims.exp,
        nats_url,
    })
}

fn load_or_create_key(path: &Path) -> Result<Nkey, Error> {
    if path.exists() {
        return Nkey::from_seed_file(KeyKind::User, path);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::Io {
            path: dir.display().to_string(),
            message: e.to_string(),
        })?;
    }
    let key = Nkey::generate(KeyKind::User)?;
    key.write_seed_file(path)?;
    Ok(key)
}

/// The stored creds, when they belong to `key` and their JWT is still valid.
fn load_stored(path: &Path, key: &Nkey) -> Option<CurrentJwt> {
    let stored = Creds::read(path).ok()?;
    let user = stored.user_key().ok()?;
    if user.public_key_str() != key.public_key_str() {
        tracing::warn!(creds = %path.display(), "stored creds belong to another key; ignoring them");
        return None;
    }
    accept(&stored.jwt, key.public_key_str(), None).ok()
}

/// How long to wait after `failures` consecutive failures: exponential, capped, ±20% jitter.
fn backoff(config: &ClientConfig, failures: u32) -> Duration {
    let base = config
        .backoff_initial
        .saturating_mul(1u32.checked_shl(failures.min(20)).unwrap_or(u32::MAX))
        .min(config.backoff_max);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let jitter = f64::from(nanos % 401) / 1000.0 + 0.8; // 0.8 ..= 1.2
    base.mul_f64(jitter)
}

/// When to renew `current`, as Unix milliseconds (`None`: never expires).
fn renew_at(current: &CurrentJwt, fraction: f64) -> Option<i128> {
    if current.expires_at == 0 {
        return None;
    }
    let exp = i128::from(current.expires_at) * 1000;
    let lifetime = (exp - i128::from(current.issued_at) * 1000).max(1000);
    let lead = (lifetime as f64 * fraction) as i128;
    Some(exp - lead)
}

impl Shared {
    async fn fetch_once<S: CredentialSource>(&self, source: &S) -> Result<CurrentJwt, ClientError> {
        let IssueResponse {
            nats_url, user_jwt, ..
        } = source.fetch(&self.public_key).await?;
        let current = accept(
            &user_jwt,
            &self.public_key,
            Some(nats_url).filter(|u| !u.is_empty()),
        )
        .map_err(ClientError::BadJwt)?;
        self.persist(&current)?;
        Ok(current)
    }

    fn persist(&self, current: &CurrentJwt) -> Result<(), Error> {
        let key = self
            .key
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match key.as_ref() {
            Some(key) => creds::write(&self.config.creds_file, &current.jwt, key),
            None => Err(Error::Closed),
        }
    }

    /// Fetches until it succeeds; `refused_is_fatal` stops at a refusal (start-up).
    async fn fetch_with_backoff<S: CredentialSource>(
        &self,
        source: &S,
        refused_is_fatal: bool,
    ) -> Result<CurrentJwt, ClientError> {
        let mut failures = 0u32;
        loop {
            match self.fetch_once(source).await {
                Ok(current) => return Ok(current),
                Err(ClientError::Source(SourceError::Refused(reason))) if refused_is_fatal => {
                    return Err(SourceError::Refused(reason).into());
                }
                Err(ClientError::Local(e)) if self.is_closed() => return Err(e.into()),
                Err(e) => {
                    let delay = backoff(&self.config, failures);
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "cannot renew NATS credentials");
                    failures = failures.saturating_add(1);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    fn is_closed(&self) -> bool {
        self.key.read().map(|k| k.is_none()).unwrap_or(true)
    }

    async fn renew_forever<S: CredentialSource>(self: Arc<Self>, source: S) {
        loop {
            let current = self.current.borrow().clone();
            let Some(at) = renew_at(&current, self.config.renew_when_remaining) else {
                return;
            };
            let wait = u64::try_from((at - now_ms()).max(0)).unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let Ok(next) = self.fetch_with_backoff(&source, false).await else {
                return; // closed
            };
            tracing::info!(
                user = %self.public_key,
                expires_at = next.expires_at,
                "renewed NATS credentials"
            );
            self.current.send_replace(next);
            if self.config.reconnect_on_renewal {
                let clients = self.clients.lock().map(|c| c.clone()).unwrap_or_default();
                for client in clients {
                    let _ = client.force_reconnect().await;
                }
            }
        }
    }
}

impl RenewingCredentials {
    /// Loads or creates the seed, uses the stored creds when still valid or else fetches new
    /// ones (retrying while the issuer is unavailable; a refusal is returned), and starts the
    /// background renewal. Needs a Tokio runtime.
    pub async fn start<S: CredentialSource>(
        config: ClientConfig,
        source: S,
    ) -> Result<Self, ClientError> {
        if !(config.renew_when_remaining > 0.0 && config.renew_when_remaining < 1.0) {
            return Err(ClientError::Config(
                "renew_when_remaining must be between 0 and 1".into(),
            ));
        }
        let key = load_or_create_key(&config.seed_file)?;
        let public_key = key.public_key();
        let stored = load_stored(&config.creds_file, &key);
        let (current, _) = watch::channel(stored.clone().unwrap_or(CurrentJwt {
            jwt: String::new(),
            issued_at: 0,
            expires_at: 0,
            nats_url: None,
        }));
        let shared = Arc::new(Shared {
            config,
            key: RwLock::new(Some(key)),
            public_key,
            current,
            clients: Mutex::new(Vec::new()),
        });
        if stored.is_none() {
            let fresh = shared.fetch_with_backoff(&source, true).await?;
            shared.current.send_replace(fresh);
        }
        let renewal = tokio::spawn(shared.clone().renew_forever(source));
        Ok(Self {
            shared,
            renewal: Some(renewal),
        })
    }

    /// The node's user public key (`U…`).
    pub fn public_key(&self) -> &str {
        &self.shared.public_key
    }

    /// The JWT presented now.
    pub fn current(&self) -> CurrentJwt {
        self.shared.current.borrow().clone()
    }

    /// Notified on every renewal.
    pub fn watch(&self) -> watch::Receiver<CurrentJwt> {
        self.shared.current.subscribe()
    }

    /// Connect options whose auth callback signs the nonce with the node's key and presents
    /// the newest JWT, on the first connect and every reconnect. Add your own options on top.
    pub fn connect_options(&self) -> ConnectOptions {
        let shared = self.shared.clone();
        ConnectOptions::with_auth_callback(move |nonce: Vec<u8>| {
            let shared = shared.clone();
            async move {
                let signature = {
                    let key = shared
                        .key
                        .read()
                        .map_err(|_| AuthError::new("key lock poisoned"))?;
                    let key = key
                        .as_ref()
                        .ok_or_else(|| AuthError::new("credentials closed"))?;
                    key.sign(&nonce)
                        .map_err(|e| AuthError::new(e.to_string()))?
                };
                let mut auth = Auth::new();
                auth.jwt = Some(shared.current.borrow().jwt.clone());
                auth.signature = Some(signature);
                Ok(auth)
            }
        })
    }

    /// Connects to `url` (or the issuer's `nats_url`) with [`connect_options`](Self::connect_options)
    /// and a 5-second connection timeout; the connection follows renewals.
    pub async fn connect(&self, url: Option<&str>) -> Result<async_nats::Client, ClientError> {
        let url = match url {
            Some(url) => url.to_owned(),
            None => self.current().nats_url.ok_or(ClientError::NoUrl)?,
        };
        self.connect_with(
            &url,
            self.connect_options()
                .connection_timeout(Duration::from_secs(5)),
        )
        .await
    }

    /// Connects with options built from [`connect_options`](Self::connect_options); the
    /// connection follows renewals.
    pub async fn connect_with(
        &self,
        url: &str,
        options: ConnectOptions,
    ) -> Result<async_nats::Client, ClientError> {
        let client = options.connect(url).await?;
        self.follow(client.clone());
        Ok(client)
    }

    /// Makes a client you connected yourself with [`connect_options`](Self::connect_options)
    /// (several servers, say) follow renewals: it reconnects with each new JWT before the old
    /// one expires.
    pub fn follow(&self, client: async_nats::Client) {
        if let Ok(mut clients) = self.shared.clients.lock() {
            clients.push(client);
        }
    }

    /// Stops renewing and wipes the seed from memory; connections opened here can no longer
    /// authenticate (they keep working until the server drops them). The files stay.
    pub async fn close(mut self) {
        self.shutdown();
        if let Some(renewal) = self.renewal.take() {
            let _ = renewal.await;
        }
    }

    fn shutdown(&mut self) {
        if let Some(renewal) = &self.renewal {
            renewal.abort();
        }
        if let Ok(mut key) = self.shared.key.write() {
            // Dropping the key pair zeroizes the Ed25519 secret.
            drop(key.take());
        }
        if let Ok(mut clients) = self.shared.clients.lock() {
            clients.clear();
        }
    }

    /// True once [`close`](Self::close) ran: the seed is no longer in memory.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }
}

impl Drop for RenewingCredentials {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_point_is_the_configured_fraction_before_expiry() {
        let current = CurrentJwt {
            jwt: String::new(),
            issued_at: 1_000,
            expires_at: 1_005,
            nats_url: None,
        };
        assert_eq!(renew_at(&current, 0.2), Some(1_004_000));
        assert_eq!(renew_at(&current, 0.5), Some(1_002_500));
        let never = CurrentJwt {
            expires_at: 0,
            ..current
        };
        assert_eq!(renew_at(&never, 0.2), None);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_bounded_jitter() {
        let config = ClientConfig::in_dir("/nonexistent");
        for failures in 0..40 {
            let base = (250u128 << failures.min(20)).min(30_000);
            let got = backoff(&config, failures).as_millis();
            assert!(
                got >= base * 8 / 10 && got <= base * 12 / 10 + 1,
                "{failures}: {got}"
            );
        }
    }
}
