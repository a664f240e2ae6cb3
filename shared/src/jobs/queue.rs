use std::time::Duration;

use apalis::prelude::{TaskBuilder, TaskId, TaskSink};
use apalis_redis::{ConnectionManager, RedisStorage};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::wake;
use crate::config::Settings;

/// What travels through Redis: the id of a `job_runs` row, nothing else. Handlers reload
/// everything from the database, so a message can be delivered twice harmlessly.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct JobMessage {
    pub job_id: Uuid,
}

/// The apalis-redis configuration of one kind's queue, identical in API and worker so both
/// agree on key names (`{prefix}:{kind}:...`) and timings.
pub fn apalis_config(settings: &Settings, kind: &str) -> apalis_redis::Config {
    apalis_redis::Config::default()
        .queue(queue_name(&settings.jobs.queue_prefix, kind))
        .heartbeat_interval(Duration::from_secs(settings.worker.heartbeat_secs))
        .missed_heartbeats(settings.worker.missed_heartbeats)
        .batch_size(1)
        .emit_events(false)
}

pub fn queue_name(prefix: &str, kind: &str) -> String {
    format!("{prefix}:{kind}")
}

/// Typed producer: one apalis-redis storage per job kind, namespaced by the queue prefix.
#[derive(Clone)]
pub struct JobQueue {
    conn: ConnectionManager,
    settings: std::sync::Arc<Settings>,
}

impl std::fmt::Debug for JobQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobQueue")
            .field("prefix", &self.settings.jobs.queue_prefix)
            .finish()
    }
}

impl JobQueue {
    pub fn new(conn: ConnectionManager, settings: std::sync::Arc<Settings>) -> Self {
        Self { conn, settings }
    }

    pub fn storage(&self, kind: &str) -> RedisStorage<JobMessage> {
        RedisStorage::new(self.conn.clone()).with_config(apalis_config(&self.settings, kind))
    }

    pub fn connection(&self) -> ConnectionManager {
        self.conn.clone()
    }

    /// Hands a job to the workers of its kind as queue entry `task` (the id recorded in
    /// `job_runs.queue_task`), to run after `delay`. Call only after that row is committed.
    pub async fn enqueue(
        &self,
        kind: &str,
        job_id: Uuid,
        task: &str,
        delay: Duration,
    ) -> anyhow::Result<()> {
        let mut storage = self.storage(kind);
        // apalis schedules in whole seconds and may deliver up to a second early; the
        // runner waits out the remainder, so backoff stays exact.
        let task = TaskBuilder::new(JobMessage { job_id })
            .task_id(TaskId::from_string(task))
            .run_after(delay)
            .build();
        storage
            .push_task(task)
            .await
            .map_err(|e| anyhow::anyhow!("enqueueing {kind} job {job_id}: {e}"))?;
        self.announce(kind, delay).await;
        Ok(())
    }

    /// Tells idle workers of `kind` that a job is due after `delay`. A lost announcement
    /// only delays the job until the workers' safety poll.
    async fn announce(&self, kind: &str, delay: Duration) {
        let due = wake::unix_ms() + delay.as_millis() as u64;
        let mut conn = self.conn.clone();
        let sent = redis::cmd("PUBLISH")
            .arg(wake::channel(&self.settings.jobs.queue_prefix))
            .arg(wake::message(kind, due))
            .query_async::<i64>(&mut conn)
            .await;
        if let Err(e) = sent {
            tracing::debug!(kind, error = %e, "could not announce a job; workers find it on their next poll");
        }
    }

    /// For each `(kind, task)`, whether that queue entry still exists and has not been
    /// consumed: apalis keeps a metadata hash per entry whose status moves to `Done` or
    /// `Killed` once a worker is finished with it (or the hash is gone after a vacuum or a
    /// Redis restart).
    pub async fn entries_alive(&self, entries: &[(String, String)]) -> anyhow::Result<Vec<bool>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::pipe();
        for (kind, task) in entries {
            let key = format!(
                "{}:{task}",
                apalis_config(&self.settings, kind).job_meta_hash()
            );
            pipe.hget(key, "status");
        }
        let mut conn = self.conn.clone();
        let statuses: Vec<Option<String>> = pipe.query_async(&mut conn).await?;
        Ok(statuses
            .into_iter()
            .map(|s| s.is_some_and(|s| s != "Done" && s != "Killed"))
            .collect())
    }
}

/// A fresh queue entry id.
pub fn new_task_id() -> String {
    Uuid::new_v4().to_string()
}
