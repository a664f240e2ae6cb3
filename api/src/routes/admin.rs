//! `/admin/*`: scoring weights per workspace.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{Json, extract::State};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        jobs::{
            self, NewJob,
            contract::{NoParams, ThemeRescore},
        },
        theme_scores::{PRIORITY_FORMULA, SegmentPriorities, Weights},
        themes,
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth, error::ApiError, extract::ValidJson, origin::AuditOrigin, state::AppState,
};

#[derive(Debug, Serialize, JsonSchema)]
pub struct AdminConfigOut {
    pub weights: Weights,
    pub segment_priorities: SegmentPriorities,
    /// How an insight's 0-100 priority is computed.
    pub priority_formula: &'static str,
    /// How a Jira ticket's 0-100 VOC score is computed, with its weights and bands.
    pub voc_formula: serde_json::Value,
    /// How a competitive insight's 0-100 P-score is computed from its sub-scores.
    pub competitive_formula: &'static str,
    /// The embedder new feedback is embedded with.
    pub embedder: shared::ai::embeddings::EmbedderStatus,
}

/// Weights to change; absent keys keep their value.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightsPatch {
    #[serde(alias = "frequency")]
    #[validate(range(min = 0.0, max = 1.0))]
    pub freq_30d: Option<f64>,
    #[serde(alias = "acv")]
    #[validate(range(min = 0.0, max = 1.0))]
    pub acv_sum: Option<f64>,
    #[validate(range(min = 0.0, max = 1.0))]
    pub sentiment: Option<f64>,
    #[validate(range(min = 0.0, max = 1.0))]
    pub segment: Option<f64>,
    #[validate(range(min = 0.0, max = 1.0))]
    pub trend: Option<f64>,
    #[validate(range(min = 0.0, max = 1.0))]
    pub duplicate: Option<f64>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentPatch {
    #[serde(rename = "ENT")]
    #[validate(range(min = 0.0, max = 1.0))]
    pub ent: Option<f64>,
    #[serde(rename = "MM")]
    #[validate(range(min = 0.0, max = 1.0))]
    pub mm: Option<f64>,
    #[serde(rename = "SMB")]
    #[validate(range(min = 0.0, max = 1.0))]
    pub smb: Option<f64>,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeightsIn {
    #[validate(nested)]
    pub weights: WeightsPatch,
    #[validate(nested)]
    #[serde(default)]
    pub segment_priorities: Option<SegmentPatch>,
}

impl WeightsIn {
    /// The saved configuration with this request's changes.
    fn applied_to(
        self,
        (mut w, mut sp): (Weights, SegmentPriorities),
    ) -> (Weights, SegmentPriorities) {
        let b = self.weights;
        w.frequency = b.freq_30d.unwrap_or(w.frequency);
        w.acv = b.acv_sum.unwrap_or(w.acv);
        w.sentiment = b.sentiment.unwrap_or(w.sentiment);
        w.segment = b.segment.unwrap_or(w.segment);
        w.trend = b.trend.unwrap_or(w.trend);
        w.duplicate = b.duplicate.unwrap_or(w.duplicate);
        if let Some(s) = self.segment_priorities {
            sp.ent = s.ent.unwrap_or(sp.ent);
            sp.mm = s.mm.unwrap_or(sp.mm);
            sp.smb = s.smb.unwrap_or(sp.smb);
        }
        (w, sp)
    }
}

/// One insight in a weights preview: where it stands now and where it would stand.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PreviewRow {
    pub insight_id: Uuid,
    pub title: String,
    pub current_priority: i32,
    /// 1 is the top of the board.
    pub current_rank: usize,
    pub proposed_priority: i32,
    pub proposed_rank: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct PreviewOut {
    /// The top ten under the proposed weights.
    pub top: Vec<PreviewRow>,
    pub weights: Weights,
    pub segment_priorities: SegmentPriorities,
}

async fn preview_weights(
    State(state): State<AppState>,
    auth: Auth,
    ValidJson(body): ValidJson<WeightsIn>,
) -> Result<Json<PreviewOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let (w, sp) = body.applied_to(themes::scoring_config(&state.db, p.workspace_id).await?);
    let proposed = themes::preview_scoring(&state.db, p.workspace_id, (w, sp)).await?;
    let current = themes::board::current_ranking(&state.db, p.workspace_id).await?;
    let top = proposed
        .iter()
        .enumerate()
        .take(10)
        .filter_map(|(rank, (theme_id, priority))| {
            let (now_rank, now) = current
                .iter()
                .enumerate()
                .find(|(_, c)| c.theme_id == *theme_id)?;
            Some(PreviewRow {
                insight_id: now.insight_id,
                title: now.title.clone(),
                current_priority: now.priority,
                current_rank: now_rank + 1,
                proposed_priority: *priority,
                proposed_rank: rank + 1,
            })
        })
        .collect();
    Ok(Json(PreviewOut {
        top,
        weights: w,
        segment_priorities: sp,
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WeightsOut {
    pub status: &'static str,
    pub message: String,
    pub weights: Weights,
    pub segment_priorities: SegmentPriorities,
    /// The job re-scoring existing themes.
    pub task_id: Option<Uuid>,
}

async fn get_config(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<AdminConfigOut>, ApiError> {
    let (weights, segment_priorities) =
        themes::scoring_config(&state.db, auth.0.workspace_id).await?;
    Ok(Json(AdminConfigOut {
        weights,
        segment_priorities,
        priority_formula: PRIORITY_FORMULA,
        voc_formula: shared::services::jira::voc::formula(
            state.settings.jira.similarity_threshold,
            state.settings.jira.max_matches_per_ticket,
        ),
        competitive_formula: shared::services::competitive::rubric::formula(),
        embedder: state.ai.embedder_status(),
    }))
}

async fn update_weights(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidJson(body): ValidJson<WeightsIn>,
) -> Result<Json<WeightsOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let (w, sp) = body.applied_to(themes::scoring_config(&state.db, p.workspace_id).await?);
    let txn = state.db.begin().await?;
    themes::save_scoring_config(&txn, p.workspace_id, &w, &sp).await?;
    let event = Event::new("scoring.weights_changed", "workspace", p.workspace_id)
        .details(serde_json::json!({ "weights": w, "segment_priorities": sp }));
    audit::commit(txn, p, &origin, event).await?;
    let new = NewJob::of::<ThemeRescore>(&state.settings.jobs, p.workspace_id, &NoParams {})
        .requested_by(p.label());
    let started = jobs::start(&state.db, &state.queue, new).await?;
    let task_id = started.into_job().map(|j| j.id);
    Ok(Json(WeightsOut {
        status: "success",
        message: "Weights saved for this workspace; existing themes are being re-scored.".into(),
        weights: w,
        segment_priorities: sp,
        task_id,
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/admin/config",
            get_with(get_config, |op| {
                op.summary("Scoring configuration").description("The workspace's weights, segment priorities and priority formula.").tag("admin")
            }),
        )
        .api_route(
            "/admin/weights/preview",
            post_with(preview_weights, |op| {
                op.summary("Preview scoring weights")
                    .description(
                        "The same body as `POST /admin/weights`, saved nowhere: the top ten insights as they \
                         would rank under those weights, each with its rank and priority now. Admins only.",
                    )
                    .tag("admin")
            }),
        )
        .api_route(
            "/admin/weights",
            post_with(update_weights, |op| {
                op.summary("Update scoring weights")
                    .description(
                        "Each value in [0, 1]; unknown keys are rejected. Saved per workspace (all replicas, restarts) \
                         and existing themes are re-scored by a job without re-clustering. Admins only.",
                    )
                    .tag("admin")
            }),
        )
}
