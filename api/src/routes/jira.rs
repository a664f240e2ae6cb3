//! `/jira/tickets`: roadmap tickets and the customer insights they match (their import is
//! `ticket_import`, their VOC scoring `voc`).

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        jira::{
            Priority, Status,
            import::{self, FieldProblem},
            tickets::{self, Ticket, TicketInput, TicketPatch, TicketQuery},
            views::{self, MatchView, TicketView, VocView},
            voc::PriorityGap,
        },
    },
};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidJson, ValidPath, ValidQuery, double_option},
    origin::AuditOrigin,
    paging::{self, Limit, Offset},
    state::AppState,
};

fn valid_status(v: &str) -> Result<(), ValidationError> {
    Status::parse(v).map(|_| ()).map_err(enum_error)
}

fn valid_priority(v: &str) -> Result<(), ValidationError> {
    Priority::parse(v).map(|_| ()).map_err(enum_error)
}

fn status_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::allowed::schema::loose_upper(Status::ALL)
}

fn status_or_null_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::allowed::schema::or_null(crate::allowed::schema::loose_upper(Status::ALL))
}

fn priority_or_null_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    crate::allowed::schema::or_null(crate::allowed::schema::loose_upper(Priority::ALL))
}

/// A key as `TicketInput::check` takes it: 1-50 characters once trimmed, none of them a
/// space, a slash or a control character.
fn key_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let key = format!(
        "^\\s*[^\\s/\\u0000-\\u001f\\u007f-\\u009f]{{1,{}}}\\s*$",
        import::MAX_KEY_CHARS
    );
    schemars::json_schema!({"type": "string", "pattern": key})
}

fn enum_error(message: String) -> ValidationError {
    let mut e = ValidationError::new("enum");
    e.message = Some(message.into());
    e
}

/// A ticket as the seed's `POST /jira/tickets` takes it. `status` and `priority` are read
/// in any case.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketIn {
    /// e.g. PROD-123 (stored in upper case).
    #[schemars(schema_with = "key_schema")]
    pub jira_key: String,
    #[schemars(length(max = import::MAX_TITLE_CHARS), pattern(r"\S"))]
    pub title: String,
    #[schemars(length(max = import::MAX_DESCRIPTION_CHARS))]
    #[serde(default)]
    pub description: Option<String>,
    /// OPEN, IN_PROGRESS, DONE, CLOSED or BACKLOG (default).
    #[validate(custom(function = "valid_status"))]
    #[schemars(schema_with = "status_or_null_schema")]
    #[serde(default)]
    pub status: Option<String>,
    /// LOWEST, LOW, MEDIUM (default), HIGH or HIGHEST.
    #[validate(custom(function = "valid_priority"))]
    #[schemars(schema_with = "priority_or_null_schema")]
    #[serde(default)]
    pub priority: Option<String>,
    #[schemars(length(max = import::MAX_NAME_CHARS))]
    #[serde(default)]
    pub assignee: Option<String>,
    #[schemars(length(max = import::MAX_NAME_CHARS))]
    #[serde(default)]
    pub reporter: Option<String>,
    #[schemars(length(max = import::MAX_LABELS), inner(length(min = 1, max = 100), pattern(r"\S")))]
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[schemars(length(max = import::MAX_NAME_CHARS))]
    #[serde(default)]
    pub epic_key: Option<String>,
    #[schemars(range(min = 0, max = 1000))]
    #[serde(default)]
    pub story_points: Option<i32>,
    /// When Jira created / last updated the issue (imports and the live pull set them).
    #[serde(default)]
    pub jira_created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub jira_updated_at: Option<DateTime<Utc>>,
}

impl TicketIn {
    pub(super) fn into_input(self) -> Result<TicketInput, FieldProblem> {
        let status = match &self.status {
            Some(s) => Status::parse(s).map_err(|m| FieldProblem {
                field: "status",
                message: m,
            })?,
            None => Status::Backlog,
        };
        let priority = match &self.priority {
            Some(p) => Priority::parse(p).map_err(|m| FieldProblem {
                field: "priority",
                message: m,
            })?,
            None => Priority::Medium,
        };
        let input = TicketInput {
            jira_key: self.jira_key,
            title: self.title,
            description: self.description.unwrap_or_default(),
            status,
            priority,
            assignee: self.assignee,
            reporter: self.reporter,
            labels: self.labels.unwrap_or_default(),
            epic_key: self.epic_key,
            story_points: self.story_points,
            jira_created_at: self.jira_created_at,
            jira_updated_at: self.jira_updated_at,
        };
        input.check()?;
        Ok(input)
    }
}

