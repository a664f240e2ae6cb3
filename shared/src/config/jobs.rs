//! Background jobs and the worker process that runs them.

use std::{collections::BTreeMap, time::Duration};

use schemars::JsonSchema;
use serde::Deserialize;

use super::{ConfigError, CronCheck, fail_if};

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobSettings {
    /// Namespace of every Redis key of the job queues (letters, digits, `-`, `_`).
    pub queue_prefix: String,
    /// Attempts per job before it fails (transient errors only; at most 25).
    pub max_attempts: u32,
    /// Backoff between attempts: `backoff_base_ms * 2^(attempt-1)`, capped at
    /// `backoff_max_secs`.
    pub backoff_base_ms: u64,
    /// Upper bound of the backoff (seconds).
    pub backoff_max_secs: u64,
    /// Time limit of one attempt (seconds), unless the kind sets its own.
    pub default_timeout_secs: u64,
    /// Jobs of one kind run at once per worker process, unless the kind sets its own.
    pub default_concurrency: usize,
    /// Per job kind (`embed`, `cluster`, `upload`, `sync`, `maintenance`, ...): `timeout_secs`,
    /// `concurrency`, `max_attempts`.
    pub kinds: BTreeMap<String, JobKindSettings>,
    /// A queued job whose queue entry is gone (lost enqueue, Redis restarted) is enqueued again
    /// once it has waited this long (seconds).
    pub queued_timeout_secs: u64,
    /// A queued job fails only when no worker consuming its kind has been alive for this long
    /// (seconds); a backlog or a short outage never fails jobs.
    pub no_worker_timeout_secs: u64,
    /// A running job's lease, renewed by its worker; a dead worker's job is retried once it
    /// lapses (seconds).
    pub lease_secs: u64,
    /// Finished job runs, upload records and old heartbeats are deleted after this many days.
    pub retention_days: u32,
    /// How long endpoints that answer synchronously wait for their job before answering 202
    /// (seconds).
    pub sync_wait_secs: u64,
}

impl JobSettings {
    pub fn limits_for(&self, kind: &str) -> JobKindLimits {
        let specific = self.kinds.get(kind);
        JobKindLimits {
            timeout: Duration::from_secs(
                specific
                    .and_then(|k| k.timeout_secs)
                    .unwrap_or(self.default_timeout_secs),
            ),
            concurrency: specific
                .and_then(|k| k.concurrency)
                .unwrap_or(self.default_concurrency),
            max_attempts: specific
                .and_then(|k| k.max_attempts)
                .unwrap_or(self.max_attempts),
        }
    }
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JobKindSettings {
    /// Time limit of one attempt of this kind (seconds).
    pub timeout_secs: Option<u64>,
    /// Jobs of this kind at once per worker process.
    pub concurrency: Option<usize>,
    /// Attempts of this kind before it fails.
    pub max_attempts: Option<u32>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// Safety poll for work a wake-up message missed (milliseconds); idle workers are otherwise
    /// woken on enqueue.
    pub poll_interval_ms: u64,
    /// Heartbeat interval; a worker silent for `heartbeat_secs * missed_heartbeats` is dead and
    /// its tasks are handed to others.
    pub heartbeat_secs: u64,
    /// Heartbeats a worker may miss before it counts as dead.
    pub missed_heartbeats: usize,
    /// On SIGTERM or ctrl-c: stop fetching, let in-flight jobs finish within this many seconds.
    pub shutdown_grace_secs: u64,
    /// How often each worker looks for lost jobs (stuck queued, or with a lapsed lease), in
    /// seconds.
    pub sweep_interval_secs: u64,
    /// Cron expression (seconds first) of the maintenance job; fires once per tick cluster-
    /// wide.
    pub maintenance_schedule: String,
    /// Cron expression of the OAuth token refresh (tokens lapsing within 30 minutes are
    /// renewed).
    pub token_refresh_schedule: String,
    /// Cron expression of the check that starts the syncs that are due
    /// (`integrations.sync_interval_secs`).
    pub sync_schedule: String,
    /// Cron expression of the weekly Slack digest (each workspace gets at most one a week,
    /// however often it fires).
    pub digest_schedule: String,
    /// Finished queue data older than this is removed from Redis (seconds).
    pub apalis_retention_secs: u64,
    /// Address of the worker's own `/metrics` and `/healthz` listener; none when unset.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

/// Resolved timing and limits for one job kind, after defaults are applied.
#[derive(Debug, Clone, Copy)]
pub struct JobKindLimits {
    pub timeout: Duration,
    pub concurrency: usize,
    pub max_attempts: u32,
}

impl JobSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let prefix = &self.queue_prefix;
        fail_if(
            prefix.is_empty()
                || !prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "jobs.queue_prefix",
            "must be non-empty and use only letters, digits, '-' and '_'",
        )?;
        fail_if(
            self.max_attempts == 0 || self.max_attempts > 25,
            "jobs.max_attempts",
            "must be between 1 and 25",
        )?;
        fail_if(
            self.default_concurrency == 0,
            "jobs.default_concurrency",
            "must be at least 1",
        )?;
        for (kind, k) in &self.kinds {
            if k.concurrency == Some(0) {
                return Err(ConfigError::new(
                    format!("jobs.kinds.{kind}.concurrency"),
                    "must be at least 1",
                ));
            }
            if k.timeout_secs == Some(0) {
                return Err(ConfigError::new(
                    format!("jobs.kinds.{kind}.timeout_secs"),
                    "must be at least 1",
                ));
            }
        }
        fail_if(
            self.no_worker_timeout_secs < self.queued_timeout_secs,
            "jobs.no_worker_timeout_secs",
            "must be at least jobs.queued_timeout_secs",
        )?;
        if self.lease_secs < 2 {
            return Err(ConfigError::new("jobs.lease_secs", "must be at least 2"));
        }
        Ok(())
    }
}

impl WorkerSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        fail_if(
            self.poll_interval_ms == 0 || self.poll_interval_ms > 60_000,
            "worker.poll_interval_ms",
            "must be between 1 and 60000",
        )?;
        fail_if(
            self.heartbeat_secs == 0 || self.missed_heartbeats == 0,
            "worker.heartbeat_secs",
            "heartbeat_secs and missed_heartbeats must be at least 1",
        )?;
        fail_if(
            self.sweep_interval_secs == 0,
            "worker.sweep_interval_secs",
            "must be at least 1",
        )?;
        if let Err(e) = self.digest_schedule.parse::<CronCheck>() {
            return Err(ConfigError::new("worker.digest_schedule", e));
        }
        if let Err(e) = self.sync_schedule.parse::<CronCheck>() {
            return Err(ConfigError::new("worker.sync_schedule", e));
        }
        if let Err(e) = self.token_refresh_schedule.parse::<CronCheck>() {
            return Err(ConfigError::new("worker.token_refresh_schedule", e));
        }
        if let Err(e) = self.maintenance_schedule.parse::<CronCheck>() {
            return Err(ConfigError::new("worker.maintenance_schedule", e));
        }
        Ok(())
    }
}
