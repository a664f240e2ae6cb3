//! Small files of every supported format, made by the tests themselves.

use std::io::Write;

/// A one-page PDF whose text layer holds `lines` (one paragraph each).
pub fn pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 12 Tf 72 720 Td 14 TL\n");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({escaped}) Tj T* T*\n"));
    }
    content.push_str("ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".to_owned(),
        format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_owned(),
    ];
    pdf_document(objects.into_iter().map(String::into_bytes).collect())
}

/// A PDF of these objects (numbered from 1, the first the catalog) with a correct xref.
fn pdf_document(objects: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(obj);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// A stream object: `dict` (without /Length) and its raw data.
fn stream_object(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut out = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\nendstream");
    out
}

/// Zlib of `len` spaces (valid, empty page content once inflated).
fn deflated_spaces(len: usize) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let block = vec![b' '; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(block.len());
        enc.write_all(&block[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

/// A one-page PDF whose page is `page_extra` (inside the page dictionary) and whose
/// objects 4.. are `rest`.
fn one_page_pdf(page_extra: &str, rest: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {page_extra} >>")
            .into_bytes(),
    ];
    objects.extend(rest);
    pdf_document(objects)
}

/// Hostile PDFs from the review of issue 23: each passed the old bomb check and then took
/// the worker down (stack overflow) or to gigabytes of memory inside the extractor.
pub mod hostile {
    use super::*;

    /// A Form XObject whose content draws itself: unbounded recursion (under 1 KB).
    pub fn self_drawing_form() -> Vec<u8> {
        one_page_pdf(
            "/Contents 4 0 R /Resources << /XObject << /X0 5 0 R >> >>",
            vec![
                stream_object("", b"/X0 Do"),
                stream_object(
                    "/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X0 5 0 R >> >>",
                    b"/X0 Do",
                ),
            ],
        )
    }

    /// A page whose `/Contents` names one Flate stream `times` times.
    pub fn repeated_contents(inflated: usize, times: usize) -> Vec<u8> {
        let refs = vec!["4 0 R"; times].join(" ");
        one_page_pdf(
            &format!("/Contents [{refs}]"),
            vec![stream_object(
                "/Filter /FlateDecode",
                &deflated_spaces(inflated),
            )],
        )
    }

    /// Content compressed twice (`[/FlateDecode /FlateDecode]`): the old check inflated
    /// one layer only.
    pub fn double_flate(inflated: usize) -> Vec<u8> {
        let inner = deflated_spaces(inflated);
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&inner).unwrap();
        one_page_pdf(
            "/Contents 4 0 R",
            vec![stream_object(
                "/Filter [/FlateDecode /FlateDecode]",
                &enc.finish().unwrap(),
            )],
        )
    }

    /// The filter's name written with a `#xx` escape, and padding between the dictionary
    /// and `stream`: the old check looked for the literal bytes shortly before `stream`.
    pub fn escaped_filter_name(inflated: usize) -> Vec<u8> {
        let data = deflated_spaces(inflated);
        let mut object = format!(
            "<< /Filter /Flate#44ecode /Length {} >>{}\nstream\n",
            data.len(),
            " ".repeat(2048)
        )
        .into_bytes();
        object.extend(data);
        object.extend_from_slice(b"\nendstream");
        one_page_pdf("/Contents 4 0 R", vec![object])
    }

    /// Flate wrapped in ASCII85 (`[/ASCII85Decode /FlateDecode]`): a chain the size check
    /// cannot inflate, left to the parser child's memory limit.
    pub fn ascii85_then_flate(inflated: usize) -> Vec<u8> {
        let mut encoded = Vec::new();
        for chunk in deflated_spaces(inflated).chunks(4) {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            let mut n = u32::from_be_bytes(word);
            if n == 0 && chunk.len() == 4 {
                encoded.push(b'z');
                continue;
            }
            let mut digits = [0u8; 5];
            for d in digits.iter_mut().rev() {
                *d = (n % 85) as u8 + b'!';
                n /= 85;
            }
            encoded.extend_from_slice(&digits[..chunk.len() + 1]);
        }
        encoded.extend_from_slice(b"~>");
        one_page_pdf(
            "/Contents 4 0 R",
            vec![stream_object(
                "/Filter [/ASCII85Decode /FlateDecode]",
                &encoded,
            )],
        )
    }

    /// A CSV whose every row named every one of a wide header's long columns in its meta.
    pub fn wide_header_csv(columns: usize, name_len: usize, rows: usize) -> Vec<u8> {
        let names: Vec<String> = (0..columns)
            .map(|i| format!("c{i:05}{}", "x".repeat(name_len)))
            .collect();
        let mut out = format!("feedback,{}\n", names.join(","));
        for r in 0..rows {
            out.push_str(&format!("row {r} says exports time out"));
            out.push_str(&",v".repeat(columns));
            out.push('\n');
        }
        out.into_bytes()
    }
}

fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut zip = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            zip.start_file(*name, opts).unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
    }
    buf.into_inner()
}

/// A DOCX with one paragraph per entry.
pub fn docx(paragraphs: &[&str]) -> Vec<u8> {
    let body: String = paragraphs
        .iter()
        .map(|p| {
            format!(
                "<w:p><w:r><w:t xml:space=\"preserve\">{}</w:t></w:r></w:p>",
                p.replace('&', "&amp;").replace('<', "&lt;")
            )
        })
        .collect();
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>{body}</w:body></w:document>"
    );
    zip_with(&[
        ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>"),
        ("word/document.xml", xml.as_bytes()),
    ])
}

/// A DOCX whose document.xml inflates a thousandfold (a zip bomb in miniature).
pub fn docx_bomb() -> Vec<u8> {
    let huge = vec![b' '; 10 * 1024 * 1024];
    zip_with(&[("word/document.xml", &huge)])
}

pub const VTT: &str = "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Dana Cruz>Our SSO rollout is blocked until SAML works.\n\n\
                       00:00:06.000 --> 00:00:09.000\n<v Kim Park>Understood, we are working on it.\n\n\
                       00:01:40.000 --> 00:01:45.000\n<v Dana Cruz>Also the export keeps timing out.\n";

pub const SRT: &str = "1\n00:00:01,000 --> 00:00:04,000\nLee Wong: The mobile app crashes on upload.\n\n\
                       2\n00:00:05,000 --> 00:00:07,000\nLee Wong: Every single time on Android.\n";

/// A small PDF whose one Flate stream inflates to `inflated` zero bytes.
pub fn pdf_bomb(inflated: usize) -> Vec<u8> {
    let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![0u8; 1 << 16];
    for _ in 0..inflated.div_ceil(block.len()) {
        enc.write_all(&block).unwrap();
    }
    let data = enc.finish().unwrap();
    let mut out = format!(
        "%PDF-1.4\n1 0 obj\n<< /Length {} /Filter /FlateDecode >>\nstream\n",
        data.len()
    )
    .into_bytes();
    out.extend(data);
    out.extend_from_slice(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n");
    out
}
