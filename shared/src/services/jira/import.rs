//! Tickets in bulk: a Jira CSV export (Issue key, Summary, Description, Status, Priority,
//! repeated Labels columns, Story Points, Epic Link, Created, Updated …) read into ticket
//! inputs, with every row that cannot be used reported by number and reason. The same
//! limits apply to tickets from the API.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

use super::{Priority, Status, tickets::TicketInput};
use crate::ingest::{
    csv::{normalise_header, parse_date},
    item::decode_text,
};

pub const MAX_KEY_CHARS: usize = 50;
pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_DESCRIPTION_CHARS: usize = 50_000;
pub const MAX_LABELS: usize = 50;
pub const MAX_NAME_CHARS: usize = 255;

/// A field of one ticket that breaks a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldProblem {
    pub field: &'static str,
    pub message: String,
}

fn problem(field: &'static str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field,
        message: message.into(),
    }
}

impl TicketInput {
    /// The rules every ticket meets, wherever it came from.
    pub fn check(&self) -> Result<(), FieldProblem> {
        let key = self.jira_key.trim();
        if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
            return Err(problem(
                "jira_key",
                format!("must be 1-{MAX_KEY_CHARS} characters"),
            ));
        }
        if key
            .chars()
            .any(|c| c.is_whitespace() || c == '/' || c.is_control())
        {
            return Err(problem(
                "jira_key",
                "must not contain spaces or slashes (e.g. PROD-123)",
            ));
        }
        let title = self.title.trim().chars().count();
        if title == 0 || title > MAX_TITLE_CHARS {
            return Err(problem(
                "title",
                format!("must be 1-{MAX_TITLE_CHARS} characters"),
            ));
        }
        if self.description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(problem(
                "description",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        if self.labels.len() > MAX_LABELS
            || self
                .labels
                .iter()
                .any(|l| l.trim().is_empty() || l.chars().count() > 100)
        {
            return Err(problem(
                "labels",
                format!("at most {MAX_LABELS} labels of 1-100 characters"),
            ));
        }
        for (field, value) in [
            ("assignee", &self.assignee),
            ("reporter", &self.reporter),
            ("epic_key", &self.epic_key),
        ] {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > MAX_NAME_CHARS)
            {
                return Err(problem(
                    field,
                    format!("must be at most {MAX_NAME_CHARS} characters"),
                ));
            }
        }
        if self.story_points.is_some_and(|p| !(0..=1000).contains(&p)) {
            return Err(problem("story_points", "must be between 0 and 1000"));
        }
        Ok(())
    }
}

/// A row the import could not use.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SkippedRow {
    /// 1-based line of the CSV (the header is line 1) or 0-based index of the JSON array.
    pub row: usize,
    pub jira_key: Option<String>,
    pub reason: String,
}

/// What a file held: usable tickets (one per key, the last row winning) and the rest.
#[derive(Debug, Default)]
pub struct ParsedTickets {
    pub tickets: Vec<TicketInput>,
    pub skipped: Vec<SkippedRow>,
    by_key: HashMap<String, usize>,
}

impl ParsedTickets {
    /// Adds a checked ticket; a key seen before is replaced (a later row is newer).
    pub fn push(&mut self, row: usize, input: Result<TicketInput, FieldProblem>) {
        match input.and_then(|t| t.check().map(|()| t)) {
            Ok(t) => {
                let key = super::normalise_key(&t.jira_key);
                match self.by_key.get(&key) {
                    Some(&pos) => self.tickets[pos] = t,
                    None => {
                        self.by_key.insert(key, self.tickets.len());
                        self.tickets.push(t);
                    }
                }
            }
            Err(p) => self.skipped.push(SkippedRow {
                row,
                jira_key: None,
                reason: format!("{}: {}", p.field, p.message),
            }),
        }
    }
}

/// A whole-file problem: not text, no header, or not a Jira export.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportError(pub String);

