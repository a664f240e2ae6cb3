//! DOCX (Office Open XML): the paragraphs of `word/document.xml`, read with size limits so a
//! zip bomb is refused instead of filling memory.

use std::io::Read;

use quick_xml::{Reader, events::Event};

use super::item::{ParseError, ParsedFile};

/// Largest `document.xml` we inflate.
const MAX_XML_BYTES: u64 = 64 * 1024 * 1024;
/// Real documents compress XML about 5-20x; far more means a crafted archive.
const MAX_RATIO: u64 = 200;

pub fn paragraphs(bytes: &[u8]) -> Result<Vec<String>, ParseError> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|_| ParseError::new("the file is not a valid .docx (it is not a zip archive)"))?;
    let mut entry = archive.by_name("word/document.xml").map_err(|_| {
        ParseError::new("the .docx has no word/document.xml; is it really a Word document?")
    })?;
    let declared = entry.size();
    let compressed = entry.compressed_size().max(1);
    if declared > MAX_XML_BYTES || declared / compressed > MAX_RATIO {
        return Err(ParseError::new(
            "the .docx expands to an implausible size (possible zip bomb); refused",
        ));
    }
    let mut xml = Vec::with_capacity(declared as usize);
    (&mut entry)
        .take(MAX_XML_BYTES + 1)
        .read_to_end(&mut xml)
        .map_err(|e| ParseError::new(format!("the .docx is damaged: {e}")))?;
    if xml.len() as u64 > MAX_XML_BYTES {
        return Err(ParseError::new(
            "the .docx expands to an implausible size (possible zip bomb); refused",
        ));
    }
    let mut reader = Reader::from_reader(xml.as_slice());
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_text = false;
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.local_name().as_ref() == "t" => in_text = true,
            Ok(Event::End(e)) => match e.local_name().as_ref() {
                "t" => in_text = false,
                "p" => {
                    let p = current.split_whitespace().collect::<Vec<_>>().join(" ");
                    if !p.is_empty() {
                        out.push(p);
                    }
                    current.clear();
                }
                _ => {}
            },
            Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "tab" => current.push('\t'),
                "br" | "cr" => current.push(' '),
                _ => {}
            },
            Ok(Event::Text(t)) if in_text => current.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) if in_text => {
                let name = r.into_inner();
                let resolved = match name.as_ref() {
                    "amp" => Some('&'),
                    "lt" => Some('<'),
                    "gt" => Some('>'),
                    "quot" => Some('"'),
                    "apos" => Some('\''),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32),
                };
                current.extend(resolved);
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(ParseError::new(format!("the .docx is damaged: {e}"))),
            _ => {}
        }
        buf.clear();
    }
    Ok(out)
}

pub fn parse(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    let text = paragraphs(bytes)?.join("\n\n");
    Ok(super::text::from_text(&text))
}
