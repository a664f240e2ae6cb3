//! Every 5 minutes (cluster-wide, once per tick): starts the sync of each connected source
//! whose last sync is older than `integrations.sync_interval_secs`. A source already syncing
//! is left to finish (its job is a singleton per workspace).

use serde_json::{Value, json};
use shared::services::{
    integrations::{connections, sync_kind},
    jobs::{self, NewJob, StartOutcome},
};

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext) -> Result<Value, JobError> {
    let interval = ctx.settings().integrations.sync_interval_secs;
    let due = connections::due_syncs(ctx.db(), interval).await?;
    let (mut started, mut running) = (0, 0);
    for (workspace_id, provider) in &due {
        let Some(kind) = sync_kind(provider) else {
            continue;
        };
        let new = NewJob::for_workspace(ctx.settings(), *workspace_id, kind, json!({}))
            .singleton()
            .requested_by("schedule".to_owned());
        match jobs::start(ctx.db(), ctx.queue(), new).await? {
            StartOutcome::Started(_) => started += 1,
            _ => running += 1,
        }
    }
    Ok(json!({ "due": due.len(), "started": started, "already_running": running }))
}
