//! Matching a workspace's Jira tickets to its customer insights and scoring them
//! (`calculate-all-voc`, and the follow-up of every clustering run).

use shared::services::{
    jira::ticket_scores::{ScoreOptions, match_and_score},
    jobs::{
        self, NewJob,
        contract::{VocOutcome, VocParams, VocScoring},
    },
    webhooks::events,
};
use uuid::Uuid;

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext, params: VocParams) -> Result<VocOutcome, JobError> {
    let ws = ctx.workspace_id()?;
    let threshold = params.similarity_threshold.map(|t| t as f32);
    ctx.progress(5, "matching tickets to customer insights")
        .await?;
    let embedder = ctx.embedder().await?;
    let started = std::time::Instant::now();
    let gaps_before = events::ticket_gaps(ctx.db(), ws).await?;
    let stats = match_and_score(
        ctx.db(),
        ws,
        embedder.as_ref(),
        &ScoreOptions::from_settings(ctx.settings(), threshold, None),
    )
    .await?;
    let gaps = events::gap_events(&gaps_before, &events::ticket_gaps(ctx.db(), ws).await?);
    events::emit_all(ctx.db(), ctx.queue(), ctx.settings(), ws, gaps).await;
    Ok(VocOutcome {
        message: "VOC scoring completed".into(),
        stats,
        seconds: started.elapsed().as_secs_f64(),
        reason: params.reason,
    })
}

/// Queues a re-score of the workspace's tickets (at most one at a time), when it has any.
pub(crate) async fn request_voc_scoring(
    ctx: &JobContext,
    reason: &str,
) -> Result<Option<Uuid>, JobError> {
    let ws = ctx.workspace_id()?;
    if !shared::services::jira::tickets::any(ctx.db(), ws).await? {
        return Ok(None);
    }
    let params = VocParams {
        similarity_threshold: None,
        reason: Some(reason.to_owned()),
    };
    let new = NewJob::of::<VocScoring>(&ctx.settings().jobs, ws, &params)
        .requested_by(format!("job:{}", ctx.job.id))
        .singleton();
    let started = jobs::start(ctx.db(), ctx.queue(), new).await?;
    Ok(started.into_job().map(|j| j.id))
}
