//! The gateway as one service, [`App`]: every request is routed by the [`RouteTable`](myc_tower::routing::RouteTable), checked
//! against the service's `allowedSources` (client address, never `Host`), authenticated and
//! authorized by the route's [`AuthLayer`], and forwarded by the [`Proxy`]. The gateway's own
//! endpoints (health, metrics) and mounted routers (the Telegram endpoints, the credential
//! issuer) answer their fixed paths first.
//!
//! Serve it with [`crate::server::serve`]: the peer address of each connection is what
//! forwarding headers and `allowedSources` start from.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use http::{Request, Response, StatusCode};
use myc_tower::auth::{Auth, AuthLayer, Authenticator};
use tower::Service;
use tower::ServiceExt;
use tower::util::BoxCloneSyncService;

use crate::config::{Config, Protocol};
use crate::proxy::forwarding::remove_hop_by_hop;
use crate::proxy::{HealthChecks, Proxy, Target, Upstream, Wire};
use myc_tower::client_addr::{IpNet, any_contains, client_ip};
use myc_tower::routing::RouteError;

/// A route's service: the auth layer straight over the forwarder (no boxing besides the
/// forwarder's one future), or a composed service (the Telegram webhook check first).
#[derive(Clone)]
enum RouteService {
    Direct(Auth<Forward>),
    /// With response callbacks between authentication and forwarding.
    Called(Auth<myc_tower::callback::CallbackService<Forward>>),
    Composed(BoxCloneSyncService<Request<Body>, Response<Body>, Infallible>),
}

impl RouteService {
    async fn call(&self, request: Request<Body>) -> Result<Response<Body>, Infallible> {
        match self {
            // The auth and callback layers delegate readiness to the forwarder: always ready.
            RouteService::Direct(service) => service.clone().call(request).await,
            RouteService::Called(service) => service.clone().call(request).await,
            RouteService::Composed(service) => service.clone().oneshot(request).await,
        }
    }
}

/// Forwards a routed request to its service's hosts.
#[derive(Clone)]
struct Forward(Arc<ForwardTo>);

struct ForwardTo {
    proxy: Arc<Proxy>,
    upstream: Arc<Upstream>,
    secret: Option<crate::config::SecretInjection>,
    /// The route has callbacks: responses carry their downstream URL.
    callbacks: bool,
}

impl std::fmt::Debug for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forward")
            .field("secret", &self.0.secret)
            .finish_non_exhaustive()
    }
}

impl Service<Request<Body>> for Forward {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = myc_tower::BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        let to = self.0.clone();
        Box::pin(async move {
            let Some(routed) = request.extensions_mut().remove::<Routed>() else {
                return Ok(crate::error_code::GatewayCode::Internal.response("unrouted request"));
            };
            let target = Target {
                upstream: &to.upstream,
                path_and_query: routed.path_and_query,
                secret: to.secret.as_ref(),
                upgrade: routed.upgrade,
                trailers: routed.trailers,
                downstream_url: to.callbacks,
            };
            let account = request
                .extensions()
                .get::<Arc<myc_profile::Profile>>()
                .map(|p| AdmittedAccount(p.acc_id));
            let mut response = to.proxy.forward(request, target, routed.peer.ip()).await;
            if let Some(account) = account {
                response.extensions_mut().insert(account);
            }
            Ok(response)
        })
    }
}

/// Per-request facts the dispatcher hands to the route's service.
#[derive(Clone, Debug)]
struct Routed {
    path_and_query: String,
    peer: SocketAddr,
    /// The protocol the client asked to upgrade to.
    upgrade: Option<http::HeaderValue>,
    /// The client sent `TE: trailers`.
    trailers: bool,
}

struct Gateway {
    config: Config,
    /// Metrics label of each route: "service pattern".
    labels: Vec<Vec<String>>,
    upstreams: Vec<Arc<Upstream>>,
    metrics: crate::metrics::Metrics,
    allowed: Vec<Arc<crate::sources::AllowedSources>>,
    trusted: Vec<IpNet>,
    routes: Vec<Vec<RouteService>>,
    store: Option<ReadyCheck>,
    /// Response callbacks, when any is defined (their counters go to `/metrics`).
    callbacks: Option<myc_tower::callback::Callbacks>,
}

