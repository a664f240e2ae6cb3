//! `POST /jira/tickets/import`: tickets from a CSV or JSON export, upserted by key.

use aide::axum::{ApiRouter, routing::post_with};
use axum::{
    Json,
    body::Body,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header},
};
use schemars::JsonSchema;
use serde::Serialize;
use shared::{
    auth::Role,
    services::jira::{
        import::{self, FieldProblem, ParsedTickets, SkippedRow},
        tickets::{self, UpsertReport},
    },
};

use super::jira::TicketIn;
use crate::{auth::Auth, error::ApiError, state::AppState};

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
        state.embed_new_text(p.workspace_id).await?;
    }
    Ok(Json(ImportOut {
        tickets: parsed.tickets.len(),
        report,
        skipped: parsed.skipped,
        format,
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
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
}
