//! Feedback: the read side used by the API (filtered pages, cursors, counts, per-source
//! summary). Storing it is `store`; documents reassembled from their chunks are `documents`.

mod documents;
mod store;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{DomainError, entities::feedback};

pub use documents::{Document, MAX_DOCUMENT_CHUNKS, document_chunks, documents};
pub use store::{IngestReport, NewFeedback, Pushed, ingest, push};

#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    pub source: Option<String>,
    pub limit: u64,
    pub offset: u64,
    /// Keyset position: only items after this one in the list's order.
    pub after: Option<crate::services::cursor::Cursor>,
}

/// A page of feedback, newest first, for display.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    filter: &FeedbackFilter,
) -> Result<Vec<feedback::Model>, DomainError> {
    let mut q = feedback::Entity::find().filter(feedback::Column::WorkspaceId.eq(workspace_id));
    if let Some(s) = &filter.source {
        q = q.filter(feedback::Column::Source.eq(s.as_str()));
    }
    if let Some(after) = filter.after {
        q = q.filter(sea_orm::sea_query::Expr::cust_with_values(
            "(created_at, id) < ($1, $2)",
            [
                sea_orm::Value::from(after.at),
                sea_orm::Value::from(after.id),
            ],
        ));
    }
    Ok(q.order_by_desc(feedback::Column::CreatedAt)
        .order_by_desc(feedback::Column::Id)
        .limit(filter.limit)
        .offset(filter.offset)
        .into_model::<feedback::Model>()
        .all(db)
        .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<feedback::Model, DomainError> {
    feedback::Entity::find_by_id(id)
        .filter(feedback::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or(DomainError::not_found("feedback"))
}

/// Deletes one item; its themes' sizes, metrics and cards are recomputed in the same
/// transaction.
pub async fn delete(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    workspace_id: Uuid,
    id: Uuid,
) -> Result<(), DomainError> {
    let txn = db.begin().await?;
    // The lock before the delete: taken after, it would wait on a clustering swap that in
    // turn waits on this delete's locked links.
    crate::services::themes::lock_workspace_themes(&txn, workspace_id).await?;
    let res = feedback::Entity::delete_many()
        .filter(feedback::Column::Id.eq(id))
        .filter(feedback::Column::WorkspaceId.eq(workspace_id))
        .exec(&txn)
        .await?;
    if res.rows_affected == 0 {
        return Err(DomainError::not_found("feedback"));
    }
    crate::services::themes::after_evidence_changed(&txn, workspace_id).await?;
    sea_orm::TransactionSession::commit(txn).await?;
    Ok(())
}

pub async fn count(db: &impl ConnectionTrait, workspace_id: Uuid) -> Result<u64, DomainError> {
    Ok(feedback::Entity::find()
        .filter(feedback::Column::WorkspaceId.eq(workspace_id))
        .count(db)
        .await?)
}

/// Feedback of one source (also the API's response item).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, FromQueryResult)]
pub struct SourceSummary {
    pub source: String,
    pub count: i64,
    /// When the newest item of this source was received.
    pub last_ingested_at: Option<DateTime<Utc>>,
}

/// Per source: how many items and when the newest arrived (ingestion time, not content date).
pub async fn sources_summary(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<Vec<SourceSummary>, DomainError> {
    let rows = db
        .query_all_raw(crate::db::statement("SELECT source, count(*) AS count, max(ingested_at) AS last_ingested_at FROM feedback WHERE workspace_id = $1 \
             GROUP BY source ORDER BY count(*) DESC, source",
            [workspace_id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| SourceSummary::from_query_result(r, ""))
        .collect::<Result<_, _>>()?)
}

/// The metadata object for an item, merging extra keys into it.
pub fn meta_with(base: serde_json::Map<String, Value>, extra: &[(&str, Value)]) -> Value {
    let mut m = base;
    for (k, v) in extra {
        m.insert((*k).to_owned(), v.clone());
    }
    json!(m)
}
