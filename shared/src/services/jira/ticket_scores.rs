//! Matching tickets to customer insights and scoring them, for one ticket or a whole
//! workspace, with the same code: vectors are loaded once, similarities are one
//! matrix-vector product per ticket, and everything a run decides is written in one
//! transaction under the workspace's themes lock (a clustering swap never interleaves).

use std::collections::{HashMap, HashSet};

use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    embed_pending_tickets,
    matching::{Match, propose},
    raw,
    voc::{self, Evidence, Maxima},
};
use crate::{
    DomainError,
    ai::embeddings::{Embedder, from_bytes},
    services::themes::lock_workspace_themes,
};

/// How a scoring run proceeds.
#[derive(Debug, Clone)]
pub struct ScoreOptions {
    /// Overrides each ticket's stored threshold (and is stored with the new score).
    pub threshold: Option<f32>,
    /// Used for tickets that were never scored, when `threshold` is not given.
    pub default_threshold: f32,
    pub max_matches: usize,
    /// Only these tickets; `None` scores the whole workspace.
    pub only: Option<Vec<Uuid>>,
    pub embed_batch: usize,
}

impl ScoreOptions {
    /// The configured defaults; `threshold` overrides, `only` narrows to some tickets.
    pub fn from_settings(
        settings: &crate::config::Settings,
        threshold: Option<f32>,
        only: Option<Vec<Uuid>>,
    ) -> Self {
        Self {
            threshold,
            default_threshold: settings.jira.similarity_threshold,
            max_matches: settings.jira.max_matches_per_ticket,
            only,
            embed_batch: settings.ingest.embed_batch_size,
        }
    }
}

/// What a scoring run did.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct ScoreStats {
    pub tickets_processed: usize,
    pub scores_calculated: usize,
    /// Mean VOC score of the tickets scored; 0 when none.
    pub avg_voc_score: f64,
    pub tickets_embedded: usize,
    pub matches_proposed: usize,
    pub insights_compared: usize,
}

struct TicketVector {
    id: Uuid,
    vector: Option<Vec<f32>>,
    threshold: Option<f32>,
}

/// Embeds stale tickets, re-matches them against every customer insight and re-scores.
pub async fn match_and_score(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    embedder: &dyn Embedder,
    opts: &ScoreOptions,
) -> Result<ScoreStats, DomainError> {
    let embedded = embed_pending_tickets(
        db,
        workspace_id,
        embedder,
        opts.embed_batch,
        opts.only.as_deref(),
    )
    .await?;
    let txn = db.begin().await?;
    lock_workspace_themes(&txn, workspace_id).await?;
    let matrix = super::matching::customer_insights(
        &txn,
        workspace_id,
        embedder.model(),
        embedder.dimensions(),
    )
    .await?;
    let tickets =
        ticket_vectors(&txn, workspace_id, embedder.model(), opts.only.as_deref()).await?;
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.id).collect();
    let decisions = decisions(&txn, &ids).await?;
    let mut rows = Vec::new();
    let mut thresholds = HashMap::new();
    for t in &tickets {
        let threshold = opts
            .threshold
            .or(t.threshold)
            .unwrap_or(opts.default_threshold);
        thresholds.insert(t.id, threshold);
        let empty = HashMap::new();
        let mine = decisions.get(&t.id).unwrap_or(&empty);
        for m in propose(
            &matrix,
            t.vector.as_deref(),
            threshold,
            opts.max_matches,
            mine,
        ) {
            rows.push((t.id, m));
        }
    }
    let proposed = rows
        .iter()
        .filter(|(_, m)| m.is_confirmed.is_none())
        .count();
    replace_matches(&txn, &ids, &rows).await?;
    let mut stats = rescore(&txn, workspace_id, &ids, &thresholds).await?;
    txn.commit().await?;
    stats.tickets_embedded = embedded.len();
    stats.matches_proposed = proposed;
    stats.insights_compared = matrix.len();
    Ok(stats)
}

/// Re-scores tickets from their stored matches (after a confirmation), without re-matching.
pub async fn score_from_matches(
    txn: &impl ConnectionTrait,
    workspace_id: Uuid,
    ticket_ids: &[Uuid],
    default_threshold: f32,
) -> Result<ScoreStats, DomainError> {
    let stored = stored_thresholds(txn, ticket_ids).await?;
    let thresholds = ticket_ids
        .iter()
        .map(|id| (*id, stored.get(id).copied().unwrap_or(default_threshold)))
        .collect();
    rescore(txn, workspace_id, ticket_ids, &thresholds).await
}

async fn ticket_vectors(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    model: &str,
    only: Option<&[Uuid]>,
) -> Result<Vec<TicketVector>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT t.id, CASE WHEN t.embedding_model = $2 THEN t.embedding END AS embedding, s.similarity_threshold \
             FROM jira_tickets t LEFT JOIN jira_voc_scores s ON s.ticket_id = t.id WHERE t.workspace_id = $1 \
             AND ($3::jsonb IS NULL OR t.id IN (SELECT (jsonb_array_elements_text($3::jsonb))::uuid)) \
             ORDER BY t.id FOR UPDATE OF t",
            vec![workspace_id.into(), model.into(), only.map(|ids| json!(ids)).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(TicketVector {
                id: r.try_get("", "id")?,
                vector: r
                    .try_get::<Option<Vec<u8>>>("", "embedding")?
                    .map(|b| from_bytes(&b)),
                threshold: r.try_get("", "similarity_threshold")?,
            })
        })
        .collect()
}

