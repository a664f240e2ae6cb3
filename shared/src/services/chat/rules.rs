//! Answers without a model: the original's intents, first match wins, over the board's top
//! insights, each listed insight cited as a passage.

use super::{Answer, Question, citations::resolve, retrieval::Context};
use crate::services::themes::board::InsightView;

fn acv_k(i: &InsightView) -> String {
    format!("${:.0}k ACV", i.total_acv / 1000.0)
}

fn quick_win(i: &InsightView) -> bool {
    matches!(i.card.severity.as_str(), "high" | "critical") && i.card.effort == "low"
}

fn has(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

fn lines(
    context: &mut Context,
    picked: &[InsightView],
    line: impl Fn(&InsightView) -> String,
) -> String {
    picked
        .iter()
        .map(|i| format!("{} [{}]", line(i), context.cite_insight(i)))
        .collect::<Vec<_>>()
        .join("\n")
}

fn compose(context: &mut Context, q: &Question<'_>) -> String {
    let message = q.message.to_lowercase();
    let top: Vec<InsightView> = context.insights.clone();
    if has(&message, &["quick win", "low effort"]) {
        let wins: Vec<InsightView> = top
            .iter()
            .filter(|i| quick_win(i))
            .take(3)
            .cloned()
            .collect();
        if wins.is_empty() {
            return "No quick wins right now: no high-severity insight is low effort. Look at medium-effort items with \
                    high severity next."
                .into();
        }
        let body = lines(context, &wins, |i| {
            format!(
                "• {} [{} severity, LOW effort, P{}]",
                i.card.title,
                i.card.severity.to_uppercase(),
                i.card.priority_score
            )
        });
        return format!(
            "{} quick win{} (high impact, low effort):\n{body}",
            wins.len(),
            if wins.len() == 1 { "" } else { "s" }
        );
    }
    if has(&message, &["quarter", "focus"]) {
        let picked: Vec<InsightView> = top.iter().take(3).cloned().collect();
        if picked.is_empty() {
            return "There are no insights yet: upload feedback and run clustering first.".into();
        }
        let body = picked
            .iter()
            .enumerate()
            .map(|(n, i)| {
                let figures = i
                    .metrics
                    .as_ref()
                    .map(|m| format!(" ({} mentions in 30 days, {})", m.freq_30d, acv_k(i)))
                    .unwrap_or_default();
                format!(
                    "{}. {} [P{}]{figures} [{}]",
                    n + 1,
                    i.card.title,
                    i.card.priority_score,
                    context.cite_insight(i)
                )
            })
            .collect::<Vec<_>>()
            .join("\n");
        return format!("Focus this quarter on the highest-priority insights:\n{body}");
    }
    if has(&message, &["complaint", "pain"]) {
        let picked: Vec<InsightView> = top
            .iter()
            .take(5)
            .filter(|i| matches!(i.card.severity.as_str(), "high" | "critical"))
            .cloned()
            .collect();
        if !picked.is_empty() {
            let body = lines(context, &picked, |i| {
                format!(
                    "• {} [{}, {} reports]",
                    i.card.title,
                    i.card.severity.to_uppercase(),
                    i.feedback_count
                )
            });
            return format!("The biggest customer pain points:\n{body}");
        }
    }
    if has(&message, &["enterprise", "blocker"]) {
        let picked: Vec<InsightView> = top
            .iter()
            .filter(|i| {
                let t = i.card.title.to_lowercase();
                has(&t, &["enterprise", "sso", "saml"])
                    || i.card.severity == "critical"
                    || i.customers.iter().any(|c| c.segment == "ENT") && i.card.severity == "high"
            })
            .take(3)
            .cloned()
            .collect();
        if !picked.is_empty() {
            let body = lines(context, &picked, |i| {
                let ent = i.customers.iter().filter(|c| c.segment == "ENT").count();
                format!(
                    "• {} [P{}, {ent} enterprise accounts, {}]",
                    i.card.title,
                    i.card.priority_score,
                    acv_k(i)
                )
            });
            return format!("Enterprise blockers:\n{body}");
        }
    }
    if let Some(s) = context.selected.clone()
        && has(&message, &["this", "selected"])
    {
        let accounts: Vec<&str> = s
            .customers
            .iter()
            .take(3)
            .map(|c| c.name.as_str())
            .collect();
        let n = context.cite_insight(&s);
        return format!(
            "\"{}\" is {} severity and {} effort, priority {}/100, raised by {} [{n}].",
            s.card.title,
            s.card.severity,
            s.card.effort,
            s.card.priority_score,
            if accounts.is_empty() {
                "no named accounts".to_owned()
            } else {
                accounts.join(", ")
            }
        );
    }
    let picked: Vec<InsightView> = top.iter().take(3).cloned().collect();
    let mut answer = format!(
        "I analysed {} insights from your customer feedback.",
        context.insights.len()
    );
    if !picked.is_empty() {
        answer.push_str(" The highest priority:\n");
        answer.push_str(&lines(context, &picked, |i| {
            format!(
                "• {} [P{}, {} customers, {}]",
                i.card.title,
                i.card.priority_score,
                i.customers.len(),
                acv_k(i)
            )
        }));
    }
    answer.push_str(
        "\nAsk me about quick wins, what to focus on this quarter, the top complaints, enterprise blockers, or the \
         selected insight.",
    );
    answer
}

pub fn answer(context: &Context, q: &Question<'_>) -> Answer {
    let mut context = Context {
        insights: context.insights.clone(),
        selected: context.selected.clone(),
        passages: context.passages.clone(),
    };
    let text = compose(&mut context, q);
    let (text, inline_citations, citations) = resolve(&text, &context.passages);
    Answer {
        text,
        citations,
        inline_citations,
        generated_by: "fallback",
        model: None,
        tokens_used: 0,
        fallback_reason: None,
        stop_reason: None,
    }
}
