//! The ticket store. Every write of ticket text clears its embedding, so the embed job and
//! `calculate-voc` know to embed it again; one upsert serves the import and the live pull.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Priority, Status, normalise_key, raw};
use crate::{DomainError, services::Page};

/// A ticket as a person, a file or Jira describes it.
#[derive(Debug, Clone)]
pub struct TicketInput {
    pub jira_key: String,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub priority: Priority,
    pub assignee: Option<String>,
    pub reporter: Option<String>,
    pub labels: Vec<String>,
    pub epic_key: Option<String>,
    pub story_points: Option<i32>,
    pub jira_created_at: Option<DateTime<Utc>>,
    pub jira_updated_at: Option<DateTime<Utc>>,
}

/// Fields to change; `None` keeps the stored value (`Some(None)` clears an optional one).
#[derive(Debug, Clone, Default)]
pub struct TicketPatch {
    pub title: Option<String>,
    pub description: Option<String>,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub assignee: Option<Option<String>>,
    pub reporter: Option<Option<String>>,
    pub labels: Option<Vec<String>>,
    pub epic_key: Option<Option<String>>,
    pub story_points: Option<Option<i32>>,
}

#[derive(Debug, Clone, FromQueryResult)]
pub struct Ticket {
    pub id: Uuid,
    pub workspace_id: Uuid,
    pub jira_key: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub assignee: Option<String>,
    pub reporter: Option<String>,
    pub labels: Value,
    pub epic_key: Option<String>,
    pub story_points: Option<i32>,
    pub jira_created_at: Option<DateTime<Utc>>,
    pub jira_updated_at: Option<DateTime<Utc>>,
    pub embedding_model: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Ticket {
    pub fn labels(&self) -> Vec<String> {
        serde_json::from_value(self.labels.clone()).unwrap_or_default()
    }

    pub fn priority(&self) -> Priority {
        Priority::parse(&self.priority).unwrap_or(Priority::Medium)
    }
}

/// The text a ticket is embedded from.
pub fn embedding_text(title: &str, description: &str) -> String {
    format!("{title}. {description}").trim().to_owned()
}

const COLUMNS: &str = "id, workspace_id, jira_key, title, description, status, priority, assignee, reporter, labels, \
                       epic_key, story_points, jira_created_at, jira_updated_at, embedding_model, created_at, updated_at";

fn input_json(t: &TicketInput) -> Value {
    json!({
        "id": Uuid::new_v4(),
        "jira_key": normalise_key(&t.jira_key),
        "title": t.title.trim(),
        "description": t.description.trim(),
        "status": t.status.as_str(),
        "priority": t.priority.as_str(),
        "assignee": t.assignee,
        "reporter": t.reporter,
        "labels": t.labels,
        "epic_key": t.epic_key.as_deref().map(normalise_key),
        "story_points": t.story_points,
        "jira_created_at": t.jira_created_at,
        "jira_updated_at": t.jira_updated_at,
    })
}

const RECORDSET: &str = "jsonb_to_recordset($2::jsonb) AS x(id uuid, jira_key text, title text, description text, \
    status text, priority text, assignee text, reporter text, labels jsonb, epic_key text, story_points int, \
    jira_created_at timestamptz, jira_updated_at timestamptz)";

const INSERT: &str = "INSERT INTO jira_tickets (id, workspace_id, jira_key, title, description, status, priority, \
    assignee, reporter, labels, epic_key, story_points, jira_created_at, jira_updated_at) \
    SELECT x.id, $1, x.jira_key, x.title, x.description, x.status, x.priority, x.assignee, x.reporter, \
    coalesce(x.labels, '[]'::jsonb), x.epic_key, x.story_points, x.jira_created_at, x.jira_updated_at FROM ";

/// Creates a ticket; a key the workspace already has is a conflict, also when two requests
/// race (the unique index decides).
pub async fn create(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    input: &TicketInput,
) -> Result<Ticket, DomainError> {
    let sql = format!(
        "{INSERT}{RECORDSET} ON CONFLICT (workspace_id, jira_key) DO NOTHING RETURNING {COLUMNS}"
    );
    let row = db
        .query_one_raw(raw(
            &sql,
            vec![workspace_id.into(), json!([input_json(input)]).into()],
        ))
        .await?;
    match row {
        Some(r) => Ok(Ticket::from_query_result(&r, "")?),
        None => Err(DomainError::Conflict(format!(
            "a ticket with key {} already exists",
            normalise_key(&input.jira_key)
        ))),
    }
}

/// What an upsert of many tickets did.
#[derive(Debug, Default, Clone, Serialize, schemars::JsonSchema)]
pub struct UpsertReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// Inserts new keys and updates changed ones in one statement; unchanged rows are not
/// touched (their embedding and score stay valid).
pub async fn upsert_many(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    inputs: &[TicketInput],
) -> Result<UpsertReport, DomainError> {
    if inputs.is_empty() {
        return Ok(UpsertReport::default());
    }
    let rows: Vec<Value> = inputs.iter().map(input_json).collect();
    let changed = "t.title, t.description, t.status, t.priority, t.assignee, t.reporter, t.labels, t.epic_key, \
                   t.story_points, t.jira_created_at, t.jira_updated_at";
    let incoming = "EXCLUDED.title, EXCLUDED.description, EXCLUDED.status, EXCLUDED.priority, \
                    coalesce(EXCLUDED.assignee, t.assignee), coalesce(EXCLUDED.reporter, t.reporter), EXCLUDED.labels, \
                    coalesce(EXCLUDED.epic_key, t.epic_key), coalesce(EXCLUDED.story_points, t.story_points), \
                    coalesce(EXCLUDED.jira_created_at, t.jira_created_at), \
                    coalesce(EXCLUDED.jira_updated_at, t.jira_updated_at)";
    let targets = changed.replace("t.", "");
    let sql = format!(
        "{INSERT}{RECORDSET} ON CONFLICT (workspace_id, jira_key) DO UPDATE SET \
         ({targets}) = ({incoming}), \
         embedding = CASE WHEN (t.title, t.description) IS DISTINCT FROM (EXCLUDED.title, EXCLUDED.description) \
                          THEN NULL ELSE t.embedding END, \
         updated_at = now() \
         WHERE ({changed}) IS DISTINCT FROM ({incoming}) \
         RETURNING (xmax = 0) AS inserted"
    )
    .replace("INSERT INTO jira_tickets ", "INSERT INTO jira_tickets AS t ");
    let written = db
        .query_all_raw(raw(
            &sql,
            vec![workspace_id.into(), Value::Array(rows).into()],
        ))
        .await?;
    let created = written
        .iter()
        .filter(|r| r.try_get::<bool>("", "inserted").unwrap_or(false))
        .count();
    Ok(UpsertReport {
        created,
        updated: written.len() - created,
        unchanged: inputs.len() - written.len(),
    })
}

pub async fn get_by_key(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    key: &str,
) -> Result<Ticket, DomainError> {
    find_by_key(db, workspace_id, key)
        .await?
        .ok_or(DomainError::not_found("ticket"))
}

pub async fn find_by_key(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    key: &str,
) -> Result<Option<Ticket>, DomainError> {
    let sql =
        format!("SELECT {COLUMNS} FROM jira_tickets WHERE workspace_id = $1 AND jira_key = $2");
    let row = db
        .query_one_raw(raw(
            &sql,
            vec![workspace_id.into(), normalise_key(key).into()],
        ))
        .await?;
    Ok(row.map(|r| Ticket::from_query_result(&r, "")).transpose()?)
}

/// How the ticket list is narrowed and ordered; values are already validated.
#[derive(Debug, Clone)]
pub struct TicketQuery {
    pub status: Option<Status>,
    /// Only scored tickets at or above this VOC score; 0 filters nothing (as the original
    /// web UI expects from its slider's resting position).
    pub min_voc_score: Option<f64>,
    /// voc_score (highest first, unscored last), created_at (newest first) or priority
    /// (HIGHEST first); ties by key.
    pub sort_by: String,
    pub page: Page,
}

pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    q: &TicketQuery,
) -> Result<Vec<Ticket>, DomainError> {
    let mut values: Vec<sea_orm::Value> = vec![workspace_id.into()];
    let mut clause = String::new();
    if let Some(status) = q.status {
        values.push(status.as_str().into());
        clause.push_str(&format!(" AND t.status = ${}", values.len()));
    }
    if let Some(min) = q.min_voc_score.filter(|m| *m > 0.0) {
        values.push(min.into());
        clause.push_str(&format!(" AND s.voc_score >= ${}", values.len()));
    }
    let order = match q.sort_by.as_str() {
        "created_at" => "t.created_at DESC",
        "priority" => {
            "array_position(ARRAY['HIGHEST','HIGH','MEDIUM','LOW','LOWEST'], t.priority), s.voc_score DESC NULLS LAST"
        }
        _ => "s.voc_score DESC NULLS LAST",
    };
    let cols = COLUMNS
        .split(", ")
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {cols} FROM jira_tickets t LEFT JOIN jira_voc_scores s ON s.ticket_id = t.id \
         WHERE t.workspace_id = $1{clause} ORDER BY {order}, t.jira_key LIMIT {} OFFSET {}",
        q.page.limit, q.page.offset
    );
    let rows = db.query_all_raw(raw(&sql, values)).await?;
    Ok(rows
        .iter()
        .map(|r| Ticket::from_query_result(r, ""))
        .collect::<Result<_, _>>()?)
}

