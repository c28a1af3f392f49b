use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Request, Response};
use myc_profile::signature::{RequestBinding, unix_now};
use tower_service::Service;

use super::{GatewayProfile, ProfileLayer, ResponseFuture};
use crate::AuthError;

/// The middleware built by [`ProfileLayer`].
#[derive(Clone, Debug)]
pub struct ProfileService<S> {
    pub(super) inner: S,
    pub(super) layer: ProfileLayer,
}

fn header<'a, B>(
    request: &'a Request<B>,
    name: &http::HeaderName,
) -> Result<Option<&'a str>, AuthError> {
    let mut values = request.headers().get_all(name).iter();
    match (values.next(), values.next()) {
        (None, _) => Ok(None),
        (Some(v), None) => v
            .to_str()
            .map(Some)
            .map_err(|_| AuthError::InvalidToken(format!("{name} is not ASCII"))),
        _ => Err(AuthError::InvalidToken(format!("several {name} headers"))),
    }
}

impl<S> ProfileService<S> {
    fn decode<B>(&self, request: &Request<B>) -> Result<Option<GatewayProfile>, AuthError> {
        let Some(value) = header(request, &crate::header_names::PROFILE)? else {
            return if self.layer.required {
                Err(AuthError::MissingCredentials)
            } else {
                Ok(None)
            };
        };
        if let Some(verifier) = &self.layer.verifier {
            let signature = header(request, &crate::header_names::PROFILE_SIGNATURE)?
                .ok_or_else(|| AuthError::InvalidToken("unsigned profile".into()))?;
            let request_id = header(request, &crate::header_names::REQUEST_ID)?.unwrap_or_default();
            verifier
                .verify(
                    signature,
                    value,
                    &RequestBinding {
                        request_id,
                        method: request.method().as_str(),
                        path: request.uri().path(),
                    },
                    unix_now(),
                )
                .map_err(|e| AuthError::InvalidToken(format!("profile signature: {e}")))?;
        }
        let profile = myc_profile::codec::decode(value)
            .map_err(|e| AuthError::InvalidToken(format!("profile header: {e}")))?;
        Ok(Some(GatewayProfile(Arc::new(profile))))
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for ProfileService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        match self.decode(&request) {
            Ok(profile) => {
                if let Some(profile) = profile {
                    request.extensions_mut().insert(profile);
                }
                ResponseFuture::inner(self.inner.call(request))
            }
            Err(error) => ResponseFuture::refused(error),
        }
    }
}
