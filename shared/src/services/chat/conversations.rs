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
    pub archived_at: Option<DateTime<Utc>>,
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
    /// A streamed answer that stopped before the model finished; `content` is what was
    /// written until then.
    pub incomplete: bool,
    /// client_disconnected or upstream_failed, for incomplete answers.
    pub stop_reason: Option<String>,
}

const COLUMNS: &str = "id, title, archived, archived_at, created_at, updated_at";

/// How much one caller may keep.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_messages: usize,
    pub max_active: usize,
}

impl Limits {
    pub fn from_settings(s: &crate::config::Settings) -> Self {
        Self {
            max_messages: s.chat.max_messages_per_conversation,
            max_active: s.chat.max_active_conversations,
        }
    }
}

/// Why a question cannot be stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Archived,
    MessageLimit(usize),
    ConversationLimit(usize),
}

impl Refusal {
    /// The problem code the API answers with.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Archived => "conversation_archived",
            Refusal::MessageLimit(_) => "message_limit",
            Refusal::ConversationLimit(_) => "conversation_limit",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Refusal::Archived => {
                "the conversation is archived; restore it or start a new one".into()
            }
            Refusal::MessageLimit(n) => {
                format!("the conversation has reached {n} messages; start a new one")
            }
            Refusal::ConversationLimit(n) => {
                format!("you have {n} active conversations; archive one to start another")
            }
        }
    }
}

#[derive(Debug)]
pub enum RecordError {
    Refused(Refusal),
    Domain(DomainError),
}

impl From<DomainError> for RecordError {
    fn from(e: DomainError) -> Self {
        Self::Domain(e)
    }
}

impl From<sea_orm::DbErr> for RecordError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Domain(e.into())
    }
}

/// Refuses a question the limits or an archive would reject, before any work is done
/// (`record` checks again under a lock).
pub async fn check(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    owner: &str,
    conversation: Option<Uuid>,
    limits: Limits,
) -> Result<(), RecordError> {
    match conversation {
        Some(id) => {
            let row = db
                .query_one_raw(raw(
                    "SELECT c.archived, (SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id) AS n \
                     FROM conversations c WHERE c.workspace_id = $1 AND c.owner = $2 AND c.id = $3",
                    vec![workspace_id.into(), owner.into(), id.into()],
                ))
                .await?
                .ok_or(DomainError::not_found("conversation"))?;
            if row.try_get::<bool>("", "archived")? {
                return Err(RecordError::Refused(Refusal::Archived));
            }
            if row.try_get::<i64>("", "n")? as usize + 2 > limits.max_messages {
                return Err(RecordError::Refused(Refusal::MessageLimit(
                    limits.max_messages,
                )));
            }
        }
        None => {
            let row = db
                .query_one_raw(raw(
                    "SELECT count(*) AS n FROM conversations WHERE workspace_id = $1 AND owner = $2 AND NOT archived",
                    vec![workspace_id.into(), owner.into()],
                ))
                .await?;
            let n = row
                .map(|r| r.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0) as usize;
            if n >= limits.max_active {
                return Err(RecordError::Refused(Refusal::ConversationLimit(
                    limits.max_active,
                )));
            }
        }
    }
    Ok(())
}

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

/// Ids a question and its answer will be stored under, known before the answer is written
/// (the run log refers to them).
#[derive(Debug, Clone, Copy)]
pub struct Slot {
    /// The conversation to continue, or None for a new one.
    pub existing: Option<Uuid>,
    pub conversation_id: Uuid,
    pub answer_id: Uuid,
}

impl Slot {
    pub fn new(existing: Option<Uuid>) -> Self {
        Self {
            existing,
            conversation_id: existing.unwrap_or_else(Uuid::now_v7),
            answer_id: Uuid::now_v7(),
        }
    }

    /// The run-log context of the model calls made for this answer.
    pub fn run_context(&self, workspace_id: Uuid, owner: &str) -> crate::ai::runs::RunContext {
        crate::ai::runs::RunContext {
            workspace_id: Some(workspace_id),
            owner: Some(owner.to_owned()),
            conversation_id: Some(self.conversation_id),
            message_id: Some(self.answer_id),
        }
    }
}

