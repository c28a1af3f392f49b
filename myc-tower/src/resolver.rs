//! Who the caller is in the application: [`ProfileResolver`] (e-mail → profile) and
//! [`ConnectionStringStore`] (is this connection string still issued, and to whom).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use myc_profile::Profile;
use uuid::Uuid;

use crate::BoxFuture;

/// The store failed (the layer answers 503).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile store: {0}")]
pub struct StoreError(pub String);

/// Loads the full profile of an account owner by e-mail (all tenants, all roles); the layer
/// narrows it to the route's roles and the caller's tenant.
pub trait ProfileResolver: Send + Sync + 'static {
    /// `None` when nobody has this e-mail.
    fn resolve<'a>(&'a self, email: &'a str) -> BoxFuture<'a, Result<Option<Profile>, StoreError>>;
}

/// A connection string the application issued.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    /// The owner's e-mail (the profile is loaded by it).
    pub email: String,
    /// The stored expiry, checked besides the signed `edt`.
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Looks connection strings up by account and a SHA-256 of the header value (store only that
/// hash, never the signature).
pub trait ConnectionStringStore: Send + Sync + 'static {
    /// `None` when revoked or never issued.
    fn lookup<'a>(
        &'a self,
        account_id: Uuid,
        token_hash: [u8; 32],
    ) -> BoxFuture<'a, Result<Option<IssuedToken>, StoreError>>;
}

/// A [`ProfileResolver`] with a bounded TTL cache in front (misses are not cached).
pub struct CachedResolver {
    inner: Arc<dyn ProfileResolver>,
    ttl: Duration,
    capacity: usize,
    cache: Mutex<HashMap<String, (Arc<Profile>, Instant)>>,
}

impl std::fmt::Debug for CachedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedResolver")
            .field("ttl", &self.ttl)
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl CachedResolver {
    /// Caches up to `capacity` profiles for `ttl` each.
    pub fn new(inner: Arc<dyn ProfileResolver>, ttl: Duration, capacity: usize) -> Self {
        Self {
            inner,
            ttl,
            capacity: capacity.max(1),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The profile, from the cache when fresh; the flag says whether it was a cache hit.
    pub async fn get(&self, email: &str) -> Result<Option<(Arc<Profile>, bool)>, StoreError> {
        if let Ok(cache) = self.cache.lock()
            && let Some((profile, at)) = cache.get(email)
            && at.elapsed() < self.ttl
        {
            return Ok(Some((profile.clone(), true)));
        }
        let Some(profile) = self.inner.resolve(email).await? else {
            return Ok(None);
        };
        let profile = Arc::new(profile);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= self.capacity {
                let ttl = self.ttl;
                cache.retain(|_, (_, at)| at.elapsed() < ttl);
                if cache.len() >= self.capacity {
                    cache.clear();
                }
            }
            cache.insert(email.to_owned(), (profile.clone(), Instant::now()));
        }
        Ok(Some((profile, false)))
    }
}
