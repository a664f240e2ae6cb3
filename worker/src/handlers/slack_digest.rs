//! The weekly Slack digest: every workspace that wants one and has not had one this week.

use shared::services::{
    integrations::{crypto::TokenCipher, slack_notify},
    jobs::contract::Tick,
};

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext, tick: Tick) -> Result<slack_notify::DigestReport, JobError> {
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    // The tick's time, so a retried run claims the same week.
    let now = tick
        .tick
        .and_then(|t| chrono::DateTime::from_timestamp(t as i64, 0))
        .unwrap_or_else(chrono::Utc::now);
    Ok(slack_notify::post_digests(ctx.db(), &ctx.settings().integrations, &cipher, now).await?)
}
