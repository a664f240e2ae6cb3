//! `[n]` markers in an answer become citations: each valid marker is kept and recorded with
//! the span of the sentence it closes; markers that point at no passage are removed.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Passage, PassageKind};

/// A passage the answer cites, numbered as in the text.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Citation {
    pub index: usize,
    /// The insight's title, or "<source> · <account>" for feedback.
    pub source_name: String,
    pub kind: PassageKind,
    pub feedback_id: Option<Uuid>,
    pub insight_id: Option<Uuid>,
    /// At most 240 characters of the passage.
    pub snippet: String,
    pub source: Option<String>,
    pub account: Option<String>,
    pub date: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where in the answer a citation applies (character offsets, end exclusive, marker included).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct InlineCitation {
    pub citation_number: usize,
    pub start_index: usize,
    pub end_index: usize,
    pub source_name: String,
    pub feedback_id: Option<Uuid>,
    pub insight_id: Option<Uuid>,
}

fn snippet(text: &str) -> String {
    let t = text.trim();
    if t.chars().count() <= 240 {
        t.to_owned()
    } else {
        format!("{}…", t.chars().take(240).collect::<String>())
    }
}

fn citation(p: &Passage) -> Citation {
    let (feedback_id, insight_id) = match p.kind {
        PassageKind::Feedback => (Some(p.id), None),
        PassageKind::Insight => (None, Some(p.id)),
    };
    Citation {
        index: p.n,
        source_name: p.source_name.clone(),
        kind: p.kind,
        feedback_id,
        insight_id,
        snippet: snippet(&p.text),
        source: p.source.clone(),
        account: p.account.clone(),
        date: p.date,
    }
}

/// The text with invalid markers removed, its inline citations, and the cited passages
/// (each once, in order of their numbers).
pub fn resolve(text: &str, passages: &[Passage]) -> (String, Vec<InlineCitation>, Vec<Citation>) {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(chars.len());
    let mut inline = Vec::new();
    let mut sentence_start = 0usize;
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '[' {
            let digits: String = chars[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_digit())
                .collect();
            let close = i + 1 + digits.len();
            if !digits.is_empty() && chars.get(close) == Some(&']') {
                let n: usize = digits.parse().unwrap_or(0);
                match passages.iter().find(|p| p.n == n) {
                    Some(p) => {
                        let start = out.len();
                        out.extend(&chars[i..=close]);
                        let c = citation(p);
                        inline.push(InlineCitation {
                            citation_number: n,
                            start_index: sentence_start.min(start),
                            end_index: out.len(),
                            source_name: c.source_name,
                            feedback_id: c.feedback_id,
                            insight_id: c.insight_id,
                        });
                    }
                    None => {
                        // Drop the marker and the space before it.
                        if out.last() == Some(&' ') {
                            out.pop();
                        }
                    }
                }
                i = close + 1;
                continue;
            }
        }
        let c = chars[i];
        out.push(c);
        if matches!(c, '.' | '!' | '?' | '\n') {
            // A sentence ends; the next one starts after the following spaces.
            sentence_start = out.len();
            while chars.get(i + 1) == Some(&' ') {
                i += 1;
                out.push(' ');
                sentence_start = out.len();
            }
        }
        i += 1;
    }
    let mut numbers: Vec<usize> = inline.iter().map(|c| c.citation_number).collect();
    numbers.sort_unstable();
    numbers.dedup();
    let cited = numbers
        .iter()
        .filter_map(|n| passages.iter().find(|p| p.n == *n))
        .map(citation)
        .collect();
    (out.into_iter().collect(), inline, cited)
}

/// The part of a reply that is settled: leading whitespace dropped, and held back at the end a
/// `[digits` marker still being written and trailing whitespace (an invalid marker removes
/// the space before it). `resolve` of a settled part is a prefix of `resolve` of the whole.
fn settled(raw: &str) -> &str {
    let text = raw.trim_start();
    let open_marker = text
        .rfind('[')
        .filter(|&i| text[i + 1..].bytes().all(|b| b.is_ascii_digit()));
    open_marker.map_or(text, |i| &text[..i]).trim_end()
}

/// Resolves a reply that arrives in pieces, giving out text as soon as it is settled, so the
/// pieces given out add up to exactly what `resolve` makes of the whole reply.
pub struct StreamingResolver<'a> {
    passages: &'a [Passage],
    raw: String,
    sent: String,
}

impl<'a> StreamingResolver<'a> {
    pub fn new(passages: &'a [Passage]) -> Self {
        Self {
            passages,
            raw: String::new(),
            sent: String::new(),
        }
    }

