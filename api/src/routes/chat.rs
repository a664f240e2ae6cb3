//! `/chat` and `/conversations`: the PM copilot, its answers grounded in the workspace's
//! insights and feedback with citations, kept in conversations per caller.

use std::convert::Infallible;

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    ai::chat::Turn,
    services::{
        chat::{
            self, Citation, HISTORY_TURNS, InlineCitation,
            conversations::{self, Conversation, Limits, Message, Rating, RecordError, Slot},
            stream::{StreamEvent, StreamRequest},
            suggestions::{self, Suggestion},
        },
        cursor::Cursor,
        principal::Principal,
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{OptionalJson, ValidJson, ValidPath, ValidQuery},
    paging::Limit,
    state::AppState,
};

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryTurn {
    /// user or assistant.
    #[validate(custom(function = "valid_role"))]
    #[schemars(schema_with = "role_schema")]
    pub role: String,
    #[validate(length(max = 20000))]
    pub content: String,
}

crate::allowed!(one_of(&["user", "assistant"]) => valid_role, role_schema);

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatIn {
    #[validate(length(min = 1, max = 4000))]
    pub message: String,
    /// "This insight" in the question refers to it; its evidence comes first.
    #[serde(default)]
    pub selected_insight_id: Option<Uuid>,
    /// Earlier turns, used when no `conversation_id` is given (the last four count).
    #[validate(nested, length(max = 100))]
    #[serde(default)]
    pub conversation_history: Vec<HistoryTurn>,
    /// Continue this conversation (its stored turns are the history); omit to start one.
    #[serde(default)]
    pub conversation_id: Option<Uuid>,
    /// Answer as Server-Sent Events (also with `Accept: text/event-stream`).
    #[serde(default)]
    pub stream: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ChatOut {
    /// The answer; `[n]` markers point at `citations[].index`.
    pub response: String,
    pub conversation_id: Uuid,
    pub message_id: Uuid,
    pub citations: Vec<Citation>,
    pub inline_citations: Vec<InlineCitation>,
    /// `llm` (the chat_copilot agent) or `fallback` (rule-based intents).
    pub generated_by: &'static str,
    pub model: Option<String>,
    pub tokens_used: u32,
    /// Why the fallback answered although an LLM is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// Set when the model stopped before it finished (`upstream_failed`): `response` is what
    /// it wrote until then, stored marked incomplete.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incomplete: Option<&'static str>,
}

fn wants_stream(headers: &HeaderMap, body: &ChatIn) -> bool {
    body.stream
        || headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/event-stream"))
}

fn refused(e: RecordError) -> ApiError {
    match e {
        RecordError::Refused(r) => ApiError {
            code: r.code(),
            ..ApiError::new(StatusCode::BAD_REQUEST, r.message())
        },
        RecordError::Domain(d) => d.into(),
    }
}

/// The answer as the seed's event stream, written by its own task (see
/// `services::chat::stream`): a client that goes away stops the generation and leaves the
/// text so far stored, marked incomplete.
fn event_stream(state: &AppState, req: StreamRequest) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<StreamEvent>(32);
    tokio::spawn(chat::stream::run(
        state.db.clone(),
        state.ai.clone(),
        req,
        tx,
    ));
    let events = futures::stream::unfold(rx, |mut rx| async move {
        let event = rx.recv().await?;
        let data = serde_json::to_string(&event).unwrap_or_default();
        Some((Ok::<_, Infallible>(Event::default().data(data)), rx))
    });
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(std::time::Duration::from_secs(15)))
        .into_response()
}

async fn chat_handler(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    ValidJson(body): ValidJson<ChatIn>,
) -> Result<Response, ApiError> {
    let stream = wants_stream(&headers, &body);
    let req = prepare(&state, &auth.0, body).await?;
    if stream {
        return Ok(event_stream(&state, req));
    }
    Ok(Json(answer(&state, req).await?).into_response())
}

