//! Cron schedules. Every worker process registers them, so the schedule survives any one
//! worker; each tick creates its job run with the tick time as dedupe key, so the database
//! lets exactly one process create it however many fire.

use std::{str::FromStr, sync::Arc};

use anyhow::Context as _;
use apalis::prelude::{Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use shared::{
    jobs::kinds,
    services::jobs::{self, NewJob, StartOutcome},
};

use crate::Runtime;

pub fn register(monitor: Monitor, rt: Arc<Runtime>) -> anyhow::Result<Monitor> {
    let expr = rt.settings.worker.maintenance_schedule.clone();
    let schedule = cron::Schedule::from_str(&expr).with_context(|| {
        format!("worker.maintenance_schedule {expr:?} is not a valid cron expression")
    })?;
    let name = format!("{}-cron-maintenance", rt.name);
    Ok(monitor.register(move |restarts| {
        WorkerBuilder::new(format!("{name}-{restarts}"))
            .backend(CronScheduler::new(schedule.clone()))
            .data(rt.clone())
            .build(maintenance_tick)
    }))
}

async fn maintenance_tick(
    tick: Tick,
    rt: Data<Arc<Runtime>>,
) -> Result<(), apalis::prelude::BoxDynError> {
    let limits = rt.settings.jobs.limits_for(kinds::MAINTENANCE);
    let new = NewJob {
        workspace_id: None,
        kind: kinds::MAINTENANCE.to_owned(),
        params: serde_json::json!({ "tick": tick.get_timestamp() }),
        requested_by: Some("schedule".to_owned()),
        singleton: false,
        dedupe_key: Some(format!("tick:{}", tick.get_timestamp())),
        max_attempts: limits.max_attempts,
    };
    match jobs::start(&rt.db, &rt.queue, new).await {
        Ok(StartOutcome::Started(job)) => {
            tracing::info!(job = %job.id, "scheduled maintenance enqueued")
        }
        Ok(_) => tracing::debug!("maintenance tick already taken by another worker"),
        Err(e) => tracing::warn!(error = %e, "could not schedule maintenance"),
    }
    Ok(())
}
