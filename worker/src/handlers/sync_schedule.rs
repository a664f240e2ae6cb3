//! Every 5 minutes (cluster-wide, once per tick): starts the sync of each connected source
//! whose last sync is older than `integrations.sync_interval_secs`. A source already syncing
//! is left to finish (its job is a singleton per workspace).

use shared::services::{
    integrations::connections,
    jobs::{
        self, StartOutcome,
        contract::{SyncScheduleOutcome, Tick},
    },
};

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext, _: Tick) -> Result<SyncScheduleOutcome, JobError> {
    let interval = ctx.settings().integrations.sync_interval_secs;
    let due = connections::due_syncs(ctx.db(), interval).await?;
    let (mut started, mut running) = (0, 0);
    for &(workspace_id, source) in &due {
        let jobs_settings = &ctx.settings().jobs;
        let Some(new) = jobs::vendor_sync(jobs_settings, workspace_id, source, Default::default())
        else {
            continue;
        };
        let new = new.requested_by("schedule");
        match jobs::start(ctx.db(), ctx.queue(), new).await? {
            StartOutcome::Started(_) => started += 1,
            _ => running += 1,
        }
    }
    Ok(SyncScheduleOutcome {
        due: due.len(),
        started,
        already_running: running,
    })
}
