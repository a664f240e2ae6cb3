//! `sync:zoom`, `sync:slack`, `sync:jira` and `sync:gdrive`: pull the workspace's Zoom
//! transcripts, Slack channels, Jira issues or Drive documents
//! (`services::integrations`), then have the new feedback embedded and attached to themes
//! like an upload's.

use serde_json::{Value, json};
use shared::services::{
    integrations::{crypto::TokenCipher, drive, jira, slack, vendor::SyncError, zoom},
    jobs,
};

use crate::{JobContext, JobError};

/// Upper bound of `days_back` (a year of recordings).
const MAX_DAYS_BACK: u64 = 365;

pub async fn zoom(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let days_back = ctx.job.params["days_back"]
        .as_u64()
        .unwrap_or(30)
        .clamp(1, MAX_DAYS_BACK) as u32;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, &format!("listing {days_back} days of Zoom recordings"))
        .await?;
    let run = ctx.run_context()?;
    let stats = zoom::sync(
        ctx.db(),
        ctx.settings(),
        &cipher,
        ctx.ai(),
        &run,
        ws,
        days_back,
    )
    .await
    .map_err(sync_error)?;
    jobs::request_embedding(ctx.db(), ctx.queue(), ctx.settings(), ws).await?;
    Ok(json!({ "message": "Zoom sync completed", "stats": stats }))
}

pub async fn slack(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "reading the opted-in Slack channels")
        .await?;
    let stats = slack::sync(ctx.db(), ctx.settings(), &cipher, ws)
        .await
        .map_err(sync_error)?;
    jobs::request_embedding(ctx.db(), ctx.queue(), ctx.settings(), ws).await?;
    Ok(json!({ "message": "Slack sync completed", "stats": stats }))
}

pub async fn jira(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "searching Jira").await?;
    let stats = jira::sync(ctx.db(), ctx.settings(), &cipher, ws)
        .await
        .map_err(sync_error)?;
    // Feedback and tickets alike are embedded next; tickets are scored as they are.
    jobs::request_embedding(ctx.db(), ctx.queue(), ctx.settings(), ws).await?;
    Ok(json!({ "message": "Jira sync completed", "stats": stats }))
}

pub async fn drive(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "listing the Drive folders").await?;
    let stats = drive::sync(ctx.db(), ctx.settings(), &cipher, ws)
        .await
        .map_err(sync_error)?;
    jobs::request_embedding(ctx.db(), ctx.queue(), ctx.settings(), ws).await?;
    Ok(json!({ "message": "Google Drive sync completed", "stats": stats }))
}

/// An unreachable vendor is tried again by the job's retries; the rest will not get better.
pub(crate) fn sync_error(e: SyncError) -> JobError {
    match e {
        SyncError::Unavailable(m) => JobError::transient(m),
        SyncError::Domain(d) => d.into(),
        e => JobError::permanent(e.to_string()),
    }
}

/// Names the speakers of Slack messages pushed by events.
pub async fn slack_names(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    let named = slack::name_pending_speakers(ctx.db(), ctx.settings(), &cipher, ws)
        .await
        .map_err(sync_error)?;
    Ok(json!({ "named": named }))
}
