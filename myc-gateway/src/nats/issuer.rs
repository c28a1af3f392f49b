//! The NATS credential issuer mounted in the gateway (`[nats.issuer]`): myc-natsauth's
//! issuer router at `POST /v1/nats/credentials`, with nodes authenticated against the store
//! (`myc-gateway nodes add|list|revoke`; only a SHA-256 of each node token is stored, compared
//! in constant time).

use std::time::Duration;

use axum::Router;
use myc_natsauth::claims::UserPermissionLimits;
use myc_natsauth::issuer::{Issuer, NodeAuthenticator, NodeGrant};
use myc_natsauth::{KeyKind, Nkey};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::config::IssuerSettings;
use crate::store::{NodeRecord, Store};

/// Where the issuer is mounted.
pub const ISSUER_PATH: &str = "/v1/nats/credentials";

/// SHA-256 of a node token (what the store keeps).
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Nodes from the store.
#[derive(Debug, Clone)]
pub struct StoreNodes<S>(pub S);

/// The user permissions a node's JWTs carry: its allow lists, and one reply per request it
/// receives when registered with `--allow-responses`.
pub fn grant(node: &NodeRecord) -> NodeGrant {
    let mut permissions = UserPermissionLimits::default();
    permissions.permissions.publish.allow = node.pub_allow.clone();
    permissions.permissions.subscribe.allow = node.sub_allow.clone();
    if node.allow_responses {
        permissions.permissions.response =
            Some(myc_natsauth::claims::ResponsePermission { max: 1, ttl: 0 });
    }
    NodeGrant {
        permissions,
        ttl: Duration::from_secs(node.ttl_secs),
    }
}

impl<S: Store + Send + Sync + 'static> NodeAuthenticator for StoreNodes<S> {
    async fn authenticate(&self, node_id: &str, node_token: &str) -> Option<NodeGrant> {
        let presented = token_hash(node_token);
        match self.0.node(node_id).await {
            Ok(Some((node, stored))) => {
                let matches: bool = stored.ct_eq(&presented).into();
                (matches && node.revoked_at.is_none()).then(|| grant(&node))
            }
            Ok(None) => None,
            Err(e) => {
                tracing::error!(error = %e, "node lookup failed");
                None
            }
        }
    }
}

/// The issuer's router for `settings` over `store`.
pub fn router<S: Store + Clone + Send + Sync + 'static>(
    settings: &IssuerSettings,
    store: S,
) -> Result<Router, super::NatsError> {
    let seed = settings.signing_key.seed()?;
    let signing_key = Nkey::from_seed(KeyKind::Account, &seed)?;
    let issuer = Issuer::new(
        StoreNodes(store),
        settings.account.clone(),
        signing_key,
        settings.nats_url.clone(),
    )?;
    Ok(std::sync::Arc::new(issuer).router())
}