/// Stores the question and its answer (in a new conversation unless `slot.existing`) in one
/// transaction, under a per-caller lock so racing questions respect the limits.
pub async fn record(
    db: &DatabaseConnection,
    workspace_id: Uuid,
    owner: &str,
    slot: Slot,
    limits: Limits,
    question: &str,
    answer: &Answer,
) -> Result<(), RecordError> {
    let conversation = slot.existing;
    let txn = db.begin().await?;
    txn.execute_raw(raw(
        "SELECT pg_advisory_xact_lock(hashtext('chat:' || $1::text || ':' || $2))",
        vec![workspace_id.to_string().into(), owner.into()],
    ))
    .await?;
    check(&txn, workspace_id, owner, conversation, limits).await?;
    let conversation_id = match conversation {
        Some(id) => {
            txn.execute_raw(raw(
                "UPDATE conversations SET updated_at = now() WHERE id = $1",
                vec![id.into()],
            ))
            .await?;
            id
        }
        None => {
            let id = slot.conversation_id;
            txn.execute_raw(raw(
                "INSERT INTO conversations (id, workspace_id, owner, title) VALUES ($1, $2, $3, $4)",
                vec![id.into(), workspace_id.into(), owner.into(), title_from(question).into()],
            ))
            .await?;
            id
        }
    };
    let question_id = Uuid::now_v7();
    let answer_id = slot.answer_id;
    txn.execute_raw(raw(
        "INSERT INTO chat_messages (id, conversation_id, role, content, created_at) VALUES ($1, $2, 'user', $3, now())",
        vec![question_id.into(), conversation_id.into(), question.into()],
    ))
    .await?;
    txn.execute_raw(raw(
        "INSERT INTO chat_messages (id, conversation_id, role, content, citations, inline_citations, generated_by, \
                                    model, tokens_used, incomplete, stop_reason, created_at) \
         VALUES ($1, $2, 'assistant', $3, $4, $5, $6, $7, $8, $9, $10, now() + interval '1 microsecond')",
        vec![
            answer_id.into(),
            conversation_id.into(),
            answer.text.clone().into(),
            json!(answer.citations).into(),
            json!(answer.inline_citations).into(),
            answer.generated_by.into(),
            answer.model.clone().into(),
            (answer.tokens_used as i32).into(),
            answer.stop_reason.is_some().into(),
            answer.stop_reason.map(str::to_owned).into(),
        ],
    ))
    .await?;
    txn.commit().await?;
    Ok(())
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
            "SELECT id, role, content, created_at, citations, inline_citations, generated_by, model, tokens_used, \
                    incomplete, stop_reason \
             FROM chat_messages WHERE conversation_id = $1 ORDER BY created_at, id",
            vec![conversation_id.into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| MessageRow::from_query_result(r, "").map(Message::from))
        .collect::<Result<_, _>>()?)
}

/// A stored message as read; the citation lists are parsed leniently (an entry written by an
/// older version that no longer reads is dropped, not an error for the whole conversation).
#[derive(FromQueryResult)]
struct MessageRow {
    id: Uuid,
    role: String,
    content: String,
    created_at: DateTime<Utc>,
    citations: Value,
    inline_citations: Value,
    generated_by: Option<String>,
    model: Option<String>,
    tokens_used: i32,
    incomplete: bool,
    stop_reason: Option<String>,
}

impl From<MessageRow> for Message {
    fn from(r: MessageRow) -> Self {
        Self {
            id: r.id,
            role: r.role,
            content: r.content,
            created_at: r.created_at,
            citations: serde_json::from_value(r.citations).unwrap_or_default(),
            inline_citations: serde_json::from_value(r.inline_citations).unwrap_or_default(),
            generated_by: r.generated_by,
            model: r.model,
            tokens_used: r.tokens_used,
            incomplete: r.incomplete,
            stop_reason: r.stop_reason,
        }
    }
}

/// Renames, archives or restores one of the caller's conversations.
pub async fn update(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    owner: &str,
    id: Uuid,
    title: Option<&str>,
    archived: Option<bool>,
) -> Result<Conversation, DomainError> {
    let row = db
        .query_one_raw(raw(
            &format!(
                "UPDATE conversations SET title = coalesce($4, title), archived = coalesce($5, archived), \
                 archived_at = CASE WHEN $5 IS NULL THEN archived_at WHEN $5 THEN coalesce(archived_at, now()) END, \
                 updated_at = now() \
                 WHERE workspace_id = $1 AND owner = $2 AND id = $3 RETURNING {COLUMNS}"
            ),
            vec![workspace_id.into(), owner.into(), id.into(), title.map(str::to_owned).into(), archived.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("conversation"))?;
    Ok(Conversation::from_query_result(&row, "")?)
}

/// A caller's rating of an answer.
#[derive(Debug, Clone, Serialize, JsonSchema, FromQueryResult)]
pub struct Rating {
    pub id: Uuid,
    pub message_id: Uuid,
    /// thumbs_up or thumbs_down.
    pub rating: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Rates one of the caller's answers; rating again replaces the earlier rating.
pub async fn rate(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    owner: &str,
    message_id: Uuid,
    rating: &str,
    comment: Option<&str>,
) -> Result<Rating, DomainError> {
    let row = db
        .query_one_raw(raw(
            "INSERT INTO chat_message_feedback (id, message_id, rating, comment) \
             SELECT $4, m.id, $5, $6 FROM chat_messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE m.id = $3 AND m.role = 'assistant' AND c.workspace_id = $1 AND c.owner = $2 \
             ON CONFLICT (message_id) DO UPDATE SET rating = EXCLUDED.rating, comment = EXCLUDED.comment, \
                 created_at = now() \
             RETURNING id, message_id, rating, comment, created_at",
            vec![
                workspace_id.into(),
                owner.into(),
                message_id.into(),
                Uuid::now_v7().into(),
                rating.into(),
                comment.map(str::to_owned).into(),
            ],
        ))
        .await?
        .ok_or(DomainError::not_found("message"))?;
    Ok(Rating::from_query_result(&row, "")?)
}
