use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use myc_profile::{Profile, SecurityGroup};
use tower_service::Service;

use super::context::UserInfo;
use super::future::{Facts, ResponseFuture};
use super::set::RouteCallbacks;
use crate::client_addr::ClientAddr;

/// The service [`super::CallbackLayer`] makes.
#[derive(Clone, Debug)]
pub struct CallbackService<S> {
    pub(super) inner: S,
    pub(super) callbacks: RouteCallbacks,
    pub(super) group: SecurityGroup,
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for CallbackService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let user_info = match request.extensions().get::<Arc<Profile>>() {
            Some(profile) => Some(UserInfo::Profile(profile.clone())),
            // The header carries the e-mail as a JSON string, as upstream sends it.
            None => header(crate::header_names::EMAIL)
                .map(|v| serde_json::from_str::<String>(&v).unwrap_or(v))
                .map(UserInfo::Email),
        };
        let facts = Facts {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            request_id: header(crate::header_names::REQUEST_ID),
            client_ip: request
                .extensions()
                .get::<ClientAddr>()
                .map(|c| c.0.to_string()),
            user_info,
            group: self.group.clone(),
            started: Instant::now(),
        };
        ResponseFuture::new(self.inner.call(request), facts, self.callbacks.clone())
    }
}
