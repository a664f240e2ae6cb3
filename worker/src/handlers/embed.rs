//! Embeds the workspace's feedback that has no vector from the current model.

use serde_json::{Value, json};
use shared::services::embedding;

use crate::{JobContext, JobError};

pub async fn run(ctx: JobContext) -> Result<Value, JobError> {
    let ws = ctx.workspace_id()?;
    let embedder = ctx.ai().embedder().await?;
    let batch = ctx.settings().ingest.embed_batch_size;
    let started = std::time::Instant::now();
    let total = embedding::pending(ctx.db(), ws, embedder.model())
        .await?
        .max(0) as usize;
    ctx.progress(
        5,
        &format!("embedding {total} items with {}", embedder.model()),
    )
    .await?;
    let (mut embedded, mut batches) = (0usize, 0usize);
    loop {
        let n = embedding::embed_next_batch(ctx.db(), ws, embedder.as_ref(), batch).await?;
        if n == 0 {
            break;
        }
        embedded += n;
        batches += 1;
        let pct = (5 + embedded * 94 / total.max(embedded).max(1)).min(99) as u8;
        ctx.progress(
            pct,
            &format!("embedded {embedded} of {}", total.max(embedded)),
        )
        .await?;
    }
    // New feedback joins its nearest theme right away; the next full run re-clusters.
    let threshold = ctx.settings().clustering.attach_threshold;
    let attached = if embedded > 0 {
        shared::services::themes::attach_new(ctx.db(), ws, embedder.model(), threshold).await?
    } else {
        0
    };
    Ok(json!({
        "model": embedder.model(),
        "embedded": embedded,
        "attached_to_themes": attached,
        "batches": batches,
        "seconds": started.elapsed().as_secs_f64(),
    }))
}
