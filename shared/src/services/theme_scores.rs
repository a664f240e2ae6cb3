//! Theme scores from customer evidence (frequency, ACV, sentiment, segment, trend, duplicate
//! penalty) and the insight priority derived from them. Pure functions.

use serde::{Deserialize, Serialize};

/// Relative weight of each evidence signal; each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// Accounts mentioning the theme in the last 30 days (blended 0.7/0.3 with 90 days).
    #[serde(rename = "freq_30d", alias = "frequency")]
    pub frequency: f64,
    /// Log-scaled ACV of the distinct customers behind the theme.
    #[serde(rename = "acv_sum", alias = "acv")]
    pub acv: f64,
    /// Lift from negative sentiment.
    pub sentiment: f64,
    /// Segment priority of the customers.
    pub segment: f64,
    /// Slope of the last 12 weekly counts.
    pub trend: f64,
    /// Penalty for near-duplicates of a higher-scored theme.
    pub duplicate: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            frequency: 0.35,
            acv: 0.30,
            sentiment: 0.10,
            segment: 0.15,
            trend: 0.10,
            duplicate: 0.10,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentPriorities {
    #[serde(rename = "ENT")]
    pub ent: f64,
    #[serde(rename = "MM")]
    pub mm: f64,
    #[serde(rename = "SMB")]
    pub smb: f64,
}

impl Default for SegmentPriorities {
    fn default() -> Self {
        Self {
            ent: 1.0,
            mm: 0.7,
            smb: 0.5,
        }
    }
}

/// The evidence behind one theme.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub freq_30d: f64,
    pub freq_90d: f64,
    pub acv_sum: f64,
    pub avg_sentiment: f64,
    pub segment_counts: [f64; 3],
    /// Oldest first.
    pub weekly_counts: Vec<f64>,
    pub similarity_to_higher: f64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Maxima {
    pub freq_30d: f64,
    pub freq_90d: f64,
    pub acv_sum: f64,
}

pub fn minmax(v: f64, lo: f64, hi: f64) -> f64 {
    if hi == lo {
        0.0
    } else {
        ((v - lo) / (hi - lo)).clamp(0.0, 1.0)
    }
}

pub fn frequency_norm(e: &Evidence, m: &Maxima) -> f64 {
    0.7 * minmax(e.freq_30d, 0.0, m.freq_30d.max(1.0))
        + 0.3 * minmax(e.freq_90d, 0.0, m.freq_90d.max(1.0))
}

pub fn acv_norm(acv: f64, max: f64) -> f64 {
    if max <= 0.0 {
        0.0
    } else {
        (1.0 + acv).ln() / (1.0 + max).ln()
    }
}

pub fn sentiment_lift(avg: f64) -> f64 {
    ((1.0 - avg) / 2.0).clamp(0.0, 1.0)
}

pub fn segment_priority(counts: [f64; 3], p: &SegmentPriorities) -> f64 {
    let total: f64 = counts.iter().sum();
    if total == 0.0 {
        0.0
    } else {
        (counts[0] * p.ent + counts[1] * p.mm + counts[2] * p.smb) / total
    }
}

/// Momentum from which a theme reads as rising (and below whose negative, as easing): the
/// insight text, the board's `rising` view and the timeline's trend all use it.
pub const RISING_MOMENTUM: f64 = 0.05;

