//! `/jobs`: state of background jobs of the caller's workspace.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    entities::job_run,
    jobs::status,
    services::jobs::{self, JobFilter},
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidPath, ValidQuery},
    paging::{Limit, Offset},
    state::AppState,
};

/// A background job and its progress.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobOut {
    pub id: Uuid,
    /// Job kind, e.g. `cluster`, `process_file`.
    pub kind: String,
    /// queued, running, completed, failed or cancelled.
    pub status: String,
    /// 0-100.
    pub progress: i16,
    /// What the job is doing now, or why it waits.
    pub message: Option<String>,
    pub params: serde_json::Value,
    /// The job's summary once completed.
    pub result: Option<serde_json::Value>,
    /// Why the job failed (or why the last attempt failed, while retrying).
    pub error: Option<String>,
    pub attempts: i32,
    pub max_attempts: i32,
    /// `user:<id>`, `api_key:<id>`, `local` or `schedule`.
    pub requested_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<job_run::Model> for JobOut {
    fn from(j: job_run::Model) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status,
            progress: j.progress,
            message: j.message,
            params: j.params,
            result: j.result,
            error: j.error,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            requested_by: j.requested_by,
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
        }
    }
}

/// A page of jobs, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct JobListOut {
    pub jobs: Vec<JobOut>,
    /// Jobs matching the filter in all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

crate::allowed!(one_of(status::ALL) => known_status, status_schema);

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct JobQuery {
    /// Only jobs of this kind.
    #[validate(length(min = 1, max = 64))]
    pub kind: Option<String>,
    /// Only jobs in this status.
    #[validate(custom(function = "known_status"))]
    #[schemars(schema_with = "status_schema")]
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub limit: Limit<50, 200>,
    #[serde(default)]
    pub offset: Offset,
}

crate::id_path!(
    JobPath,
    "Job id (the `task_id` returned when the job was started)."
);

async fn get_job(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<JobPath>,
) -> Result<Json<JobOut>, ApiError> {
    let job = jobs::get(&state.db, auth.0.workspace_id, path.id).await?;
    Ok(Json(job.into()))
}

/// The SSE event for a job in `status`: `progress` while it may still change, else the
/// terminal status itself.
fn job_snapshot(job: job_run::Model) -> crate::sse::Snapshot {
    let event = match job.status.as_str() {
        status::COMPLETED => "completed",
        status::FAILED => "failed",
        status::CANCELLED => "cancelled",
        _ => "progress",
    };
    let data = serde_json::to_value(JobOut::from(job)).unwrap_or_default();
    crate::sse::Snapshot {
        event,
        last: event != "progress",
        data,
    }
}

async fn job_events(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<JobPath>,
) -> Result<axum::response::Response, ApiError> {
    let ws = auth.0.workspace_id;
    // Subscribe before the first read so no change between the two is missed.
    let rx = state.job_events.subscribe();
    jobs::get(&state.db, ws, path.id).await?;
    let db = state.db.clone();
    let id = path.id;
    Ok(crate::sse::watch(
        rx,
        move |change| change.id == id,
        move || {
            let db = db.clone();
            async move { Ok(job_snapshot(jobs::get(&db, ws, id).await?)) }
        },
    ))
}

async fn list_jobs(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<JobQuery>,
) -> Result<Json<JobListOut>, ApiError> {
    let filter = JobFilter {
        kind: q.kind,
        status: q.status,
        limit: q.limit.get(),
        offset: q.offset.get(),
    };
    let (rows, total) = jobs::list(&state.db, auth.0.workspace_id, &filter).await?;
    Ok(Json(JobListOut {
        jobs: rows.into_iter().map(JobOut::from).collect(),
        total,
        limit: q.limit.get(),
        offset: q.offset.get(),
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/jobs",
            get_with(list_jobs, |op| {
                op.summary("List jobs")
                    .description("Background jobs of the caller's workspace, newest first.")
                    .tag("jobs")
            }),
        )
        .api_route(
            "/jobs/{id}",
            get_with(get_job, |op| {
                op.summary("Get a job")
                    .description("Status, progress, result or error of one job.")
                    .tag("jobs")
            }),
        )
        .api_route(
            "/jobs/{id}/events",
            get_with(job_events, |op| {
                op.summary("Follow a job")
                    .description(
                        "Server-Sent Events: the job (as `GET /jobs/{id}` shows it) at once as a `progress` event, \
                         again whenever its status, progress or message changes, and a final `completed`, \
                         `failed` or `cancelled` event, after which the stream ends. A `: heartbeat` comment \
                         every 15 s keeps proxies from closing an idle stream. Changes arrive through \
                         PostgreSQL notifications, so any API replica can serve the stream; polling \
                         `GET /jobs/{id}` keeps working.",
                    )
                    .tag("jobs")
                    .response_with::<200, crate::sse::EventStream, _>(|r| r.description("The job's progress as events"))
            }),
        )
}
