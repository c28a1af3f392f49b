use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Instant;

use http::{Method, Response};
use myc_profile::SecurityGroup;
use pin_project_lite::pin_project;

use super::DownstreamUrl;
use super::context::{CallbackContext, UserInfo};
use super::definition::Mode;
use super::set::RouteCallbacks;
use crate::BoxFuture;

/// What the request told before it was forwarded.
pub(super) struct Facts {
    pub(super) method: Method,
    pub(super) path: String,
    pub(super) request_id: Option<String>,
    pub(super) client_ip: Option<String>,
    pub(super) user_info: Option<UserInfo>,
    pub(super) group: SecurityGroup,
    pub(super) started: Instant,
}

pin_project! {
    /// The response future of [`super::CallbackService`]: the inner service's, then (in
    /// `parallel` and `sequential` modes) the callbacks'.
    pub struct ResponseFuture<F, B> {
        #[pin]
        inner: F,
        facts: Option<Facts>,
        callbacks: RouteCallbacks,
        // The callbacks' run and the response held back until it ends.
        waiting: Option<(BoxFuture<'static, ()>, Response<B>)>,
    }
}

impl<F, B> ResponseFuture<F, B> {
    pub(super) fn new(inner: F, facts: Facts, callbacks: RouteCallbacks) -> Self {
        Self {
            inner,
            facts: Some(facts),
            callbacks,
            waiting: None,
        }
    }
}

impl<F, B, E> Future for ResponseFuture<F, B>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some((run, _)) = this.waiting.as_mut() {
            ready!(run.as_mut().poll(cx));
            if let Some((_, held)) = this.waiting.take() {
                return Poll::Ready(Ok(held));
            }
        }
        let response = match ready!(this.inner.poll(cx)) {
            Ok(response) => response,
            Err(e) => return Poll::Ready(Err(e)),
        };
        let Some(facts) = this.facts.take() else {
            return Poll::Ready(Ok(response));
        };
        let wanted = this.callbacks.wanted(
            &facts.method,
            response.status().as_u16(),
            response.headers(),
        );
        if wanted.is_empty() {
            return Poll::Ready(Ok(response));
        }
        let context = context_of(facts, &response);
        match this.callbacks.mode() {
            Mode::FireAndForget => {
                this.callbacks.enqueue(context, wanted);
                Poll::Ready(Ok(response))
            }
            mode => {
                let callbacks = this.callbacks.clone();
                let parallel = mode == Mode::Parallel;
                let mut run: BoxFuture<'static, ()> =
                    Box::pin(async move { callbacks.run_now(context, wanted, parallel).await });
                if run.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(Ok(response));
                }
                *this.waiting = Some((run, response));
                Poll::Pending
            }
        }
    }
}

/// The context of `response` to the request `facts` describe.
fn context_of<B>(facts: Facts, response: &Response<B>) -> CallbackContext {
    CallbackContext {
        status_code: response.status().as_u16(),
        response_headers: response.headers().clone(),
        duration_ms: u64::try_from(facts.started.elapsed().as_millis()).unwrap_or(u64::MAX),
        upstream_path: facts.path,
        downstream_url: response
            .extensions()
            .get::<DownstreamUrl>()
            .map(|d| d.0.clone())
            .unwrap_or_default(),
        method: facts.method.as_str().to_owned(),
        timestamp: chrono::Utc::now(),
        request_id: facts.request_id,
        client_ip: facts.client_ip,
        user_info: facts.user_info,
        security_group: facts.group,
    }
}
