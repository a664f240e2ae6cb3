//! The documented rules behind every card's sub-scores, and the rule-based cards manual
//! research writes without a model: one card per move, framed as the move, what users will
//! now expect of us, and our gap — measured against our own customers' feedback.
//!
//! - urgency: the move's age — 90 days or less 1.0, 180 days 0.75, inside the research
//!   window 0.5, older 0.25, undated 0.5;
//! - reach: no matching customer insight 0.33; one backed by under 10 % of our customers
//!   0.66; 10 % or more 1.0;
//! - confidence: 0.4, +0.3 with a source URL, +0.1 with a date, +0.2 with customer evidence;
//! - severity: high for security or compliance moves, or when the matching insight is high
//!   severity or backed by 10 % of customers; medium with any customer evidence or for AI,
//!   pricing, integration and platform moves; low otherwise;
//! - effort: the matching insight's effort; else high for AI, platform or marketplace
//!   work, low for integrations, exports, templates and pricing, medium otherwise.

use chrono::NaiveDate;

use super::{
    Card, Citation, CompetitorIn, MoveIn, Research, ResearchMode,
    card::clip,
    evidence::Evidence,
    request::move_date,
    rubric::{Level, SubScores},
};
use crate::services::{documents::format::acv, themes::wording::has_word};

const WIDE_REACH_SHARE: f64 = 0.10;

const SECURITY: &[&str] = &[
    "security",
    "secure",
    "compliance",
    "compliant",
    "soc 2",
    "soc2",
    "iso 27001",
    "gdpr",
    "hipaa",
    "sso",
    "saml",
    "scim",
    "encryption",
    "audit log",
    "data residency",
];
const STRATEGIC: &[&str] = &[
    "ai",
    "ai-powered",
    "gpt",
    "llm",
    "copilot",
    "automation",
    "automated",
    "pricing",
    "price",
    "free",
    "integration",
    "integrations",
    "platform",
    "api",
    "enterprise",
    "acquired",
    "acquisition",
];
const HEAVY: &[&str] = &[
    "ai",
    "ai-powered",
    "llm",
    "machine learning",
    "platform",
    "marketplace",
    "suite",
    "real-time",
    "realtime",
    "offline",
    "rebuilt",
];
const LIGHT: &[&str] = &[
    "integration",
    "integrations",
    "connector",
    "export",
    "import",
    "template",
    "templates",
    "plugin",
    "pricing",
    "price",
    "discount",
    "free",
    "dark mode",
];

pub fn urgency(date: Option<&str>, today: NaiveDate, window_months: u32) -> f32 {
    let Some(date) = date.and_then(move_date) else {
        return 0.5;
    };
    let age = (today - date).num_days().max(0);
    if age <= 90 {
        1.0
    } else if age <= 180 {
        0.75
    } else if age <= i64::from(window_months) * 31 {
        0.5
    } else {
        0.25
    }
}

pub fn reach(evidence: Option<&Evidence>) -> f32 {
    match evidence {
        None => 0.33,
        Some(e) if e.customer_share >= WIDE_REACH_SHARE => 1.0,
        Some(_) => 0.66,
    }
}

pub fn confidence(has_url: bool, has_date: bool, evidence: Option<&Evidence>) -> f32 {
    let mut c = 0.4;
    if has_url {
        c += 0.3;
    }
    if has_date {
        c += 0.1;
    }
    if evidence.is_some() {
        c += 0.2;
    }
    f32::min(c, 1.0)
}

pub fn severity(text: &str, evidence: Option<&Evidence>) -> Level {
    let l = text.to_lowercase();
    let evidence_is_grave = evidence.is_some_and(|e| {
        e.customer_share >= WIDE_REACH_SHARE || matches!(e.severity.as_str(), "high" | "critical")
    });
    if has_word(&l, SECURITY) || evidence_is_grave {
        Level::High
    } else if evidence.is_some() || has_word(&l, STRATEGIC) {
        Level::Medium
    } else {
        Level::Low
    }
}

pub fn effort(text: &str, evidence: Option<&Evidence>) -> Level {
    if let Some(level) = evidence.and_then(|e| Level::parse(&e.effort)) {
        return level;
    }
    let l = text.to_lowercase();
    if has_word(&l, HEAVY) {
        Level::High
    } else if has_word(&l, LIGHT) {
        Level::Low
    } else {
        Level::Medium
    }
}

/// The evidence figures of a card: from our customers when a customer insight matches,
/// otherwise the number of sources and "not available".
pub struct Figures {
    pub evidence_count: String,
    pub mentions_30d: String,
    pub impacted_acv_usd: Option<String>,
    pub est_method: String,
}

