//! Ticket vectors: `"<title>. <description>"` embedded with the workspace's model, again
//! whenever the text changes (the store clears the vector) or the model does.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{raw, tickets::embedding_text};
use crate::{
    DomainError,
    ai::embeddings::{Embedder, to_bytes},
};

/// Tickets of the workspace without a current vector from `model`.
pub async fn pending_tickets(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    model: &str,
) -> Result<i64, DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT count(*) AS n FROM jira_tickets WHERE workspace_id = $1 \
             AND (embedding IS NULL OR embedding_model IS DISTINCT FROM $2)",
            vec![workspace_id.into(), model.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0))
}

/// Embeds the workspace's stale tickets (all of them, or only `only`) in batches of
/// `batch`; returns the ids written. A ticket edited meanwhile keeps its new text pending.
pub async fn embed_pending_tickets(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    embedder: &dyn Embedder,
    batch: usize,
    only: Option<&[Uuid]>,
) -> Result<Vec<Uuid>, DomainError> {
    let model = embedder.model().to_owned();
    let rows = db
        .query_all_raw(raw(
            "SELECT id, title, description FROM jira_tickets WHERE workspace_id = $1 \
             AND (embedding IS NULL OR embedding_model IS DISTINCT FROM $2) \
             AND ($3::jsonb IS NULL OR id IN (SELECT (jsonb_array_elements_text($3::jsonb))::uuid)) \
             ORDER BY jira_key",
            vec![
                workspace_id.into(),
                model.clone().into(),
                only.map(|ids| json!(ids)).into(),
            ],
        ))
        .await?;
    let mut written = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(batch.max(1)) {
        let mut ids = Vec::with_capacity(chunk.len());
        let mut titles = Vec::with_capacity(chunk.len());
        let mut descriptions = Vec::with_capacity(chunk.len());
        for r in chunk {
            ids.push(r.try_get::<Uuid>("", "id")?);
            titles.push(r.try_get::<String>("", "title")?);
            descriptions.push(r.try_get::<String>("", "description")?);
        }
        let texts: Vec<String> = titles
            .iter()
            .zip(&descriptions)
            .map(|(t, d)| embedding_text(t, d))
            .collect();
        let vectors = embedder.embed(&texts).await?;
        let payload: Vec<Value> = (0..ids.len())
            .map(|i| {
                use base64::Engine;
                json!({
                    "id": ids[i],
                    "title": titles[i],
                    "description": descriptions[i],
                    "e": base64::engine::general_purpose::STANDARD.encode(to_bytes(&vectors[i])),
                })
            })
            .collect();
        let updated = db
            .query_all_raw(raw(
                "UPDATE jira_tickets t SET embedding = decode(x.e, 'base64'), embedding_model = $2 \
                 FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, title text, description text, e text) \
                 WHERE t.id = x.id AND t.title = x.title AND t.description = x.description RETURNING t.id",
                vec![Value::Array(payload).into(), model.clone().into()],
            ))
            .await?;
        for r in updated {
            written.push(r.try_get::<Uuid>("", "id")?);
        }
    }
    Ok(written)
}
