//! Routes that start a job and answer with it (uploads, ingestion, syncs, VOC scoring,
//! competitive research): one rule for how long they wait, and one answer for each way the
//! job can stand when the wait ends — 200 done, 202 still running, 502 failed.

use std::{convert::Infallible, time::Duration};

use aide::{OperationInput, generate::GenContext, openapi::Operation};
use axum::{
    Json,
    extract::FromRequestParts,
    http::{StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use shared::{entities::job_run, jobs::status, services::jobs};
use uuid::Uuid;

use crate::{error::ApiError, state::AppState, timeout::RequestDeadline};

/// `Prefer: respond-async` asks for 202 and a job to poll instead of waiting.
pub struct PreferAsync(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for PreferAsync {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let wants = parts
            .headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|p| p.trim().eq_ignore_ascii_case("respond-async"));
        Ok(Self(wants))
    }
}

impl OperationInput for PreferAsync {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        let param = aide::openapi::Parameter::Header {
            parameter_data: aide::openapi::ParameterData {
                name: "Prefer".into(),
                description: Some(
                    "`respond-async`: answer 202 with the job at once instead of waiting".into(),
                ),
                required: false,
                deprecated: None,
                format: aide::openapi::ParameterSchemaOrContent::Schema(
                    aide::openapi::SchemaObject {
                        json_schema: schemars::json_schema!({"type": "string"}),
                        external_docs: None,
                        example: None,
                    },
                ),
                example: None,
                examples: Default::default(),
                explode: None,
                extensions: Default::default(),
            },
            style: aide::openapi::HeaderStyle::Simple,
        };
        operation
            .parameters
            .push(aide::openapi::ReferenceOr::Item(param));
    }
}

/// How long this request may wait for its jobs: `jobs.sync_wait_secs`, cut short so the
/// route's own timeout never fires after the work was committed (a client told to try
/// again would repeat it); zero with `Prefer: respond-async`. Measured when the wait
/// starts, after the body was read.
#[derive(Debug, Clone, Copy)]
pub struct WaitBound {
    wanted: Duration,
    deadline: Option<RequestDeadline>,
}

impl WaitBound {
    /// The wait left from now.
    pub fn from_now(&self) -> Duration {
        match self.deadline {
            Some(d) => self.wanted.min(d.remaining().saturating_sub(ANSWER_MARGIN)),
            None => self.wanted,
        }
    }
}

/// Left for building and sending the answer after the wait.
const ANSWER_MARGIN: Duration = Duration::from_secs(2);

impl FromRequestParts<AppState> for WaitBound {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Infallible> {
        let PreferAsync(prefer_async) = PreferAsync::from_request_parts(parts, state).await?;
        Ok(Self {
            wanted: if prefer_async {
                Duration::ZERO
            } else {
                Duration::from_secs(state.settings.jobs.sync_wait_secs)
            },
            deadline: parts.extensions.get::<RequestDeadline>().copied(),
        })
    }
}

impl OperationInput for WaitBound {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        PreferAsync::operation_input(ctx, operation);
    }
}

/// Waits for the workspace's `job` within the bound; the run as last seen.
pub async fn settle(
    state: &AppState,
    workspace_id: Uuid,
    job: job_run::Model,
    bound: WaitBound,
) -> Result<job_run::Model, ApiError> {
    Ok(
        jobs::wait_for(&state.db, workspace_id, &[job.id], bound.from_now())
            .await?
            .pop()
            .unwrap_or(job),
    )
}

/// Where the work stands when the wait ends, with the body each answer carries.
pub enum Standing<T> {
    Done(T),
    /// Why it failed (or that it was cancelled).
    Failed(String),
    Running(T),
}

impl<T> Standing<T> {
    /// A job run's standing: `done` is the body of a completed run, `running` that of one
    /// still queued or running.
    pub fn of_job(
        job: &job_run::Model,
        done: impl FnOnce(&job_run::Model) -> T,
        running: impl FnOnce(&job_run::Model) -> T,
    ) -> Self {
        match job.status.as_str() {
            status::COMPLETED => Self::Done(done(job)),
            status::FAILED | status::CANCELLED => Self::Failed(
                job.error
                    .clone()
                    .unwrap_or_else(|| format!("the job was {}", job.status)),
            ),
            _ => Self::Running(running(job)),
        }
    }
}

/// How a route names its work when it fails, and where a client polls while it runs.
pub struct Answer<'a> {
    /// e.g. "the Zoom sync", "VOC scoring".
    pub what: &'a str,
    /// The error `code` of a failure.
    pub failure_code: &'static str,
    /// The `Location` of a 202.
    pub poll: String,
}

impl Answer<'_> {
    pub fn respond<T: Serialize>(self, standing: Standing<T>) -> Result<Response, ApiError> {
        match standing {
            Standing::Done(body) => Ok(Json(body).into_response()),
            Standing::Running(body) => Ok((
                StatusCode::ACCEPTED,
                [(header::LOCATION, self.poll)],
                Json(body),
            )
                .into_response()),
            Standing::Failed(reason) => {
                tracing::warn!(what = self.what, %reason, "the job behind a request failed");
                Err(ApiError {
                    code: self.failure_code,
                    ..ApiError::new(
                        StatusCode::BAD_GATEWAY,
                        format!("{} failed: {reason}", self.what),
                    )
                })
            }
        }
    }

    /// Polling the job itself.
    pub fn poll_job<'a>(
        what: &'a str,
        failure_code: &'static str,
        job: &job_run::Model,
    ) -> Answer<'a> {
        Answer {
            what,
            failure_code,
            poll: format!("/jobs/{}", job.id),
        }
    }
}
