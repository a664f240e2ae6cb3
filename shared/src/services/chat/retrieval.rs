//! What the copilot answers from: the board's top insights, the selected insight, and the
//! passages most relevant to the question — insights ranked by priority and by embedding
//! similarity to the question, feedback ranked by full-text match and by membership of the
//! closest themes, each pair fused by reciprocal rank fusion.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde_json::Value;
use uuid::Uuid;

use super::{Passage, PassageKind};
use crate::{
    DomainError,
    ai::{
        AiServices,
        embeddings::{cosine, from_bytes},
        runs::RunContext,
    },
    db::statement as raw,
    services::{
        Page,
        themes::board::{self, BoardQuery, InsightView},
    },
};

const TOP_INSIGHTS: u64 = 20;
const INSIGHT_PASSAGES: usize = 5;
const FEEDBACK_PASSAGES: usize = 6;
/// Full-text candidates ranked per question (bounds the work for very common words).
const TEXT_CANDIDATES: i64 = 1000;
const RRF_K: f64 = 60.0;

pub struct Context {
    /// The board's top insights by priority.
    pub insights: Vec<InsightView>,
    pub selected: Option<InsightView>,
    /// Numbered evidence: the selected insight first, then the fused insights and feedback.
    pub passages: Vec<Passage>,
}

impl Context {
    /// The passage number of an insight, adding it when it is not yet a passage.
    pub fn cite_insight(&mut self, insight: &InsightView) -> usize {
        if let Some(p) = self
            .passages
            .iter()
            .find(|p| p.kind == PassageKind::Insight && p.id == insight.id)
        {
            return p.n;
        }
        let n = self.passages.len() + 1;
        self.passages.push(insight_passage(n, insight));
        n
    }
}

fn insight_passage(n: usize, i: &InsightView) -> Passage {
    let segments = {
        let mut s: Vec<&str> = i.customers.iter().map(|c| c.segment.as_str()).collect();
        s.sort_unstable();
        s.dedup();
        s.join("/")
    };
    Passage {
        n,
        kind: PassageKind::Insight,
        id: i.id,
        source_name: i.card.title.clone(),
        text: format!(
            "{} — {} severity, {} effort, priority {}/100; {} customers ({}), ${:.0}k ACV, {} feedback items; {}",
            i.card.title,
            i.card.severity,
            i.card.effort,
            i.card.priority_score,
            i.customers.len(),
            if segments.is_empty() {
                "no segment"
            } else {
                &segments
            },
            i.total_acv / 1000.0,
            i.feedback_count,
            i.card.description
        ),
        source: Some("insight".into()),
        account: None,
        date: Some(i.updated_at),
    }
}

/// Reciprocal rank fusion of ranked id lists; best first.
pub fn fuse(lists: &[Vec<Uuid>]) -> Vec<Uuid> {
    let mut score: HashMap<Uuid, f64> = HashMap::new();
    let mut first_seen: Vec<Uuid> = Vec::new();
    for list in lists {
        for (rank, id) in list.iter().enumerate() {
            if !score.contains_key(id) {
                first_seen.push(*id);
            }
            *score.entry(*id).or_default() += 1.0 / (RRF_K + rank as f64 + 1.0);
        }
    }
    first_seen.sort_by(|a, b| score[b].total_cmp(&score[a]));
    first_seen
}

#[derive(FromQueryResult)]
struct FeedbackRow {
    id: Uuid,
    text: String,
    source: String,
    account: Option<String>,
    created_at: DateTime<Utc>,
}

async fn feedback_rows(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<sea_orm::Value>,
) -> Result<Vec<FeedbackRow>, DomainError> {
    Ok(FeedbackRow::find_by_statement(raw(sql, values))
        .all(db)
        .await?)
}