/// Applies a patch; a changed title or description clears the embedding.
pub async fn update(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    key: &str,
    patch: TicketPatch,
) -> Result<Ticket, DomainError> {
    let current = get_by_key(db, workspace_id, key).await?;
    let pick = |new: Option<Option<String>>, old: Option<String>| new.unwrap_or(old);
    let next = TicketInput {
        jira_key: current.jira_key.clone(),
        title: patch.title.unwrap_or_else(|| current.title.clone()),
        description: patch
            .description
            .unwrap_or_else(|| current.description.clone()),
        status: patch
            .status
            .unwrap_or_else(|| Status::parse(&current.status).unwrap_or(Status::Backlog)),
        priority: patch.priority.unwrap_or_else(|| current.priority()),
        assignee: pick(patch.assignee, current.assignee.clone()),
        reporter: pick(patch.reporter, current.reporter.clone()),
        labels: patch.labels.unwrap_or_else(|| current.labels()),
        epic_key: pick(patch.epic_key, current.epic_key.clone()),
        story_points: patch.story_points.unwrap_or(current.story_points),
        jira_created_at: current.jira_created_at,
        jira_updated_at: current.jira_updated_at,
    };
    next.check()
        .map_err(|p| DomainError::invalid(p.field, p.message))?;
    let v = input_json(&next);
    let sql = format!(
        "UPDATE jira_tickets t SET title = x.title, description = x.description, status = x.status, \
         priority = x.priority, assignee = x.assignee, reporter = x.reporter, labels = x.labels, \
         epic_key = x.epic_key, story_points = x.story_points, updated_at = now(), \
         embedding = CASE WHEN (t.title, t.description) IS DISTINCT FROM (x.title, x.description) \
                          THEN NULL ELSE t.embedding END \
         FROM {RECORDSET} WHERE t.workspace_id = $1 AND t.id = $3 RETURNING {}",
        COLUMNS
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let row = db
        .query_one_raw(raw(
            &sql,
            vec![workspace_id.into(), json!([v]).into(), current.id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("ticket"))?;
    Ok(Ticket::from_query_result(&row, "")?)
}

pub async fn delete(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    key: &str,
) -> Result<(), DomainError> {
    let done = db
        .execute_raw(raw(
            "DELETE FROM jira_tickets WHERE workspace_id = $1 AND jira_key = $2",
            vec![workspace_id.into(), normalise_key(key).into()],
        ))
        .await?;
    if done.rows_affected() == 0 {
        return Err(DomainError::not_found("ticket"));
    }
    Ok(())
}

/// Ids of every ticket of the workspace, by key.
pub async fn all_ids(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<Vec<Uuid>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT id FROM jira_tickets WHERE workspace_id = $1 ORDER BY jira_key",
            vec![workspace_id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get::<Uuid>("", "id"))
        .collect::<Result<_, _>>()?)
}

/// Whether the workspace has any ticket.
pub async fn any(db: &impl ConnectionTrait, workspace_id: Uuid) -> Result<bool, DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT EXISTS (SELECT 1 FROM jira_tickets WHERE workspace_id = $1) AS any",
            vec![workspace_id.into()],
        ))
        .await?;
    Ok(row
        .map(|r| r.try_get::<bool>("", "any"))
        .transpose()?
        .unwrap_or(false))
}
