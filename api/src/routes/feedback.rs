//! `/feedback`: browsing, reading and deleting stored feedback, and pushing it from any
//! other tool.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    entities::feedback,
    services::{
        audit::{self, Event},
        cursor::Cursor,
        feedback::{self as service, Document, FeedbackFilter},
        principal::Principal,
        source::{self, Source},
    },
};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidJson, ValidPath, ValidQuery},
    origin::AuditOrigin,
    paging::{Limit, Offset},
    state::AppState,
};

/// A feedback item.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FeedbackOut {
    pub id: Uuid,
    /// slack, jira, gdoc, zoom, upload or api.
    pub source: String,
    /// The item's id in its source (message ts, issue key, file hash and row...).
    pub source_id: String,
    /// The text, with personal data redacted when the workspace redacts.
    pub text: String,
    /// Account (customer) name.
    pub account: Option<String>,
    pub customer_id: Option<Uuid>,
    /// When the customer said it.
    pub created_at: DateTime<Utc>,
    /// When ProduckAI received it.
    pub ingested_at: DateTime<Utc>,
    pub meta: serde_json::Value,
    pub doc_url: Option<String>,
    pub speaker: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// Lexicon sentiment in [-1, 1].
    pub sentiment: f32,
    /// Model of the stored embedding; null until embedded.
    pub embedding_model: Option<String>,
}

impl From<feedback::Model> for FeedbackOut {
    fn from(f: feedback::Model) -> Self {
        Self {
            id: f.id,
            source: f.source,
            source_id: f.source_id,
            text: f.text,
            account: f.account,
            customer_id: f.customer_id,
            created_at: f.created_at,
            ingested_at: f.ingested_at,
            meta: f.meta,
            doc_url: f.doc_url,
            speaker: f.speaker,
            started_at: f.started_at,
            ended_at: f.ended_at,
            sentiment: f.sentiment,
            embedding_model: f.embedding_model,
        }
    }
}

/// Accepts the stored source names, and `zoom_transcript` as the original's name for zoom.
pub fn normalise_source(s: &str) -> Option<&'static str> {
    Source::from_feedback_name(s).map(Source::feedback_name)
}

/// The stored names and the alias `normalise_source` reads.
fn source_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::allowed::schema::one_of(&source::feedback_filter_names())
}

