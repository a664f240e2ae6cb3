//! The built-in demo data set (shared/demo): Slack, Jira, Google Docs and Zoom feedback from
//! eight fictional accounts. Loading it twice changes nothing.

use chrono::{Duration, Utc};
use sea_orm::{TransactionSession, TransactionTrait};
use serde::Deserialize;
use serde_json::json;

use crate::{
    DomainError,
    entities::workspace,
    ingest::chunk,
    services::{
        customers::{self, CustomerFacts},
        feedback::{self, IngestReport, NewFeedback},
        integrations::meeting_transcript::Transcript,
        source::Source,
    },
};

/// How the seed contract words a demo load's count, e.g. "Ingested 26 Slack messages".
pub fn noun(source: Source) -> &'static str {
    match source {
        Source::Slack => "Slack messages",
        Source::Jira => "Jira issues",
        Source::Google => "Google Docs chunks",
        Source::Zoom => "Zoom transcript chunks",
        Source::Upload | Source::Api => "items",
    }
}

#[derive(Deserialize)]
struct DemoCustomer {
    name: String,
    acv: f64,
    email_domain: String,
}

#[derive(Deserialize)]
struct SlackMessage {
    ts: String,
    channel: String,
    user: String,
    account: String,
    days_ago: i64,
    text: String,
}

#[derive(Deserialize)]
struct JiraIssue {
    key: String,
    title: String,
    description: String,
    status: String,
    priority: String,
    account: String,
    days_ago: i64,
}

#[derive(Deserialize)]
struct DocEntry {
    document_id: String,
    file: String,
    owner: String,
    account: String,
    days_ago: i64,
}

#[derive(Deserialize)]
struct MeetingEntry {
    meeting_id: String,
    file: String,
    topic: String,
    account: String,
    days_ago: i64,
}

const CUSTOMERS: &str = include_str!("../../demo/customers.json");
const SLACK: &str = include_str!("../../demo/slack.jsonl");
const JIRA: &str = include_str!("../../demo/jira.json");
const GDOCS: &str = include_str!("../../demo/gdocs.json");
const ZOOM: &str = include_str!("../../demo/zoom.json");

fn doc_file(name: &str) -> Option<&'static str> {
    match name {
        "enterprise-interviews.md" => {
            Some(include_str!("../../demo/gdocs/enterprise-interviews.md"))
        }
        "helios-qbr.md" => Some(include_str!("../../demo/gdocs/helios-qbr.md")),
        "support-digest.md" => Some(include_str!("../../demo/gdocs/support-digest.md")),
        "acme-discovery.vtt" => Some(include_str!("../../demo/zoom/acme-discovery.vtt")),
        "globex-renewal.vtt" => Some(include_str!("../../demo/zoom/globex-renewal.vtt")),
        _ => None,
    }
}

fn bad(e: impl std::fmt::Display) -> DomainError {
    DomainError::Other(anyhow::anyhow!("demo data is malformed: {e}"))
}

/// Midday `days_ago` days before now, so reloading the same day keeps the same dates.
fn day(days_ago: i64) -> chrono::DateTime<Utc> {
    let today = Utc::now()
        .date_naive()
        .and_hms_opt(12, 0, 0)
        .map(|d| d.and_utc())
        .unwrap_or_else(Utc::now);
    today - Duration::days(days_ago)
}