/// Why the gateway could not be assembled from a valid configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The TLS client of HTTPS upstreams could not be built.
    #[error("HTTPS upstreams: {0}")]
    UpstreamTls(String),
    /// A route takes the path of one of the gateway's own endpoints.
    #[error(
        "route {pattern:?} of service {service:?} is the gateway's own {reserved}; set [gateway] health_path / metrics_path elsewhere"
    )]
    ReservedPath {
        /// The route's pattern.
        pattern: String,
        /// Its service.
        service: String,
        /// The endpoint's path.
        reserved: String,
    },
    /// A callback is not usable (a script that does not compile, a URL that is not one), or
    /// no Tokio runtime runs the build.
    #[error("callbacks: {0}")]
    Callbacks(String),
    /// A service's setting is not usable (`api.services.NAME.KEY: message`).
    #[error("api.services.{service}.{key}: {message}")]
    Service {
        /// The service.
        service: String,
        /// The key within it (`hosts`, `allowedSources`, `path[2]`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// The assembled gateway: the service to serve and the health checks to start.
#[derive(Debug)]
pub struct Built {
    /// Serve with [`crate::server::serve`]; mount extra endpoints with [`App::mount`].
    pub app: App,
    /// Start with [`HealthChecks::spawn`].
    pub health: HealthChecks,
    /// Every service's `allowedSources`: resolve their host names with
    /// [`crate::sources::resolve_and_refresh`].
    pub sources: Vec<Arc<crate::sources::AllowedSources>>,
}

/// A router answering fixed paths ahead of the routed proxy.
#[derive(Clone)]
struct Mount {
    /// Paths answered; one ending in `/` covers everything under it.
    paths: Vec<String>,
    router: Router,
}

impl Mount {
    /// The path of this mount that answers `path` (a bounded metrics label), if any.
    fn covering(&self, path: &str) -> Option<&str> {
        self.paths
            .iter()
            .find(|p| {
                if p.ends_with('/') {
                    path.starts_with(p.as_str())
                } else {
                    path == p.as_str()
                }
            })
            .map(String::as_str)
    }
}

/// The gateway as one service (cheap to clone): see the module docs.
#[derive(Clone)]
pub struct App(Arc<AppInner>);

struct AppInner {
    gateway: Arc<Gateway>,
    mounts: Vec<Mount>,
    /// CORS from `[api] allowedOrigins`: preflights answered here, before any route or
    /// authentication; answers carry the headers.
    cors: Option<tower_http::cors::CorsLayer>,
}

/// The layer `[api] allowedOrigins` asks for (methods and headers mirrored from the
/// preflight, `x-mycelium-request-id` exposed, preflights cached 10 minutes).
fn cors_layer(cors: &crate::config::Cors) -> Option<tower_http::cors::CorsLayer> {
    use tower_http::cors::{AllowHeaders, AllowMethods, AllowOrigin, CorsLayer};
    let base = CorsLayer::new()
        .allow_methods(AllowMethods::mirror_request())
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([myc_tower::header_names::REQUEST_ID])
        .max_age(std::time::Duration::from_secs(600));
    match cors {
        crate::config::Cors::Off => None,
        crate::config::Cors::Any => Some(base.allow_origin(AllowOrigin::any())),
        crate::config::Cors::Origins(list) => Some(
            base.allow_origin(AllowOrigin::list(list.iter().cloned()))
                .allow_credentials(true),
        ),
    }
}

/// The app and the connection's peer as a service (what the CORS layer wraps).
#[derive(Clone)]
struct Routing {
    app: App,
    peer: SocketAddr,
}

impl Service<Request<Body>> for Routing {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = myc_tower::BoxFuture<'static, Result<Response<Body>, Infallible>>;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Infallible>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let Routing { app, peer } = self.clone();
        Box::pin(async move { Ok(app.route(peer, request).await) })
    }
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field(
                "mounts",
                &self.0.mounts.iter().map(|m| &m.paths).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl App {
    /// Answers `paths` with `router` ahead of the routed proxy (a path ending in `/` covers
    /// everything under it). Call before serving.
    pub fn mount(self, paths: &[&str], router: Router) -> Self {
        let mut mounts = self.0.mounts.clone();
        mounts.push(Mount {
            paths: paths.iter().map(|p| (*p).to_owned()).collect(),
            router,
        });
        Self(Arc::new(AppInner {
            gateway: self.0.gateway.clone(),
            mounts,
            cors: self.0.cors.clone(),
        }))
    }

    /// Answers one request from `peer`.
    pub async fn handle(&self, peer: SocketAddr, request: Request<Body>) -> Response<Body> {
        match &self.0.cors {
            None => self.route(peer, request).await,
            Some(cors) => {
                let routing = Routing {
                    app: self.clone(),
                    peer,
                };
                match tower::Layer::layer(cors, routing).oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        }
    }

    /// [`Self::handle`] after CORS: mounted routers, fixed endpoints, routes.
    async fn route(&self, peer: SocketAddr, mut request: Request<Body>) -> Response<Body> {
        let inner = &*self.0;
        let path = request.uri().path();
        if let Some((mount, label)) = inner
            .mounts
            .iter()
            .find_map(|m| m.covering(path).map(|label| (m, label)))
        {
            // Counted and logged like routed requests, under the mount's path.
            let started = std::time::Instant::now();
            let method = request.method().clone();
            request.extensions_mut().insert(ConnectInfo(peer));
            let response = match mount.router.clone().oneshot(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let elapsed = started.elapsed();
            inner
                .gateway
                .metrics
                .observe(label, response.status().as_u16(), elapsed);
            access_log(&method, label, &response, elapsed);
            return response;
        }
        if crate::grpc_status::is_grpc(&request) {
            let response = dispatch(&inner.gateway, peer, request).await;
            return crate::grpc_status::refusal(response).await;
        }
        dispatch(&inner.gateway, peer, request).await
    }
}

/// A readiness probe of something the gateway depends on besides upstreams (the store):
/// `Err` carries a one-line reason, shown on `{health_path}/ready`.
pub type ReadyCheck =
    Arc<dyn Fn() -> myc_tower::BoxFuture<'static, Result<(), String>> + Send + Sync>;

/// How long `{health_path}/ready` waits for a [`ReadyCheck`].
const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// What the gateway uses besides its configuration and authenticator.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Probed by the readiness endpoint (the store).
    pub ready: Option<ReadyCheckDebug>,
    /// The Telegram identity source, for `identitySource = "telegram"` routes.
    pub telegram: Option<Arc<crate::telegram::Telegram>>,
}

/// A [`ReadyCheck`] that prints as `ReadyCheck`.
#[derive(Clone)]
pub struct ReadyCheckDebug(pub ReadyCheck);

impl std::fmt::Debug for ReadyCheckDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReadyCheck")
    }
}

/// Builds the gateway for `config` with `auth` deciding who gets in, and `extras`.
pub fn build(
    config: Config,
    auth: Arc<Authenticator>,
    extras: Extras,
) -> Result<Built, BuildError> {
    let store = extras.ready.map(|r| r.0);
    let trusted = config.trusted_proxies.clone();
    let tls = if config
        .services
        .iter()
        .any(|s| s.protocol == Protocol::Https)
    {
        let roots: Vec<&[u8]> = config.tls_roots.iter().map(Vec::as_slice).collect();
        Some(
            myc_tower::tls::client_config(&roots)
                .map_err(|e| BuildError::UpstreamTls(e.to_string()))?,
        )
    } else {
        None
    };
    let proxy = Arc::new(
        Proxy::new(
            std::time::Duration::from_secs(config.gateway_timeout),
            trusted.clone(),
            tls,
        )
        .with_upgrade_idle(config.upgrade_idle),
    );
    let mut health = HealthChecks::new(config.health.clone(), proxy.connector().clone());
    let mut upstreams = Vec::new();
    for reserved in [&config.health_path, &config.metrics_path] {
        for route in config.table.routes() {
            if route.pattern == *reserved {
                return Err(BuildError::ReservedPath {
                    pattern: route.pattern.clone(),
                    service: route.service.clone(),
                    reserved: reserved.clone(),
                });
            }
            if myc_tower::routing::wildmatch(&route.pattern, reserved) {
                tracing::warn!(
                    route = %route.pattern,
                    service = %route.service,
                    "GET {reserved} is answered by the gateway, not by this route"
                );
            }
        }
    }
    let callbacks = callback_set(&config, tls_for_callbacks(&config)?)?;
    let mut allowed = Vec::new();
    let mut routes = Vec::new();
    for service in &config.services {
        let sources =
            crate::sources::AllowedSources::parse(&service.allowed_sources).map_err(|message| {
                BuildError::Service {
                    service: service.name.clone(),
                    key: "allowedSources".into(),
                    message,
                }
            })?;
        allowed.push(Arc::new(sources));
        let upstream = Arc::new(
            Upstream::new(
                &service.hosts,
                match service.protocol {
                    Protocol::Http => Wire::Http1,
                    Protocol::Https => Wire::Tls,
                    Protocol::Http2 | Protocol::Grpc => Wire::Http2,
                },
            )
            .map_err(|message| BuildError::Service {
                service: service.name.clone(),
                key: "hosts".into(),
                message,
            })?,
        );
        upstreams.push(upstream.clone());
        if let Some(path) = &service.health_check_path {
            health.add(upstream.clone(), path.clone());
        }
        let mut services = Vec::new();
        for (r, route) in service.routes.iter().enumerate() {
            if route.secret.is_some()
                && service.protocol == Protocol::Http
                && !route.accept_insecure_routing
            {
                return Err(BuildError::Service {
                    service: service.name.clone(),
                    key: format!("path[{r}]"),
                    message: format!(
                        "injecting secret {:?} over plain HTTP needs acceptInsecureRouting = true",
                        route.secret.as_deref().unwrap_or_default()
                    ),
                });
            }
            let secret = route
                .secret
                .as_ref()
                .and_then(|name| service.secrets.get(name))
                .cloned();
            let forward = Forward(Arc::new(ForwardTo {
                proxy: proxy.clone(),
                upstream: upstream.clone(),
                secret,
                callbacks: !route.callbacks.is_empty(),
            }));
            let auth_layer = AuthLayer::new(auth.clone(), route.group.clone());
            let selected = match (&callbacks, route.callbacks.is_empty()) {
                (Some(set), false) => Some(
                    set.select(&route.callbacks)
                        .map_err(|e| BuildError::Callbacks(e.to_string()))?,
                ),
                _ => None,
            };
            let layered: RouteService = match selected {
                None => RouteService::Direct(tower::Layer::layer(&auth_layer, forward)),
                Some(selected) => {
                    let called = tower::Layer::layer(
                        &myc_tower::callback::CallbackLayer::new(selected, route.group.clone()),
                        forward,
                    );
                    RouteService::Called(tower::Layer::layer(&auth_layer, called))
                }
            };
            match route.identity_source {
                None => services.push(layered),
                Some(crate::config::IdentitySource::Telegram) => {
                    let telegram = extras.telegram.clone().ok_or_else(|| BuildError::Service {
                        service: service.name.clone(),
                        key: format!("path[{r}]"),
                        message: "identitySource = \"telegram\" needs [gateway.telegram]".into(),
                    })?;
                    // The webhook check runs first and hands the auth layer the sender's identity.
                    let webhook = tower::service_fn(move |request: Request<Body>| {
                        let telegram = telegram.clone();
                        let layered = layered.clone();
                        async move {
                            match telegram.webhook(request).await {
                                Ok(request) => layered.call(request).await,
                                Err(e) => Ok(e.response()),
                            }
                        }
                    });
                    services.push(RouteService::Composed(BoxCloneSyncService::new(webhook)));
                }
            }
        }
        routes.push(services);
    }
    let labels = config
        .services
        .iter()
        .map(|s| {
            s.routes
                .iter()
                .map(|r| format!("{} {}", s.name, r.pattern))
                .collect()
        })
        .collect();
    let gateway = Gateway {
        labels,
        config,
        upstreams,
        metrics: crate::metrics::Metrics::default(),
        allowed: allowed.clone(),
        trusted,
        routes,
        store,
        callbacks,
    };
    let cors = cors_layer(&gateway.config.cors);
    let app = App(Arc::new(AppInner {
        gateway: Arc::new(gateway),
        mounts: Vec::new(),
        cors,
    }));
    Ok(Built {
        app,
        health,
        sources: allowed,
    })
}

/// TLS of HTTPS callbacks: the system's roots and `[gateway.tls] extra_roots`.
fn tls_for_callbacks(config: &Config) -> Result<Option<Arc<rustls::ClientConfig>>, BuildError> {
    if config.callbacks.definitions.is_empty() {
        return Ok(None);
    }
    let roots: Vec<&[u8]> = config.tls_roots.iter().map(Vec::as_slice).collect();
    myc_tower::tls::client_config(&roots)
        .map(Some)
        .map_err(|e| BuildError::Callbacks(e.to_string()))
}

/// The callbacks of `config`, when it defines any (needs a Tokio runtime: the queue's
/// consumer is a task).
fn callback_set(
    config: &Config,
    tls: Option<Arc<rustls::ClientConfig>>,
) -> Result<Option<myc_tower::callback::Callbacks>, BuildError> {
    let Some(tls) = tls else { return Ok(None) };
    if tokio::runtime::Handle::try_current().is_err() {
        return Err(BuildError::Callbacks(
            "build the gateway inside a Tokio runtime".into(),
        ));
    }
    let mut settings = myc_tower::callback::Settings::new(tls);
    settings.mode = config.callbacks.mode;
    settings.queue = config.callbacks.queue;
    settings.concurrency = config.callbacks.concurrency;
    myc_tower::callback::Callbacks::new(config.callbacks.definitions.clone(), settings)
        .map(Some)
        .map_err(|e| BuildError::Callbacks(e.to_string()))
}

/// (service, host, in rotation) for every host.
fn host_states(gateway: &Gateway) -> Vec<(String, String, bool)> {
    gateway
        .config
        .services
        .iter()
        .zip(&gateway.upstreams)
        .flat_map(|(service, upstream)| {
            upstream
                .hosts()
                .into_iter()
                .map(|h| (service.name.clone(), h.clone(), !upstream.is_out(&h)))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn text(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

/// Whether the caller may read metrics and readiness details: its address (through trusted
/// proxies) is in `[gateway.ops] allowed_sources`, or it presents the ops token.
fn ops_allowed(gateway: &Gateway, peer: SocketAddr, request: &Request<Body>) -> bool {
    let ops = &gateway.config.ops;
    if any_contains(
        &ops.allowed_sources,
        client_ip(peer.ip(), request.headers(), &gateway.trusted),
    ) {
        return true;
    }
    let presented = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.as_bytes().strip_prefix(b"Bearer "));
    match (&ops.token, presented) {
        (Some(token), Some(presented)) => {
            use subtle::ConstantTimeEq as _;
            bool::from(token.as_bytes().ct_eq(presented))
        }
        _ => false,
    }
}

async fn dispatch(gateway: &Gateway, peer: SocketAddr, request: Request<Body>) -> Response<Body> {
    let path = request.uri().path();
    if request.method() == http::Method::GET {
        if path == gateway.config.health_path {
            return text(
                StatusCode::OK,
                "application/json",
                serde_json::json!({"status": "ok"}).to_string(),
            );
        }
        if path.strip_prefix(gateway.config.health_path.as_str()) == Some("/ready") {
            let hosts = host_states(gateway);
            let upstreams_ready = gateway.config.services.iter().all(|s| {
                hosts
                    .iter()
                    .any(|(service, _, up)| *service == s.name && *up)
            });
            let store = match &gateway.store {
                None => None,
                Some(check) => Some(match tokio::time::timeout(READY_TIMEOUT, check()).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(reason)) => Err(reason),
                    Err(_) => Err(format!("no answer within {READY_TIMEOUT:?}")),
                }),
            };
            let ready = upstreams_ready && !matches!(store, Some(Err(_)));
            let status = if ready {
                StatusCode::OK
            } else {
                StatusCode::SERVICE_UNAVAILABLE
            };
            let label = if ready { "ready" } else { "degraded" };
            if !(gateway.config.ops.ready_details && ops_allowed(gateway, peer, &request)) {
                // Probes need the status only; the store's error and the hosts are details.
                return text(
                    status,
                    "application/json",
                    serde_json::json!({ "status": label }).to_string(),
                );
            }
            let body = serde_json::json!({
                "status": label,
                "store": store.map(|r| match r {
                    Ok(()) => serde_json::json!({"up": true}),
                    Err(reason) => serde_json::json!({"up": false, "error": reason}),
                }),
                "upstreams": hosts.iter().map(|(s, h, up)| serde_json::json!({"service": s, "host": h, "up": up})).collect::<Vec<_>>(),
            });
            return text(status, "application/json", body.to_string());
        }
        if path == gateway.config.metrics_path {
            if !ops_allowed(gateway, peer, &request) {
                return crate::error_code::GatewayCode::Forbidden
                    .response("metrics are not served to this client");
            }
            return text(
                StatusCode::OK,
                "text/plain; version=0.0.4",
                gateway
                    .metrics
                    .render(&host_states(gateway), gateway.callbacks.as_ref()),
            );
        }
    }
    let started = std::time::Instant::now();
    let method = request.method().clone();
    let mut routed_to = None;
    let response = forward_routed(gateway, peer, request, &mut routed_to).await;
    let label = routed_to.map_or("unrouted", |(s, r)| gateway.labels[s][r].as_str());
    let elapsed = started.elapsed();
    gateway
        .metrics
        .observe(label, response.status().as_u16(), elapsed);
    access_log(&method, label, &response, elapsed);
    response
}

/// The account a request was admitted as, put into its response's extensions for the
/// access log.
#[derive(Clone, Copy, Debug)]
struct AdmittedAccount(uuid::Uuid);

/// One event per routed request (target `access`): method, route, status, latency, request
/// id and the account when known; never credentials, profiles or secrets.
fn access_log(
    method: &http::Method,
    route: &str,
    response: &Response<Body>,
    elapsed: std::time::Duration,
) {
    tracing::info!(
        target: "access",
        method = method.as_str(),
        route,
        status = response.status().as_u16(),
        latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        request_id = response
            .headers()
            .get(myc_tower::header_names::REQUEST_ID)
            .and_then(|v| v.to_str().ok()),
        account = response
            .extensions()
            .get::<AdmittedAccount>()
            .map(|a| tracing::field::display(a.0)),
    );
}

async fn forward_routed(
    gateway: &Gateway,
    peer: SocketAddr,
    mut request: Request<Body>,
    label: &mut Option<(usize, usize)>,
) -> Response<Body> {
    let path = request.uri().path().to_owned();
    let query = request.uri().query().map(str::to_owned);
    let (service_index, route_index, upstream_path) =
        match gateway.config.table.find(request.method(), &path) {
            Ok(hit) => {
                *label = Some((hit.route.key >> 16, hit.route.key & 0xffff));
                (
                    hit.route.key >> 16,
                    hit.route.key & 0xffff,
                    hit.upstream_path.into_owned(),
                )
            }
            Err(RouteError::UnsafePath(why)) => {
                return crate::error_code::GatewayCode::BadRequest
                    .response(&format!("unsafe path: {why}"));
            }
            Err(RouteError::MethodNotAllowed) => {
                return crate::error_code::GatewayCode::MethodNotAllowed
                    .response("method not allowed");
            }
            Err(_) => return crate::error_code::GatewayCode::NotFound.response("no route"),
        };
    // Hop-by-hop headers, and every header `Connection` names, are the client's to lose, and
    // go before authentication: the identity headers injected next can never be named away.
    // What they asked for that is passed on (an upgrade, trailers) is noted first.
    let upgrade = crate::proxy::upgrade::requested(request.version(), request.headers());
    let trailers = request
        .headers()
        .get_all(http::header::TE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("trailers"));
    remove_hop_by_hop(request.headers_mut());
    let client = client_ip(peer.ip(), request.headers(), &gateway.trusted);
    request
        .extensions_mut()
        .insert(myc_tower::client_addr::ClientAddr(client));
    let allowed = &gateway.allowed[service_index];
    if !allowed.is_empty() && !allowed.allows(client) {
        return crate::error_code::GatewayCode::Forbidden.response("source address not allowed");
    }
    let path_and_query = match query {
        Some(q) => format!("{upstream_path}?{q}"),
        None => upstream_path,
    };
    // Room for what forwarding and the auth layer add (forwarding headers, identity headers,
    // request id, Host): the map grows once here instead of once per insert batch.
    request.headers_mut().reserve(8);
    request.extensions_mut().insert(Routed {
        path_and_query,
        peer,
        upgrade,
        trailers,
    });
    let result = gateway.routes[service_index][route_index]
        .call(request)
        .await;
    match result {
        Ok(response) => response,
        Err(never) => match never {},
    }
}
