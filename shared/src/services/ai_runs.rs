//! Reading the AI run log: runs with their answer's rating, and usage analytics per day.

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use uuid::Uuid;

use crate::{DomainError, db::statement as raw, services::Page};

#[derive(Debug, Serialize, JsonSchema, FromQueryResult)]
pub struct RunView {
    pub id: Uuid,
    pub owner: Option<String>,
    /// The user behind the run, when a signed-in user made it.
    pub user_id: Option<Uuid>,
    pub agent: String,
    pub model: String,
    pub provider: String,
    pub input_preview: String,
    pub prompt_tokens: i32,
    pub completion_tokens: i32,
    pub tokens_used: i32,
    pub latency_ms: i32,
    /// success, error or cancelled.
    pub status: String,
    pub error_code: Option<String>,
    pub cost_usd: f64,
    pub conversation_id: Option<Uuid>,
    pub message_id: Option<Uuid>,
    /// thumbs_up or thumbs_down, when the answer was rated.
    pub feedback_rating: Option<String>,
    pub feedback_comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    pub status: Option<String>,
    pub user_id: Option<Uuid>,
    pub agent: Option<String>,
}

pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    f: &RunFilter,
    page: Page,
) -> Result<(Vec<RunView>, i64), DomainError> {
    let values: Vec<sea_orm::Value> = vec![
        workspace_id.into(),
        f.status.clone().into(),
        f.user_id.map(|u| format!("user:{u}")).into(),
        f.agent.clone().into(),
    ];
    let filter = "r.workspace_id = $1 AND ($2::text IS NULL OR r.status = $2) \
                  AND ($3::text IS NULL OR r.owner = $3) AND ($4::text IS NULL OR r.agent = $4)";
    let rows = db
        .query_all_raw(raw(
            &format!(
                "SELECT r.id, r.owner, CASE WHEN r.owner LIKE 'user:%' THEN substring(r.owner FROM 6)::uuid END AS user_id, \
                        r.agent, r.model, r.provider, r.input_preview, r.prompt_tokens, r.completion_tokens, \
                        r.prompt_tokens + r.completion_tokens AS tokens_used, r.latency_ms, r.status, r.error_code, \
                        r.cost_usd, r.conversation_id, r.message_id, fb.rating AS feedback_rating, \
                        fb.comment AS feedback_comment, r.created_at \
                 FROM ai_runs r LEFT JOIN chat_message_feedback fb ON fb.message_id = r.message_id \
                 WHERE {filter} ORDER BY r.created_at DESC, r.id DESC LIMIT {} OFFSET {}",
                page.limit, page.offset
            ),
            values.clone(),
        ))
        .await?;
    let total = db
        .query_one_raw(raw(
            &format!("SELECT count(*) AS n FROM ai_runs r WHERE {filter}"),
            values,
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    let runs = rows
        .iter()
        .map(|r| RunView::from_query_result(r, ""))
        .collect::<Result<_, _>>()?;
    Ok((runs, total))
}

#[derive(Debug, Serialize, JsonSchema, FromQueryResult)]
pub struct Summary {
    /// Distinct callers who asked the copilot or made a model call in the period.
    pub total_users: i64,
    pub total_conversations: i64,
    pub total_messages: i64,
    pub total_tokens: i64,
    pub total_runs: i64,
    pub total_errors: i64,
    pub total_cost_usd: f64,
    /// Share of the copilot's answers written by the rule-based fallback, 0-1.
    pub fallback_share: f64,
}

#[derive(Debug, Serialize, JsonSchema, FromQueryResult)]
pub struct DailyStats {
    pub date: NaiveDate,
    pub runs: i64,
    pub tokens: i64,
    pub errors: i64,
    pub active_users: i64,
    pub cost_usd: f64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Analytics {
    pub summary: Summary,
    /// One entry per day of the period, oldest first (days without activity are zero).
    pub daily_stats: Vec<DailyStats>,
    pub period_days: u32,
}

pub async fn analytics(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    days: u32,
) -> Result<Analytics, DomainError> {
    let since = "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => $2 - 1)";
    let v = || vec![workspace_id.into(), (days as i32).into()];
    let row = db
        .query_one_raw(raw(
            &format!(
                "WITH r AS (SELECT * FROM ai_runs WHERE workspace_id = $1 AND created_at >= {since}), \
                      c AS (SELECT * FROM conversations WHERE workspace_id = $1), \
                      m AS (SELECT m.*, c.owner FROM chat_messages m JOIN c ON c.id = m.conversation_id \
                            WHERE m.created_at >= {since}) \
                 SELECT (SELECT count(DISTINCT o) FROM (SELECT owner AS o FROM r UNION SELECT owner FROM m) u) AS total_users, \
                        (SELECT count(*) FROM c WHERE c.created_at >= {since}) AS total_conversations, \
                        (SELECT count(*) FROM m) AS total_messages, \
                        (SELECT coalesce(sum(prompt_tokens + completion_tokens), 0)::int8 FROM r) AS total_tokens, \
                        (SELECT count(*) FROM r) AS total_runs, \
                        (SELECT count(*) FROM r WHERE status = 'error') AS total_errors, \
                        (SELECT coalesce(sum(cost_usd), 0)::float8 FROM r) AS total_cost_usd, \
                        (SELECT coalesce(avg(CASE WHEN generated_by = 'fallback' THEN 1.0 ELSE 0.0 END), 0)::float8 \
                         FROM m WHERE role = 'assistant') AS fallback_share"
            ),
            v(),
        ))
        .await?
        .ok_or(DomainError::not_found("workspace"))?;
    let summary = Summary::from_query_result(&row, "")?;
    let daily = db
        .query_all_raw(raw(
            &format!(
                "SELECT d::date AS date, count(r.id) AS runs, \
                        coalesce(sum(r.prompt_tokens + r.completion_tokens), 0)::int8 AS tokens, \
                        count(r.id) FILTER (WHERE r.status = 'error') AS errors, \
                        count(DISTINCT r.owner) AS active_users, coalesce(sum(r.cost_usd), 0)::float8 AS cost_usd \
                 FROM generate_series({since}, now(), interval '1 day') d \
                 LEFT JOIN ai_runs r ON r.workspace_id = $1 AND r.created_at >= d AND r.created_at < d + interval '1 day' \
                 GROUP BY d ORDER BY d"
            ),
            v(),
        ))
        .await?;
    Ok(Analytics {
        summary,
        daily_stats: daily
            .iter()
            .map(|r| DailyStats::from_query_result(r, ""))
            .collect::<Result<_, _>>()?,
        period_days: days,
    })
}

/// Deletes any conversation of the workspace (admins clearing data).
pub async fn delete_conversation(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<(), DomainError> {
    let done = db
        .execute_raw(raw(
            "DELETE FROM conversations WHERE workspace_id = $1 AND id = $2",
            vec![workspace_id.into(), id.into()],
        ))
        .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::not_found("conversation"));
    }
    Ok(())
}
