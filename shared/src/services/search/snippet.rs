//! Highlighted snippets, built in Rust for the rows a search returns. PostgreSQL's
//! `ts_headline` parsed and stemmed every returned document inside the database, a sixth of
//! a search's database time; here the query's lexemes (as PostgreSQL stemmed them) are
//! matched against the Porter2 stems of the text's words, the same stemmer as PostgreSQL's
//! `english` configuration.

use std::collections::HashSet;

use rust_stemmers::{Algorithm, Stemmer};

/// Words in a snippet at most.
const MAX_WORDS: usize = 30;
/// Words shown before the first match, for context.
const LEAD_WORDS: usize = 5;

/// The lexemes of a tsquery's text form (`'card' & 'declin'`, `'export' <-> 'time'`),
/// leaving out negated ones (`!'refund'`), which a matching text does not contain.
pub fn lexemes(tsquery: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut chars = tsquery.chars().peekable();
    let mut negated = false;
    while let Some(c) = chars.next() {
        match c {
            '!' => negated = true,
            '\'' => {
                let mut lexeme = String::new();
                while let Some(c) = chars.next() {
                    if c == '\'' {
                        // A doubled quote is a quote inside the lexeme.
                        if chars.peek() == Some(&'\'') {
                            chars.next();
                            lexeme.push('\'');
                            continue;
                        }
                        break;
                    }
                    lexeme.push(c);
                }
                if !negated {
                    out.insert(lexeme);
                }
                negated = false;
            }
            c if c.is_whitespace() || c == '(' => {}
            _ => negated = false,
        }
    }
    out
}

/// Up to `MAX_WORDS` words of `text` around its first match, every matching word in
/// **bold**; the text's start when no word matches.
pub fn highlight(text: &str, lexemes: &HashSet<String>) -> String {
    let stemmer = Stemmer::create(Algorithm::English);
    let words: Vec<(usize, usize)> = word_spans(text);
    let matches: Vec<bool> = words
        .iter()
        .map(|&(s, e)| {
            let word = text[s..e].to_lowercase();
            lexemes.contains(word.as_str()) || lexemes.contains(stemmer.stem(&word).as_ref())
        })
        .collect();
    let Some(&(first_start, _)) = words.first() else {
        return String::new();
    };
    let first_match = matches.iter().position(|&m| m).unwrap_or(0);
    let from = first_match
        .saturating_sub(LEAD_WORDS)
        .min(words.len().saturating_sub(MAX_WORDS));
    let to = (from + MAX_WORDS).min(words.len());
    let mut out = String::with_capacity(text.len().min(400) + 16);
    let mut at = if from == 0 {
        first_start
    } else {
        words[from].0
    };
    for i in from..to {
        let (s, e) = words[i];
        out.push_str(&text[at..s]);
        if matches[i] {
            out.push_str("**");
            out.push_str(&text[s..e]);
            out.push_str("**");
        } else {
            out.push_str(&text[s..e]);
        }
        at = e;
    }
    if to == words.len() {
        // The text's own ending (a full stop, a closing bracket) when the window reaches it.
        out.push_str(text[at..].trim_end());
    }
    out
}

/// Byte ranges of the runs of letters and digits (PostgreSQL's parser also splits on
/// punctuation; an apostrophe or hyphen ends a word there too).
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                spans.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexemes_come_from_the_query_text_without_negated_ones() {
        let l = lexemes("'card' & 'declin' & !'refund' | ( 'o''brien' <-> 'export' )");
        let mut got: Vec<&str> = l.iter().map(String::as_str).collect();
        got.sort_unstable();
        assert_eq!(got, ["card", "declin", "export", "o'brien"]);
    }

    #[test]
    fn stems_match_and_each_word_is_bold() {
        let l = lexemes("'card' & 'declin'");
        assert_eq!(
            highlight("Card declined at checkout with no explanation", &l),
            "**Card** **declined** at checkout with no explanation"
        );
        assert_eq!(
            highlight("My cards keep declining.", &l),
            "My **cards** keep **declining**."
        );
    }

    #[test]
    fn a_long_text_is_cut_around_its_first_match() {
        let mut text: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        text[60] = "exports".into();
        let snippet = highlight(&text.join(" "), &lexemes("'export'"));
        let words: Vec<&str> = snippet.split_whitespace().collect();
        assert_eq!(words.len(), MAX_WORDS);
        assert_eq!(words[0], "w55");
        assert_eq!(words[LEAD_WORDS], "**exports**");
        // Near the end the window still holds MAX_WORDS words.
        text[60] = "w60".into();
        text[98] = "export".into();
        let snippet = highlight(&text.join(" "), &lexemes("'export'"));
        assert_eq!(snippet.split_whitespace().count(), MAX_WORDS);
        assert!(snippet.ends_with("**export** w99"));
    }

    #[test]
    fn no_match_shows_the_start_and_empty_text_stays_empty() {
        let snippet = highlight(
            "Nothing here matches the query at all.",
            &lexemes("'zebra'"),
        );
        assert_eq!(snippet, "Nothing here matches the query at all.");
        assert_eq!(highlight("  ...  ", &lexemes("'zebra'")), "");
        assert_eq!(highlight("", &lexemes("'zebra'")), "");
        assert_eq!(
            highlight("Exportação lenta", &lexemes("'lenta'")),
            "Exportação **lenta**"
        );
    }
}
