//! CSV feedback exports: finds the text, customer, ACV, segment, contact and date columns
//! by their usual names (case-insensitive, BOM-tolerant); rows without text are skipped.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::item::{ParseError, ParsedFile, ParsedItem, decode_text};
use crate::segment::{Segment, parse_acv};

const TEXT: &[&str] = &[
    "feedback",
    "text",
    "comment",
    "comments",
    "description",
    "message",
    "body",
];
const CUSTOMER: &[&str] = &[
    "customer",
    "company",
    "company name",
    "account",
    "customer name",
    "customer_name",
    "company_name",
    "account name",
];
const ACV: &[&str] = &[
    "acv",
    "arr",
    "annual_contract_value",
    "annual contract value",
];
const SEGMENT: &[&str] = &["segment", "tier"];
const CONTACT: &[&str] = &[
    "contact",
    "company contact",
    "email",
    "contact email",
    "contact_email",
];
const DATE: &[&str] = &["date", "created_at", "timestamp", "created", "submitted_at"];

/// What one row keeps of its other columns in `meta.columns`: a wide header of long names
/// copied into every row once turned a 2 MB file into gigabytes.
const META_MAX_COLUMNS: usize = 32;
const META_MAX_NAME_CHARS: usize = 64;
const META_MAX_VALUE_CHARS: usize = 500;
const META_MAX_BYTES: usize = 4096;

fn truncate_chars(s: &str, max: usize) -> &str {
    s.char_indices().nth(max).map_or(s, |(at, _)| &s[..at])
}

pub(crate) fn normalise_header(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .to_lowercase()
        .replace(['-', '.'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn find(headers: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|n| {
        let n = normalise_header(n);
        headers
            .iter()
            .position(|h| *h == n || h.replace(' ', "_") == n.replace(' ', "_"))
    })
}

/// Parses ISO-8601 datetimes, plain dates and a few common US/EU date forms.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc());
        }
    }
    for fmt in ["%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y", "%Y/%m/%d"] {
        if let Ok(d) = NaiveDate::parse_from_str(s, fmt) {
            return d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc());
        }
    }
    None
}

pub fn parse(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    parse_at_most(bytes, usize::MAX, &crate::jobs::CancelFlag::new())
}

/// `parse`, refusing the file as soon as it holds more than `max_items` feedback rows, so a
/// huge file never builds a huge item list first; stops when `cancel` is raised.
pub fn parse_at_most(
    bytes: &[u8],
    max_items: usize,
    cancel: &crate::jobs::CancelFlag,
) -> Result<ParsedFile, ParseError> {
    let text = decode_text(bytes)?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ParseError::new(format!("could not read the CSV header: {e}")))?
        .iter()
        .map(normalise_header)
        .collect();
    let Some(text_col) = find(&headers, TEXT) else {
        return Err(ParseError::new(format!(
            "no feedback text column: expected one of {}; found {}",
            TEXT.join(", "),
            if headers.is_empty() {
                "no columns".to_owned()
            } else {
                headers.join(", ")
            }
        )));
    };
    let customer_col = find(&headers, CUSTOMER);
    let acv_col = find(&headers, ACV);
    let segment_col = find(&headers, SEGMENT);
    let contact_col = find(&headers, CONTACT);
    let date_col = find(&headers, DATE);
    // The columns `meta.columns` may carry, with their names cut once for every row.
    let meta_columns: Vec<(usize, &str)> = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| ![Some(text_col), contact_col].contains(&Some(*i)))
        .map(|(i, h)| (i, truncate_chars(h, META_MAX_NAME_CHARS)))
        .take(META_MAX_COLUMNS)
        .collect();
    let mut out = ParsedFile::default();
    for (row_no, record) in reader.records().enumerate() {
        if row_no % 1024 == 0 && cancel.is_cancelled() {
            return Err(ParseError::new(
                "parsing was stopped: the job was cancelled",
            ));
        }
        let record = record.map_err(|e| ParseError::new(format!("row {}: {e}", row_no + 2)))?;
        let cell = |col: Option<usize>| {
            col.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let Some(body) = cell(Some(text_col)) else {
            out.skipped += 1;
            continue;
        };
        if out.items.len() == max_items {
            return Err(super::too_many_items(max_items));
        }
        let mut meta = Map::new();
        meta.insert("row".into(), Value::from(row_no + 2));
        meta.insert(
            "columns".into(),
            Value::Object(row_columns(&record, &meta_columns)),
        );
        out.items.push(ParsedItem {
            text: body.to_owned(),
            key: format!("row-{}", row_no + 2),
            customer: cell(customer_col).map(str::to_owned),
            acv: cell(acv_col).and_then(parse_acv),
            segment: cell(segment_col).and_then(|s| s.parse::<Segment>().ok()),
            contact_email: cell(contact_col).map(str::to_owned),
            created_at: cell(date_col).and_then(parse_date),
            meta,
            ..Default::default()
        });
    }
    Ok(out)
}

