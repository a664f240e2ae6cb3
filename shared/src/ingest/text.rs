//! Plain text and Markdown: one item per paragraph, or per line when the file has no blank
//! lines; long paragraphs go through the chunker.

use serde_json::{Map, Value};

use super::{
    chunk::{DEFAULT_MAX_CHARS, DEFAULT_OVERLAP, chunk},
    item::{ParseError, ParsedFile, ParsedItem, decode_text},
};

/// Shorter pieces are headings, signatures or noise rather than feedback.
const MIN_CHARS: usize = 3;

pub fn parse_plain(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let text = decode_text(bytes)?;
    Ok(from_text(text))
}

pub fn from_text(text: &str) -> ParsedFile {
    static BLANK_LINE: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| regex::Regex::new(r"\n[ \t]*\n").expect("pattern compiles"));
    let text = text.replace("\r\n", "\n");
    let trimmed = text.trim();
    let pieces: Vec<&str> = if BLANK_LINE.is_match(trimmed) {
        BLANK_LINE.split(trimmed).collect()
    } else {
        trimmed.lines().collect()
    };
    let mut out = ParsedFile::default();
    for (i, piece) in pieces.iter().enumerate() {
        let piece = piece.split_whitespace().collect::<Vec<_>>().join(" ");
        if piece.chars().count() < MIN_CHARS {
            if !piece.is_empty() {
                out.skipped += 1;
            }
            continue;
        }
        for c in chunk(&piece, DEFAULT_MAX_CHARS, DEFAULT_OVERLAP) {
            let key = if c.index == 0 {
                format!("p{i}")
            } else {
                format!("p{i}-{}", c.index)
            };
            out.items.push(ParsedItem {
                text: c.text,
                key,
                ..Default::default()
            });
        }
    }
    out
}

/// Markdown: split by headings into sections, then chunked; each item knows its heading.
pub fn parse_markdown(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let text = decode_text(bytes)?;
    let title = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| l.strip_prefix("# "))
        .map(|t| t.trim().to_owned());
    let mut out = ParsedFile {
        title,
        ..Default::default()
    };
    for c in chunk(text, DEFAULT_MAX_CHARS, DEFAULT_OVERLAP) {
        let mut meta = Map::new();
        if let Some(h) = &c.heading {
            meta.insert("heading".into(), Value::from(h.clone()));
        }
        if let Some(level) = c.header_level {
            meta.insert("header_level".into(), Value::from(level));
        }
        out.items.push(ParsedItem {
            text: c.text,
            key: format!("c{}", c.index),
            meta,
            ..Default::default()
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_or_lines() {
        let p = parse_plain(b"First piece of feedback here.\n\nSecond one, longer.\n").unwrap();
        assert_eq!(p.items.len(), 2);
        let lines =
            parse_plain(b"one feedback per line\nanother line of feedback\nthird line\n").unwrap();
        assert_eq!(
            lines.items.len(),
            3,
            "a file without blank lines is one item per line"
        );
        assert_eq!(lines.items[1].key, "p1");
    }

    #[test]
    fn markdown_keeps_headings() {
        let md = b"# Customer interviews\n\nIntro.\n\n## Exports\nThey time out.\n\n## Search\nMisses results.\n";
        let p = parse_markdown(md).unwrap();
        assert_eq!(p.title.as_deref(), Some("Customer interviews"));
        assert_eq!(p.items.len(), 3);
        assert_eq!(p.items[1].meta["heading"], "Exports");
    }
}
