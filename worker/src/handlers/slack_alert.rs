//! Posting one Slack alert about high-priority insights. Slack unreachable, failing or rate
//! limiting sends it back to the queue's backoff; a revoked token or a refused channel ends it.

use shared::services::integrations::{crypto::TokenCipher, slack_notify};

use super::live_sync::sync_error;
use crate::{JobContext, JobError};

pub async fn run(
    ctx: JobContext,
    alert: slack_notify::Alert,
) -> Result<slack_notify::AlertReport, JobError> {
    let ws = ctx.workspace_id()?;
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    slack_notify::post_alert(ctx.db(), &ctx.settings().integrations, &cipher, ws, &alert)
        .await
        .map_err(sync_error)
}