fn field_error(p: FieldProblem) -> ApiError {
    ApiError::field(&["body", p.field], p.message, "value_error")
}

/// Fields to change; `null` clears the optional ones. A new title or description is
/// embedded again.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatchIn {
    #[schemars(length(max = import::MAX_TITLE_CHARS), pattern(r"\S"))]
    #[serde(default)]
    pub title: Option<String>,
    #[schemars(length(max = import::MAX_DESCRIPTION_CHARS))]
    #[serde(default)]
    pub description: Option<String>,
    #[validate(custom(function = "valid_status"))]
    #[schemars(schema_with = "status_or_null_schema")]
    #[serde(default)]
    pub status: Option<String>,
    #[validate(custom(function = "valid_priority"))]
    #[schemars(schema_with = "priority_or_null_schema")]
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<String>", length(max = import::MAX_NAME_CHARS))]
    pub assignee: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<String>", length(max = import::MAX_NAME_CHARS))]
    pub reporter: Option<Option<String>>,
    #[schemars(length(max = import::MAX_LABELS), inner(length(min = 1, max = 100), pattern(r"\S")))]
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<String>", length(max = import::MAX_NAME_CHARS))]
    pub epic_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<i32>", range(min = 0, max = 1000))]
    pub story_points: Option<Option<i32>>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketOut {
    pub id: Uuid,
    pub jira_key: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    pub assignee: Option<String>,
    pub reporter: Option<String>,
    pub labels: Vec<String>,
    pub epic_key: Option<String>,
    pub story_points: Option<i32>,
    pub jira_created_at: Option<DateTime<Utc>>,
    pub jira_updated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Ticket> for TicketOut {
    fn from(t: Ticket) -> Self {
        Self {
            labels: t.labels(),
            id: t.id,
            jira_key: t.jira_key,
            title: t.title,
            description: t.description,
            status: t.status,
            priority: t.priority,
            assignee: t.assignee,
            reporter: t.reporter,
            epic_key: t.epic_key,
            story_points: t.story_points,
            jira_created_at: t.jira_created_at,
            jira_updated_at: t.jira_updated_at,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// A ticket with the evidence behind it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TicketItemOut {
    pub ticket: TicketOut,
    /// Null until the ticket is scored.
    pub voc_score: Option<VocView>,
    /// Confirmed first, then proposed, then rejected; most similar first within each.
    pub matched_insights: Vec<MatchView>,
    /// Set when the ticket's priority is two or more levels from `recommended_priority`.
    pub priority_gap: Option<PriorityGap>,
}

impl From<TicketView> for TicketItemOut {
    fn from(v: TicketView) -> Self {
        Self {
            ticket: v.ticket.into(),
            voc_score: v.voc,
            matched_insights: v.matches,
            priority_gap: v.priority_gap,
        }
    }
}

const SORTS: &[&str] = &["voc_score", "created_at", "priority"];

crate::allowed!(one_of(SORTS) => valid_sort, sort_schema);

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct TicketListQuery {
    /// OPEN, IN_PROGRESS, DONE, CLOSED or BACKLOG (any case).
    #[validate(custom(function = "valid_status"))]
    #[schemars(schema_with = "status_schema")]
    #[serde(default)]
    pub status: Option<String>,
    /// Only scored tickets with at least this VOC score (0-100); 0 lists every ticket.
    #[validate(range(min = 0.0, max = 100.0))]
    pub min_voc_score: Option<f64>,
    /// voc_score (default, unscored last), created_at (newest first) or priority (HIGHEST first).
    #[validate(custom(function = "valid_sort"))]
    #[schemars(schema_with = "sort_schema")]
    #[serde(default = "default_sort")]
    pub sort_by: String,
    #[serde(default)]
    pub limit: Limit<500, 1000>,
    #[serde(default)]
    pub offset: Offset,
}

fn default_sort() -> String {
    "voc_score".into()
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct TicketPath {
    /// Jira key, e.g. PROD-123 (any case).
    pub ticket_key: String,
}

async fn create_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ValidJson(body): ValidJson<TicketIn>,
) -> Result<(StatusCode, Json<TicketOut>), ApiError> {
    let p = auth.require(Role::Editor)?;
    let input = body.into_input().map_err(field_error)?;
    let ticket = tickets::create(&state.db, p.workspace_id, &input).await?;
    state.embed_new_text(p.workspace_id).await?;
    Ok((StatusCode::CREATED, Json(ticket.into())))
}

async fn list_tickets(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<TicketListQuery>,
) -> Result<Json<Vec<TicketItemOut>>, ApiError> {
    let query = TicketQuery {
        status: q.status.as_deref().and_then(|s| Status::parse(s).ok()),
        min_voc_score: q.min_voc_score,
        sort_by: q.sort_by,
        page: paging::page(q.limit, q.offset),
    };
    let rows = tickets::list(&state.db, auth.0.workspace_id, &query).await?;
    let views = views::of(&state.db, rows).await?;
    Ok(Json(views.into_iter().map(Into::into).collect()))
}

async fn get_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<TicketPath>,
) -> Result<Json<TicketItemOut>, ApiError> {
    Ok(Json(
        ticket_view(&state, auth.0.workspace_id, &path.ticket_key).await?,
    ))
}

/// A ticket with its VOC score, matches and priority gap (the HTTP route and the MCP
/// `get_ticket` tool).
pub(crate) async fn ticket_view(
    state: &AppState,
    workspace_id: Uuid,
    ticket_key: &str,
) -> Result<TicketItemOut, ApiError> {
    let ticket = tickets::get_by_key(&state.db, workspace_id, ticket_key).await?;
    Ok(views::one(&state.db, ticket).await?.into())
}

async fn update_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<TicketPath>,
    ValidJson(body): ValidJson<TicketPatchIn>,
) -> Result<Json<TicketItemOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let patch = TicketPatch {
        title: body.title,
        description: body.description,
        status: body.status.as_deref().and_then(|s| Status::parse(s).ok()),
        priority: body
            .priority
            .as_deref()
            .and_then(|s| Priority::parse(s).ok()),
        assignee: body.assignee,
        reporter: body.reporter,
        labels: body.labels,
        epic_key: body.epic_key,
        story_points: body.story_points,
    };
    let ticket = tickets::update(&state.db, p.workspace_id, &path.ticket_key, patch).await?;
    state.embed_new_text(p.workspace_id).await?;
    Ok(Json(views::one(&state.db, ticket).await?.into()))
}

