//! Keeping metrics current between runs: re-scoring and attaching new feedback.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{ConnectionTrait, FromQueryResult, TransactionSession, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    draft::ThemeDraft,
    evidence::{evidence, score_drafts},
    load::{Item, load_customers},
    lock::lock_workspace_themes,
    weights::scoring_config,
};
use crate::db::statement as raw;
use crate::{
    DomainError,
    ai::embeddings::{cosine, from_bytes},
    services::theme_scores::{self, Evidence, SegmentPriorities, Weights},
};

/// Recomputes every theme's metrics and score from its current feedback links and the
/// workspace's current weights, and the insights' priorities; no re-clustering. Used after
/// weights change and after new feedback is attached between runs.
pub async fn refresh_metrics(
    db: &(impl ConnectionTrait + TransactionTrait),
    workspace_id: Uuid,
) -> Result<usize, DomainError> {
    let txn = db.begin().await?;
    lock_workspace_themes(&txn, workspace_id).await?;
    let n = refresh_in(&txn, workspace_id).await?;
    txn.commit().await?;
    Ok(n)
}

/// Inside the caller's transaction: takes the themes lock and recomputes sizes, metrics and
/// cards after the evidence behind them changed: feedback deleted, an account's ACV or
/// segment edited, items moved to another account. Scores and cards then move together.
pub async fn after_evidence_changed(
    txn: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<(), DomainError> {
    lock_workspace_themes(txn, workspace_id).await?;
    refresh_in(txn, workspace_id).await?;
    Ok(())
}

/// The workspace's themes with their evidence scored under `config` (the saved scoring
/// configuration when None), and each theme's severity.
async fn scored_drafts(
    txn: &impl ConnectionTrait,
    workspace_id: Uuid,
    config: Option<(Weights, SegmentPriorities)>,
) -> Result<(Vec<ThemeDraft>, HashMap<Uuid, String>), DomainError> {
    let db = txn;
    // Themes and their members in two statements: joined, each member row would carry its
    // theme's 1.5 kB centroid (150 MB at 100 000 items). Scores read no member text.
    let themes = db
        .query_all_raw(raw(
            "SELECT t.id, t.centroid, i.severity FROM themes t LEFT JOIN insights i ON i.theme_id = t.id \
             WHERE t.workspace_id = $1",
            vec![workspace_id.into()],
        ))
        .await?;
    let members = db
        .query_all_raw(raw(
            "SELECT ft.theme_id, ft.confidence, f.id, f.created_at, f.account, f.customer_id, f.sentiment, f.speaker \
             FROM feedback_themes ft JOIN themes t ON t.id = ft.theme_id JOIN feedback f ON f.id = ft.feedback_id \
             WHERE t.workspace_id = $1",
            vec![workspace_id.into()],
        ))
        .await?;
    let customers = load_customers(db, workspace_id).await?;
    let mut drafts: Vec<ThemeDraft> = Vec::with_capacity(themes.len());
    let mut severities: HashMap<Uuid, String> = HashMap::new();
    let mut draft_of: HashMap<Uuid, usize> = HashMap::new();
    for r in &themes {
        let id: Uuid = r.try_get("", "id")?;
        severities.insert(
            id,
            r.try_get::<Option<String>>("", "severity")?
                .unwrap_or_else(|| "medium".into()),
        );
        draft_of.insert(id, drafts.len());
        drafts.push(ThemeDraft {
            id,
            insight_id: id,
            label: String::new(),
            keywords: Vec::new(),
            centroid: from_bytes(&r.try_get::<Vec<u8>>("", "centroid")?),
            members: Vec::new(),
            evidence: Evidence::default(),
            score: 0.0,
        });
    }
    #[derive(FromQueryResult)]
    struct Member {
        theme_id: Uuid,
        confidence: f32,
        #[sea_orm(nested)]
        item: Item,
    }
    let mut items: Vec<Item> = Vec::with_capacity(members.len());
    for r in &members {
        let m = Member::from_query_result(r, "")?;
        let Some(&d) = draft_of.get(&m.theme_id) else {
            continue;
        };
        items.push(m.item);
        drafts[d].members.push((items.len() - 1, m.confidence));
    }
    let now = Utc::now();
    for d in &mut drafts {
        let members: Vec<&Item> = d.members.iter().map(|(i, _)| &items[*i]).collect();
        d.evidence = evidence(&members, &customers, now);
    }
    let (weights, priorities) = match config {
        Some(c) => c,
        None => scoring_config(db, workspace_id).await?,
    };
    score_drafts(&mut drafts, &weights, &priorities);
    Ok((drafts, severities))
}

/// How the board would rank under other weights, without saving anything: each insight's
/// priority now and under `config`, best first under `config`.
pub async fn preview_scoring(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    config: (Weights, SegmentPriorities),
) -> Result<Vec<(Uuid, i32)>, DomainError> {
    let (drafts, severities) = scored_drafts(db, workspace_id, Some(config)).await?;
    let mut ranked: Vec<(Uuid, i32, f64)> = drafts
        .iter()
        .map(|d| {
            let severity = severities
                .get(&d.id)
                .map(String::as_str)
                .unwrap_or("medium");
            (
                d.id,
                theme_scores::priority_score(d.score, severity),
                d.score,
            )
        })
        .collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.total_cmp(&a.2)).then(a.0.cmp(&b.0)));
    Ok(ranked.into_iter().map(|(id, p, _)| (id, p)).collect())
}

