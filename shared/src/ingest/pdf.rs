//! PDF text layers. Scanned PDFs (images only) are refused with advice. Compressed streams
//! are measured before the extractor sees the file: a few kilobytes can inflate to
//! gigabytes, and running out of memory is not a panic anyone can catch.

use std::io::Read;

use super::item::{ParseError, ParsedFile};

pub fn parse(bytes: &[u8], max_inflated: usize) -> Result<ParsedFile, ParseError> {
    if !bytes.starts_with(b"%PDF") {
        return Err(ParseError::new(
            "the file is not a PDF (missing %PDF header)",
        ));
    }
    if inflated_size_exceeds(bytes, max_inflated) {
        return Err(ParseError::new(format!(
            "the PDF's compressed content expands beyond {} MB; it is refused as a possible decompression bomb",
            max_inflated / (1024 * 1024)
        )));
    }
    // The extractor can panic on damaged files; a panic here is a bad file, not a crash.
    let owned = bytes.to_vec();
    let extracted = std::panic::catch_unwind(move || pdf_extract::extract_text_from_mem(&owned));
    let text = match extracted {
        Ok(Ok(text)) => text,
        Ok(Err(e)) => {
            return Err(ParseError::new(format!(
                "the PDF could not be read ({e}); it may be damaged or encrypted"
            )));
        }
        Err(_) => return Err(ParseError::new("the PDF is damaged and could not be read")),
    };
    if text.split_whitespace().next().is_none() {
        return Err(ParseError::new(
            "the PDF has no text layer (a scanned image?); export it with text or paste the text into a .txt file",
        ));
    }
    Ok(super::text::from_text(&text))
}

/// True when the file's Flate-compressed streams together inflate to more than `cap`
/// bytes. Each stream is inflated through a reader that stops at the remaining allowance,
/// so the check itself never holds more than a small buffer.
pub fn inflated_size_exceeds(bytes: &[u8], cap: usize) -> bool {
    let mut remaining = cap as u64;
    let mut at = 0;
    while let Some(start) = find(bytes, b"stream", at) {
        let mut body = start + b"stream".len();
        // "endstream" contains "stream": skip it.
        if start >= 3 && &bytes[start - 3..start] == b"end" {
            at = body;
            continue;
        }
        if bytes.get(body) == Some(&b'\r') {
            body += 1;
        }
        if bytes.get(body) == Some(&b'\n') {
            body += 1;
        }
        let end = find(bytes, b"endstream", body).unwrap_or(bytes.len());
        let dict_from = start.saturating_sub(1024);
        if find(&bytes[dict_from..start], b"FlateDecode", 0).is_some() {
            let mut decoder = flate2::read::ZlibDecoder::new(&bytes[body..end]);
            let mut limited = (&mut decoder).take(remaining + 1);
            let inflated = std::io::copy(&mut limited, &mut std::io::sink()).unwrap_or(0);
            if inflated > remaining {
                return true;
            }
            remaining -= inflated;
        }
        at = end.max(body);
    }
    false
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn flate_stream(zeros: usize) -> Vec<u8> {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; zeros]).unwrap();
        let mut pdf = b"%PDF-1.4\n<< /Filter /FlateDecode >>\nstream\n".to_vec();
        pdf.extend(enc.finish().unwrap());
        pdf.extend_from_slice(b"\nendstream\n");
        pdf
    }

    #[test]
    fn inflated_size_is_measured_against_the_allowance() {
        assert!(!inflated_size_exceeds(&flate_stream(1 << 20), 2 << 20));
        assert!(inflated_size_exceeds(&flate_stream(3 << 20), 2 << 20));
        let err = parse(&flate_stream(3 << 20), 2 << 20).unwrap_err();
        assert!(err.0.contains("decompression bomb"), "{err}");
    }
}
