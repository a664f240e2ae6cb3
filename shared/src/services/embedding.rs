//! Embeds feedback that has no vector yet, or one made by another model than the current.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

use crate::{
    DomainError,
    ai::embeddings::{Embedder, to_bytes},
};

/// Rows still needing a vector from `model`.
pub async fn pending(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    model: &str,
) -> Result<i64, DomainError> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT count(*) AS n FROM feedback WHERE workspace_id = $1 \
             AND (embedding IS NULL OR embedding_model IS DISTINCT FROM $2)",
            [workspace_id.into(), model.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// Embeds up to `batch` pending rows; returns how many were written (0 when none are left).
pub async fn embed_next_batch(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    embedder: &dyn Embedder,
    batch: usize,
) -> Result<usize, DomainError> {
    let model = embedder.model().to_owned();
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            // New rows first, through the partial index, shortest first: a batch of texts of
            // similar length wastes little of the model's work on padding. Then rows of
            // another model.
            "(SELECT id, text FROM feedback WHERE workspace_id = $1 AND embedding IS NULL \
              ORDER BY length(text), id LIMIT $3) \
             UNION ALL \
             (SELECT id, text FROM feedback WHERE workspace_id = $1 AND embedding IS NOT NULL \
              AND embedding_model IS DISTINCT FROM $2 LIMIT $3) LIMIT $3",
            [
                workspace_id.into(),
                model.clone().into(),
                (batch as i64).into(),
            ],
        ))
        .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut ids = Vec::with_capacity(rows.len());
    let mut texts = Vec::with_capacity(rows.len());
    for r in &rows {
        ids.push(r.try_get::<Uuid>("", "id")?);
        texts.push(r.try_get::<String>("", "text")?);
    }
    let vectors = embedder.embed(&texts).await?;
    metrics::counter!(crate::metrics::EMBEDDED_TEXTS).increment(texts.len() as u64);
    let payload: Vec<serde_json::Value> = ids
        .iter()
        .zip(&texts)
        .zip(&vectors)
        .map(|((id, text), v)| {
            use base64::Engine;
            serde_json::json!({
                "id": id,
                "text": text,
                "e": base64::engine::general_purpose::STANDARD.encode(to_bytes(v)),
            })
        })
        .collect();
    // The text guard skips rows edited while we embedded them; they stay pending.
    let updated = db
        .execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "UPDATE feedback f SET embedding = decode(x.e, 'base64'), embedding_model = $2 \
             FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, text text, e text) \
             WHERE f.id = x.id AND f.text = x.text",
            [serde_json::Value::Array(payload).into(), model.into()],
        ))
        .await?;
    Ok(updated.rows_affected() as usize)
}