/// `refresh_metrics` inside a transaction that already holds the workspace's themes lock.
pub(super) async fn refresh_in(
    txn: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<usize, DomainError> {
    let (drafts, severities) = scored_drafts(txn, workspace_id, None).await?;
    let updates: Vec<Value> = drafts
        .iter()
        .map(|d| {
            let e = &d.evidence;
            let severity = severities.get(&d.id).map(String::as_str).unwrap_or("medium");
            json!({
                "id": d.id, "size": d.members.len(), "freq_30d": e.freq_30d as i64, "freq_90d": e.freq_90d as i64,
                "acv_sum": e.acv_sum, "sentiment": e.avg_sentiment, "trend": theme_scores::trend_momentum(&e.weekly_counts),
                "dup_penalty": theme_scores::dup_penalty(e.similarity_to_higher), "score": d.score,
                "segment_counts": {"ENT": e.segment_counts[0], "MM": e.segment_counts[1], "SMB": e.segment_counts[2]},
                "weekly_counts": e.weekly_counts, "priority": theme_scores::priority_score(d.score, severity),
            })
        })
        .collect();
    txn.execute_raw(raw(
        "UPDATE theme_metrics m SET freq_30d = x.freq_30d, freq_90d = x.freq_90d, acv_sum = x.acv_sum, \
             sentiment = x.sentiment, trend = x.trend, dup_penalty = x.dup_penalty, score = x.score, \
             segment_counts = x.segment_counts, weekly_counts = x.weekly_counts, computed_at = now() \
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, size int, freq_30d int, freq_90d int, acv_sum float8, \
             sentiment real, trend real, dup_penalty real, score real, segment_counts jsonb, weekly_counts jsonb, priority int) \
         WHERE m.theme_id = x.id",
        vec![Value::Array(updates.clone()).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "UPDATE insights i SET priority_score = x.priority, updated_at = now() \
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, priority int) WHERE i.theme_id = x.id",
        vec![Value::Array(updates.clone()).into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "UPDATE themes t SET size = x.size, updated_at = now() \
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, size int) WHERE t.id = x.id",
        vec![Value::Array(updates).into()],
    ))
    .await?;
    super::cards::refresh_cards(txn, workspace_id).await?;
    Ok(drafts.len())
}

/// Between clustering runs: links newly embedded feedback to its nearest theme when the
/// similarity clears `threshold`, then refreshes the metrics. Returns how many were attached.
pub async fn attach_new(
    db: &(impl ConnectionTrait + TransactionTrait),
    workspace_id: Uuid,
    model: &str,
    threshold: f32,
) -> Result<usize, DomainError> {
    let txn = db.begin().await?;
    lock_workspace_themes(&txn, workspace_id).await?;
    let attached = attach_in(&txn, workspace_id, model, threshold, &[]).await?;
    if attached > 0 {
        refresh_in(&txn, workspace_id).await?;
    }
    txn.commit().await?;
    Ok(attached)
}

/// Links unthemed feedback to its nearest theme inside a transaction that holds the
/// workspace's themes lock; the caller refreshes metrics when anything was attached.
/// `skip` lists feedback a clustering run already placed (or left out) on purpose.
pub(super) async fn attach_in(
    txn: &impl ConnectionTrait,
    workspace_id: Uuid,
    model: &str,
    threshold: f32,
    skip: &[Uuid],
) -> Result<usize, DomainError> {
    let db = txn;
    let themes = db
        .query_all_raw(raw(
            "SELECT id, centroid FROM themes WHERE workspace_id = $1 AND embedding_model = $2",
            vec![workspace_id.into(), model.into()],
        ))
        .await?;
    if themes.is_empty() {
        return Ok(0);
    }
    let centroids: Vec<(Uuid, Vec<f32>)> = themes
        .iter()
        .map(|r| {
            Ok((
                r.try_get("", "id")?,
                from_bytes(&r.try_get::<Vec<u8>>("", "centroid")?),
            ))
        })
        .collect::<Result<_, sea_orm::DbErr>>()?;
    let fresh = db
        .query_all_raw(raw(
            "SELECT f.id, v.embedding FROM feedback f JOIN feedback_vectors v ON v.feedback_id = f.id \
             WHERE f.workspace_id = $1 AND f.embedding_model = $2 \
             AND NOT EXISTS (SELECT 1 FROM feedback_themes ft WHERE ft.feedback_id = f.id) \
             AND NOT (f.id = ANY (SELECT (jsonb_array_elements_text($3::jsonb))::uuid)) LIMIT 10000",
            vec![workspace_id.into(), model.into(), json!(skip).into()],
        ))
        .await?;
    let mut links = Vec::new();
    for r in &fresh {
        let id: Uuid = r.try_get("", "id")?;
        let v = from_bytes(&r.try_get::<Vec<u8>>("", "embedding")?);
        let best = centroids
            .iter()
            .map(|(t, c)| (*t, cosine(&v, c)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((theme, sim)) = best.filter(|(_, s)| *s >= threshold) {
            links.push(json!({"feedback_id": id, "theme_id": theme, "confidence": sim}));
        }
    }
    if links.is_empty() {
        return Ok(0);
    }
    let attached = links.len();
    db.execute_raw(raw(
        "INSERT INTO feedback_themes (feedback_id, theme_id, confidence) \
         SELECT feedback_id, theme_id, confidence FROM jsonb_to_recordset($1::jsonb) AS x(feedback_id uuid, theme_id uuid, confidence real) \
         ON CONFLICT DO NOTHING",
        vec![Value::Array(links).into()],
    ))
    .await?;
    Ok(attached)
}
