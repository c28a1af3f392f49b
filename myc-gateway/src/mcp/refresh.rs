//! Keeps the tools current: each discoverable service's OpenAPI document is fetched at
//! start and then every [`REFRESH`]; a service whose document cannot be fetched or read
//! keeps its last tools (logged), one that never answered has none.

use std::sync::Arc;
use std::time::Duration;

use myc_directory::tools::{Tools, operations};
use myc_tower::jwt::fetch::HttpFetcher;

use super::McpCatalog;

/// How often documents are fetched again.
pub const REFRESH: Duration = Duration::from_secs(60);

/// Fetches every document once.
pub(crate) async fn refresh_once(catalog: &McpCatalog, fetcher: &HttpFetcher, tools: &Tools) {
    for source in &catalog.sources {
        let mut last_error = None;
        for url in &source.urls {
            match fetcher.get(url, None).await {
                Ok(body) => match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(document) => {
                        let found = operations(&source.service, &document, |method, path| {
                            catalog.route_of(&source.service, method, path)
                        });
                        tracing::debug!(service = %source.service, tools = found.len(), "OpenAPI document read");
                        tools.replace(&source.service, found);
                        last_error = None;
                        break;
                    }
                    Err(e) => last_error = Some(format!("not JSON: {e}")),
                },
                Err(e) => last_error = Some(e.to_string()),
            }
        }
        if let Some(error) = last_error {
            tracing::warn!(service = %source.service, %error, "OpenAPI document not fetched; its tools are unchanged");
        }
    }
}

/// Fetches now and every [`REFRESH`], forever.
pub(crate) async fn run(catalog: Arc<McpCatalog>, fetcher: HttpFetcher, tools: Tools) {
    let mut tick = tokio::time::interval(REFRESH);
    loop {
        tick.tick().await;
        refresh_once(&catalog, &fetcher, &tools).await;
    }
}