async fn delete_ticket(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<TicketPath>,
) -> Result<StatusCode, ApiError> {
    let p = auth.require(Role::Editor)?;
    let txn = state.db.begin().await?;
    tickets::delete(&txn, p.workspace_id, &path.ticket_key).await?;
    let event = Event::new("jira_ticket.deleted", "jira_ticket", &path.ticket_key);
    audit::commit(txn, p, &origin, event).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/jira/tickets",
            post_with(create_ticket, |op| {
                op.summary("Create a ticket")
                    .description(
                        "Stores a roadmap ticket; its text is embedded by a job (calculate-voc embeds it at once when \
                         needed). `status` and `priority` are read in any case and answered in upper case. A key the \
                         workspace already has is 409. Editors and admins.",
                    )
                    .tag("jira")
                    .response::<201, Json<TicketOut>>()
                    .response_with::<409, ApiError, _>(|r| r.description("A ticket with this key exists"))
            })
            .get_with(list_tickets, |op| {
                op.summary("List tickets with VOC scores")
                    .description(
                        "Each ticket with its VOC score (null until scored), the insights it matches and a \
                         `priority_gap` when its priority and its customer evidence disagree by two levels or more.",
                    )
                    .tag("jira")
            }),
        )
        .api_route(
            "/jira/tickets/{ticket_key}",
            get_with(get_ticket, |op| {
                op.summary("Get a ticket").description("One ticket with its VOC score and matches.").tag("jira")
            })
            .patch_with(update_ticket, |op| {
                op.summary("Update a ticket")
                    .description("Changes the given fields; a new title or description is embedded again. Editors and admins.")
                    .tag("jira")
            })
            .delete_with(delete_ticket, |op| {
                op.summary("Delete a ticket")
                    .description("Deletes the ticket with its matches and score. Editors and admins.")
                    .tag("jira")
                    .response::<204, ()>()
            }),
        )
}
