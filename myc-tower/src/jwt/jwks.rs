//! A JWKS cache for one identity provider.
//!
//! - keys are cached for `ttl` (10 min by default) and refreshed when a verification needs them
//!   after that;
//! - an unknown `kid` triggers **one** refetch, at most once per `cooldown` (10 s): a flood of
//!   random `kid`s cannot drive fetches; concurrent misses share one fetch (single flight);
//! - when the provider is down, the last keys keep serving for up to `max_stale` (1 h);
//! - the fetch goes through [`JwksFetcher`], so the HTTP client is yours
//!   ([`HttpFetcher`](super::fetch::HttpFetcher), HTTP and HTTPS, ships behind the default
//!   `fetcher` feature).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::{Mutex, RwLock};

use crate::BoxFuture;

/// Largest JWKS document accepted.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Why keys could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("JWKS fetch failed: {0}")]
pub struct FetchError(pub String);

/// Fetches a JWKS document.
pub trait JwksFetcher: Send + Sync + 'static {
    /// The JWKS at `url` (at most [`MAX_JWKS_BYTES`]).
    fn fetch<'a>(&'a self, url: &'a str) -> BoxFuture<'a, Result<JwkSet, FetchError>>;
}

/// A usable key from the set.
#[derive(Clone)]
pub struct CachedKey {
    /// The verification key.
    pub key: DecodingKey,
    /// The algorithm the JWK pins (`alg`), if any.
    pub alg: Option<Algorithm>,
}

/// Cache tuning.
#[derive(Clone, Debug)]
pub struct JwksPolicy {
    /// How long fetched keys are fresh (10 min).
    pub ttl: Duration,
    /// Least time between two fetches caused by unknown `kid`s or failures (10 s).
    pub cooldown: Duration,
    /// How long the last keys keep serving while the provider is down (1 h).
    pub max_stale: Duration,
}

impl Default for JwksPolicy {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(600),
            cooldown: Duration::from_secs(10),
            max_stale: Duration::from_secs(3600),
        }
    }
}

#[derive(Default)]
struct State {
    keys: HashMap<String, CachedKey>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

/// Why no key was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The set has no key with this `kid` (after the allowed refetch).
    #[error("unknown kid")]
    UnknownKid,
    /// The provider is unreachable and no usable keys are cached.
    #[error("identity provider unavailable")]
    Unavailable,
}

/// The JWKS cache of one provider.
pub struct JwksCache {
    url: String,
    fetcher: Arc<dyn JwksFetcher>,
    policy: JwksPolicy,
    state: RwLock<State>,
    refresh: Mutex<()>,
    fetches: AtomicU64,
}

impl std::fmt::Debug for JwksCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwksCache")
            .field("url", &self.url)
            .field("policy", &self.policy)
            .field("fetches", &self.fetches())
            .finish_non_exhaustive()
    }
}

fn usable(jwk: &Jwk) -> Option<(String, CachedKey)> {
    let kid = jwk.common.key_id.clone()?;
    if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
        return None;
    }
    let alg = match jwk.common.key_algorithm {
        None => None,
        Some(a) => Some(match a {
            KeyAlgorithm::RS256 => Algorithm::RS256,
            KeyAlgorithm::RS384 => Algorithm::RS384,
            KeyAlgorithm::RS512 => Algorithm::RS512,
            KeyAlgorithm::PS256 => Algorithm::PS256,
            KeyAlgorithm::PS384 => Algorithm::PS384,
            KeyAlgorithm::PS512 => Algorithm::PS512,
            KeyAlgorithm::ES256 => Algorithm::ES256,
            KeyAlgorithm::ES384 => Algorithm::ES384,
            KeyAlgorithm::EdDSA => Algorithm::EdDSA,
            // Symmetric or encryption algorithms have no place in a public JWKS.
            _ => return None,
        }),
    };
    // Symmetric keys from a remote set are refused outright (HS/RS confusion).
    if matches!(
        jwk.algorithm,
        jsonwebtoken::jwk::AlgorithmParameters::OctetKey(_)
    ) {
        return None;
    }
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some((kid, CachedKey { key, alg }))
}

impl JwksCache {
    /// A cache for the JWKS at `url`.
    pub fn new(url: impl Into<String>, fetcher: Arc<dyn JwksFetcher>, policy: JwksPolicy) -> Self {
        Self {
            url: url.into(),
            fetcher,
            policy,
            state: RwLock::new(State::default()),
            refresh: Mutex::new(()),
            fetches: AtomicU64::new(0),
        }
    }

    /// How many fetches were made (for metrics and tests).
    pub fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }

    /// The key `kid`, fetching or refetching as the policy allows.
    pub async fn key(&self, kid: &str) -> Result<CachedKey, KeyError> {
        let now = Instant::now();
        {
            let state = self.state.read().await;
            let fresh = state
                .fetched_at
                .is_some_and(|t| now.duration_since(t) < self.policy.ttl);
            if fresh && let Some(key) = state.keys.get(kid) {
                return Ok(key.clone());
            }
        }
        self.refresh_if_allowed(now).await;
        let state = self.state.read().await;
        let usable_age = state
            .fetched_at
            .is_some_and(|t| now.duration_since(t) < self.policy.ttl + self.policy.max_stale);
        match state.keys.get(kid) {
            Some(key) if usable_age => Ok(key.clone()),
            _ if state.fetched_at.is_none() || !usable_age => Err(KeyError::Unavailable),
            _ => Err(KeyError::UnknownKid),
        }
    }

    /// Fetches unless another task did since `asked_at`, or the last attempt is within the
    /// cooldown (and the keys are not past their TTL).
    async fn refresh_if_allowed(&self, asked_at: Instant) {
        let _single_flight = self.refresh.lock().await;
        {
            let state = self.state.read().await;
            if state.last_attempt.is_some_and(|t| t >= asked_at) {
                return; // someone refreshed while we waited
            }
            let cooling = state
                .last_attempt
                .is_some_and(|t| Instant::now().duration_since(t) < self.policy.cooldown);
            if cooling {
                return;
            }
        }
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let result = self.fetcher.fetch(&self.url).await;
        let mut state = self.state.write().await;
        state.last_attempt = Some(Instant::now());
        match result {
            Ok(set) => {
                state.keys = set.keys.iter().filter_map(usable).collect();
                state.fetched_at = Some(Instant::now());
                tracing::debug!(url = %self.url, keys = state.keys.len(), "identity.jwks refreshed");
            }
            Err(e) => {
                tracing::warn!(url = %self.url, error = %e, "identity.jwks fetch failed; serving cached keys");
            }
        }
    }
}
