//! Every 10 minutes: renew the OAuth access tokens of every workspace that lapse within 30
//! minutes. Connections the provider refuses are marked expired; if a provider could not be
//! reached the job fails transiently and its retry tries those again (the ones already
//! renewed are no longer due, so a retry repeats nothing).

use shared::services::{
    integrations::{
        crypto::TokenCipher,
        refresh::{self, RefreshReport},
    },
    jobs::contract::Tick,
};

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext, _: Tick) -> Result<RefreshReport, JobError> {
    let cipher = TokenCipher::from_settings(&ctx.settings().integrations);
    ctx.progress(10, "renewing tokens that lapse within 30 minutes")
        .await?;
    let report = refresh::refresh_due(ctx.db(), &ctx.settings().integrations, &cipher).await?;
    if report.failed > 0 {
        return Err(JobError::transient(format!(
            "{} of the due connections could not reach their provider ({} refreshed, {} expired)",
            report.failed, report.refreshed, report.expired
        )));
    }
    Ok(report)
}
