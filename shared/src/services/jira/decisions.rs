//! A PM confirms or rejects a ticket's match to an insight. The decision is stored on the
//! match (created if the insight was never proposed), survives every re-run, and the
//! ticket is re-scored in the same transaction.

use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use uuid::Uuid;

use super::{
    matching::{CONFIRMED, REJECTED, confidence},
    raw,
    ticket_scores::score_from_matches,
    tickets::get_by_key,
};
use crate::{
    DomainError,
    ai::embeddings::{cosine, from_bytes},
    services::themes::lock_workspace_themes,
};

/// Records the decision; returns the stored `is_confirmed` (1 or 0).
pub async fn decide(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    ticket_key: &str,
    insight_id: Uuid,
    confirmed: bool,
    default_threshold: f32,
) -> Result<i16, DomainError> {
    let txn = db.begin().await?;
    lock_workspace_themes(&txn, workspace_id).await?;
    let ticket = get_by_key(&txn, workspace_id, ticket_key).await?;
    let row = txn
        .query_one_raw(raw(
            "SELECT t.centroid, t.embedding_model, \
                    (SELECT similarity FROM jira_insight_matches m WHERE m.ticket_id = $3 AND m.insight_id = i.id) AS stored, \
                    (SELECT embedding FROM jira_tickets WHERE id = $3 AND embedding_model = t.embedding_model) AS ticket_vec \
             FROM insights i JOIN themes t ON t.id = i.theme_id \
             WHERE i.workspace_id = $1 AND i.id = $2 AND i.category = 'customer_feedback'",
            vec![workspace_id.into(), insight_id.into(), ticket.id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("insight"))?;
    let centroid: Vec<u8> = row.try_get("", "centroid")?;
    let similarity = match row.try_get::<Option<f32>>("", "stored")? {
        Some(s) => s,
        None => row
            .try_get::<Option<Vec<u8>>>("", "ticket_vec")?
            .map_or(0.0, |v| cosine(&from_bytes(&v), &from_bytes(&centroid))),
    };
    let decision = if confirmed { CONFIRMED } else { REJECTED };
    txn.execute_raw(raw(
        "INSERT INTO jira_insight_matches (ticket_id, insight_id, similarity, confidence, is_confirmed) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ticket_id, insight_id) \
         DO UPDATE SET is_confirmed = EXCLUDED.is_confirmed, updated_at = now()",
        vec![
            ticket.id.into(),
            insight_id.into(),
            similarity.into(),
            confidence(similarity).into(),
            decision.into(),
        ],
    ))
    .await?;
    score_from_matches(&txn, workspace_id, &[ticket.id], default_threshold).await?;
    txn.commit().await?;
    Ok(decision)
}
