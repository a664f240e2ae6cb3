//! Housekeeping run by the hourly `maintenance` job.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Condition};
use serde::Serialize;

use crate::{
    DomainError,
    entities::{job_run, refresh_token},
    jobs::status,
};

#[derive(Debug, Default, Serialize)]
pub struct MaintenanceReport {
    pub refresh_tokens_deleted: u64,
    pub job_runs_deleted: u64,
    pub uploads_deleted: u64,
    pub worker_heartbeats_deleted: u64,
    /// Handled Slack event ids past Slack's retry horizon.
    pub slack_events_deleted: u64,
    /// Console sessions that ended a day ago or more.
    pub browser_sessions_deleted: u64,
}

/// Deletes refresh tokens that expired (or were revoked) a day ago or more, and finished
/// job runs, upload records and silent workers' heartbeats older than the retention.
pub async fn prune(
    db: &impl ConnectionTrait,
    retention_days: u32,
) -> Result<MaintenanceReport, DomainError> {
    let grace = Utc::now() - Duration::days(1);
    let tokens = refresh_token::Entity::delete_many()
        .filter(
            Condition::any()
                .add(refresh_token::Column::ExpiresAt.lt(grace))
                .add(refresh_token::Column::RevokedAt.lt(grace)),
        )
        .exec(db)
        .await?;
    let cutoff = Utc::now() - Duration::days(i64::from(retention_days));
    let jobs = job_run::Entity::delete_many()
        .filter(job_run::Column::Status.is_in([
            status::COMPLETED,
            status::FAILED,
            status::CANCELLED,
        ]))
        .filter(job_run::Column::FinishedAt.lt(cutoff))
        .exec(db)
        .await?;
    let uploads_deleted = crate::services::uploads::prune(db, retention_days).await?;
    let worker_heartbeats_deleted =
        crate::services::jobs::prune_heartbeats(db, retention_days).await?;
    let slack_events_deleted = crate::services::integrations::slack::prune_events(db).await?;
    let browser_sessions_deleted = crate::services::browser_sessions::prune(db).await?;
    Ok(MaintenanceReport {
        refresh_tokens_deleted: tokens.rows_affected,
        job_runs_deleted: jobs.rows_affected,
        uploads_deleted,
        worker_heartbeats_deleted,
        slack_events_deleted,
        browser_sessions_deleted,
    })
}
