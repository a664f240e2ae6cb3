//! Turning files into feedback items: format detection, parsers (pure functions), the
//! chunker, PII redaction and sentiment.

pub mod chunk;
pub mod csv;
pub mod docx;
pub mod format;
pub mod item;
pub mod pdf;
pub mod pii;
pub mod sandbox;
pub mod sentiment;
pub mod text;
pub mod transcript;

use serde_json::{Map, Value};

pub use format::{FileKind, detect};
pub use item::{ParseError, ParsedFile, ParsedItem};

/// Bounds on what one file may turn into, and the job's cancel flag: a parse abandoned by
/// a timed-out job stops instead of competing with its retry.
#[derive(Debug, Clone)]
pub struct ParseLimits {
    pub max_items: usize,
    pub max_pdf_inflated_bytes: usize,
    pub cancel: crate::jobs::CancelFlag,
}

impl ParseLimits {
    pub fn from_settings(
        settings: &crate::config::IngestSettings,
        cancel: crate::jobs::CancelFlag,
    ) -> Self {
        Self {
            max_items: settings.max_items_per_file,
            max_pdf_inflated_bytes: settings.max_pdf_inflated_bytes,
            cancel,
        }
    }
}

pub(crate) fn too_many_items(max: usize) -> ParseError {
    ParseError::new(format!(
        "the file holds more than {max} feedback items, the limit per file (ingest.max_items_per_file); split it into smaller files"
    ))
}

/// Parses a file that needs no external service (everything but audio), then applies what
/// every format shares: the item limit, no NUL characters, long texts split into chunks.
pub fn parse_file(
    kind: FileKind,
    bytes: &[u8],
    limits: &ParseLimits,
) -> Result<ParsedFile, ParseError> {
    let parsed = match kind {
        FileKind::Csv => csv::parse_at_most(bytes, limits.max_items, &limits.cancel)?,
        FileKind::Pdf => pdf::parse(bytes, limits.max_pdf_inflated_bytes)?,
        FileKind::Docx => docx::parse(bytes)?,
        FileKind::Text => text::parse_plain(bytes)?,
        FileKind::Markdown => text::parse_markdown(bytes)?,
        FileKind::Vtt | FileKind::Srt => transcript_file(item::decode_text(bytes)?)?,
        FileKind::Audio => return Err(ParseError::new("audio must be transcribed first")),
    };
    finish(parsed, limits)
}

/// The checks and splitting every parsed file goes through (transcribed audio too).
pub fn finish(mut parsed: ParsedFile, limits: &ParseLimits) -> Result<ParsedFile, ParseError> {
    if let Some(at) = parsed.items.iter().position(|i| has_nul(&i.text, &i.meta)) {
        return Err(ParseError::new(format!(
            "item {} contains NUL characters; the file is binary or not UTF-8 text",
            at + 1
        )));
    }
    parsed.items = split_long_items(parsed.items);
    if parsed.items.len() > limits.max_items {
        return Err(too_many_items(limits.max_items));
    }
    if parsed.items.is_empty() {
        return Err(ParseError::new(if parsed.skipped > 0 {
            format!(
                "no feedback found: all {} rows or blocks were empty",
                parsed.skipped
            )
        } else {
            "no feedback found in the file".to_owned()
        }));
    }
    Ok(parsed)
}

/// A transcript's 90-second chunks as items, with speakers and times.
pub fn transcript_file(text: &str) -> Result<ParsedFile, ParseError> {
    let cues = transcript::parse(text).map_err(ParseError::new)?;
    let chunks = transcript::chunk_cues(&cues);
    let total = chunks.len();
    let items = chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut meta = Map::new();
            meta.insert("chunk_idx".into(), Value::from(i));
            meta.insert("total_chunks".into(), Value::from(total));
            meta.insert("speakers".into(), Value::from(c.speakers()));
            meta.insert("cue_count".into(), Value::from(c.cues.len()));
            meta.insert("start_sec".into(), Value::from(c.start_seconds()));
            meta.insert("end_sec".into(), Value::from(c.end_seconds()));
            ParsedItem {
                text: c.text(),
                key: format!("chunk-{i}"),
                speaker: Some(c.main_speaker()),
                start_seconds: Some(c.start_seconds()),
                end_seconds: Some(c.end_seconds()),
                meta,
                ..Default::default()
            }
        })
        .collect();
    Ok(ParsedFile {
        items,
        skipped: 0,
        title: None,
    })
}

