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
/// bytes, counting each stream as often as pages name it in their `/Contents` and through
/// every Flate layer of its filter (names with `#xx` escapes decoded, the dictionary found
/// however far before `stream` it ends). Each stream is inflated through a reader that stops
/// at the remaining allowance, so the check itself never holds more than a small buffer.
/// Other filters (LZW, ASCII85...) are left to the parser child's memory limit.
pub fn inflated_size_exceeds(bytes: &[u8], cap: usize) -> bool {
    let cap = cap as u64;
    let mut sizes: std::collections::HashMap<u64, u64> = std::collections::HashMap::new();
    let mut total = 0u64;
    let mut at = 0;
    let mut last_obj_end = 0;
    while let Some(start) = find(bytes, b"stream", at) {
        let mut body = start + b"stream".len();
        // "endstream" contains "stream": skip it.
        if start >= 3 && &bytes[start - 3..start] == b"end" {
            at = body;
            last_obj_end = body;
            continue;
        }
        if bytes.get(body) == Some(&b'\r') {
            body += 1;
        }
        if bytes.get(body) == Some(&b'\n') {
            body += 1;
        }
        let end = find(bytes, b"endstream", body).unwrap_or(bytes.len());
        let header = &bytes[last_obj_end.min(start)..start];
        let layers = flate_layers(header);
        if layers > 0 {
            let inflated = inflate_layers(&bytes[body..end], layers, cap.saturating_sub(total) + 1);
            total += inflated;
            if total > cap {
                return true;
            }
            if let Some(number) = object_number(header) {
                sizes.insert(number, inflated);
            }
        }
        at = end.max(body);
        last_obj_end = at;
    }
    // A page may name one stream many times: each naming inflates it again.
    let repeated: u64 = content_references(bytes)
        .into_iter()
        .map(|refs| {
            let mut seen = std::collections::HashSet::new();
            refs.into_iter()
                .filter(|r| !seen.insert(*r))
                .map(|r| sizes.get(&r).copied().unwrap_or(0))
                .sum::<u64>()
        })
        .sum();
    total.saturating_add(repeated) > cap
}

/// How many Flate layers a stream's dictionary asks for (`/FlateDecode`, `/Fl`, in an
/// array or alone, names written with `#xx` escapes).
fn flate_layers(header: &[u8]) -> usize {
    let dict = decode_name_escapes(header);
    let Some(filter) = find(&dict, b"/Filter", 0) else {
        return 0;
    };
    let rest = &dict[filter + b"/Filter".len()..];
    let rest = trim_start(rest);
    let value: &[u8] = if rest.first() == Some(&b'[') {
        let close = rest.iter().position(|b| *b == b']').unwrap_or(rest.len());
        &rest[..close]
    } else {
        let end = rest
            .iter()
            .skip(1)
            .position(|b| matches!(b, b'/' | b'>' | b' ' | b'\n' | b'\r' | b'\t'))
            .map_or(rest.len(), |p| p + 1);
        &rest[..end]
    };
    value
        .split(|b| *b == b'/')
        .skip(1)
        .filter(|name| {
            let name = name
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric())
                .copied()
                .collect::<Vec<u8>>();
            name == b"FlateDecode" || name == b"Fl"
        })
        .count()
}

fn trim_start(b: &[u8]) -> &[u8] {
    let skip = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[skip..]
}

/// `#44` in a name is `D`: `/Flate#44ecode` names the same filter as `/FlateDecode`.
fn decode_name_escapes(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'#'
            && let Some(hex) = bytes.get(i + 1..i + 3)
            && let Ok(text) = std::str::from_utf8(hex)
            && let Ok(v) = u8::from_str_radix(text, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Bytes `data` inflates to through `layers` nested zlib streams, read up to `limit`.
fn inflate_layers(data: &[u8], layers: usize, limit: u64) -> u64 {
    let mut reader: Box<dyn Read + '_> = Box::new(data);
    for _ in 0..layers.min(8) {
        reader = Box::new(flate2::read::ZlibDecoder::new(reader));
    }
    std::io::copy(&mut reader.take(limit), &mut std::io::sink()).unwrap_or(0)
}

/// The object number of the last `N G obj` in `header`.
fn object_number(header: &[u8]) -> Option<u64> {
    let at = rfind(header, b" obj")?;
    let text = std::str::from_utf8(&header[at.saturating_sub(24)..at]).ok()?;
    let mut parts = text.split_whitespace().rev();
    let _generation = parts.next()?;
    parts.next()?.parse().ok()
}

/// The object numbers each `/Contents [ ... ]` array names, in order.
fn content_references(bytes: &[u8]) -> Vec<Vec<u64>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(pos) = find(bytes, b"/Contents", at) {
        at = pos + b"/Contents".len();
        let rest = trim_start(&bytes[at..]);
        if rest.first() != Some(&b'[') {
            continue;
        }
        let close = rest.iter().position(|b| *b == b']').unwrap_or(rest.len());
        let Ok(text) = std::str::from_utf8(&rest[1..close]) else {
            continue;
        };
        let tokens: Vec<&str> = text.split_whitespace().collect();
        let refs = tokens
            .windows(3)
            .filter(|w| w[2] == "R")
            .filter_map(|w| w[0].parse().ok())
            .collect();
        out.push(refs);
    }
    out
}

fn rfind(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).rposition(|w| w == needle)
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

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    fn pdf_with(objects: &[Vec<u8>]) -> Vec<u8> {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        for (i, o) in objects.iter().enumerate() {
            pdf.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            pdf.extend_from_slice(o);
            pdf.extend_from_slice(b"\nendobj\n");
        }
        pdf
    }

    fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut o = format!("<< {dict} >>\nstream\n").into_bytes();
        o.extend_from_slice(data);
        o.extend_from_slice(b"\nendstream");
        o
    }

    #[test]
    fn the_shapes_that_passed_the_old_check_are_measured() {
        let mb = 1 << 20;
        let spaces = vec![b' '; 3 * mb];
        // Two Flate layers: the old check inflated one.
        let twice = pdf_with(&[stream(
            "/Filter [/FlateDecode /FlateDecode]",
            &zlib(&zlib(&spaces)),
        )]);
        assert!(inflated_size_exceeds(&twice, 2 * mb));
        // An escaped name, and padding between the dictionary and `stream`.
        let mut padded =
            format!("<< /Filter /Flate#44ecode >>{}\nstream\n", " ".repeat(4096)).into_bytes();
        padded.extend(zlib(&spaces));
        padded.extend_from_slice(b"\nendstream");
        assert!(inflated_size_exceeds(&pdf_with(&[padded]), 2 * mb));
        // One 1 MB stream named five times by a page.
        let page = b"<< /Type /Page /Contents [2 0 R 2 0 R 2 0 R 2 0 R 2 0 R] >>".to_vec();
        let repeated = pdf_with(&[page, stream("/Filter /FlateDecode", &zlib(&vec![b' '; mb]))]);
        assert!(inflated_size_exceeds(&repeated, 4 * mb));
        assert!(!inflated_size_exceeds(&repeated, 6 * mb));
    }

    #[test]
    fn inflated_size_is_measured_against_the_allowance() {
        assert!(!inflated_size_exceeds(&flate_stream(1 << 20), 2 << 20));
        assert!(inflated_size_exceeds(&flate_stream(3 << 20), 2 << 20));
        let err = parse(&flate_stream(3 << 20), 2 << 20).unwrap_err();
        assert!(err.0.contains("decompression bomb"), "{err}");
    }
}
