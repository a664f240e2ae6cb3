//! Taking an insight to the roadmap: a Jira issue created from the insight (or its PRD) in
//! the connected site, linking back to the insight; the issue is then stored as a ticket,
//! matched to the insight (confirmed) and scored like any other, and the insight shows it.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{
    Priority, Status,
    ticket_scores::score_from_matches,
    tickets::{self, TicketInput},
};
use crate::{
    DomainError,
    config::Settings,
    db::statement as raw,
    services::{
        audit::{self, Event, Origin},
        integrations::{
            crypto::TokenCipher,
            jira_issues::{NewIssue, create_issue},
            vendor::SyncError,
        },
        principal::Principal,
    },
};

/// What becomes the issue's description.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PushKind {
    /// The insight with its customers and key quotes.
    Insight,
    /// The insight's PRD.
    Prd,
}

impl PushKind {
    fn as_str(self) -> &'static str {
        match self {
            PushKind::Insight => "insight",
            PushKind::Prd => "prd",
        }
    }
}

/// An issue created from an insight.
#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct JiraLink {
    pub jira_key: String,
    /// Where a browser opens the issue.
    pub url: String,
    /// `insight` or `prd`.
    pub kind: String,
    pub pushed_by: String,
    pub created_at: DateTime<Utc>,
}

/// The issues created from an insight, oldest first.
pub async fn links(
    db: &impl ConnectionTrait,
    ws: Uuid,
    insight_id: Uuid,
) -> Result<Vec<JiraLink>, DomainError> {
    Ok(JiraLink::find_by_statement(raw(
        "SELECT jira_key, url, kind, pushed_by, created_at FROM jira_pushes \
         WHERE workspace_id = $1 AND insight_id = $2 ORDER BY created_at",
        [ws.into(), insight_id.into()],
    ))
    .all(db)
    .await?)
}

/// The issue to create for an insight.
pub struct Push<'a> {
    pub insight_id: Uuid,
    pub title: &'a str,
    pub severity: &'a str,
    pub kind: PushKind,
    /// The description as Markdown (the insight's export, or its PRD).
    pub markdown: &'a str,
    pub project_key: &'a str,
    pub issue_type: &'a str,
}

fn priority_for(severity: &str) -> Priority {
    match severity {
        "critical" => Priority::Highest,
        "high" => Priority::High,
        "low" => Priority::Low,
        _ => Priority::Medium,
    }
}

/// Creates the issue, then in one transaction stores it as a ticket confirmed against the
/// insight, scores it, remembers the link and writes the audit entry. Pushing the same
/// kind twice is a conflict naming the issue that exists.
pub async fn push(
    db: &DatabaseConnection,
    settings: &Settings,
    cipher: &TokenCipher,
    who: &Principal,
    from: &Origin,
    p: Push<'_>,
) -> Result<JiraLink, SyncError> {
    let ws = who.workspace_id;
    if let Some(existing) = links(db, ws, p.insight_id)
        .await?
        .into_iter()
        .find(|l| l.kind == p.kind.as_str())
    {
        return Err(DomainError::Conflict(format!(
            "this {} is already in Jira as {} ({})",
            p.kind.as_str(),
            existing.jira_key,
            existing.url
        ))
        .into());
    }
    let link_back = format!(
        "{}/app/insights/{}",
        settings.integrations.public_url.trim_end_matches('/'),
        p.insight_id
    );
    let summary = match p.kind {
        PushKind::Insight => p.title.to_owned(),
        PushKind::Prd => format!("PRD: {}", p.title),
    };
    let created = create_issue(
        db,
        &settings.integrations,
        cipher,
        ws,
        NewIssue {
            project_key: p.project_key,
            issue_type: p.issue_type,
            summary: &summary,
            description: p.markdown,
            link_back: &link_back,
            labels: &["produckai"],
        },
    )
    .await?;
    let txn = db.begin().await?;
    let input = TicketInput {
        jira_key: created.key.clone(),
        title: summary
            .chars()
            .take(super::import::MAX_TITLE_CHARS)
            .collect(),
        description: p.markdown.chars().take(10_000).collect(),
        status: Status::Open,
        priority: priority_for(p.severity),
        assignee: None,
        reporter: Some(who.display_name()),
        labels: vec!["produckai".into()],
        epic_key: None,
        story_points: None,
        jira_created_at: Some(Utc::now()),
        jira_updated_at: Some(Utc::now()),
    };
    tickets::upsert_many(&txn, ws, std::slice::from_ref(&input)).await?;
    let ticket = tickets::get_by_key(&txn, ws, &created.key).await?;
    txn.execute_raw(raw(
        "INSERT INTO jira_insight_matches (ticket_id, insight_id, similarity, confidence, is_confirmed) \
         VALUES ($1, $2, 1, 'high', 1) ON CONFLICT (ticket_id, insight_id) DO UPDATE SET is_confirmed = 1, updated_at = now()",
        [ticket.id.into(), p.insight_id.into()],
    ))
    .await?;
    let row = txn
        .query_one_raw(raw(
            "INSERT INTO jira_pushes (id, workspace_id, insight_id, kind, jira_key, url, ticket_id, pushed_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING jira_key, url, kind, pushed_by, created_at",
            vec![
                Uuid::now_v7().into(),
                ws.into(),
                p.insight_id.into(),
                p.kind.as_str().into(),
                created.key.clone().into(),
                created.url.clone().into(),
                ticket.id.into(),
                who.display_name().into(),
            ],
        ))
        .await
        .map_err(|e| {
            // Two pushes of the same kind at once: both created an issue, one link is kept.
            if DomainError::is_unique_violation(&e) {
                DomainError::Conflict(format!(
                    "this {} was pushed by someone else a moment ago; {} was created in Jira as well and is not linked",
                    p.kind.as_str(),
                    created.key
                ))
            } else {
                e.into()
            }
        })?
        .ok_or(DomainError::not_found("jira push"))?;
    score_from_matches(&txn, ws, &[ticket.id], settings.jira.similarity_threshold).await?;
    let event = Event::new("insight.pushed_to_jira", "insight", p.insight_id).details(json!({
        "kind": p.kind.as_str(), "jira_key": created.key, "url": created.url, "project_key": p.project_key,
    }));
    audit::commit(txn, who, from, event).await?;
    Ok(JiraLink::from_query_result(&row, "")?)
}