async fn decisions(
    db: &impl ConnectionTrait,
    ticket_ids: &[Uuid],
) -> Result<HashMap<Uuid, HashMap<Uuid, i16>>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT ticket_id, insight_id, is_confirmed FROM jira_insight_matches \
             WHERE is_confirmed IS NOT NULL AND ticket_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
            vec![json!(ticket_ids).into()],
        ))
        .await?;
    let mut out: HashMap<Uuid, HashMap<Uuid, i16>> = HashMap::new();
    for r in rows {
        out.entry(r.try_get("", "ticket_id")?)
            .or_default()
            .insert(r.try_get("", "insight_id")?, r.try_get("", "is_confirmed")?);
    }
    Ok(out)
}

async fn stored_thresholds(
    db: &impl ConnectionTrait,
    ticket_ids: &[Uuid],
) -> Result<HashMap<Uuid, f32>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT ticket_id, similarity_threshold FROM jira_voc_scores \
             WHERE ticket_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
            vec![json!(ticket_ids).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "ticket_id")?,
                r.try_get("", "similarity_threshold")?,
            ))
        })
        .collect()
}

/// Proposals that no longer qualify disappear; decisions stay with a fresh similarity.
async fn replace_matches(
    txn: &impl ConnectionTrait,
    ticket_ids: &[Uuid],
    rows: &[(Uuid, Match)],
) -> Result<(), DomainError> {
    txn.execute_raw(raw(
        "DELETE FROM jira_insight_matches WHERE is_confirmed IS NULL \
         AND ticket_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
        vec![json!(ticket_ids).into()],
    ))
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let payload: Vec<Value> = rows
        .iter()
        .map(|(ticket, m)| {
            json!({
                "ticket_id": ticket, "insight_id": m.insight_id, "similarity": m.similarity,
                "confidence": m.confidence, "is_confirmed": m.is_confirmed,
            })
        })
        .collect();
    txn.execute_raw(raw(
        "INSERT INTO jira_insight_matches (ticket_id, insight_id, similarity, confidence, is_confirmed) \
         SELECT x.ticket_id, x.insight_id, x.similarity, x.confidence, x.is_confirmed \
         FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, insight_id uuid, similarity real, confidence text, is_confirmed smallint) \
         ON CONFLICT (ticket_id, insight_id) DO UPDATE SET similarity = EXCLUDED.similarity, \
             confidence = EXCLUDED.confidence, updated_at = now()",
        vec![Value::Array(payload).into()],
    ))
    .await?;
    Ok(())
}

/// The workspace's strongest customer insight on each measure (from the board's cards).
async fn maxima(db: &impl ConnectionTrait, workspace_id: Uuid) -> Result<Maxima, DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT coalesce(max(jsonb_array_length(customers)), 0)::float8 AS customers, \
                    coalesce(max(total_acv), 0)::float8 AS acv, coalesce(max(feedback_count), 0)::float8 AS volume \
             FROM insights WHERE workspace_id = $1 AND category = 'customer_feedback' AND theme_id IS NOT NULL",
            vec![workspace_id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("workspace"))?;
    Ok(Maxima::from_query_result(&row, "")?)
}

