//! Customer evidence of a theme and its score among the others.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::{
    draft::ThemeDraft,
    load::{Customer, Item},
};
use crate::{
    ai::embeddings::cosine,
    services::theme_scores::{self, Evidence, Maxima, SegmentPriorities, Weights},
};

/// Customer evidence of a set of feedback items.
pub(super) fn evidence(
    members: &[&Item],
    customers: &HashMap<Uuid, Customer>,
    now: DateTime<Utc>,
) -> Evidence {
    let account_key = |i: &Item| {
        i.customer_id
            .map(|c| c.to_string())
            .or_else(|| i.account.clone())
            .unwrap_or_else(|| "unknown".into())
    };
    let recent = |days: i64| {
        members
            .iter()
            .filter(|i| i.created_at >= now - Duration::days(days))
            .map(|i| account_key(i))
            .collect::<HashSet<_>>()
            .len() as f64
    };
    let distinct: HashSet<Uuid> = members.iter().filter_map(|i| i.customer_id).collect();
    let mut segment_counts = [0.0; 3];
    let mut acv_sum = 0.0;
    for c in distinct.iter().filter_map(|id| customers.get(id)) {
        if c.acv.is_finite() {
            acv_sum += c.acv;
        }
        match c.segment.as_str() {
            "ENT" => segment_counts[0] += 1.0,
            "MM" => segment_counts[1] += 1.0,
            _ => segment_counts[2] += 1.0,
        }
    }
    let weekly_counts =
        crate::services::theme_scores::weekly_counts(members.iter().map(|i| i.created_at), now);
    let avg_sentiment =
        members.iter().map(|i| i.sentiment as f64).sum::<f64>() / members.len().max(1) as f64;
    Evidence {
        freq_30d: recent(30),
        freq_90d: recent(90),
        acv_sum,
        avg_sentiment,
        segment_counts,
        weekly_counts,
        similarity_to_higher: 0.0,
    }
}

/// Scores with maxima over all themes, then the duplicate penalty against higher-scored themes.
pub(super) fn score_drafts(drafts: &mut [ThemeDraft], w: &Weights, p: &SegmentPriorities) {
    let maxima = Maxima {
        freq_30d: drafts
            .iter()
            .map(|d| d.evidence.freq_30d)
            .fold(0.0, f64::max),
        freq_90d: drafts
            .iter()
            .map(|d| d.evidence.freq_90d)
            .fold(0.0, f64::max),
        acv_sum: drafts
            .iter()
            .map(|d| d.evidence.acv_sum)
            .fold(0.0, f64::max),
    };
    for d in drafts.iter_mut() {
        d.evidence.similarity_to_higher = 0.0;
        d.score = theme_scores::theme_score(&d.evidence, &maxima, w, p);
    }
    let order = by_score(drafts);
    for (rank, &i) in order.iter().enumerate() {
        let sim = order[..rank]
            .iter()
            .map(|&j| cosine(&drafts[i].centroid, &drafts[j].centroid) as f64)
            .fold(0.0, f64::max);
        drafts[i].evidence.similarity_to_higher = sim;
    }
    for d in drafts.iter_mut() {
        d.score = finite_score(theme_scores::theme_score(&d.evidence, &maxima, w, p), d.id);
    }
}

/// A score that is not a number would poison every later ordering and comparison: it is
/// written as 0 and logged instead.
fn finite_score(score: f64, theme: Uuid) -> f64 {
    if score.is_finite() {
        score
    } else {
        tracing::error!(%theme, score, "theme score is not finite; stored as 0");
        0.0
    }
}

/// Indexes of `drafts`, highest score first (ties by id).
pub(super) fn by_score(drafts: &[ThemeDraft]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..drafts.len()).collect();
    order.sort_by(|a, b| {
        drafts[*b]
            .score
            .total_cmp(&drafts[*a].score)
            .then(drafts[*a].id.cmp(&drafts[*b].id))
    });
    order
}
