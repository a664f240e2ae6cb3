//! Offline titles and quotes: the sentence that best represents a theme, taken from the
//! members nearest its centroid and scored by the theme's strongest keywords, so a title
//! reads like something a customer said ("Dashboards take 30 seconds to load") rather
//! than a keyword list.

use std::collections::HashSet;

use uuid::Uuid;

use super::*;

/// Longest title shown on the board.
pub(super) const MAX_TITLE_CHARS: usize = 60;
/// Longest quote inside a description.
const MAX_QUOTE_CHARS: usize = 220;
/// Members (nearest the centroid first) whose sentences are considered.
const MEMBERS_CONSIDERED: usize = 12;

/// A sentence of one member, with how well it represents the theme.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub(super) sentence: String,
    pub(super) member: Uuid,
    pub(super) account: Option<String>,
    score: f64,
}

/// Names that must not appear in a title or quote: customers, accounts and speakers.
pub(super) fn names_to_avoid<'a>(
    customers: impl Iterator<Item = &'a str>,
    items: &'a [Item],
) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in customers.chain(items.iter().filter_map(|i| i.account.as_deref())) {
        let name = name.to_lowercase();
        // "Globex" must not slip through because the customer is "Globex Corporation".
        names.extend(
            name.split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() >= 3 && !COMPANY_WORDS.contains(w))
                .map(str::to_owned),
        );
        names.push(name);
    }
    for speaker in items.iter().filter_map(|i| i.speaker.as_deref()) {
        let speaker = speaker.to_lowercase();
        if speaker == "unknown" {
            continue;
        }
        names.extend(speaker.split_whitespace().map(str::to_owned));
        names.push(speaker);
    }
    names.retain(|n| n.chars().count() >= 3);
    names.sort();
    names.dedup();
    names
}

/// The theme's sentences, best first. Sentences naming a customer or a person, carrying a
/// redaction placeholder, or sharing no keyword with the theme are left out.
pub(super) fn candidates(d: &ThemeDraft, items: &[Item], avoid: &[String]) -> Vec<Candidate> {
    let keywords: Vec<&str> = d.keywords.iter().map(String::as_str).take(5).collect();
    let mut out = Vec::new();
    for (rank, (i, _)) in d.members.iter().take(MEMBERS_CONSIDERED).enumerate() {
        let item = &items[*i];
        for sentence in sentences(&item.text) {
            let lower = sentence.to_lowercase();
            if sentence.contains('[') || avoid.iter().any(|n| contains_word(&lower, n)) {
                continue;
            }
            let hits: f64 = keywords
                .iter()
                .enumerate()
                .filter(|(_, k)| contains_word(&lower, k))
                .map(|(r, _)| (keywords.len() - r) as f64)
                .sum();
            if hits == 0.0 {
                continue;
            }
            let len = sentence.chars().count();
            let length_fit = if (20..=140).contains(&len) { 1.0 } else { 0.4 };
            let nearness = 1.0 - rank as f64 / MEMBERS_CONSIDERED as f64;
            out.push(Candidate {
                score: hits * length_fit + nearness,
                sentence,
                member: item.id,
                account: item
                    .customer_id
                    .map(|c| c.to_string())
                    .or_else(|| item.account.clone()),
            });
        }
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.member.cmp(&b.member)));
    out
}

/// Picks each theme's title from its candidates, best-scored themes first, so no two
/// themes share a title. A theme without candidates keeps its keyword label.
pub(super) fn unique_titles(per_theme: &[Vec<Candidate>], labels: &[String]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    per_theme
        .iter()
        .zip(labels)
        .map(|(cands, label)| {
            let pick = cands
                .iter()
                .map(|c| headline(&c.sentence))
                .find(|t| !taken.contains(&t.to_lowercase()))
                .unwrap_or_else(|| label.clone());
            let mut title = pick;
            if taken.contains(&title.to_lowercase()) {
                title = format!("{title} ({})", taken.len() + 1);
            }
            taken.insert(title.to_lowercase());
            title
        })
        .collect()
}

