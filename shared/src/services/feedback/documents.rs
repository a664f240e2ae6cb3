//! Source documents (Drive files, uploaded PDFs) reassembled from their feedback chunks.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, FromQueryResult};
use serde::Serialize;
use uuid::Uuid;

use crate::{DomainError, entities::feedback};

/// A source document reassembled from its chunks (also the API's response item).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Document {
    pub document_id: String,
    pub title: String,
    pub url: Option<String>,
    pub account: Option<String>,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<String>,
    pub chunk_count: i64,
    /// The first chunks, joined; "[+K more statements]" when there are more.
    pub summary: String,
    pub owner: Option<String>,
}

/// Which document a chunk belongs to: the source's document id, else its URL, else its
/// title, else the item itself.
const DOC_KEY: &str = "coalesce(nullif(f.meta->>'document_id', ''), nullif(f.meta->>'url', ''), f.doc_url, \
                       nullif(f.meta->>'title', ''), f.source_id)";

/// At most this many chunks are returned for one document.
pub const MAX_DOCUMENT_CHUNKS: u64 = 2000;

/// One document's chunks in reading order (by chunk index, then time); 404 when the
/// workspace has no such document.
pub async fn document_chunks(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    document_id: &str,
) -> Result<Vec<feedback::Model>, DomainError> {
    let sql = format!(
        "SELECT f.* FROM feedback f WHERE f.workspace_id = $1 AND {DOC_KEY} = $2 \
         ORDER BY (f.meta->>'chunk_idx')::int NULLS LAST, f.created_at, f.id LIMIT $3"
    );
    let chunks = feedback::Entity::find()
        .from_raw_sql(crate::db::statement(
            &sql,
            [
                workspace_id.into(),
                document_id.into(),
                (MAX_DOCUMENT_CHUNKS as i64).into(),
            ],
        ))
        .all(db)
        .await?;
    if chunks.is_empty() {
        return Err(DomainError::not_found("document"));
    }
    Ok(chunks)
}

/// Documents (chunks grouped by their document key), newest first, paginated in SQL.
pub async fn documents(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    source: Option<&str>,
    limit: u64,
    offset: u64,
) -> Result<Vec<Document>, DomainError> {
    let sql = r#"
WITH chunks AS (
    SELECT f.*, {DOC_KEY} AS doc_key
    FROM feedback f WHERE f.workspace_id = $1 AND ($2::text IS NULL OR f.source = $2)
),
docs AS (
    SELECT doc_key, count(*) AS chunk_count, min(created_at) AS created_at,
           (array_agg(meta->>'title' ORDER BY created_at, id))[1] AS title,
           (array_agg(coalesce(meta->>'url', doc_url) ORDER BY created_at, id))[1] AS url,
           (array_agg(account ORDER BY created_at, id))[1] AS account,
           (array_agg(meta->>'modified_time' ORDER BY created_at, id))[1] AS modified_at,
           (array_agg(meta->>'owner' ORDER BY created_at, id))[1] AS owner,
           (array_agg(text ORDER BY (meta->>'chunk_idx')::int NULLS LAST, created_at, id))[1:5] AS first_texts
    FROM chunks GROUP BY doc_key
)
SELECT * FROM docs ORDER BY created_at DESC, doc_key LIMIT $3 OFFSET $4
"#
    .replace("{DOC_KEY}", DOC_KEY);
    let rows = db
        .query_all_raw(crate::db::statement(
            &sql,
            [
                workspace_id.into(),
                source.map(str::to_owned).into(),
                (limit as i64).into(),
                (offset as i64).into(),
            ],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| DocumentRow::from_query_result(r, "").map(Document::from))
        .collect::<Result<_, _>>()?)
}

/// One document as `documents` groups its chunks.
#[derive(FromQueryResult)]
struct DocumentRow {
    doc_key: String,
    chunk_count: i64,
    first_texts: Vec<String>,
    title: Option<String>,
    url: Option<String>,
    account: Option<String>,
    created_at: DateTime<Utc>,
    modified_at: Option<String>,
    owner: Option<String>,
}

impl From<DocumentRow> for Document {
    fn from(r: DocumentRow) -> Self {
        let mut summary = r.first_texts.join(" ... ");
        if summary.chars().count() > 500 {
            summary = summary.chars().take(497).collect::<String>() + "...";
        }
        if r.chunk_count > 5 {
            summary.push_str(&format!(" [+{} more statements]", r.chunk_count - 5));
        }
        let key = r.doc_key;
        Self {
            title: r
                .title
                .unwrap_or_else(|| format!("Document {}", key.chars().take(8).collect::<String>())),
            url: r.url,
            account: r.account,
            created_at: r.created_at,
            modified_at: r.modified_at,
            owner: r.owner,
            chunk_count: r.chunk_count,
            summary,
            document_id: key,
        }
    }
}
