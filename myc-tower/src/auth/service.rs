use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue, Request, Response};
use myc_profile::SecurityGroup;
use myc_profile::headers;
use myc_profile::signature::{RequestBinding, unix_now};
use tower_service::Service;
use tracing::Instrument;
use uuid::Uuid;

use super::{Authenticator, ResponseFuture};
use crate::AuthError;

/// The middleware built by [`super::AuthLayer`].
#[derive(Clone, Debug)]
pub struct Auth<S> {
    pub(super) inner: S,
    pub(super) authenticator: Arc<Authenticator>,
    pub(super) group: Arc<SecurityGroup>,
    pub(super) group_header: HeaderValue,
    pub(super) claims: Option<Arc<crate::claims_expr::ClaimsPredicate>>,
}

/// Removes every `x-mycelium-*` header; returns the client's tenant header if it was one UUID.
pub(crate) fn strip_identity_headers(
    headers: &mut http::HeaderMap,
) -> Result<Option<Uuid>, AuthError> {
    let mut tenant_values = headers.get_all(headers::TENANT_ID).iter();
    let tenant = match (tenant_values.next(), tenant_values.next()) {
        (None, _) => None,
        (Some(v), None) => Some(
            v.to_str()
                .ok()
                .and_then(|s| Uuid::parse_str(s.trim()).ok())
                .ok_or(AuthError::InvalidTenant)?,
        ),
        (Some(_), Some(_)) => return Err(AuthError::InvalidTenant),
    };
    let names: Vec<HeaderName> = headers
        .keys()
        .filter(|name| headers::is_mycelium_header(name.as_str()))
        .cloned()
        .collect();
    for name in names {
        headers.remove(&name);
    }
    Ok(tenant)
}

fn sensitive(value: &str) -> Result<HeaderValue, AuthError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| AuthError::Internal)?;
    value.set_sensitive(true);
    Ok(value)
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for Auth<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<Result<Response<ResBody>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        // The service that was polled ready handles this request; a fresh clone takes its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let authenticator = self.authenticator.clone();
        let group = self.group.clone();
        let group_header = self.group_header.clone();
        let claims = self.claims.clone();
        let request_id = Uuid::new_v4().to_string();
        let span = tracing::info_span!(
            "identity",
            request_id = %request_id,
            group = ?group,
            stage = tracing::field::Empty,
            outcome = tracing::field::Empty,
            credential = tracing::field::Empty,
            token_cache_hit = tracing::field::Empty,
            profile_cache_hit = tracing::field::Empty,
        );
        let future = async move {
            let request_id_value = HeaderValue::from_str(&request_id)
                .unwrap_or_else(|_| HeaderValue::from_static("invalid"));
            let refuse = |e: AuthError, stage: &'static str| {
                let span = tracing::Span::current();
                span.record("stage", stage);
                span.record("outcome", e.code());
                tracing::info!(error = %e, "request refused");
                let mut response: Response<ResBody> = e.into_response();
                response
                    .headers_mut()
                    .insert(headers::REQUEST_ID, request_id_value.clone());
                Ok(response)
            };
            // Read the credential (a connection string lives in the namespace) and the tenant,
            // then strip the whole namespace before anything else sees the request.
            let credential = crate::credential::extract(request.headers());
            let tenant = match strip_identity_headers(request.headers_mut()) {
                Ok(t) => t,
                Err(e) => return refuse(e, "strip"),
            };
            let decision = match authenticator
                .decide(&group, claims.as_deref(), credential, tenant)
                .await
            {
                Ok(d) => d,
                Err(e) => return refuse(e, "authenticate"),
            };
            // Credentials never travel further.
            request.headers_mut().remove(http::header::AUTHORIZATION);
            let headers_out = request.headers_mut();
            headers_out.insert(headers::SECURITY_GROUP, group_header);
            headers_out.insert(headers::REQUEST_ID, request_id_value.clone());
            if let Some(email) = decision.email_header {
                headers_out.insert(headers::EMAIL, email);
            }
            if let Some((profile, header)) = &decision.profile {
                match sensitive(header) {
                    Ok(v) => {
                        headers_out.insert(headers::PROFILE, v);
                    }
                    Err(e) => return refuse(e, "inject"),
                }
                if let Some(signer) = authenticator.signer() {
                    let method = request.method().as_str().to_owned();
                    let path = request.uri().path().to_owned();
                    let signature = signer.sign(
                        header,
                        &RequestBinding {
                            request_id: &request_id,
                            method: &method,
                            path: &path,
                        },
                        unix_now(),
                    );
                    match sensitive(&signature) {
                        Ok(v) => {
                            request.headers_mut().insert(headers::PROFILE_SIGNATURE, v);
                        }
                        Err(e) => return refuse(e, "inject"),
                    }
                }
                request.extensions_mut().insert(profile.clone());
            }
            request.extensions_mut().insert(decision.caller);
            tracing::Span::current().record("outcome", "allowed");
            let mut response = inner.call(request).await?;
            response
                .headers_mut()
                .insert(headers::REQUEST_ID, request_id_value);
            Ok(response)
        };
        ResponseFuture {
            inner: Box::pin(future.instrument(span)),
        }
    }
}
