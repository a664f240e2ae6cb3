//! `/cluster/*`: start clustering (one run per workspace at a time) and follow it.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use shared::{
    auth::Role,
    jobs::status,
    services::jobs::{
        self, JobSpec, NewJob, StartOutcome,
        contract::{Cluster, NoParams},
    },
};
use uuid::Uuid;

use crate::{auth::Auth, error::ApiError, state::AppState};

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClusterRunOut {
    /// `accepted` or `already_running`.
    pub status: &'static str,
    pub message: &'static str,
    /// The clustering job (new, or the one already running); poll `GET /jobs/{task_id}`.
    pub task_id: Uuid,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClusterStatusOut {
    pub is_running: bool,
    /// idle, queued, running, completed or failed.
    pub status: String,
    pub started_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub themes_created: Option<u64>,
    pub insights_created: Option<u64>,
    pub error: Option<String>,
    /// 0-100.
    pub progress: i16,
    pub message: Option<String>,
    /// Share of embedded feedback that ended in a theme.
    pub coverage: Option<f64>,
    /// Themes a PM curated that the run kept as they were shaped (new feedback may have
    /// joined them).
    pub curated_themes: Option<u64>,
    pub task_id: Option<Uuid>,
}

async fn run_clustering(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<ClusterRunOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let new = NewJob::of::<Cluster>(&state.settings.jobs, p.workspace_id, &NoParams {})
        .requested_by(p.label())
        .singleton();
    Ok(Json(
        match jobs::start(&state.db, &state.queue, new).await? {
            StartOutcome::Started(job) => ClusterRunOut {
                status: "accepted",
                message: "Clustering task started in background",
                task_id: job.id,
            },
            StartOutcome::AlreadyRunning(job) => ClusterRunOut {
                status: "already_running",
                message: "Clustering task is already running",
                task_id: job.id,
            },
            StartOutcome::Duplicate => {
                return Err(ApiError::new(
                    axum::http::StatusCode::CONFLICT,
                    "a clustering run is already scheduled",
                ));
            }
        },
    ))
}

async fn cluster_status(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<ClusterStatusOut>, ApiError> {
    Ok(Json(status_of(&state.db, auth.0.workspace_id).await?))
}

/// `/cluster/status` as events: the status at once, then each change; the stream ends with
/// the run's terminal state (at once when no run is queued or running).
async fn cluster_events(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<axum::response::Response, ApiError> {
    let ws = auth.0.workspace_id;
    let rx = state.job_events.subscribe();
    status_of(&state.db, ws).await?;
    let db = state.db.clone();
    Ok(crate::sse::watch(
        rx,
        move |change| change.workspace_id == Some(ws) && change.kind == Cluster::KIND,
        move || {
            let db = db.clone();
            async move {
                let out = status_of(&db, ws).await?;
                Ok(crate::sse::Snapshot {
                    event: if out.is_running { "status" } else { "end" },
                    last: !out.is_running,
                    data: serde_json::to_value(&out).unwrap_or_default(),
                })
            }
        },
    ))
}

async fn status_of(
    db: &sea_orm::DatabaseConnection,
    workspace_id: Uuid,
) -> Result<ClusterStatusOut, shared::DomainError> {
    let latest = jobs::latest_of_kind(db, workspace_id, Cluster::KIND).await?;
    let Some(job) = latest else {
        return Ok(ClusterStatusOut {
            is_running: false,
            status: "idle".into(),
            started_at: None,
            completed_at: None,
            themes_created: None,
            insights_created: None,
            error: None,
            progress: 0,
            message: None,
            coverage: None,
            curated_themes: None,
            task_id: None,
        });
    };
    let summary = jobs::result_of::<Cluster>(&job).map(|r| r.summary);
    Ok(ClusterStatusOut {
        is_running: [status::QUEUED, status::RUNNING].contains(&job.status.as_str()),
        status: job.status.clone(),
        started_at: job.started_at,
        completed_at: job.finished_at,
        themes_created: summary.as_ref().map(|s| s.themes as u64),
        insights_created: summary.as_ref().map(|s| s.insights as u64),
        error: job.error.clone(),
        progress: job.progress,
        message: job
            .message
            .clone()
            .or_else(|| summary.as_ref().map(|s| s.message.clone())),
        coverage: summary.as_ref().map(|s| s.coverage),
        curated_themes: summary.map(|s| s.curated as u64),
        task_id: Some(job.id),
    })
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/cluster/run",
            post_with(run_clustering, |op| {
                op.summary("Start clustering")
                    .description(
                        "Groups the workspace's embedded feedback into themes and writes an insight per theme, as a \
                         background job. At most one run per workspace: a second request answers `already_running` \
                         with the running job. Editors and admins.",
                    )
                    .tag("clustering")
            }),
        )
        .api_route(
            "/cluster/status",
            get_with(cluster_status, |op| {
                op.summary("Clustering status").description("State of the workspace's latest clustering run.").tag("clustering")
            }),
        )
        .api_route(
            "/cluster/events",
            get_with(cluster_events, |op| {
                op.summary("Follow clustering")
                    .description(
                        "Server-Sent Events carrying what `GET /cluster/status` answers: a `status` event at once and at \
                         each change of the latest run's status, progress or message while it is queued or running, \
                         then an `end` event with its final state (completed or failed), after which the stream \
                         ends. With no run queued or running the stream is the `end` event alone. A `: heartbeat` \
                         comment every 15 s keeps idle streams open; polling `/cluster/status` keeps working.",
                    )
                    .tag("clustering")
                    .response_with::<200, crate::sse::EventStream, _>(|r| r.description("The latest run's status as events"))
            }),
        )
}