    /// Adds a piece of the reply; returns the newly settled text (possibly empty).
    pub fn push(&mut self, piece: &str) -> String {
        self.raw.push_str(piece);
        let (text, _, _) = resolve(settled(&self.raw), self.passages);
        self.advance(text)
    }

    fn advance(&mut self, text: String) -> String {
        match text.strip_prefix(self.sent.as_str()) {
            Some(new) if !new.is_empty() => {
                let new = new.to_owned();
                self.sent = text;
                new
            }
            _ => String::new(),
        }
    }

    /// Nothing given out yet.
    pub fn is_empty(&self) -> bool {
        self.sent.is_empty()
    }

    /// Everything the provider sent so far.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// The reply is complete: the last text to give out, and the whole resolved answer.
    pub fn finish(&mut self) -> (String, (String, Vec<InlineCitation>, Vec<Citation>)) {
        let whole = resolve(self.raw.trim(), self.passages);
        let rest = self.advance(whole.0.clone());
        (rest, whole)
    }

    /// The reply stopped early: what was given out, resolved (a marker cut off mid-way is
    /// left out).
    pub fn partial(&self) -> (String, Vec<InlineCitation>, Vec<Citation>) {
        resolve(&self.sent, self.passages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(n: usize) -> Passage {
        Passage {
            n,
            kind: PassageKind::Feedback,
            id: Uuid::from_u128(n as u128),
            source_name: format!("slack · Acme {n}"),
            text: "We need SSO".into(),
            source: Some("slack".into()),
            account: Some("Acme".into()),
            date: None,
        }
    }

    #[test]
    fn valid_markers_are_kept_with_their_sentence_and_invalid_ones_removed() {
        let passages = vec![passage(1), passage(2)];
        let (text, inline, cited) = resolve(
            "SSO blocks renewals [1]. Export is slow [7]. Both matter [2][1].",
            &passages,
        );
        assert_eq!(
            text,
            "SSO blocks renewals [1]. Export is slow. Both matter [2][1]."
        );
        assert_eq!(inline.len(), 3);
        let first: String = text
            .chars()
            .skip(inline[0].start_index)
            .take(inline[0].end_index - inline[0].start_index)
            .collect();
        assert_eq!(first, "SSO blocks renewals [1]");
        let last: String = text
            .chars()
            .skip(inline[1].start_index)
            .take(inline[1].end_index - inline[1].start_index)
            .collect();
        assert_eq!(last, "Both matter [2]");
        assert_eq!(
            cited.iter().map(|c| c.index).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(cited[0].feedback_id, Some(Uuid::from_u128(1)));
    }

    #[test]
    fn streamed_pieces_add_up_to_the_resolved_whole_at_every_split() {
        let passages = vec![passage(1), passage(2), passage(12)];
        let replies = [
            "  SSO blocks renewals [1]. Export is slow [7]. Both matter [2][1].\n",
            "Lists: [12] then [123] then [see below] and [1 ] and [] end [2]",
            "Trailing marker cut [1",
            "Sentence. [9] Next sentence [1].  Done [4]",
            "Unicode — ünïcødé [2] …  [77]",
        ];
        for reply in replies {
            let (whole, _, _) = resolve(reply.trim(), &passages);
            let cuts: Vec<usize> = (0..=reply.len())
                .filter(|&i| reply.is_char_boundary(i))
                .collect();
            // Every way of cutting the reply in two and in three pieces.
            for (a, &i) in cuts.iter().enumerate() {
                for &j in &cuts[a..] {
                    let mut r = StreamingResolver::new(&passages);
                    let mut streamed = r.push(&reply[..i]);
                    streamed.push_str(&r.push(&reply[i..j]));
                    streamed.push_str(&r.push(&reply[j..]));
                    let (rest, (text, _, _)) = r.finish();
                    streamed.push_str(&rest);
                    assert_eq!(streamed, whole, "reply {reply:?} cut at {i} and {j}");
                    assert_eq!(text, whole);
                }
            }
        }
    }

    #[test]
    fn a_partial_reply_keeps_only_what_was_settled() {
        let passages = vec![passage(1)];
        let mut r = StreamingResolver::new(&passages);
        assert_eq!(r.push("SSO blocks renewals [1"), "SSO blocks renewals");
        let (text, inline, cited) = r.partial();
        assert_eq!(text, "SSO blocks renewals");
        assert!(inline.is_empty() && cited.is_empty());
        assert_eq!(r.push("]. Next [5"), " [1]. Next");
        let (text, inline, _) = r.partial();
        assert_eq!(text, "SSO blocks renewals [1]. Next");
        assert_eq!(inline.len(), 1);
    }
}
