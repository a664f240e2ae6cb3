//! `/jira/*`: roadmap tickets, the customer insights they match and their VOC score.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{
    Extension, Json,
    body::Body,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    jobs::{kinds, status},
    services::{
        audit::{self, Event},
        jira::{
            Priority, Status, decisions,
            import::{self, FieldProblem, ParsedTickets, SkippedRow},
            scoring::{ScoreOptions, ScoreStats, match_and_score},
            tickets::{self, Ticket, TicketInput, TicketPatch, TicketQuery, UpsertReport},
            views::{self, MatchView, TicketView, VocView},
            voc::PriorityGap,
        },
        jobs::{self, NewJob, StartOutcome},
    },
};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{AuditOrigin, PreferAsync, ValidJson, ValidPath, ValidQuery, double_option, one_of},
    state::AppState,
    timeout::{RequestDeadline, sync_wait},
};

fn valid_status(v: &str) -> Result<(), ValidationError> {
    Status::parse(v).map(|_| ()).map_err(enum_error)
}

fn valid_priority(v: &str) -> Result<(), ValidationError> {
    Priority::parse(v).map(|_| ()).map_err(enum_error)
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
    pub jira_key: String,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// OPEN, IN_PROGRESS, DONE, CLOSED or BACKLOG (default).
    #[validate(custom(function = "valid_status"))]
    #[serde(default)]
    pub status: Option<String>,
    /// LOWEST, LOW, MEDIUM (default), HIGH or HIGHEST.
    #[validate(custom(function = "valid_priority"))]
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub reporter: Option<String>,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default)]
    pub epic_key: Option<String>,
    #[serde(default)]
    pub story_points: Option<i32>,
    /// When Jira created / last updated the issue (imports and the live pull set them).
    #[serde(default)]
    pub jira_created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub jira_updated_at: Option<DateTime<Utc>>,
}

