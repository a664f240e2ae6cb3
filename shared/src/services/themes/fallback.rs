//! The deterministic insight text, written when no language model is configured.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use super::*;

pub(super) fn has_word(haystack: &str, words: &[&str]) -> bool {
    let tokens: Vec<&str> = haystack.split(|c: char| !c.is_alphanumeric()).collect();
    words.iter().any(|w| {
        if w.contains(' ') {
            haystack.contains(w)
        } else {
            tokens.contains(w)
        }
    })
}

/// Severity and effort when no language model writes the insight (reference 3.4, with
/// whole-word matching).
pub(super) fn fallback_severity_effort(
    label: &str,
    items: usize,
    accounts: usize,
) -> (&'static str, &'static str) {
    let l = label.to_lowercase();
    let severity = if accounts >= 5
        || items >= 10
        || has_word(&l, &["enterprise", "security", "compliance", "sso", "saml"])
    {
        "high"
    } else if accounts >= 3 || items >= 5 {
        "medium"
    } else {
        "low"
    };
    let effort = if has_word(&l, &["mobile", "responsive", "ios", "android", "ipad"]) {
        "high"
    } else if has_word(&l, &["dark mode", "theme", "copy", "label"]) {
        "low"
    } else {
        "medium"
    };
    (severity, effort)
}

pub(super) fn money(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("${:.1}M", v / 1_000_000.0)
    } else if v >= 1_000.0 {
        format!("${:.0}k", v / 1_000.0)
    } else {
        format!("${v:.0}")
    }
}

/// The representative members, spread across customers: nearest the centroid first,
/// preferring accounts not yet quoted.
pub(super) fn key_quotes(d: &ThemeDraft, items: &[Item], n: usize) -> Vec<Uuid> {
    let mut chosen = Vec::new();
    let mut accounts = HashSet::new();
    for pass in 0..2 {
        for (i, _) in &d.members {
            let item = &items[*i];
            let account = item
                .customer_id
                .map(|c| c.to_string())
                .or_else(|| item.account.clone());
            if chosen.contains(&item.id)
                || (pass == 0 && account.as_ref().is_some_and(|a| accounts.contains(a)))
            {
                continue;
            }
            if let Some(a) = account {
                accounts.insert(a);
            }
            chosen.push(item.id);
            if chosen.len() == n {
                return chosen;
            }
        }
    }
    chosen
}

/// The text of an insight, from the language model or the deterministic fallback.
#[derive(Debug, Clone)]
pub(super) struct InsightText {
    pub(super) title: String,
    pub(super) description: String,
    pub(super) impact: String,
    pub(super) recommendation: String,
    pub(super) severity: String,
    pub(super) effort: String,
    pub(super) key_quote_ids: Vec<Uuid>,
    pub(super) generated_by: &'static str,
}

pub(super) fn fallback_insight(
    d: &ThemeDraft,
    items: &[Item],
    customers: &HashMap<Uuid, Customer>,
) -> InsightText {
    let distinct: HashSet<Uuid> = d
        .members
        .iter()
        .filter_map(|(i, _)| items[*i].customer_id)
        .collect();
    let named: HashSet<String> = d
        .members
        .iter()
        .filter_map(|(i, _)| items[*i].account.clone())
        .collect();
    let accounts = distinct.len().max(named.len());
    let (severity, effort) = fallback_severity_effort(&d.label, d.members.len(), accounts);
    let ent = distinct
        .iter()
        .filter(|c| customers.get(c).is_some_and(|c| c.segment == "ENT"))
        .count();
    let top_terms = d
        .keywords
        .iter()
        .take(3)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    InsightText {
        title: d.label.clone(),
        description: format!(
            "{} feedback items from {accounts} account(s) are about {top_terms}.",
            d.members.len()
        ),
        impact: format!(
            "{accounts} account(s) affected, {} in annual contract value; {ent} enterprise account(s); {} in the last 30 days.",
            money(d.evidence.acv_sum),
            d.evidence.freq_30d as i64
        ),
        recommendation: format!(
            "Review the key quotes with the affected accounts and scope a fix for {}.",
            d.label.to_lowercase()
        ),
        severity: severity.to_owned(),
        effort: effort.to_owned(),
        key_quote_ids: key_quotes(d, items, 3),
        generated_by: "fallback",
    }
}
