//! The MCP server handler: lists the tools the caller's role allows, and runs a call after
//! checking that role and charging its request class, then writes the call to the audit
//! trail (who, which tool, the arguments, the outcome).

use std::sync::{Arc, LazyLock};

use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    handler::server::{
        router::tool::ToolRouter,
        tool::{IntoCallToolResult, ToolCallContext},
    },
    model::{
        CacheScope, CallToolRequestParams, CallToolResponse, Implementation, ListToolsResult,
        PaginatedRequestParams, ProtocolVersion, ResultType, ServerCapabilities, ServerConfig,
        Tool,
    },
    service::RequestContext,
};
use serde_json::{Map, Value, json};
use shared::services::audit::{self, Event};

use super::{access::access, caller::Caller, reply::ToolError};
use crate::{error::ApiError, state::AppState};

const INSTRUCTIONS: &str = "ProduckAI turns a product team's customer feedback into ranked insights. \
Start with list_insights (the board, highest priority first) or search; read one with get_insight; \
get_ticket shows how much customer evidence stands behind a Jira ticket; ask_copilot answers \
questions with citations; draft_prd writes a PRD for an insight. Ids are UUIDs from earlier answers.";

/// Built once: every request gets a fresh handler, which shares these definitions.
static TOOLS: LazyLock<Arc<ToolRouter<ProduckMcp>>> =
    LazyLock::new(|| Arc::new(ProduckMcp::tool_router()));

#[derive(Clone)]
pub struct ProduckMcp {
    pub(super) state: AppState,
    tools: Arc<ToolRouter<ProduckMcp>>,
}

impl ProduckMcp {
    pub fn new(state: AppState) -> Self {
        Self {
            state,
            tools: TOOLS.clone(),
        }
    }

    /// Runs the call if the caller's role allows the tool and its class has allowance left.
    async fn dispatch(
        &self,
        caller: &Caller,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let name = request.name.to_string();
        if self.tools.get(&name).is_none() {
            return Err(ErrorData::invalid_params(
                format!("there is no tool named {name}"),
                None,
            ));
        }
        let rule = access(&name);
        if caller.principal.role < rule.role {
            let refused = ApiError::forbidden(format!(
                "the {name} tool needs the {} role; this key has the {} role",
                rule.role, caller.principal.role
            ));
            return ToolError(refused).into_call_tool_result();
        }
        if let Some(class) = rule.class {
            let parts = context
                .extensions
                .get::<axum::http::request::Parts>()
                .ok_or_else(|| ErrorData::internal_error("no HTTP request", None))?;
            if let Err(refused) = crate::rate_limit::admit(&self.state, parts, class).await {
                return ToolError(refused).into_call_tool_result();
            }
        }
        let call = self
            .tools
            .call(ToolCallContext::new(self, request, context));
        crate::request_id::within(caller.origin.request_id.clone(), call).await
    }

    /// One audit entry per call; a failure to write it is logged, the answer still goes out.
    async fn record(
        &self,
        caller: &Caller,
        tool: &str,
        arguments: Option<Map<String, Value>>,
        outcome: &Result<CallToolResponse, ErrorData>,
    ) {
        let (result, code) = match outcome {
            Ok(CallToolResponse::Complete(r)) if r.is_error == Some(true) => {
                let code = r
                    .structured_content
                    .as_ref()
                    .and_then(|c| c.get("code"))
                    .cloned()
                    .unwrap_or(Value::Null);
                ("error", code)
            }
            Ok(_) => ("ok", Value::Null),
            Err(e) => ("error", json!(e.code.0)),
        };
        metrics::counter!(shared::metrics::MCP_TOOL_CALLS, "tool" => tool.to_owned(), "result" => result)
            .increment(1);
        let event = Event::new("mcp.tool_called", "mcp_tool", tool).details(json!({
            "arguments": arguments.map(summarize),
            "result": result,
            "error_code": code,
        }));
        if let Err(e) =
            audit::record(&self.state.db, &caller.principal, &caller.origin, event).await
        {
            tracing::warn!(error = %e, tool, "could not record an MCP tool call in the audit log");
        }
    }
}

/// The arguments as the audit trail keeps them: long texts cut to their first 200 characters.
fn summarize(arguments: Map<String, Value>) -> Value {
    const KEEP: usize = 200;
    let cut = arguments
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) if s.chars().count() > KEEP => {
                let head: String = s.chars().take(KEEP).collect();
                (k, Value::String(format!("{head}…")))
            }
            other => (k, other),
        })
        .collect();
    Value::Object(cut)
}

impl ServerHandler for ProduckMcp {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("produckai", env!("CARGO_PKG_VERSION")))
            .with_instructions(INSTRUCTIONS.to_owned())
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let caller = Caller::of(&context.extensions)?;
        let tools = self
            .tools
            .list_all()
            .into_iter()
            .filter(|t| caller.principal.role >= access(&t.name).role)
            .collect();
        // The list depends on the caller's role, so only the caller's client may cache it.
        let hints = context
            .protocol_version()
            .is_some_and(|v| v >= ProtocolVersion::V_2026_07_28);
        Ok(ListToolsResult {
            result_type: Some(ResultType::COMPLETE),
            meta: None,
            next_cursor: None,
            ttl_ms: hints.then_some(0),
            cache_scope: hints.then_some(CacheScope::Private),
            tools,
        })
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.tools.get(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = Caller::of(&context.extensions)?;
        let tool = request.name.to_string();
        let arguments = request.arguments.clone();
        let outcome = self.dispatch(&caller, request, context).await;
        self.record(&caller, &tool, arguments, &outcome).await;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_arguments_are_cut_for_the_audit_trail() {
        let args = json!({"message": "x".repeat(500), "limit": 5, "q": "short"});
        let Value::Object(map) = args else {
            unreachable!()
        };
        let kept = summarize(map);
        assert_eq!(kept["limit"], 5);
        assert_eq!(kept["q"], "short");
        let message = kept["message"].as_str().unwrap();
        assert_eq!(message.chars().count(), 201);
        assert!(message.ends_with('…'));
    }
}
