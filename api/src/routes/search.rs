//! `GET /search`: full-text search across feedback, themes and insights.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{Json, extract::State};
use schemars::JsonSchema;
use serde::Deserialize;
use shared::services::search;
use validator::Validate;

use crate::{auth::Auth, error::ApiError, extract::ValidQuery, paging::Limit, state::AppState};

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    /// Words, "quoted phrases", `or`, `-excluded` (web search syntax); at least 2 characters.
    #[validate(length(min = 2, max = 500))]
    pub q: String,
    #[serde(default)]
    pub limit: Limit<20, 100>,
}

async fn search_all(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<SearchQuery>,
) -> Result<Json<Vec<search::Hit>>, ApiError> {
    Ok(Json(run(&state, auth.0.workspace_id, &q).await?))
}

/// The search itself (the HTTP route and the MCP `search` tool).
pub(crate) async fn run(
    state: &AppState,
    workspace_id: uuid::Uuid,
    q: &SearchQuery,
) -> Result<Vec<search::Hit>, ApiError> {
    if q.q.trim().chars().count() < 2 {
        return Err(ApiError::field(
            &["query", "q"],
            "length must be at least 2",
            "length",
        ));
    }
    Ok(search::search(&state.db, workspace_id, q.q.trim(), q.limit.get()).await?)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/search",
        get_with(search_all, |op| {
            op.summary("Search")
                .description("Full-text search over feedback, themes and insights of the workspace, best matches first.")
                .tag("search")
        }),
    )
}
