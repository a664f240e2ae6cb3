//! `job_runs`: the one record of every background job. Creating a run commits the row and
//! then enqueues its id; workers claim rows atomically, so duplicate deliveries are harmless.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement,
};
use serde_json::Value;
use uuid::Uuid;

use crate::{
    DomainError,
    entities::job_run,
    jobs::{JobQueue, new_task_id, status},
};

/// A job to create.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub workspace_id: Option<Uuid>,
    pub kind: String,
    pub params: Value,
    pub requested_by: Option<String>,
    /// At most one queued or running run of this kind per workspace.
    pub singleton: bool,
    /// Runs sharing a dedupe key are created once (scheduled ticks use the tick time).
    pub dedupe_key: Option<String>,
    pub max_attempts: u32,
}

#[derive(Debug)]
pub enum StartOutcome {
    Started(job_run::Model),
    /// A singleton of this kind is already queued or running: here it is.
    AlreadyRunning(job_run::Model),
    /// A run with this dedupe key already exists.
    Duplicate,
}

/// Creates the row, commits, then enqueues. A failed enqueue leaves the row queued; the
/// sweeper enqueues it again, so the job is never lost.
pub async fn start(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    new: NewJob,
) -> Result<StartOutcome, DomainError> {
    // A singleton that finished between our insert and our read of it leaves the slot free:
    // try again rather than refuse (its run may have missed what we are starting for).
    let mut tries = 0;
    let outcome = loop {
        match create(db, new.clone()).await {
            Err(DomainError::Conflict(_)) if new.singleton && tries < 3 => tries += 1,
            other => break other?,
        }
    };
    if let StartOutcome::Started(job) = &outcome {
        enqueue(queue, job).await;
    }
    Ok(outcome)
}

/// Hands a created job to the queue. Call after the transaction that created it commits;
/// a failure is logged and left to the sweeper.
pub async fn enqueue(queue: &JobQueue, job: &job_run::Model) {
    let Some(task) = &job.queue_task else {
        return;
    };
    if let Err(e) = queue.enqueue(&job.kind, job.id, task, Duration::ZERO).await {
        tracing::warn!(job = %job.id, error = %e, "enqueue failed; the sweeper will retry it");
    }
}

/// Inserts the job row only (inside the caller's transaction); see `enqueue`.
pub async fn create(db: &impl ConnectionTrait, new: NewJob) -> Result<StartOutcome, DomainError> {
    let now = Utc::now();
    let row = job_run::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(new.workspace_id),
        kind: Set(new.kind.clone()),
        status: Set(status::QUEUED.to_owned()),
        singleton: Set(new.singleton),
        dedupe_key: Set(new.dedupe_key.clone()),
        progress: Set(0),
        message: Set(Some("queued".to_owned())),
        params: Set(new.params.clone()),
        result: Set(None),
        error: Set(None),
        attempts: Set(0),
        max_attempts: Set(new.max_attempts as i32),
        requested_by: Set(new.requested_by.clone()),
        worker: Set(None),
        lease_until: Set(None),
        enqueued_at: Set(now),
        created_at: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        updated_at: Set(now),
        queue_task: Set(Some(new_task_id())),
        repushes: Set(0),
    }
    .insert(db)
    .await;
    let row = match row {
        Ok(row) => row,
        Err(e) if DomainError::is_unique_violation(&e) => {
            if new.dedupe_key.is_some() {
                return Ok(StartOutcome::Duplicate);
            }
            let live = live_singleton(db, new.workspace_id, &new.kind).await?;
            return match live {
                Some(existing) => Ok(StartOutcome::AlreadyRunning(existing)),
                // It finished between our insert and this read: report it as a conflict anyway.
                None => Err(DomainError::Conflict(format!(
                    "a {} job was just running",
                    new.kind
                ))),
            };
        }
        Err(e) => return Err(e.into()),
    };
    Ok(StartOutcome::Started(row))
}

async fn live_singleton(
    db: &impl ConnectionTrait,
    workspace_id: Option<Uuid>,
    kind: &str,
) -> Result<Option<job_run::Model>, DomainError> {
    let mut q = job_run::Entity::find()
        .filter(job_run::Column::Kind.eq(kind))
        .filter(job_run::Column::Singleton.eq(true))
        .filter(job_run::Column::Status.is_in([status::QUEUED, status::RUNNING]));
    q = match workspace_id {
        Some(ws) => q.filter(job_run::Column::WorkspaceId.eq(ws)),
        None => q.filter(job_run::Column::WorkspaceId.is_null()),
    };
    Ok(q.one(db).await?)
}

