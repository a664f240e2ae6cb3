//! `/integrations/slack/notifications`: where the workspace hears from ProduckAI in Slack
//! (high-priority insight alerts and the weekly digest). Admins only; changes are audited.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{Json, extract::State};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::Deserialize;
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        integrations::slack_notify::{self, Notifications, NotificationsIn},
    },
};
use validator::Validate;

use super::integrations::sync_error;
use crate::{
    auth::Auth, error::ApiError, extract::ValidJson, origin::AuditOrigin, state::AppState,
};

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsBody {
    /// The channel's id (e.g. C0123456789); the connected bot must be a member.
    #[validate(length(min = 1, max = 64))]
    #[validate(regex(path = *crate::extract::TOKEN_CHARS))]
    pub channel_id: String,
    /// Alert when an insight appears at or rises to this priority (default 70).
    #[serde(default = "default_priority")]
    #[validate(range(min = 0, max = 100))]
    pub min_priority: i32,
    /// Post the weekly digest (default true).
    #[serde(default = "default_true")]
    pub weekly_digest: bool,
}

fn default_priority() -> i32 {
    70
}

fn default_true() -> bool {
    true
}

async fn get(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Option<Notifications>>, ApiError> {
    let p = auth.require(Role::Admin)?;
    Ok(Json(slack_notify::get(&state.db, p.workspace_id).await?))
}

async fn put(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidJson(body): ValidJson<NotificationsBody>,
) -> Result<Json<Notifications>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    let saved = slack_notify::save(
        &txn,
        &state.settings.integrations,
        &state.tokens,
        p.workspace_id,
        &p.display_name(),
        NotificationsIn {
            channel_id: body.channel_id.trim(),
            min_priority: body.min_priority,
            weekly_digest: body.weekly_digest,
        },
    )
    .await
    .map_err(|e| sync_error("slack_refused", e))?;
    let event = Event::new("integration.slack_notifications", "integration", "slack").details(serde_json::json!({
        "channel_id": saved.channel_id, "min_priority": saved.min_priority, "weekly_digest": saved.weekly_digest,
    }));
    audit::commit(txn, p, &origin, event).await?;
    Ok(Json(saved))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/integrations/slack/notifications",
        get_with(get, |op| {
            op.summary("Slack notification settings")
                .description("Null until an admin chose a channel. Admins only.")
                .tag("integrations")
        })
        .put_with(put, |op| {
            op.summary("Choose the Slack channel for alerts and the weekly digest")
                .description(
                    "Through the connected Slack bot (checked with conversations.info; the bot must be in the \
                     channel): an alert when a clustering run makes or raises an insight to `min_priority`, and a \
                     weekly digest (new themes, top movers, tickets whose priority disagrees with the evidence) on \
                     `worker.digest_schedule`, at most once a week per workspace. 400 `slack_refused` when Slack \
                     is not connected or refuses the channel. Admins only; audited.",
                )
                .tag("integrations")
        }),
    )
}
