//! Embeds feedback that has no vector yet, or one made by another model than the current.
//! Vectors live in `feedback_vectors`; `feedback.embedding_model` names the model of an
//! item's current vector and is NULL while the item waits.

use sea_orm::ConnectionTrait;
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
        .query_one_raw(crate::db::statement(
            "SELECT count(*) AS n FROM feedback WHERE workspace_id = $1 \
             AND (embedding_model IS NULL OR embedding_model <> $2)",
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
        .query_all_raw(crate::db::statement(
            // New rows first, through the partial index, in no particular order: the model
            // packs texts without padding, so sorting by length would buy nothing and cost a
            // sort of every pending row per batch. Then rows of another model.
            "(SELECT id, text FROM feedback WHERE workspace_id = $1 AND embedding_model IS NULL \
              LIMIT $3) \
             UNION ALL \
             (SELECT id, text FROM feedback WHERE workspace_id = $1 AND embedding_model <> $2 \
              LIMIT $3) LIMIT $3",
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
    let items: Vec<_> = ids
        .iter()
        .zip(&texts)
        .zip(&vectors)
        .map(|((id, text), v)| (*id, text.as_str(), v.as_slice()))
        .collect();
    Ok(store_vectors(db, &model, &items).await? as usize)
}

/// Stores vectors made by `model` and marks their items as embedded by it, in one statement.
/// Each item comes with the text its vector was made from and is written only if its text is
/// still that: an item edited meanwhile stays pending. Returns how many items were written.
pub async fn store_vectors(
    db: &impl ConnectionTrait,
    model: &str,
    items: &[(Uuid, &str, &[f32])],
) -> Result<u64, DomainError> {
    use base64::Engine;
    let payload: Vec<serde_json::Value> = items
        .iter()
        .map(|(id, text, v)| {
            serde_json::json!({
                "id": id,
                "text": text,
                "e": base64::engine::general_purpose::STANDARD.encode(to_bytes(v)),
            })
        })
        .collect();
    let written = db
        .execute_raw(crate::db::statement("WITH x AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, text text, e text)), \
             marked AS (UPDATE feedback f SET embedding_model = $2 FROM x \
                        WHERE f.id = x.id AND f.text = x.text RETURNING f.id) \
             INSERT INTO feedback_vectors (feedback_id, embedding) \
             SELECT x.id, decode(x.e, 'base64') FROM x JOIN marked USING (id) \
             ON CONFLICT (feedback_id) DO UPDATE SET embedding = EXCLUDED.embedding",
            [serde_json::Value::Array(payload).into(), model.into()],
        ))
        .await?;
    Ok(written.rows_affected())
}