/// A row's other non-empty cells, by column name, within the meta bounds.
fn row_columns(record: &csv::StringRecord, columns: &[(usize, &str)]) -> Map<String, Value> {
    let mut extra = Map::new();
    let mut bytes = 0;
    for (i, name) in columns {
        let Some(value) = record.get(*i).filter(|v| !v.is_empty()) else {
            continue;
        };
        let value = truncate_chars(value, META_MAX_VALUE_CHARS);
        bytes += name.len() + value.len();
        if bytes > META_MAX_BYTES {
            break;
        }
        extra.insert((*name).to_owned(), Value::from(value));
    }
    extra
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_odd_headers_are_recognised() {
        let csv = "\u{feff}Company Name,ARR,Company Contact,Feedback,Date\n\
                   Acme Corp,\"$250,000\",jo@acme.com,Exports time out on big reports,2026-10-01\n\
                   Tiny Co,12k,,,2026-10-02\n\
                   Globex,75000,,Search misses obvious matches,\n";
        let parsed = parse(csv.as_bytes()).unwrap();
        assert_eq!(parsed.items.len(), 2);
        assert_eq!(parsed.skipped, 1);
        let first = &parsed.items[0];
        assert_eq!(first.text, "Exports time out on big reports");
        assert_eq!(first.customer.as_deref(), Some("Acme Corp"));
        assert_eq!(first.acv, Some(250_000.0));
        assert_eq!(first.contact_email.as_deref(), Some("jo@acme.com"));
        assert_eq!(
            first.created_at.unwrap().to_rfc3339(),
            "2026-10-01T00:00:00+00:00"
        );
        assert_eq!(first.key, "row-2");
        assert_eq!(parsed.items[1].acv, Some(75_000.0));
        assert!(
            first.meta["columns"].get("company contact").is_none(),
            "contacts stay out of meta"
        );
    }

    #[test]
    fn a_wide_header_of_long_names_is_bounded_in_every_row() {
        let names: Vec<String> = (0..2000)
            .map(|i| format!("{i:04}{}", "n".repeat(500)))
            .collect();
        let mut csv = format!("feedback,{}\n", names.join(","));
        for _ in 0..50 {
            csv.push_str("row text");
            csv.push_str(&",v".repeat(names.len()));
            csv.push('\n');
        }
        let parsed = parse(csv.as_bytes()).unwrap();
        assert_eq!(parsed.items.len(), 50);
        for item in &parsed.items {
            let columns = item.meta["columns"].as_object().unwrap();
            assert!(columns.len() <= META_MAX_COLUMNS, "{}", columns.len());
            let bytes: usize = columns
                .iter()
                .map(|(k, v)| k.len() + v.as_str().unwrap().len())
                .sum();
            assert!(bytes <= META_MAX_BYTES, "{bytes}");
            assert!(
                columns
                    .keys()
                    .all(|k| k.chars().count() <= META_MAX_NAME_CHARS)
            );
        }
    }

    #[test]
    fn a_csv_without_a_text_column_is_refused_naming_the_columns() {
        let err = parse(b"name,score\nA,1\n").unwrap_err();
        assert!(
            err.0.contains("no feedback text column") && err.0.contains("name, score"),
            "{err}"
        );
    }

    #[test]
    fn binary_and_invalid_utf8_are_refused() {
        assert!(
            parse(b"\x89PNG\r\n\x1a\n\0\0\0IHDR")
                .unwrap_err()
                .0
                .contains("binary")
        );
        assert!(
            parse(b"feedback\nbad \xff\xfe byte\n")
                .unwrap_err()
                .0
                .contains("UTF-8")
        );
    }

    #[test]
    fn segments_and_dates_in_several_forms() {
        let csv =
            "text,segment,created_at\nA thing,ENT,2026-09-30T10:00:00Z\nB thing,smb,09/15/2026\n";
        let p = parse(csv.as_bytes()).unwrap();
        assert_eq!(p.items[0].segment, Some(Segment::Ent));
        assert_eq!(p.items[1].segment, Some(Segment::Smb));
        assert_eq!(
            p.items[1].created_at.unwrap().date_naive().to_string(),
            "2026-09-15"
        );
    }
}
