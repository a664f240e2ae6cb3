//! `/admin/runs`, `/admin/analytics`, `/admin/conversations/{id}`: the AI run log, usage
//! analytics and conversation clean-up. Admins only.

use aide::axum::{
    ApiRouter,
    routing::{delete_with, get_with},
};
use axum::{Json, extract::State, http::StatusCode};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    ai::budget::TokenBudgets,
    auth::Role,
    services::{
        ai_runs::{self, Analytics, RunFilter, RunView},
        audit::{self, Event},
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidPath, ValidQuery},
    origin::AuditOrigin,
    paging::{self, Limit, Offset},
    routes::chat::ConversationPath,
    state::AppState,
};

crate::allowed!(one_of(&["success", "error", "cancelled"]) => valid_status, status_schema);

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct RunQuery {
    /// success, error or cancelled (a streamed answer whose client went away).
    #[validate(custom(function = "valid_status"))]
    #[schemars(schema_with = "status_schema")]
    #[serde(default)]
    pub status: Option<String>,
    pub user_id: Option<Uuid>,
    /// e.g. chat_copilot, insight_writer, prd_writer.
    #[validate(length(min = 1, max = 64))]
    pub agent: Option<String>,
    #[serde(default)]
    pub limit: Limit<50, 200>,
    #[serde(default)]
    pub offset: Offset,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct RunsOut {
    pub items: Vec<RunView>,
    pub total: i64,
    pub limit: u64,
    pub offset: u64,
}

async fn list_runs(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<RunQuery>,
) -> Result<Json<RunsOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let filter = RunFilter {
        status: q.status,
        user_id: q.user_id,
        agent: q.agent,
    };
    let page = paging::page(q.limit, q.offset);
    let (items, total) = ai_runs::list(&state.db, p.workspace_id, &filter, page).await?;
    Ok(Json(RunsOut {
        items,
        total,
        limit: q.limit.get(),
        offset: q.offset.get(),
    }))
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsQuery {
    /// 1-365, default 30.
    #[validate(range(min = 1, max = 365))]
    #[serde(default = "default_days")]
    pub days: u32,
}

fn default_days() -> u32 {
    30
}

/// Today's LLM token budgets (`ai.daily_token_budget`, `ai.member_daily_token_budget`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct BudgetOut {
    /// Tokens a day for the workspace; 0 means no budget.
    pub workspace_daily_tokens: u64,
    /// Tokens a day for each member or key; 0 means no budget.
    pub member_daily_tokens: u64,
    /// Tokens the workspace spent today (UTC).
    pub workspace_used_today: u64,
    /// What is left of the workspace's budget today; null without a budget.
    pub workspace_left_today: Option<u64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AnalyticsOut {
    #[serde(flatten)]
    pub analytics: Analytics,
    pub budget: BudgetOut,
}

async fn analytics(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<AnalyticsQuery>,
) -> Result<Json<AnalyticsOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let budgets = TokenBudgets::from_settings(&state.settings);
    let (used, _) = shared::ai::budget::spent_today(&state.db, p.workspace_id, None).await?;
    Ok(Json(AnalyticsOut {
        analytics: ai_runs::analytics(&state.db, p.workspace_id, q.days).await?,
        budget: BudgetOut {
            workspace_daily_tokens: budgets.workspace,
            member_daily_tokens: budgets.member,
            workspace_used_today: used,
            workspace_left_today: (budgets.workspace > 0)
                .then(|| budgets.workspace.saturating_sub(used)),
        },
    }))
}

async fn delete_conversation(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<ConversationPath>,
) -> Result<StatusCode, ApiError> {
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    ai_runs::delete_conversation(&txn, p.workspace_id, path.id).await?;
    let event = Event::new("conversation.deleted", "conversation", path.id);
    audit::commit(txn, p, &origin, event).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/admin/runs",
            get_with(list_runs, |op| {
                op.summary("AI run log")
                    .description(
                        "Every language-model call (chat, insight writer, labeller, PRD writer) with caller, agent, \
                         model, tokens, latency, outcome, estimated cost and the answer's rating; newest first. \
                         Admins only.",
                    )
                    .tag("admin")
            }),
        )
        .api_route(
            "/admin/analytics",
            get_with(analytics, |op| {
                op.summary("AI usage analytics")
                    .description(
                        "Totals for the last `days` days (users, conversations, messages, tokens, runs, errors, cost, \
                         share of fallback answers) and one entry per day. Admins only.",
                    )
                    .tag("admin")
            }),
        )
        .api_route(
            "/admin/conversations/{id}",
            delete_with(delete_conversation, |op| {
                op.summary("Delete a conversation")
                    .description("Deletes any conversation of the workspace with its messages. Admins only.")
                    .tag("admin")
                    .response::<204, ()>()
            }),
        )
}
