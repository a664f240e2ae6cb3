//! Who is asking: every request to `/mcp` is authenticated before the SDK sees it, exactly as
//! the HTTP API authenticates (an API key or access token as a bearer token), and the caller
//! travels with the request to the tools.

use axum::{
    extract::{FromRequestParts, Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use rmcp::{
    ErrorData,
    handler::server::common::{AsRequestContext, FromContextPart},
    model::Extensions,
};
use shared::services::{audit, principal::Principal};

use crate::{auth::Auth, origin::AuditOrigin, state::AppState};

/// The authenticated caller of one MCP request and where it came from (for the audit trail).
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub origin: audit::Origin,
}

impl Caller {
    /// The caller of the request a handler serves (put there by `authenticate`).
    pub fn of(extensions: &Extensions) -> Result<Self, ErrorData> {
        extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<Caller>())
            .cloned()
            .ok_or_else(|| ErrorData::internal_error("the request was not authenticated", None))
    }
}

impl<C: AsRequestContext> FromContextPart<C> for Caller {
    fn from_context_part(context: &mut C) -> Result<Self, ErrorData> {
        Self::of(&context.as_request_context().extensions)
    }
}

/// Refuses an unauthenticated request with the API's 401 problem; otherwise records the
/// caller on the request.
pub async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let principal = match Auth::from_request_parts(&mut parts, &state).await {
        Ok(Auth(principal)) => principal,
        Err(refused) => return refused.into_response(),
    };
    let Ok(AuditOrigin(origin)) = AuditOrigin::from_request_parts(&mut parts, &state).await;
    parts.extensions.insert(Caller { principal, origin });
    next.run(Request::from_parts(parts, body)).await
}
