//! Offline titles and quotes: the sentence that best represents a theme, taken from the
//! members nearest its centroid and scored by the theme's strongest keywords, so a title
//! reads like something a customer said ("Dashboards take 30 seconds to load") rather
//! than a keyword list.

use std::collections::HashSet;

use super::{draft::ThemeDraft, load::Item};
use uuid::Uuid;

/// Longest title shown on the board when a sentence must be shortened.
pub(super) const MAX_TITLE_CHARS: usize = 60;
/// Longest title at all: a whole clause a little past `MAX_TITLE_CHARS` beats a cut one.
const HARD_MAX_TITLE_CHARS: usize = 90;
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

/// The theme's sentences, best first. A sentence naming a customer or a person loses a
/// leading "<Name> note:" and is left out when a name remains; sentences with a redaction
/// placeholder are left out. Sentences sharing no keyword with the theme come last, so a
/// theme whose keywords are phrases its members split ("change pin" in "change my PIN")
/// still gets a member's words, never a keyword list.
pub(super) fn candidates(d: &ThemeDraft, items: &[Item], avoid: &[String]) -> Vec<Candidate> {
    let keywords: Vec<&str> = d.keywords.iter().map(String::as_str).take(5).collect();
    let mut out = Vec::new();
    for (rank, (i, _)) in d.members.iter().take(MEMBERS_CONSIDERED).enumerate() {
        let item = &items[*i];
        for sentence in sentences(&item.text) {
            if sentence.contains('[') {
                continue;
            }
            let Some(sentence) = without_names(&sentence, avoid) else {
                continue;
            };
            let lower = sentence.to_lowercase();
            let hits: f64 = keywords
                .iter()
                .enumerate()
                .map(|(r, k)| (keywords.len() - r) as f64 * keyword_presence(&lower, k))
                .sum();
            let len = sentence.chars().count();
            let length_fit = if (20..=MAX_TITLE_CHARS).contains(&len) {
                1.0
            } else if (20..=140).contains(&len) {
                0.7
            } else {
                0.4
            };
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

/// 1 when the keyword stands in the sentence as written, 0.7 when all its words do but
/// apart ("change pin" in "change my pin"), else 0.
fn keyword_presence(lower: &str, keyword: &str) -> f64 {
    if contains_word(lower, keyword) {
        1.0
    } else if keyword.contains(' ') && keyword.split(' ').all(|w| contains_word(lower, w)) {
        0.7
    } else {
        0.0
    }
}

/// Words that join a leading name to what was said: "Zephyr Dynamics note: ...".
const REPORTING: &[&str] = &[
    "note",
    "notes",
    "noted",
    "says",
    "said",
    "reports",
    "reported",
    "mentions",
    "mentioned",
    "asks",
    "asked",
    "writes",
    "wrote",
    "team",
    "here",
    "feedback",
];

/// The sentence without the names it must not show: a leading "<Name> [note|says...]:"
/// is removed; a name anywhere else leaves None.
fn without_names(sentence: &str, avoid: &[String]) -> Option<String> {
    let lower = sentence.to_lowercase();
    if !avoid.iter().any(|n| contains_word(&lower, n)) {
        return Some(sentence.to_owned());
    }
    let words: Vec<&str> = sentence.split_whitespace().collect();
    // The leading run of name words, then reporting words, up to a colon or comma.
    let mut cut = 0;
    let mut named = false;
    let mut closed = false;
    for w in &words {
        let bare = w
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        let bare = bare.trim_end_matches("'s");
        let is_name = avoid
            .iter()
            .any(|n| n.split_whitespace().any(|p| p == bare))
            || (named && COMPANY_WORDS.contains(&bare));
        if is_name || (named && REPORTING.contains(&bare)) {
            named |= is_name;
            cut += 1;
        } else {
            break;
        }
        if w.ends_with(':') {
            closed = true;
            break;
        }
    }
    // Only an attribution ("Acme note:", "Acme -") is removed: "Acme asked for a dark
    // mode" without its subject is no sentence.
    let dash = words
        .get(cut)
        .is_some_and(|w| matches!(*w, ":" | "-" | "–" | "—"));
    if !named || !(closed || dash) {
        return None;
    }
    let rest = words[cut..]
        .iter()
        .copied()
        .skip_while(|w| matches!(*w, ":" | "-" | "–" | "—"))
        .collect::<Vec<_>>()
        .join(" ");
    let rest_lower = rest.to_lowercase();
    (rest.split_whitespace().count() >= 3 && !avoid.iter().any(|n| contains_word(&rest_lower, n)))
        .then(|| capitalise(&rest))
}

/// Picks each theme's title from its candidates, best-scored themes first, so no two
/// themes share a title: the first candidate whose headline fits, else the first whose
/// opening clause does. A theme without a usable sentence keeps its keyword label.
pub(super) fn unique_titles(per_theme: &[Vec<Candidate>], labels: &[String]) -> Vec<String> {
    let mut taken: HashSet<String> = HashSet::new();
    per_theme
        .iter()
        .zip(labels)
        .map(|(cands, label)| {
            let free = |t: &String| !taken.contains(&t.to_lowercase());
            let pick = cands
                .iter()
                .filter_map(|c| headline(&c.sentence))
                .find(free)
                .or_else(|| {
                    cands
                        .iter()
                        .filter_map(|c| opening_clause(&c.sentence))
                        .find(free)
                })
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

/// Words that open a new clause: a title may end just before one.
const CLAUSE_STARTERS: &[&str] = &[
    "and", "but", "because", "so", "which", "when", "while", "since", "although", "though", "or",
    "as", "until", "after", "before", "whereas", "unless", "if", "yet", "whenever", "wherever",
    "where", "then",
];

/// The sentence as a board title: leading fillers dropped, final punctuation removed,
/// capitalised; whole when it fits `MAX_TITLE_CHARS`, else cut at the last clause boundary
/// (a comma, semicolon, colon or dash, or before "and", "because", "when"...) that fits,
/// never mid-clause. None when no boundary makes it fit.
pub(super) fn headline(sentence: &str) -> Option<String> {
    let words = title_words(sentence);
    let whole = finish(&words.join(" "));
    if whole.chars().count() <= MAX_TITLE_CHARS {
        return (!whole.is_empty()).then_some(whole);
    }
    clause_cuts(&words)
        .into_iter()
        .rev()
        .map(|n| finish(&words[..n].join(" ")))
        .find(|t| t.chars().count() <= MAX_TITLE_CHARS)
}

/// The sentence's first clause (or all of it), when that stays within the hard maximum.
fn opening_clause(sentence: &str) -> Option<String> {
    let words = title_words(sentence);
    let first = clause_cuts(&words)
        .into_iter()
        .next()
        .unwrap_or(words.len());
    let title = finish(&words[..first].join(" "));
    (!title.is_empty() && title.chars().count() <= HARD_MAX_TITLE_CHARS).then_some(title)
}

fn title_words(sentence: &str) -> Vec<&str> {
    let mut words: Vec<&str> = sentence.split_whitespace().collect();
    while words
        .first()
        .is_some_and(|w| FILLERS.contains(&w.trim_end_matches(',').to_lowercase().as_str()))
    {
        words.remove(0);
    }
    words
}

/// Word counts after which a clause ends (at least three words in).
fn clause_cuts(words: &[&str]) -> Vec<usize> {
    (3..words.len())
        .filter(|&n| {
            let next = words[n]
                .trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase();
            words[n - 1].ends_with([',', ';', ':'])
                || matches!(words[n], "-" | "–" | "—")
                || CLAUSE_STARTERS.contains(&next.as_str())
        })
        .collect()
}

/// Trailing punctuation removed (a closing parenthesis kept), first letter capitalised.
fn finish(title: &str) -> String {
    capitalise(title.trim_end_matches(|c: char| !c.is_alphanumeric() && c != ')'))
}

/// Whether `title` was cut from `sentence` in the middle of a clause: the words after it
/// in the sentence neither end the sentence nor open a new clause.
pub fn cut_mid_clause(title: &str, sentence: &str) -> bool {
    let bare = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let t: Vec<String> = title
        .split_whitespace()
        .map(bare)
        .filter(|w| !w.is_empty())
        .collect();
    let raw: Vec<&str> = sentence.split_whitespace().collect();
    let s: Vec<String> = raw.iter().map(|w| bare(w)).collect();
    if t.is_empty() || t.len() > s.len() {
        return false;
    }
    (0..=(s.len() - t.len()))
        .find(|&start| s[start..start + t.len()] == t[..])
        .is_some_and(|start| {
            let end = start + t.len();
            match s.get(end) {
                None => false,
                Some(next) => {
                    !(raw[end - 1].ends_with([',', ';', ':', '.', '!', '?'])
                        || matches!(raw[end], "-" | "–" | "—")
                        || CLAUSE_STARTERS.contains(&next.as_str()))
                }
            }
        })
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
mod tests;
