//! The PRD for an insight: a thirteen-section Markdown document built from its evidence,
//! or the `prd_writer` agent's version of it when an LLM is configured and its reply keeps
//! every section heading. The model writes for editors only, within the daily token
//! budgets, and what it wrote is kept until the insight's evidence changes.

use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{
    DocInsight,
    format::{acv, has_enterprise, long_date, segment_mix, segments, short_date, timeline},
};
use crate::{
    DomainError,
    ai::{AiServices, budget::TokenBudgets, chat, runs::RunContext},
    db::statement as raw,
};

pub const AGENT: &str = "prd_writer";

/// The section headings, in order; an LLM reply must contain each as a `## ` heading.
pub const SECTIONS: [&str; 13] = [
    "Problem & Goal",
    "Who",
    "Voice of Customer",
    "Hypothesis",
    "Use cases",
    "Solution",
    "Scope",
    "Acceptance criteria",
    "Success metrics",
    "Experiment plan",
    "GTM",
    "Dependencies & risks",
    "Open questions",
];

pub struct Prd {
    pub markdown: String,
    /// `llm` or `fallback` (the template).
    pub generated_by: &'static str,
    /// Why the template was used although an LLM is configured.
    pub fallback_reason: Option<String>,
    /// The model's earlier PRD for the same evidence, served again without a model call.
    pub cached: bool,
}

impl Prd {
    fn template(markdown: String, reason: Option<String>) -> Self {
        crate::metrics::fallback_answers(AGENT, 1);
        Self {
            markdown,
            generated_by: "fallback",
            fallback_reason: reason,
            cached: false,
        }
    }
}

/// Who asks for a PRD, and what they may spend.
pub struct Requester {
    pub run: RunContext,
    /// Editors and admins; a viewer reads the template.
    pub may_use_model: bool,
    pub budgets: TokenBudgets,
}

/// The PRD `requester` may have: the template when no model is configured, the caller is a
/// viewer or a budget is spent (saying why), the model's earlier PRD while the evidence is
/// unchanged, else a fresh one from the model (kept for next time).
pub async fn draft(
    db: &impl ConnectionTrait,
    insight: &DocInsight,
    services: &AiServices,
    requester: &Requester,
    web_ui_base_url: &str,
) -> Result<Prd, DomainError> {
    if chat::configured(&services.config, AGENT).is_none() {
        return Ok(Prd::template(
            template(insight, web_ui_base_url, Utc::now()),
            None,
        ));
    }
    if !requester.may_use_model {
        return Ok(Prd::template(
            template(insight, web_ui_base_url, Utc::now()),
            Some("the language model drafts PRDs for editors; viewers get the template".into()),
        ));
    }
    let key = evidence_key(insight);
    if let Some(markdown) = cached(db, insight.id, &key).await? {
        return Ok(Prd {
            markdown,
            generated_by: "llm",
            fallback_reason: None,
            cached: true,
        });
    }
    if let Some(why) = requester.budgets.exhausted(db, &requester.run).await? {
        return Ok(Prd::template(
            template(insight, web_ui_base_url, Utc::now()),
            Some(why),
        ));
    }
    let prd = generate(insight, services, &requester.run, web_ui_base_url).await;
    if prd.generated_by == "llm" {
        keep(
            db,
            insight,
            &key,
            &prd.markdown,
            requester.run.owner.as_deref(),
        )
        .await?;
    }
    Ok(prd)
}

/// A digest of everything the model is given about the insight.
fn evidence_key(insight: &DocInsight) -> String {
    let evidence = serde_json::to_vec(insight).unwrap_or_default();
    hex::encode(Sha256::digest(&evidence))
}

async fn cached(
    db: &impl ConnectionTrait,
    insight_id: uuid::Uuid,
    key: &str,
) -> Result<Option<String>, DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT content FROM generated_documents WHERE insight_id = $1 AND kind = 'prd' AND evidence_key = $2",
            vec![insight_id.into(), key.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "content")).transpose()?)
}

