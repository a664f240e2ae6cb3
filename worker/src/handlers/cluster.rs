//! Clustering a workspace's feedback into themes and insights, and re-scoring them.

use serde_json::{Value, json};
use shared::services::themes;

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let embedder = ctx.ai().embedder().await?;
    let params = ctx.settings().clustering.params();
    let ai = Some(&ctx.ai().config);
    let summary = themes::run_clustering(ctx.db(), ws, embedder.model(), params, ai, |pct, msg| {
        let ctx = ctx.clone();
        async move {
            let _ = ctx.progress(pct, &msg).await;
        }
    })
    .await?;
    Ok(serde_json::to_value(summary).unwrap_or_default())
}

pub async fn rescore(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let n = themes::refresh_metrics(ctx.db(), ws).await?;
    Ok(json!({"themes_rescored": n}))
}
