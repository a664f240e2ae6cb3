//! `/ingest/*`: load feedback from Slack, Jira, Google Docs and Zoom (demo data set now;
//! live connectors come with the integrations), and the per-source summary.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    jobs::{kinds, status},
    services::{
        demo::{self, DemoSource},
        feedback,
        jobs::{self, NewJob, StartOutcome},
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{OptionalJson, PreferAsync},
    state::AppState,
};

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, JsonSchema, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The built-in demo data set.
    #[default]
    Demo,
    /// The connected account (needs its integration).
    Live,
}

/// Slack and Jira take no body; `mode` may be given.
#[derive(Debug, Default, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngestIn {
    #[serde(default)]
    pub mode: Mode,
}

#[derive(Debug, Default, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GdocsIngestIn {
    #[serde(default)]
    pub mode: Mode,
    /// Drive folders to read (live mode).
    #[serde(default)]
    pub folder_ids: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoomIngestIn {
    #[serde(default)]
    pub mode: Mode,
    /// First day of recordings to read, YYYY-MM-DD (live mode).
    #[serde(default)]
    pub start_date: Option<NaiveDate>,
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// Zoom user whose recordings to read (live mode).
    #[serde(default)]
    pub user_id: Option<String>,
}

/// The outcome of an ingestion.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IngestOut {
    /// `completed`, or `accepted` when it is still running (poll `GET /jobs/{task_id}`).
    pub status: &'static str,
    /// e.g. "Ingested 26 Slack messages".
    pub message: String,
    /// Items ingested (created, updated or unchanged).
    pub count: u64,
    /// The job that did the work.
    pub task_id: Uuid,
    pub created: Option<u64>,
    pub updated: Option<u64>,
}

async fn ingest(
    state: &AppState,
    auth: &Auth,
    source: DemoSource,
    mode: Mode,
    prefer_async: bool,
) -> Result<Response, ApiError> {
    let principal = auth.require(Role::Editor)?;
    if mode == Mode::Live {
        return live(
            state,
            principal,
            source,
            serde_json::json!({}),
            prefer_async,
        )
        .await;
    }
    let params = demo::job_params(source, "demo");
    let new = NewJob::for_workspace(&state.settings, principal.workspace_id, kinds::SYNC, params)
        .requested_by(principal.label());
    let outcome = jobs::start(&state.db, &state.queue, new).await?;
    let StartOutcome::Started(job) = outcome else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "an ingestion job could not be started",
        ));
    };
    let wait = if prefer_async {
        std::time::Duration::ZERO
    } else {
        std::time::Duration::from_secs(state.settings.jobs.sync_wait_secs)
    };
    let job = jobs::wait_for(&state.db, principal.workspace_id, &[job.id], wait)
        .await?
        .pop()
        .unwrap_or(job);
    ingest_answer(source, job, |r| {
        (
            r["count"].as_u64().unwrap_or(0),
            r["created"].as_u64(),
            r["updated"].as_u64(),
        )
    })
}

/// Live mode: the source's sync job, answered as an ingestion.
async fn live(
    state: &AppState,
    principal: &shared::services::principal::Principal,
    source: DemoSource,
    params: serde_json::Value,
    prefer_async: bool,
) -> Result<Response, ApiError> {
    use super::integrations::{LiveSource, live_sync_job};
    let live_source = match source {
        DemoSource::Slack => LiveSource::Slack,
        DemoSource::Jira => LiveSource::Jira,
        DemoSource::Gdocs => LiveSource::Drive,
        DemoSource::Zoom => LiveSource::Zoom,
    };
    let job = live_sync_job(state, principal, live_source, params, prefer_async).await?;
    ingest_answer(source, job, live_counts)
}

/// (count, created, updated) of a live sync's stats (both syncs report `feedback_created`
/// and `feedback_updated`).
fn live_counts(r: &serde_json::Value) -> (u64, Option<u64>, Option<u64>) {
    let s = &r["stats"];
    let created = s["feedback_created"].as_u64().unwrap_or(0);
    let updated = s["feedback_updated"].as_u64().unwrap_or(0);
    (created + updated, Some(created), Some(updated))
}

/// The ingestion job's outcome as `IngestOut`: 200 when done, 202 while it runs, 502 when it
/// failed. `counts` reads (count, created, updated) from the job's result.
fn ingest_answer(
    source: DemoSource,
    job: shared::entities::job_run::Model,
    counts: impl Fn(&serde_json::Value) -> (u64, Option<u64>, Option<u64>),
) -> Result<Response, ApiError> {
    match job.status.as_str() {
        status::COMPLETED => {
            let r = job.result.unwrap_or_default();
            let (count, created, updated) = counts(&r);
            Ok(Json(IngestOut {
                status: "completed",
                message: format!("Ingested {count} {}", source.noun()),
                count,
                task_id: job.id,
                created,
                updated,
            })
            .into_response())
        }
        status::FAILED | status::CANCELLED => {
            tracing::warn!(job = %job.id, error = ?job.error, "ingestion failed");
            Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("ingestion failed: {}", job.error.unwrap_or_default()),
            ))
        }
        _ => {
            let body = IngestOut {
                status: "accepted",
                message: format!("Ingesting {}; poll /jobs/{}", source.noun(), job.id),
                count: 0,
                task_id: job.id,
                created: None,
                updated: None,
            };
            Ok((
                StatusCode::ACCEPTED,
                [(header::LOCATION, format!("/jobs/{}", job.id))],
                Json(body),
            )
                .into_response())
        }
    }
}

