use std::sync::Arc;
use std::task::{Context, Poll};

use http::{HeaderName, HeaderValue, Request, Response};
use myc_profile::headers;
use myc_profile::signature::{RequestBinding, unix_now};
use tower_service::Service;
use tracing::Instrument;
use uuid::Uuid;

use super::authenticator::Decision;
use super::{Authenticator, ResponseFuture};
use crate::AuthError;

/// The middleware built by [`super::AuthLayer`].
#[derive(Clone, Debug)]
pub struct Auth<S> {
    pub(super) inner: S,
    pub(super) policy: Arc<super::layer::Policy>,
}

/// Removes every `x-mycelium-*` header (any case, `-` or `_` spelling) and takes their names
/// out of a `Connection` header; returns the client's tenant header if it was one UUID.
/// `namespaced` is [`crate::credential::has_identity_headers`]: false means nothing to do.
pub(crate) fn strip_identity_headers(
    headers: &mut http::HeaderMap,
    namespaced: bool,
) -> Result<Option<Uuid>, AuthError> {
    if !namespaced {
        return Ok(None);
    }
    let mut tenant_values = headers.get_all(crate::header_names::TENANT_ID).iter();
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
    unname_identity_headers(headers);
    Ok(tenant)
}

/// A proxy removes the headers a `Connection` header names (RFC 9110 §7.6.1); if it did so
/// after this layer injected the identity headers, a client naming them would make the
/// upstream receive none. Their names are taken out of every `Connection` value (the header
/// goes when nothing is left); the other names stay.
fn unname_identity_headers(headers: &mut http::HeaderMap) {
    let names_identity = |value: &HeaderValue| {
        value.to_str().map_or(true, |v| {
            v.split(',')
                .any(|token| headers::is_mycelium_header(token.trim()))
        })
    };
    if !headers
        .get_all(http::header::CONNECTION)
        .iter()
        .any(names_identity)
    {
        return;
    }
    let kept: Vec<String> = headers
        .get_all(http::header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty() && !headers::is_mycelium_header(t))
        .map(str::to_owned)
        .collect();
    headers.remove(http::header::CONNECTION);
    if let Ok(value) = HeaderValue::from_str(&kept.join(", "))
        && !kept.is_empty()
    {
        headers.insert(http::header::CONNECTION, value);
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, AuthError> {
    let mut value = HeaderValue::from_str(value).map_err(|_| AuthError::Internal)?;
    value.set_sensitive(true);
    Ok(value)
}

fn refusal<B: From<String>>(
    e: AuthError,
    stage: &'static str,
    request_id: HeaderValue,
    client: Option<std::net::IpAddr>,
) -> Response<B> {
    let span = tracing::Span::current();
    span.record("stage", stage);
    span.record("outcome", e.code());
    if let Some(left_out) = crate::refusal_log::REFUSALS.take(crate::refusal_log::now()) {
        tracing::info!(
            request_id = request_id.to_str().unwrap_or_default(),
            client = client.map(tracing::field::display),
            code = e.code(),
            error = %e,
            stage,
            left_out,
            "request refused"
        );
    }
    let mut response: Response<B> = e.into_response();
    response
        .headers_mut()
        .insert(crate::header_names::REQUEST_ID, request_id);
    response
}

/// Injects the identity headers of an allowed request.
fn admit<B>(
    request: &mut Request<B>,
    authenticator: &Authenticator,
    decision: Decision,
    group_header: HeaderValue,
    request_id: &HeaderValue,
) -> Result<(), AuthError> {
    // Credentials never travel further.
    request.headers_mut().remove(http::header::AUTHORIZATION);
    let headers_out = request.headers_mut();
    headers_out.reserve(4);
    headers_out.insert(crate::header_names::SECURITY_GROUP, group_header);
    headers_out.insert(crate::header_names::REQUEST_ID, request_id.clone());
    if let Some(email) = decision.email_header {
        headers_out.insert(crate::header_names::EMAIL, email);
    }
    if let Some((profile, header)) = decision.profile {
        if let Some(signer) = authenticator.signer() {
            let signature = signer.sign(
                header.to_str().unwrap_or_default(),
                &RequestBinding {
                    request_id: request_id.to_str().unwrap_or_default(),
                    method: request.method().as_str(),
                    path: request.uri().path(),
                },
                unix_now(),
            );
            let value = sensitive(&signature)?;
            request
                .headers_mut()
                .insert(crate::header_names::PROFILE_SIGNATURE, value);
        }
        request
            .headers_mut()
            .insert(crate::header_names::PROFILE, header);
        request.extensions_mut().insert(profile);
    }
    request.extensions_mut().insert(decision.caller);
    Ok(())
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
    type Future = ResponseFuture<S::Future, ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let request_id = crate::request_id::next();
        let span = tracing::debug_span!(
            "identity",
            request_id = request_id.to_str().unwrap_or_default(),
            group = ?self.policy.group,
            stage = tracing::field::Empty,
            outcome = tracing::field::Empty,
            credential = tracing::field::Empty,
            token_cache_hit = tracing::field::Empty,
            profile_cache_hit = tracing::field::Empty,
        );
        let entered = span.enter();
        let client = crate::client_addr::of(&request);
        // Read the credential (a connection string lives in the namespace) and the tenant,
        // then strip the whole namespace before anything else sees the request.
        let namespaced = crate::credential::has_identity_headers(request.headers());
        let credential = crate::credential::extract_unchecked(request.headers(), namespaced);
        let tenant = match strip_identity_headers(request.headers_mut(), namespaced) {
            Ok(t) => t,
            Err(e) => return ResponseFuture::refused(refusal(e, "strip", request_id, client)),
        };
        let asserted = request
            .extensions_mut()
            .remove::<crate::auth::AssertedIdentity>();
        // The tenant the decision is scoped to: an asserted identity's own, else the header's.
        let scoped = match &asserted {
            Some(a) => a.tenant,
            None => tenant,
        };
        if let Some(t) = scoped {
            request
                .extensions_mut()
                .insert(crate::auth::RequestedTenant(t));
        }
        if asserted.is_some() {
            drop(entered);
            return self.call_asserted(request, asserted, request_id, span, client);
        }
        // Fast path: every input cached, decided synchronously, the inner future unboxed.
        let policy = &*self.policy;
        match policy.authenticator.decide_cached(
            policy.route,
            &policy.group,
            policy.claims.as_ref(),
            &credential,
            tenant,
        ) {
            Some(Ok(decision)) => {
                if let Err(e) = admit(
                    &mut request,
                    &policy.authenticator,
                    decision,
                    policy.group_header.clone(),
                    &request_id,
                ) {
                    return ResponseFuture::refused(refusal(e, "inject", request_id, client));
                }
                span.record("outcome", "allowed");
                return ResponseFuture::inner(self.inner.call(request), request_id);
            }
            Some(Err(e)) => {
                return ResponseFuture::refused(refusal(e, "authenticate", request_id, client));
            }
            None => {}
        }
        drop(entered);
        // Slow path (token or profile not cached, connection strings): verify and resolve.
        self.slow_path(
            request,
            request_id,
            span,
            client,
            move |policy| async move {
                policy
                    .authenticator
                    .decide(
                        &policy.group,
                        policy.claims.as_ref(),
                        credential,
                        tenant,
                        policy.admit_unknown,
                    )
                    .await
            },
        )
    }
}

impl<S: Clone> Auth<S> {
    /// The slow path for a request carrying an [`AssertedIdentity`](crate::auth::AssertedIdentity).
    fn call_asserted<ReqBody, ResBody>(
        &mut self,
        request: Request<ReqBody>,
        asserted: Option<crate::auth::AssertedIdentity>,
        request_id: http::HeaderValue,
        span: tracing::Span,
        client: Option<std::net::IpAddr>,
    ) -> ResponseFuture<S::Future, ResBody, S::Error>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        ReqBody: Send + 'static,
        ResBody: From<String> + Send + 'static,
    {
        self.slow_path(
            request,
            request_id,
            span,
            client,
            move |policy| async move {
                let asserted = asserted.ok_or(AuthError::MissingCredentials)?;
                tracing::Span::current().record("credential", asserted.source);
                let caller = crate::auth::Caller::Asserted {
                    email: asserted.email,
                    source: asserted.source,
                };
                policy
                    .authenticator
                    .decide_caller(
                        &policy.group,
                        policy.claims.as_ref(),
                        caller,
                        asserted.tenant,
                    )
                    .await
            },
        )
    }

    /// Every path that has to wait: takes the service that was polled ready (a fresh clone
    /// takes its place), awaits `decide`'s decision, then refuses or injects and calls; boxed
    /// and instrumented with `span`.
    fn slow_path<ReqBody, ResBody, D, F>(
        &mut self,
        request: Request<ReqBody>,
        request_id: http::HeaderValue,
        span: tracing::Span,
        client: Option<std::net::IpAddr>,
        decide: D,
    ) -> ResponseFuture<S::Future, ResBody, S::Error>
    where
        S: Service<Request<ReqBody>, Response = Response<ResBody>> + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Send + 'static,
        ReqBody: Send + 'static,
        ResBody: From<String> + Send + 'static,
        D: FnOnce(Arc<super::layer::Policy>) -> F,
        F: std::future::Future<Output = Result<crate::auth::authenticator::Decision, AuthError>>
            + Send
            + 'static,
    {
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let policy = self.policy.clone();
        let decision = decide(policy.clone());
        let future = async move {
            let decision = decision.await;
            admit_and_call(
                inner,
                &policy.authenticator,
                decision,
                policy.group_header.clone(),
                request,
                request_id,
                client,
            )
            .await
        };
        ResponseFuture::boxed(Box::pin(future.instrument(span)))
    }
}

/// The end of every slow path: refuse, or inject the decision and call the inner service,
/// echoing the request id.
async fn admit_and_call<S, ReqBody, ResBody>(
    mut inner: S,
    authenticator: &Authenticator,
    decision: Result<crate::auth::authenticator::Decision, AuthError>,
    group_header: http::HeaderValue,
    mut request: Request<ReqBody>,
    request_id: http::HeaderValue,
    client: Option<std::net::IpAddr>,
) -> Result<Response<ResBody>, S::Error>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    let decision = match decision {
        Ok(d) => d,
        Err(e) => return Ok(refusal(e, "authenticate", request_id, client)),
    };
    if let Err(e) = admit(
        &mut request,
        authenticator,
        decision,
        group_header,
        &request_id,
    ) {
        return Ok(refusal(e, "inject", request_id, client));
    }
    tracing::Span::current().record("outcome", "allowed");
    let mut response = inner.call(request).await?;
    response
        .headers_mut()
        .insert(crate::header_names::REQUEST_ID, request_id);
    Ok(response)
}