/// Mentions in each of the 12 seven-day windows ending at `now`, oldest first: whole days
/// ago divided by seven, truncated (what the trend is computed from).
pub fn weekly_counts(
    created: impl IntoIterator<Item = chrono::DateTime<chrono::Utc>>,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<f64> {
    let mut counts = vec![0.0; 12];
    for at in created {
        let weeks_ago = (now - at).num_days() / 7;
        if (0..12).contains(&weeks_ago) {
            counts[11 - weeks_ago as usize] += 1.0;
        }
    }
    counts
}

/// OLS slope of the weekly counts, scaled and clamped to [-0.5, 0.5].
pub fn trend_momentum(weekly: &[f64]) -> f64 {
    let n = weekly.len() as f64;
    if weekly.len() < 2 {
        return 0.0;
    }
    let mean_x = (n - 1.0) / 2.0;
    let mean_y = weekly.iter().sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for (i, y) in weekly.iter().enumerate() {
        let dx = i as f64 - mean_x;
        num += dx * (y - mean_y);
        den += dx * dx;
    }
    if den == 0.0 {
        0.0
    } else {
        (num / den / 20.0).clamp(-0.5, 0.5)
    }
}

pub fn dup_penalty(similarity: f64) -> f64 {
    if similarity > 0.85 {
        0.5 * similarity
    } else {
        0.0
    }
}

/// ThemeScore in [0, 1].
pub fn theme_score(e: &Evidence, m: &Maxima, w: &Weights, p: &SegmentPriorities) -> f64 {
    let s = w.frequency * frequency_norm(e, m)
        + w.acv * acv_norm(e.acv_sum, m.acv_sum)
        + w.sentiment * sentiment_lift(e.avg_sentiment)
        + w.segment * segment_priority(e.segment_counts, p)
        + w.trend * trend_momentum(&e.weekly_counts)
        - w.duplicate * dup_penalty(e.similarity_to_higher);
    s.clamp(0.0, 1.0)
}

pub fn severity_weight(severity: &str) -> f64 {
    match severity {
        "critical" => 1.0,
        "high" => 0.75,
        "low" => 0.25,
        _ => 0.5,
    }
}

/// How priority is derived; shown by `GET /admin/config`.
pub const PRIORITY_FORMULA: &str = "priority_score = round(100 * (0.7 * theme_score + 0.3 * severity_weight)), \
     severity_weight: low 0.25, medium 0.5, high 0.75, critical 1.0";

/// 0-100: customer evidence (ThemeScore) moves priority most; severity refines it.
pub fn priority_score(theme_score: f64, severity: &str) -> i32 {
    (100.0 * (0.7 * theme_score.clamp(0.0, 1.0) + 0.3 * severity_weight(severity))).round() as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_worked_example() {
        let e = Evidence {
            freq_30d: 10.0,
            freq_90d: 15.0,
            acv_sum: 100_000.0,
            avg_sentiment: -0.2,
            segment_counts: [5.0, 3.0, 2.0],
            weekly_counts: (1..=12).map(f64::from).collect(),
            similarity_to_higher: 0.0,
        };
        let m = Maxima {
            freq_30d: 20.0,
            freq_90d: 30.0,
            acv_sum: 200_000.0,
        };
        assert!((frequency_norm(&e, &m) - 0.5).abs() < 1e-9);
        assert!((acv_norm(100_000.0, 200_000.0) - 0.943213).abs() < 1e-6);
        assert!((sentiment_lift(-0.2) - 0.6).abs() < 1e-9);
        assert!(
            (segment_priority(e.segment_counts, &SegmentPriorities::default()) - 0.81).abs() < 1e-9
        );
        assert!((trend_momentum(&e.weekly_counts) - 0.05).abs() < 1e-9);
        let score = theme_score(&e, &m, &Weights::default(), &SegmentPriorities::default());
        assert!((score - 0.644464).abs() < 1e-6, "{score}");
    }

    #[test]
    fn the_reference_component_values() {
        assert!((acv_norm(50_000.0, 200_000.0) - 0.886427).abs() < 1e-6);
        assert!((sentiment_lift(-0.5) - 0.75).abs() < 1e-9);
        assert!((sentiment_lift(0.5) - 0.25).abs() < 1e-9);
        assert!((dup_penalty(0.9) - 0.45).abs() < 1e-9);
        assert_eq!(dup_penalty(0.85), 0.0);
        assert!(
            (frequency_norm(
                &Evidence {
                    freq_30d: 10.0,
                    freq_90d: 15.0,
                    ..Default::default()
                },
                &Maxima {
                    freq_30d: 20.0,
                    freq_90d: 30.0,
                    acv_sum: 0.0
                }
            ) - 0.5)
                .abs()
                < 1e-9
        );
    }

    #[test]
    fn priority_rises_with_evidence_and_severity() {
        assert!(priority_score(0.9, "medium") > priority_score(0.2, "medium"));
        assert!(priority_score(0.5, "critical") > priority_score(0.5, "low"));
        assert_eq!(priority_score(1.0, "critical"), 100);
        assert_eq!(priority_score(0.0, "low"), 8);
    }
}
