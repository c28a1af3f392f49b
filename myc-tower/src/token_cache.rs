//! A bounded cache of verified tokens, keyed by SHA-256 of the token, each entry expiring at
//! `min(exp, ttl)`. Failures are never cached.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

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

#[derive(Debug, Default)]
struct Inner {
    entries: DigestMap<(Arc<Identity>, u64)>,
    order: VecDeque<Key>,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The cache key of a token.
pub fn token_key(token: &str) -> Key {
    Sha256::digest(token.as_bytes()).into()
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
        let key = token_key(token);
        let mut inner = self.inner.lock().ok()?;
        match inner.entries.get(&key) {
            Some((identity, until)) if *until > now_secs() => Some(identity.clone()),
            Some(_) => {
                inner.entries.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Remembers a verified token.
    pub fn insert(&self, token: &str, identity: Arc<Identity>) {
        let until = (now_secs() + self.ttl.as_secs()).min(identity.expires_at);
        if until <= now_secs() {
            return;
        }
        let key = token_key(token);
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        if inner.entries.len() >= self.capacity {
            let now = now_secs();
            inner.entries.retain(|_, (_, until)| *until > now);
            while inner.entries.len() >= self.capacity {
                let Some(oldest) = inner.order.pop_front() else {
                    break;
                };
                inner.entries.remove(&oldest);
            }
            let Inner { entries, order } = &mut *inner;
            order.retain(|k| entries.contains_key(k));
        }
        if inner.entries.insert(key, (identity, until)).is_none() {
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
