//! `/themes/{insight_id}/generate-*`: a PRD and a prototyping prompt for an insight.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{Json, extract::State};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::services::documents::{
    self, prd,
    prototype::{self, PromptMetadata},
};
use shared::{
    ai::{budget::TokenBudgets, runs::RunContext},
    auth::Role,
    services::principal::Principal,
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidPath, ValidQuery},
    routes::themes::InsightPath,
    state::AppState,
};

#[derive(Debug, Serialize, JsonSchema)]
pub struct PrdOut {
    pub prd_markdown: String,
    pub insight_id: Uuid,
    /// `llm` (the prd_writer agent) or `fallback` (the deterministic template).
    pub generated_by: &'static str,
    /// Why the template was used although an LLM is configured (a viewer asked, a token
    /// budget is spent, the model failed or dropped sections).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// The model's PRD for the same evidence, written earlier and served without a new call.
    pub cached: bool,
}

async fn generate_prd(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<InsightPath>,
) -> Result<Json<PrdOut>, ApiError> {
    Ok(Json(prd_for(&state, &auth.0, path.insight_id).await?))
}

/// The insight's PRD: the model writes it for editors when one is configured, viewers and
/// everyone without a model get the template (the HTTP route and the MCP `draft_prd` tool).
pub(crate) async fn prd_for(
    state: &AppState,
    p: &Principal,
    insight_id: Uuid,
) -> Result<PrdOut, ApiError> {
    let insight = documents::load(&state.db, p.workspace_id, insight_id).await?;
    let requester = prd::Requester {
        run: RunContext::for_workspace(p.workspace_id, p.label()),
        may_use_model: p.role >= Role::Editor,
        budgets: TokenBudgets::from_settings(&state.settings),
    };
    let doc = prd::draft(
        &state.db,
        &insight,
        &state.ai,
        &requester,
        &state.settings.server.web_ui_base_url,
    )
    .await?;
    Ok(PrdOut {
        prd_markdown: doc.markdown,
        insight_id: insight.id,
        generated_by: doc.generated_by,
        fallback_reason: doc.fallback_reason,
        cached: doc.cached,
    })
}

crate::allowed!(one_of(&prototype::TYPES) => valid_type, type_schema);

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct PromptQuery {
    /// ui_component, feature_flow, mvp (default) or technical_poc.
    #[validate(custom(function = "valid_type"))]
    #[schemars(schema_with = "type_schema")]
    #[serde(default = "default_type")]
    pub prototype_type: String,
}

fn default_type() -> String {
    "mvp".into()
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PromptOut {
    pub prompt: String,
    /// v0, Bolt or Lovable.
    pub recommended_tool: &'static str,
    pub recommendation_reason: &'static str,
    /// Same text as `recommendation_reason` (the original web UI reads this name).
    pub reason: &'static str,
    pub insight_id: Uuid,
    pub prototype_type: String,
    pub metadata: PromptMetadata,
    /// Always `fallback`: the prompt is built from the evidence without an LLM.
    pub generated_by: &'static str,
}

async fn generate_prompt(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<InsightPath>,
    ValidQuery(q): ValidQuery<PromptQuery>,
) -> Result<Json<PromptOut>, ApiError> {
    let insight = documents::load(&state.db, auth.0.workspace_id, path.insight_id).await?;
    let built = prototype::build(&insight, &q.prototype_type);
    Ok(Json(PromptOut {
        prompt: built.prompt,
        recommended_tool: built.recommended_tool,
        recommendation_reason: built.reason,
        reason: built.reason,
        insight_id: insight.id,
        prototype_type: q.prototype_type,
        metadata: built.metadata,
        generated_by: "fallback",
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/themes/{insight_id}/generate-prd",
            get_with(generate_prd, |op| {
                op.summary("Generate a PRD for an insight")
                    .description(
                        "A thirteen-section Markdown PRD from the insight's customers (grouped by segment), metrics \
                         and key quotes (cited by feedback id). Written by the prd_writer agent when an LLM is \
                         configured and its reply keeps every section, else from the template; `generated_by` says \
                         which.",
                    )
                    .tag("themes")
            }),
        )
        .api_route(
            "/themes/{insight_id}/generate-ai-prompt",
            get_with(generate_prompt, |op| {
                op.summary("Generate a prototyping prompt")
                    .description(
                        "A prompt for an AI prototyping tool, the tool that suits the insight (v0, Bolt or Lovable) \
                         and why, and the integrations named in its quotes.",
                    )
                    .tag("themes")
            }),
        )
}
