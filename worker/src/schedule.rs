//! Cron schedules. Every worker process registers them, so the schedule survives any one
//! worker; each tick creates its job run with the tick time as dedupe key, so the database
//! lets exactly one process create it however many fire.

use std::{str::FromStr, sync::Arc};

use anyhow::Context as _;
use apalis::prelude::{Data, Monitor, WorkerBuilder};
use apalis_cron::{CronScheduler, Tick};
use shared::{
    config::JobSettings,
    services::jobs::{
        self, JobSpec, NewJob, StartOutcome,
        contract::{Maintenance, SlackDigest, SyncSchedule, TokenRefresh},
    },
};

use crate::Runtime;

/// A job kind fired on a cron schedule, and how a tick's run of it is made.
#[derive(Clone, Copy)]
struct Scheduled {
    kind: &'static str,
    new_job: fn(&JobSettings, u64) -> NewJob,
}

pub fn register(monitor: Monitor, rt: Arc<Runtime>) -> anyhow::Result<Monitor> {
    let w = &rt.settings.worker;
    let mut monitor = monitor;
    let schedules: [(Scheduled, &String, &str); 4] = [
        (
            Scheduled {
                kind: Maintenance::KIND,
                new_job: NewJob::for_tick::<Maintenance>,
            },
            &w.maintenance_schedule,
            "worker.maintenance_schedule",
        ),
        (
            Scheduled {
                kind: TokenRefresh::KIND,
                new_job: NewJob::for_tick::<TokenRefresh>,
            },
            &w.token_refresh_schedule,
            "worker.token_refresh_schedule",
        ),
        (
            Scheduled {
                kind: SyncSchedule::KIND,
                new_job: NewJob::for_tick::<SyncSchedule>,
            },
            &w.sync_schedule,
            "worker.sync_schedule",
        ),
        (
            Scheduled {
                kind: SlackDigest::KIND,
                new_job: NewJob::for_tick::<SlackDigest>,
            },
            &w.digest_schedule,
            "worker.digest_schedule",
        ),
    ];
    for (scheduled, expr, key) in schedules {
        let kind = scheduled.kind;
        let schedule = cron::Schedule::from_str(expr)
            .with_context(|| format!("{key} {expr:?} is not a valid cron expression"))?;
        let name = format!("{}-cron-{kind}", rt.name);
        let rt = rt.clone();
        monitor = monitor.register(move |restarts| {
            WorkerBuilder::new(format!("{name}-{restarts}"))
                .backend(CronScheduler::new(schedule.clone()))
                .data(rt.clone())
                .data(scheduled)
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
    let new = (scheduled.new_job)(&rt.settings.jobs, tick.get_timestamp());
    match jobs::start(&rt.db, &rt.queue, new).await {
        Ok(StartOutcome::Started(job)) => {
            tracing::info!(job = %job.id, kind, "scheduled job enqueued")
        }
        Ok(_) => tracing::debug!(kind, "tick already taken by another worker"),
        Err(e) => tracing::warn!(error = %e, kind, "could not schedule the job"),
    }
    Ok(())
}
