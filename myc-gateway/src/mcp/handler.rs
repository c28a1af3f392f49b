//! The MCP server: `initialize`, `tools/list` from the fetched tools, `tools/call` through
//! the gateway's own request path.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use myc_directory::tools::{ToolOperation, Tools};
use rmcp::ErrorData as McpError;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{RequestContext, RoleServer};

use super::McpCatalog;
use super::call;
use crate::app::App;

/// What agents talk to (cheap to clone: one per request).
#[derive(Clone)]
pub(crate) struct Agent {
    pub(crate) app: App,
    pub(crate) tools: Tools,
    pub(crate) catalog: Arc<McpCatalog>,
}

fn as_tool(operation: &ToolOperation) -> Tool {
    let schema = match &operation.input_schema {
        serde_json::Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    Tool::new(
        operation.name.clone(),
        operation.description.clone(),
        Arc::new(schema),
    )
}

impl rmcp::ServerHandler for Agent {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new(
                "mycelium-rs",
                env!("CARGO_PKG_VERSION"),
            ))
            .with_instructions(
                "The operations of the services this gateway routes. Each call is made with \
                 your credential and checked like a direct request.",
            )
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, McpError> {
        let tools = self.tools.all().iter().map(as_tool).collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, McpError> {
        let Some(operation) = self.tools.find(&request.name) else {
            return Err(McpError::invalid_params(
                format!("unknown tool {:?}", request.name),
                None,
            ));
        };
        let Some(parts) = context.extensions.get::<http::request::Parts>() else {
            return Err(McpError::internal_error(
                "the HTTP request is missing",
                None,
            ));
        };
        let Some(ConnectInfo(peer)) = parts.extensions.get::<ConnectInfo<SocketAddr>>().copied()
        else {
            return Err(McpError::internal_error(
                "the client address is missing",
                None,
            ));
        };
        let arguments = request.arguments.unwrap_or_default();
        let template = self
            .catalog
            .gateway_path(&operation.service, &operation.path);
        let outgoing = call::request(&operation.method, &template, &arguments, &parts.headers)
            .map_err(|e| McpError::invalid_params(e.to_string(), None))?;
        let response = self.app.handle(peer, outgoing).await;
        let (failed, text) = call::answer(response).await;
        let content = vec![ContentBlock::text(text)];
        Ok(if failed {
            CallToolResult::error(content)
        } else {
            CallToolResult::success(content)
        }
        .into())
    }
}
