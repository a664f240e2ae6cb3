//! Plain-text helpers shared by the deterministic insight writer and the recommendations
//! (and competitive rules, Slack posts): whole-word matching, money as PMs read it, and
//! counted nouns.

/// Whether `haystack` (lower-cased) holds any of `words`: whole tokens, or the phrase for
/// words with a space.
pub(crate) fn has_word(haystack: &str, words: &[&str]) -> bool {
    let tokens: Vec<&str> = haystack.split(|c: char| !c.is_alphanumeric()).collect();
    words.iter().any(|w| {
        if w.contains(' ') {
            haystack.contains(w)
        } else {
            tokens.contains(w)
        }
    })
}

/// "$1.2M", "$45k", "$900".
pub(crate) fn money(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("${:.1}M", v / 1_000_000.0)
    } else if v >= 1_000.0 {
        format!("${:.0}k", v / 1_000.0)
    } else {
        format!("${v:.0}")
    }
}

/// `n` with the noun that fits it: "1 account", "3 accounts".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
