//! `sync:zoom`, `sync:slack`, `sync:jira` and `sync:gdrive`: pull the workspace's Zoom
//! transcripts, Slack channels, Jira issues or Drive documents
//! (`services::integrations`); their kinds land text, so the new feedback is embedded and
//! attached to themes like an upload's.

use shared::services::{
    integrations::{
        crypto::TokenCipher,
        drive::{self, DriveSyncStats},
        jira::{self, JiraSyncStats},
        slack::{self, SlackSyncStats},
        slack_events,
        vendor::SyncError,
        zoom::{self, ZoomSyncStats},
    },
    jobs::contract::{NoParams, SlackNamesOutcome, VendorSyncOutcome, ZoomSyncParams},
    webhooks::events,
};

use crate::{JobContext, JobError};

/// Upper bound of `days_back` (a year of recordings).
const MAX_DAYS_BACK: u32 = 365;

pub async fn zoom(
    ctx: JobContext,
    params: ZoomSyncParams,
) -> Result<VendorSyncOutcome<ZoomSyncStats>, JobError> {
    let ws = ctx.workspace_id()?;
    let days_back = params.days_back.unwrap_or(30).clamp(1, MAX_DAYS_BACK);
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, &format!("listing {days_back} days of Zoom recordings"))
        .await?;
    let run = ctx.run_context()?;
    let settings = ctx.settings();
    let stats = zoom::sync(
        ctx.db(),
        (&settings.integrations, &settings.ingest),
        &cipher,
        ctx.ai(),
        &run,
        ws,
        days_back,
    )
    .await;
    match stats {
        Ok(stats) => synced("Zoom", stats),
        Err(e) => Err(sync_failed(&ctx, "Zoom", e).await),
    }
}

pub async fn slack(
    ctx: JobContext,
    _: NoParams,
) -> Result<VendorSyncOutcome<SlackSyncStats>, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "reading the opted-in Slack channels")
        .await?;
    let stats = slack::sync(ctx.db(), &ctx.settings().integrations, &cipher, ws).await;
    match stats {
        Ok(stats) => synced("Slack", stats),
        Err(e) => Err(sync_failed(&ctx, "Slack", e).await),
    }
}

/// Feedback and tickets alike are embedded next; tickets are scored as they are.
pub async fn jira(
    ctx: JobContext,
    _: NoParams,
) -> Result<VendorSyncOutcome<JiraSyncStats>, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "searching Jira").await?;
    let stats = jira::sync(ctx.db(), &ctx.settings().integrations, &cipher, ws).await;
    match stats {
        Ok(stats) => synced("Jira", stats),
        Err(e) => Err(sync_failed(&ctx, "Jira", e).await),
    }
}

pub async fn drive(
    ctx: JobContext,
    _: NoParams,
) -> Result<VendorSyncOutcome<DriveSyncStats>, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "listing the Drive folders").await?;
    let settings = ctx.settings();
    let stats = drive::sync(
        ctx.db(),
        (&settings.integrations, &settings.ingest),
        &cipher,
        ws,
    )
    .await;
    match stats {
        Ok(stats) => synced("Google Drive", stats),
        Err(e) => Err(sync_failed(&ctx, "Google Drive", e).await),
    }
}

/// The sync's outcome (its text is embedded next: the vendor kinds land text).
fn synced<S>(title: &str, stats: S) -> Result<VendorSyncOutcome<S>, JobError> {
    Ok(VendorSyncOutcome {
        message: format!("{title} sync completed"),
        stats,
    })
}

/// A sync that will not be tried again tells the workspace's webhooks (`sync.failed`).
async fn sync_failed(ctx: &JobContext, vendor: &str, e: SyncError) -> JobError {
    let err = sync_error(e);
    let last = matches!(err, JobError::Permanent(_)) || ctx.job.attempts >= ctx.job.max_attempts;
    if let (true, Ok(ws)) = (last, ctx.workspace_id()) {
        let data = serde_json::json!({
            "source": vendor, "job_id": ctx.job.id, "attempts": ctx.job.attempts, "error": err.public_message(),
        });
        events::emit_all(
            ctx.db(),
            ctx.queue(),
            ctx.settings(),
            ws,
            vec![("sync.failed", data)],
        )
        .await;
    }
    err
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
pub async fn slack_names(ctx: JobContext, _: NoParams) -> Result<SlackNamesOutcome, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    let named =
        slack_events::name_pending_speakers(ctx.db(), &ctx.settings().integrations, &cipher, ws)
            .await
            .map_err(sync_error)?;
    Ok(SlackNamesOutcome { named })
}
