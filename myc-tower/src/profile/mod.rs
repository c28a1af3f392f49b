//! The downstream side: [`ProfileLayer`] decodes the `x-mycelium-profile` a gateway injected
//! into request extensions ([`GatewayProfile`]), optionally requiring a valid
//! `x-mycelium-profile-signature` from configured gateway keys; with the `axum` feature,
//! `GatewayProfile` (401 when missing or invalid) and `Option<GatewayProfile>` are extractors.
//!
//! ```no_run
//! # #[cfg(feature = "axum")] {
//! use axum::{Router, routing::get};
//! use myc_tower::profile::{GatewayProfile, ProfileLayer};
//!
//! async fn invoices(GatewayProfile(profile): GatewayProfile) -> String {
//!     match profile.access().with_write_access().with_roles(["accountant"]).get_related_account_or_error() {
//!         Ok(_) => "allowed".into(),
//!         Err(e) => e.message(),
//!     }
//! }
//! let app: Router = Router::new()
//!     .route("/invoices", get(invoices))
//!     .layer(ProfileLayer::new());
//! # }
//! ```

mod future;
mod layer;
mod service;

use std::sync::Arc;

pub use self::future::ResponseFuture;
pub use self::layer::ProfileLayer;
pub use self::service::ProfileService;

/// The profile a gateway injected, decoded (and verified when the layer has keys).
#[derive(Clone, Debug)]
pub struct GatewayProfile(pub Arc<myc_profile::Profile>);

impl std::ops::Deref for GatewayProfile {
    type Target = myc_profile::Profile;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

#[cfg(feature = "axum")]
mod extract {
    use axum::extract::{FromRequestParts, OptionalFromRequestParts};
    use http::request::Parts;

    use super::GatewayProfile;
    use crate::AuthError;

    fn from_parts(parts: &Parts) -> Result<Option<GatewayProfile>, AuthError> {
        if let Some(profile) = parts.extensions.get::<GatewayProfile>() {
            return Ok(Some(profile.clone()));
        }
        // Without the layer, decode the header as upstream does (no signature check).
        match parts.headers.get(myc_profile::headers::PROFILE) {
            None => Ok(None),
            Some(value) => {
                let text = value
                    .to_str()
                    .map_err(|_| AuthError::InvalidToken("profile header".into()))?;
                myc_profile::codec::decode(text)
                    .map(|p| Some(GatewayProfile(std::sync::Arc::new(p))))
                    .map_err(|_| AuthError::InvalidToken("profile header".into()))
            }
        }
    }

    /// The rejection: [`AuthError`] as a JSON response.
    #[derive(Debug)]
    pub struct ProfileRejection(pub AuthError);

    impl axum::response::IntoResponse for ProfileRejection {
        fn into_response(self) -> axum::response::Response {
            self.0.into_response()
        }
    }

    impl<S: Send + Sync> FromRequestParts<S> for GatewayProfile {
        type Rejection = ProfileRejection;

        async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
            from_parts(parts)
                .map_err(ProfileRejection)?
                .ok_or(ProfileRejection(AuthError::MissingCredentials))
        }
    }

    impl<S: Send + Sync> OptionalFromRequestParts<S> for GatewayProfile {
        type Rejection = ProfileRejection;

        async fn from_request_parts(
            parts: &mut Parts,
            _: &S,
        ) -> Result<Option<Self>, Self::Rejection> {
            from_parts(parts).map_err(ProfileRejection)
        }
    }
}

#[cfg(feature = "axum")]
pub use extract::ProfileRejection;
