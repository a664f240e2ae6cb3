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
    .await
    .map_err(sync_error)?;
    synced("Zoom", stats)
}

pub async fn slack(
    ctx: JobContext,
    _: NoParams,
) -> Result<VendorSyncOutcome<SlackSyncStats>, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "reading the opted-in Slack channels")
        .await?;
    let stats = slack::sync(ctx.db(), &ctx.settings().integrations, &cipher, ws)
        .await
        .map_err(sync_error)?;
    synced("Slack", stats)
}

/// Feedback and tickets alike are embedded next; tickets are scored as they are.
pub async fn jira(
    ctx: JobContext,
    _: NoParams,
) -> Result<VendorSyncOutcome<JiraSyncStats>, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "searching Jira").await?;
    let stats = jira::sync(ctx.db(), &ctx.settings().integrations, &cipher, ws)
        .await
        .map_err(sync_error)?;
    synced("Jira", stats)
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
    .await
    .map_err(sync_error)?;
    synced("Google Drive", stats)
}

/// The sync's outcome (its text is embedded next: the vendor kinds land text).
fn synced<S>(title: &str, stats: S) -> Result<VendorSyncOutcome<S>, JobError> {
    Ok(VendorSyncOutcome {
        message: format!("{title} sync completed"),
        stats,
    })
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
