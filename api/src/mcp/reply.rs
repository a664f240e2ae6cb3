//! What a tool call answers: the API's JSON on success, the API's problem on failure.

use rmcp::{
    ErrorData,
    handler::server::tool::IntoCallToolResult,
    model::{CallToolResponse, CallToolResult, ContentBlock},
};
use serde::Serialize;

use crate::error::ApiError;

/// A tool that ran and failed: the API's problem (status, code, detail, fields) as the
/// tool's structured error, so the assistant reads the same explanation a client would.
pub struct ToolError(pub ApiError);

impl<E: Into<ApiError>> From<E> for ToolError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

impl IntoCallToolResult for ToolError {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        let problem = serde_json::to_value(self.0.into_problem())
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        Ok(CallToolResult::structured_error(problem).into())
    }
}

/// A tool's answer: the API's JSON, as text and as structured content. It goes through the
/// API's own serializer (not `serde_json::to_value`, which would widen every `f32` score into
/// a long `f64`), so it matches the HTTP answer byte for byte. Tools declare no output schema:
/// the schemas of these shapes would triple what `tools/list` costs an assistant to read.
pub struct Answer<T>(pub T);

impl<T: Serialize> IntoCallToolResult for Answer<T> {
    fn into_call_tool_result(self) -> Result<CallToolResponse, ErrorData> {
        let text = serde_json::to_string(&self.0)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        let value = serde_json::from_str(&text)
            .map_err(|e| ErrorData::internal_error(e.to_string(), None))?;
        // The text block is the string already written, not a second serialization.
        let mut result = CallToolResult::success(vec![ContentBlock::text(text)]);
        result.structured_content = Some(value);
        Ok(result.into())
    }
}

/// What a tool method returns.
pub type Reply<T> = Result<Answer<T>, ToolError>;
