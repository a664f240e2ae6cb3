//! Properties every parser must keep on any input: no panic, and a successful parse stays
//! within the documented limits (item count, item length, no NUL, no blank items). Shared by
//! the `parsers` test (a short round in CI) and the `parser_fuzz` bench (any number of
//! cases, with cases/s).

use crate::files;

use proptest::{prelude::*, test_runner::TestCaseError};
use shared::{
    ingest::{FileKind, ParseLimits, chunk, detect, parse_file, pii},
    jobs::CancelFlag,
};

pub const MAX_ITEMS: usize = 40;

/// Every kind a parser reads.
pub const KINDS: [FileKind; 7] = FileKind::TEXT;

fn limits() -> ParseLimits {
    ParseLimits {
        max_items: MAX_ITEMS,
        max_pdf_inflated_bytes: 1 << 20,
        cancel: CancelFlag::new(),
    }
}

/// A small valid file of each kind, the starting point for mutations.
pub fn valid(kind: FileKind) -> Vec<u8> {
    match kind {
        FileKind::Csv => b"text,customer,acv,segment,date\n\"Exports time out, again\",Acme,12000,ENT,2026-11-02\nSSO please,Globex,,SMB,\n".to_vec(),
        FileKind::Pdf => files::pdf(&["The dashboard is slow to load.", "We need SSO before renewal."]),
        FileKind::Docx => files::docx(&["Billing page confuses finance.", "Please add a CSV export."]),
        FileKind::Text => b"Search never finds old tickets.\n\nThe mobile app logs me out daily.\n".to_vec(),
        FileKind::Markdown => b"# Interview\n\n## Pain\n\nReports take minutes.\n\n- audit log\n- SSO\n".to_vec(),
        FileKind::Vtt => b"WEBVTT\n\n00:00:01.000 --> 00:00:04.000\n<v Ann>Exports keep failing.\n\n00:00:05.000 --> 00:00:09.500\n<v Bob>We lose a day each time.\n".to_vec(),
        FileKind::Srt => b"1\n00:00:01,000 --> 00:00:04,000\nAnn: the sync is slow\n\n2\n00:00:05,000 --> 00:00:08,000\nBob: and it breaks\n".to_vec(),
        FileKind::Audio => Vec::new(),
    }
}

pub fn check_parse(kind: FileKind, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Ok(parsed) = parse_file(kind, bytes, &limits()) else {
        return Ok(());
    };
    prop_assert!(!parsed.items.is_empty(), "{kind:?}: Ok with no items");
    prop_assert!(
        parsed.items.len() <= MAX_ITEMS,
        "{kind:?}: {} items over the limit",
        parsed.items.len()
    );
    for item in &parsed.items {
        let chars = item.text.chars().count();
        prop_assert!(
            chars <= chunk::DEFAULT_MAX_CHARS,
            "{kind:?}: item of {chars} chars"
        );
        prop_assert!(!item.text.contains('\0'), "{kind:?}: NUL in an item");
        prop_assert!(!item.text.trim().is_empty(), "{kind:?}: blank item");
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

pub fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
    prop::collection::vec(
        prop_oneof![
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
            (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
            any::<usize>().prop_map(Mutation::Delete),
            any::<usize>().prop_map(Mutation::Truncate),
        ],
        1..8,
    )
}

pub fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match *m {
            Mutation::Flip(i, b) if len > 0 => bytes[i % len] ^= b,
            Mutation::Insert(i, b) => bytes.insert(i % (len + 1), b),
            Mutation::Delete(i) if len > 0 => {
                bytes.remove(i % len);
            }
            Mutation::Truncate(i) => bytes.truncate(i % (len + 1)),
            _ => {}
        }
    }
    bytes
}

pub fn kind() -> impl Strategy<Value = FileKind> {
    prop::sample::select(KINDS.to_vec())
}

pub fn check_detect(name: &str, head: &[u8]) -> Result<(), TestCaseError> {
    let _ = detect(name, head);
    Ok(())
}

/// Text with the shapes the chunker treats specially: headings, blank lines, long words.
pub fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "#{1,4} [a-zA-Zé ]{0,30}\n",
            "[a-zA-Z0-9 ,.!?é漢]{0,400}",
            Just("\n\n".to_owned()),
            "[a-z]{200,3000}",
            any::<String>(),
        ],
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

pub fn check_chunk(text: &str, max_chars: usize, overlap: usize) -> Result<(), TestCaseError> {
    let chunks = chunk::chunk(text, max_chars, overlap);
    if text.trim().is_empty() {
        prop_assert!(chunks.is_empty(), "blank text gave chunks");
    }
    for (i, c) in chunks.iter().enumerate() {
        prop_assert_eq!(c.index, i);
        let chars = c.text.chars().count();
        prop_assert!(
            chars <= max_chars,
            "chunk of {} chars > {}",
            chars,
            max_chars
        );
        prop_assert!(!c.text.trim().is_empty(), "blank chunk");
    }
    Ok(())
}

pub fn email() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9._]{0,12}@[a-z]{1,10}\\.(com|org|io|co\\.uk)"
}

/// Any text is redacted without panicking, and an email standing on its own inside it is
/// always replaced.
pub fn check_redact(before: &str, email: &str, after: &str) -> Result<(), TestCaseError> {
    let _ = pii::redact(before);
    let text = format!("{before} {email} {after}");
    let out = pii::redact(&text);
    prop_assert!(!out.contains(email), "{email:?} survived in {out:?}");
    Ok(())
}