/// A job of the caller's workspace; another workspace's job is "not found".
pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<job_run::Model, DomainError> {
    job_run::Entity::find_by_id(id)
        .filter(job_run::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or(DomainError::not_found("job"))
}

/// The workspace's most recent run of `kind`, if any.
pub async fn latest_of_kind(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    kind: &str,
) -> Result<Option<job_run::Model>, DomainError> {
    Ok(job_run::Entity::find()
        .filter(job_run::Column::WorkspaceId.eq(workspace_id))
        .filter(job_run::Column::Kind.eq(kind))
        .order_by_desc(job_run::Column::CreatedAt)
        .order_by_desc(job_run::Column::Id)
        .one(db)
        .await?)
}

#[derive(Debug, Default, Clone)]
pub struct JobFilter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub limit: u64,
    pub offset: u64,
}

/// Newest first; returns the page and the total matching count.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    filter: &JobFilter,
) -> Result<(Vec<job_run::Model>, u64), DomainError> {
    let mut q = job_run::Entity::find().filter(job_run::Column::WorkspaceId.eq(workspace_id));
    if let Some(kind) = &filter.kind {
        q = q.filter(job_run::Column::Kind.eq(kind.as_str()));
    }
    if let Some(s) = &filter.status {
        q = q.filter(job_run::Column::Status.eq(s.as_str()));
    }
    let total = q.clone().count(db).await?;
    let rows = q
        .order_by_desc(job_run::Column::CreatedAt)
        .order_by_desc(job_run::Column::Id)
        .limit(filter.limit)
        .offset(filter.offset)
        .all(db)
        .await?;
    Ok((rows, total))
}

fn raw(sql: &str, values: Vec<sea_orm::Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

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

/// Forgets workers silent for longer than `retention_days`.
pub async fn prune_heartbeats(
    db: &impl ConnectionTrait,
    retention_days: u32,
) -> Result<u64, DomainError> {
    let res = db
        .execute_raw(raw(
            "DELETE FROM worker_heartbeats WHERE seen_at < now() - make_interval(days => $1)",
            vec![(retention_days as i32).into()],
        ))
        .await?;
    Ok(res.rows_affected())
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

impl NewJob {
    /// A workspace job with the attempt limit configured for its kind.
    pub fn for_workspace(
        settings: &crate::config::Settings,
        workspace_id: Uuid,
        kind: &str,
        params: Value,
    ) -> Self {
        Self {
            workspace_id: Some(workspace_id),
            kind: kind.to_owned(),
            params,
            requested_by: None,
            singleton: false,
            dedupe_key: None,
            max_attempts: settings.jobs.limits_for(kind).max_attempts,
        }
    }

    pub fn requested_by(mut self, who: impl Into<String>) -> Self {
        self.requested_by = Some(who.into());
        self
    }

    /// At most one queued or running job of this kind per workspace.
    pub fn singleton(mut self) -> Self {
        self.singleton = true;
        self
    }
}

/// Asks for the workspace's feedback to be embedded; one embed job per workspace at a time
/// (a running one picks up new rows too).
pub async fn request_embedding(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    settings: &crate::config::Settings,
    workspace_id: Uuid,
) -> Result<(), DomainError> {
    let params = serde_json::json!({});
    let new = NewJob::for_workspace(settings, workspace_id, crate::jobs::kinds::EMBED, params)
        .singleton();
    start(db, queue, new).await?;
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

/// Waits until every job is finished or `within` passes; returns the rows as last seen.
pub async fn wait_for(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    ids: &[Uuid],
    within: Duration,
) -> Result<Vec<job_run::Model>, DomainError> {
    let deadline = tokio::time::Instant::now() + within;
    let mut delay = Duration::from_millis(20);
    loop {
        let rows = job_run::Entity::find()
            .filter(job_run::Column::WorkspaceId.eq(workspace_id))
            .filter(job_run::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?;
        let done = rows.iter().all(|j| {
            [status::COMPLETED, status::FAILED, status::CANCELLED].contains(&j.status.as_str())
        });
        if done || tokio::time::Instant::now() >= deadline {
            let mut ordered = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(j) = rows.iter().find(|j| j.id == *id) {
                    ordered.push(j.clone());
                }
            }
            return Ok(ordered);
        }
        tokio::time::sleep(delay.min(deadline - tokio::time::Instant::now())).await;
        delay = (delay * 2).min(Duration::from_millis(200));
    }
}
