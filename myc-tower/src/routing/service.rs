use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use tower_service::Service;

use super::{MatchedRoute, RouteTable};
use crate::refused::RefusedOr;

/// The service [`RouteLayer`](super::RouteLayer) builds.
#[derive(Clone, Debug)]
pub struct Route<S> {
    pub(super) inner: S,
    pub(super) table: Arc<RouteTable>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Route<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = RefusedOr<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let matched = match self.table.find(request.method(), request.uri().path()) {
            Ok(hit) => MatchedRoute {
                service: hit.route.service.clone(),
                key: hit.route.key,
                upstream_path: hit.upstream_path.into_owned(),
            },
            Err(refused) => return RefusedOr::refused(refused.into_response()),
        };
        request.extensions_mut().insert(matched);
        RefusedOr::inner(self.inner.call(request))
    }
}
