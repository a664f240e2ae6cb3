//! Swapping a run's themes, links, metrics and insights in, in one transaction.

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::refresh;
use super::{draft::InsightText, draft::ThemeDraft, load::Item, lock::lock_workspace_themes};
use crate::db::statement as raw;
use crate::{
    DomainError,
    ai::embeddings::to_bytes,
    services::theme_scores::{self},
};

/// A run's (or a split's) themes as the rows `upsert` writes.
pub(super) struct Rows {
    themes: Vec<Value>,
    links: Vec<Value>,
    metrics: Vec<Value>,
    insights: Vec<Value>,
}

impl Rows {
    pub(super) fn of(drafts: &[ThemeDraft], texts: &[InsightText], items: &[Item]) -> Self {
        use base64::Engine;
        let b64 = |v: &[f32]| base64::engine::general_purpose::STANDARD.encode(to_bytes(v));
        let mut rows = Rows {
            themes: Vec::new(),
            links: Vec::new(),
            metrics: Vec::new(),
            insights: Vec::new(),
        };
        for (d, t) in drafts.iter().zip(texts) {
            rows.themes.push(json!({"id": d.id, "label": d.label, "keywords": d.keywords, "centroid": b64(&d.centroid), "size": d.members.len()}));
            for (i, sim) in &d.members {
                rows.links.push(
                    json!({"feedback_id": items[*i].id, "theme_id": d.id, "confidence": sim}),
                );
            }
            let e = &d.evidence;
            rows.metrics.push(json!({
                "theme_id": d.id, "freq_30d": e.freq_30d as i64, "freq_90d": e.freq_90d as i64, "acv_sum": e.acv_sum,
                "sentiment": e.avg_sentiment, "trend": theme_scores::trend_momentum(&e.weekly_counts),
                "dup_penalty": theme_scores::dup_penalty(e.similarity_to_higher), "score": d.score,
                "segment_counts": {"ENT": e.segment_counts[0], "MM": e.segment_counts[1], "SMB": e.segment_counts[2]},
                "weekly_counts": e.weekly_counts,
            }));
            rows.insights.push(json!({
                "id": d.insight_id, "theme_id": d.id, "title": t.title, "description": t.description,
                "impact": t.impact, "recommendation": t.recommendation, "severity": t.severity, "effort": t.effort,
                "priority_score": theme_scores::priority_score(d.score, &t.severity),
                "key_quote_ids": t.key_quote_ids, "generated_by": t.generated_by,
            }));
        }
        rows
    }
}

pub(super) async fn write(
    db: &(impl ConnectionTrait + TransactionTrait),
    ws: Uuid,
    model: &str,
    drafts: &[ThemeDraft],
    texts: &[InsightText],
    items: &[Item],
    attach_threshold: f32,
) -> Result<usize, DomainError> {
    let rows = Rows::of(drafts, texts, items);
    let ids: Vec<Uuid> = drafts.iter().map(|d| d.id).collect();
    let txn = db.begin().await?;
    lock_workspace_themes(&txn, ws).await?;
    let exec = |sql: &'static str, values: Vec<sea_orm::Value>| raw(sql, values);
    txn.execute_raw(exec(
        "DELETE FROM insights WHERE workspace_id = $1 AND category = 'customer_feedback' \
         AND (theme_id IS NULL OR NOT (theme_id = ANY (SELECT (jsonb_array_elements_text($2::jsonb))::uuid)))",
        vec![ws.into(), json!(ids).into()],
    ))
    .await?;
    txn.execute_raw(exec(
        "DELETE FROM themes WHERE workspace_id = $1 AND NOT (id = ANY (SELECT (jsonb_array_elements_text($2::jsonb))::uuid))",
        vec![ws.into(), json!(ids).into()],
    ))
    .await?;
    txn.execute_raw(exec("DELETE FROM feedback_themes WHERE theme_id IN (SELECT id FROM themes WHERE workspace_id = $1)", vec![ws.into()]))
        .await?;
    let count = rows.insights.len();
    upsert(&txn, ws, model, rows).await?;
    // Feedback embedded while this run computed joins its nearest new theme now, instead
    // of losing the link the swap just replaced.
    let placed: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    if refresh::attach_in(&txn, ws, model, attach_threshold, &placed).await? > 0 {
        // Re-scores with the late arrivals and refreshes the cards.
        refresh::refresh_in(&txn, ws).await?;
    } else {
        super::cards::refresh_cards(&txn, ws).await?;
    }
    txn.commit().await?;
    // A swap rewrites these tables at once, faster than autovacuum notices: without fresh
    // statistics the board's plan sorts every insight instead of reading the index in order
    // (half the board's throughput until the next autoanalyze). Small tables: milliseconds.
    if let Err(e) = db
        .execute_unprepared("ANALYZE themes, theme_metrics, insights, feedback_themes")
        .await
    {
        tracing::warn!(error = %e, "ANALYZE after the theme swap failed");
    }
    Ok(count)
}