async fn keep(
    db: &impl ConnectionTrait,
    insight: &DocInsight,
    key: &str,
    markdown: &str,
    owner: Option<&str>,
) -> Result<(), DomainError> {
    db.execute_raw(raw(
        "INSERT INTO generated_documents (insight_id, kind, workspace_id, evidence_key, content, created_by) \
         SELECT $1, 'prd', workspace_id, $2, $3, $4 FROM insights WHERE id = $1 \
         ON CONFLICT (insight_id, kind) DO UPDATE SET evidence_key = EXCLUDED.evidence_key, \
             content = EXCLUDED.content, created_by = EXCLUDED.created_by, created_at = now()",
        vec![insight.id.into(), key.into(), markdown.into(), owner.into()],
    ))
    .await?;
    Ok(())
}

fn or_stock<'a>(text: &'a str, stock: &'a str) -> &'a str {
    if text.trim().is_empty() { stock } else { text }
}

fn quote_line(q: &super::DocQuote) -> String {
    let (name, seg, money) = match &q.customer {
        Some(c) => (c.name.as_str(), c.segment.as_str(), acv(c.acv)),
        None => ("Unknown", "", acv(0.0)),
    };
    let who = if seg.is_empty() {
        format!("{name}, {money}")
    } else {
        format!("{name}, {seg} {money}")
    };
    format!(
        "> \"{}\" — {who}, {} (feedback `{}`)\n",
        q.text.trim().replace('\n', " "),
        short_date(q.created_at),
        q.feedback_id
    )
}