const KEY: &[&str] = &["issue key", "key", "jira_key", "ticket key"];
const SUMMARY: &[&str] = &["summary", "title"];
const DESCRIPTION: &[&str] = &["description"];
const STATUS: &[&str] = &["status"];
const PRIORITY: &[&str] = &["priority"];
const ASSIGNEE: &[&str] = &["assignee"];
const REPORTER: &[&str] = &["reporter"];
const LABELS: &[&str] = &["labels", "label"];
const POINTS: &[&str] = &[
    "story points",
    "custom field (story points)",
    "custom field (story point estimate)",
    "story point estimate",
    "story_points",
];
const EPIC: &[&str] = &[
    "custom field (epic link)",
    "epic link",
    "epic_key",
    "parent",
    "parent key",
];
const CREATED: &[&str] = &["created"];
const UPDATED: &[&str] = &["updated"];

/// Jira's export format (`15/Jan/25 10:30 AM`), then the usual ISO and US/EU forms.
fn jira_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    for fmt in [
        "%d/%b/%y %I:%M %p",
        "%d/%b/%Y %I:%M %p",
        "%d/%b/%y %H:%M",
        "%d/%b/%Y %H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.and_utc());
        }
    }
    parse_date(s)
}

/// Reads a Jira CSV export; at most `max_rows` data rows.
pub fn parse_csv(bytes: &[u8], max_rows: usize) -> Result<ParsedTickets, ImportError> {
    let text = decode_text(bytes).map_err(|e| ImportError(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| ImportError(format!("could not read the CSV header: {e}")))?
        .iter()
        .map(normalise_header)
        .collect();
    let columns = |names: &[&str]| -> Vec<usize> {
        let wanted: Vec<String> = names.iter().map(|n| normalise_header(n)).collect();
        headers
            .iter()
            .enumerate()
            .filter(|(_, h)| wanted.contains(h))
            .map(|(i, _)| i)
            .collect()
    };
    let first = |names: &[&str]| columns(names).into_iter().next();
    let (Some(key_col), Some(summary_col)) = (first(KEY), first(SUMMARY)) else {
        return Err(ImportError(
            "not a Jira CSV export: the header needs an \"Issue key\" and a \"Summary\" column"
                .into(),
        ));
    };
    let cols: HashMap<&str, Option<usize>> = [
        ("description", first(DESCRIPTION)),
        ("status", first(STATUS)),
        ("priority", first(PRIORITY)),
        ("assignee", first(ASSIGNEE)),
        ("reporter", first(REPORTER)),
        ("points", first(POINTS)),
        ("epic", first(EPIC)),
        ("created", first(CREATED)),
        ("updated", first(UPDATED)),
    ]
    .into();
    // Jira writes one "Labels" column per label.
    let label_cols = columns(LABELS);
    let mut out = ParsedTickets::default();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        if i >= max_rows {
            return Err(ImportError(format!(
                "the file has more than {max_rows} tickets; split it into smaller files"
            )));
        }
        let record = record.map_err(|e| ImportError(format!("line {line}: {e}")))?;
        let cell = |c: Option<usize>| {
            c.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let key = cell(Some(key_col));
        let parsed = (|| {
            let status = Status::parse_jira(&cell(cols["status"]).unwrap_or_default())
                .map_err(|m| problem("status", m))?;
            let priority = Priority::parse_jira(&cell(cols["priority"]).unwrap_or_default())
                .map_err(|m| problem("priority", m))?;
            let story_points = match cell(cols["points"]) {
                None => None,
                Some(v) => Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|p| p.is_finite())
                        .map(|p| p.round() as i32)
                        .ok_or_else(|| problem("story_points", format!("{v:?} is not a number")))?,
                ),
            };
            Ok(TicketInput {
                jira_key: key.clone().unwrap_or_default(),
                title: cell(Some(summary_col)).unwrap_or_default(),
                description: cell(cols["description"]).unwrap_or_default(),
                status,
                priority,
                assignee: cell(cols["assignee"]),
                reporter: cell(cols["reporter"]),
                labels: label_cols
                    .iter()
                    .filter_map(|c| cell(Some(*c)))
                    .flat_map(|v| v.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
                    .collect(),
                epic_key: cell(cols["epic"]),
                story_points,
                jira_created_at: cell(cols["created"]).and_then(|v| jira_date(&v)),
                jira_updated_at: cell(cols["updated"]).and_then(|v| jira_date(&v)),
            })
        })();
        let before = out.skipped.len();
        out.push(line, parsed);
        if out.skipped.len() > before
            && let Some(last) = out.skipped.last_mut()
        {
            last.jira_key = key;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXPORT: &str = "\u{feff}Summary,Issue key,Issue id,Issue Type,Status,Priority,Assignee,Reporter,Created,Updated,Labels,Labels,Description,Custom field (Story Points),Custom field (Epic Link)\n\
Rate limit the public API,PROD-1,10001,Story,To Do,High,jane,pm@x.io,15/Jan/25 10:30 AM,16/Jan/25 9:00 AM,api,performance,\"Customers hit 429s, often\",8.0,PROD-100\n\
SSO for Okta,prod-2,10002,Story,In Progress,Blocker,,,2025-01-10,,sso,,,3,\n\
,PROD-3,10003,Bug,Done,Low,,,,,,,,,\n\
Bad status,PROD-4,10004,Bug,Exploded,Low,,,,,,,,,\n\
Rate limit the public API v2,PROD-1,10001,Story,Backlog,Highest,,,,,,,,,\n";

    #[test]
    fn a_jira_export_is_read_with_repeated_labels_and_jira_names() {
        let parsed = parse_csv(EXPORT.as_bytes(), 100).unwrap();
        assert_eq!(parsed.tickets.len(), 2);
        let sso = parsed
            .tickets
            .iter()
            .find(|t| t.jira_key == "prod-2")
            .unwrap();
        assert_eq!(
            (sso.status, sso.priority),
            (Status::InProgress, Priority::Highest)
        );
        assert_eq!(sso.labels, vec!["sso"]);
        assert_eq!(sso.story_points, Some(3));
        let rate = parsed
            .tickets
            .iter()
            .find(|t| t.jira_key == "PROD-1")
            .unwrap();
        assert_eq!(
            rate.title, "Rate limit the public API v2",
            "the later row wins"
        );
        let skipped: Vec<_> = parsed
            .skipped
            .iter()
            .map(|s| (s.row, s.jira_key.clone()))
            .collect();
        assert_eq!(
            skipped,
            vec![(4, Some("PROD-3".into())), (5, Some("PROD-4".into()))]
        );
        assert!(parsed.skipped[0].reason.starts_with("title"));
        assert!(parsed.skipped[1].reason.contains("Exploded"));
    }

    #[test]
    fn dates_points_and_labels_of_the_first_row() {
        let text = EXPORT.lines().take(2).collect::<Vec<_>>().join("\n");
        let parsed = parse_csv(text.as_bytes(), 100).unwrap();
        let t = &parsed.tickets[0];
        assert_eq!(t.labels, vec!["api", "performance"]);
        assert_eq!(t.story_points, Some(8));
        assert_eq!(t.epic_key.as_deref(), Some("PROD-100"));
        assert_eq!(t.description, "Customers hit 429s, often");
        assert_eq!(
            t.jira_created_at.unwrap().to_rfc3339(),
            "2025-01-15T10:30:00+00:00"
        );
    }

    #[test]
    fn a_file_without_key_and_summary_is_refused() {
        let err = parse_csv(b"feedback,customer\nslow,acme\n", 10).unwrap_err();
        assert!(err.0.contains("Issue key"));
        assert!(
            parse_csv(EXPORT.as_bytes(), 2)
                .unwrap_err()
                .0
                .contains("more than 2")
        );
    }
}
