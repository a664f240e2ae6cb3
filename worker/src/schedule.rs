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

/// A job kind fired on a cron schedule.
#[derive(Clone, Copy)]
struct Scheduled {
    kind: &'static str,
}

pub fn register(monitor: Monitor, rt: Arc<Runtime>) -> anyhow::Result<Monitor> {
    let w = &rt.settings.worker;
    let mut monitor = monitor;
    for (kind, expr, key) in [
        (
            kinds::MAINTENANCE,
            w.maintenance_schedule.clone(),
            "worker.maintenance_schedule",
        ),
        (
            kinds::TOKEN_REFRESH,
            w.token_refresh_schedule.clone(),
            "worker.token_refresh_schedule",
        ),
        (
            kinds::SYNC_SCHEDULE,
            w.sync_schedule.clone(),
            "worker.sync_schedule",
        ),
    ] {
        let schedule = cron::Schedule::from_str(&expr)
            .with_context(|| format!("{key} {expr:?} is not a valid cron expression"))?;
        let name = format!("{}-cron-{kind}", rt.name);
        let rt = rt.clone();
        monitor = monitor.register(move |restarts| {
            WorkerBuilder::new(format!("{name}-{restarts}"))
                .backend(CronScheduler::new(schedule.clone()))
                .data(rt.clone())
                .data(Scheduled { kind })
                .build(tick)
        });
    }
    Ok(monitor)
}

async fn tick(
    tick: Tick,
    rt: Data<Arc<Runtime>>,
    scheduled: Data<Scheduled>,
) -> Result<(), apalis::prelude::BoxDynError> {
    let kind = scheduled.kind;
    let limits = rt.settings.jobs.limits_for(kind);
    let new = NewJob {
        workspace_id: None,
        kind: kind.to_owned(),
        params: serde_json::json!({ "tick": tick.get_timestamp() }),
        requested_by: Some("schedule".to_owned()),
        singleton: false,
        dedupe_key: Some(format!("tick:{}", tick.get_timestamp())),
        max_attempts: limits.max_attempts,
    };
    match jobs::start(&rt.db, &rt.queue, new).await {
        Ok(StartOutcome::Started(job)) => {
            tracing::info!(job = %job.id, kind, "scheduled job enqueued")
        }
        Ok(_) => tracing::debug!(kind, "tick already taken by another worker"),
        Err(e) => tracing::warn!(error = %e, kind, "could not schedule the job"),
    }
    Ok(())
}
