//! PDF text layers. Scanned PDFs (images only) are refused with advice.

use super::item::{ParseError, ParsedFile};

pub fn parse(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    if !bytes.starts_with(b"%PDF") {
        return Err(ParseError::new(
            "the file is not a PDF (missing %PDF header)",
        ));
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
