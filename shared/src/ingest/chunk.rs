//! Splits long documents into overlapping chunks of about `max_chars`, cutting at Markdown
//! headings first, then at sentence ends, then at spaces. Text before the first heading is
//! kept, and the split stops at the end of the text (no shrinking tail chunks). Headings
//! travel as chunk metadata, never inside the text.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub text: String,
    /// Position in the document, counting across sections.
    pub index: usize,
    /// 1-3 for text under a `#`..`###` heading.
    pub header_level: Option<u8>,
    /// The heading the chunk sits under.
    pub heading: Option<String>,
}

pub const DEFAULT_MAX_CHARS: usize = 2000;
pub const DEFAULT_OVERLAP: usize = 200;

struct Section<'a> {
    body: &'a str,
    level: Option<u8>,
    heading: Option<String>,
}

fn heading_of(line: &str) -> Option<(u8, String)> {
    let hashes = line.chars().take_while(|c| *c == '#').count();
    if !(1..=3).contains(&hashes) {
        return None;
    }
    let rest = &line[hashes..];
    if !rest.starts_with(char::is_whitespace) || rest.trim().is_empty() {
        return None;
    }
    Some((hashes as u8, rest.trim().to_owned()))
}

fn sections(text: &str) -> Vec<Section<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut current: (Option<u8>, Option<String>) = (None, None);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some((level, title)) = heading_of(line.trim_end()) {
            if offset > start {
                out.push(Section {
                    body: &text[start..offset],
                    level: current.0,
                    heading: current.1.clone(),
                });
            }
            // The heading line itself is metadata (`heading`), not part of the text, so
            // no quote or title ever starts with "## ".
            start = offset + line.len();
            current = (Some(level), Some(title));
        }
        offset += line.len();
    }
    if text.len() > start {
        out.push(Section {
            body: &text[start..],
            level: current.0,
            heading: current.1,
        });
    }
    out
}

/// Byte offset of the char boundary at or before `i`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Where to end a window `[start, hard_end)`: after the last sentence end in its final
/// fifth, else at the last space there, else at the hard end.
fn cut_point(s: &str, start: usize, hard_end: usize) -> usize {
    let window = &s[start..hard_end];
    let tail_from = floor_boundary(window, window.len() * 4 / 5);
    let tail = &window[tail_from..];
    let bytes = tail.as_bytes();
    for i in (0..bytes.len()).rev() {
        if matches!(bytes[i], b'.' | b'!' | b'?')
            && bytes.get(i + 1).is_some_and(|b| b.is_ascii_whitespace())
        {
            return start + tail_from + i + 1;
        }
    }
    if let Some(i) = tail.rfind(char::is_whitespace) {
        return start + tail_from + i;
    }
    hard_end
}

fn windows(body: &str, max_chars: usize, overlap: usize) -> Vec<String> {
    let body = body.trim();
    if body.is_empty() {
        return Vec::new();
    }
    if body.chars().count() <= max_chars {
        return vec![body.to_owned()];
    }
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        let hard_end = body[start..]
            .char_indices()
            .nth(max_chars)
            .map_or(body.len(), |(i, _)| start + i);
        let end = if hard_end < body.len() {
            cut_point(body, start, hard_end)
        } else {
            body.len()
        };
        let piece = body[start..end].trim();
        if !piece.is_empty() {
            out.push(piece.to_owned());
        }
        if end >= body.len() {
            break;
        }
        // Step back by the overlap (in characters), then forward to a word start.
        let back = body[..end]
            .char_indices()
            .rev()
            .nth(overlap.saturating_sub(1))
            .map_or(0, |(i, _)| i);
        let mut next = back.max(start + 1);
        next = floor_boundary(body, next);
        // Step over the whole whitespace character: some (a no-break space) take 2-3 bytes.
        if let Some((ws, c)) = body[next..end]
            .char_indices()
            .find(|(_, c)| c.is_whitespace())
        {
            let candidate = next + ws + c.len_utf8();
            if candidate < end {
                next = candidate;
            }
        }
        if next <= start {
            next = end;
        }
        start = next;
    }
    out
}

