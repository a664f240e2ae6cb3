//! Feedback: idempotent ingestion (redaction, sentiment, customer linking, upsert by
//! `(workspace, source, source_id)`) and the read side used by the API.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    DomainError,
    entities::{feedback, workspace},
    ingest::{pii, sentiment},
    services::customers::{self, CustomerFacts},
};

pub const SOURCES: &[&str] = &["slack", "jira", "gdoc", "zoom", "upload", "api"];

/// One item to store.
#[derive(Debug, Clone, Default)]
pub struct NewFeedback {
    pub source: &'static str,
    pub source_id: String,
    pub text: String,
    /// Account name as the source gave it; linked to a customer when it names one.
    pub account: Option<String>,
    pub customer_facts: CustomerFacts,
    pub created_at: Option<DateTime<Utc>>,
    pub meta: Value,
    pub doc_url: Option<String>,
    pub speaker: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub customers_linked: usize,
    /// The ingest re-scored the workspace's themes (an account's facts changed or items were
    /// rewritten), so a caller that changed evidence in the same transaction need not again.
    #[serde(skip)]
    pub rescored: bool,
}

impl IngestReport {
    pub fn total(&self) -> usize {
        self.created + self.updated + self.unchanged
    }
}

#[derive(Serialize)]
struct Row<'a> {
    id: Uuid,
    source: &'a str,
    source_id: &'a str,
    text: String,
    account: Option<String>,
    customer_id: Option<Uuid>,
    created_at: Option<DateTime<Utc>>,
    meta: Value,
    doc_url: Option<&'a str>,
    speaker: Option<&'a str>,
    started_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    sentiment: f32,
}

/// Rows per INSERT statement: large enough to amortise round trips, small enough for memory.
const INSERT_BATCH: usize = 1000;

/// An item pushed through `POST /feedback`.
pub struct Pushed {
    pub source_id: String,
    pub text: String,
    pub account: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub meta: Option<Value>,
}

/// Stores pushed items under source `api`, all in one transaction (upserted by source id).
pub async fn push(
    db: &(impl ConnectionTrait + sea_orm::TransactionTrait),
    workspace_id: Uuid,
    items: impl IntoIterator<Item = Pushed>,
) -> Result<IngestReport, DomainError> {
    let workspace = crate::services::workspaces::get(db, workspace_id).await?;
    let items = items
        .into_iter()
        .map(|i| NewFeedback {
            source: "api",
            source_id: i.source_id,
            text: i.text,
            account: i.account,
            created_at: i.created_at,
            meta: i.meta.unwrap_or_else(|| serde_json::json!({})),
            ..NewFeedback::default()
        })
        .collect();
    use sea_orm::TransactionSession;
    let txn = db.begin().await?;
    let report = ingest(&txn, &workspace, items).await?;
    txn.commit().await?;
    Ok(report)
}

