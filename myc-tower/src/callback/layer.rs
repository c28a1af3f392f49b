use myc_profile::SecurityGroup;
use tower_layer::Layer;

use super::service::CallbackService;
use super::set::RouteCallbacks;

/// Runs a route's callbacks after its responses: see the [module docs](super).
#[derive(Clone, Debug)]
pub struct CallbackLayer {
    callbacks: RouteCallbacks,
    group: SecurityGroup,
}

impl CallbackLayer {
    /// `callbacks` for a route of security group `group` (reported in the context).
    pub fn new(callbacks: RouteCallbacks, group: SecurityGroup) -> Self {
        Self { callbacks, group }
    }
}

impl<S> Layer<S> for CallbackLayer {
    type Service = CallbackService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallbackService {
            inner,
            callbacks: self.callbacks.clone(),
            group: self.group.clone(),
        }
    }
}
