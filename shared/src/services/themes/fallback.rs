//! The deterministic insight text, written when no language model is configured.

use std::collections::{HashMap, HashSet};

use uuid::Uuid;

use crate::services::theme_scores::RISING_MOMENTUM;

use super::wording::{has_word, money, plural};
use super::{
    draft::{InsightText, ThemeDraft},
    load::{Customer, Item},
    title,
};
use crate::cluster::labels;

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

/// Offline insight texts for every theme: titles from representative sentences (unique
/// across themes, best-scored themes choosing first), descriptions from distinct quotes,
/// impact and recommendation from the evidence.
pub(super) fn fallback_insights(
    drafts: &[ThemeDraft],
    items: &[Item],
    customers: &HashMap<Uuid, Customer>,
) -> Vec<InsightText> {
    let avoid = title::names_to_avoid(customers.values().map(|c| c.name.as_str()), items);
    let candidates: Vec<Vec<title::Candidate>> = drafts
        .iter()
        .map(|d| title::candidates(d, items, &avoid))
        .collect();
    let order = super::evidence::by_score(drafts);
    let ordered: Vec<Vec<title::Candidate>> =
        order.iter().map(|i| candidates[*i].clone()).collect();
    let labels: Vec<String> = order.iter().map(|i| drafts[*i].label.clone()).collect();
    let board_accounts = items
        .iter()
        .filter_map(|i| {
            i.customer_id
                .map(|c| c.to_string())
                .or_else(|| i.account.clone())
        })
        .collect::<HashSet<_>>()
        .len();
    let mut sizes: Vec<usize> = drafts.iter().map(|d| d.members.len()).collect();
    sizes.sort_unstable();
    let median_items = sizes.get(sizes.len() / 2).copied().unwrap_or(0);
    let mut titles = vec![String::new(); drafts.len()];
    for (title, i) in title::unique_titles(&ordered, &labels)
        .into_iter()
        .zip(&order)
    {
        titles[*i] = title;
    }
    drafts
        .iter()
        .zip(candidates)
        .zip(titles)
        .map(|((d, c), t)| {
            let board = Board {
                median_items,
                accounts: board_accounts,
            };
            fallback_insight(d, items, customers, &c, t, &board)
        })
        .collect()
}

/// What a theme is measured against: the board's median theme size and its accounts.
struct Board {
    median_items: usize,
    accounts: usize,
}

fn fallback_insight(
    d: &ThemeDraft,
    items: &[Item],
    customers: &HashMap<Uuid, Customer>,
    candidates: &[title::Candidate],
    title: String,
    board: &Board,
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
    let segment_of = |seg: &str| {
        distinct
            .iter()
            .filter(|c| customers.get(c).is_some_and(|c| c.segment == seg))
            .count()
    };
    let (ent, mm, smb) = (segment_of("ENT"), segment_of("MM"), segment_of("SMB"));
    let mut by_acv: Vec<&Customer> = distinct.iter().filter_map(|c| customers.get(c)).collect();
    by_acv.sort_by(|a, b| b.acv.total_cmp(&a.acv).then(a.name.cmp(&b.name)));
    let enterprise: Vec<&&Customer> = by_acv.iter().filter(|c| c.segment == "ENT").collect();
    let enterprise_accounts: Vec<&str> = enterprise.iter().map(|c| c.name.as_str()).collect();
    let enterprise_acv: f64 = enterprise.iter().map(|c| c.acv).sum();
    let mut top_accounts: Vec<&str> = by_acv.iter().map(|c| c.name.as_str()).collect();
    if top_accounts.is_empty() {
        let mut names: Vec<&str> = named.iter().map(String::as_str).collect();
        names.sort_unstable();
        top_accounts = names;
    }
    let momentum = crate::services::theme_scores::trend_momentum(&d.evidence.weekly_counts);
    let standing = super::recommend::Standing {
        items: d.members.len(),
        accounts,
        top_accounts,
        enterprise_accounts,
        enterprise_acv,
        acv: d.evidence.acv_sum,
        direction: if momentum > RISING_MOMENTUM {
            1
        } else if momentum < -RISING_MOMENTUM {
            -1
        } else {
            0
        },
        board_median_items: board.median_items,
        board_accounts: board.accounts,
        sentiment: d.evidence.avg_sentiment,
    };
    let recommendation = super::recommend::recommend(
        &topic(d, &title),
        candidates.first().map(|c| c.sentence.as_str()),
        &standing,
    );
    InsightText {
        title,
        description: describe(d, accounts, candidates),
        impact: impact(d, accounts, (ent, mm, smb)),
        recommendation,
        severity: severity.to_owned(),
        effort: effort.to_owned(),
        key_quote_ids: key_quotes(d, items, 3),
        generated_by: "fallback",
    }
}

