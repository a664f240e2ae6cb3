//! Which customer insights a ticket is about: cosine similarity between the ticket's
//! vector and every insight's theme centroid in one pass over a matrix, the top few above
//! the threshold proposed, and a PM's confirmations and rejections respected.

use std::collections::HashMap;

use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    DomainError,
    ai::embeddings::{from_bytes, normalise},
    db::statement as raw,
};

/// 1 confirmed, 0 rejected (the stored `is_confirmed`).
pub const CONFIRMED: i16 = 1;
pub const REJECTED: i16 = 0;

pub fn confidence(similarity: f32) -> &'static str {
    if similarity >= 0.8 {
        "high"
    } else if similarity >= 0.6 {
        "medium"
    } else {
        "low"
    }
}

/// Unit-length insight vectors of one model, row by row.
#[derive(Debug, Default)]
pub struct InsightMatrix {
    pub ids: Vec<Uuid>,
    dims: usize,
    rows: Vec<f32>,
}

impl InsightMatrix {
    pub fn new(dims: usize) -> Self {
        Self {
            ids: Vec::new(),
            dims,
            rows: Vec::new(),
        }
    }

    /// Adds one insight; a vector of another length (another model) is skipped.
    pub fn push(&mut self, id: Uuid, mut vector: Vec<f32>) {
        if vector.len() != self.dims {
            return;
        }
        normalise(&mut vector);
        self.ids.push(id);
        self.rows.extend(vector);
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Cosine similarity of `ticket` to every insight, in `ids` order.
    pub fn similarities(&self, ticket: &[f32]) -> Vec<f32> {
        if ticket.len() != self.dims || self.dims == 0 {
            return vec![0.0; self.ids.len()];
        }
        let mut t = ticket.to_vec();
        normalise(&mut t);
        self.rows
            .chunks_exact(self.dims)
            .map(|row| row.iter().zip(&t).map(|(a, b)| a * b).sum())
            .collect()
    }
}

/// One match row to store for a ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub insight_id: Uuid,
    pub similarity: f32,
    pub confidence: &'static str,
    pub is_confirmed: Option<i16>,
}

/// The ticket's matches after a re-run: every decided insight (with its similarity
/// refreshed) plus the `max` most similar undecided ones at or above `threshold`. Rejected
/// insights are kept as decisions and never proposed again.
pub fn propose(
    matrix: &InsightMatrix,
    ticket: Option<&[f32]>,
    threshold: f32,
    max: usize,
    decisions: &HashMap<Uuid, i16>,
) -> Vec<Match> {
    let sims = ticket.map_or_else(|| vec![0.0; matrix.len()], |t| matrix.similarities(t));
    let mut decided = Vec::new();
    let mut open = Vec::new();
    for (id, sim) in matrix.ids.iter().zip(sims) {
        let row = Match {
            insight_id: *id,
            similarity: sim,
            confidence: confidence(sim),
            is_confirmed: decisions.get(id).copied(),
        };
        if row.is_confirmed.is_some() {
            decided.push(row);
        } else if ticket.is_some() && sim >= threshold {
            open.push(row);
        }
    }
    open.sort_by(|a, b| {
        b.similarity
            .total_cmp(&a.similarity)
            .then(a.insight_id.cmp(&b.insight_id))
    });
    open.truncate(max);
    decided.extend(open);
    decided
}

/// The workspace's customer insights as theme centroids of `model` (competitive insights
/// have no theme and are never matched).
pub async fn customer_insights(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    model: &str,
    dims: usize,
) -> Result<InsightMatrix, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT i.id, t.centroid FROM insights i JOIN themes t ON t.id = i.theme_id \
             WHERE i.workspace_id = $1 AND i.category = 'customer_feedback' AND t.embedding_model = $2 ORDER BY i.id",
            vec![workspace_id.into(), model.into()],
        ))
        .await?;
    let mut m = InsightMatrix::new(dims);
    for r in rows {
        m.push(
            r.try_get("", "id")?,
            from_bytes(&r.try_get::<Vec<u8>>("", "centroid")?),
        );
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn matrix() -> InsightMatrix {
        let mut m = InsightMatrix::new(2);
        m.push(id(1), vec![1.0, 0.0]);
        m.push(id(2), vec![0.8, 0.6]);
        m.push(id(3), vec![0.0, 1.0]);
        m.push(id(4), vec![0.0, 1.0, 0.0]); // another model: skipped
        m
    }

    #[test]
    fn top_matches_above_threshold_most_similar_first() {
        let m = matrix();
        assert_eq!(m.len(), 3);
        let got = propose(&m, Some(&[2.0, 0.0]), 0.6, 5, &HashMap::new());
        let ids: Vec<_> = got.iter().map(|r| r.insight_id).collect();
        assert_eq!(ids, vec![id(1), id(2)]);
        assert_eq!(got[0].confidence, "high");
        assert!((got[1].similarity - 0.8).abs() < 1e-6);
        assert_eq!(
            propose(&m, Some(&[1.0, 0.0]), 0.6, 1, &HashMap::new()).len(),
            1
        );
    }

    #[test]
    fn decisions_survive_and_rejections_are_not_proposed() {
        let m = matrix();
        let decisions = HashMap::from([(id(1), REJECTED), (id(3), CONFIRMED)]);
        let got = propose(&m, Some(&[1.0, 0.0]), 0.6, 5, &decisions);
        let by_id: HashMap<_, _> = got.iter().map(|r| (r.insight_id, r.is_confirmed)).collect();
        assert_eq!(by_id.len(), 3);
        assert_eq!(by_id[&id(1)], Some(REJECTED));
        assert_eq!(by_id[&id(3)], Some(CONFIRMED), "kept although dissimilar");
        assert_eq!(by_id[&id(2)], None);
    }
}
