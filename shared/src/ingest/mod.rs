//! Turning files into feedback items: format detection, parsers (pure functions), the
//! chunker, PII redaction and sentiment.

pub mod chunk;
pub mod csv;
pub mod docx;
pub mod format;
pub mod item;
pub mod pdf;
pub mod pii;
pub mod sentiment;
pub mod text;
pub mod transcript;

use serde_json::{Map, Value};

pub use format::{FileKind, detect};
pub use item::{ParseError, ParsedFile, ParsedItem};

/// Parses a file that needs no external service (everything but audio).
pub fn parse_file(kind: FileKind, bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let parsed = match kind {
        FileKind::Csv => csv::parse(bytes)?,
        FileKind::Pdf => pdf::parse(bytes)?,
        FileKind::Docx => docx::parse(bytes)?,
        FileKind::Text => text::parse_plain(bytes)?,
        FileKind::Markdown => text::parse_markdown(bytes)?,
        FileKind::Vtt | FileKind::Srt => transcript_file(item::decode_text(bytes)?)?,
        FileKind::Audio => return Err(ParseError::new("audio must be transcribed first")),
    };
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
