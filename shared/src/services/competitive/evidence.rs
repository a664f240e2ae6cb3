//! Whether our own customers already ask for what a competitor just shipped: the move's
//! text embedded and compared with every customer insight's theme centroid (the matrix the
//! Jira matching uses). The best match above the threshold is the card's customer evidence:
//! it sets reach, impacted ACV and mention counts from data rather than from a guess.

use std::collections::HashMap;

use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    DomainError,
    ai::{AiError, embeddings::Embedder},
    db::statement as raw,
    services::jira::matching::{InsightMatrix, customer_insights},
};

/// The customer insight a move matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema, FromQueryResult)]
pub struct Evidence {
    pub insight_id: Uuid,
    pub title: String,
    /// Cosine similarity of the move and the insight's theme.
    #[sea_orm(skip)]
    pub similarity: f32,
    pub feedback_count: i32,
    /// Feedback in the theme over the last 30 days.
    pub mentions_30d: i32,
    pub accounts: i32,
    pub total_acv: f64,
    /// Share of the workspace's customers behind the insight (0-1).
    #[sea_orm(skip)]
    pub customer_share: f64,
    pub severity: String,
    pub effort: String,
}

/// The workspace's customer insights, ready to be compared with moves.
pub struct EvidenceIndex {
    matrix: InsightMatrix,
    facts: HashMap<Uuid, Evidence>,
    threshold: f32,
}

impl EvidenceIndex {
    pub async fn load(
        db: &impl ConnectionTrait,
        workspace_id: Uuid,
        embedder: &dyn Embedder,
        threshold: f32,
    ) -> Result<Self, DomainError> {
        let matrix =
            customer_insights(db, workspace_id, embedder.model(), embedder.dimensions()).await?;
        let rows = db
            .query_all_raw(raw(
                "SELECT i.id AS insight_id, i.title, i.feedback_count, jsonb_array_length(i.customers) AS accounts, \
                        i.total_acv, i.severity, i.effort, coalesce(m.freq_30d, 0) AS mentions_30d, \
                        (SELECT count(*) FROM customers c WHERE c.workspace_id = $1) AS all_customers \
                 FROM insights i LEFT JOIN theme_metrics m ON m.theme_id = i.theme_id \
                 WHERE i.workspace_id = $1 AND i.category = 'customer_feedback' AND i.id = ANY($2)",
                vec![workspace_id.into(), matrix.ids.clone().into()],
            ))
            .await?;
        let mut facts = HashMap::with_capacity(rows.len());
        for r in &rows {
            let mut evidence = Evidence::from_query_result(r, "")?;
            let all: i64 = r.try_get("", "all_customers")?;
            if all > 0 {
                evidence.customer_share = f64::from(evidence.accounts) / all as f64;
            }
            facts.insert(evidence.insight_id, evidence);
        }
        Ok(Self {
            matrix,
            facts,
            threshold,
        })
    }

    /// The most similar customer insight at or above the threshold.
    pub fn best(&self, vector: &[f32]) -> Option<Evidence> {
        let (i, similarity) = self
            .matrix
            .similarities(vector)
            .into_iter()
            .enumerate()
            .filter(|(_, s)| *s >= self.threshold)
            .max_by(|a, b| a.1.total_cmp(&b.1))?;
        let mut e = self.facts.get(&self.matrix.ids[i])?.clone();
        e.similarity = similarity;
        Some(e)
    }

    /// The evidence for each text, in order (one embedding call for all of them).
    pub async fn for_texts(
        &self,
        embedder: &dyn Embedder,
        texts: &[String],
    ) -> Result<Vec<Option<Evidence>>, AiError> {
        if self.matrix.is_empty() || texts.is_empty() {
            return Ok(vec![None; texts.len()]);
        }
        let vectors = embedder.embed(texts).await?;
        Ok(vectors.iter().map(|v| self.best(v)).collect())
    }
}
