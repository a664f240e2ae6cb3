//! The MCP server at `/mcp`: the workspace offered to AI assistants as Model Context Protocol
//! tools over the Streamable HTTP transport (the official Rust SDK, `rmcp`). It is served
//! statelessly, every POST on its own, so any API replica answers any request, and it sits
//! behind the same request id, CORS, rate limits and timeouts as the HTTP API. Callers
//! authenticate like the HTTP API (an API key as a bearer token); what a tool may do follows
//! the caller's role.

mod access;
mod caller;
mod reply;
mod server;
mod tools;

use std::sync::Arc;

use axum::{Router, middleware};
use rmcp::transport::streamable_http_server::{
    StreamableHttpServerConfig, StreamableHttpService, session::never::NeverSessionManager,
};

use crate::state::AppState;

/// Where the server is mounted (`rate_limit::class_of` counts its requests as reads).
pub const PATH: &str = "/mcp";

/// `/mcp`, authenticated; empty when `server.mcp_enabled` is off.
pub fn routes(state: &AppState) -> Router<AppState> {
    if !state.settings.server.mcp_enabled {
        return Router::new();
    }
    let config = StreamableHttpServerConfig::default()
        .with_legacy_session_mode(false)
        .with_json_response(true)
        .with_sse_keep_alive(None)
        .with_max_request_body_bytes(state.settings.server.body_limit_bytes)
        // Every request needs a credential the browser of a rebinding page cannot supply,
        // and with auth disabled the caller check itself insists on a loopback Host, so the
        // SDK's own Host allowlist (loopback names only by default) would only refuse the
        // deployment's real name.
        .disable_allowed_hosts();
    let for_service = state.clone();
    let service = StreamableHttpService::new(
        move || Ok(server::ProduckMcp::new(for_service.clone())),
        Arc::new(NeverSessionManager::default()),
        config,
    );
    Router::new()
        .route_service(PATH, service)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            caller::authenticate,
        ))
}