/// Admits a question (the caller's copilot allowance, the conversation's limits) and gathers
/// what the answer needs; the HTTP route and the MCP `ask_copilot` tool both start here.
pub(crate) async fn prepare(
    state: &AppState,
    p: &Principal,
    body: ChatIn,
) -> Result<StreamRequest, ApiError> {
    let owner = p.label();
    let ws = p.workspace_id;
    state.chat_limiter.attempt(&[("chat", &owner)]).await?;
    let limits = Limits::from_settings(&state.settings);
    conversations::check(&state.db, ws, &owner, body.conversation_id, limits)
        .await
        .map_err(refused)?;
    let history = match body.conversation_id {
        Some(id) => conversations::recent_turns(&state.db, id, HISTORY_TURNS).await?,
        None => body
            .conversation_history
            .iter()
            .map(|t| {
                let turn = if t.role == "user" {
                    Turn::User
                } else {
                    Turn::Assistant
                };
                (turn, t.content.clone())
            })
            .collect(),
    };
    Ok(StreamRequest {
        workspace_id: ws,
        owner,
        slot: Slot::new(body.conversation_id),
        limits,
        message: body.message,
        selected_insight: body.selected_insight_id,
        history,
        budgets: shared::ai::budget::TokenBudgets::from_settings(&state.settings),
    })
}