/// Stores items in the caller's transaction. Re-ingesting an item updates it in place; when
/// its text changes its embedding is cleared so it is embedded again.
pub async fn ingest(
    db: &impl ConnectionTrait,
    workspace: &workspace::Model,
    items: Vec<NewFeedback>,
) -> Result<IngestReport, DomainError> {
    let mut report = IngestReport::default();
    // Customers already written in this batch, with the facts they were written with: a
    // file repeating the same account and ACV on every row costs one upsert, not one per row.
    let mut customer_ids: HashMap<String, (Uuid, Option<f64>, Option<customers::Segment>)> =
        HashMap::new();
    let mut customers_changed = false;
    // Redaction and sentiment are CPU work: done for all items in parallel first.
    let prepared: Vec<(String, f32, serde_json::Value)> = {
        use rayon::prelude::*;
        let redact = workspace.pii_redaction;
        items
            .par_iter()
            .map(|item| {
                let text = pii::redact_if(redact, item.text.trim());
                let score = sentiment::score(&text);
                let meta = if redact {
                    pii::redact_json(&item.meta)
                } else {
                    item.meta.clone()
                };
                (text, score, meta)
            })
            .collect()
    };
    let mut rows = Vec::with_capacity(items.len());
    for (item, (text, sentiment_score, meta)) in items.iter().zip(prepared) {
        if !SOURCES.contains(&item.source) {
            return Err(DomainError::invalid(
                "source",
                format!("unknown source {:?}", item.source),
            ));
        }
        if text.is_empty() {
            continue;
        }
        let account = item
            .account
            .as_deref()
            .map(str::trim)
            .filter(|a| !customers::is_placeholder_name(a));
        let customer_id = match account {
            Some(name) => {
                let key = customers::name_key(name);
                let facts = &item.customer_facts;
                match customer_ids.get(&key) {
                    Some((id, acv, segment))
                        if facts.acv.is_none_or(|a| Some(a) == *acv)
                            && facts.segment.is_none_or(|s| Some(s) == *segment) =>
                    {
                        Some(*id)
                    }
                    _ => {
                        let (c, changed) =
                            customers::upsert_noting_change(db, workspace.id, name, facts).await?;
                        customers_changed |= changed;
                        customer_ids.insert(key, (c.id, Some(c.acv), facts.segment));
                        Some(c.id)
                    }
                }
            }
            None => None,
        };
        report.customers_linked += usize::from(customer_id.is_some());
        rows.push(Row {
            id: Uuid::now_v7(),
            source: item.source,
            source_id: &item.source_id,
            sentiment: sentiment_score,
            text,
            account: account.map(str::to_owned),
            customer_id,
            created_at: item.created_at,
            meta,
            doc_url: item.doc_url.as_deref(),
            speaker: item.speaker.as_deref(),
            started_at: item.started_at,
            ended_at: item.ended_at,
        });
    }
    for batch in rows.chunks(INSERT_BATCH) {
        let outcome = upsert_batch(db, workspace.id, batch).await?;
        report.created += outcome.0;
        report.updated += outcome.1;
        report.unchanged += outcome.2;
    }
    // Changed customer facts (an ACV, a segment) and rewritten items (a new account) show
    // on the board's cards and in its scores at once; an ingest of only new items changes
    // neither (they count once embedded and attached).
    if customers_changed || report.updated > 0 {
        crate::services::themes::after_evidence_changed(db, workspace.id).await?;
        report.rescored = true;
    }
    Ok(report)
}

