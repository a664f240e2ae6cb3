//! Distinctive keywords per cluster: class-based TF-IDF over 1-3-grams, with stop words and
//! the names of customers and speakers removed, so labels describe the problem.

use std::collections::{HashMap, HashSet};

const STOP: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "but",
    "by",
    "can",
    "cannot",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "don",
    "down",
    "during",
    "each",
    "even",
    "every",
    "few",
    "for",
    "from",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "keep",
    "keeps",
    "know",
    "let",
    "like",
    "make",
    "me",
    "more",
    "most",
    "much",
    "my",
    "need",
    "needs",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "over",
    "own",
    "please",
    "really",
    "same",
    "say",
    "says",
    "see",
    "she",
    "should",
    "so",
    "some",
    "still",
    "such",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "want",
    "wants",
    "was",
    "way",
    "we",
    "well",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "why",
    "will",
    "with",
    "would",
    "yes",
    "you",
    "your",
    "without",
    "thanks",
    "thank",
    "think",
    "time",
    "today",
    "week",
    "asked",
    "again",
    "customer",
    "customers",
    "team",
    "teams",
    "email",
    "phone",
    "url",
    "row",
    "ve",
    "re",
    "ll",
    "s",
    "t",
    "d",
    "m",
];

fn words(text: &str, banned: &HashSet<String>) -> Vec<String> {
    // Hyphenated words ("sign-on", "read-only") stay whole.
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|w| w.trim_matches('-'))
        .filter(|w| w.len() > 1 && !w.chars().all(|c| c.is_ascii_digit()))
        .filter(|w| !STOP.contains(w) && !banned.contains(*w))
        .map(str::to_owned)
        .collect()
}

fn grams(words: &[String]) -> Vec<String> {
    let mut out: Vec<String> = words.to_vec();
    for n in 2..=3 {
        out.extend(words.windows(n).map(|w| w.join(" ")));
    }
    out
}

fn overlap(a: &str, b: &str) -> usize {
    let aw: HashSet<&str> = a.split(' ').collect();
    b.split(' ').filter(|w| aw.contains(w)).count()
}

/// Top `top` keywords per cluster. `docs[i]` belongs to cluster `labels[i]` (None: ignored).
/// `banned` holds lower-case name words (customers, speakers) that must not become labels.
pub fn keywords(
    docs: &[&str],
    labels: &[Option<usize>],
    clusters: usize,
    banned: &HashSet<String>,
    top: usize,
) -> Vec<Vec<String>> {
    let mut tf: Vec<HashMap<String, f64>> = vec![HashMap::new(); clusters];
    let mut sizes = vec![0usize; clusters];
    for (doc, label) in docs.iter().zip(labels) {
        let Some(c) = label else { continue };
        sizes[*c] += 1;
        // Each document counts a term once, so one long document cannot dominate a label.
        let unique: HashSet<String> = grams(&words(doc, banned)).into_iter().collect();
        for g in unique {
            *tf[*c].entry(g).or_default() += 1.0;
        }
    }
    let mut df: HashMap<&str, f64> = HashMap::new();
    for class in &tf {
        for (term, count) in class {
            *df.entry(term.as_str()).or_default() += count;
        }
    }
    let avg_size = sizes.iter().sum::<usize>() as f64 / clusters.max(1) as f64;
    tf.iter()
        .enumerate()
        .map(|(c, class)| {
            let mut scored: Vec<(&String, f64)> = class
                .iter()
                .filter(|(term, count)| **count >= 2.0 || sizes[c] < 4 || term.contains(' '))
                .map(|(term, count)| {
                    let share = count / sizes[c].max(1) as f64;
                    let idf = (1.0 + avg_size / df[term.as_str()]).ln();
                    // Phrases that recur are more telling than single words.
                    let phrase_bonus = 1.0 + 0.25 * term.matches(' ').count() as f64;
                    (term, share * idf * phrase_bonus)
                })
                .collect();
            scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
            let mut chosen: Vec<String> = Vec::new();
            for (term, _) in scored {
                // Skip terms contained in, containing, or sharing two words with one already chosen.
                if chosen.iter().any(|c| {
                    c.contains(term.as_str()) || term.contains(c.as_str()) || overlap(c, term) >= 2
                }) {
                    continue;
                }
                chosen.push(term.clone());
                if chosen.len() == top {
                    break;
                }
            }
            chosen
        })
        .collect()
}

/// Abbreviations written in capitals in labels.
const ACRONYMS: &[&str] = &[
    "sso", "saml", "scim", "csv", "api", "ios", "ui", "ux", "pdf", "xlsx", "erp", "crm", "sla",
];

/// Names with their own capitalisation.
const PROPER: &[(&str, &str)] = &[("okta", "Okta"), ("ipad", "iPad"), ("iphone", "iPhone")];

/// The two strongest keywords as a readable label: "Single sign-on, SAML SSO".
pub fn label_from(keywords: &[String]) -> String {
    let words = keywords.iter().take(2).map(|k| {
        k.split(' ')
            .map(|w| {
                if ACRONYMS.contains(&w) {
                    w.to_uppercase()
                } else if let Some((_, proper)) = PROPER.iter().find(|(k, _)| *k == w) {
                    (*proper).to_owned()
                } else {
                    w.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    });
    let mut label = words.collect::<Vec<_>>().join(", ");
    if let Some(first) = label.chars().next() {
        label = first.to_uppercase().collect::<String>() + &label[first.len_utf8()..];
    }
    if label.is_empty() {
        "Miscellaneous feedback".to_owned()
    } else {
        label
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_describe_each_cluster_without_names() {
        let docs = [
            "Acme says the CSV export times out",
            "CSV export times out on big reports",
            "export to CSV timed out again for Acme",
            "We need SAML single sign-on with Okta",
            "SAML single sign-on is a blocker",
            "Okta SSO and SAML single sign-on please",
        ];
        let labels = [Some(0), Some(0), Some(0), Some(1), Some(1), Some(1)];
        let banned: HashSet<String> = ["acme".to_owned()].into_iter().collect();
        let kw = keywords(&docs, &labels, 2, &banned, 3);
        assert!(kw[0].iter().any(|k| k.contains("csv")), "{kw:?}");
        assert!(
            kw[1]
                .iter()
                .any(|k| k.contains("saml") || k.contains("sign")),
            "{kw:?}"
        );
        assert!(kw.iter().flatten().all(|k| !k.contains("acme")));
        assert!(label_from(&kw[0]).chars().next().unwrap().is_uppercase());
    }
}