/// Evidence per ticket over its included matches (confirmed, or proposed and undecided):
/// distinct feedback and distinct customers of the matched insights' themes. Each
/// insight's links are read once however many tickets share it.
async fn evidence(
    db: &impl ConnectionTrait,
    ticket_ids: &[Uuid],
) -> Result<HashMap<Uuid, Evidence>, DomainError> {
    let included = db
        .query_all_raw(raw(
            "SELECT ticket_id, insight_id FROM jira_insight_matches WHERE coalesce(is_confirmed, 1) = 1 \
             AND ticket_id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
            vec![json!(ticket_ids).into()],
        ))
        .await?;
    let mut per_ticket: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for r in &included {
        per_ticket
            .entry(r.try_get("", "ticket_id")?)
            .or_default()
            .push(r.try_get("", "insight_id")?);
    }
    let insights: HashSet<Uuid> = per_ticket.values().flatten().copied().collect();
    let links = db
        .query_all_raw(raw(
            "SELECT i.id AS insight_id, ft.feedback_id, f.customer_id, c.acv, c.segment \
             FROM insights i JOIN feedback_themes ft ON ft.theme_id = i.theme_id \
             JOIN feedback f ON f.id = ft.feedback_id LEFT JOIN customers c ON c.id = f.customer_id \
             WHERE i.id IN (SELECT (jsonb_array_elements_text($1::jsonb))::uuid)",
            vec![json!(insights).into()],
        ))
        .await?;
    let mut feedback_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut customers_of: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    let mut customer_facts: HashMap<Uuid, (f64, String)> = HashMap::new();
    for r in &links {
        let insight: Uuid = r.try_get("", "insight_id")?;
        feedback_of
            .entry(insight)
            .or_default()
            .push(r.try_get("", "feedback_id")?);
        if let Some(customer) = r.try_get::<Option<Uuid>>("", "customer_id")? {
            customers_of.entry(insight).or_default().push(customer);
            customer_facts.entry(customer).or_insert((
                r.try_get::<Option<f64>>("", "acv")?.unwrap_or(0.0),
                r.try_get::<Option<String>>("", "segment")?
                    .unwrap_or_default(),
            ));
        }
    }
    let mut out = HashMap::with_capacity(per_ticket.len());
    for (ticket, insights) in per_ticket {
        let feedback: HashSet<&Uuid> = insights
            .iter()
            .filter_map(|i| feedback_of.get(i))
            .flatten()
            .collect();
        let customers: HashSet<&Uuid> = insights
            .iter()
            .filter_map(|i| customers_of.get(i))
            .flatten()
            .collect();
        let facts: Vec<&(f64, String)> = customers
            .iter()
            .filter_map(|c| customer_facts.get(*c))
            .collect();
        let count = |s: &str| facts.iter().filter(|(_, seg)| seg == s).count() as i32;
        out.insert(
            ticket,
            Evidence {
                customer_count: facts.len() as i32,
                total_acv: facts.iter().map(|(acv, _)| acv).sum(),
                feedback_volume: feedback.len() as i32,
                ent: count("ENT"),
                mm: count("MM"),
                smb: count("SMB"),
            },
        );
    }
    Ok(out)
}

async fn rescore(
    txn: &impl ConnectionTrait,
    workspace_id: Uuid,
    ticket_ids: &[Uuid],
    thresholds: &HashMap<Uuid, f32>,
) -> Result<ScoreStats, DomainError> {
    let maxima = maxima(txn, workspace_id).await?;
    let evidence = evidence(txn, ticket_ids).await?;
    let none = Evidence::default();
    let mut total = 0.0;
    let payload: Vec<Value> = ticket_ids
        .iter()
        .map(|id| {
            let e = evidence.get(id).unwrap_or(&none);
            let s = voc::score(e, &maxima);
            total += s.voc_score;
            json!({
                "ticket_id": id, "customer_count": e.customer_count, "total_acv": e.total_acv,
                "feedback_volume": e.feedback_volume, "ent": e.ent, "mm": e.mm, "smb": e.smb,
                "customer_score": s.customer_score, "acv_score": s.acv_score,
                "segment_score": s.segment_score, "volume_score": s.volume_score,
                "voc_score": s.voc_score, "recommended_priority": s.recommended_priority,
                "threshold": thresholds.get(id).copied().unwrap_or(0.6),
            })
        })
        .collect();
    if !payload.is_empty() {
        txn.execute_raw(raw(
            "INSERT INTO jira_voc_scores (ticket_id, customer_count, total_acv, feedback_volume, ent_customer_count, \
                 mm_customer_count, smb_customer_count, customer_score, acv_score, segment_score, volume_score, \
                 voc_score, recommended_priority, similarity_threshold, calculated_at) \
             SELECT x.ticket_id, x.customer_count, x.total_acv, x.feedback_volume, x.ent, x.mm, x.smb, \
                 x.customer_score, x.acv_score, x.segment_score, x.volume_score, x.voc_score, \
                 x.recommended_priority, x.threshold, now() \
             FROM jsonb_to_recordset($1::jsonb) AS x(ticket_id uuid, customer_count int, total_acv float8, \
                 feedback_volume int, ent int, mm int, smb int, customer_score float8, acv_score float8, \
                 segment_score float8, volume_score float8, voc_score float8, recommended_priority text, threshold real) \
             ON CONFLICT (ticket_id) DO UPDATE SET customer_count = EXCLUDED.customer_count, \
                 total_acv = EXCLUDED.total_acv, feedback_volume = EXCLUDED.feedback_volume, \
                 ent_customer_count = EXCLUDED.ent_customer_count, mm_customer_count = EXCLUDED.mm_customer_count, \
                 smb_customer_count = EXCLUDED.smb_customer_count, customer_score = EXCLUDED.customer_score, \
                 acv_score = EXCLUDED.acv_score, segment_score = EXCLUDED.segment_score, \
                 volume_score = EXCLUDED.volume_score, voc_score = EXCLUDED.voc_score, \
                 recommended_priority = EXCLUDED.recommended_priority, \
                 similarity_threshold = EXCLUDED.similarity_threshold, calculated_at = now()",
            vec![Value::Array(payload).into()],
        ))
        .await?;
    }
    let n = ticket_ids.len();
    Ok(ScoreStats {
        tickets_processed: n,
        scores_calculated: n,
        avg_voc_score: if n == 0 {
            0.0
        } else {
            (total / n as f64 * 100.0).round() / 100.0
        },
        ..ScoreStats::default()
    })
}