/// Inserts or updates themes, their links, metrics and insights inside the caller's
/// transaction (which holds the themes lock). An insight a PM edited keeps its text; a
/// theme's curation, an insight's pin and hiding are not columns written here, so they stay.
pub(super) async fn upsert(
    txn: &impl ConnectionTrait,
    ws: Uuid,
    model: &str,
    rows: Rows,
) -> Result<(), DomainError> {
    txn.execute_raw(raw(
        "INSERT INTO themes (id, workspace_id, label, keywords, centroid, embedding_model, size) \
         SELECT x.id, $1, x.label, x.keywords, decode(x.centroid, 'base64'), $3, x.size \
         FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, label text, keywords jsonb, centroid text, size int) \
         ON CONFLICT (id) DO UPDATE SET label = EXCLUDED.label, keywords = EXCLUDED.keywords, centroid = EXCLUDED.centroid, \
         embedding_model = EXCLUDED.embedding_model, size = EXCLUDED.size, updated_at = now()",
        vec![ws.into(), Value::Array(rows.themes).into(), model.into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "INSERT INTO feedback_themes (feedback_id, theme_id, confidence) \
         SELECT feedback_id, theme_id, confidence FROM jsonb_to_recordset($1::jsonb) AS x(feedback_id uuid, theme_id uuid, confidence real)",
        vec![Value::Array(rows.links).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "INSERT INTO theme_metrics (theme_id, freq_30d, freq_90d, acv_sum, sentiment, trend, dup_penalty, score, segment_counts, weekly_counts) \
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(theme_id uuid, freq_30d int, freq_90d int, acv_sum float8, sentiment real, \
             trend real, dup_penalty real, score real, segment_counts jsonb, weekly_counts jsonb) \
         ON CONFLICT (theme_id) DO UPDATE SET freq_30d = EXCLUDED.freq_30d, freq_90d = EXCLUDED.freq_90d, acv_sum = EXCLUDED.acv_sum, \
         sentiment = EXCLUDED.sentiment, trend = EXCLUDED.trend, dup_penalty = EXCLUDED.dup_penalty, score = EXCLUDED.score, \
         segment_counts = EXCLUDED.segment_counts, weekly_counts = EXCLUDED.weekly_counts, computed_at = now()",
        vec![Value::Array(rows.metrics).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "INSERT INTO insights (id, workspace_id, theme_id, title, description, impact, recommendation, severity, effort, \
             priority_score, key_quote_ids, generated_by) \
         SELECT x.id, $1, x.theme_id, x.title, x.description, x.impact, x.recommendation, x.severity, x.effort, \
             x.priority_score, x.key_quote_ids, x.generated_by \
         FROM jsonb_to_recordset($2::jsonb) AS x(id uuid, theme_id uuid, title text, description text, impact text, \
             recommendation text, severity text, effort text, priority_score int, key_quote_ids jsonb, generated_by text) \
         ON CONFLICT (theme_id) DO UPDATE SET \
         title = CASE WHEN insights.edited_at IS NULL THEN EXCLUDED.title ELSE insights.title END, \
         description = CASE WHEN insights.edited_at IS NULL THEN EXCLUDED.description ELSE insights.description END, \
         impact = CASE WHEN insights.edited_at IS NULL THEN EXCLUDED.impact ELSE insights.impact END, \
         recommendation = CASE WHEN insights.edited_at IS NULL THEN EXCLUDED.recommendation ELSE insights.recommendation END, \
         severity = EXCLUDED.severity, \
         effort = EXCLUDED.effort, priority_score = EXCLUDED.priority_score, key_quote_ids = EXCLUDED.key_quote_ids, \
         generated_by = EXCLUDED.generated_by, updated_at = now()",
        vec![ws.into(), Value::Array(rows.insights).into()],
    ))
    .await?;
    Ok(())
}
