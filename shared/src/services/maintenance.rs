//! Housekeeping run by the hourly `maintenance` job.

use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Condition};

use crate::{
    DomainError,
    entities::{job_run, refresh_token},
    jobs::status,
    services::jobs::contract::MaintenanceReport,
};

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
    let worker_heartbeats_deleted = prune_heartbeats(db, retention_days).await?;
    let slack_events_deleted = prune_slack_events(db).await?;
    let browser_sessions_deleted = crate::services::console_sessions::prune(db).await?;
    Ok(MaintenanceReport {
        refresh_tokens_deleted: tokens.rows_affected,
        job_runs_deleted: jobs.rows_affected,
        uploads_deleted,
        worker_heartbeats_deleted,
        slack_events_deleted,
        browser_sessions_deleted,
    })
}

/// Forgets workers silent for longer than `retention_days`.
async fn prune_heartbeats(
    db: &impl ConnectionTrait,
    retention_days: u32,
) -> Result<u64, DomainError> {
    let res = db
        .execute_raw(crate::db::statement(
            "DELETE FROM worker_heartbeats WHERE seen_at < now() - make_interval(days => $1)",
            vec![(retention_days as i32).into()],
        ))
        .await?;
    Ok(res.rows_affected())
}

/// Forgets handled event ids older than Slack's retry horizon (it retries for about an
/// hour); returns how many were removed.
async fn prune_slack_events(db: &impl ConnectionTrait) -> Result<u64, DomainError> {
    let res = db
        .execute_raw(crate::db::statement(
            "DELETE FROM slack_events WHERE received_at < now() - interval '3 days'",
            vec![],
        ))
        .await?;
    Ok(res.rows_affected())
}