async fn ingest_slack(
    State(state): State<AppState>,
    auth: Auth,
    PreferAsync(a): PreferAsync,
    OptionalJson(body): OptionalJson<IngestIn>,
) -> Result<Response, ApiError> {
    ingest(&state, &auth, DemoSource::Slack, body.mode, a).await
}

async fn ingest_jira(
    State(state): State<AppState>,
    auth: Auth,
    PreferAsync(a): PreferAsync,
    OptionalJson(body): OptionalJson<IngestIn>,
) -> Result<Response, ApiError> {
    ingest(&state, &auth, DemoSource::Jira, body.mode, a).await
}

async fn ingest_gdocs(
    State(state): State<AppState>,
    auth: Auth,
    crate::extract::AuditOrigin(origin): crate::extract::AuditOrigin,
    PreferAsync(a): PreferAsync,
    OptionalJson(body): OptionalJson<GdocsIngestIn>,
) -> Result<Response, ApiError> {
    if body.mode == Mode::Live {
        let p = auth.require(Role::Editor)?;
        let folders =
            super::integrations::folder_list(&body.folder_ids.unwrap_or_default().join(","))?;
        let job =
            super::integrations::drive_sync_job(&state, p, &origin, &folders, false, a).await?;
        return ingest_answer(DemoSource::Gdocs, job, live_counts);
    }
    ingest(&state, &auth, DemoSource::Gdocs, body.mode, a).await
}

async fn ingest_zoom(
    State(state): State<AppState>,
    auth: Auth,
    PreferAsync(a): PreferAsync,
    OptionalJson(body): OptionalJson<ZoomIngestIn>,
) -> Result<Response, ApiError> {
    if let (Some(start), Some(end)) = (body.start_date, body.end_date)
        && start > end
    {
        return Err(ApiError::field(
            &["body", "end_date"],
            "must not be before start_date",
            "value_error",
        ));
    }
    if body.mode == Mode::Live {
        let p = auth.require(Role::Editor)?;
        let today = chrono::Utc::now().date_naive();
        let days_back = body
            .start_date
            .map_or(30, |d| (today - d).num_days().clamp(1, 365) as u32);
        let params = serde_json::json!({ "days_back": days_back });
        return live(&state, p, DemoSource::Zoom, params, a).await;
    }
    ingest(&state, &auth, DemoSource::Zoom, body.mode, a).await
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SourcesSummaryOut {
    pub sources: Vec<feedback::SourceSummary>,
    pub total_count: i64,
}

async fn sources_summary(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<SourcesSummaryOut>, ApiError> {
    let sources = feedback::sources_summary(&state.db, auth.0.workspace_id).await?;
    let total_count = sources.iter().map(|r| r.count).sum();
    Ok(Json(SourcesSummaryOut {
        sources,
        total_count,
    }))
}

fn ingest_doc<'a>(
    op: aide::transform::TransformOperation<'a>,
    what: &str,
) -> aide::transform::TransformOperation<'a> {
    let description = format!(
        "Loads {what} as feedback (mode `demo`: the built-in demo data set; running it again adds nothing). \
         Waits for the job up to the configured bound; answers 202 with `task_id` when it takes longer or \
         with `Prefer: respond-async`. Editors and admins."
    );
    op.summary(&format!("Ingest {what}"))
        .description(&description)
        .tag("ingest")
        .response_with::<200, Json<IngestOut>, _>(|r| r.description("Done within the wait"))
        .response_with::<202, Json<IngestOut>, _>(|r| {
            r.description("Still running: poll GET /jobs/{task_id}")
        })
        .response_with::<400, ApiError, _>(|r| r.description("Live mode without a connection"))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/ingest/slack",
            post_with(ingest_slack, |op| ingest_doc(op, "Slack messages")),
        )
        .api_route(
            "/ingest/jira",
            post_with(ingest_jira, |op| ingest_doc(op, "Jira issues")),
        )
        .api_route(
            "/ingest/gdocs",
            post_with(ingest_gdocs, |op| ingest_doc(op, "Google Docs")),
        )
        .api_route(
            "/ingest/zoom",
            post_with(ingest_zoom, |op| ingest_doc(op, "Zoom transcripts")),
        )
        .api_route(
            "/ingest/sources/summary",
            get_with(sources_summary, |op| {
                op.summary("Feedback per source")
                    .description("Count and newest arrival per source.")
                    .tag("ingest")
            }),
        )
}
