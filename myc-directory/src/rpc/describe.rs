//! What the error-code registry says of a code, added to the errors both transports answer
//! (`data.details` in JSON-RPC, `details` in REST bodies). Read from the store at most once a
//! minute per process, and again at once after this process rewords a code.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::store::SqlStore;

/// How long the registry is trusted before it is read again.
const FRESH: Duration = Duration::from_secs(60);

/// The registry's texts by code name (`MYC00019` → message and details).
#[derive(Debug, Default)]
pub(super) struct Descriptions {
    cached: RwLock<Option<(Instant, HashMap<String, String>)>>,
}

impl Descriptions {
    fn fresh(&self, name: &str) -> Option<Option<String>> {
        let cached = self.cached.read().ok()?;
        let (at, texts) = cached.as_ref()?;
        (at.elapsed() < FRESH).then(|| texts.get(name).cloned())
    }

    /// The registry's message and details of `name`, if it is registered.
    pub(super) async fn of(&self, store: &SqlStore, name: &str) -> Option<String> {
        if let Some(known) = self.fresh(name) {
            return known;
        }
        let codes = match store.error_codes().await {
            Ok(codes) => codes,
            Err(e) => {
                tracing::warn!(error = %e, "error-code registry unavailable");
                return None;
            }
        };
        let texts: HashMap<String, String> = codes
            .into_iter()
            .map(|c| {
                let text = match c.details {
                    Some(details) if !details.is_empty() => format!("{} {details}", c.message),
                    _ => c.message,
                };
                (c.name, text)
            })
            .collect();
        let found = texts.get(name).cloned();
        if let Ok(mut cached) = self.cached.write() {
            *cached = Some((Instant::now(), texts));
        }
        found
    }

    /// Drops what is cached (a code was reworded here).
    pub(super) fn forget(&self) {
        if let Ok(mut cached) = self.cached.write() {
            *cached = None;
        }
    }
}
