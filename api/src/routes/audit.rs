//! `/admin/audit`: the workspace's audit trail, for admins.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{Json, extract::State};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{auth::Role, entities::audit_log, services::audit};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::ValidQuery,
    paging::{self, Limit, Offset},
    state::AppState,
};

/// One recorded admin action.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditEntryOut {
    pub id: Uuid,
    /// `user:<id>`, `api_key:<id>` or `local` (authentication disabled).
    pub actor: String,
    /// e.g. member.added, member.updated, api_key.created, api_key.revoked,
    /// scoring.weights_changed, integration.connected, integration.disconnected,
    /// feedback.deleted, jira_ticket.deleted, conversation.deleted.
    pub action: String,
    /// user, api_key, workspace, integration, feedback, jira_ticket or conversation.
    pub target_type: String,
    pub target_id: Option<String>,
    /// What changed (never a secret).
    pub details: serde_json::Value,
    /// The client's address (`server.client_ip_header` behind a proxy).
    pub ip: Option<String>,
    /// The `x-request-id` of the call, to find it in the logs.
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<audit_log::Model> for AuditEntryOut {
    fn from(m: audit_log::Model) -> Self {
        Self {
            id: m.id,
            actor: m.actor,
            action: m.action,
            target_type: m.target_type,
            target_id: m.target_id,
            details: m.details,
            ip: m.ip,
            request_id: m.request_id,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditOut {
    /// Newest first.
    pub items: Vec<AuditEntryOut>,
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// One action (`api_key.created`), or a family ending in a dot (`api_key.`).
    #[validate(length(min = 1, max = 64))]
    pub action: Option<String>,
    /// Only this actor, e.g. `user:<id>`.
    #[validate(length(min = 1, max = 128))]
    pub actor: Option<String>,
    #[serde(default)]
    pub limit: Limit<50, 200>,
    #[serde(default)]
    pub offset: Offset,
}

async fn list_audit(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(q): ValidQuery<AuditQuery>,
) -> Result<Json<AuditOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let filter = audit::Filter {
        action: q.action,
        actor: q.actor,
    };
    let page = paging::page(q.limit, q.offset);
    let (items, total) = audit::list(&state.db, p.workspace_id, filter, page).await?;
    Ok(Json(AuditOut {
        items: items.into_iter().map(AuditEntryOut::from).collect(),
        total,
        limit: q.limit.get(),
        offset: q.offset.get(),
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/admin/audit",
        get_with(list_audit, |op| {
            op.summary("Audit trail")
                .description(
                    "Admin actions in this workspace, newest first: members and roles, API keys, scoring \
                     weights, integrations and deletions, each with who, what, when and from where. Admins only.",
                )
                .tag("admin")
        }),
    )
}
