use std::sync::Arc;

use myc_profile::SecurityGroup;
use tower_layer::Layer;

use crate::claims_expr::ClaimsPredicate;

use super::{Auth, Authenticator};

/// Applies [`Auth`] with one security group (one layer per route or route group).
#[derive(Clone, Debug)]
pub struct AuthLayer {
    authenticator: Arc<Authenticator>,
    group: Arc<SecurityGroup>,
    group_header: http::HeaderValue,
    claims: Option<Arc<ClaimsPredicate>>,
}

impl AuthLayer {
    /// Routes under this layer belong to `group`.
    pub fn new(authenticator: Arc<Authenticator>, group: SecurityGroup) -> Self {
        let group_header = serde_json::to_string(&group)
            .ok()
            .and_then(|json| http::HeaderValue::from_str(&json).ok())
            .unwrap_or_else(|| http::HeaderValue::from_static("\"protected\""));
        Self {
            authenticator,
            group: Arc::new(group),
            group_header,
            claims: None,
        }
    }

    /// Also requires the caller's token claims to satisfy `predicate` (403 otherwise).
    /// Connection-string callers have no claims: the predicate sees an empty object.
    pub fn require_claims(mut self, predicate: ClaimsPredicate) -> Self {
        self.claims = Some(Arc::new(predicate));
        self
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Auth {
            inner,
            authenticator: self.authenticator.clone(),
            group: self.group.clone(),
            group_header: self.group_header.clone(),
            claims: self.claims.clone(),
        }
    }
}