fn items(source: Source) -> Result<Vec<NewFeedback>, DomainError> {
    let mut out = Vec::new();
    match source {
        Source::Slack => {
            for line in SLACK.lines().filter(|l| !l.trim().is_empty()) {
                let m: SlackMessage = serde_json::from_str(line).map_err(bad)?;
                out.push(NewFeedback {
                    source: Source::Slack.feedback_name(),
                    source_id: m.ts.clone(),
                    text: m.text,
                    account: Some(m.account),
                    created_at: Some(day(m.days_ago)),
                    meta: json!({"channel": format!("#{}", m.channel), "user": m.user, "ts": m.ts}),
                    ..Default::default()
                });
            }
        }
        Source::Jira => {
            let issues: Vec<JiraIssue> = serde_json::from_str(JIRA).map_err(bad)?;
            for i in issues {
                out.push(NewFeedback {
                    source: Source::Jira.feedback_name(),
                    source_id: i.key.clone(),
                    text: format!("{}. {}", i.title, i.description),
                    account: Some(i.account),
                    created_at: Some(day(i.days_ago)),
                    meta: json!({"key": i.key, "title": i.title, "status": i.status, "priority": i.priority}),
                    ..Default::default()
                });
            }
        }
        Source::Google => {
            let docs: Vec<DocEntry> = serde_json::from_str(GDOCS).map_err(bad)?;
            for d in docs {
                let text = doc_file(&d.file).ok_or_else(|| bad(&d.file))?;
                let title = text
                    .lines()
                    .next()
                    .and_then(|l| l.strip_prefix("# "))
                    .unwrap_or(&d.file)
                    .to_owned();
                let chunks = chunk::chunk(text, chunk::DEFAULT_MAX_CHARS, chunk::DEFAULT_OVERLAP);
                let total = chunks.len();
                for c in chunks {
                    out.push(NewFeedback {
                        source: Source::Google.feedback_name(),
                        source_id: format!("{}_chunk_{}", d.document_id, c.index),
                        text: c.text,
                        account: Some(d.account.clone()),
                        created_at: Some(day(d.days_ago)),
                        meta: json!({
                            "document_id": d.document_id, "title": title, "owner": d.owner, "filename": d.file,
                            "chunk_idx": c.index, "total_chunks": total, "heading": c.heading,
                            "header_level": c.header_level,
                        }),
                        doc_url: Some(format!("demo://gdocs/{}", d.file)),
                        ..Default::default()
                    });
                }
            }
        }
        Source::Zoom => {
            let meetings: Vec<MeetingEntry> = serde_json::from_str(ZOOM).map_err(bad)?;
            for m in meetings {
                let vtt = doc_file(&m.file).ok_or_else(|| bad(&m.file))?;
                let transcript = Transcript {
                    meeting_id: &m.meeting_id,
                    topic: &m.topic,
                    account: Some(m.account.clone()),
                    started: day(m.days_ago),
                    doc_url: Some(format!("demo://zoom/{}", m.file)),
                    vtt,
                };
                out.extend(transcript.items().map_err(bad)?);
            }
        }
        // Nothing to load: these sources have no demo data.
        Source::Upload | Source::Api => {}
    }
    Ok(out)
}

/// Loads the demo accounts and one source's demo feedback in one transaction.
pub async fn load(
    db: &impl TransactionTrait,
    workspace: &workspace::Model,
    source: Source,
) -> Result<IngestReport, DomainError> {
    let accounts: Vec<DemoCustomer> = serde_json::from_str(CUSTOMERS).map_err(bad)?;
    let feedback_items = items(source)?;
    let txn = db.begin().await?;
    for c in accounts {
        let facts = CustomerFacts {
            acv: Some(c.acv),
            segment: None,
            email_domain: Some(c.email_domain),
        };
        customers::upsert(&txn, workspace.id, &c.name, &facts).await?;
    }
    let report = feedback::ingest(&txn, workspace, feedback_items).await?;
    txn.commit().await?;
    Ok(report)
}

/// Loads every source; used by `produck-api seed-demo`.
pub async fn load_all(
    db: &impl TransactionTrait,
    workspace: &workspace::Model,
) -> Result<Vec<(Source, IngestReport)>, DomainError> {
    let mut out = Vec::new();
    for source in Source::DEMO {
        out.push((source, load(db, workspace, source).await?));
    }
    Ok(out)
}

/// The number of demo items per source (for documentation and tests).
pub fn size(source: Source) -> usize {
    items(source).map(|v| v.len()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_set_is_large_and_varied() {
        let sizes: Vec<usize> = Source::DEMO.iter().map(|s| size(*s)).collect();
        assert!(sizes.iter().all(|n| *n > 0), "{sizes:?}");
        assert!(sizes.iter().sum::<usize>() >= 60, "{sizes:?}");
        let all: Vec<NewFeedback> = Source::DEMO
            .iter()
            .flat_map(|s| items(*s).unwrap())
            .collect();
        let accounts: std::collections::BTreeSet<_> =
            all.iter().filter_map(|f| f.account.clone()).collect();
        assert!(accounts.len() >= 6);
        assert!(
            all.iter()
                .all(|f| f.created_at.unwrap() > Utc::now() - Duration::days(91))
        );
        assert!(
            all.iter()
                .filter(|f| f.created_at.unwrap() > Utc::now() - Duration::days(30))
                .count()
                > 30
        );
    }
}
