//! Which parser a file needs, decided from its name and its first bytes (content types sent
//! by browsers are unreliable), and the list of supported formats shown to users.

use super::item::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Pdf,
    Docx,
    Text,
    Markdown,
    Vtt,
    Srt,
    Audio,
}

impl FileKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Csv => "csv",
            FileKind::Pdf => "pdf",
            FileKind::Docx => "docx",
            FileKind::Text => "txt",
            FileKind::Markdown => "markdown",
            FileKind::Vtt => "vtt",
            FileKind::Srt => "srt",
            FileKind::Audio => "audio",
        }
    }

    /// The kinds whose text the parsers read (audio is transcribed first).
    pub const TEXT: [FileKind; 7] = [
        FileKind::Csv,
        FileKind::Pdf,
        FileKind::Docx,
        FileKind::Text,
        FileKind::Markdown,
        FileKind::Vtt,
        FileKind::Srt,
    ];

    /// The kind whose `as_str` is `name`.
    pub fn from_name(name: &str) -> Option<FileKind> {
        Self::TEXT
            .into_iter()
            .chain([FileKind::Audio])
            .find(|k| k.as_str() == name)
    }

    /// How messages to the uploader name a file of this kind.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Csv => "CSV file",
            FileKind::Pdf => "PDF",
            FileKind::Docx => "Word document",
            FileKind::Text => "text file",
            FileKind::Markdown => "Markdown file",
            FileKind::Vtt | FileKind::Srt => "transcript",
            FileKind::Audio => "recording",
        }
    }

    pub fn is_audio(self) -> bool {
        self == FileKind::Audio
    }
}

pub struct FormatInfo {
    pub format: &'static str,
    pub extensions: &'static [&'static str],
    pub mime_types: &'static [&'static str],
    pub description: &'static str,
    pub example_columns: Option<&'static [&'static str]>,
}

pub const FORMATS: &[FormatInfo] = &[
    FormatInfo {
        format: "CSV",
        extensions: &[".csv"],
        mime_types: &["text/csv"],
        description: "One feedback per row. Text column: feedback, text, comment, description, message or body. \
                      Optional: customer/company/account, acv/arr (\"250000\", \"$250,000\", \"250k\"), segment, \
                      contact email, date/created_at/timestamp.",
        example_columns: Some(&["feedback", "customer", "acv", "date"]),
    },
    FormatInfo {
        format: "PDF",
        extensions: &[".pdf"],
        mime_types: &["application/pdf"],
        description: "PDF with a text layer; one item per paragraph. Scanned images are refused.",
        example_columns: None,
    },
    FormatInfo {
        format: "DOCX",
        extensions: &[".docx"],
        mime_types: &["application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
        description: "Word document; one item per paragraph. Legacy .doc files must be saved as .docx.",
        example_columns: None,
    },
    FormatInfo {
        format: "TXT",
        extensions: &[".txt"],
        mime_types: &["text/plain"],
        description: "Plain text; one item per paragraph, or per line when there are no blank lines.",
        example_columns: None,
    },
    FormatInfo {
        format: "Markdown",
        extensions: &[".md", ".markdown"],
        mime_types: &["text/markdown"],
        description: "Markdown document; split by headings and chunked (about 2000 characters).",
        example_columns: None,
    },
    FormatInfo {
        format: "VTT",
        extensions: &[".vtt"],
        mime_types: &["text/vtt"],
        description: "WebVTT call transcript; speakers from <v Name> tags or \"Name:\" prefixes; 90-second chunks.",
        example_columns: None,
    },
    FormatInfo {
        format: "SRT",
        extensions: &[".srt"],
        mime_types: &["application/x-subrip"],
        description: "SRT subtitles of a call; handled like VTT.",
        example_columns: None,
    },
    FormatInfo {
        format: "Audio",
        extensions: &[".mp3", ".wav", ".m4a", ".webm", ".mp4"],
        mime_types: &[
            "audio/mpeg",
            "audio/wav",
            "audio/mp4",
            "audio/webm",
            "video/mp4",
        ],
        description: "Call recordings, transcribed by the transcription provider in ai_config.yaml (needs one).",
        example_columns: None,
    },
];

fn extension(filename: &str) -> String {
    filename
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default()
}

/// Decides the parser for a file, refusing formats we cannot read with a helpful message.
pub fn detect(filename: &str, head: &[u8]) -> Result<FileKind, ParseError> {
    let ext = extension(filename);
    let ole = head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    let kind = match ext.as_str() {
        "csv" => FileKind::Csv,
        "pdf" => FileKind::Pdf,
        "docx" => FileKind::Docx,
        "doc" => {
            return Err(ParseError::new(
                "legacy .doc files are not supported: open it in Word and save as .docx",
            ));
        }
        "txt" | "text" => FileKind::Text,
        "md" | "markdown" => FileKind::Markdown,
        "vtt" => FileKind::Vtt,
        "srt" => FileKind::Srt,
        "mp3" | "wav" | "m4a" | "webm" | "mp4" | "mpga" | "mpeg" | "ogg" => FileKind::Audio,
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "tif" | "tiff" | "bmp" | "heic" => {
            return Err(ParseError::new(
                "images have no text layer: export the document as a PDF with text, or paste the text into a .txt file",
            ));
        }
        other => {
            return Err(ParseError::new(format!(
                "unsupported file type {:?}; supported: .csv, .pdf, .docx, .txt, .md, .vtt, .srt, .mp3, .wav, .m4a, .webm, .mp4",
                if other.is_empty() { filename } else { other }
            )));
        }
    };
    if ole && kind == FileKind::Docx {
        return Err(ParseError::new(
            "this is a legacy .doc file renamed to .docx: save it as .docx from Word",
        ));
    }
    Ok(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_by_name_with_clear_refusals() {
        assert_eq!(detect("Feedback.CSV", b"a,b").unwrap(), FileKind::Csv);
        assert_eq!(detect("call.vtt", b"WEBVTT").unwrap(), FileKind::Vtt);
        assert_eq!(detect("call.m4a", b"").unwrap(), FileKind::Audio);
        assert!(
            detect("old.doc", b"")
                .unwrap_err()
                .0
                .contains("save as .docx")
        );
        assert!(
            detect("scan.png", b"")
                .unwrap_err()
                .0
                .contains("no text layer")
        );
        assert!(
            detect("data.xlsx", b"")
                .unwrap_err()
                .0
                .contains("unsupported")
        );
        assert!(
            detect("renamed.docx", &[0xD0, 0xCF, 0x11, 0xE0])
                .unwrap_err()
                .0
                .contains("legacy")
        );
    }
}
