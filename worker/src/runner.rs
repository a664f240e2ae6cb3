//! The one apalis job function: claim the run, execute its handler with a lease, a timeout
//! and panic capture, and record the outcome in `job_runs`. apalis itself never retries:
//! retries are scheduled here with exponential backoff and the configured attempt limit.

use std::{panic::AssertUnwindSafe, sync::Arc, time::Duration};

use apalis::prelude::{BoxDynError, Data};
use futures::FutureExt;
use shared::{
    entities::job_run,
    jobs::{CancelFlag, JobMessage, new_task_id},
};

use crate::{JobContext, JobError, Runtime, lifecycle};

/// Longer waits go back to the queue instead of holding a concurrency slot.
const MAX_INLINE_WAIT: Duration = Duration::from_secs(2);

pub async fn execute(msg: JobMessage, rt: Data<Arc<Runtime>>) -> Result<(), BoxDynError> {
    let rt: Arc<Runtime> = (*rt).clone();
    let lease = Duration::from_secs(rt.settings.jobs.lease_secs);
    // apalis schedules with whole-second precision; honour the exact backoff here.
    if let Some((kind, wait)) = lifecycle::not_due_for(&rt.db, msg.job_id).await? {
        if wait > MAX_INLINE_WAIT {
            if let Some(task) = lifecycle::renew_queue_task(&rt.db, msg.job_id).await? {
                rt.queue.enqueue(&kind, msg.job_id, &task, wait).await?;
            }
            return Ok(());
        }
        tokio::time::sleep(wait).await;
    }
    // A database error here is transient: returning it lets apalis redeliver the message.
    let Some(job) = lifecycle::claim(&rt.db, msg.job_id, &rt.name, lease).await? else {
        tracing::debug!(job = %msg.job_id, "duplicate delivery or finished job; skipped");
        return Ok(());
    };
    let waited = (chrono::Utc::now() - job.enqueued_at)
        .to_std()
        .unwrap_or_default();
    metrics::histogram!(shared::metrics::JOB_QUEUE_WAIT, "kind" => job.kind.clone())
        .record(waited.as_secs_f64());
    let span = tracing::info_span!("job", id = %job.id, kind = %job.kind, attempt = job.attempts);
    run_claimed(rt, job).instrument_in(span).await;
    Ok(())
}

trait InstrumentIn: Sized {
    fn instrument_in(self, span: tracing::Span) -> tracing::instrument::Instrumented<Self>;
}

impl<F: std::future::Future> InstrumentIn for F {
    fn instrument_in(self, span: tracing::Span) -> tracing::instrument::Instrumented<Self> {
        tracing::Instrument::instrument(self, span)
    }
}

async fn run_claimed(rt: Arc<Runtime>, job: job_run::Model) {
    let Some(handler) = rt.registry.get(&job.kind) else {
        record(
            &rt,
            &job,
            Err(JobError::permanent(format!(
                "no handler for job kind {:?}",
                job.kind
            ))),
        )
        .await;
        return;
    };
    let limits = rt.settings.jobs.limits_for(&job.kind);
    let started = std::time::Instant::now();
    let cancel = CancelFlag::new();
    let ctx = JobContext::new(job.clone(), rt.clone(), cancel.clone());
    let work = tokio::time::timeout(
        limits.timeout,
        AssertUnwindSafe(handler.run(ctx)).catch_unwind(),
    );
    // The lease is renewed from a task of its own: a handler that computes for seconds
    // between awaits must not starve its renewals (the run would be taken over while
    // healthy). Aborted when the handler ends, whichever way.
    let mut lease = AbortOnDrop(tokio::spawn(hold_lease(rt.clone(), job.id)));
    let outcome = tokio::select! {
        outcome = work => outcome,
        _ = &mut lease.0 => {
            // Another worker owns the run now: stop this copy (async work is dropped here,
            // blocking work sees the flag) and record nothing.
            cancel.cancel();
            tracing::warn!(job = %job.id, "lease lost; this copy of the job stopped without recording a result");
            observe(&job.kind, "taken_over", started);
            return;
        }
    };
    let result = match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(panic)) => {
            tracing::error!(panic = %panic_message(&panic), "job panicked");
            Err(JobError::permanent(
                "the job stopped on an internal error; the worker log has the details",
            ))
        }
        Err(_) => {
            cancel.cancel();
            Err(JobError::transient(format!(
                "timed out after {} s",
                limits.timeout.as_secs()
            )))
        }
    };
    let outcome = record(&rt, &job, result).await;
    observe(&job.kind, outcome, started);
}

