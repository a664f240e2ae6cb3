//! A competitive insight card as it is stored: text, the competitor's moves, the rubric's
//! sub-scores (the P-score is computed from them), evidence and citations.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    MoveIn,
    evidence::Evidence,
    rubric::{Level, SubScores},
};

/// Where a citation comes from.
pub mod origin {
    /// A URL the PM gave with the move.
    pub const PROVIDED: &str = "provided";
    /// A URL the model cited.
    pub const WEB: &str = "web";
    /// No URL: what the model says it knows, unverified.
    pub const MODEL_KNOWLEDGE: &str = "model_knowledge";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Citation {
    pub title: String,
    pub url: Option<String>,
    /// As given (YYYY-MM-DD when known).
    pub date: Option<String>,
    /// What the source says, in a sentence (the original web UI shows it).
    pub snippet: String,
    pub publisher: Option<String>,
    /// provided, web or model_knowledge (no URL: the model's unverified knowledge).
    pub source: String,
}

impl Citation {
    /// A citation for a move the PM gave; None without a URL (nothing to point at).
    pub fn for_move(competitor: &str, m: &MoveIn) -> Option<Self> {
        let url = m.source_url.clone()?;
        Some(Self {
            title: clip(&format!("{competitor}: {}", m.action), 200),
            publisher: url::Url::parse(&url).ok().and_then(|u| {
                u.host_str()
                    .map(|h| h.trim_start_matches("www.").to_owned())
            }),
            url: Some(url),
            date: m.date.clone(),
            snippet: clip(&m.action, 300),
            source: origin::PROVIDED.into(),
        })
    }
}

#[derive(Debug, Clone)]
pub struct Card {
    pub competitor_name: String,
    pub title: String,
    pub summary: String,
    pub impact: String,
    pub recommendation: String,
    pub moves: Vec<MoveIn>,
    pub severity: Level,
    pub effort: Level,
    pub scores: SubScores,
    pub evidence_count: String,
    pub mentions_30d: String,
    pub impacted_acv_usd: Option<String>,
    pub est_method: String,
    pub citations: Vec<Citation>,
    pub customer_evidence: Option<Evidence>,
}

impl Card {
    pub fn priority_score(&self) -> i32 {
        self.scores.priority_score()
    }
}

/// At most `max` characters, cut at a word boundary with an ellipsis.
pub fn clip(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':', ' ']))
}

#[cfg(test)]
mod tests {
    #[test]
    fn clipping_keeps_short_text_and_cuts_long_text_at_a_word() {
        assert_eq!(super::clip("short", 10), "short");
        let c = super::clip("one two three four five six", 12);
        assert!(c.chars().count() <= 12, "{c}");
        assert!(c.ends_with('…'));
        assert_eq!(c, "one two…");
    }
}
