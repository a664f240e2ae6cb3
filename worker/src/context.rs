//! What a job handler receives.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use shared::{
    config::Settings,
    entities::job_run,
    jobs::{CancelFlag, JobQueue},
};

use crate::{JobError, Runtime};

#[derive(Clone)]
pub struct JobContext {
    /// The claimed run: id, workspace, params, attempt number.
    pub job: job_run::Model,
    runtime: Arc<Runtime>,
    cancel: CancelFlag,
}

impl JobContext {
    pub(crate) fn new(job: job_run::Model, runtime: Arc<Runtime>, cancel: CancelFlag) -> Self {
        Self {
            job,
            runtime,
            cancel,
        }
    }

    /// Raised when this run timed out or another worker took it over; long loops check it.
    pub fn cancel_flag(&self) -> &CancelFlag {
        &self.cancel
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.runtime.db
    }

    pub fn queue(&self) -> &JobQueue {
        &self.runtime.queue
    }

    pub fn settings(&self) -> &Settings {
        &self.runtime.settings
    }

    pub fn worker_name(&self) -> &str {
        &self.runtime.name
    }

    pub fn ai(&self) -> &shared::ai::AiServices {
        &self.runtime.ai
    }

    /// Who the job's model calls are made for: its workspace, and whoever asked for it.
    pub fn run_context(&self) -> Result<shared::ai::runs::RunContext, JobError> {
        let owner = self
            .job
            .requested_by
            .clone()
            .unwrap_or_else(|| format!("job:{}", self.job.id));
        Ok(shared::ai::runs::RunContext::for_workspace(
            self.workspace_id()?,
            owner,
        ))
    }

    /// The embedder, its remote calls logged as this job's runs.
    pub async fn embedder(
        &self,
    ) -> Result<std::sync::Arc<dyn shared::ai::embeddings::Embedder>, JobError> {
        Ok(self.ai().embedder_for(&self.run_context()?).await?)
    }

    /// The workspace this job belongs to (every product job has one).
    pub fn workspace_id(&self) -> Result<uuid::Uuid, JobError> {
        self.job
            .workspace_id
            .ok_or_else(|| JobError::permanent("this job has no workspace"))
    }

    pub fn registry(&self) -> &crate::JobRegistry {
        &self.runtime.registry
    }

    /// Records progress (0-100) and a human message, visible through `GET /jobs/{id}`.
    pub async fn progress(&self, percent: u8, message: &str) -> Result<(), JobError> {
        crate::lifecycle::set_progress(
            self.db(),
            self.job.id,
            &self.runtime.name,
            percent,
            message,
        )
        .await?;
        Ok(())
    }
}
