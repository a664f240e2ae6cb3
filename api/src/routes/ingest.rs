//! `/ingest/*`: load feedback from Slack, Jira, Google Docs and Zoom (demo data set now;
//! live connectors come with the integrations), and the per-source summary.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{Json, extract::State, http::StatusCode, response::Response};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    entities::job_run,
    services::{
        demo, feedback,
        jobs::{
            self, NewJob, StartOutcome,
            contract::{self, DemoLoad, DemoLoadParams, FeedbackCounts, ZoomSyncParams},
        },
        source::Source,
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::OptionalJson,
    job_wait::{Answer, Standing, WaitBound, settle},
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
    #[schemars(schema_with = "folder_ids_or_null")]
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
    /// Accepted as the original UI sends it; the sync reads up to today, from the earlier of
    /// the two dates.
    #[serde(default)]
    pub end_date: Option<NaiveDate>,
    /// Zoom user whose recordings to read (live mode).
    #[serde(default)]
    pub user_id: Option<String>,
}

fn folder_ids_or_null(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut schema = super::integrations::folder_ids_schema(generator);
    schema.insert("type".into(), serde_json::json!(["array", "null"]));
    schema
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
    source: Source,
    mode: Mode,
    bound: WaitBound,
) -> Result<Response, ApiError> {
    let principal = auth.require(Role::Editor)?;
    if mode == Mode::Live {
        return live(state, principal, source, ZoomSyncParams::default(), bound).await;
    }
    let params = DemoLoadParams { source };
    let new = NewJob::of::<DemoLoad>(&state.settings.jobs, principal.workspace_id, &params)
        .requested_by(principal.label());
    let outcome = jobs::start(&state.db, &state.queue, new).await?;
    let StartOutcome::Started(job) = outcome else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "an ingestion job could not be started",
        ));
    };
    let job = settle(state, principal.workspace_id, job, bound).await?;
    ingest_answer(source, &job, |job| {
        jobs::result_of::<DemoLoad>(job).map(|r| Counts {
            count: r.count as u64,
            created: Some(r.created as u64),
            updated: Some(r.updated as u64),
        })
    })
}

/// Live mode: the source's sync job, answered as an ingestion.
async fn live(
    state: &AppState,
    principal: &shared::services::principal::Principal,
    source: Source,
    zoom: ZoomSyncParams,
    bound: WaitBound,
) -> Result<Response, ApiError> {
    let job = super::integrations::live_sync_job(state, principal, source, zoom, bound).await?;
    ingest_answer(source, &job, live_counts)
}

/// What an ingestion added.
struct Counts {
    count: u64,
    created: Option<u64>,
    updated: Option<u64>,
}

/// A live sync's counts: every vendor reports `feedback_created` and `feedback_updated`.
fn live_counts(job: &job_run::Model) -> Option<Counts> {
    let outcome = contract::vendor_sync_result(job)?;
    let c: FeedbackCounts = serde_json::from_value(outcome.stats).unwrap_or_default();
    let (created, updated) = (c.feedback_created as u64, c.feedback_updated as u64);
    Some(Counts {
        count: created + updated,
        created: Some(created),
        updated: Some(updated),
    })
}

/// The ingestion job's outcome as `IngestOut`: 200 when done, 202 while it runs, 502 when it
/// failed. `counts` reads what the job added from its result.
fn ingest_answer(
    source: Source,
    job: &job_run::Model,
    counts: impl FnOnce(&job_run::Model) -> Option<Counts>,
) -> Result<Response, ApiError> {
    let standing = Standing::of_job(
        job,
        |job| {
            let c = counts(job).unwrap_or(Counts {
                count: 0,
                created: None,
                updated: None,
            });
            IngestOut {
                status: "completed",
                message: format!("Ingested {} {}", c.count, demo::noun(source)),
                count: c.count,
                task_id: job.id,
                created: c.created,
                updated: c.updated,
            }
        },
        |job| IngestOut {
            status: "accepted",
            message: format!("Ingesting {}; poll /jobs/{}", demo::noun(source), job.id),
            count: 0,
            task_id: job.id,
            created: None,
            updated: None,
        },
    );
    Answer::poll_job("ingestion", "job_failed", job).respond(standing)
}

async fn ingest_slack(
    State(state): State<AppState>,
    auth: Auth,
    bound: WaitBound,
    OptionalJson(body): OptionalJson<IngestIn>,
) -> Result<Response, ApiError> {
    ingest(&state, &auth, Source::Slack, body.mode, bound).await
}

async fn ingest_jira(
    State(state): State<AppState>,
    auth: Auth,
    bound: WaitBound,
    OptionalJson(body): OptionalJson<IngestIn>,
) -> Result<Response, ApiError> {
    ingest(&state, &auth, Source::Jira, body.mode, bound).await
}

async fn ingest_gdocs(
    State(state): State<AppState>,
    auth: Auth,
    crate::origin::AuditOrigin(origin): crate::origin::AuditOrigin,
    bound: WaitBound,
    OptionalJson(body): OptionalJson<GdocsIngestIn>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    // Checked in either mode, as the schema says (demo mode reads no folder).
    let folders = super::integrations::folder_list(&body.folder_ids.unwrap_or_default().join(","))?;
    if body.mode == Mode::Live {
        let job =
            super::integrations::drive_sync_job(&state, p, &origin, &folders, false, bound).await?;
        return ingest_answer(Source::Google, &job, live_counts);
    }
    ingest(&state, &auth, Source::Google, body.mode, bound).await
}

async fn ingest_zoom(
    State(state): State<AppState>,
    auth: Auth,
    bound: WaitBound,
    OptionalJson(body): OptionalJson<ZoomIngestIn>,
) -> Result<Response, ApiError> {
    if body.mode == Mode::Live {
        let p = auth.require(Role::Editor)?;
        let today = chrono::Utc::now().date_naive();
        let from = match (body.start_date, body.end_date) {
            (Some(start), Some(end)) => Some(start.min(end)),
            (start, _) => start,
        };
        let days_back = from.map_or(30, |d| (today - d).num_days().clamp(1, 365) as u32);
        let zoom = ZoomSyncParams {
            days_back: Some(days_back),
        };
        return live(&state, p, Source::Zoom, zoom, bound).await;
    }
    ingest(&state, &auth, Source::Zoom, body.mode, bound).await
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