/// The deterministic document.
pub fn template(insight: &DocInsight, web_ui_base_url: &str, now: DateTime<Utc>) -> String {
    let customers = insight.customers.len();
    let total = acv(insight.total_acv);
    let mix = segment_mix(insight);
    let groups = segments(insight);
    let severity = insight.card.severity.as_str();
    let effort = insight.card.effort.as_str();
    let mut s = Vec::<String>::new();
    let mut md = format!(
        "# {}\n\n*Generated: {}* | *Priority: {}/100* | *Severity: {}*\n\n**TL;DR**: {customers} customers ({total}) reported {}× in 30d. {mix}.\n",
        insight.card.title,
        long_date(now),
        insight.card.priority_score,
        severity.to_uppercase(),
        insight.freq_30d,
    );

    s.push(format!(
        "## Problem & Goal\n\n{}\n\n**Goal:** {}\n",
        or_stock(
            &insight.card.description,
            "Customers report a recurring problem in this area that slows them down."
        ),
        or_stock(
            &insight.card.impact,
            "Remove the friction customers describe and measure the change in their experience."
        )
    ));

    let top: Vec<&str> = insight
        .customers
        .iter()
        .take(3)
        .map(|c| c.name.as_str())
        .collect();
    let mut who = format!(
        "## Who\n\n- **Total impact:** {customers} customers, {total} ACV\n- **Segment mix:** {mix}\n- **Frequency:** {} accounts in the last 30 days ({} feedback items in all)\n- **Top accounts:** {}\n",
        insight.freq_30d,
        insight.feedback_count,
        if top.is_empty() {
            "none linked yet".to_owned()
        } else {
            top.join(", ")
        }
    );
    if !insight.customers.is_empty() {
        who.push_str("\n**Priority accounts:**\n\n");
        for (i, c) in insight.customers.iter().take(5).enumerate() {
            who.push_str(&format!(
                "{}. {} ({}, {})\n",
                i + 1,
                c.name,
                c.segment,
                acv(c.acv)
            ));
        }
    }
    s.push(who);

    let mut voc = format!(
        "## Voice of Customer\n\n**Theme:** {}\n\n",
        insight
            .theme_label
            .as_deref()
            .unwrap_or(&insight.card.title)
    );
    if insight.key_quotes.is_empty() {
        voc.push_str("No customer quotes are linked to this insight yet.\n");
    }
    for q in insight.key_quotes.iter().take(3) {
        voc.push_str(&quote_line(q));
        voc.push('\n');
    }
    voc.push_str(&format!(
        "[All evidence for this insight]({}/insights/{})\n",
        web_ui_base_url.trim_end_matches('/'),
        insight.id
    ));
    s.push(voc);

    let belief = match severity {
        "critical" => {
            "Solving this removes a churn risk and opens expansion with the affected accounts"
        }
        "high" => {
            "Solving this raises satisfaction and strengthens product-market fit for the affected segments"
        }
        "medium" => "Solving this improves the everyday experience and our competitive positioning",
        _ => "Solving this streamlines a workflow customers use regularly",
    };
    s.push(format!(
        "## Hypothesis\n\nWe believe that addressing \"{}\" will help the {customers} affected customers. {belief}, with {total} ACV behind the request.\n",
        insight.card.title
    ));

    let mut uses = String::from("## Use cases\n\n");
    if groups.is_empty() {
        uses.push_str("1. **All customers:** complete the affected workflow without workarounds\n");
    }
    for (i, g) in groups.iter().enumerate() {
        let why = match g.segment {
            "ENT" => "meet compliance and scale requirements",
            "MM" => "stay productive as their team grows",
            "SMB" => "spend less time on manual work",
            _ => "complete the workflow without workarounds",
        };
        uses.push_str(&format!(
            "{}. **{} ({} account{}):** {why}\n",
            i + 1,
            g.segment,
            g.customers.len(),
            if g.customers.len() == 1 { "" } else { "s" }
        ));
    }
    s.push(uses);

    s.push(format!(
        "## Solution\n\n**Recommended approach:** {}\n\n**Effort:** {} ({})\n",
        or_stock(
            &insight.card.recommendation,
            "Run discovery interviews with the affected accounts, then prototype the smallest change that removes the problem."
        ),
        effort.to_uppercase(),
        timeline(effort)
    ));

    s.push(
        "## Scope\n\n**MVP:**\n- The core workflow the quotes describe\n- Instrumentation to measure adoption\n\n\
         **Next:**\n- Refinements from beta feedback\n- Admin controls and reporting\n\n\
         **Not in scope:**\n- Unrelated requests in the same area\n- Items with <3 customer requests\n"
            .to_owned(),
    );

    let seg_list: Vec<&str> = groups.iter().map(|g| g.segment).collect();
    s.push(format!(
        "## Acceptance criteria\n\n- [ ] The problem in the customer quotes no longer occurs\n- [ ] Works for {} customers\n\
         - [ ] No regression in related workflows\n- [ ] Usage is measurable from day one\n- [ ] Documentation and release notes are published\n",
        if seg_list.is_empty() { "all".to_owned() } else { seg_list.join(", ") }
    ));

    let primary = if matches!(severity, "high" | "critical") {
        format!(
            "- NPS improvement for the {customers} affected accounts\n- Fewer support tickets about this problem\n- Retention of the {total} ACV at risk\n"
        )
    } else {
        "- Adoption of the new capability\n- Time saved per task\n- CSAT for the workflow\n"
            .to_owned()
    };
    s.push(format!(
        "## Success metrics\n\n**Primary:**\n{primary}\n**Secondary:**\n- Feature engagement over 30 days\n- Mentions of this theme in new feedback\n"
    ));

    let beta = match effort {
        "low" => "1 week",
        "high" => "3 weeks",
        _ => "2 weeks",
    };
    s.push(format!(
        "## Experiment plan\n\n1. Beta with 3-5 of the affected accounts for {beta}\n2. Iterate on their feedback\n3. General availability\n"
    ));

    let mut gtm = String::from("## GTM\n\n");
    if insight.total_acv >= 500_000.0 {
        gtm.push_str("- White-glove rollout for the highest-ACV accounts\n");
    }
    if has_enterprise(insight) {
        gtm.push_str("- Enterprise early access programme\n");
    }
    gtm.push_str("- Marketing assets: announcement, changelog, short demo\n- Enablement for sales and support\n");
    s.push(gtm);

    let capacity = match effort {
        "low" => "A small team for one sprint",
        "high" => "A dedicated squad over several sprints",
        _ => "One squad for about two sprints",
    };
    s.push(format!(
        "## Dependencies & risks\n\n**Dependencies:**\n- {capacity}\n- Design review\n- QA and release support\n\n\
         **Risks:**\n- Scope creep beyond the MVP\n- Adoption lower than the feedback suggests\n- Technical constraints found late\n\n\
         **Mitigation:** validate with beta accounts before general availability.\n"
    ));

    s.push(
        "## Open questions\n\n- Which accounts join the beta?\n- What does success look like for each segment?\n\
         - Are there technical dependencies we have not found yet?\n- How does this fit the current roadmap?\n"
            .to_owned(),
    );

    for section in s {
        md.push_str("\n---\n\n");
        md.push_str(&section);
    }
    md.push_str(&format!(
        "\n---\n\n*Generated by ProduckAI from {} key quotes, {} feedback items and {customers} customers.*\n",
        insight.key_quotes.len(),
        insight.feedback_count
    ));
    md
}