/// Chunks `text`; empty or blank text gives no chunks.
pub fn chunk(text: &str, max_chars: usize, overlap: usize) -> Vec<Chunk> {
    let overlap = overlap.min(max_chars / 2);
    let mut out = Vec::new();
    for section in sections(text) {
        for piece in windows(section.body, max_chars, overlap) {
            out.push(Chunk {
                text: piece,
                index: out.len(),
                header_level: section.level,
                heading: section.heading.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlaps_start_after_wide_whitespace() {
        // Found by the parser properties: a no-break space is two bytes.
        let text = format!("{}\u{a0}{}", "a".repeat(300), "b".repeat(300));
        let chunks = chunk(&text, 231, 77);
        assert!(chunks.len() >= 3);
        assert!(chunks.iter().all(|c| c.text.chars().count() <= 231));
    }

    #[test]
    fn short_text_is_one_chunk() {
        let chunks = chunk("This is a short text.", 2000, 200);
        assert_eq!(chunks.len(), 1);
        assert_eq!(chunks[0].text, "This is a short text.");
        assert_eq!(chunks[0].index, 0);
        assert_eq!(chunks[0].header_level, None);
    }

    #[test]
    fn empty_text_has_no_chunks() {
        assert!(chunk("", 2000, 200).is_empty());
        assert!(chunk("  \n\t ", 2000, 200).is_empty());
    }

    #[test]
    fn long_text_splits_at_sentences_without_tail_fragments() {
        // The original's case: 50 sentences, 999 chars, windows of 200 with 40 overlap.
        let text = vec!["This is a sentence."; 50].join(" ");
        assert_eq!(text.len(), 999);
        let chunks = chunk(&text, 200, 40);
        assert_eq!(chunks.len(), 6, "{chunks:#?}");
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(c.index, i);
            assert!(
                c.text.starts_with("This") && c.text.ends_with('.'),
                "{:?}",
                c.text
            );
            assert!(c.text.len() <= 200);
        }
        assert!(
            chunks.last().unwrap().text.len() > 100,
            "no shrinking tail chunk"
        );
    }

    #[test]
    fn headings_split_sections_and_keep_the_preamble() {
        let doc = "Intro before any heading.\n\n# Heading 1\nFirst section.\n\n## Heading 2\nSecond.\n\n### Heading 3\nThird.\n";
        let chunks = chunk(doc, 200, 20);
        let levels: Vec<_> = chunks.iter().map(|c| c.header_level).collect();
        assert_eq!(levels, vec![None, Some(1), Some(2), Some(3)]);
        assert_eq!(chunks[0].text, "Intro before any heading.");
        assert_eq!(chunks[1].text, "First section.");
        assert!(chunks.iter().all(|c| !c.text.contains('#')));
        assert_eq!(chunks[3].heading.as_deref(), Some("Heading 3"));
    }

    #[test]
    fn a_repeated_word_under_the_limit_is_one_chunk() {
        let text = vec!["word"; 100].join(" ");
        assert_eq!(chunk(&text, 2000, 200).len(), 1);
    }

    #[test]
    fn text_without_sentence_ends_is_cut_at_spaces_and_covers_everything() {
        let words: Vec<String> = (0..1000).map(|i| format!("w{i}")).collect();
        let text = words.join(" ");
        let chunks = chunk(&text, 300, 30);
        assert!(chunks.len() > 10);
        for c in &chunks {
            assert!(!c.text.starts_with(' ') && c.text.chars().count() <= 300);
        }
        assert!(chunks.last().unwrap().text.ends_with("w999"));
        assert!(chunks[0].text.starts_with("w0 "));
    }

    #[test]
    fn multibyte_text_is_split_on_char_boundaries() {
        let text = "Ünïcödé façade naïve café. ".repeat(200);
        let chunks = chunk(&text, 250, 25);
        assert!(chunks.len() > 5);
    }
}
