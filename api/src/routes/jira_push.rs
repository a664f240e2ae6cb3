//! `POST /themes/{insight_id}/push-to-jira`: an insight (or its PRD) as an issue in the
//! connected Jira project, linked both ways. Editors and admins.

use aide::axum::{ApiRouter, routing::post_with};
use axum::{Json, extract::State, http::StatusCode};
use schemars::JsonSchema;
use serde::Deserialize;
use shared::{
    ai::{budget::TokenBudgets, runs::RunContext},
    auth::Role,
    services::{
        documents::{prd, source},
        exports,
        jira::push::{self, JiraLink, Push, PushKind},
    },
};
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidJson, ValidPath},
    origin::AuditOrigin,
    routes::{integrations::sync_error, themes::InsightPath},
    state::AppState,
};

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PushIn {
    /// The Jira project's key, e.g. `PROD`.
    #[validate(length(min = 1, max = 20))]
    #[validate(regex(path = *PROJECT_KEY))]
    pub project_key: String,
    /// `insight` (its description, customers and quotes; the default) or `prd`.
    #[serde(default = "default_kind")]
    pub kind: PushKind,
    /// The issue type's name in that project (default `Story`).
    #[serde(default = "default_issue_type")]
    #[validate(length(min = 1, max = 60))]
    #[validate(regex(path = *HAS_TEXT))]
    pub issue_type: String,
}

static PROJECT_KEY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"^[A-Z][A-Z0-9_]{0,19}$").expect("a valid pattern")
});
static HAS_TEXT: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\S").expect("a valid pattern"));

fn default_kind() -> PushKind {
    PushKind::Insight
}

fn default_issue_type() -> String {
    "Story".into()
}

async fn push_to_jira(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<InsightPath>,
    ValidJson(body): ValidJson<PushIn>,
) -> Result<(StatusCode, Json<JiraLink>), ApiError> {
    let p = auth.require(Role::Editor)?;
    let doc = source::load(&state.db, p.workspace_id, path.insight_id).await?;
    let markdown = match body.kind {
        PushKind::Insight => exports::insight_markdown(&doc),
        PushKind::Prd => {
            let requester = prd::Requester {
                run: RunContext::for_workspace(p.workspace_id, p.label()),
                may_use_model: true,
                budgets: TokenBudgets::from_settings(&state.settings),
            };
            prd::draft(
                &state.db,
                &doc,
                &state.ai,
                &requester,
                &state.settings.server.web_ui_base_url,
            )
            .await?
            .markdown
        }
    };
    let request = Push {
        insight_id: doc.id,
        title: &doc.card.title,
        severity: &doc.card.severity,
        kind: body.kind,
        markdown: &markdown,
        project_key: &body.project_key,
        issue_type: body.issue_type.trim(),
    };
    let link = push::push(
        &state.db,
        &state.settings,
        &state.tokens,
        p,
        &origin,
        request,
    )
    .await
    .map_err(|e| sync_error("jira_refused", e))?;
    state.embed_new_text(p.workspace_id).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/themes/{insight_id}/push-to-jira",
        post_with(push_to_jira, |op| {
            op.summary("Push an insight to Jira")
                .description(
                    "Creates an issue in the connected Jira site's project from the insight (its description, \
                     customers and key quotes) or its PRD, ending with a link back to the insight. The issue is \
                     stored as a ticket confirmed against the insight and scored like any other, and `GET \
                     /themes/{id}` lists it under `jira_issues`. 409 when this insight (or PRD) was pushed already; \
                     400 `jira_refused` when Jira refuses (unknown project or issue type, revoked token) or no \
                     site is connected; 502 when Jira is unreachable (nothing was stored: check Jira before \
                     pushing again). Editors and admins; audited.",
                )
                .tag("jira")
                .response::<201, Json<JiraLink>>()
        }),
    )
}
