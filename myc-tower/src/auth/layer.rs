use std::sync::Arc;

use myc_profile::SecurityGroup;
use tower_layer::Layer;

use crate::claims_expr::ClaimsPredicate;

use super::{Auth, Authenticator};

/// Applies [`Auth`] with one security group (one layer per route or route group).
#[derive(Clone, Debug)]
pub struct AuthLayer {
    policy: Arc<Policy>,
}

/// What a layer enforces, shared by every service it wraps (a service clone per request,
/// as axum makes, is one reference-count increment).
#[derive(Clone, Debug)]
pub(super) struct Policy {
    pub(super) authenticator: Arc<Authenticator>,
    pub(super) group: SecurityGroup,
    pub(super) group_header: http::HeaderValue,
    pub(super) claims: Option<ClaimsPredicate>,
    /// The layer's route id: cached decisions are keyed by it.
    pub(super) route: u64,
    /// Verified callers without an account pass with their e-mail only.
    pub(super) admit_unknown: bool,
}

/// A process-unique id for each (group, claims) a layer enforces: cached decisions are keyed
/// by it, never by an address that a later layer could reuse.
fn next_route_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl AuthLayer {
    /// Routes under this layer belong to `group`.
    pub fn new(authenticator: Arc<Authenticator>, group: SecurityGroup) -> Self {
        let group_header = serde_json::to_string(&group)
            .ok()
            .and_then(|json| http::HeaderValue::from_str(&json).ok())
            .unwrap_or_else(|| http::HeaderValue::from_static("\"protected\""));
        Self {
            policy: Arc::new(Policy {
                authenticator,
                group,
                group_header,
                claims: None,
                route: next_route_id(),
                admit_unknown: false,
            }),
        }
    }

    /// Also requires the caller's token claims to satisfy `predicate` (403 otherwise).
    /// Connection-string callers have no claims: the predicate sees an empty object.
    pub fn require_claims(mut self, predicate: ClaimsPredicate) -> Self {
        let policy = Arc::make_mut(&mut self.policy);
        policy.claims = Some(predicate);
        policy.route = next_route_id();
        self
    }
}

impl AuthLayer {
    /// Also lets through callers whose credential verifies but who have no account yet, with
    /// `x-mycelium-email` and the [`Caller`](super::Caller) extension only (no profile): for
    /// sign-up endpoints (`beginners.accounts.create`), which must check that themselves.
    /// Callers with an account are decided as without it; inactive ones are still refused.
    pub fn admit_unknown_accounts(mut self) -> Self {
        let policy = Arc::make_mut(&mut self.policy);
        policy.admit_unknown = true;
        policy.route = next_route_id();
        self
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            policy: self.policy.clone(),
        }
    }
}