fn known_source(value: &str) -> Result<(), ValidationError> {
    if normalise_source(value).is_some() {
        Ok(())
    } else {
        let mut e = ValidationError::new("enum");
        let names: Vec<&str> = Source::ALL.iter().map(|s| s.feedback_name()).collect();
        e.message = Some(format!("must be one of {}", names.join(", ")).into());
        Err(e)
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct FeedbackQuery {
    /// Only this source: slack, jira, gdoc, zoom, upload, api.
    #[validate(custom(function = "known_source"))]
    #[schemars(schema_with = "source_schema")]
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub limit: Limit<100, 500>,
    #[serde(default)]
    pub offset: Offset,
    /// Continue after this position: the `x-next-cursor` header of the previous page.
    /// Pages by cursor stay fast at any depth; do not combine with `offset`.
    #[schemars(schema_with = "crate::extract::cursor_schema")]
    #[serde(default)]
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    #[validate(custom(function = "known_source"))]
    #[schemars(schema_with = "source_schema")]
    #[serde(default)]
    pub source: Option<String>,
    #[serde(default)]
    pub limit: Limit<50, 200>,
    #[serde(default)]
    pub offset: Offset,
}

crate::id_path!(FeedbackPath, "Feedback id.");

async fn list_feedback(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<FeedbackQuery>,
) -> Result<Response, ApiError> {
    let after = match q.cursor.as_deref() {
        None => None,
        Some(_) if q.offset.get() > 0 => {
            return Err(ApiError::field(
                &["query", "cursor"],
                "use either cursor or offset, not both",
                "value_error",
            ));
        }
        Some(c) => Some(Cursor::decode(c).ok_or_else(|| {
            ApiError::field(
                &["query", "cursor"],
                "not a cursor from x-next-cursor",
                "value_error",
            )
        })?),
    };
    let filter = FeedbackFilter {
        source: q
            .source
            .as_deref()
            .and_then(normalise_source)
            .map(str::to_owned),
        limit: q.limit.get(),
        offset: q.offset.get(),
        after,
    };
    let rows = service::list(&state.db, auth.0.workspace_id, &filter).await?;
    let next = (rows.len() as u64 == q.limit.get())
        .then(|| {
            rows.last()
                .map(|r| Cursor::new(r.created_at, r.id).encode())
        })
        .flatten();
    let mut headers = HeaderMap::new();
    if let Some(next) = next.and_then(|n| HeaderValue::from_str(&n).ok()) {
        headers.insert(NEXT_CURSOR, next);
    }
    let body: Vec<FeedbackOut> = rows.into_iter().map(FeedbackOut::from).collect();
    Ok((headers, Json(body)).into_response())
}

/// Response header naming the position after the last item of a full page.
const NEXT_CURSOR: &str = "x-next-cursor";

async fn list_documents(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<DocumentQuery>,
) -> Result<Json<Vec<Document>>, ApiError> {
    let source = q.source.as_deref().and_then(normalise_source);
    Ok(Json(
        service::documents(
            &state.db,
            auth.0.workspace_id,
            source,
            q.limit.get(),
            q.offset.get(),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ChunksQuery {
    /// A `document_id` from `GET /feedback/documents`.
    #[validate(length(min = 1, max = 2048))]
    pub document_id: String,
}

/// A document read back whole: its chunks in reading order.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DocumentChunksOut {
    pub document_id: String,
    pub chunks: Vec<FeedbackOut>,
    /// True when the document has more chunks than one answer carries (2 000).
    pub truncated: bool,
}

async fn document_chunks(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<ChunksQuery>,
) -> Result<Json<DocumentChunksOut>, ApiError> {
    let chunks = service::document_chunks(&state.db, auth.0.workspace_id, &q.document_id).await?;
    Ok(Json(DocumentChunksOut {
        document_id: q.document_id,
        truncated: chunks.len() as u64 >= service::MAX_DOCUMENT_CHUNKS,
        chunks: chunks.into_iter().map(FeedbackOut::from).collect(),
    }))
}

async fn get_feedback(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(p): ValidPath<FeedbackPath>,
) -> Result<Json<FeedbackOut>, ApiError> {
    Ok(Json(
        service::get(&state.db, auth.0.workspace_id, p.id)
            .await?
            .into(),
    ))
}

async fn delete_feedback(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(p): ValidPath<FeedbackPath>,
) -> Result<StatusCode, ApiError> {
    let principal = auth.require(Role::Editor)?;
    let txn = state.db.begin().await?;
    service::delete(&txn, principal.workspace_id, p.id).await?;
    let event = Event::new("feedback.deleted", "feedback", p.id);
    audit::commit(txn, principal, &origin, event).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PushItem {
    /// The item's id in the pushing tool; pushing it again updates it.
    #[validate(length(min = 1, max = 256))]
    pub source_id: String,
    #[validate(length(min = 1, max = 50000))]
    pub text: String,
    /// The customer account it comes from.
    #[validate(length(min = 1, max = 200))]
    #[serde(default)]
    pub account: Option<String>,
    /// When the customer said it (default: now).
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Anything else worth keeping (a JSON object, at most 16 KB).
    #[validate(custom(function = "small_object"))]
    #[schemars(schema_with = "object_schema")]
    #[serde(default)]
    pub meta: Option<serde_json::Value>,
}

fn small_object(v: &serde_json::Value) -> Result<(), ValidationError> {
    if !v.is_object() {
        return Err(ValidationError::new("type_error").with_message("must be a JSON object".into()));
    }
    if v.to_string().len() > 16 * 1024 {
        return Err(
            ValidationError::new("value_error").with_message("must be at most 16 KB".into())
        );
    }
    Ok(())
}

fn object_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({"type": ["object", "null"]})
}

crate::allowed!(one_of(&["api"]) => only_api, api_schema);

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PushIn {
    /// `api`: the source every pushed item is stored under (the connectors own the others).
    #[validate(custom(function = "only_api"))]
    #[schemars(schema_with = "api_schema")]
    #[serde(default = "api_source")]
    pub source: String,
    #[validate(nested, length(min = 1))]
    pub items: Vec<PushItem>,
}

fn api_source() -> String {
    "api".into()
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PushOut {
    pub created: usize,
    pub updated: usize,
    /// Items pushed before with the same text.
    pub unchanged: usize,
    pub customers_linked: usize,
    /// Also under the original web UI's names.
    pub feedback_created: usize,
    pub feedback_updated: usize,
}

async fn push_feedback(
    State(state): State<AppState>,
    auth: Auth,
    ValidJson(body): ValidJson<PushIn>,
) -> Result<Json<PushOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    Ok(Json(push(&state, p, body).await?))
}

/// Stores pushed items and asks for their embedding (the HTTP route and the MCP
/// `add_feedback` tool; the caller has checked the editor role).
pub(crate) async fn push(
    state: &AppState,
    p: &Principal,
    body: PushIn,
) -> Result<PushOut, ApiError> {
    let max = state.settings.ingest.max_push_items;
    if body.items.len() > max {
        return Err(ApiError::field(
            &["body", "items"],
            format!(
                "at most {max} items per request (ingest.max_push_items); send several requests"
            ),
            "value_error",
        ));
    }
    let report = service::push(
        &state.db,
        p.workspace_id,
        body.items.into_iter().map(|i| service::Pushed {
            source_id: i.source_id,
            text: i.text,
            account: i.account,
            created_at: i.created_at,
            meta: i.meta,
        }),
    )
    .await?;
    state.embed_new_text(p.workspace_id).await?;
    Ok(PushOut {
        created: report.created,
        updated: report.updated,
        unchanged: report.unchanged,
        customers_linked: report.customers_linked,
        feedback_created: report.created,
        feedback_updated: report.updated,
    })
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/feedback",
            get_with(list_feedback, |op| {
                op.summary("List feedback")
                    .description(
                        "Newest first (by when the customer said it). `source` must be a known source. A full page \
                         carries `x-next-cursor`: pass it as `cursor` for the next page (fast at any depth).",
                    )
                    .tag("feedback")
                    .response::<200, Json<Vec<FeedbackOut>>>()
            })
            .post_with(push_feedback, |op| {
                op.summary("Push feedback from another tool")
                    .description(
                        "Editors. The generic door for Zendesk, Intercom, surveys and scripts: up to \
                         ingest.max_push_items items stored under source `api`, idempotent on `source_id` (pushing \
                         again updates the text), redacted, scored for sentiment, linked to their account, then \
                         embedded and attached to themes like every other item. All items of a request are stored \
                         together or not at all.",
                    )
                    .tag("feedback")
            }),
        )
        .api_route(
            "/feedback/documents",
            get_with(list_documents, |op| {
                op.summary("List documents")
                    .description("Chunked sources (docs, transcripts, uploaded files) grouped back into documents, newest first.")
                    .tag("feedback")
            }),
        )
        .api_route(
            "/feedback/documents/chunks",
            get_with(document_chunks, |op| {
                op.summary("Read a document")
                    .description(
                        "One document of `GET /feedback/documents` whole: its chunks (feedback items) in \
                         reading order, by chunk index then time. 404 when the workspace has no such document.",
                    )
                    .tag("feedback")
            }),
        )
        .api_route(
            "/feedback/{id}",
            get_with(get_feedback, |op| op.summary("Get a feedback item").description("One item of the caller's workspace.").tag("feedback"))
                .delete_with(delete_feedback, |op| {
                    op.summary("Delete a feedback item").description("Editors and admins.").tag("feedback").response::<204, ()>()
                }),
        )
}
