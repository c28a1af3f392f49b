//! `POST /mcp`: the Model Context Protocol endpoint AI agents call the routed services
//! through (Streamable HTTP, served by the official Rust SDK `rmcp`, stateless, JSON
//! answers).
//!
//! - `tools/list`: one tool per operation of each `discoverable` service's OpenAPI document
//!   (fetched from its hosts at `openapiPath`, JSON, at most 1 MiB, again every minute)
//!   that a route of that service serves: see [`myc_directory::tools`] for names and
//!   argument schemas. `gatewayManager.tools.list` lists the same tools.
//! - `tools/call`: the operation becomes a request that goes through the gateway exactly as
//!   a direct one would (routing, `allowedSources` on the MCP client's address, the route's
//!   security group, profile injection, callbacks, metrics), with the MCP request's
//!   `Authorization` / `x-mycelium-connection-string` / `x-mycelium-tenant-id` headers. A
//!   refusal comes back as a tool error (`HTTP 401 …`), never as an MCP failure, and never
//!   with more rights than the caller has.
//! - The endpoint itself takes no credential (upstream's rule); `Origin` is checked against
//!   `[api] allowedOrigins` (none configured: a request carrying an `Origin` is refused).

mod call;
mod catalog;
mod handler;
mod refresh;

use std::sync::Arc;

use myc_directory::tools::Tools;
use myc_tower::jwt::fetch::HttpFetcher;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};

pub use catalog::McpCatalog;
pub use refresh::REFRESH;

use crate::app::App;
use crate::config::Cors;

/// Where the endpoint is.
pub const MCP_PATH: &str = "/mcp";

/// The largest MCP request body.
const MAX_REQUEST: usize = 1024 * 1024;

/// The router answering [`MCP_PATH`]; tool calls go through `app` as requests from the MCP
/// client's address.
pub fn router(app: App, tools: Tools, catalog: Arc<McpCatalog>, cors: &Cors) -> axum::Router {
    let agent = handler::Agent {
        app,
        tools,
        catalog,
    };
    let mut config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_max_request_body_bytes(MAX_REQUEST)
        // The gateway answers under whatever name clients reach it by; the endpoint takes
        // bearer credentials, never cookies, so a rebound name gains nothing.
        .disable_allowed_hosts();
    config = match cors {
        Cors::Any => config.disable_allowed_origins(),
        Cors::Off => config.enforce_origin_validation(),
        Cors::Origins(list) => config.with_allowed_origins(
            list.iter()
                .filter_map(|o| o.to_str().ok().map(str::to_owned)),
        ),
    };
    let service = StreamableHttpService::new(
        move || Ok(agent.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    axum::Router::new().route_service(MCP_PATH, service)
}

/// Fetches the OpenAPI documents now and every [`REFRESH`] into `tools`.
pub fn spawn_refresh(
    catalog: Arc<McpCatalog>,
    fetcher: HttpFetcher,
    tools: Tools,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(refresh::run(catalog, fetcher, tools))
}

/// Fetches every document once (tests, and a start that should not list nothing).
pub async fn refresh_now(catalog: &McpCatalog, fetcher: &HttpFetcher, tools: &Tools) {
    refresh::refresh_once(catalog, fetcher, tools).await;
}