/// What the LLM is given: the template as the structure to keep, and the evidence.
fn llm_request(insight: &DocInsight, template: &str) -> String {
    let quotes: Vec<_> = insight
        .key_quotes
        .iter()
        .map(|q| json!({"feedback_id": q.feedback_id, "text": q.text, "customer": q.customer.as_ref().map(|c| &c.name)}))
        .collect();
    format!(
        "Rewrite this PRD so it reads as a product manager would write it. Keep every `## ` section heading \
         exactly as written, in the same order, keep every number, and cite quotes by their feedback id.\n\n\
         Evidence (JSON): {}\n\nPRD:\n{template}",
        json!({"title": insight.card.title, "customers": insight.customers.len(), "total_acv": insight.total_acv,
               "severity": insight.card.severity, "effort": insight.card.effort, "quotes": quotes})
    )
}

/// The reply if it is a PRD with every section heading, code fences removed.
pub fn validate_reply(reply: &str) -> Result<String, String> {
    let text = reply.trim();
    let text = text
        .strip_prefix("```markdown")
        .or_else(|| text.strip_prefix("```md"))
        .or_else(|| text.strip_prefix("```"))
        .map(|t| t.trim_end().trim_end_matches("```").trim())
        .unwrap_or(text);
    let headings: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("## "))
        .map(str::trim)
        .collect();
    let missing: Vec<&str> = SECTIONS
        .iter()
        .filter(|s| !headings.iter().any(|h| h.eq_ignore_ascii_case(s)))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the LLM reply lacks sections: {}",
            missing.join(", ")
        ));
    }
    if !text.starts_with("# ") {
        return Err("the LLM reply does not start with a title".into());
    }
    Ok(text.to_owned())
}

async fn generate(
    insight: &DocInsight,
    services: &AiServices,
    run: &RunContext,
    web_ui_base_url: &str,
) -> Prd {
    let template = template(insight, web_ui_base_url, Utc::now());
    let reason = match chat::complete(services, run, AGENT, &llm_request(insight, &template)).await
    {
        Ok(reply) => match validate_reply(&reply) {
            Ok(markdown) => {
                return Prd {
                    markdown,
                    generated_by: "llm",
                    fallback_reason: None,
                    cached: false,
                };
            }
            Err(why) => why,
        },
        Err(e) => {
            tracing::warn!(insight = %insight.id, error = %e, "prd_writer call failed");
            "the LLM call failed (details are in the server log)".to_owned()
        }
    };
    tracing::warn!(insight = %insight.id, reason = %reason, "PRD written from the template");
    Prd::template(template, Some(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_must_keep_every_section() {
        let full = format!(
            "```markdown\n# T\n\n{}\n```",
            SECTIONS
                .iter()
                .map(|s| format!("## {s}\n\ntext\n"))
                .collect::<String>()
        );
        assert!(validate_reply(&full).unwrap().starts_with("# T"));
        let partial = "# T\n\n## Problem & Goal\n\nx\n## Who\n";
        let err = validate_reply(partial).unwrap_err();
        assert!(
            err.contains("Voice of Customer") && err.contains("Open questions"),
            "{err}"
        );
    }
}