impl TicketIn {
    fn into_input(self) -> Result<TicketInput, FieldProblem> {
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
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[validate(custom(function = "valid_status"))]
    #[serde(default)]
    pub status: Option<String>,
    #[validate(custom(function = "valid_priority"))]
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<String>")]
    pub assignee: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<String>")]
    pub reporter: Option<Option<String>>,
    #[serde(default)]
    pub labels: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<String>")]
    pub epic_key: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schemars(with = "Option<i32>")]
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

fn valid_sort(v: &str) -> Result<(), ValidationError> {
    one_of(v, SORTS)
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct TicketListQuery {
    /// OPEN, IN_PROGRESS, DONE, CLOSED or BACKLOG (any case).
    #[validate(custom(function = "valid_status"))]
    pub status: Option<String>,
    /// Only scored tickets with at least this VOC score (0-100); 0 lists every ticket.
    #[validate(range(min = 0.0, max = 100.0))]
    pub min_voc_score: Option<f64>,
    /// voc_score (default, unscored last), created_at (newest first) or priority (HIGHEST first).
    #[validate(custom(function = "valid_sort"))]
    #[serde(default = "default_sort")]
    pub sort_by: String,
    /// 1-1000, default 500.
    #[validate(range(min = 1, max = 1000))]
    #[serde(default = "default_limit")]
    pub limit: u64,
    #[validate(range(max = 1_000_000))]
    #[serde(default)]
    pub offset: u64,
}

fn default_sort() -> String {
    "voc_score".into()
}
fn default_limit() -> u64 {
    500
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct TicketPath {
    /// Jira key, e.g. PROD-123 (any case).
    pub ticket_key: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct MatchPath {
    pub ticket_key: String,
    pub insight_id: Uuid,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ThresholdQuery {
    /// Minimum cosine similarity for a proposed match, 0-1 (default `jira.similarity_threshold`, 0.6).
    #[validate(range(min = 0.0, max = 1.0))]
    pub similarity_threshold: Option<f32>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ConfirmQuery {
    /// true confirms (always counted), false rejects (never counted nor proposed again).
    pub confirmed: bool,
}

async fn create_ticket(
    State(state): State<AppState>,
    auth: Auth,
    ValidJson(body): ValidJson<TicketIn>,
) -> Result<(StatusCode, Json<TicketOut>), ApiError> {
    let p = auth.require(Role::Editor)?;
    let input = body.into_input().map_err(field_error)?;
    let ticket = tickets::create(&state.db, p.workspace_id, &input).await?;
    jobs::request_embedding(&state.db, &state.queue, &state.settings, p.workspace_id).await?;
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
        page: shared::services::Page {
            limit: q.limit,
            offset: q.offset,
        },
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
    let ticket = tickets::get_by_key(&state.db, auth.0.workspace_id, &path.ticket_key).await?;
    Ok(Json(views::one(&state.db, ticket).await?.into()))
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
    jobs::request_embedding(&state.db, &state.queue, &state.settings, p.workspace_id).await?;
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
    audit::record(&txn, p, &origin, event).await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an import did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ImportOut {
    /// Tickets read from the body (one per key).
    pub tickets: usize,
    #[serde(flatten)]
    pub report: UpsertReport,
    /// Rows that could not be used, with the reason.
    pub skipped: Vec<SkippedRow>,
    /// `csv` or `json`.
    pub format: &'static str,
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"))
}

fn parse_json_import(bytes: &[u8], max_rows: usize) -> Result<ParsedTickets, ApiError> {
    let items: Vec<serde_json::Value> = serde_json::from_slice(bytes).map_err(|e| {
        ApiError::field(
            &["body"],
            format!("expected a JSON array of tickets: {e}"),
            "type_error",
        )
    })?;
    if items.len() > max_rows {
        return Err(ApiError::field(
            &["body"],
            format!("at most {max_rows} tickets per import"),
            "value_error",
        ));
    }
    let mut parsed = ParsedTickets::default();
    for (i, item) in items.into_iter().enumerate() {
        let key = item["jira_key"].as_str().map(str::to_owned);
        let input = serde_json::from_value::<TicketIn>(item)
            .map_err(|e| FieldProblem {
                field: "ticket",
                message: e.to_string(),
            })
            .and_then(TicketIn::into_input);
        parsed.push(i, input);
        if let Some(last) = parsed.skipped.last_mut()
            && last.row == i
        {
            last.jira_key = key;
        }
    }
    Ok(parsed)
}

async fn import_tickets(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let limit = state.settings.ingest.max_file_bytes;
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the import is larger than {limit} bytes (ingest.max_file_bytes)"),
        )
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::field(&["body"], "the body is empty", "missing"));
    }
    let max_rows = state.settings.jira.max_import_rows;
    let (parsed, format) = if is_json(&headers) {
        (parse_json_import(&bytes, max_rows)?, "json")
    } else {
        let parsed = import::parse_csv(&bytes, max_rows)
            .map_err(|e| ApiError::field(&["body"], e.0, "value_error"))?;
        (parsed, "csv")
    };
    if parsed.tickets.is_empty() {
        let first = parsed
            .skipped
            .first()
            .map_or("no tickets in the body".to_owned(), |s| {
                format!("row {}: {}", s.row, s.reason)
            });
        return Err(ApiError::field(
            &["body"],
            format!("nothing to import ({first})"),
            "value_error",
        ));
    }
    let report = tickets::upsert_many(&state.db, p.workspace_id, &parsed.tickets).await?;
    if report.created + report.updated > 0 {
        jobs::request_embedding(&state.db, &state.queue, &state.settings, p.workspace_id).await?;
    }
    Ok(Json(ImportOut {
        tickets: parsed.tickets.len(),
        report,
        skipped: parsed.skipped,
        format,
    }))
}

/// The seed's VOC object plus the matches behind it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VocOut {
    #[serde(flatten)]
    pub voc: VocView,
    pub matched_insights: Vec<MatchView>,
    pub priority_gap: Option<PriorityGap>,
    pub insights_compared: usize,
}

async fn calculate_voc(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<TicketPath>,
    ValidQuery(q): ValidQuery<ThresholdQuery>,
) -> Result<Json<VocOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let ticket = tickets::get_by_key(&state.db, p.workspace_id, &path.ticket_key).await?;
    let run = shared::ai::runs::RunContext::for_workspace(p.workspace_id, p.label());
    let embedder = state.ai.embedder_for(&run).await.map_err(|e| {
        tracing::warn!(error = %e, "embedder unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the embedding model is unavailable; try again shortly",
        )
    })?;
    let opts = ScoreOptions::from_settings(
        &state.settings,
        q.similarity_threshold,
        Some(vec![ticket.id]),
    );
    let stats = match_and_score(&state.db, p.workspace_id, embedder.as_ref(), &opts).await?;
    // The view reads the new score and matches; the ticket's own fields did not change.
    let view = views::one(&state.db, ticket).await?;
    let voc = view.voc.ok_or_else(ApiError::internal)?;
    Ok(Json(VocOut {
        voc,
        matched_insights: view.matches,
        priority_gap: view.priority_gap,
        insights_compared: stats.insights_compared,
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CalculateAllOut {
    /// "VOC scoring completed", or "VOC scoring is running" with 202.
    pub message: String,
    /// Null while the job is still running.
    pub stats: Option<ScoreStats>,
    /// The scoring job; poll `GET /jobs/{task_id}`.
    pub task_id: Uuid,
    /// completed, queued or running.
    pub status: String,
}

async fn calculate_all_voc(
    State(state): State<AppState>,
    auth: Auth,
    PreferAsync(prefer_async): PreferAsync,
    deadline: Option<Extension<RequestDeadline>>,
    ValidQuery(q): ValidQuery<ThresholdQuery>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    let new = NewJob::for_workspace(
        &state.settings,
        p.workspace_id,
        kinds::VOC,
        serde_json::json!({"similarity_threshold": q.similarity_threshold}),
    )
    .requested_by(p.label())
    .singleton();
    let job = match jobs::start(&state.db, &state.queue, new).await? {
        StartOutcome::Started(j) | StartOutcome::AlreadyRunning(j) => j,
        StartOutcome::Duplicate => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "VOC scoring is already scheduled",
            ));
        }
    };
    let wait = sync_wait(&state, deadline.as_deref(), prefer_async);
    let job = jobs::wait_for(&state.db, p.workspace_id, &[job.id], wait)
        .await?
        .pop()
        .unwrap_or(job);
    match job.status.as_str() {
        status::COMPLETED => {
            let result = job.result.clone().unwrap_or_default();
            let stats: Option<ScoreStats> = serde_json::from_value(result["stats"].clone()).ok();
            Ok(Json(CalculateAllOut {
                message: "VOC scoring completed".into(),
                stats,
                task_id: job.id,
                status: job.status,
            })
            .into_response())
        }
        status::FAILED | status::CANCELLED => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "VOC scoring {}: {}",
                job.status,
                job.error.as_deref().unwrap_or("no reason recorded")
            ),
        )),
        _ => Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/jobs/{}", job.id))],
            Json(CalculateAllOut {
                message: "VOC scoring is running".into(),
                stats: None,
                task_id: job.id,
                status: job.status,
            }),
        )
            .into_response()),
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConfirmOut {
    /// "Match confirmed" or "Match rejected".
    pub message: &'static str,
    pub ticket_key: String,
    pub insight_id: Uuid,
    /// 1 confirmed, 0 rejected.
    pub is_confirmed: i16,
    /// The ticket's score with the decision applied.
    pub voc_score: Option<VocView>,
}

