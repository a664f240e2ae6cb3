//! Matching a workspace's Jira tickets to its customer insights and scoring them
//! (`calculate-all-voc`, and the follow-up of every clustering run).

use serde_json::{Value, json};
use shared::services::{
    jira::scoring::{ScoreOptions, ScoreStats, match_and_score},
    jobs::{self, NewJob},
};
use uuid::Uuid;

use crate::{JobContext, JobError};

pub(crate) fn stats_json(stats: &ScoreStats) -> Value {
    serde_json::to_value(stats).unwrap_or_default()
}

pub async fn run(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let threshold = ctx.job.params["similarity_threshold"]
        .as_f64()
        .map(|t| t as f32);
    ctx.progress(5, "matching tickets to customer insights")
        .await?;
    let embedder = ctx.embedder().await?;
    let started = std::time::Instant::now();
    let stats = match_and_score(
        ctx.db(),
        ws,
        embedder.as_ref(),
        &ScoreOptions::from_settings(ctx.settings(), threshold, None),
    )
    .await?;
    let mut out = json!({
        "message": "VOC scoring completed",
        "stats": stats_json(&stats),
        "seconds": started.elapsed().as_secs_f64(),
    });
    if let Some(reason) = ctx.job.params["reason"].as_str() {
        out["reason"] = json!(reason);
    }
    Ok(out)
}

/// Queues a re-score of the workspace's tickets (at most one at a time), when it has any.
pub(crate) async fn request_rescore(
    ctx: &JobContext,
    reason: &str,
) -> Result<Option<Uuid>, JobError> {
    let ws = ctx.workspace_id()?;
    if !shared::services::jira::tickets::any(ctx.db(), ws).await? {
        return Ok(None);
    }
    let new = NewJob::for_workspace(
        ctx.settings(),
        ws,
        shared::jobs::kinds::VOC,
        json!({"reason": reason}),
    )
    .requested_by(format!("job:{}", ctx.job.id))
    .singleton();
    Ok(match jobs::start(ctx.db(), ctx.queue(), new).await? {
        jobs::StartOutcome::Started(j) | jobs::StartOutcome::AlreadyRunning(j) => Some(j.id),
        jobs::StartOutcome::Duplicate => None,
    })
}
