//! The P-score every competitive card is ranked by, always computed here from its
//! sub-scores: P = 30·severity weight + 25·urgency + 20·reach + 15·confidence +
//! 10·effort inverse, with severity High 1 / Medium 0.66 / Low 0.33 and effort inverse
//! Low 1 / Medium 0.5 / High 0.2. A model's own total is never used.

use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    /// low, medium or high in any case; "critical" counts as high (the rubric stops there).
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Self::Low),
            "medium" | "med" => Some(Self::Medium),
            "high" | "critical" => Some(Self::High),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }

    pub fn severity_weight(self) -> f32 {
        match self {
            Self::High => 1.0,
            Self::Medium => 0.66,
            Self::Low => 0.33,
        }
    }

    /// Cheap work ranks higher.
    pub fn effort_inverse(self) -> f32 {
        match self {
            Self::Low => 1.0,
            Self::Medium => 0.5,
            Self::High => 0.2,
        }
    }
}

/// The rubric's five inputs, each 0-1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, JsonSchema, sea_orm::FromQueryResult)]
pub struct SubScores {
    pub severity_weight: f32,
    pub urgency_score: f32,
    pub reach_score: f32,
    pub confidence_score: f32,
    pub effort_inverse: f32,
}

impl SubScores {
    pub fn new(severity: Level, effort: Level, urgency: f32, reach: f32, confidence: f32) -> Self {
        let unit = |v: f32| {
            if v.is_finite() {
                v.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        Self {
            severity_weight: severity.severity_weight(),
            urgency_score: unit(urgency),
            reach_score: unit(reach),
            confidence_score: unit(confidence),
            effort_inverse: effort.effort_inverse(),
        }
    }

    /// 0-100.
    pub fn priority_score(&self) -> i32 {
        let p = 30.0 * self.severity_weight
            + 25.0 * self.urgency_score
            + 20.0 * self.reach_score
            + 15.0 * self.confidence_score
            + 10.0 * self.effort_inverse;
        (p.round() as i32).clamp(0, 100)
    }
}

/// The rubric as `GET /admin/config` publishes it.
pub fn formula() -> &'static str {
    "P = 30*severity_weight + 25*urgency + 20*reach + 15*confidence + 10*effort_inverse; \
     severity_weight high 1, medium 0.66, low 0.33; effort_inverse low 1, medium 0.5, high 0.2; \
     urgency, reach and confidence 0-1"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rubric_adds_up_as_documented() {
        let top = SubScores::new(Level::High, Level::Low, 1.0, 1.0, 1.0);
        assert_eq!(top.priority_score(), 100);
        let s = SubScores::new(Level::Medium, Level::Medium, 0.5, 0.33, 0.7);
        // 30*0.66 + 25*0.5 + 20*0.33 + 15*0.7 + 10*0.5 = 19.8 + 12.5 + 6.6 + 10.5 + 5 = 54.4
        assert_eq!(s.priority_score(), 54);
        let low = SubScores::new(Level::Low, Level::High, 0.0, 0.0, 0.0);
        // 30*0.33 + 10*0.2 = 11.9
        assert_eq!(low.priority_score(), 12);
    }

    #[test]
    fn out_of_range_inputs_are_clamped() {
        let s = SubScores::new(Level::High, Level::Low, 7.0, -1.0, f32::NAN);
        assert_eq!(s.urgency_score, 1.0);
        assert_eq!(s.reach_score, 0.0);
        assert_eq!(s.confidence_score, 0.0);
    }

    #[test]
    fn levels_parse_in_any_case() {
        assert_eq!(Level::parse("High"), Some(Level::High));
        assert_eq!(Level::parse("CRITICAL"), Some(Level::High));
        assert_eq!(Level::parse("huge"), None);
    }
}
