//! Embeds the workspace's feedback that has no vector from the current model.

use shared::{
    ai::embeddings::Embedder,
    services::{
        embedding,
        jobs::contract::{EmbedOutcome, NoParams},
    },
};

use crate::{JobContext, JobError};

/// What one embedding pass did.
pub(crate) struct EmbedPass {
    pub embedded: usize,
    pub batches: usize,
}

/// Embeds every item still pending for `embedder`'s model, batch by batch, reporting
/// progress between `from` and `to` percent; stops when the job is cancelled.
pub(crate) async fn embed_pending(
    ctx: &JobContext,
    embedder: &dyn Embedder,
    (from, to): (u8, u8),
) -> Result<EmbedPass, JobError> {
    let ws = ctx.workspace_id()?;
    let batch = ctx.settings().ingest.embed_batch_size;
    let total = embedding::pending(ctx.db(), ws, embedder.model())
        .await?
        .max(0) as usize;
    if total > 0 {
        ctx.progress(
            from,
            &format!("embedding {total} items with {}", embedder.model()),
        )
        .await?;
    }
    let mut pass = EmbedPass {
        embedded: 0,
        batches: 0,
    };
    loop {
        ctx.cancel_flag().check()?;
        let n = embedding::embed_next_batch(ctx.db(), ws, embedder, batch).await?;
        if n == 0 {
            return Ok(pass);
        }
        pass.embedded += n;
        pass.batches += 1;
        let seen = total.max(pass.embedded);
        let span = usize::from(to.saturating_sub(from));
        let pct = (usize::from(from) + pass.embedded * span / seen.max(1)).min(99) as u8;
        ctx.progress(pct, &format!("embedded {} of {seen}", pass.embedded))
            .await?;
    }
}

pub async fn run(ctx: JobContext, _: NoParams) -> Result<EmbedOutcome, JobError> {
    let ws = ctx.workspace_id()?;
    let embedder = ctx.embedder().await?;
    let started = std::time::Instant::now();
    let pass = embed_pending(&ctx, embedder.as_ref(), (5, 99)).await?;
    // New feedback joins its nearest theme right away; the next full run re-clusters.
    let threshold = ctx.settings().clustering.attach_threshold;
    let attached = if pass.embedded > 0 {
        shared::services::themes::attach_new(ctx.db(), ws, embedder.model(), threshold).await?
    } else {
        0
    };
    // Tickets created or edited since the last pass: embed and score them right away.
    let tickets = shared::services::jira::embed_pending_tickets(
        ctx.db(),
        ws,
        embedder.as_ref(),
        ctx.settings().ingest.embed_batch_size,
        None,
    )
    .await?;
    let ticket_stats = if tickets.is_empty() {
        None
    } else {
        let opts = shared::services::jira::ticket_scores::ScoreOptions::from_settings(
            ctx.settings(),
            None,
            Some(tickets.clone()),
        );
        let stats = shared::services::jira::ticket_scores::match_and_score(
            ctx.db(),
            ws,
            embedder.as_ref(),
            &opts,
        )
        .await?;
        Some(stats)
    };
    Ok(EmbedOutcome {
        model: embedder.model().to_owned(),
        embedded: pass.embedded,
        tickets_embedded: tickets.len(),
        tickets_scored: ticket_stats,
        attached_to_themes: attached,
        batches: pass.batches,
        seconds: started.elapsed().as_secs_f64(),
    })
}
