//! Improving labels and insights with the configured language model, validated.

use std::collections::HashSet;

use super::{
    draft::{InsightText, ThemeDraft},
    load::Item,
};
use serde_json::json;
use uuid::Uuid;

/// Asks the theme labeller and the insight writer (when configured) to improve a theme's
/// label and insight. Replies are validated; anything off keeps the fallback. True when the
/// insight text came from the model.
pub(super) async fn improve_with_llm(
    services: &crate::ai::AiServices,
    run: &crate::ai::runs::RunContext,
    d: &mut ThemeDraft,
    items: &[Item],
    text: &mut InsightText,
) -> bool {
    use crate::ai::chat;
    let ai = &services.config;
    let samples: Vec<&Item> = d.members.iter().take(8).map(|(i, _)| &items[*i]).collect();
    let excerpts = samples
        .iter()
        .map(|i| format!("- {}", i.text))
        .collect::<Vec<_>>()
        .join("\n");
    if chat::configured(ai, "theme_labeller").is_some() {
        match chat::complete(
            services,
            run,
            "theme_labeller",
            &format!("Keywords: {}\nExcerpts:\n{excerpts}", d.keywords.join(", ")),
        )
        .await
        {
            Ok(reply) => {
                let label = reply
                    .trim()
                    .trim_matches(|c| c == '"' || c == '.')
                    .trim()
                    .to_owned();
                if !label.is_empty() && label.chars().count() <= 80 && !label.contains('\n') {
                    if text.generated_by == "fallback" {
                        text.title = label.clone();
                    }
                    d.label = label;
                } else {
                    tracing::warn!(theme = %d.id, "theme labeller reply rejected; keeping keyword label");
                }
            }
            Err(e) => {
                tracing::warn!(theme = %d.id, error = %e, "theme labeller failed; keeping keyword label")
            }
        }
    }
    if chat::configured(ai, "insight_writer").is_none() {
        return false;
    }
    let context = json!({
        "theme": d.label,
        "keywords": d.keywords,
        "feedback": samples.iter().map(|i| json!({"id": i.id, "text": i.text, "account": i.account})).collect::<Vec<_>>(),
        "accounts_30d": d.evidence.freq_30d,
        "acv_sum": d.evidence.acv_sum,
    });
    let reply = match chat::complete(services, run, "insight_writer", &context.to_string()).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(theme = %d.id, error = %e, "insight writer failed; using the fallback");
            return false;
        }
    };
    let allowed: HashSet<Uuid> = samples.iter().map(|i| i.id).collect();
    match validate_insight(&reply, &allowed) {
        Some(llm) => {
            *text = llm;
            true
        }
        None => {
            tracing::warn!(theme = %d.id, "insight writer reply failed validation; using the fallback");
            false
        }
    }
}

/// Accepts a model reply only when every field is present and within its vocabulary, and
/// every key quote is one of the feedback ids the model was shown.
pub(super) fn validate_insight(reply: &str, allowed: &HashSet<Uuid>) -> Option<InsightText> {
    let v = crate::ai::chat::extract_json(reply)?;
    let field = |k: &str| {
        v[k].as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty() && s.len() <= 2000)
            .map(str::to_owned)
    };
    let severity = field("severity")
        .filter(|s| ["low", "medium", "high", "critical"].contains(&s.as_str()))?;
    let effort = field("effort").filter(|s| ["low", "medium", "high"].contains(&s.as_str()))?;
    let ids: Vec<Uuid> = v["key_quote_ids"]
        .as_array()?
        .iter()
        .map(|x| x.as_str().and_then(|s| s.parse().ok()))
        .collect::<Option<_>>()?;
    if ids.is_empty() || ids.iter().any(|id| !allowed.contains(id)) {
        return None;
    }
    Some(InsightText {
        title: field("title")?,
        description: field("description")?,
        impact: field("impact")?,
        recommendation: field("recommendation")?,
        severity,
        effort,
        key_quote_ids: ids,
        generated_by: "llm",
    })
}
