//! The producer side of background jobs: create, start, enqueue, read, wait. `job_runs` is
//! the one record of every job; creating a run commits the row and then enqueues its id.
//! What each kind takes and returns is declared in `contract`; running, leasing and
//! recovering runs is the worker's (`worker::lifecycle`, `worker::recovery`).

pub mod contract;

use std::time::Duration;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::Value;
use uuid::Uuid;

pub use contract::{JobSpec, params_of, result_of};

use crate::{
    DomainError,
    config::JobSettings,
    entities::job_run,
    jobs::{JobQueue, new_task_id, status},
    services::source::Source,
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

impl StartOutcome {
    /// The run doing the work: the one started or the one already running (`None` for a
    /// duplicate of a run created before).
    pub fn into_job(self) -> Option<job_run::Model> {
        match self {
            Self::Started(job) | Self::AlreadyRunning(job) => Some(job),
            Self::Duplicate => None,
        }
    }
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

impl NewJob {
    /// A workspace job of kind `S`, with the attempt limit configured for it.
    pub fn of<S: JobSpec>(jobs: &JobSettings, workspace_id: Uuid, params: &S::Params) -> Self {
        Self {
            workspace_id: Some(workspace_id),
            ..Self::new(jobs, S::KIND, contract::to_column(params))
        }
    }

    /// A cluster-wide run of a scheduled kind for one tick; every worker schedules, and the
    /// tick's dedupe key lets one of them create it.
    pub fn for_tick<S: JobSpec<Params = contract::Tick>>(jobs: &JobSettings, tick: u64) -> Self {
        Self {
            dedupe_key: Some(format!("tick:{tick}")),
            requested_by: Some("schedule".to_owned()),
            ..Self::new(
                jobs,
                S::KIND,
                contract::to_column(&contract::Tick { tick: Some(tick) }),
            )
        }
    }

    /// A job of any kind, for kinds only a test harness defines.
    pub fn new(jobs: &JobSettings, kind: &str, params: Value) -> Self {
        Self {
            workspace_id: None,
            kind: kind.to_owned(),
            params,
            requested_by: None,
            singleton: false,
            dedupe_key: None,
            max_attempts: jobs.limits_for(kind).max_attempts,
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

/// The sync job of a connected vendor (`provider` as its connection names it), one per
/// workspace at a time; `None` for a provider nothing syncs from.
pub fn vendor_sync(
    jobs: &JobSettings,
    workspace_id: Uuid,
    source: Source,
    zoom: contract::ZoomSyncParams,
) -> Option<NewJob> {
    use contract::{DriveSync, JiraSync, NoParams, SlackSync, ZoomSync};
    let new = match source {
        Source::Zoom => NewJob::of::<ZoomSync>(jobs, workspace_id, &zoom),
        Source::Slack => NewJob::of::<SlackSync>(jobs, workspace_id, &NoParams {}),
        Source::Jira => NewJob::of::<JiraSync>(jobs, workspace_id, &NoParams {}),
        Source::Google => NewJob::of::<DriveSync>(jobs, workspace_id, &NoParams {}),
        Source::Upload | Source::Api => return None,
    };
    Some(new.singleton())
}

/// Asks for the workspace's feedback to be embedded; one embed job per workspace at a time
/// (a running one picks up new rows too).
pub async fn request_embedding(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    jobs: &JobSettings,
    workspace_id: Uuid,
) -> Result<(), DomainError> {
    let new = NewJob::of::<contract::Embed>(jobs, workspace_id, &contract::NoParams {}).singleton();
    start(db, queue, new).await?;
    Ok(())
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
