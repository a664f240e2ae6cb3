//! Downloads: the board as CSV (the same query as `GET /themes`, so a client exports what it
//! shows) and one insight with its customers and quotes as Markdown.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{
    extract::State,
    http::header,
    response::{IntoResponse, Response},
};
use shared::services::{documents::source, exports, themes::board};

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidPath, ValidQuery},
    routes::themes::{InsightPath, ThemeQuery},
    state::AppState,
};

/// A file to save: its type, the name a browser offers, and its text.
fn download(content_type: &'static str, file_name: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn board_csv(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<ThemeQuery>,
) -> Result<Response, ApiError> {
    let cards = board::list(&state.db, auth.0.workspace_id, &q.board_query()).await?;
    Ok(download(
        "text/csv; charset=utf-8",
        &exports::board_file_name(None),
        exports::board_csv(&cards),
    ))
}

async fn insight_markdown(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<InsightPath>,
) -> Result<Response, ApiError> {
    let doc = source::load(&state.db, auth.0.workspace_id, path.insight_id).await?;
    Ok(download(
        "text/markdown; charset=utf-8",
        &exports::file_name(&doc.card.title, "md"),
        exports::insight_markdown(&doc),
    ))
}

/// Documents a 200 whose body is text of `media_type`.
fn text_response<'t>(
    op: aide::transform::TransformOperation<'t>,
    media_type: &str,
    description: &str,
) -> aide::transform::TransformOperation<'t> {
    let media_type = media_type.to_owned();
    let description = description.to_owned();
    op.response_with::<200, String, _>(move |mut r| {
        let content = &mut r.inner().content;
        let text = content
            .shift_remove("text/plain; charset=utf-8")
            .unwrap_or_default();
        content.insert(media_type, text);
        r.description(&description)
    })
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/themes/export.csv",
            get_with(board_csv, |op| {
                text_response(
                    op.summary("Export the board as CSV")
                        .description(
                            "The insights `GET /themes` returns for the same query (filters, sort and page), one \
                             row each: title, severity, effort, priority, accounts, ACV, feedback, 30-day mentions, \
                             trend, theme score, customers, recommendation, writer, id. A cell that would start \
                             like a spreadsheet formula is prefixed with `'`.",
                        )
                        .tag("themes"),
                    "text/csv",
                    "The CSV file (`Content-Disposition: attachment`)",
                )
            }),
        )
        .api_route(
            "/themes/{insight_id}/export.md",
            get_with(insight_markdown, |op| {
                text_response(
                    op.summary("Export an insight as Markdown")
                        .description(
                            "The insight's card, its customers (segment and ACV) and its key quotes with who said \
                             them and when, as a Markdown file named after its title.",
                        )
                        .tag("themes"),
                    "text/markdown",
                    "The Markdown file (`Content-Disposition: attachment`)",
                )
            }),
        )
}
