//! `/tickets/*`: artifacts for the browser extension, served from a ticket's matches.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{Json, extract::State};
use schemars::JsonSchema;
use serde::Serialize;
use shared::services::jira::{
    artifacts::{self, TicketScore},
    tickets,
};

use crate::{
    auth::Auth, error::ApiError, extract::ValidPath, routes::jira::TicketPath, state::AppState,
};

#[derive(Debug, Serialize, JsonSchema)]
pub struct DraftPrdOut {
    pub ticket_key: String,
    pub prd_markdown: String,
}

async fn ticket_score(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<TicketPath>,
) -> Result<Json<TicketScore>, ApiError> {
    Ok(Json(
        artifacts::score(&state.db, auth.0.workspace_id, &path.ticket_key).await?,
    ))
}

async fn draft_prd(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<TicketPath>,
) -> Result<Json<DraftPrdOut>, ApiError> {
    let ws = auth.0.workspace_id;
    tickets::get_by_key(&state.db, ws, &path.ticket_key).await?;
    let score = artifacts::score(&state.db, ws, &path.ticket_key).await?;
    Ok(Json(DraftPrdOut {
        prd_markdown: artifacts::draft_prd(&score),
        ticket_key: score.ticket_key,
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/tickets/{ticket_key}/score",
            get_with(ticket_score, |op| {
                op.summary("Themes behind a ticket")
                    .description(
                        "Up to three themes of the ticket's included matches, highest ThemeScore (0-100) first, each \
                         with the share of the ticket's feedback it holds; quotes from the strongest theme; \
                         `overall_score` = mean of score x coverage. An unknown key gives the empty answer.",
                    )
                    .tag("tickets")
            }),
        )
        .api_route(
            "/tickets/{ticket_key}/draft_prd",
            post_with(draft_prd, |op| {
                op.summary("Draft a PRD outline for a ticket")
                    .description("A short Markdown outline from the ticket's themes and quotes; an unknown key is 404.")
                    .tag("tickets")
            }),
        )
}
