//! A ready prompt for an AI prototyping tool, the tool that suits the insight best and why.

use serde::Serialize;

use super::{
    DocInsight,
    format::{acv, has_enterprise, segments, timeline},
};

pub const TYPES: [&str; 4] = ["ui_component", "feature_flow", "mvp", "technical_poc"];

/// Integrations looked for in the quotes, as they are named in the prompt.
const INTEGRATIONS: [(&str, &str); 12] = [
    ("confluence", "Confluence"),
    ("google", "Google"),
    ("hubspot", "Hubspot"),
    ("jira", "Jira"),
    ("linear", "Linear"),
    ("marketo", "Marketo"),
    ("microsoft teams", "Microsoft Teams"),
    ("notion", "Notion"),
    ("salesforce", "Salesforce"),
    ("slack", "Slack"),
    ("teams", "Teams"),
    ("zoom", "Zoom"),
];

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct PromptMetadata {
    pub total_customers: usize,
    /// Formatted, e.g. `$500k`.
    pub total_acv: String,
    pub severity: String,
    pub effort: String,
    pub has_enterprise_customers: bool,
    /// Tools named in the key quotes, sorted.
    pub integrations: Vec<String>,
}

pub struct PrototypePrompt {
    pub prompt: String,
    pub recommended_tool: &'static str,
    pub reason: &'static str,
    pub metadata: PromptMetadata,
}

/// Integrations named in the top three quotes, sorted, each once.
pub fn integrations(insight: &DocInsight) -> Vec<String> {
    let quotes: Vec<String> = insight
        .key_quotes
        .iter()
        .take(3)
        .map(|q| q.text.to_lowercase())
        .collect();
    let mut found: Vec<String> = INTEGRATIONS
        .iter()
        .filter(|(needle, _)| quotes.iter().any(|q| q.contains(needle)))
        .map(|(_, name)| (*name).to_owned())
        .collect();
    // "Microsoft Teams" also contains "teams": name it once.
    if found.iter().any(|f| f == "Microsoft Teams") {
        found.retain(|f| f != "Teams");
    }
    found.sort();
    found
}

/// The first rule that applies: the prototype type, then value, then severity.
pub fn recommend(kind: &str, insight: &DocInsight) -> (&'static str, &'static str) {
    match kind {
        "ui_component" => ("v0", "Best for UI components and design system elements"),
        "technical_poc" => ("Bolt", "Best for quick technical proof-of-concept"),
        _ if insight.total_acv >= 500_000.0 || has_enterprise(insight) => (
            "Lovable",
            "High-value feature for Enterprise accounts requires production-quality MVP",
        ),
        _ if matches!(insight.card.severity.as_str(), "critical" | "high") => (
            "Lovable",
            "High-severity feature requires full-stack MVP with backend",
        ),
        _ => ("Bolt", "Best for quick functional demo and validation"),
    }
}

