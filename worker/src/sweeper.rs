//! Recovers jobs that would otherwise be lost: queued but never delivered, or running on a
//! worker that died. Every worker process sweeps; row locks keep sweeps from colliding.

use std::{sync::Arc, time::Duration};

use shared::services::jobs;

use crate::{Runtime, recovery};

/// Every tick: tell the others this worker (and the kinds it consumes) is alive, then sweep.
pub async fn run(rt: Arc<Runtime>, kinds: Vec<String>) {
    let mut tick =
        tokio::time::interval(Duration::from_secs(rt.settings.worker.sweep_interval_secs));
    loop {
        tick.tick().await;
        if let Err(e) = recovery::heartbeat(&rt.db, &rt.name, &kinds).await {
            tracing::warn!(error = %e, "could not record the worker heartbeat");
        }
        sweep_once(&rt).await;
        if rt.registry.get(shared::jobs::kinds::EMBED).is_some() {
            embed_stragglers(&rt).await;
        }
    }
}

pub async fn sweep_once(rt: &Runtime) {
    let limits = recovery::SweepLimits {
        queued_timeout: Duration::from_secs(rt.settings.jobs.queued_timeout_secs),
        no_worker_timeout: Duration::from_secs(rt.settings.jobs.no_worker_timeout_secs),
    };
    match recovery::sweep(&rt.db, &rt.queue, limits, &rt.sweep_position).await {
        Ok(report) => {
            if !report.failed.is_empty() {
                tracing::warn!(
                    count = report.failed.len(),
                    "sweeper failed jobs that could not be recovered"
                );
                crate::runner::release_failed_uploads(rt, &report.failed).await;
            }
            for (id, kind) in report.requeued {
                tracing::info!(job = %id, %kind, "sweeper re-enqueued a lost job");
            }
        }
        Err(e) => tracing::warn!(error = %e, "sweep failed"),
    }
}

/// Starts embed jobs for feedback that was stored just as a previous embed job finished.
pub async fn embed_stragglers(rt: &Runtime) {
    let quiet = Duration::from_secs(rt.settings.jobs.queued_timeout_secs.max(10));
    match recovery::workspaces_needing_embedding(&rt.db, quiet).await {
        Ok(workspaces) => {
            for ws in workspaces {
                if let Err(e) =
                    jobs::request_embedding(&rt.db, &rt.queue, &rt.settings.jobs, ws).await
                {
                    tracing::warn!(workspace = %ws, error = %e, "could not start embedding");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "looking for unembedded feedback failed"),
    }
}
