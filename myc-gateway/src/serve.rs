//! `myc-gateway serve --config FILE`: the gateway from a configuration file, with identities
//! from the store it names (`[gateway.store]`; the embedded SQLite file by default).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use myc_tower::auth::Authenticator;
use myc_tower::jwt::fetch::HttpFetcher;
use myc_tower::jwt::jwks::{JwksCache, JwksPolicy};
use myc_tower::jwt::userinfo::UserInfo;
use myc_tower::jwt::{InternalIssuer, JwtVerifier, LocalKey, OidcProvider};

use crate::app::ReadyCheck;
use crate::config::{AuthSettings, Config, InternalKey};
use crate::store::{SqlStore, Store};

/// Why the gateway could not start, or stopped serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The configuration file is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// `api.serviceIp` and `api.servicePort` do not form a socket address.
    #[error("{file}: api.serviceIp/servicePort do not form an address")]
    ListenAddress {
        /// The configuration file.
        file: String,
    },
    /// The identity store could not be opened.
    #[error(transparent)]
    Store(#[from] crate::store::Error),
    /// An internal issuer key is not usable.
    #[error("[gateway.auth.internal]: {0}")]
    InternalKey(myc_tower::AuthError),
    /// The HTTP client of the identity providers could not be built.
    #[error("identity providers: {0}")]
    Fetcher(#[from] myc_tower::jwt::jwks::FetchError),
    /// The connection-string keys are not usable.
    #[error("[gateway.auth.connection_strings]: {0}")]
    Keyring(#[from] myc_profile::ConnectionStringError),
    /// The served certificate could not be loaded.
    #[error("TLS: {0}")]
    Tls(#[from] crate::server::tls::TlsError),
    /// The routes and services could not be assembled.
    #[error(transparent)]
    Build(#[from] crate::app::BuildError),
    /// A NATS service could not start.
    #[error(transparent)]
    Nats(#[from] crate::nats::NatsError),
    /// The webhook dispatcher could not start.
    #[error(transparent)]
    Webhooks(#[from] myc_directory::webhooks::dispatch::DispatchError),
    /// The magic-link login could not start.
    #[error("login: {0}")]
    Login(String),
    /// A NATS service needs a section that is missing.
    #[error("[nats.secrets] serves sealed secrets: configure [gateway.secrets] (master_key)")]
    SecretsWithoutMasterKey,
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// The admin API over `store`: forgets cached profiles after every change, lists the
/// configured services, signs connection strings and webhook deliveries when keys are set.
fn admin_api(
    config: &Config,
    store: &SqlStore,
    auth: &Arc<myc_tower::auth::Authenticator>,
    webhook_keys: Option<Arc<myc_directory::webhooks::WebhookKeys>>,
    tools: myc_directory::tools::Tools,
    invitations: Option<myc_directory::mail::invitations::Invitations>,
) -> Result<myc_directory::rpc::Api, ServeError> {
    let forget = auth.clone();
    let mut api = myc_directory::rpc::Api::new(store.clone())
        .on_change(Arc::new(move || forget.forget_everyone()))
        .with_catalog(Arc::new(crate::catalog::catalog(config)))
        .with_tools(tools);
    if let Some(invitations) = invitations {
        api = api.with_invitations(invitations);
    }
    if let Some(hmac) = &config.auth.connection_strings {
        api = api.with_connection_strings(Arc::new(hmac.keyring()?));
    }
    if let Some(keys) = webhook_keys {
        api = api.with_webhook_keys(keys);
    }
    Ok(api)
}

/// Every path the login endpoints answer (public: mounted ahead of the admin API).
fn login_paths() -> Vec<&'static str> {
    let mut paths = vec![
        myc_directory::login::rest::PREFIX,
        myc_directory::login::rest::TOTP_PREFIX,
    ];
    paths.extend(myc_directory::login::rest::PASSWORD_PATHS);
    paths
}

/// Who messages come from, as `[core.accountLifeCycle]` says.
fn mail_sender_info(mail: &crate::config::MailSettings) -> myc_directory::mail::templates::Sender {
    myc_directory::mail::templates::Sender {
        domain_name: mail.domain_name.clone(),
        domain_url: mail.domain_url.clone(),
        locale: mail.locale.clone(),
    }
}

/// The magic-link login (`[smtp]`): its router, and the mail sender polling the outbox.
fn start_login(
    config: &Config,
    mail: &crate::config::MailSettings,
    store: &SqlStore,
    authenticator: &Arc<myc_tower::auth::Authenticator>,
) -> Result<Login, ServeError> {
    use myc_directory::login::rest::TotpRoutes;
    use myc_directory::login::{MagicLinkSettings, MagicLinks, Stage};
    use myc_directory::mail::smtp::{Sender, SmtpSettings, SmtpTls};
    let secrets = config.secrets.as_ref().ok_or_else(|| {
        ServeError::Login(
            "[smtp] sends login links sealed under [gateway.secrets] master_key: set it".into(),
        )
    })?;
    let auth = config.auth.clone();
    let lifetimes = auth.lifetimes;
    crate::admin::mint_token(&auth, "probe@example.com", 1)
        .map_err(|e| ServeError::Login(format!("tokens cannot be issued: {e}")))?;
    // A login awaiting its TOTP code gets a short token good only for the check.
    let mint: myc_directory::login::TokenMinter = Arc::new(move |email: &str, stage: Stage| {
        let (lifetime, pending) = match stage {
            Stage::TotpPending => (
                lifetimes.temporary.min(std::time::Duration::from_secs(600)),
                true,
            ),
            _ => (lifetimes.login, false),
        };
        crate::admin::mint_login_token(&auth, email, lifetime.as_secs(), pending)
            .map(|token| (token, lifetime))
            .map_err(|e| e.to_string())
    });
    let notices = myc_directory::mail::notices::Notices::new(
        myc_directory::mail::MailKeys::new(secrets.master.clone()),
        mail_sender_info(mail),
    );
    let totp = myc_directory::login::totp::Totp::new(
        store.clone(),
        secrets.master.clone(),
        mail.domain_name.clone(),
    )
    .with_notices(notices);
    let verifier = authenticator.clone();
    let check: myc_directory::login::TokenCheck = Arc::new(move |token: String, pending: bool| {
        let verifier = verifier.clone();
        Box::pin(async move {
            let identity = if pending {
                verifier.jwt().verify_totp_pending(&token).await
            } else {
                verifier.jwt().verify(&token).await
            };
            identity.ok().and_then(|i| i.email)
        })
    });
    let settings = MagicLinkSettings {
        public_url: mail.domain_url.clone(),
        sender: mail_sender_info(mail),
        lifetime: config.auth.lifetimes.temporary,
        per_address: 5,
        per_client: 30,
        window: std::time::Duration::from_secs(900),
    };
    let links = MagicLinks::new(
        store.clone(),
        secrets.master.clone(),
        settings,
        mint.clone(),
        Some(totp.clone()),
    );
    let smtp = SmtpSettings {
        host: mail.host.clone(),
        port: mail.port,
        tls: match mail.security {
            crate::config::SmtpSecurity::Implicit => SmtpTls::Implicit,
            crate::config::SmtpSecurity::StartTls => SmtpTls::StartTls,
            crate::config::SmtpSecurity::Plain => SmtpTls::Plain,
        },
        credentials: mail.credentials.clone(),
        from: mail.from.clone(),
        reply_to: mail.reply_to.clone(),
        extra_roots: config.tls_roots.clone(),
        interval: mail.interval,
        max_attempts: 10,
        batch: 25,
    };
    let keys = myc_directory::mail::MailKeys::new(secrets.master.clone());
    let sender =
        Sender::new(store.clone(), keys, smtp).map_err(|e| ServeError::Login(e.to_string()))?;
    let passwords = myc_directory::login::passwords::Passwords::new(
        store.clone(),
        secrets.master.clone(),
        myc_directory::login::passwords::PasswordSettings {
            public_url: mail.domain_url.clone(),
            sender: mail_sender_info(mail),
            lifetime: config.auth.lifetimes.temporary,
            cost: myc_directory::login::passwords::HashCost::default(),
        },
        mint.clone(),
        Some(totp.clone()),
    )
    .map_err(|e| ServeError::Login(e.to_string()))?;
    let routes = TotpRoutes { totp, check, mint };
    let rpc = myc_directory::login::rpc::LoginRpc {
        passwords: passwords.clone(),
        totp: routes.clone(),
    };
    let router = myc_directory::login::rest::router(links, Some(routes), Some(passwords)).layer(
        myc_tower::client_addr::ClientAddrLayer::new(config.trusted_proxies.clone()),
    );
    Ok(Login {
        router,
        rpc,
        sender: tokio::spawn(sender.run(std::future::pending())),
    })
}

/// The login endpoints, the public JSON-RPC methods, and the running mail sender.
struct Login {
    router: axum::Router,
    rpc: myc_directory::login::rpc::LoginRpc,
    sender: tokio::task::JoinHandle<()>,
}

/// The webhook dispatcher (`[core.webhook]`), polling the store's outbox in the background.
fn start_webhooks(
    config: &Config,
    store: &SqlStore,
    keys: Option<Arc<myc_directory::webhooks::WebhookKeys>>,
) -> Result<tokio::task::JoinHandle<()>, ServeError> {
    use myc_directory::webhooks::dispatch::{DispatchSettings, Dispatcher};
    let interval = std::time::Duration::from_secs(config.webhook.consume_interval_secs);
    let settings = DispatchSettings {
        interval,
        // The first retry one poll later, then doubling (at most an hour).
        retry_base: interval,
        batch: config.webhook.consume_batch_size,
        max_attempts: config.webhook.max_attempts,
        accept_invalid_certificates: config.webhook.accept_invalid_certificates,
        extra_roots: config.tls_roots.clone(),
        ..DispatchSettings::default()
    };
    let dispatcher = Dispatcher::new(store.clone(), keys, settings)?;
    Ok(tokio::spawn(dispatcher.run(std::future::pending())))
}

/// Where the gateway publishes its token-signing keys.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

/// `GET /.well-known/jwks.json`: the public halves of the signing keys (current first).
fn jwks_router(signer: &myc_tower::jwt::issue::TokenIssuer) -> axum::Router {
    let body = signer.jwks().to_string();
    axum::Router::new().route(
        JWKS_PATH,
        axum::routing::get(move || {
            let body = body.clone();
            async move {
                (
                    [
                        (http::header::CONTENT_TYPE, "application/jwk-set+json"),
                        (http::header::CACHE_CONTROL, "public, max-age=300"),
                    ],
                    body,
                )
            }
        }),
    )
}

/// Where the directory's admin API answers (JSON-RPC, and REST under `/_adm/<role>/`).
const ADMIN_PATHS: &[&str] = myc_directory::rest::PREFIXES;

/// The authenticator `settings` describe, with profiles and connection strings from `store`.
/// JWKS and userinfo are fetched over HTTP or HTTPS, trusting the system's roots and
/// `tls_roots` (PEM bundles).
pub fn authenticator(
    settings: &AuthSettings,
    tls_roots: &[Vec<u8>],
    store: Arc<SqlStore>,
) -> Result<Authenticator, ServeError> {
    let mut jwt = JwtVerifier::new().leeway(Duration::from_secs(settings.leeway_secs));
    if let Some((issuer, audiences, keys)) = &settings.internal {
        let keys = keys
            .iter()
            .map(|k| match k {
                InternalKey::Hmac { kid, alg, secret } => {
                    LocalKey::hmac(kid.as_deref(), *alg, secret)
                }
                InternalKey::Ed25519 { kid, public_key } => {
                    LocalKey::ed25519(kid.as_deref(), public_key)
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(ServeError::InternalKey)?;
        // What the gateway signs itself verifies with the published keys.
        let mut keys = keys;
        if let Some(signer) = &settings.signer {
            keys.extend(signer.verification_keys());
        }
        jwt = jwt.internal(InternalIssuer {
            issuer: issuer.clone(),
            audiences: audiences.clone(),
            keys,
        });
    }
    if !settings.providers.is_empty() {
        let roots: Vec<&[u8]> = tls_roots.iter().map(Vec::as_slice).collect();
        let fetcher = Arc::new(HttpFetcher::with_roots(&roots)?);
        for p in &settings.providers {
            jwt = jwt.provider(OidcProvider {
                issuer: p.issuer.clone(),
                audiences: p.audiences.clone(),
                algorithms: p.algorithms.clone(),
                jwks: Arc::new(JwksCache::new(
                    p.jwks_url.clone(),
                    fetcher.clone(),
                    JwksPolicy::default(),
                )),
                userinfo: p.userinfo_url.as_ref().map(|url| {
                    Arc::new(UserInfo::new(
                        url.clone(),
                        fetcher.clone(),
                        Duration::from_secs(600),
                    ))
                }),
                email: p.email.clone(),
            });
        }
    }
    let mut auth = Authenticator::new(jwt, store.clone());
    if let Some(hmac) = &settings.connection_strings {
        let keyring = hmac.keyring()?;
        auth = auth.with_connection_strings(keyring, store);
    }
    Ok(auth)
}

/// Warns about every configured route that matches one of the gateway's `fixed` endpoint
/// paths (answered by `owner`, so the route never sees those requests).
fn warn_shadowed(config: &Config, fixed: &[&str], owner: &str) {
    for path in fixed {
        for route in config
            .table
            .routes()
            .iter()
            .filter(|r| myc_tower::routing::wildmatch(&r.pattern, path))
        {
            tracing::warn!(
                route = %route.pattern,
                service = %route.service,
                "{path} is answered by {owner}, not by this route"
            );
        }
    }
}

/// The store as a readiness probe.
pub fn store_check(store: Arc<SqlStore>) -> ReadyCheck {
    Arc::new(move || {
        let store = store.clone();
        Box::pin(async move { store.ping().await.map_err(|e| e.to_string()) })
    })
}

/// Loads everything, opens (creating and migrating) the store, binds, and serves until
/// Ctrl-C; `ready` is called with the bound address.
pub async fn serve(
    config_path: &Path,
    listen: Option<SocketAddr>,
    ready: impl FnOnce(&str),
) -> Result<(), ServeError> {
    let config = Config::load(config_path)?;
    for warning in &config.warnings {
        tracing::warn!("{}: {warning}", config_path.display());
    }
    let store = Arc::new(SqlStore::open(&config.store).await?);
    let nats_services = start_nats(&config, &store).await?;
    let auth = Arc::new(authenticator(
        &config.auth,
        &config.tls_roots,
        store.clone(),
    )?);
    let listen = match listen {
        Some(addr) => addr,
        None => format!("{}:{}", config.listen_ip, config.listen_port)
            .parse()
            .map_err(|_| ServeError::ListenAddress {
                file: config_path.display().to_string(),
            })?,
    };
    let issuer = match config.nats.as_ref().and_then(|n| n.issuer.as_ref()) {
        Some(settings) => {
            warn_shadowed(
                &config,
                &[crate::nats::issuer::ISSUER_PATH],
                "the NATS credential issuer",
            );
            tracing::info!(account = %settings.account, "NATS credential issuer at {}", crate::nats::issuer::ISSUER_PATH);
            Some(crate::nats::issuer::router(
                settings,
                SqlStore::clone(&store),
            )?)
        }
        None => None,
    };
    let telegram = match (&config.telegram, &config.secrets) {
        (Some(settings), Some(secrets)) => Some(Arc::new(crate::telegram::Telegram::new(
            crate::vault::SecretVault::new(SqlStore::clone(&store), secrets.clone()),
            config.auth.clone(),
            *settings,
        ))),
        _ => None,
    };
    if telegram.is_some() {
        warn_shadowed(
            &config,
            &["/auth/telegram/link", "/auth/telegram/login/x"],
            "the Telegram endpoints",
        );
    }
    let telegram_routes = telegram.clone().map(|t| t.router(auth.clone()));
    warn_shadowed(&config, ADMIN_PATHS, "the admin API");
    // The admin API: any caller with a resolved profile reaches the JSON-RPC layer, which
    // authorizes each method by the caller's role.
    let webhook_keys = config.secrets.as_ref().map(|secrets| {
        Arc::new(myc_directory::webhooks::WebhookKeys::new(
            secrets.master.clone(),
        ))
    });
    // MCP: the tools of discoverable services, shared with `gatewayManager.tools.list`.
    let tools = myc_directory::tools::Tools::default();
    let mcp_catalog = Arc::new(crate::mcp::McpCatalog::new(&config));
    let roots: Vec<&[u8]> = config.tls_roots.iter().map(Vec::as_slice).collect();
    let openapi_fetcher = myc_tower::jwt::fetch::HttpFetcher::with_roots(&roots)?;
    let cors = config.cors.clone();
    warn_shadowed(&config, &[crate::mcp::MCP_PATH], "the MCP endpoint");
    let invitations = match (&config.mail, &config.secrets) {
        (Some(mail), Some(secrets)) => Some(myc_directory::mail::invitations::Invitations::new(
            SqlStore::clone(&store),
            myc_directory::mail::MailKeys::new(secrets.master.clone()),
            mail_sender_info(mail),
            mail.domain_url.clone(),
        )),
        _ => None,
    };
    let admin_api = admin_api(
        &config,
        &store,
        &auth,
        webhook_keys.clone(),
        tools.clone(),
        invitations,
    )?;
    let webhooks = start_webhooks(&config, &store, webhook_keys)?;
    let login = match &config.mail {
        Some(mail) => {
            let paths = login_paths();
            warn_shadowed(&config, &paths, "the login endpoints");
            Some(start_login(&config, mail, &store, &auth)?)
        }
        None => None,
    };
    let admin_api = match &login {
        Some(_) => admin_api.with_public_methods(myc_directory::login::rpc::SPECS),
        None => admin_api,
    };
    let mut admin_routes = myc_directory::rpc::router::router(admin_api.clone())
        .merge(myc_directory::rest::router(admin_api))
        .layer(
            myc_tower::auth::AuthLayer::new(auth.clone(), myc_profile::SecurityGroup::Protected)
                .admit_unknown_accounts(),
        );
    if let Some(login) = &login {
        // `beginners.users.*` get a caller their credential: answered before authentication.
        admin_routes = myc_directory::login::rpc::public_first(login.rpc.clone(), admin_routes);
    }
    let extras = crate::app::Extras {
        ready: Some(crate::app::ReadyCheckDebug(store_check(store))),
        telegram,
    };
    let config_grace = config.shutdown_grace;
    let tls = match &config.server_tls {
        None => None,
        Some(source) => Some(crate::server::tls::Acceptor::new(Box::new({
            let source = source.clone();
            move || source.load()
        }))?),
    };
    let reloader = match (&tls, &config.server_tls) {
        (Some(acceptor), Some(source)) => Some(tokio::spawn(reload_certificates(
            acceptor.clone(),
            source.files(),
        ))),
        _ => None,
    };
    let signing = config.auth.signer.clone();
    if signing.is_some() {
        warn_shadowed(&config, &[JWKS_PATH], "the gateway's JWKS");
    }
    let mut built = crate::app::build(config, auth, extras)?;
    if let Some(routes) = telegram_routes {
        built.app = built.app.mount(&crate::telegram::ENDPOINTS, routes);
    }
    // The login endpoints are public: mounted ahead of the (authenticated) admin API.
    let mail_sender = match login {
        Some(login) => {
            built.app = built.app.mount(&login_paths(), login.router);
            Some(login.sender)
        }
        None => None,
    };
    built.app = built.app.mount(ADMIN_PATHS, admin_routes);
    if let Some(signer) = signing {
        built.app = built.app.mount(&[JWKS_PATH], jwks_router(&signer));
    }
    if let Some(issuer) = issuer {
        built.app = built.app.mount(&[crate::nats::issuer::ISSUER_PATH], issuer);
    }
    // Tool calls go through everything mounted so far and the routes.
    let mcp = crate::mcp::router(built.app.clone(), tools.clone(), mcp_catalog.clone(), &cors);
    built.app = built.app.mount(&[crate::mcp::MCP_PATH], mcp);
    let refresher = crate::mcp::spawn_refresh(mcp_catalog, openapi_fetcher, tools);
    let grace = config_grace;
    let health = built.health.spawn();
    let resolver = crate::sources::resolve_and_refresh(built.sources.clone()).await;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|source| ServeError::Listen {
            addr: listen,
            source,
        })?;
    let bound = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%bound, scheme, "myc-gateway serving");
    ready(&format!("{scheme}://{bound}"));
    let (signalled, grace_starts) = tokio::sync::oneshot::channel::<()>();
    let serving = crate::server::serve_with(listener, built.app, tls, async move {
        shutdown_signal().await;
        tracing::info!(grace = ?grace, "shutting down: no new connections, in-flight requests finish");
        let _ = signalled.send(());
    });
    let result = tokio::select! {
        result = serving => result.map_err(ServeError::Io),
        () = async {
            if grace_starts.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        } => {
            tracing::warn!(grace = ?grace, "grace period over: closing the connections left");
            Ok(())
        }
    };
    health.abort();
    // A delivery in flight is leased: it is due again when the lease ends (at least once).
    webhooks.abort();
    refresher.abort();
    if let Some(sender) = mail_sender {
        sender.abort();
    }
    if let Some(resolver) = resolver {
        resolver.abort();
    }
    if let Some(reloader) = reloader {
        reloader.abort();
    }
    nats_services.stop().await;
    result
}

/// The NATS side of a running gateway: answering tasks and the connection (kept alive, with
/// its renewing credentials if any).
#[derive(Debug, Default)]
pub struct NatsRunning {
    tasks: Vec<tokio::task::JoinHandle<()>>,
    connection: Option<crate::nats::Connection>,
}

impl NatsRunning {
    /// Stops answering and closes the connection's credentials.
    pub async fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
        if let Some(connection) = self.connection {
            connection.close().await;
        }
    }
}

/// Connects to `[nats]` and starts the services it configures. A configured service that
/// cannot start stops the gateway from starting.
pub async fn start_nats(config: &Config, store: &Arc<SqlStore>) -> Result<NatsRunning, ServeError> {
    let Some(nats) = &config.nats else {
        return Ok(NatsRunning::default());
    };
    let mut running = NatsRunning::default();
    // The issuer needs no connection of its own; the secrets service does.
    if let Some(rules) = &nats.secrets {
        let connection = crate::nats::connect(nats, &config.tls_roots, "myc-gateway").await?;
        let client = connection.client.clone();
        let secrets = config
            .secrets
            .clone()
            .ok_or(ServeError::SecretsWithoutMasterKey)?;
        let vault = crate::vault::SecretVault::new(SqlStore::clone(store), secrets);
        let service = Arc::new(crate::nats::secrets::SecretsService::new(
            vault,
            rules.clone(),
        ));
        running
            .tasks
            .push(service.serve(client.clone(), &nats.queue_group).await?);
        running.connection = Some(connection);
        tracing::info!(queue_group = %nats.queue_group, "serving tenant secrets over NATS");
    }
    Ok(running)
}

/// Resolves on the first SIGTERM (what orchestrators send) or Ctrl-C (SIGINT).
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "SIGTERM handler unavailable; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// How often the certificate files are checked for a change.
const CERTIFICATE_POLL: Duration = Duration::from_secs(2);

/// Reloads the served certificate on SIGHUP and when one of `files` changes (modification
/// time or size); a reload that fails keeps the current certificate and logs why.
async fn reload_certificates(
    acceptor: crate::server::tls::Acceptor,
    files: Vec<std::path::PathBuf>,
) {
    let stamp = |files: &[std::path::PathBuf]| {
        files
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .ok()
                    .map(|m| (m.modified().ok(), m.len()))
            })
            .collect::<Vec<_>>()
    };
    let mut seen = stamp(&files);
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        #[cfg(unix)]
        let signalled = async {
            match hangup.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let signalled = std::future::pending::<()>();
        let why = tokio::select! {
            () = signalled => "SIGHUP",
            () = tokio::time::sleep(CERTIFICATE_POLL) => {
                let now = stamp(&files);
                if now == seen {
                    continue;
                }
                seen = now;
                "file change"
            }
        };
        match acceptor.reload() {
            Ok(()) => tracing::info!(trigger = why, "TLS certificate reloaded"),
            Err(e) => {
                tracing::warn!(trigger = why, error = %e, "TLS certificate reload failed; keeping the current one")
            }
        }
    }
}
