use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response, StatusCode};
use tower_service::Service;

use super::layer::Policy;
use super::{ClientAddr, any_contains, client_ip, peer_of};
use crate::refused::{self, RefusedOr};

/// The service [`ClientAddrLayer`](super::ClientAddrLayer) builds.
#[derive(Clone, Debug)]
pub struct ResolveClientAddr<S> {
    pub(super) inner: S,
    pub(super) policy: Arc<Policy>,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ResolveClientAddr<S>
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
        let client =
            peer_of(&request).map(|peer| client_ip(peer, request.headers(), &self.policy.trusted));
        if let Some(allowed) = &self.policy.allowed
            && !client.is_some_and(|ip| any_contains(allowed, ip))
        {
            return RefusedOr::refused(refused::json(
                StatusCode::FORBIDDEN,
                "MYT00412",
                "source address not allowed",
            ));
        }
        if let Some(ip) = client {
            request.extensions_mut().insert(ClientAddr(ip));
        }
        RefusedOr::inner(self.inner.call(request))
    }
}