/// One statement per batch: rows travel as a JSON array and are upserted together.
/// Returns (created, updated, unchanged).
async fn upsert_batch(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    rows: &[Row<'_>],
) -> Result<(usize, usize, usize), DomainError> {
    // Unchanged rows are not rewritten (and not returned), so re-ingesting costs little and
    // keeps their embeddings. An item without a date is inserted at now() (the transaction
    // time), which is how the update recognises it and keeps the stored date.
    let sql = r#"
WITH input AS (
    SELECT DISTINCT ON (source, source_id) *
    FROM jsonb_to_recordset($2::jsonb) AS x(
        id uuid, source text, source_id text, text text, account text, customer_id uuid,
        created_at timestamptz, meta jsonb, doc_url text, speaker text,
        started_at timestamptz, ended_at timestamptz, sentiment real)
    ORDER BY source, source_id, id DESC
),
upserted AS (
    INSERT INTO feedback AS f (id, workspace_id, source, source_id, text, account, customer_id, created_at,
                               meta, doc_url, speaker, started_at, ended_at, sentiment)
    SELECT id, $1, source, source_id, text, account, customer_id, coalesce(created_at, now()),
           coalesce(meta, '{}'::jsonb), doc_url, speaker, started_at, ended_at, sentiment
    FROM input
    ON CONFLICT (workspace_id, source, source_id) DO UPDATE SET
        text = EXCLUDED.text,
        account = EXCLUDED.account,
        customer_id = EXCLUDED.customer_id,
        created_at = CASE WHEN EXCLUDED.created_at = now() THEN f.created_at
                          ELSE EXCLUDED.created_at END,
        meta = EXCLUDED.meta,
        doc_url = EXCLUDED.doc_url,
        speaker = EXCLUDED.speaker,
        started_at = EXCLUDED.started_at,
        ended_at = EXCLUDED.ended_at,
        sentiment = EXCLUDED.sentiment,
        embedding_model = CASE WHEN f.text = EXCLUDED.text THEN f.embedding_model ELSE NULL END,
        updated_at = now()
    WHERE (f.text, f.account, f.customer_id, f.meta, f.doc_url, f.speaker)
          IS DISTINCT FROM (EXCLUDED.text, EXCLUDED.account, EXCLUDED.customer_id, EXCLUDED.meta,
                            EXCLUDED.doc_url, EXCLUDED.speaker)
    RETURNING (xmax = 0) AS inserted
)
SELECT (SELECT count(*) FROM input) AS total,
       count(*) FILTER (WHERE inserted) AS created,
       count(*) FILTER (WHERE NOT inserted) AS updated
FROM upserted
"#;
    let payload = serde_json::to_value(rows).map_err(|e| DomainError::Other(e.into()))?;
    let row = db
        .query_one_raw(crate::db::statement(
            sql,
            [workspace_id.into(), payload.into()],
        ))
        .await?
        .ok_or_else(|| DomainError::Other(anyhow::anyhow!("upsert returned no summary")))?;
    let get = |c: &str| row.try_get::<i64>("", c).map(|v| v as usize);
    let (total, created, updated) = (get("total")?, get("created")?, get("updated")?);
    Ok((created, updated, total - created - updated))
}

// ---- reading ------------------------------------------------------------------------------

#[derive(Debug, Clone, Default)]
pub struct FeedbackFilter {
    pub source: Option<String>,
    pub limit: u64,
    pub offset: u64,
    /// Keyset position: only items after this one in the list's order.
    pub after: Option<Cursor>,
}

/// A position in the feedback list (newest first): the last item a page ended with.
/// Deep pages by cursor cost the same as the first page; offsets grow with the depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn of(item: &feedback::Model) -> Self {
        Self {
            created_at: item.created_at,
            id: item.id,
        }
    }

    /// Opaque to clients: `<microseconds>.<id>`, URL-safe.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}",
            self.created_at.timestamp_micros(),
            self.id.simple()
        )
    }

    pub fn decode(s: &str) -> Option<Self> {
        let (micros, id) = s.split_once('.')?;
        Some(Self {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
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
                sea_orm::Value::from(after.created_at),
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
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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
        .query_all_raw(crate::db::statement("SELECT source, count(*) AS n, max(ingested_at) AS last FROM feedback WHERE workspace_id = $1 \
             GROUP BY source ORDER BY count(*) DESC, source",
            [workspace_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SourceSummary {
                source: r.try_get("", "source")?,
                count: r.try_get("", "n")?,
                last_ingested_at: r.try_get("", "last")?,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}

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
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let key: String = r.try_get("", "doc_key")?;
        let chunk_count: i64 = r.try_get("", "chunk_count")?;
        let texts: Vec<String> = r.try_get("", "first_texts")?;
        let mut summary = texts.join(" ... ");
        if summary.chars().count() > 500 {
            summary = summary.chars().take(497).collect::<String>() + "...";
        }
        if chunk_count > 5 {
            summary.push_str(&format!(" [+{} more statements]", chunk_count - 5));
        }
        let title: Option<String> = r.try_get("", "title")?;
        out.push(Document {
            title: title
                .unwrap_or_else(|| format!("Document {}", key.chars().take(8).collect::<String>())),
            url: r.try_get("", "url")?,
            account: r.try_get("", "account")?,
            created_at: r.try_get("", "created_at")?,
            modified_at: r.try_get("", "modified_at")?,
            owner: r.try_get("", "owner")?,
            chunk_count,
            summary,
            document_id: key,
        });
    }
    Ok(out)
}

/// The metadata object for an item, merging extra keys into it.
pub fn meta_with(base: serde_json::Map<String, Value>, extra: &[(&str, Value)]) -> Value {
    let mut m = base;
    for (k, v) in extra {
        m.insert((*k).to_owned(), v.clone());
    }
    json!(m)
}
