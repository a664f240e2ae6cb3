//! Recovery of runs that would otherwise be lost, and the heartbeats it relies on. Called
//! by every worker's sweeper; row locks keep concurrent sweeps from colliding.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use shared::{
    DomainError,
    db::statement as raw,
    jobs::{JobQueue, new_task_id},
};
use uuid::Uuid;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    /// Runs handed to the queue again: `(id, kind)`.
    pub requeued: Vec<(Uuid, String)>,
    /// Runs given up on: `(id, error)`.
    pub failed: Vec<(Uuid, String)>,
}

/// How long a sweep waits before it treats a queue entry as lost, and when it gives up on
/// a kind nobody consumes.
#[derive(Debug, Clone, Copy)]
pub struct SweepLimits {
    pub queued_timeout: Duration,
    pub no_worker_timeout: Duration,
}

/// Queued runs whose entry is checked against the queue per sweep, oldest first.
const SWEEP_CHECK_BATCH: u64 = 500;

/// Finds runs that would otherwise be lost and hands them to the queue again: running with
/// a lapsed lease (their worker died), or queued while their queue entry is gone (a lost
/// enqueue, a Redis restart). A run still in the queue only waits its turn, however long
/// the backlog. Runs fail only when out of attempts, or when no worker for their kind has
/// been alive for `no_worker_timeout`. Safe to run on every worker at once.
pub async fn sweep(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    limits: SweepLimits,
    position: &SweepPosition,
) -> Result<SweepReport, DomainError> {
    let no_worker = limits.no_worker_timeout.as_secs_f64();
    let fail_sql = "UPDATE job_runs j SET status = 'failed', message = 'failed', lease_until = NULL, \
        finished_at = now(), updated_at = now(), \
        error = CASE WHEN status = 'running' \
            THEN format('the worker running this job stopped responding (attempt %s of %s)', attempts, max_attempts) \
            ELSE format('no worker for %s jobs has been running for %s; start a worker that consumes this queue and run the job again', \
                        kind, justify_interval(make_interval(secs => round($1::numeric)::float8))) END \
        WHERE id IN (SELECT id FROM job_runs q WHERE \
            (q.status = 'running' AND q.lease_until < now() AND q.attempts >= q.max_attempts) \
            OR (q.status = 'queued' AND q.enqueued_at < now() - make_interval(secs => $1) \
                AND NOT EXISTS (SELECT 1 FROM worker_heartbeats w WHERE q.kind = ANY (w.kinds) \
                                AND w.seen_at > now() - make_interval(secs => $1))) \
            FOR UPDATE SKIP LOCKED) \
        RETURNING id, error";
    let mut failed = Vec::new();
    for row in db
        .query_all_raw(raw(fail_sql, vec![no_worker.into()]))
        .await?
    {
        failed.push((
            row.try_get::<Uuid>("", "id")?,
            row.try_get::<Option<String>>("", "error")?
                .unwrap_or_default(),
        ));
    }
    let lapsed_sql = "UPDATE job_runs SET status = 'queued', worker = NULL, lease_until = NULL, \
        message = 're-queued: its worker stopped responding', enqueued_at = now(), \
        queue_task = gen_random_uuid()::text, updated_at = now() \
        WHERE id IN (SELECT id FROM job_runs WHERE status = 'running' AND lease_until < now() \
                     FOR UPDATE SKIP LOCKED) \
        RETURNING id, kind, queue_task";
    let mut to_push = Vec::new();
    for row in db.query_all_raw(raw(lapsed_sql, vec![])).await? {
        to_push.push((
            row.try_get::<Uuid>("", "id")?,
            row.try_get::<String>("", "kind")?,
            row.try_get::<String>("", "queue_task")?,
        ));
    }
    to_push.extend(lost_entries(db, queue, limits.queued_timeout, position).await?);
    let mut requeued = Vec::with_capacity(to_push.len());
    for (id, kind, task) in to_push {
        if let Err(e) = queue.enqueue(&kind, id, &task, Duration::ZERO).await {
            tracing::warn!(job = %id, error = %e, "re-enqueue failed; the next sweep retries");
        }
        requeued.push((id, kind));
    }
    Ok(SweepReport { requeued, failed })
}

/// Where a sweep's scan for lost queue entries stopped, so the next one goes on from there:
/// (enqueued_at, id) of the last run it checked, or None to start from the oldest.
pub type SweepPosition = std::sync::Mutex<Option<(chrono::DateTime<chrono::Utc>, Uuid)>>;

/// Pages of `SWEEP_CHECK_BATCH` runs one sweep checks at most; the next sweep continues.
const SWEEP_MAX_PAGES: usize = 40;

