//! What a clustering run carries between its stages: each theme as drafted, and the text
//! of its insight. Every stage reads these; none of them owns them.

use uuid::Uuid;

use crate::services::theme_scores::Evidence;

/// One theme as the run builds it, before it is written.
pub(super) struct ThemeDraft {
    pub(super) id: Uuid,
    pub(super) insight_id: Uuid,
    pub(super) label: String,
    pub(super) keywords: Vec<String>,
    pub(super) centroid: Vec<f32>,
    pub(super) members: Vec<(usize, f32)>,
    pub(super) evidence: Evidence,
    pub(super) score: f64,
}

/// The text of an insight, from the language model or the deterministic fallback.
#[derive(Debug, Clone)]
pub(super) struct InsightText {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) impact: String,
    pub(super) recommendation: String,
    pub(super) severity: String,
    pub(super) effort: String,
    pub(super) key_quote_ids: Vec<Uuid>,
    pub(super) generated_by: &'static str,
}