/// A sentence shortened to a board title: leading fillers dropped, cut at a word boundary
/// within `MAX_TITLE_CHARS`, no dangling joiners or final punctuation, capitalised.
pub(super) fn headline(sentence: &str) -> String {
    let mut words: Vec<&str> = sentence.split_whitespace().collect();
    while words
        .first()
        .is_some_and(|w| FILLERS.contains(&w.trim_end_matches(',').to_lowercase().as_str()))
    {
        words.remove(0);
    }
    let mut title = String::new();
    for w in &words {
        let next = if title.is_empty() {
            w.to_string()
        } else {
            format!("{title} {w}")
        };
        if next.chars().count() > MAX_TITLE_CHARS {
            break;
        }
        title = next;
    }
    let mut kept: Vec<&str> = title.split(' ').collect();
    while kept.len() > 2
        && kept.last().is_some_and(|w| {
            JOINERS.contains(
                &w.trim_matches(|c: char| !c.is_alphanumeric())
                    .to_lowercase()
                    .as_str(),
            )
        })
    {
        kept.pop();
    }
    let title = kept
        .join(" ")
        .trim_end_matches(|c: char| !c.is_alphanumeric() && c != ')')
        .to_owned();
    capitalise(&title)
}

/// A sentence as a quote inside a description, cut at a word boundary when long.
pub(super) fn quote(sentence: &str) -> String {
    if sentence.chars().count() <= MAX_QUOTE_CHARS {
        return sentence.to_owned();
    }
    let mut out = String::new();
    for w in sentence.split_whitespace() {
        if out.chars().count() + w.chars().count() + 1 > MAX_QUOTE_CHARS - 1 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    format!("{out}…")
}

/// Parts of company names that say nothing about which company it is.
const COMPANY_WORDS: &[&str] = &[
    "inc",
    "corp",
    "corporation",
    "ltd",
    "llc",
    "gmbh",
    "company",
    "group",
    "holdings",
    "the",
    "and",
    "labs",
    "systems",
    "technologies",
    "solutions",
    "international",
    "global",
];

const FILLERS: &[&str] = &[
    "also",
    "and",
    "but",
    "so",
    "honestly",
    "basically",
    "well",
    "plus",
    "again",
    "ok",
    "okay",
    "yeah",
    "hi",
    "hey",
    "fyi",
    "btw",
    "anyway",
];

const JOINERS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "so", "to", "of", "for", "with", "in", "on", "at", "by",
    "from", "that", "which", "when", "because", "as", "if", "than", "then", "our", "their", "is",
    "are", "was", "were", "be", "it", "this", "we", "they", "i", "you", "mostly", "very", "just",
    "really", "still", "again", "also", "even",
];

/// Sentences of a feedback text, with list markers, quote marks and emphasis removed.
fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line
            .trim()
            .trim_start_matches(['#', '>', '-', '*', '•'])
            .replace("**", "")
            .replace('`', "");
        let mut current = String::new();
        let chars: Vec<char> = line.chars().collect();
        for (i, c) in chars.iter().enumerate() {
            current.push(*c);
            let end =
                matches!(c, '.' | '!' | '?') && chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            if end {
                push_sentence(&mut out, &current);
                current.clear();
            }
        }
        push_sentence(&mut out, &current);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, raw: &str) {
    let s = raw
        .trim()
        .trim_matches(|c: char| c == '"' || c == '“' || c == '”')
        .trim();
    if s.split_whitespace().count() >= 3 {
        out.push(s.to_owned());
    }
}

/// Whole-word (or whole-phrase) containment in lower-case text.
fn contains_word(lower: &str, phrase: &str) -> bool {
    let mut from = 0;
    while let Some(pos) = lower[from..].find(phrase) {
        let start = from + pos;
        let end = start + phrase.len();
        let before = lower[..start].chars().next_back();
        let after = lower[end..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
        if boundary(before) && boundary(after) {
            return true;
        }
        from = start + phrase.len().max(1);
        if from >= lower.len() {
            break;
        }
    }
    false
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headlines_are_short_whole_word_phrases() {
        assert_eq!(
            headline(
                "Honestly, dashboards take 30 seconds to load every single morning for our whole team."
            ),
            "Dashboards take 30 seconds to load every single morning"
        );
        let long = headline(
            "The export of shipment reports times out whenever it covers more than a few weeks of data",
        );
        assert!(long.chars().count() <= MAX_TITLE_CHARS, "{long}");
        assert!(!long.ends_with(" of") && !long.ends_with(" a"), "{long}");
        assert_eq!(
            headline("SAML login is required."),
            "SAML login is required"
        );
    }

    #[test]
    fn sentences_drop_markdown_and_fragments() {
        let s = sentences(
            "## Exports\n- **Exports** break on real data. Ok.\n> Charts spin for twenty seconds!",
        );
        assert_eq!(
            s,
            vec![
                "Exports break on real data.",
                "Charts spin for twenty seconds!"
            ]
        );
    }

    #[test]
    fn words_match_whole() {
        assert!(contains_word("we need saml sso now", "saml sso"));
        assert!(!contains_word("samlsso", "saml"));
        assert!(!contains_word("acmecorp rocks", "acme"));
    }
}
