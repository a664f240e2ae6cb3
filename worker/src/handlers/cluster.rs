//! Clustering a workspace's feedback into themes and insights, and re-scoring them.

use shared::services::{
    integrations::slack_notify,
    jobs::{
        self, NewJob,
        contract::{ClusterOutcome, NoParams, SlackAlert, ThemeRescoreOutcome},
    },
    themes,
    webhooks::events,
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
    let before = events::insight_standings(ctx.db(), ws).await?;
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
    announce(&ctx, ws, &before, &summary).await?;
    Ok(ClusterOutcome {
        summary,
        embedded_before_clustering: pass.embedded,
        // Tickets were matched against the themes this run replaced.
        voc_rescore_job: super::voc::request_voc_scoring(&ctx, "after clustering").await?,
    })
}

/// Tells the workspace's webhooks what the run changed, then that it completed.
async fn announce(
    ctx: &JobContext,
    ws: uuid::Uuid,
    before: &std::collections::BTreeMap<uuid::Uuid, events::Standing>,
    summary: &themes::ClusterSummary,
) -> Result<(), JobError> {
    if summary.status != "completed" {
        return Ok(());
    }
    let after = events::insight_standings(ctx.db(), ws).await?;
    let mut changes =
        events::insight_events(before, &after, ctx.settings().webhooks.priority_threshold);
    changes.push((
        "cluster.completed",
        serde_json::json!({
            "job_id": ctx.job.id, "themes": summary.themes, "insights": summary.insights,
            "items": summary.items, "coverage": summary.coverage, "curated_themes": summary.curated,
            "message": summary.message,
        }),
    ));
    // A Slack alert that cannot be queued does not fail the run it reports on.
    if let Err(e) = queue_slack_alert(ctx, ws, &changes).await {
        tracing::warn!(workspace = %ws, error = %e, "Slack alert not queued");
    }
    events::emit_all(ctx.db(), ctx.queue(), ctx.settings(), ws, changes).await;
    Ok(())
}

/// Composes the run's Slack alert now and leaves posting it to a `slack_alert` job, once
/// per run however often this job is retried.
async fn queue_slack_alert(
    ctx: &JobContext,
    ws: uuid::Uuid,
    changes: &[(&'static str, serde_json::Value)],
) -> Result<(), shared::DomainError> {
    let settings = ctx.settings();
    let Some(alert) =
        slack_notify::alert_for(ctx.db(), &settings.integrations, ws, changes).await?
    else {
        return Ok(());
    };
    let mut new = NewJob::of::<SlackAlert>(&settings.jobs, ws, &alert).requested_by("clustering");
    new.dedupe_key = Some(format!("slack_alert:{}", ctx.job.id));
    jobs::start(ctx.db(), ctx.queue(), new).await?;
    Ok(())
}

pub async fn rescore(ctx: JobContext, _: NoParams) -> Result<ThemeRescoreOutcome, JobError> {
    let ws = ctx.workspace_id()?;
    let themes_rescored = themes::refresh_metrics(ctx.db(), ws).await?;
    Ok(ThemeRescoreOutcome { themes_rescored })
}