fn has_nul(text: &str, meta: &Map<String, Value>) -> bool {
    fn in_value(v: &Value) -> bool {
        match v {
            Value::String(s) => s.contains('\0'),
            Value::Array(a) => a.iter().any(in_value),
            Value::Object(o) => o.iter().any(|(k, v)| k.contains('\0') || in_value(v)),
            _ => false,
        }
    }
    text.contains('\0') || meta.iter().any(|(k, v)| k.contains('\0') || in_value(v))
}

/// Items longer than the chunker's size become several, keyed `<key>`, `<key>:p2`, ... so
/// re-uploads stay idempotent and no text reaches the full-text index's size limit.
fn split_long_items(items: Vec<ParsedItem>) -> Vec<ParsedItem> {
    let max = chunk::DEFAULT_MAX_CHARS;
    let mut out = Vec::with_capacity(items.len());
    for mut item in items {
        if item.text.chars().count() <= max {
            out.push(item);
            continue;
        }
        // Out of the item before its parts copy it: a long text cloned once per part grows
        // with the square of its length.
        let text = std::mem::take(&mut item.text);
        let parts = chunk::chunk(&text, max, chunk::DEFAULT_OVERLAP);
        let total = parts.len();
        for (n, part) in parts.into_iter().enumerate() {
            let mut piece = item.clone();
            piece.text = part.text;
            if n > 0 {
                piece.key = format!("{}:p{}", item.key, n + 1);
            }
            piece.meta.insert("part".into(), Value::from(n + 1));
            piece.meta.insert("parts".into(), Value::from(total));
            out.push(piece);
        }
    }
    out
}

#[cfg(test)]
mod limits_tests {
    use super::*;

    fn limits(max_items: usize) -> ParseLimits {
        ParseLimits {
            max_items,
            max_pdf_inflated_bytes: 1 << 20,
            cancel: crate::jobs::CancelFlag::new(),
        }
    }

    #[test]
    fn csv_files_over_the_item_limit_fail_clearly() {
        let csv = "feedback\na\nb\nc\nd\n";
        let err = parse_file(FileKind::Csv, csv.as_bytes(), &limits(3)).unwrap_err();
        assert!(err.0.contains("more than 3 feedback items"), "{err}");
        assert_eq!(
            parse_file(FileKind::Csv, b"feedback\na\nb\n", &limits(3))
                .unwrap()
                .items
                .len(),
            2
        );
    }

    #[test]
    fn a_nul_anywhere_fails_the_file() {
        let mut csv = b"feedback,note\nfine,ok\n".to_vec();
        csv.extend(std::iter::repeat_n(b'x', 9000));
        csv.extend_from_slice(b",x\nbad\0row,y\n");
        let err = parse_file(FileKind::Csv, &csv, &limits(3)).unwrap_err();
        assert!(err.0.contains("NUL"), "{err}");
    }

    #[test]
    fn long_texts_are_split_with_stable_keys() {
        let long = "The export button times out on large reports. ".repeat(200);
        let csv = format!("feedback\n\"{long}\"\n");
        let parsed = parse_file(FileKind::Csv, csv.as_bytes(), &limits(100)).unwrap();
        assert!(parsed.items.len() > 1);
        assert!(
            parsed
                .items
                .iter()
                .all(|i| i.text.chars().count() <= chunk::DEFAULT_MAX_CHARS)
        );
        assert_eq!(parsed.items[0].key, "row-2");
        assert_eq!(parsed.items[1].key, "row-2:p2");
    }
}

#[cfg(test)]
mod cancel_tests {
    use super::*;

    #[test]
    fn a_cancelled_parse_stops() {
        let cancel = crate::jobs::CancelFlag::new();
        cancel.cancel();
        let limits = ParseLimits {
            max_items: 1_000_000,
            max_pdf_inflated_bytes: 1 << 20,
            cancel,
        };
        let csv = (0..5000).fold(String::from("feedback\n"), |s, i| s + &format!("row {i}\n"));
        assert!(parse_file(FileKind::Csv, csv.as_bytes(), &limits).is_err());
    }
}
