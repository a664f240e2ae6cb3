//! Hourly housekeeping: expired refresh tokens, old job runs, finished apalis data.

use std::time::Duration;

use apalis_core::backend::Vacuum;
use shared::services::{
    jobs::contract::{MaintenanceOutcome, Tick},
    maintenance,
};

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext, _: Tick) -> Result<MaintenanceOutcome, JobError> {
    ctx.progress(10, "pruning tokens and job runs").await?;
    let pruned = maintenance::prune(ctx.db(), ctx.settings().jobs.retention_days).await?;
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
    Ok(MaintenanceOutcome {
        pruned,
        queue_entries_vacuumed: vacuumed,
    })
}