/// Queued runs, due for at least `queued_timeout`, whose queue entry is gone; each gets a
/// new entry id (returned for pushing) and its re-push counted. The scan pages through every
/// due run by (enqueued_at, id) from where the last sweep stopped: scanning only the oldest
/// page each time pinned recovery on runs whose entries were alive (a kind nobody consumes),
/// so after a Redis restart the runs behind them were never re-pushed.
async fn lost_entries(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    queued_timeout: Duration,
    position: &SweepPosition,
) -> Result<Vec<(Uuid, String, String)>, DomainError> {
    let mut after = position.lock().map(|mut p| p.take()).unwrap_or(None);
    let mut lost = Vec::new();
    for _ in 0..SWEEP_MAX_PAGES {
        let rows = db
            .query_all_raw(raw(
                "SELECT id, kind, queue_task, enqueued_at FROM job_runs WHERE status = 'queued' \
                 AND GREATEST(enqueued_at, updated_at) < now() - make_interval(secs => $1) \
                 AND ($2::timestamptz IS NULL OR (enqueued_at, id) > ($2, $3::uuid)) \
                 ORDER BY enqueued_at, id LIMIT $4",
                vec![
                    queued_timeout.as_secs_f64().into(),
                    after.map(|(at, _)| at).into(),
                    after.map(|(_, id)| id).into(),
                    (SWEEP_CHECK_BATCH as i64).into(),
                ],
            ))
            .await?;
        let mut waiting = Vec::with_capacity(rows.len());
        for row in &rows {
            waiting.push((
                row.try_get::<Uuid>("", "id")?,
                row.try_get::<String>("", "kind")?,
                row.try_get::<Option<String>>("", "queue_task")?,
            ));
            after = Some((row.try_get("", "enqueued_at")?, row.try_get("", "id")?));
        }
        lost.extend(repush_lost(db, queue, waiting).await?);
        if (rows.len() as u64) < SWEEP_CHECK_BATCH {
            // The end: the next sweep starts from the oldest again.
            after = None;
            break;
        }
    }
    if let Ok(mut p) = position.lock() {
        *p = after;
    }
    Ok(lost)
}

/// Of `waiting` (id, kind, entry id), the runs whose queue entry is gone, each given a new
/// entry id.
async fn repush_lost(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    waiting: Vec<(Uuid, String, Option<String>)>,
) -> Result<Vec<(Uuid, String, String)>, DomainError> {
    let entries: Vec<(String, String)> = waiting
        .iter()
        .map(|(_, kind, task)| (kind.clone(), task.clone().unwrap_or_default()))
        .collect();
    let alive = queue
        .entries_alive(&entries)
        .await
        .map_err(|e| DomainError::Unavailable {
            service: "redis",
            source: Some(e),
        })?;
    let mut lost = Vec::new();
    for ((id, kind, old), alive) in waiting.into_iter().zip(alive) {
        if alive {
            continue;
        }
        let task = new_task_id();
        let res = db
            .execute_raw(raw(
                "UPDATE job_runs SET queue_task = $2, repushes = repushes + 1, \
                 message = 're-queued: its queue entry was lost', updated_at = now() \
                 WHERE id = $1 AND status = 'queued' AND queue_task IS NOT DISTINCT FROM $3",
                vec![id.into(), task.clone().into(), old.into()],
            ))
            .await?;
        if res.rows_affected() == 1 {
            lost.push((id, kind, task));
        }
    }
    Ok(lost)
}

/// Records that worker `name`, consuming `kinds`, is alive.
pub async fn heartbeat(
    db: &impl ConnectionTrait,
    name: &str,
    kinds: &[String],
) -> Result<(), DomainError> {
    db.execute_raw(raw(
        "INSERT INTO worker_heartbeats (name, kinds) SELECT $1, ARRAY(SELECT jsonb_array_elements_text($2::jsonb)) \
         ON CONFLICT (name) DO UPDATE SET kinds = EXCLUDED.kinds, seen_at = now()",
        vec![name.into(), serde_json::json!(kinds).into()],
    ))
    .await?;
    Ok(())
}

/// Workspaces with feedback or tickets that have no vector and no embed job created in the
/// last `quiet` seconds: new rows that arrived just as an embed job finished.
pub async fn workspaces_needing_embedding(
    db: &impl ConnectionTrait,
    quiet: Duration,
) -> Result<Vec<Uuid>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT DISTINCT f.workspace_id FROM \
                 (SELECT workspace_id FROM feedback WHERE embedding_model IS NULL \
                  UNION SELECT workspace_id FROM jira_tickets WHERE embedding IS NULL) f \
             WHERE NOT EXISTS (SELECT 1 FROM job_runs j WHERE j.workspace_id = f.workspace_id AND j.kind = 'embed' \
                             AND (j.status IN ('queued', 'running') OR j.created_at > now() - make_interval(secs => $1)))",
            vec![quiet.as_secs_f64().into()],
        ))
        .await?;
    rows.iter()
        .map(|r| r.try_get::<Uuid>("", "workspace_id").map_err(Into::into))
        .collect()
}
