//! `/competitive/*`: competitor research sessions and the scored competitive insights they
//! write beside the customer insights.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{Json, extract::State, http::StatusCode, response::Response};
use schemars::JsonSchema;
use serde::Deserialize;
use shared::{
    auth::Role,
    services::{
        competitive::{
            AGENT, AutoRequest, ManualRequest, Research,
            sessions::{self, Session, status},
            views::{self, CompetitiveInsightView},
        },
        jobs,
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidJson, ValidPath, ValidQuery},
    job_wait::{Answer, Standing, WaitBound},
    paging::{self, Limit, Offset, PageQuery},
    state::AppState,
};

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct InsightQuery {
    #[serde(default)]
    pub limit: Limit<20, 100>,
    #[serde(default)]
    pub offset: Offset,
    /// Only this competitor's cards (any case).
    #[validate(length(min = 1, max = 255))]
    pub competitor_name: Option<String>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
pub struct SessionPath {
    pub session_id: Uuid,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
pub struct InsightPath {
    pub insight_id: Uuid,
}

async fn process_manual(
    State(state): State<AppState>,
    auth: Auth,
    bound: WaitBound,
    ValidJson(body): ValidJson<ManualRequest>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    research(&state, p.workspace_id, &p.label(), body.into(), bound).await
}

async fn process_auto(
    State(state): State<AppState>,
    auth: Auth,
    bound: WaitBound,
    ValidJson(body): ValidJson<AutoRequest>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    if shared::ai::chat::configured(&state.ai.config, AGENT).is_none() {
        // A setting to change, not an outage: retrying will not help.
        return Err(ApiError {
            code: "not_configured",
            ..ApiError::new(
                StatusCode::BAD_REQUEST,
                format!(
                    "auto research needs a language model: configure a provider for the {AGENT} agent in \
                     ai_config.yaml, or use /competitive/process-manual, which works without one"
                ),
            )
        });
    }
    research(&state, p.workspace_id, &p.label(), body.into(), bound).await
}

/// Starts the session's job and answers with the session once it is done, or 202 while it
/// still runs.
async fn research(
    state: &AppState,
    workspace_id: Uuid,
    requested_by: &str,
    research: Research,
    bound: WaitBound,
) -> Result<Response, ApiError> {
    let session = sessions::start(
        &state.db,
        &state.queue,
        &state.settings.jobs,
        workspace_id,
        &research,
        requested_by,
    )
    .await?;
    if let Some(job) = session.job_id {
        jobs::wait_for(&state.db, workspace_id, &[job], bound.from_now()).await?;
    }
    // The session mirrors its job, and is what the answer carries.
    let session = sessions::get(&state.db, workspace_id, session.id).await?;
    let what = format!("competitive research {}", session.id);
    let answer = Answer {
        what: &what,
        failure_code: "job_failed",
        poll: format!("/competitive/sessions/{}", session.id),
    };
    answer.respond(match session.status.as_str() {
        status::COMPLETED => Standing::Done(session),
        status::FAILED => Standing::Failed(
            session
                .error_message
                .unwrap_or_else(|| "no reason recorded".into()),
        ),
        _ => Standing::Running(session),
    })
}

async fn list_sessions(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<PageQuery<20, 100>>,
) -> Result<Json<Vec<Session>>, ApiError> {
    Ok(Json(
        sessions::list(&state.db, auth.0.workspace_id, q.into()).await?,
    ))
}

async fn get_session(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<SessionPath>,
) -> Result<Json<Session>, ApiError> {
    Ok(Json(
        sessions::get(&state.db, auth.0.workspace_id, path.session_id).await?,
    ))
}

async fn list_insights(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<InsightQuery>,
) -> Result<Json<Vec<CompetitiveInsightView>>, ApiError> {
    let page = paging::page(q.limit, q.offset);
    Ok(Json(
        views::list(
            &state.db,
            auth.0.workspace_id,
            q.competitor_name.as_deref().map(str::trim),
            page,
        )
        .await?,
    ))
}

async fn get_insight(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<InsightPath>,
) -> Result<Json<CompetitiveInsightView>, ApiError> {
    Ok(Json(
        views::get(&state.db, auth.0.workspace_id, path.insight_id).await?,
    ))
}

const SYNC_NOTE: &str = "The answer waits for the research job up to `jobs.sync_wait_secs`, else (or with \
    `Prefer: respond-async`) it is 202 with the running session and `Location` to poll. Editors and admins.";

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/competitive/process-manual",
            post_with(process_manual, |op| {
                op.summary("Research competitor moves you give")
                    .description(&format!(
                        "One scored card per move, framed as the move, what users will now expect and our gap, \
                         measured against the workspace's customer insights (a match sets reach, ACV and mentions). \
                         With the `competitive_analyst` agent the model writes the cards (invalid ones are dropped and \
                         counted); without one, or when it fails, documented rules do (`generated_by`: fallback). The \
                         P-score is always computed by the server. {SYNC_NOTE}"
                    ))
                    .tag("competitive")
                    .response_with::<200, Json<Session>, _>(|r| r.description("Research done within the wait"))
                    .response_with::<202, Json<Session>, _>(|r| r.description("Research still running"))
                    .response_with::<502, ApiError, _>(|r| r.description("The research failed"))
            }),
        )
        .api_route(
            "/competitive/process-auto",
            post_with(process_auto, |op| {
                op.summary("Let the model research competitors")
                    .description(&format!(
                        "The `competitive_analyst` agent researches the named competitors (or names 3-5 itself) \
                         from what it knows: no web search is available, and citations without a URL are labelled \
                         `model_knowledge`. Without a configured provider: 400 `not_configured` and nothing is stored. {SYNC_NOTE}"
                    ))
                    .tag("competitive")
                    .response_with::<200, Json<Session>, _>(|r| r.description("Research done within the wait"))
                    .response_with::<202, Json<Session>, _>(|r| r.description("Research still running"))
                    .response_with::<502, ApiError, _>(|r| r.description("The model failed"))
                    .response_with::<400, ApiError, _>(|r| r.description("No model configured"))
            }),
        )
        .api_route(
            "/competitive/sessions",
            get_with(list_sessions, |op| {
                op.summary("List research sessions")
                    .description("Newest first.")
                    .tag("competitive")
            }),
        )
        .api_route(
            "/competitive/sessions/{session_id}",
            get_with(get_session, |op| {
                op.summary("Get a research session").tag("competitive")
            }),
        )
        .api_route(
            "/competitive/insights",
            get_with(list_insights, |op| {
                op.summary("List competitive insights")
                    .description("Highest P-score first; `competitor_name` filters in any case.")
                    .tag("competitive")
            }),
        )
        .api_route(
            "/competitive/insights/{insight_id}",
            get_with(get_insight, |op| {
                op.summary("Get a competitive insight").tag("competitive")
            }),
        )
}
