use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{HeaderValue, Response};
use pin_project_lite::pin_project;

use crate::BoxFuture;

pin_project! {
    /// Response future of [`super::Auth`].
    pub struct ResponseFuture<F, B, E> {
        #[pin]
        kind: Kind<F, B, E>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<F, B, E> {
        // Decided synchronously: the inner service's future, then the request id header.
        Inner { #[pin] future: F, request_id: Option<HeaderValue> },
        // Refused before the inner service.
        Refused { response: Option<Response<B>> },
        // Verification or profile loading had to wait.
        Boxed { future: BoxFuture<'static, Result<Response<B>, E>> },
    }
}

impl<F, B, E> ResponseFuture<F, B, E> {
    pub(super) fn inner(future: F, request_id: HeaderValue) -> Self {
        Self {
            kind: Kind::Inner {
                future,
                request_id: Some(request_id),
            },
        }
    }

    pub(super) fn refused(response: Response<B>) -> Self {
        Self {
            kind: Kind::Refused {
                response: Some(response),
            },
        }
    }

    pub(super) fn boxed(future: BoxFuture<'static, Result<Response<B>, E>>) -> Self {
        Self {
            kind: Kind::Boxed { future },
        }
    }
}

impl<F, B, E> std::fmt::Debug for ResponseFuture<F, B, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<F, B, E> Future for ResponseFuture<F, B, E>
where
    F: Future<Output = Result<Response<B>, E>>,
    B: From<String>,
{
    type Output = Result<Response<B>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().kind.project() {
            KindProj::Inner { future, request_id } => {
                let mut response = std::task::ready!(future.poll(cx))?;
                if let Some(id) = request_id.take() {
                    response
                        .headers_mut()
                        .insert(crate::header_names::REQUEST_ID, id);
                }
                Poll::Ready(Ok(response))
            }
            KindProj::Refused { response } => Poll::Ready(Ok(response
                .take()
                .unwrap_or_else(|| crate::AuthError::Internal.into_response()))),
            KindProj::Boxed { future } => future.as_mut().poll(cx),
        }
    }
}
