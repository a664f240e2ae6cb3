//! Clustering a workspace's feedback into themes and insights, and re-scoring them.

use shared::services::{
    jobs::contract::{ClusterOutcome, NoParams, ThemeRescoreOutcome},
    themes,
};

use super::embed::embed_pending;
use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext, _: NoParams) -> Result<ClusterOutcome, JobError> {
    let ws = ctx.workspace_id()?;
    let embedder = ctx.ai().embedder().await?;
    // Feedback ingested a moment ago may not be embedded yet: embed it first, so a run
    // started right after an ingest clusters everything instead of nothing.
    let pass = embed_pending(&ctx, embedder.as_ref(), (1, 4)).await?;
    let params = ctx.settings().clustering.params();
    let ai = Some(themes::InsightWriter {
        services: ctx.ai(),
        run: ctx.run_context()?,
        budgets: shared::ai::budget::TokenBudgets::from_settings(ctx.settings()),
    });
    let summary = themes::run_clustering(
        ctx.db(),
        ws,
        embedder.model(),
        params,
        ai,
        ctx.cancel_flag(),
        |pct, msg| {
            let ctx = ctx.clone();
            async move {
                let _ = ctx.progress(pct, &msg).await;
            }
        },
    )
    .await?;
    Ok(ClusterOutcome {
        summary,
        embedded_before_clustering: pass.embedded,
        // Tickets were matched against the themes this run replaced.
        voc_rescore_job: super::voc::request_voc_scoring(&ctx, "after clustering").await?,
    })
}

pub async fn rescore(ctx: JobContext, _: NoParams) -> Result<ThemeRescoreOutcome, JobError> {
    let ws = ctx.workspace_id()?;
    let themes_rescored = themes::refresh_metrics(ctx.db(), ws).await?;
    Ok(ThemeRescoreOutcome { themes_rescored })
}
