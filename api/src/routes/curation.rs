//! Curating the board: edit an insight's text, hide or pin it, merge, split, move feedback
//! between themes, and undo any of these from its audit entry. Editors and admins.

use aide::axum::{
    ApiRouter,
    routing::{patch_with, post_with},
};
use axum::{Json, extract::State};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::Origin,
        principal::Principal,
        themes::{
            board::{self, InsightView},
            curation::{self, Curated, Curator, InsightEdit},
        },
    },
};
use uuid::Uuid;
use validator::{Validate, ValidationError};

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidJson, ValidPath},
    origin::AuditOrigin,
    routes::themes::InsightPath,
    state::AppState,
};

fn not_blank(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() {
        return Err(ValidationError::new("blank").with_message("must not be blank".into()));
    }
    Ok(())
}

/// Fields to change; absent ones stay. Text a PM writes is kept by later clustering runs.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InsightPatchIn {
    #[validate(length(min = 1, max = 200), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub title: Option<String>,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub description: Option<String>,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub impact: Option<String>,
    #[validate(length(min = 1, max = 5000), custom(function = "not_blank"))]
    #[schemars(pattern(r"\S"))]
    pub recommendation: Option<String>,
    /// Hidden insights leave the board (list them with `include_hidden=true`).
    pub hidden: Option<bool>,
    /// Pinned insights head the board whatever the sort.
    pub pinned: Option<bool>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeIn {
    /// Insights whose themes join this one (they are removed).
    #[validate(length(min = 1, max = 50))]
    pub insight_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MoveIn {
    /// Feedback items to put in this insight's theme (out of whichever held them).
    #[validate(length(min = 1, max = 1000))]
    pub feedback_ids: Vec<Uuid>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitIn {
    /// Members that become the new theme; omit to split the theme in two by similarity.
    #[validate(length(min = 1, max = 1000))]
    pub feedback_ids: Option<Vec<Uuid>>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
pub struct AuditEntryPath {
    /// The `audit_id` a curation answered (or the entry's id in `GET /admin/audit`).
    pub audit_id: Uuid,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CurationOut {
    /// The audit entry of this change: `POST /themes/curation/{audit_id}/undo` reverts it.
    pub audit_id: Uuid,
    /// The insight as it is now.
    pub insight: InsightView,
    /// A split's new insight.
    pub created_insight: Option<InsightView>,
}

async fn answer(state: &AppState, ws: Uuid, done: Curated) -> Result<Json<CurationOut>, ApiError> {
    let created_insight = match done.created_insight_id {
        Some(id) => Some(board::insight(&state.db, ws, id).await?),
        None => None,
    };
    Ok(Json(CurationOut {
        audit_id: done.audit_id,
        insight: board::insight(&state.db, ws, done.insight_id).await?,
        created_insight,
    }))
}

fn curator<'a>(state: &AppState, who: &'a Principal, from: &'a Origin) -> Curator<'a> {
    Curator {
        who,
        from,
        voc_threshold: state.settings.jira.similarity_threshold,
    }
}

async fn edit_insight(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<InsightPath>,
    ValidJson(body): ValidJson<InsightPatchIn>,
) -> Result<Json<CurationOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let edit = InsightEdit {
        title: body.title.map(|t| t.trim().to_owned()),
        description: body.description,
        impact: body.impact,
        recommendation: body.recommendation,
        hidden: body.hidden,
        pinned: body.pinned,
    };
    let c = curator(&state, p, &origin);
    let done = curation::edit(&state.db, &c, path.insight_id, edit).await?;
    answer(&state, p.workspace_id, done).await
}

async fn merge(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<InsightPath>,
    ValidJson(body): ValidJson<MergeIn>,
) -> Result<Json<CurationOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let c = curator(&state, p, &origin);
    let done = curation::merge(&state.db, &c, path.insight_id, &body.insight_ids).await?;
    answer(&state, p.workspace_id, done).await
}

async fn move_items(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<InsightPath>,
    ValidJson(body): ValidJson<MoveIn>,
) -> Result<Json<CurationOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let c = curator(&state, p, &origin);
    let done = curation::move_items(&state.db, &c, path.insight_id, &body.feedback_ids).await?;
    answer(&state, p.workspace_id, done).await
}

async fn split(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<InsightPath>,
    ValidJson(body): ValidJson<SplitIn>,
) -> Result<Json<CurationOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let c = curator(&state, p, &origin);
    let done =
        curation::split(&state.db, &c, path.insight_id, body.feedback_ids.as_deref()).await?;
    answer(&state, p.workspace_id, done).await
}

async fn undo(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<AuditEntryPath>,
) -> Result<Json<CurationOut>, ApiError> {
    let p = auth.require(Role::Editor)?;
    let c = curator(&state, p, &origin);
    let done = curation::undo(&state.db, &c, path.audit_id).await?;
    answer(&state, p.workspace_id, done).await
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/themes/{insight_id}",
            patch_with(edit_insight, |op| {
                op.summary("Edit, hide or pin an insight")
                    .description(
                        "Changes the insight's title, description, impact or recommendation (clustering runs keep \
                         text a PM wrote and the insight says who edited it), hides it from the board or pins it \
                         to the top. The theme becomes curated. Editors and admins; audited, undoable.",
                    )
                    .tag("curation")
            }),
        )
        .api_route(
            "/themes/{insight_id}/merge",
            post_with(merge, |op| {
                op.summary("Merge insights into this one")
                    .description(
                        "The listed insights' feedback and Jira matches join this insight's theme and they are \
                         removed; later runs keep the merge (a cluster that looks like a merged theme joins this \
                         one). Cards, scores and matched tickets' VOC follow in the same transaction.",
                    )
                    .tag("curation")
            }),
        )
        .api_route(
            "/themes/{insight_id}/move",
            post_with(move_items, |op| {
                op.summary("Move feedback into this insight's theme")
                    .description(
                        "The items leave whichever theme held them (a theme left empty is removed) and stay \
                         here through later clustering runs.",
                    )
                    .tag("curation")
            }),
        )
        .api_route(
            "/themes/{insight_id}/split",
            post_with(split, |op| {
                op.summary("Split a theme")
                    .description(
                        "The chosen members (or, with none chosen, the smaller half of a two-way split by \
                         similarity) become a new theme whose insight the deterministic writer drafts \
                         (`created_insight`). Both themes are kept by later runs.",
                    )
                    .tag("curation")
            }),
        )
        .api_route(
            "/themes/curation/{audit_id}/undo",
            post_with(undo, |op| {
                op.summary("Undo a curation")
                    .description(
                        "Puts the themes a curation touched back as they were before it (themes it created go). \
                         409 when it was already undone, a later curation changed the same themes, or the entry \
                         is not a curation. The undo is audited (`theme.undone`) and can itself be undone.",
                    )
                    .tag("curation")
            }),
        )
}
