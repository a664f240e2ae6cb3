//! The audit trail: who changed members, roles, API keys, weights and integrations, or
//! deleted something, when and from where. An entry is written in the same transaction as
//! the change it describes, so there is never a change without its entry or the reverse.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::{DomainError, entities::audit_log, services::principal::Principal};

/// Where a request came from: the client address and the request id of the API call.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// One action on one target, e.g. `api_key.revoked` on `api_key` <id>.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
}

impl Event {
    pub fn new(action: &'static str, target_type: &'static str, target_id: impl ToString) -> Self {
        Self {
            action,
            target_type,
            target_id: Some(target_id.to_string()),
            details: serde_json::json!({}),
        }
    }

    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Finishes an audited change: records `event` by `who` in the change's transaction, then
/// commits both, answering the entry's id. Every audited route ends this way.
pub async fn commit(
    txn: DatabaseTransaction,
    who: &Principal,
    from: &Origin,
    event: Event,
) -> Result<Uuid, DomainError> {
    let id = record(&txn, who, from, event).await?;
    txn.commit().await?;
    Ok(id)
}

/// Records `event` by `who` in `who`'s workspace. Pass the transaction of the change.
pub async fn record(
    db: &impl ConnectionTrait,
    who: &Principal,
    from: &Origin,
    event: Event,
) -> Result<Uuid, DomainError> {
    record_for(db, who.workspace_id, &who.label(), from, event).await
}

/// Records `event` by `actor` (a principal's label) where no principal is at hand: an
/// OAuth callback acts for the admin who started the flow.
pub async fn record_for(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    actor: &str,
    from: &Origin,
    event: Event,
) -> Result<Uuid, DomainError> {
    let id = Uuid::now_v7();
    audit_log::ActiveModel {
        id: Set(id),
        workspace_id: Set(workspace_id),
        actor: Set(actor.to_owned()),
        action: Set(event.action.to_owned()),
        target_type: Set(event.target_type.to_owned()),
        target_id: Set(event.target_id),
        details: Set(event.details),
        ip: Set(from.ip.clone()),
        request_id: Set(from.request_id.clone()),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    Ok(id)
}

/// What to list: newest first, optionally one action (`api_key.created`) or one family of
/// actions (`api_key.`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub actor: Option<String>,
}

/// One page of entries and how many match in all.
pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    filter: Filter,
    page: super::Page,
) -> Result<(Vec<audit_log::Model>, u64), DomainError> {
    let mut query =
        audit_log::Entity::find().filter(audit_log::Column::WorkspaceId.eq(workspace_id));
    if let Some(action) = filter.action {
        query = if action.ends_with('.') {
            query.filter(audit_log::Column::Action.starts_with(action))
        } else {
            query.filter(audit_log::Column::Action.eq(action))
        };
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::Column::Actor.eq(actor));
    }
    let total = query.clone().count(db).await?;
    let items = query
        .order_by_desc(audit_log::Column::CreatedAt)
        .order_by_desc(audit_log::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await?;
    Ok((items, total))
}
