use std::sync::Arc;

use tower_layer::Layer;

use super::{IpNet, ResolveClientAddr};

/// Resolves (and optionally restricts) the client address; see the [module docs](super).
#[derive(Clone, Debug, Default)]
pub struct ClientAddrLayer {
    pub(super) policy: Arc<Policy>,
}

#[derive(Debug, Default)]
pub(super) struct Policy {
    pub(super) trusted: Vec<IpNet>,
    pub(super) allowed: Option<Vec<IpNet>>,
}

impl ClientAddrLayer {
    /// Trusts `X-Forwarded-For` from peers in `trusted_proxies` only (empty: the peer is
    /// always the client).
    pub fn new(trusted_proxies: Vec<IpNet>) -> Self {
        Self {
            policy: Arc::new(Policy {
                trusted: trusted_proxies,
                allowed: None,
            }),
        }
    }

    /// Refuses clients outside `sources` (403), and requests whose peer is unknown.
    pub fn allow_only(self, sources: Vec<IpNet>) -> Self {
        Self {
            policy: Arc::new(Policy {
                trusted: self.policy.trusted.clone(),
                allowed: Some(sources),
            }),
        }
    }
}

impl<S> Layer<S> for ClientAddrLayer {
    type Service = ResolveClientAddr<S>;

    fn layer(&self, inner: S) -> ResolveClientAddr<S> {
        ResolveClientAddr {
            inner,
            policy: self.policy.clone(),
        }
    }
}
