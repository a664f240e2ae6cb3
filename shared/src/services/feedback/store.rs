//! Storing feedback idempotently: redaction, sentiment, customer linking, then an upsert by
//! `(workspace, source, source_id)` in batches.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::services::source::Source;
use crate::{
    DomainError,
    entities::workspace,
    ingest::{pii, sentiment},
    services::customers::{self, CustomerFacts},
};

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
            source: Source::Api.feedback_name(),
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
        if Source::from_feedback_name(item.source).is_none() {
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
