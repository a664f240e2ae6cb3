//! Conversations belong to one caller (`Principal::label`); another caller's conversation
//! does not exist for them. A question and its answer are written in one transaction.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, TransactionTrait};
use serde::Serialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Answer, Citation, InlineCitation};
use crate::{DomainError, ai::chat::Turn, db::statement as raw};

/// Longest title taken from a first question.
const TITLE_CHARS: usize = 60;

#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct Conversation {
    pub id: Uuid,
    pub title: String,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Message {
    pub id: Uuid,
    /// user or assistant.
    pub role: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub citations: Vec<Citation>,
    pub inline_citations: Vec<InlineCitation>,
    /// `llm` or `fallback` for answers.
    pub generated_by: Option<String>,
    pub model: Option<String>,
    pub tokens_used: i32,
}

const COLUMNS: &str = "id, title, archived, created_at, updated_at";

pub fn title_from(question: &str) -> String {
    let q = question.split_whitespace().collect::<Vec<_>>().join(" ");
    if q.chars().count() <= TITLE_CHARS {
        return q;
    }
    let cut: String = q.chars().take(TITLE_CHARS).collect();
    let cut = cut
        .rsplit_once(' ')
        .map_or(cut.as_str(), |(head, _)| head)
        .to_owned();
    format!("{cut}…")
}

pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    owner: &str,
    id: Uuid,
) -> Result<Conversation, DomainError> {
    let row = db
        .query_one_raw(raw(
            &format!("SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 AND owner = $2 AND id = $3"),
            vec![workspace_id.into(), owner.into(), id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("conversation"))?;
    Ok(Conversation::from_query_result(&row, "")?)
}

/// The conversation's last turns, oldest first.
pub async fn recent_turns(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
    n: usize,
) -> Result<Vec<(Turn, String)>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT role, content FROM (SELECT role, content, created_at, id FROM chat_messages \
             WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2) m ORDER BY created_at, id",
            vec![conversation_id.into(), (n as i64).into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            let role: String = r.try_get("", "role")?;
            let turn = if role == "user" {
                Turn::User
            } else {
                Turn::Assistant
            };
            Ok((turn, r.try_get("", "content")?))
        })
        .collect()
}

/// Stores the question and its answer (in a new conversation when `conversation` is None);
/// returns (conversation id, answer message id).
pub async fn record(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    owner: &str,
    conversation: Option<Uuid>,
    question: &str,
    answer: &Answer,
) -> Result<(Uuid, Uuid), DomainError> {
    let txn = db.begin().await?;
    let conversation_id = match conversation {
        Some(id) => {
            // Locks the row so an archive racing this write waits or wins cleanly.
            let row = txn
                .query_one_raw(raw(
                    "SELECT archived FROM conversations WHERE workspace_id = $1 AND owner = $2 AND id = $3 FOR UPDATE",
                    vec![workspace_id.into(), owner.into(), id.into()],
                ))
                .await?
                .ok_or(DomainError::not_found("conversation"))?;
            if row.try_get::<bool>("", "archived")? {
                return Err(DomainError::Conflict("the conversation is archived".into()));
            }
            txn.execute_raw(raw(
                "UPDATE conversations SET updated_at = now() WHERE id = $1",
                vec![id.into()],
            ))
            .await?;
            id
        }
        None => {
            let id = Uuid::now_v7();
            txn.execute_raw(raw(
                "INSERT INTO conversations (id, workspace_id, owner, title) VALUES ($1, $2, $3, $4)",
                vec![id.into(), workspace_id.into(), owner.into(), title_from(question).into()],
            ))
            .await?;
            id
        }
    };
    let question_id = Uuid::now_v7();
    let answer_id = Uuid::now_v7();
    txn.execute_raw(raw(
        "INSERT INTO chat_messages (id, conversation_id, role, content, created_at) VALUES ($1, $2, 'user', $3, now())",
        vec![question_id.into(), conversation_id.into(), question.into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "INSERT INTO chat_messages (id, conversation_id, role, content, citations, inline_citations, generated_by, \
                                    model, tokens_used, created_at) \
         VALUES ($1, $2, 'assistant', $3, $4, $5, $6, $7, $8, now() + interval '1 microsecond')",
        vec![
            answer_id.into(),
            conversation_id.into(),
            answer.text.clone().into(),
            json!(answer.citations).into(),
            json!(answer.inline_citations).into(),
            answer.generated_by.into(),
            answer.model.clone().into(),
            (answer.tokens_used as i32).into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok((conversation_id, answer_id))
}

/// The caller's conversations, most recently active first; `before` is the cursor from the
/// previous page (`<updated_at>|<id>`).
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    owner: &str,
    include_archived: bool,
    limit: u64,
    before: Option<(DateTime<Utc>, Uuid)>,
) -> Result<Vec<Conversation>, DomainError> {
    let (at, id) = before.map_or((None, None), |(a, i)| (Some(a), Some(i)));
    let rows = db
        .query_all_raw(raw(
            &format!(
                "SELECT {COLUMNS} FROM conversations WHERE workspace_id = $1 AND owner = $2 \
                 AND ($3 OR NOT archived) AND ($4::timestamptz IS NULL OR (updated_at, id) < ($4, $5)) \
                 ORDER BY updated_at DESC, id DESC LIMIT {limit}"
            ),
            vec![workspace_id.into(), owner.into(), include_archived.into(), at.into(), id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| Conversation::from_query_result(r, ""))
        .collect::<Result<_, _>>()?)
}

pub async fn messages(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
) -> Result<Vec<Message>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT id, role, content, created_at, citations, inline_citations, generated_by, model, tokens_used \
             FROM chat_messages WHERE conversation_id = $1 ORDER BY created_at, id",
            vec![conversation_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Message {
                id: r.try_get("", "id")?,
                role: r.try_get("", "role")?,
                content: r.try_get("", "content")?,
                created_at: r.try_get("", "created_at")?,
                citations: serde_json::from_value(r.try_get::<Value>("", "citations")?)
                    .unwrap_or_default(),
                inline_citations: serde_json::from_value(
                    r.try_get::<Value>("", "inline_citations")?,
                )
                .unwrap_or_default(),
                generated_by: r.try_get("", "generated_by")?,
                model: r.try_get("", "model")?,
                tokens_used: r.try_get("", "tokens_used")?,
            })
        })
        .collect()
}

/// Renames or archives one of the caller's conversations.
pub async fn update(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    owner: &str,
    id: Uuid,
    title: Option<&str>,
    archive: bool,
) -> Result<Conversation, DomainError> {
    let row = db
        .query_one_raw(raw(
            &format!(
                "UPDATE conversations SET title = coalesce($4, title), archived = archived OR $5, updated_at = now() \
                 WHERE workspace_id = $1 AND owner = $2 AND id = $3 RETURNING {COLUMNS}"
            ),
            vec![workspace_id.into(), owner.into(), id.into(), title.map(str::to_owned).into(), archive.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("conversation"))?;
    Ok(Conversation::from_query_result(&row, "")?)
}
