//! The VOC score of a ticket: how much customer evidence stands behind it, 0-100.
//!
//! `voc = 0.30·customer + 0.30·acv + 0.25·segment + 0.15·volume`, where each of customer,
//! ACV and volume is `100·value/max` and `segment = 100·(3·ENT + 2·MM + 1·SMB)/(3·customers)`.
//! The maxima come from the workspace's own evidence (its strongest customer insight for
//! each measure), never from other tickets' scores, so a ticket's score does not depend on
//! which tickets were scored before it.

use serde::Serialize;
use serde_json::{Value, json};

use super::Priority;

pub const CUSTOMER_WEIGHT: f64 = 0.30;
pub const ACV_WEIGHT: f64 = 0.30;
pub const SEGMENT_WEIGHT: f64 = 0.25;
pub const VOLUME_WEIGHT: f64 = 0.15;
pub const SEGMENT_WEIGHTS: [(&str, f64); 3] = [("ENT", 3.0), ("MM", 2.0), ("SMB", 1.0)];
/// Lower bounds of CRITICAL, HIGH and MEDIUM; anything below is LOW.
pub const PRIORITY_BANDS: [(f64, &str); 3] = [(80.0, "CRITICAL"), (60.0, "HIGH"), (40.0, "MEDIUM")];

/// The distinct feedback and customers behind a ticket's included matches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evidence {
    pub customer_count: i32,
    pub total_acv: f64,
    pub feedback_volume: i32,
    pub ent: i32,
    pub mm: i32,
    pub smb: i32,
}

/// Denominators: the strongest customer insight's customer count, ACV and feedback volume.
#[derive(Debug, Clone, Copy, PartialEq, sea_orm::FromQueryResult)]
pub struct Maxima {
    pub customers: f64,
    pub acv: f64,
    pub volume: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VocScore {
    pub customer_score: f64,
    pub acv_score: f64,
    pub segment_score: f64,
    pub volume_score: f64,
    pub voc_score: f64,
    pub recommended_priority: &'static str,
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn share(value: f64, max: f64) -> f64 {
    // A ticket spanning several insights can exceed the strongest single one: it then
    // defines the scale for itself (capped at 100), still independent of other tickets.
    let max = max.max(value).max(1.0);
    (100.0 * value / max).min(100.0)
}

pub fn recommended_priority(voc: f64) -> &'static str {
    PRIORITY_BANDS
        .iter()
        .find(|(floor, _)| voc >= *floor)
        .map_or("LOW", |(_, p)| p)
}

pub fn score(e: &Evidence, m: &Maxima) -> VocScore {
    let customer = share(e.customer_count as f64, m.customers);
    let acv = share(e.total_acv, m.acv);
    let volume = share(e.feedback_volume as f64, m.volume);
    let segment = if e.customer_count > 0 {
        let weighted = 3.0 * e.ent as f64 + 2.0 * e.mm as f64 + e.smb as f64;
        (100.0 * weighted / (3.0 * e.customer_count as f64)).min(100.0)
    } else {
        0.0
    };
    let voc = CUSTOMER_WEIGHT * customer
        + ACV_WEIGHT * acv
        + SEGMENT_WEIGHT * segment
        + VOLUME_WEIGHT * volume;
    VocScore {
        customer_score: round2(customer),
        acv_score: round2(acv),
        segment_score: round2(segment),
        volume_score: round2(volume),
        voc_score: round2(voc),
        recommended_priority: recommended_priority(voc),
    }
}

/// The level a recommendation corresponds to on Jira's scale (LOW..HIGHEST).
fn recommended_level(recommended: &str) -> i32 {
    match recommended {
        "CRITICAL" => Priority::Highest.level(),
        "HIGH" => Priority::High.level(),
        "MEDIUM" => Priority::Medium.level(),
        _ => Priority::Low.level(),
    }
}

/// The roadmap and the customers disagree: the ticket's priority is two or more levels
/// away from what its evidence recommends.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PriorityGap {
    pub ticket_priority: String,
    pub recommended_priority: String,
    /// Recommended minus current level: positive means customers want it sooner.
    pub levels: i32,
    /// `under_prioritised` or `over_prioritised`.
    pub direction: &'static str,
    pub message: String,
}

pub fn priority_gap(ticket: Priority, recommended: &str) -> Option<PriorityGap> {
    let levels = recommended_level(recommended) - ticket.level();
    if levels.abs() < 2 {
        return None;
    }
    let (direction, message) = if levels > 0 {
        (
            "under_prioritised",
            format!("customer evidence recommends {recommended} but the ticket is {ticket}"),
        )
    } else {
        (
            "over_prioritised",
            format!("the ticket is {ticket} but its customer evidence only supports {recommended}"),
        )
    };
    Some(PriorityGap {
        ticket_priority: ticket.as_str().to_owned(),
        recommended_priority: recommended.to_owned(),
        levels,
        direction,
        message,
    })
}

