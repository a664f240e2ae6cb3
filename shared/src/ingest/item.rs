//! What every parser produces: feedback items with whatever customer evidence the file had.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::segment::Segment;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedItem {
    pub text: String,
    /// Stable position of the item in its file (row, paragraph, chunk), part of its source id.
    pub key: String,
    pub customer: Option<String>,
    pub acv: Option<f64>,
    pub segment: Option<Segment>,
    pub contact_email: Option<String>,
    /// When the customer said it, if the file tells.
    pub created_at: Option<DateTime<Utc>>,
    pub speaker: Option<String>,
    /// Offsets from the start of a recording, in seconds.
    pub start_seconds: Option<f64>,
    pub end_seconds: Option<f64>,
    pub meta: Map<String, Value>,
}

/// The result of parsing one file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ParsedFile {
    pub items: Vec<ParsedItem>,
    /// Rows or blocks skipped because they had no text.
    pub skipped: usize,
    /// Document-level title, when the format has one.
    pub title: Option<String>,
}

/// A file the parsers refuse, with a message for the person who uploaded it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl ParseError {
    pub fn new(msg: impl Into<String>) -> Self {
        Self(msg.into())
    }
}

/// Decodes UTF-8 text, dropping a BOM; refuses binary data and invalid encodings clearly.
pub fn decode_text(bytes: &[u8]) -> Result<&str, ParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return Err(ParseError::new("the file is binary, not text"));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        ParseError::new(format!(
            "the file is not valid UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            e.valid_up_to()
        ))
    })
}
