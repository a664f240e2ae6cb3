//! VOC scoring of Jira tickets: one ticket or all of them (a job), and a PM confirming or
//! rejecting a proposed ticket-insight match.

use aide::axum::{ApiRouter, routing::post_with};
use axum::{Json, extract::State, http::StatusCode, response::Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        jira::{
            decisions,
            ticket_scores::{ScoreOptions, ScoreStats, match_and_score},
            tickets::{self},
            views::{self, MatchView, VocView},
            voc::PriorityGap,
        },
        jobs::{
            self, NewJob,
            contract::{VocParams, VocScoring},
        },
        principal::Principal,
    },
};
use uuid::Uuid;
use validator::Validate;

use super::jira::TicketPath;
use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidPath, ValidQuery},
    job_wait::{Answer, Standing, WaitBound, settle},
    state::AppState,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct MatchPath {
    pub ticket_key: String,
    pub insight_id: Uuid,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ThresholdQuery {
    /// Minimum cosine similarity for a proposed match, 0-1 (default `jira.similarity_threshold`, 0.6).
    #[validate(range(min = 0.0, max = 1.0))]
    // f64: an f32 would round a tiny negative value to -0.0 and let it pass the range.
    pub similarity_threshold: Option<f64>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConfirmQuery {
    /// true confirms (always counted), false rejects (never counted nor proposed again).
    pub confirmed: bool,
}

/// The seed's VOC object plus the matches behind it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VocOut {
    #[serde(flatten)]
    pub voc: VocView,
    pub matched_insights: Vec<MatchView>,
    pub priority_gap: Option<PriorityGap>,
    pub insights_compared: usize,
}

async fn calculate_voc(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<TicketPath>,
    ValidQuery(q): ValidQuery<ThresholdQuery>,
) -> Result<Json<VocOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    Ok(Json(
        rescore(&state, p, &path.ticket_key, q.similarity_threshold).await?,
    ))
}

/// Matches one ticket against the insights again and scores it (the HTTP route and the MCP
/// `score_ticket` tool; the caller has checked the editor role).
pub(crate) async fn rescore(
    state: &AppState,
    p: &Principal,
    ticket_key: &str,
    similarity_threshold: Option<f64>,
) -> Result<VocOut, ApiError> {
    let ticket = tickets::get_by_key(&state.db, p.workspace_id, ticket_key).await?;
    let run = shared::ai::runs::RunContext::for_workspace(p.workspace_id, p.label());
    let embedder = state.ai.embedder_for(&run).await.map_err(|e| {
        tracing::warn!(error = %e, "embedder unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the embedding model is unavailable; try again shortly",
        )
    })?;
    let opts = ScoreOptions::from_settings(
        &state.settings,
        similarity_threshold.map(|t| t as f32),
        Some(vec![ticket.id]),
    );
    let stats = match_and_score(&state.db, p.workspace_id, embedder.as_ref(), &opts).await?;
    // The view reads the new score and matches; the ticket's own fields did not change.
    let view = views::one(&state.db, ticket).await?;
    let voc = view.voc.ok_or_else(ApiError::internal)?;
    Ok(VocOut {
        voc,
        matched_insights: view.matches,
        priority_gap: view.priority_gap,
        insights_compared: stats.insights_compared,
    })
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CalculateAllOut {
    /// "VOC scoring completed", or "VOC scoring is running" with 202.
    pub message: String,
    /// Null while the job is still running.
    pub stats: Option<ScoreStats>,
    /// The scoring job; poll `GET /jobs/{task_id}`.
    pub task_id: Uuid,
    /// completed, queued or running.
    pub status: String,
}

async fn calculate_all_voc(
    State(state): State<AppState>,
    auth: Auth,
    bound: WaitBound,
    ValidQuery(q): ValidQuery<ThresholdQuery>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    let params = VocParams {
        similarity_threshold: q.similarity_threshold,
        reason: None,
    };
    let new = NewJob::of::<VocScoring>(&state.settings.jobs, p.workspace_id, &params)
        .requested_by(p.label())
        .singleton();
    let job = jobs::start(&state.db, &state.queue, new)
        .await?
        .into_job()
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "VOC scoring is already scheduled"))?;
    let job = settle(&state, p.workspace_id, job, bound).await?;
    let standing = Standing::of_job(
        &job,
        |job| CalculateAllOut {
            message: "VOC scoring completed".into(),
            stats: jobs::result_of::<VocScoring>(job).map(|r| r.stats),
            task_id: job.id,
            status: job.status.clone(),
        },
        |job| CalculateAllOut {
            message: "VOC scoring is running".into(),
            stats: None,
            task_id: job.id,
            status: job.status.clone(),
        },
    );
    Answer::poll_job("VOC scoring", "job_failed", &job).respond(standing)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfirmOut {
    /// "Match confirmed" or "Match rejected".
    pub message: &'static str,
    pub ticket_key: String,
    pub insight_id: Uuid,
    /// 1 confirmed, 0 rejected.
    pub is_confirmed: i16,
    /// The ticket's score with the decision applied.
    pub voc_score: Option<VocView>,
}

async fn confirm_match(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<MatchPath>,
    ValidQuery(q): ValidQuery<ConfirmQuery>,
) -> Result<Json<ConfirmOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let ws = p.workspace_id;
    let decision = decisions::decide(
        &state.db,
        ws,
        &path.ticket_key,
        path.insight_id,
        q.confirmed,
        state.settings.jira.similarity_threshold,
    )
    .await?;
    let ticket = tickets::get_by_key(&state.db, ws, &path.ticket_key).await?;
    let view = views::one(&state.db, ticket).await?;
    Ok(Json(ConfirmOut {
        message: if q.confirmed {
            "Match confirmed"
        } else {
            "Match rejected"
        },
        ticket_key: view.ticket.jira_key,
        insight_id: path.insight_id,
        is_confirmed: decision,
        voc_score: view.voc,
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/jira/tickets/{ticket_key}/calculate-voc",
            post_with(calculate_voc, |op| {
                op.summary("Score one ticket")
                    .description(
                        "Embeds the ticket if its vector is missing or stale, matches it against every customer \
                         insight (top matches at or above `similarity_threshold`; confirmed ones always, rejected \
                         ones never) and answers its VOC score. Editors and admins.",
                    )
                    .tag("jira")
            }),
        )
        .api_route(
            "/jira/calculate-all-voc",
            post_with(calculate_all_voc, |op| {
                op.summary("Score every ticket")
                    .description(
                        "Runs one scoring job per workspace (a second request joins the running one). The answer \
                         waits for it up to `jobs.sync_wait_secs`, else (or with `Prefer: respond-async`) it is 202 \
                         with the job to poll. Editors and admins.",
                    )
                    .tag("jira")
                    .response_with::<200, Json<CalculateAllOut>, _>(|r| r.description("Scoring done within the wait"))
                    .response_with::<202, Json<CalculateAllOut>, _>(|r| r.description("Scoring still running"))
                    .response_with::<502, ApiError, _>(|r| r.description("Scoring failed (`job_failed`, with the reason)"))
            }),
        )
        .api_route(
            "/jira/tickets/{ticket_key}/matches/{insight_id}/confirm",
            post_with(confirm_match, |op| {
                op.summary("Confirm or reject a match")
                    .description(
                        "Records a PM's decision on a ticket-insight match (any customer insight of the workspace, \
                         proposed or not). Confirmed matches always count in the score, rejected ones never and are \
                         not proposed again; the decision survives re-runs and the ticket is re-scored at once. \
                         Editors and admins.",
                    )
                    .tag("jira")
            }),
        )
}
