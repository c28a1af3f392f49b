//! Optional OIDC userinfo lookup for providers whose access tokens carry no `email`: the
//! e-mail is fetched once per token (with the token as bearer) and cached until the token
//! expires or the TTL passes. `email_verified: false` is refused unless the provider opts in
//! ([`EmailPolicy::accept_unverified`](super::EmailPolicy::accept_unverified)).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::jwks::FetchError;
use crate::BoxFuture;
use crate::token_cache::token_key;

/// Fetches a userinfo document.
pub trait UserInfoFetcher: Send + Sync + 'static {
    /// `GET url` with `Authorization: Bearer token`; the JSON body.
    fn userinfo<'a>(
        &'a self,
        url: &'a str,
        token: &'a str,
    ) -> BoxFuture<'a, Result<Value, FetchError>>;
}

/// Why no e-mail came back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UserInfoError {
    /// The endpoint could not be reached or answered an error.
    #[error(transparent)]
    Unavailable(#[from] FetchError),
    /// The answer has no usable e-mail, or says it is not verified.
    #[error("userinfo: {0}")]
    NoEmail(&'static str),
}

/// A provider's userinfo endpoint with a bounded cache.
pub struct UserInfo {
    url: String,
    fetcher: Arc<dyn UserInfoFetcher>,
    ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (String, Instant)>>,
}

impl std::fmt::Debug for UserInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserInfo")
            .field("url", &self.url)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

const CAPACITY: usize = 10_000;

impl UserInfo {
    /// The endpoint at `url`, e-mails cached for `ttl` (10 min upstream).
    pub fn new(url: impl Into<String>, fetcher: Arc<dyn UserInfoFetcher>, ttl: Duration) -> Self {
        Self {
            url: url.into(),
            fetcher,
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The e-mail of the token's subject; an answer saying `email_verified: false` is refused
    /// unless `accept_unverified`.
    pub async fn email(
        &self,
        token: &str,
        accept_unverified: bool,
    ) -> Result<String, UserInfoError> {
        let key = token_key(token);
        if let Ok(cache) = self.cache.lock()
            && let Some((email, at)) = cache.get(&key)
            && at.elapsed() < self.ttl
        {
            tracing::trace!(cache_hit = true, "identity.email");
            return Ok(email.clone());
        }
        let info = self.fetcher.userinfo(&self.url, token).await?;
        if !accept_unverified && super::says_unverified(info.get("email_verified")) {
            return Err(UserInfoError::NoEmail("e-mail not verified"));
        }
        let email = info
            .get("email")
            .and_then(Value::as_str)
            .filter(|e| e.contains('@') && e.len() <= 320)
            .ok_or(UserInfoError::NoEmail("no e-mail"))?
            .to_owned();
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CAPACITY {
                let ttl = self.ttl;
                cache.retain(|_, (_, at)| at.elapsed() < ttl);
                if cache.len() >= CAPACITY {
                    cache.clear();
                }
            }
            cache.insert(key, (email.clone(), Instant::now()));
        }
        tracing::debug!(cache_hit = false, "identity.email fetched from userinfo");
        Ok(email)
    }
}