pub fn build(insight: &DocInsight, kind: &str) -> PrototypePrompt {
    let (tool, reason) = recommend(kind, insight);
    let customers = insight.customers.len();
    let total = acv(insight.total_acv);
    let enterprise = has_enterprise(insight);
    let found = integrations(insight);
    let groups = segments(insight);
    let what = match kind {
        "ui_component" => "a reusable UI component",
        "feature_flow" => "a multi-step feature flow",
        "technical_poc" => "a technical proof-of-concept that tests feasibility",
        _ => "a functional end-to-end MVP",
    };
    let mut p = format!(
        "# Build: {}\n\n## Context\nCreate {what} based on validated customer feedback from {customers} customer{} ({total} ACV).\n\n",
        insight.card.title,
        if customers == 1 { "" } else { "s" }
    );
    p.push_str(&format!(
        "## User Problem\n{}\n\n## Customer Evidence\n",
        if insight.card.description.trim().is_empty() {
            "Customers report friction in this workflow."
        } else {
            insight.card.description.trim()
        }
    ));
    let with_customer: Vec<_> = insight
        .key_quotes
        .iter()
        .take(3)
        .filter_map(|q| q.customer.as_ref().map(|c| (q, c)))
        .collect();
    if with_customer.is_empty() {
        p.push_str("- Multiple customers reported this issue.\n");
    }
    for (q, c) in with_customer {
        p.push_str(&format!(
            "- \"{}\" — {}, {} {}\n",
            q.text.trim().replace('\n', " "),
            c.name,
            c.segment,
            acv(c.acv)
        ));
    }
    let targets = if groups.is_empty() {
        "all customers".to_owned()
    } else {
        groups
            .iter()
            .map(|g| g.segment)
            .collect::<Vec<_>>()
            .join(", ")
    };
    p.push_str(&format!(
        "\n## Requirements\n- Severity: {}\n- Effort: {} ({})\n- Target segments: {targets}\n- Production-ready: {}\n",
        insight.card.severity.to_uppercase(),
        insight.card.effort.to_uppercase(),
        timeline(&insight.card.effort),
        if enterprise { "yes (enterprise customers)" } else { "start simple, iterate" }
    ));
    let users = if groups.is_empty() {
        "general users".to_owned()
    } else {
        groups
            .iter()
            .map(|g| format!("{} {}", g.customers.len(), g.segment))
            .collect::<Vec<_>>()
            .join(", ")
    };
    p.push_str(&format!(
        "\n## Design Constraints\n- Target users: {users}\n- Integrations: {}\n- Focus: {}\n",
        if found.is_empty() {
            "standard web integrations".to_owned()
        } else {
            found.join(", ")
        },
        if enterprise {
            "compliance and security (SSO, permissions, audit logs)"
        } else {
            "ease of use and quick setup"
        }
    ));
    p.push_str(&format!(
        "\n## Success Criteria\n- Solves the problem the customers describe\n- {}\n- Validated with {} customer{}\n",
        if enterprise { "Works at enterprise scale with SSO, permissions and audit trail" } else { "Quick setup with no training" },
        customers.min(3),
        if customers.min(3) == 1 { "" } else { "s" }
    ));
    p.push_str(&format!(
        "\n## Recommended Approach\n{}\n",
        if insight.card.recommendation.trim().is_empty() {
            "Start with the smallest version that removes the problem, then iterate with customers."
        } else {
            insight.card.recommendation.trim()
        }
    ));
    let testers: Vec<&str> = insight
        .customers
        .iter()
        .take(3)
        .map(|c| c.name.as_str())
        .collect();
    p.push_str(&format!(
        "\n## Next Steps\n1. Build the core flow\n2. Add the data model and integrations\n3. Polish the interface\n4. Test with {}\n",
        if testers.is_empty() { "three target customers".to_owned() } else { testers.join(", ") }
    ));
    PrototypePrompt {
        prompt: p,
        recommended_tool: tool,
        reason,
        metadata: PromptMetadata {
            total_customers: customers,
            total_acv: total,
            severity: insight.card.severity.clone(),
            effort: insight.card.effort.clone(),
            has_enterprise_customers: enterprise,
            integrations: found,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::{documents::DocQuote, themes::board::CustomerRef};

    fn insight(quotes: &[&str], customers: &[(&str, f64)], severity: &str) -> DocInsight {
        DocInsight {
            id: uuid::Uuid::nil(),
            updated_at: chrono::Utc::now(),
            category: "customer_feedback".into(),
            card: crate::services::insight_card::InsightCard {
                title: "T".into(),
                description: String::new(),
                impact: String::new(),
                recommendation: String::new(),
                severity: severity.into(),
                effort: "medium".into(),
                priority_score: 50,
            },
            theme_label: None,
            freq_30d: 0,
            feedback_count: 0,
            customers: customers
                .iter()
                .map(|(seg, acv)| CustomerRef {
                    id: uuid::Uuid::new_v4(),
                    name: format!("{seg} co"),
                    segment: (*seg).into(),
                    acv: *acv,
                })
                .collect(),
            total_acv: customers.iter().map(|(_, a)| a).sum(),
            key_quotes: quotes
                .iter()
                .map(|q| DocQuote {
                    feedback_id: uuid::Uuid::new_v4(),
                    text: (*q).into(),
                    created_at: chrono::Utc::now(),
                    customer: None,
                })
                .collect(),
        }
    }

    #[test]
    fn integrations_are_found_once_and_sorted() {
        let i = insight(
            &[
                "Post it to Slack and Microsoft Teams",
                "sync with Salesforce",
                "no tools",
                "and Jira",
            ],
            &[],
            "low",
        );
        assert_eq!(
            integrations(&i),
            vec!["Microsoft Teams", "Salesforce", "Slack"],
            "only the top three quotes"
        );
    }

    #[test]
    fn the_tool_follows_type_then_value_then_severity() {
        let small = insight(&[], &[("SMB", 10_000.0)], "medium");
        assert_eq!(recommend("ui_component", &small).0, "v0");
        assert_eq!(recommend("technical_poc", &small).0, "Bolt");
        assert_eq!(recommend("mvp", &small).0, "Bolt");
        assert_eq!(
            recommend("mvp", &insight(&[], &[("SMB", 10_000.0)], "high")).0,
            "Lovable"
        );
        assert_eq!(
            recommend("feature_flow", &insight(&[], &[("MM", 600_000.0)], "low")).0,
            "Lovable"
        );
        assert_eq!(
            recommend("mvp", &insight(&[], &[("ENT", 1.0)], "low")).1,
            "High-value feature for Enterprise accounts requires production-quality MVP"
        );
    }
}
