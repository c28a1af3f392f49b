//! A bounded cache of verified tokens, keyed by SHA-256 of the token, each entry expiring at
//! `min(exp, ttl)`. Failures are never cached.
//!
//! Each entry also remembers the layer's last decision for that token on one route: the
//! route's id, the tenant header and the narrowed profile with its encoded header, valid as
//! long as the profile cache's entry it was taken from. A request repeating the same token on
//! the same route with the same tenant then costs one hash, one lock and one clock read.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::HeaderValue;
use myc_profile::Profile;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::jwt::Identity;

type Key = [u8; 32];

/// Keys are SHA-256 outputs already: their first 8 bytes are a fine hash.
#[derive(Clone, Copy, Default)]
pub(crate) struct DigestHasher(u64);

impl std::hash::Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for (i, b) in bytes.iter().take(8).enumerate() {
            self.0 ^= u64::from(*b) << (8 * i);
        }
    }
}

pub(crate) type DigestMap<V> = HashMap<Key, V, std::hash::BuildHasherDefault<DigestHasher>>;

/// Verified-token cache.
#[derive(Debug)]
pub struct TokenCache {
    capacity: usize,
    ttl: Duration,
    inner: Mutex<Inner>,
}

/// The last decision the layer took for a token on one route (see the module docs).
pub(crate) struct Memo {
    pub(crate) route: u64,
    pub(crate) tenant: Option<Uuid>,
    pub(crate) profile: Arc<Profile>,
    pub(crate) header: HeaderValue,
    pub(crate) until: Instant,
}

struct Entry {
    identity: Arc<Identity>,
    until: Instant,
    memo: Option<Memo>,
}

/// A cache hit: the identity, and the remembered profile when the memo matched.
pub(crate) struct Hit {
    pub(crate) key: Key,
    pub(crate) identity: Arc<Identity>,
    pub(crate) memo: Option<(Arc<Profile>, HeaderValue)>,
}

#[derive(Default)]
struct Inner {
    entries: DigestMap<Entry>,
    order: VecDeque<Key>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} entries", self.entries.len())
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The cache key of a token.
pub fn token_key(token: &str) -> Key {
    key_of(token.as_bytes())
}

fn key_of(token: &[u8]) -> Key {
    Sha256::digest(token).into()
}

impl TokenCache {
    /// At most `capacity` entries, each for at most `ttl`.
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            capacity: capacity.max(1),
            ttl,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The cached identity of `token`, if verified before and not expired.
    pub fn get(&self, token: &str) -> Option<Arc<Identity>> {
        self.lookup(token.as_bytes(), None).map(|hit| hit.identity)
    }

    /// The cached identity of `token`, with the remembered profile when `route` (a route id
    /// and the tenant header) is the one the memo was taken on and it has not expired.
    pub(crate) fn lookup(&self, token: &[u8], route: Option<(u64, Option<Uuid>)>) -> Option<Hit> {
        let key = key_of(token);
        let now = Instant::now();
        let mut inner = self.inner.lock().ok()?;
        let entry = inner.entries.get(&key)?;
        if entry.until <= now {
            inner.entries.remove(&key);
            return None;
        }
        let memo = match (&entry.memo, route) {
            (Some(memo), Some((route, tenant)))
                if memo.route == route && memo.tenant == tenant && memo.until > now =>
            {
                Some((memo.profile.clone(), memo.header.clone()))
            }
            _ => None,
        };
        Some(Hit {
            key,
            identity: entry.identity.clone(),
            memo,
        })
    }

    /// Remembers the decision for the token whose key is `key` (replacing any other).
    pub(crate) fn remember(&self, key: &Key, memo: Memo) {
        if let Ok(mut inner) = self.inner.lock()
            && let Some(entry) = inner.entries.get_mut(key)
        {
            entry.memo = Some(memo);
        }
    }

    /// Forgets every remembered decision (an account changed; see
    /// [`Authenticator::forget_account`](crate::auth::Authenticator::forget_account)).
    pub(crate) fn clear_memos(&self) {
        if let Ok(mut inner) = self.inner.lock() {
            for entry in inner.entries.values_mut() {
                entry.memo = None;
            }
        }
    }

    /// Remembers a verified token.
    pub fn insert(&self, token: &str, identity: Arc<Identity>) {
        let now_secs = now_secs();
        let until_secs = (now_secs + self.ttl.as_secs()).min(identity.expires_at);
        if until_secs <= now_secs {
            return;
        }
        let now = Instant::now();
        let until = now + Duration::from_secs(until_secs - now_secs);
        let key = token_key(token);
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.entries.len() >= self.capacity {
            inner.entries.retain(|_, entry| entry.until > now);
            while inner.entries.len() >= self.capacity {
                let Some(oldest) = inner.order.pop_front() else {
                    break;
                };
                inner.entries.remove(&oldest);
            }
            let Inner { entries, order } = &mut *inner;
            order.retain(|k| entries.contains_key(k));
        }
        let entry = Entry {
            identity,
            until,
            memo: None,
        };
        if inner.entries.insert(key, entry).is_none() {
            inner.order.push_back(key);
        }
    }

    /// Entries held now.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.entries.len()).unwrap_or(0)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(exp: u64) -> Arc<Identity> {
        Arc::new(Identity {
            issuer: "i".into(),
            subject: None,
            email: None,
            expires_at: exp,
            claims: Default::default(),
        })
    }

    #[test]
    fn bounded_and_expiring() {
        let cache = TokenCache::new(3, Duration::from_secs(60));
        let later = now_secs() + 600;
        for i in 0..10 {
            cache.insert(&format!("t{i}"), identity(later));
            assert!(cache.len() <= 3);
        }
        assert!(cache.get("t9").is_some());
        assert!(cache.get("t0").is_none());
        cache.insert("expired", identity(now_secs() - 1));
        assert!(cache.get("expired").is_none());
    }
}