/// The formula as `GET /admin/config` publishes it.
pub fn formula(default_threshold: f32, max_matches: usize) -> Value {
    json!({
        "voc_score": "0.30*customer_score + 0.30*acv_score + 0.25*segment_score + 0.15*volume_score",
        "weights": {"customer": CUSTOMER_WEIGHT, "acv": ACV_WEIGHT, "segment": SEGMENT_WEIGHT, "volume": VOLUME_WEIGHT},
        "customer_score": "min(100, 100*customer_count/max_customers)",
        "acv_score": "min(100, 100*total_acv/max_acv)",
        "volume_score": "min(100, 100*feedback_volume/max_volume)",
        "segment_score": "min(100, 100*(3*ENT + 2*MM + 1*SMB)/(3*customer_count)); 0 without customers",
        "segment_weights": SEGMENT_WEIGHTS.iter().map(|(s, w)| (s.to_string(), json!(w))).collect::<serde_json::Map<_, _>>(),
        "maxima": "the workspace's largest customer count, total ACV and feedback count of any one customer insight \
                   (at least 1, and at least the ticket's own value), so scores do not depend on scoring order",
        "evidence": "distinct feedback and distinct customers of the ticket's included matches",
        "included_matches": "confirmed matches always; proposed matches at or above the similarity threshold; \
                             rejected matches never",
        "matching": {
            "similarity": "cosine of the ticket's embedding and the insight's theme centroid",
            "default_similarity_threshold": default_threshold,
            "max_proposed_matches": max_matches,
            "confidence": {"high": ">= 0.8", "medium": ">= 0.6", "low": "below 0.6"},
        },
        "recommended_priority": {"CRITICAL": ">= 80", "HIGH": ">= 60", "MEDIUM": ">= 40", "LOW": "< 40"},
        "priority_gap": "reported when the ticket's priority is two or more levels from the recommendation",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The original's worked example, with the maxima its first ticket set.
    #[test]
    fn worked_example_three_customers_critical_one_smb_customer_low() {
        let maxima = Maxima {
            customers: 3.0,
            acv: 415_000.0,
            volume: 7.0,
        };
        let strong = Evidence {
            customer_count: 3,
            total_acv: 120_000.0 + 250_000.0 + 45_000.0,
            feedback_volume: 7,
            ent: 2,
            mm: 1,
            smb: 0,
        };
        let s = score(&strong, &maxima);
        assert_eq!(
            (
                s.customer_score,
                s.acv_score,
                s.volume_score,
                s.segment_score
            ),
            (100.0, 100.0, 100.0, 88.89)
        );
        assert_eq!(s.voc_score, 97.22);
        assert_eq!(s.recommended_priority, "CRITICAL");

        let weak = Evidence {
            customer_count: 1,
            total_acv: 8_000.0,
            feedback_volume: 2,
            smb: 1,
            ..Evidence::default()
        };
        let s = score(&weak, &maxima);
        assert_eq!(
            (
                s.customer_score,
                s.acv_score,
                s.segment_score,
                s.volume_score
            ),
            (33.33, 1.93, 33.33, 28.57)
        );
        assert_eq!(s.voc_score, 23.2);
        assert_eq!(s.recommended_priority, "LOW");
    }

    #[test]
    fn no_evidence_scores_zero_and_low() {
        let s = score(
            &Evidence::default(),
            &Maxima {
                customers: 5.0,
                acv: 1e6,
                volume: 40.0,
            },
        );
        assert_eq!(s.voc_score, 0.0);
        assert_eq!(s.recommended_priority, "LOW");
    }

    #[test]
    fn bands_and_gaps() {
        assert_eq!(recommended_priority(80.0), "CRITICAL");
        assert_eq!(recommended_priority(79.99), "HIGH");
        assert_eq!(recommended_priority(40.0), "MEDIUM");
        assert_eq!(recommended_priority(39.9), "LOW");
        let gap = priority_gap(Priority::Low, "CRITICAL").unwrap();
        assert_eq!((gap.levels, gap.direction), (3, "under_prioritised"));
        assert!(priority_gap(Priority::High, "CRITICAL").is_none());
        assert_eq!(
            priority_gap(Priority::Highest, "MEDIUM").unwrap().direction,
            "over_prioritised"
        );
    }
}
