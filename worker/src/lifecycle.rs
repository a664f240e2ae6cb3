//! The worker's side of a run's life: claim it, hold its lease, report progress, record
//! how it ended (or put it back for a retry). Every write checks that this worker still
//! holds the run, so a run taken over after a lapsed lease cannot be finished twice.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::Value;
use shared::{
    DomainError,
    db::statement as raw,
    entities::job_run,
    jobs::{new_task_id, status},
};
use uuid::Uuid;

/// Takes a queued run (or a running one whose worker's lease lapsed) for this worker.
/// `None` when another worker has it or it already finished: the delivery is a duplicate.
pub async fn claim(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    lease: Duration,
) -> Result<Option<job_run::Model>, DomainError> {
    let sql = "UPDATE job_runs SET status = 'running', attempts = attempts + 1, worker = $2, \
               lease_until = now() + make_interval(secs => $3), started_at = now(), \
               message = 'running', updated_at = now() \
               WHERE id = $1 AND ((status = 'queued' AND enqueued_at <= now()) \
                                  OR (status = 'running' AND lease_until < now())) \
               RETURNING *";
    Ok(job_run::Entity::find()
        .from_raw_sql(raw(
            sql,
            vec![id.into(), worker.into(), lease.as_secs_f64().into()],
        ))
        .one(db)
        .await?)
}

/// For a queued run not yet due (retry backoff): its kind and how long until it is due.
pub async fn not_due_for(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<(String, Duration)>, DomainError> {
    let row = job_run::Entity::find_by_id(id).one(db).await?;
    Ok(row.filter(|j| j.status == status::QUEUED).and_then(|j| {
        (j.enqueued_at - Utc::now())
            .to_std()
            .ok()
            .map(|wait| (j.kind, wait))
    }))
}

/// Extends this worker's lease; false when the run is no longer ours.
pub async fn renew_lease(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    lease: Duration,
) -> Result<bool, DomainError> {
    let sql = "UPDATE job_runs SET lease_until = now() + make_interval(secs => $3) \
               WHERE id = $1 AND worker = $2 AND status = 'running'";
    let res = db
        .execute_raw(raw(
            sql,
            vec![id.into(), worker.into(), lease.as_secs_f64().into()],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

pub async fn set_progress(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    progress: u8,
    message: &str,
) -> Result<(), DomainError> {
    let sql = "UPDATE job_runs SET progress = $3, message = $4, updated_at = now() \
               WHERE id = $1 AND worker = $2 AND status = 'running'";
    db.execute_raw(raw(
        sql,
        vec![
            id.into(),
            worker.into(),
            (progress.min(100) as i16).into(),
            message.into(),
        ],
    ))
    .await?;
    Ok(())
}

pub async fn complete(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    result: Value,
) -> Result<bool, DomainError> {
    let sql = "UPDATE job_runs SET status = 'completed', progress = 100, message = 'completed', \
               result = $3, error = NULL, lease_until = NULL, finished_at = now(), updated_at = now() \
               WHERE id = $1 AND worker = $2 AND status = 'running'";
    let res = db
        .execute_raw(raw(sql, vec![id.into(), worker.into(), result.into()]))
        .await?;
    Ok(res.rows_affected() == 1)
}

pub async fn fail(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    error: &str,
) -> Result<bool, DomainError> {
    let sql = "UPDATE job_runs SET status = 'failed', message = 'failed', error = $3, \
               lease_until = NULL, finished_at = now(), updated_at = now() \
               WHERE id = $1 AND worker = $2 AND status = 'running'";
    let res = db
        .execute_raw(raw(sql, vec![id.into(), worker.into(), error.into()]))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Puts a run back in the queue after a transient error; it is due again after `delay`,
/// carried by queue entry `task` (the caller pushes it when this returns true).
pub async fn requeue_for_retry(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    error: &str,
    delay: Duration,
    task: &str,
) -> Result<bool, DomainError> {
    let sql = "UPDATE job_runs SET status = 'queued', worker = NULL, lease_until = NULL, error = $3, queue_task = $5, \
               message = format('retrying in %s s after attempt %s of %s', round($4::numeric, 1), attempts, max_attempts), \
               enqueued_at = now() + make_interval(secs => $4), updated_at = now() \
               WHERE id = $1 AND worker = $2 AND status = 'running'";
    let res = db
        .execute_raw(raw(
            sql,
            vec![
                id.into(),
                worker.into(),
                error.into(),
                delay.as_secs_f64().into(),
                task.into(),
            ],
        ))
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Gives a queued run a new queue entry id (for a delivery that came too early and is
/// pushed again); `None` when the run is no longer queued.
pub async fn renew_queue_task(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<String>, DomainError> {
    let task = new_task_id();
    let res = db
        .execute_raw(raw(
            "UPDATE job_runs SET queue_task = $2 WHERE id = $1 AND status = 'queued'",
            vec![id.into(), task.clone().into()],
        ))
        .await?;
    Ok((res.rows_affected() == 1).then_some(task))
}
