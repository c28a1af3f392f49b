use std::sync::Arc;

use myc_profile::ProfileVerifier;
use tower_layer::Layer;

use super::ProfileService;

/// Decodes the injected profile into extensions; see the [module docs](super).
#[derive(Clone, Debug, Default)]
pub struct ProfileLayer {
    pub(super) verifier: Option<Arc<ProfileVerifier>>,
    pub(super) required: bool,
}

impl ProfileLayer {
    /// Decodes when present; requests without a profile pass through without one.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests without a profile get 401.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Profiles must carry a valid signature from one of `verifier`'s gateway keys.
    pub fn verify_with(mut self, verifier: ProfileVerifier) -> Self {
        self.verifier = Some(Arc::new(verifier));
        self
    }
}

impl<S> Layer<S> for ProfileLayer {
    type Service = ProfileService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        ProfileService {
            inner,
            layer: self.clone(),
        }
    }
}
