//! Forwarding a routed request to its service through hyper's client ([`client`]: HTTP/1.1,
//! HTTP/2, TLS), bodies and trailers streamed both ways, `gatewayTimeout` on the response
//! head, hop-by-hop headers removed in both directions, forwarding headers rebuilt from the
//! peer, secrets injected, `x-mycelium-*` and injected secret headers removed from responses;
//! round-robin with passive ejection, and a request without a body whose method is idempotent
//! is retried once on another host after a connect failure. A protocol upgrade (WebSocket)
//! the upstream accepts with `101` becomes a byte stream both ways ([`upgrade`]).

pub mod client;
pub mod forwarding;
mod h1_pool;
mod health;
pub mod upgrade;
mod upstream;

use std::net::IpAddr;
use std::time::Duration;

use axum::body::Body;
use http::uri::PathAndQuery;
use http::{HeaderName, HeaderValue, Method, Request, Response, StatusCode, Uri};
use http_body::Body as _;
use std::sync::Arc;

use self::client::{Connector, SendError};

pub use self::health::HealthChecks;
pub use self::upstream::{Host, Upstream, Wire};
use crate::config::SecretInjection;
use forwarding::{rebuild_forwarding, remove_hop_by_hop};
use myc_tower::client_addr::IpNet;

/// Forwards requests to upstream hosts.
#[derive(Clone, Debug)]
pub struct Proxy {
    connector: Connector,
    timeout: Duration,
    trusted: Vec<IpNet>,
    idle_upgraded: Duration,
}

/// Where and how one request goes.
#[derive(Debug)]
pub struct Target<'a> {
    /// The service's hosts.
    pub upstream: &'a Upstream,
    /// Path and query to request upstream.
    pub path_and_query: String,
    /// A secret to inject.
    pub secret: Option<&'a SecretInjection>,
    /// The protocol the client asked to upgrade to (its `Upgrade` header), if it did.
    pub upgrade: Option<HeaderValue>,
    /// Whether the client accepts trailers (`TE: trailers`), passed on to the upstream.
    pub trailers: bool,
    /// Whether the response should carry a [`myc_tower::callback::DownstreamUrl`] (the
    /// route has callbacks).
    pub downstream_url: bool,
}