pub fn figures(sources: usize, evidence: Option<&Evidence>, mode: ResearchMode) -> Figures {
    let sources_text = format!("{sources} source{}", if sources == 1 { "" } else { "s" });
    match evidence {
        Some(e) => Figures {
            evidence_count: format!(
                "{sources_text}, {} customer feedback items",
                e.feedback_count
            ),
            mentions_30d: format!("{} mentions", e.mentions_30d),
            impacted_acv_usd: (e.total_acv > 0.0).then(|| acv(e.total_acv)),
            est_method: "customer_feedback_match".into(),
        },
        None => Figures {
            evidence_count: sources_text,
            mentions_30d: "0 mentions".into(),
            impacted_acv_usd: None,
            est_method: match mode {
                ResearchMode::Manual => "not_available_manual_input",
                ResearchMode::Auto => "not_available_web_only",
            }
            .into(),
        },
    }
}

/// "A, B and C"; `fallback` when empty.
pub fn joined(items: &[String], fallback: &str) -> String {
    match items {
        [] => fallback.to_owned(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "Launched X" → "launched X", but "AI assistant" stays.
fn as_clause(action: &str) -> String {
    let mut chars = action.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if first.is_uppercase() && second.is_lowercase() => {
            first.to_lowercase().chain(action.chars().skip(1)).collect()
        }
        _ => action.to_owned(),
    }
}

/// The text a move is matched against customer insights with.
pub fn move_text(competitor: &CompetitorIn, m: &MoveIn) -> String {
    format!("{} {}", competitor.name, m.action)
}

/// The rule-based card for one move.
pub fn card_for_move(
    research: &Research,
    competitor: &CompetitorIn,
    m: &MoveIn,
    evidence: Option<Evidence>,
    today: NaiveDate,
) -> Card {
    let e = evidence.as_ref();
    let text = format!(
        "{} {}",
        m.action,
        competitor.description.as_deref().unwrap_or("")
    );
    let severity = severity(&m.action, e);
    let effort = effort(&text, e);
    let scores = SubScores::new(
        severity,
        effort,
        urgency(m.date.as_deref(), today, research.window_months),
        reach(e),
        confidence(m.source_url.is_some(), m.date.is_some(), e),
    );
    let name = &competitor.name;
    let personas = joined(&research.target_personas, "Our users");
    let geo = joined(&research.geo_segments, "every market");
    let company = &research.company_name;
    let when = m
        .date
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default();
    let gap = match e {
        Some(e) => format!(
            "Our gap: {} of our accounts ({}) already ask for this in \"{}\" ({} feedback items, {} in the last 30 days).",
            e.accounts,
            acv(e.total_acv),
            e.title,
            e.feedback_count,
            e.mentions_30d
        ),
        None => "Our gap: no feedback in this workspace asks for it yet, so whether our customers care is unconfirmed."
            .to_owned(),
    };
    let summary = format!(
        "Move: {name} {}{when}. Expectation: {personas} will now expect the same from {company} in {}. {gap}",
        as_clause(&m.action),
        research.market_scope,
    );
    let impact = match e {
        Some(e) => format!(
            "{} accounts worth {} already raised this and may evaluate {name}; {name} now sets the bar for {personas} in {geo}.",
            e.accounts,
            acv(e.total_acv)
        ),
        None => format!(
            "{name} may win {personas} in {geo} who look for this; no current account is known to be affected."
        ),
    };
    let recommendation = match severity {
        Level::High => match e {
            Some(e) => format!(
                "Respond this quarter: scope how {company} closes the gap, starting with the accounts behind \"{}\".",
                e.title
            ),
            None => format!(
                "Respond this quarter: scope how {company} closes the gap before it blocks deals."
            ),
        },
        Level::Medium => format!(
            "Plan a response: validate the demand with {personas} and size the work ({} effort).",
            effort.as_str()
        ),
        Level::Low => format!("Monitor {name}'s adoption of this before committing roadmap time."),
    };
    let citations: Vec<Citation> = Citation::for_move(name, m).into_iter().collect();
    let f = figures(citations.len(), e, research.mode);
    Card {
        competitor_name: name.clone(),
        title: clip(&format!("{name}: {}", m.action), 200),
        summary,
        impact,
        recommendation,
        moves: vec![m.clone()],
        severity,
        effort,
        scores,
        evidence_count: f.evidence_count,
        mentions_30d: f.mentions_30d,
        impacted_acv_usd: f.impacted_acv_usd,
        est_method: f.est_method,
        citations,
        customer_evidence: evidence,
    }
}

/// Every move of a manual research, in order.
pub fn moves(research: &Research) -> Vec<(&CompetitorIn, &MoveIn)> {
    research
        .competitors
        .iter()
        .flat_map(|c| c.moves.iter().map(move |m| (c, m)))
        .collect()
}

/// The rule-based cards of a manual research; `evidence[i]` belongs to `moves(research)[i]`.
pub fn manual_cards(
    research: &Research,
    evidence: Vec<Option<Evidence>>,
    today: NaiveDate,
) -> Vec<Card> {
    moves(research)
        .into_iter()
        .zip(evidence.into_iter().chain(std::iter::repeat(None)))
        .map(|((c, m), e)| card_for_move(research, c, m, e, today))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn evidence(share: f64, severity: &str) -> Evidence {
        Evidence {
            insight_id: uuid::Uuid::nil(),
            title: "PRD drafting".into(),
            similarity: 0.7,
            feedback_count: 12,
            mentions_30d: 4,
            accounts: 3,
            total_acv: 250_000.0,
            customer_share: share,
            severity: severity.into(),
            effort: "medium".into(),
        }
    }

    #[test]
    fn urgency_follows_the_moves_age() {
        let today = day(2025, 6, 1);
        assert_eq!(urgency(Some("2025-05-01"), today, 12), 1.0);
        assert_eq!(urgency(Some("2025-01-01"), today, 12), 0.75);
        assert_eq!(urgency(Some("2024-09"), today, 12), 0.5);
        assert_eq!(urgency(Some("2022"), today, 12), 0.25);
        assert_eq!(urgency(None, today, 12), 0.5);
        assert_eq!(urgency(Some("2025-07-01"), today, 12), 1.0);
    }

    #[test]
    fn severity_and_effort_follow_the_rules() {
        assert_eq!(severity("Achieved SOC 2 Type II", None), Level::High);
        assert_eq!(
            severity("Launched AI-powered PRD generation", None),
            Level::Medium
        );
        assert_eq!(severity("New logo", None), Level::Low);
        assert_eq!(
            severity("New logo", Some(&evidence(0.02, "low"))),
            Level::Medium
        );
        assert_eq!(
            severity("New logo", Some(&evidence(0.2, "low"))),
            Level::High
        );
        assert_eq!(
            severity("New logo", Some(&evidence(0.02, "critical"))),
            Level::High
        );
        assert_eq!(effort("Launched an AI assistant", None), Level::High);
        assert_eq!(effort("Added a Salesforce integration", None), Level::Low);
        assert_eq!(effort("Redesigned onboarding", None), Level::Medium);
        assert_eq!(
            effort(
                "Added a Salesforce integration",
                Some(&evidence(0.1, "low"))
            ),
            Level::Medium
        );
    }

    #[test]
    fn a_manual_card_is_move_expectation_gap_with_its_url_cited() {
        let research = Research {
            mode: ResearchMode::Manual,
            company_name: "ProduckAI".into(),
            market_scope: "Product Management Software".into(),
            target_personas: vec!["Product Managers".into(), "Product Leaders".into()],
            geo_segments: vec!["NA".into(), "EU".into()],
            window_months: 12,
            competitors: vec![CompetitorIn {
                name: "Competitor A".into(),
                description: Some("PM tool focused on roadmapping".into()),
                moves: vec![MoveIn {
                    action: "Launched AI-powered PRD generation".into(),
                    date: Some("2025-05-10".into()),
                    source_url: Some("https://www.example.com/announcement".into()),
                }],
            }],
        };
        let with = manual_cards(
            &research,
            vec![Some(evidence(0.25, "medium"))],
            day(2025, 6, 1),
        );
        let card = &with[0];
        assert_eq!(
            card.title,
            "Competitor A: Launched AI-powered PRD generation"
        );
        assert!(
            card.summary
                .starts_with("Move: Competitor A launched AI-powered PRD generation (2025-05-10).")
        );
        assert!(card.summary.contains(
            "Product Managers and Product Leaders will now expect the same from ProduckAI"
        ));
        assert!(card.summary.contains("3 of our accounts ($250k)"));
        assert_eq!(
            card.citations[0].url.as_deref(),
            Some("https://www.example.com/announcement")
        );
        assert_eq!(card.citations[0].publisher.as_deref(), Some("example.com"));
        assert_eq!(card.severity, Level::High);
        assert_eq!(card.impacted_acv_usd.as_deref(), Some("$250k"));
        assert_eq!(card.est_method, "customer_feedback_match");
        // 30*1 + 25*1 + 20*1 + 15*1.0 + 10*0.5
        assert_eq!(card.priority_score(), 95);

        let without = manual_cards(&research, vec![None], day(2025, 6, 1));
        let card = &without[0];
        assert!(
            card.summary
                .contains("no feedback in this workspace asks for it yet")
        );
        assert_eq!(card.impacted_acv_usd, None);
        assert_eq!(card.est_method, "not_available_manual_input");
        assert_eq!(card.evidence_count, "1 source");
        // medium (AI), effort high (AI): 30*0.66 + 25 + 20*0.33 + 15*0.8 + 10*0.2 = 65.4
        assert_eq!(card.priority_score(), 65);
    }
}
