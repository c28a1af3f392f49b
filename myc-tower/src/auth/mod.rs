//! Authentication, security groups and identity injection: [`AuthLayer`].
//!
//! For every request, in this order:
//!
//! 1. every inbound `x-mycelium-*` header is removed (anti-spoofing, public routes included);
//!    a client `x-mycelium-tenant-id` is read first and only ever narrows a JWT caller's profile;
//! 2. the credential is taken from `x-mycelium-connection-string`, else `Authorization: Bearer`
//!    ([`crate::credential`]);
//! 3. it is verified: JWTs by the [`JwtVerifier`](crate::jwt::JwtVerifier) behind a [`TokenCache`](crate::token_cache::TokenCache) keyed by a hash of the
//!    token; connection strings by their HMAC, signed expiry and the [`ConnectionStringStore`](crate::resolver::ConnectionStringStore);
//! 4. the route's [`SecurityGroup`](myc_profile::SecurityGroup) is enforced: `public` lets everyone in; `authenticated`
//!    needs a valid caller with an e-mail; `protected` needs a profile; `protectedByRoles` needs
//!    a licence with one of the roles at the permission (write satisfies read) — 401 for
//!    missing or invalid credentials, 403 for a valid caller without access. A connection
//!    string's roles must intersect the route's and its tenant scopes the profile;
//! 5. `x-mycelium-security-group`, `x-mycelium-request-id` and, by group, `x-mycelium-email`
//!    (a JSON string) or `x-mycelium-profile` (plus `x-mycelium-profile-signature` when a
//!    signer is configured) are injected as sensitive headers; the [`Caller`] goes into the
//!    request's extensions.
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Arc;
//! use axum::{Router, routing::get};
//! use myc_profile::{Profile, SecurityGroup};
//! use myc_tower::BoxFuture;
//! use myc_tower::auth::{AuthLayer, Authenticator};
//! use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey};
//! use myc_tower::resolver::{ProfileQuery, ProfileResolver, StoreError};
//!
//! /// Profiles by e-mail; a real service queries its database here.
//! struct Directory(HashMap<String, Profile>);
//!
//! impl ProfileResolver for Directory {
//!     fn resolve<'a>(&'a self, query: ProfileQuery<'a>) -> BoxFuture<'a, Result<Option<Profile>, StoreError>> {
//!         Box::pin(async move { Ok(self.0.get(query.email).cloned()) })
//!     }
//! }
//!
//! # fn main() -> Result<(), myc_tower::AuthError> {
//! let jwt = JwtVerifier::new().internal(InternalIssuer {
//!     issuer: "mycelium".into(),
//!     audiences: vec!["mycelium".into()],
//!     keys: vec![LocalKey::hmac(Some("v1"), jsonwebtoken::Algorithm::HS512, &[7; 64])?],
//! });
//! let auth = Arc::new(Authenticator::new(jwt, Arc::new(Directory(HashMap::new()))));
//! let app: Router = Router::new()
//!     .route("/reports", get(|| async { "reports" }))
//!     .layer(AuthLayer::new(auth.clone(), SecurityGroup::Protected));
//! # let _ = app;
//! # Ok(()) }
//! ```

mod authenticator;
mod future;
mod layer;
mod service;

pub use self::authenticator::{AssertedIdentity, Authenticator, Caller, RequestedTenant};
pub use self::future::ResponseFuture;
pub use self::layer::AuthLayer;
pub use self::service::Auth;