/// A JSON error response (`{"message", "code"}`), as the auth layer answers.
pub fn error_response(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({ "message": message, "code": code }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// RFC 3986 unreserved characters stay; every other byte is percent-encoded.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Sets query parameter `name` to `value`, keeping every other parameter (upstream replaced
/// the whole query).
pub fn set_query_parameter(path_and_query: &str, name: &str, value: &str) -> String {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let encoded_name = percent_encode(name);
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| {
            let key = p.split_once('=').map_or(*p, |(k, _)| k);
            key != name && key != encoded_name
        })
        .collect();
    let pair = format!("{encoded_name}={}", percent_encode(value));
    params.push(&pair);
    format!("{path}?{}", params.join("&"))
}

/// Methods whose request may be sent twice (RFC 9110 §9.2.2).
pub(crate) fn idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

impl Proxy {
    /// A proxy with pooled connections, `timeout` per upstream exchange, `trusted` proxy
    /// networks whose `X-Forwarded-For` is believed, and the TLS configuration HTTPS
    /// upstreams need.
    pub fn new(
        timeout: Duration,
        trusted: Vec<IpNet>,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Self {
        Self {
            connector: Connector::new(tls),
            timeout,
            trusted,
            idle_upgraded: upgrade::IDLE_TIMEOUT,
        }
    }

    /// How long an upgraded connection may carry nothing before it is closed
    /// ([`upgrade::IDLE_TIMEOUT`] by default).
    pub fn with_upgrade_idle(mut self, idle: Duration) -> Self {
        self.idle_upgraded = idle;
        self
    }

    pub(crate) fn connector(&self) -> &Connector {
        &self.connector
    }

    /// Forwards `request` (already authenticated and routed) from `peer` to `target`.
    pub async fn forward(
        &self,
        mut request: Request<Body>,
        target: Target<'_>,
        peer: IpAddr,
    ) -> Response<Body> {
        let host = request.headers().get(http::header::HOST).cloned();
        let headers = request.headers_mut();
        remove_hop_by_hop(headers);
        rebuild_forwarding(headers, peer, &self.trusted, host.as_ref());
        if target.trailers {
            headers.insert(http::header::TE, HeaderValue::from_static("trailers"));
        }
        // The upgrade asked for goes on to the upstream; the client side of it is taken
        // now, before the request leaves.
        let client_upgrade = target.upgrade.clone().map(|protocol| {
            let headers = request.headers_mut();
            headers.insert(
                http::header::CONNECTION,
                HeaderValue::from_static("upgrade"),
            );
            headers.insert(http::header::UPGRADE, protocol);
            hyper::upgrade::on(&mut request)
        });
        let headers = request.headers_mut();
        let mut path_and_query = target.path_and_query;
        let mut injected_header: Option<HeaderName> = None;
        match target.secret {
            Some(SecretInjection::Header {
                header,
                prefix,
                token,
            }) => {
                let value = if prefix.is_empty() {
                    token.to_string()
                } else {
                    format!("{prefix} {}", token.as_str())
                };
                match HeaderValue::from_str(&value) {
                    Ok(mut v) => {
                        v.set_sensitive(true);
                        headers.remove(header);
                        headers.insert(header.clone(), v);
                        injected_header = Some(header.clone());
                    }
                    Err(_) => {
                        return crate::error_code::GatewayCode::Internal
                            .response("secret is not a valid header value");
                    }
                }
            }
            Some(SecretInjection::Query { name, token }) => {
                path_and_query = set_query_parameter(&path_and_query, name, token);
            }
            None => {}
        }
        // A request that never left (no connection could be made) comes back from the
        // connector; an idempotent one without a body then tries one other host.
        let retryable = idempotent(request.method()) && request.body().is_end_stream();
        let uri = match PathAndQuery::from_maybe_shared(bytes::Bytes::from(path_and_query)) {
            // Origin form: the connection is already to the host.
            Ok(path_and_query) => Uri::from(path_and_query),
            Err(_) => {
                return crate::error_code::GatewayCode::BadRequest.response("invalid upstream URI");
            }
        };
        let path = target.downstream_url.then(|| uri.path().to_owned());
        *request.uri_mut() = uri;
        let mut request = Some(request);
        let mut tried: Vec<std::sync::Arc<Host>> = Vec::new();
        loop {
            let Some(host) = target.upstream.pick(&tried) else {
                return crate::error_code::GatewayCode::BadGateway
                    .response("no upstream host available");
            };
            let Some(mut upstream_request) = request.take() else {
                return crate::error_code::GatewayCode::BadGateway.response("upstream unreachable");
            };
            upstream_request
                .headers_mut()
                .insert(http::header::HOST, host.host_header.clone());
            match tokio::time::timeout(self.timeout, self.connector.send(&host, upstream_request))
                .await
            {
                Err(_) => {
                    return crate::error_code::GatewayCode::GatewayTimeout
                        .response("upstream timed out");
                }
                Ok(Ok(mut response)) => {
                    target.upstream.succeeded(&host.name);
                    let switched = match &client_upgrade {
                        Some(_) if response.status() == StatusCode::SWITCHING_PROTOCOLS => {
                            let upstream = hyper::upgrade::on(&mut response);
                            response
                                .headers()
                                .get(http::header::UPGRADE)
                                .cloned()
                                .map(|protocol| (upstream, protocol))
                        }
                        _ => None,
                    };
                    let (mut parts, incoming) = response.into_parts();
                    remove_hop_by_hop(&mut parts.headers);
                    let leaked: Vec<HeaderName> = parts
                        .headers
                        .keys()
                        .filter(|n| myc_profile::headers::is_mycelium_header(n.as_str()))
                        .cloned()
                        .collect();
                    for name in leaked {
                        parts.headers.remove(&name);
                    }
                    if let Some(name) = &injected_header {
                        parts.headers.remove(name);
                    }
                    if let (Some((upstream, protocol)), Some(client)) = (switched, client_upgrade) {
                        parts.headers.insert(
                            http::header::CONNECTION,
                            HeaderValue::from_static("upgrade"),
                        );
                        parts.headers.insert(http::header::UPGRADE, protocol);
                        upgrade::bridge(client, upstream, self.idle_upgraded);
                    }
                    if let Some(path) = &path {
                        let scheme = if host.wire == Wire::Tls {
                            "https"
                        } else {
                            "http"
                        };
                        parts
                            .extensions
                            .insert(myc_tower::callback::DownstreamUrl(format!(
                                "{scheme}://{}{path}",
                                host.name
                            )));
                    }
                    return Response::from_parts(parts, incoming);
                }
                Ok(Err((SendError::Connect(e), unsent))) => {
                    tracing::warn!(upstream = %host.name, error = %e, "upstream connect failed");
                    target.upstream.failed(&host.name);
                    tried.push(host);
                    if retryable && tried.len() < 2 && unsent.is_some() {
                        request = unsent;
                        continue;
                    }
                    return crate::error_code::GatewayCode::BadGateway
                        .response("upstream unreachable");
                }
                Ok(Err((SendError::Exchange(e), _))) => {
                    tracing::warn!(upstream = %host.name, error = %e, "upstream exchange failed");
                    return crate::error_code::GatewayCode::BadGateway.response("upstream failed");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_secret_keeps_the_clients_parameters() {
        assert_eq!(set_query_parameter("/a", "key", "s3"), "/a?key=s3");
        assert_eq!(
            set_query_parameter("/a?x=1&key=forged&y=2", "key", "s 3&z"),
            "/a?x=1&y=2&key=s%203%26z"
        );
        assert_eq!(set_query_parameter("/a?", "k", "v"), "/a?k=v");
    }
}
