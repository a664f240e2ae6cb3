//! Hourly housekeeping: expired refresh tokens, old job runs, finished apalis data.

use std::time::Duration;

use apalis_core::backend::Vacuum;
use serde_json::{Value, json};
use shared::services::maintenance;

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext) -> Result<Value, JobError> {
    ctx.progress(10, "pruning tokens and job runs").await?;
    let report = maintenance::prune(ctx.db(), ctx.settings().jobs.retention_days).await?;
    ctx.progress(60, "vacuuming finished queue data").await?;
    let keep = Duration::from_secs(ctx.settings().worker.apalis_retention_secs);
    let mut vacuumed = 0usize;
    for kind in ctx.registry().kinds() {
        let mut storage = ctx.queue().storage(&kind);
        vacuumed += storage
            .vacuum_before(keep)
            .await
            .map_err(|e| JobError::transient(format!("vacuuming {kind} queue: {e}")))?;
    }
    Ok(json!({
        "refresh_tokens_deleted": report.refresh_tokens_deleted,
        "job_runs_deleted": report.job_runs_deleted,
        "slack_events_deleted": report.slack_events_deleted,
        "queue_entries_vacuumed": vacuumed,
    }))
}