/// The whole answer at once, stored in its conversation.
pub(crate) async fn answer(state: &AppState, req: StreamRequest) -> Result<ChatOut, ApiError> {
    let answer = chat::stream::collect(&state.db, &state.ai, &req)
        .await
        .map_err(refused)?;
    Ok(ChatOut {
        response: answer.text,
        conversation_id: req.slot.conversation_id,
        message_id: req.slot.answer_id,
        citations: answer.citations,
        inline_citations: answer.inline_citations,
        generated_by: answer.generated_by,
        model: answer.model,
        tokens_used: answer.tokens_used,
        fallback_reason: answer.fallback_reason,
        incomplete: answer.stop_reason,
    })
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConversationListQuery {
    #[serde(default)]
    pub limit: Limit<20, 100>,
    /// `next_cursor` of the previous page.
    #[schemars(schema_with = "crate::extract::cursor_schema")]
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub include_archived: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConversationPage {
    pub items: Vec<Conversation>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

fn parse_cursor(cursor: &str) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    let c = Cursor::decode(cursor).ok_or_else(|| {
        ApiError::field(
            &["query", "cursor"],
            "not a cursor from a previous page",
            "value_error",
        )
    })?;
    Ok((c.at, c.id))
}

async fn list_conversations(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<ConversationListQuery>,
) -> Result<Json<ConversationPage>, ApiError> {
    let before = q.cursor.as_deref().map(parse_cursor).transpose()?;
    let items = conversations::list(
        &state.db,
        auth.0.workspace_id,
        &auth.0.label(),
        q.include_archived,
        q.limit.get(),
        before,
    )
    .await?;
    let next_cursor = (items.len() as u64 == q.limit.get())
        .then(|| {
            items
                .last()
                .map(|c| Cursor::new(c.updated_at, c.id).encode())
        })
        .flatten();
    Ok(Json(ConversationPage { items, next_cursor }))
}

crate::id_path!(ConversationPath, "Conversation id.");

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConversationOut {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
    /// Every citation of the conversation's answers, in order.
    pub citations: Vec<Citation>,
}

async fn get_conversation(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<ConversationPath>,
) -> Result<Json<ConversationOut>, ApiError> {
    let conversation =
        conversations::get(&state.db, auth.0.workspace_id, &auth.0.label(), path.id).await?;
    let messages = conversations::messages(&state.db, conversation.id).await?;
    let citations = messages.iter().flat_map(|m| m.citations.clone()).collect();
    Ok(Json(ConversationOut {
        conversation,
        messages,
        citations,
    }))
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    #[validate(length(min = 1, max = 200))]
    pub title: String,
}

async fn rename_conversation(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<ConversationPath>,
    ValidJson(body): ValidJson<ConversationPatch>,
) -> Result<Json<Conversation>, ApiError> {
    Ok(Json(
        conversations::update(
            &state.db,
            auth.0.workspace_id,
            &auth.0.label(),
            path.id,
            Some(body.title.trim()),
            None,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveIn {
    /// true archives (the default), false restores.
    #[serde(default = "yes")]
    pub archived: bool,
}

impl Default for ArchiveIn {
    fn default() -> Self {
        Self { archived: true }
    }
}

fn yes() -> bool {
    true
}

async fn archive_conversation(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<ConversationPath>,
    OptionalJson(body): OptionalJson<ArchiveIn>,
) -> Result<Json<Conversation>, ApiError> {
    let archived = body.archived;
    Ok(Json(
        conversations::update(
            &state.db,
            auth.0.workspace_id,
            &auth.0.label(),
            path.id,
            None,
            Some(archived),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingIn {
    /// An answer (assistant message) of one of your conversations.
    pub message_id: Uuid,
    /// thumbs_up or thumbs_down.
    #[validate(custom(function = "valid_rating"))]
    #[schemars(schema_with = "rating_schema")]
    pub rating: String,
    #[validate(length(max = 2000))]
    #[serde(default)]
    pub comment: Option<String>,
}

crate::allowed!(one_of(&["thumbs_up", "thumbs_down"]) => valid_rating, rating_schema);

async fn rate_answer(
    State(state): State<AppState>,
    auth: Auth,
    ValidJson(body): ValidJson<RatingIn>,
) -> Result<Json<Rating>, ApiError> {
    Ok(Json(
        conversations::rate(
            &state.db,
            auth.0.workspace_id,
            &auth.0.label(),
            body.message_id,
            &body.rating,
            body.comment.as_deref(),
        )
        .await?,
    ))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SuggestionsOut {
    pub suggestions: Vec<Suggestion>,
}

async fn list_suggestions(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<SuggestionsOut>, ApiError> {
    Ok(Json(SuggestionsOut {
        suggestions: suggestions::for_member(&state.db, auth.0.workspace_id, &auth.0.label())
            .await?,
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/chat",
            post_with(chat_handler, |op| {
                op.summary("Ask the PM copilot")
                    .description(
                        "Answers from the workspace's insights and feedback (full-text and embedding retrieval fused \
                         by reciprocal rank), every claim marked `[n]` with the passage behind it (`citations`, \
                         `inline_citations` with character offsets; markers pointing at no passage are removed). \
                         Written by the chat_copilot agent when an LLM is configured, else by rule-based intents \
                         (quick wins, quarter focus, complaints, enterprise blockers, the selected insight, an \
                         overview); `generated_by` says which. The question and answer are stored in a \
                         conversation (new unless `conversation_id` is given); 400 `conversation_archived`, \
                         `message_limit` (chat.max_messages_per_conversation) or `conversation_limit` \
                         (chat.max_active_conversations) when it cannot be. With `stream: true` or `Accept: text/event-stream` the answer \
                         comes as Server-Sent Events as the model writes it: session_init, tool_use (retrieval \
                         start/complete), delta (text; the deltas add up to the stored answer, invalid markers already \
                         removed), citations, then done (tokens_used, generated_by) or error (`code`: upstream_failed \
                         when the model stopped mid-answer, chat_failed, or a limit code). A client that disconnects \
                         stops the generation; the text so far is stored marked `incomplete` with `stop_reason` \
                         client_disconnected.",
                    )
                    .tag("chat")
                    .response_with::<200, Json<ChatOut>, _>(|mut r| {
                        r.inner()
                            .content
                            .insert("text/event-stream".into(), aide::openapi::MediaType::default());
                        r.description("The answer as JSON, or as Server-Sent Events when streamed")
                    })
                    .response_with::<400, ApiError, _>(|r| r.description("Archived conversation or a limit reached"))
            }),
        )
        .api_route(
            "/conversations",
            get_with(list_conversations, |op| {
                op.summary("List my conversations")
                    .description("The caller's conversations, most recently active first, with cursor pagination.")
                    .tag("chat")
            }),
        )
        .api_route(
            "/conversations/{id}",
            get_with(get_conversation, |op| {
                op.summary("Get a conversation")
                    .description("Its messages with their citations; another caller's conversation is 404.")
                    .tag("chat")
            })
            .patch_with(rename_conversation, |op| {
                op.summary("Rename a conversation").tag("chat")
            }),
        )
        .api_route(
            "/conversations/{id}/archive",
            post_with(archive_conversation, |op| {
                op.summary("Archive or restore a conversation")
                    .description(
                        "Body `{\"archived\": true|false}` (default true). Archived conversations are listed only with \
                         include_archived and take no new messages.",
                    )
                    .tag("chat")
            }),
        )
        .api_route(
            "/conversations/feedback",
            post_with(rate_answer, |op| {
                op.summary("Rate an answer")
                    .description("thumbs_up or thumbs_down with an optional comment; rating again replaces it.")
                    .tag("chat")
            }),
        )
        .api_route(
            "/suggestions",
            get_with(list_suggestions, |op| {
                op.summary("Suggested questions")
                    .description(
                        "Up to six: questions whose answers were rated up (`feedback`), questions asked often and \
                         never rated down (`frequent`), and defaults from the top insights (`default`).",
                    )
                    .tag("chat")
            }),
        )
}