/// Insights of the workspace ordered by similarity of their theme to the question.
async fn semantic_insights(
    db: &impl ConnectionTrait,
    ai: &AiServices,
    run: &RunContext,
    workspace_id: Uuid,
    question: &str,
) -> Vec<Uuid> {
    let Ok(embedder) = ai.embedder_for(run).await else {
        return Vec::new();
    };
    let Ok(mut vectors) = embedder.embed(&[question.to_owned()]).await else {
        return Vec::new();
    };
    let q = vectors.pop().unwrap_or_default();
    let Ok(rows) = db
        .query_all_raw(raw(
            "SELECT i.id, t.centroid FROM insights i JOIN themes t ON t.id = i.theme_id \
             WHERE i.workspace_id = $1 AND t.embedding_model = $2",
            vec![workspace_id.into(), embedder.model().into()],
        ))
        .await
    else {
        return Vec::new();
    };
    let mut scored: Vec<(Uuid, f32)> = rows
        .iter()
        .filter_map(|r| {
            let id: Uuid = r.try_get("", "id").ok()?;
            let c: Vec<u8> = r.try_get("", "centroid").ok()?;
            Some((id, cosine(&q, &from_bytes(&c))))
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().map(|(id, _)| id).collect()
}

/// The context of a question asked in `workspace_id`; model calls (embedding the question)
/// are logged for `run`.
pub async fn gather(
    db: &impl ConnectionTrait,
    ai: &AiServices,
    run: &RunContext,
    workspace_id: Uuid,
    question: &str,
    selected: Option<Uuid>,
) -> Result<Context, DomainError> {
    let insights = board::list(
        db,
        workspace_id,
        &BoardQuery {
            sort_by: "priority".into(),
            page: Some(Page {
                limit: TOP_INSIGHTS,
                offset: 0,
            }),
            ..BoardQuery::default()
        },
    )
    .await?;
    // An unknown or foreign selected insight is ignored, as in the original.
    let selected = match selected {
        Some(id) => board::detail(
            db,
            workspace_id,
            id,
            Page {
                limit: 1,
                offset: 0,
            },
        )
        .await
        .ok()
        .map(|d| d.insight),
        None => None,
    };
    let semantic = semantic_insights(db, ai, run, workspace_id, question).await;
    let by_priority: Vec<Uuid> = insights.iter().map(|i| i.id).collect();
    let mut insight_order = fuse(&[by_priority, semantic.clone()]);
    if let Some(s) = &selected {
        insight_order.retain(|id| *id != s.id);
        insight_order.insert(0, s.id);
    }

    // Feedback: full-text matches and the key quotes of the closest themes (the selected
    // insight's first).
    let text_hits = feedback_rows(
        db,
        // Any of the question's words may match (a question is not a search expression);
        // ranking rewards passages matching more of them.
        "WITH q AS (SELECT to_tsquery('english', replace(plainto_tsquery('english', $2)::text, ' & ', ' | ')) AS q), \
              hits AS (SELECT f.id FROM feedback f, q WHERE f.workspace_id = $1 AND f.search @@ q.q LIMIT $3) \
         SELECT f.id, f.text, f.source, f.account, f.created_at FROM feedback f JOIN hits h ON h.id = f.id, q \
         ORDER BY ts_rank(f.search, q.q) DESC, f.id LIMIT 20",
        vec![workspace_id.into(), question.into(), TEXT_CANDIDATES.into()],
    )
    .await?;
    let mut close: Vec<Uuid> = selected.iter().map(|s| s.id).collect();
    close.extend(semantic.iter().take(2));
    let quote_hits = feedback_rows(
        db,
        "SELECT f.id, f.text, f.source, f.account, f.created_at \
         FROM jsonb_array_elements_text($2::jsonb) WITH ORDINALITY AS s(insight, ipos) \
         JOIN insights i ON i.id = s.insight::uuid AND i.workspace_id = $1 \
         CROSS JOIN LATERAL jsonb_array_elements_text(i.key_quote_ids) WITH ORDINALITY AS k(id, pos) \
         JOIN feedback f ON f.id = k.id::uuid ORDER BY s.ipos, k.pos",
        vec![workspace_id.into(), Value::from(close.iter().map(|u| u.to_string()).collect::<Vec<_>>()).into()],
    )
    .await?;
    let mut rows: HashMap<Uuid, FeedbackRow> = HashMap::new();
    let text_ids: Vec<Uuid> = text_hits.iter().map(|r| r.id).collect();
    let quote_ids: Vec<Uuid> = quote_hits.iter().map(|r| r.id).collect();
    for r in text_hits.into_iter().chain(quote_hits) {
        rows.entry(r.id).or_insert(r);
    }
    let feedback_order = if selected.is_some() {
        fuse(&[quote_ids.clone(), quote_ids, text_ids])
    } else {
        fuse(&[text_ids, quote_ids])
    };

    let all: HashMap<Uuid, &InsightView> = insights
        .iter()
        .chain(selected.iter())
        .map(|i| (i.id, i))
        .collect();
    let mut passages = Vec::new();
    for id in insight_order
        .iter()
        .filter(|id| all.contains_key(id))
        .take(INSIGHT_PASSAGES)
    {
        passages.push(insight_passage(passages.len() + 1, all[id]));
    }
    for id in feedback_order.iter().take(FEEDBACK_PASSAGES) {
        let r = &rows[id];
        passages.push(Passage {
            n: passages.len() + 1,
            kind: PassageKind::Feedback,
            id: r.id,
            source_name: match &r.account {
                Some(a) => format!("{} · {a}", r.source),
                None => r.source.clone(),
            },
            text: r.text.clone(),
            source: Some(r.source.clone()),
            account: r.account.clone(),
            date: Some(r.created_at),
        });
    }
    Ok(Context {
        insights,
        selected,
        passages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement_between_lists() {
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        let c = Uuid::from_u128(3);
        assert_eq!(fuse(&[vec![a, b], vec![b, c]]), vec![b, a, c]);
        assert_eq!(fuse(&[vec![a], vec![]]), vec![a]);
    }
}
