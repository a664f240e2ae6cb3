//! Competitive insights as the seed's `/competitive/insights` answers them, plus the
//! rubric's sub-scores and the customer evidence behind the card.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, FromQueryResult, QueryResult};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{Citation, MoveIn, evidence::Evidence, rubric::SubScores};
use crate::services::insight_card::InsightCard;
use crate::{DomainError, db::statement as raw, services::Page};

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CompetitiveInsightView {
    pub id: Uuid,
    /// Its P-score is computed by the server from `scores`.
    #[serde(flatten)]
    pub card: InsightCard,
    pub created_at: DateTime<Utc>,
    pub competitor_name: String,
    pub competitor_moves: Vec<MoveIn>,
    pub evidence_count: String,
    pub mentions_30d: String,
    /// Null when no customer insight matches (nothing to estimate from).
    pub impacted_acv_usd: Option<String>,
    /// customer_feedback_match, not_available_manual_input or not_available_web_only.
    pub est_method: String,
    pub citations: Vec<Citation>,
    /// The rubric's inputs.
    pub scores: SubScores,
    pub severity_weight: f32,
    pub urgency_score: f32,
    pub reach_score: f32,
    pub confidence_score: f32,
    pub effort_inverse: f32,
    /// The customer insight our own feedback says this move touches.
    pub customer_evidence: Option<Evidence>,
    /// llm or fallback.
    pub generated_by: String,
    pub research_session_id: Option<Uuid>,
}

const SELECT: &str = "SELECT i.id, i.title, i.description, i.impact, i.recommendation, i.severity, i.effort, \
        i.priority_score, i.created_at, i.generated_by, coalesce(c.competitor_name, 'Unknown') AS competitor_name, \
        coalesce(c.competitor_moves, '[]'::jsonb) AS competitor_moves, coalesce(c.evidence_count, '0') AS evidence_count, \
        coalesce(c.mentions_30d, '0') AS mentions_30d, c.impacted_acv_usd, \
        coalesce(c.est_method, 'not_available_web_only') AS est_method, coalesce(c.citations, '[]'::jsonb) AS citations, \
        coalesce(c.severity_weight, 0) AS severity_weight, coalesce(c.urgency_score, 0) AS urgency_score, \
        coalesce(c.reach_score, 0) AS reach_score, coalesce(c.confidence_score, 0) AS confidence_score, \
        coalesce(c.effort_inverse, 0) AS effort_inverse, c.customer_evidence, c.session_id \
     FROM insights i LEFT JOIN competitive_insights c ON c.insight_id = i.id \
     WHERE i.workspace_id = $1 AND i.category = 'competitive_intel'";

fn json_or_default<T: serde::de::DeserializeOwned + Default>(v: Value) -> T {
    serde_json::from_value(v).unwrap_or_default()
}

/// A card as `SELECT` reads it.
#[derive(FromQueryResult)]
struct Row {
    id: Uuid,
    #[sea_orm(nested)]
    card: InsightCard,
    created_at: DateTime<Utc>,
    competitor_name: String,
    competitor_moves: Value,
    evidence_count: String,
    mentions_30d: String,
    impacted_acv_usd: Option<String>,
    est_method: String,
    citations: Value,
    #[sea_orm(nested)]
    scores: SubScores,
    customer_evidence: Option<Value>,
    generated_by: String,
    session_id: Option<Uuid>,
}

impl From<Row> for CompetitiveInsightView {
    fn from(r: Row) -> Self {
        let scores = r.scores;
        Self {
            id: r.id,
            card: r.card,
            created_at: r.created_at,
            competitor_name: r.competitor_name,
            competitor_moves: json_or_default(r.competitor_moves),
            evidence_count: r.evidence_count,
            mentions_30d: r.mentions_30d,
            impacted_acv_usd: r.impacted_acv_usd,
            est_method: r.est_method,
            citations: json_or_default(r.citations),
            severity_weight: scores.severity_weight,
            urgency_score: scores.urgency_score,
            reach_score: scores.reach_score,
            confidence_score: scores.confidence_score,
            effort_inverse: scores.effort_inverse,
            scores,
            customer_evidence: r
                .customer_evidence
                .and_then(|v| serde_json::from_value(v).ok()),
            generated_by: r.generated_by,
            research_session_id: r.session_id,
        }
    }
}

fn from_row(r: &QueryResult) -> Result<CompetitiveInsightView, DomainError> {
    Ok(Row::from_query_result(r, "")?.into())
}

/// Highest P-score first; `competitor` matches the name in any case.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    competitor: Option<&str>,
    page: Page,
) -> Result<Vec<CompetitiveInsightView>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            &format!(
                "{SELECT} AND ($2::text IS NULL OR lower(c.competitor_name) = lower($2)) \
                 ORDER BY i.priority_score DESC, i.created_at DESC, i.id LIMIT $3 OFFSET $4"
            ),
            vec![
                workspace_id.into(),
                competitor.map(str::to_owned).into(),
                (page.limit as i64).into(),
                (page.offset as i64).into(),
            ],
        ))
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<CompetitiveInsightView, DomainError> {
    let row = db
        .query_one_raw(raw(
            &format!("{SELECT} AND i.id = $2"),
            vec![workspace_id.into(), id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("competitive insight"))?;
    from_row(&row)
}