/// What customers report, in their words: the most representative sentence, and a second
/// one from another account when there is one.
fn describe(d: &ThemeDraft, accounts: usize, candidates: &[title::Candidate]) -> String {
    let who = if accounts > 1 {
        format!("Customers across {accounts} accounts report")
    } else {
        "A customer reports".to_owned()
    };
    let Some(first) = candidates.first() else {
        return format!(
            "{who} the same issue in {}, most often in terms of {}.",
            plural(d.members.len(), "feedback item", "feedback items"),
            d.keywords
                .iter()
                .take(2)
                .cloned()
                .collect::<Vec<_>>()
                .join(" and ")
        );
    };
    let mut text = format!("{who}: \"{}\"", title::quote(&first.sentence));
    let second = candidates.iter().find(|c| {
        c.member != first.member
            && (c.account.is_none() || c.account != first.account)
            && word_overlap(&c.sentence, &first.sentence) < 0.6
    });
    if let Some(second) = second {
        text.push_str(&format!(
            " Another adds: \"{}\"",
            title::quote(&second.sentence)
        ));
    }
    text
}

fn word_overlap(a: &str, b: &str) -> f64 {
    let words = |s: &str| -> HashSet<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(a), words(b));
    let union = a.union(&b).count().max(1);
    a.intersection(&b).count() as f64 / union as f64
}

/// Who is affected and how much it is worth, and where the trend is heading.
fn impact(d: &ThemeDraft, accounts: usize, (ent, mm, smb): (usize, usize, usize)) -> String {
    let e = &d.evidence;
    let segments: Vec<String> = [(ent, "enterprise"), (mm, "mid-market"), (smb, "SMB")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, name)| format!("{n} {name}"))
        .collect();
    let segments = if segments.is_empty() {
        String::new()
    } else {
        format!(" ({})", segments.join(", "))
    };
    let momentum = crate::services::theme_scores::trend_momentum(&e.weekly_counts);
    let trend = if momentum > RISING_MOMENTUM {
        "and rising"
    } else if momentum < -RISING_MOMENTUM {
        "and easing off"
    } else {
        "and steady"
    };
    format!(
        "{}{segments} with {} in annual contract value; {} in the last 30 days {trend}.",
        plural(accounts, "account", "accounts"),
        money(e.acv_sum),
        plural(
            e.freq_30d as usize,
            "account raised it",
            "accounts raised it"
        ),
    )
}

/// The theme's topic in a sentence: the keyword its title uses (the longest), as a label,
/// "CSV export" kept, "Dashboard" lowered.
fn topic(d: &ThemeDraft, title: &str) -> String {
    let lower_title = title.to_lowercase();
    let keyword = d
        .keywords
        .iter()
        .filter(|k| lower_title.contains(k.as_str()))
        .max_by_key(|k| k.len())
        .or(d.keywords.first());
    let topic = keyword
        .map(|k| labels::label_from(std::slice::from_ref(k)))
        .unwrap_or_else(|| d.label.clone());
    let first_word = topic.split(' ').next().unwrap_or_default();
    if first_word.chars().skip(1).any(char::is_uppercase) {
        return topic;
    }
    let mut chars = topic.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}