fn observe(kind: &str, outcome: &'static str, started: std::time::Instant) {
    use shared::metrics::{JOB_DURATION, JOBS_FINISHED};
    metrics::counter!(JOBS_FINISHED, "kind" => kind.to_owned(), "outcome" => outcome).increment(1);
    metrics::histogram!(JOB_DURATION, "kind" => kind.to_owned(), "outcome" => outcome)
        .record(started.elapsed().as_secs_f64());
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Keeps the lease alive while the handler runs and returns once the lease is lost (the
/// run was re-queued or taken by another worker). A dead process stops renewing and the
/// sweeper hands the job to another worker.
async fn hold_lease(rt: Arc<Runtime>, id: uuid::Uuid) {
    let lease = Duration::from_secs(rt.settings.jobs.lease_secs);
    let mut tick = tokio::time::interval(lease / 3);
    tick.tick().await;
    loop {
        tick.tick().await;
        match lifecycle::renew_lease(&rt.db, id, &rt.name, lease).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(error = %e, "could not renew job lease"),
        }
    }
}

/// Failed jobs that processed an upload take their upload down with them, so the upload
/// answers and listings never show a file as still "stored".
pub(crate) async fn release_failed_uploads(rt: &Runtime, failures: &[(uuid::Uuid, String)]) {
    let keep = rt.settings.ingest.keep_uploaded_files;
    if let Err(e) = shared::services::uploads::mark_failed_for_jobs(&rt.db, failures, keep).await {
        tracing::warn!(error = %e, "could not mark the uploads of failed jobs");
    }
}

/// Stores the attempt's outcome; returns its metrics label (completed, failed, retried, or
/// taken_over when another worker owns the run by now).
async fn record(
    rt: &Runtime,
    job: &job_run::Model,
    result: Result<serde_json::Value, JobError>,
) -> &'static str {
    let mut terminal_error = None;
    let mut label = "failed";
    let written = match result {
        Ok(value) => {
            label = "completed";
            lifecycle::complete(&rt.db, job.id, &rt.name, value).await
        }
        Err(e @ JobError::Permanent(_)) => {
            tracing::warn!(error = %e.log_detail(), "job failed permanently");
            let msg = e.public_message();
            terminal_error = Some(msg.clone());
            lifecycle::fail(&rt.db, job.id, &rt.name, &msg).await
        }
        Err(e @ JobError::Transient(_)) if job.attempts < job.max_attempts => {
            label = "retried";
            let delay = backoff(rt, job.attempts as u32);
            tracing::info!(error = %e.log_detail(), ?delay, "job failed; will retry");
            let task = new_task_id();
            let res = lifecycle::requeue_for_retry(
                &rt.db,
                job.id,
                &rt.name,
                &e.public_message(),
                delay,
                &task,
            )
            .await;
            if matches!(res, Ok(true))
                && let Err(enqueue_err) = rt.queue.enqueue(&job.kind, job.id, &task, delay).await
            {
                tracing::warn!(error = %enqueue_err, "retry enqueue failed; the sweeper will pick it up");
            }
            res
        }
        Err(e @ JobError::Transient(_)) => {
            tracing::warn!(error = %e.log_detail(), attempts = job.attempts, "job failed");
            let msg = format!(
                "gave up after {} attempts: {}",
                job.attempts,
                e.public_message()
            );
            terminal_error = Some(msg.clone());
            lifecycle::fail(&rt.db, job.id, &rt.name, &msg).await
        }
    };
    if let (Ok(true), Some(msg)) = (&written, terminal_error) {
        release_failed_uploads(rt, &[(job.id, msg)]).await;
    }
    match written {
        Ok(true) => label,
        Ok(false) => {
            tracing::warn!(job = %job.id, "job was taken over by another worker; outcome dropped");
            "taken_over"
        }
        Err(e) => {
            tracing::error!(job = %job.id, error = %e, "could not record job outcome; the sweeper will retry it");
            label
        }
    }
}

/// base * 2^(attempt-1), capped.
pub fn backoff_delay(base_ms: u64, max_secs: u64, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(20);
    let ms = base_ms.saturating_mul(1u64 << exp);
    Duration::from_millis(ms).min(Duration::from_secs(max_secs))
}

fn backoff(rt: &Runtime, attempt: u32) -> Duration {
    backoff_delay(
        rt.settings.jobs.backoff_base_ms,
        rt.settings.jobs.backoff_max_secs,
        attempt,
    )
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::backoff_delay;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff_delay(1000, 300, 1), Duration::from_secs(1));
        assert_eq!(backoff_delay(1000, 300, 2), Duration::from_secs(2));
        assert_eq!(backoff_delay(1000, 300, 4), Duration::from_secs(8));
        assert_eq!(backoff_delay(1000, 300, 12), Duration::from_secs(300));
    }
}