async fn confirm_match(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<MatchPath>,
    ValidQuery(q): ValidQuery<ConfirmQuery>,
) -> Result<Json<ConfirmOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let ws = p.workspace_id;
    let decision = decisions::decide(
        &state.db,
        ws,
        &path.ticket_key,
        path.insight_id,
        q.confirmed,
        state.settings.jira.similarity_threshold,
    )
    .await?;
    let ticket = tickets::get_by_key(&state.db, ws, &path.ticket_key).await?;
    let view = views::one(&state.db, ticket).await?;
    Ok(Json(ConfirmOut {
        message: if q.confirmed {
            "Match confirmed"
        } else {
            "Match rejected"
        },
        ticket_key: view.ticket.jira_key,
        insight_id: path.insight_id,
        is_confirmed: decision,
        voc_score: view.voc,
    }))
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
            "/jira/tickets/import",
            post_with(import_tickets, |op| {
                op.summary("Import tickets")
                    .description(
                        "A JSON array of tickets (Content-Type: application/json) or a Jira CSV export (any other \
                         type: Issue key, Summary, Description, Status, Priority, Labels, Story Points, Epic Link, \
                         Created, Updated; Jira's workflow names such as \"To Do\" are understood). Upserts by key in \
                         one transaction: unchanged tickets keep their embedding and score. Rows that cannot be used \
                         are listed in `skipped`; a body with no usable row is 422. Editors and admins.",
                    )
                    .tag("jira")
                    .response_with::<413, ApiError, _>(|r| r.description("Larger than ingest.max_file_bytes"))
            })
            .layer(DefaultBodyLimit::disable()),
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
        .api_route(
            "/jira/tickets/{ticket_key}/calculate-voc",
            post_with(calculate_voc, |op| {
                op.summary("Score one ticket")
                    .description(
                        "Embeds the ticket if its vector is missing or stale, matches it against every customer \
                         insight (top matches at or above `similarity_threshold`; confirmed ones always, rejected \
                         ones never) and answers its VOC score. Editors and admins.",
                    )
                    .tag("jira")
            }),
        )
        .api_route(
            "/jira/calculate-all-voc",
            post_with(calculate_all_voc, |op| {
                op.summary("Score every ticket")
                    .description(
                        "Runs one scoring job per workspace (a second request joins the running one). The answer \
                         waits for it up to `jobs.sync_wait_secs`, else (or with `Prefer: respond-async`) it is 202 \
                         with the job to poll. Editors and admins.",
                    )
                    .tag("jira")
                    .response_with::<200, Json<CalculateAllOut>, _>(|r| r.description("Scoring done within the wait"))
                    .response_with::<202, Json<CalculateAllOut>, _>(|r| r.description("Scoring still running"))
            }),
        )
        .api_route(
            "/jira/tickets/{ticket_key}/matches/{insight_id}/confirm",
            post_with(confirm_match, |op| {
                op.summary("Confirm or reject a match")
                    .description(
                        "Records a PM's decision on a ticket-insight match (any customer insight of the workspace, \
                         proposed or not). Confirmed matches always count in the score, rejected ones never and are \
                         not proposed again; the decision survives re-runs and the ticket is re-scored at once. \
                         Editors and admins.",
                    )
                    .tag("jira")
            }),
        )
}
