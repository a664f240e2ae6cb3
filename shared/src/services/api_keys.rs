//! API keys for services and scripts: shown once, stored hashed, revocable.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::{
    DomainError,
    auth::{Role, secrets},
    entities::api_key,
};

/// A new key: the stored row plus the secret, which is never retrievable again.
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: String,
}

pub async fn create(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    name: &str,
    role: Role,
    created_by: Option<Uuid>,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> Result<CreatedKey, DomainError> {
    if expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(DomainError::invalid(
            "expires_in_days",
            "must lie in the future",
        ));
    }
    let secret = secrets::new_api_key();
    let key = insert(
        db,
        workspace_id,
        name,
        role,
        created_by,
        &secret,
        expires_at,
    )
    .await?;
    Ok(CreatedKey { key, secret })
}

async fn insert(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    name: &str,
    role: Role,
    created_by: Option<Uuid>,
    secret: &str,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> Result<api_key::Model, DomainError> {
    Ok(api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(workspace_id),
        name: Set(name.trim().to_owned()),
        prefix: Set(secrets::lookup_prefix(secret)),
        key_hash: Set(secrets::sha256_hex(secret)),
        role: Set(role.as_str().to_owned()),
        created_by: Set(created_by),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?)
}

/// Ensures a key with exactly this secret exists (operators provision it through the
/// environment). Idempotent: a second start finds it by hash.
pub async fn ensure_exact(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    name: &str,
    role: Role,
    secret: &str,
) -> Result<api_key::Model, DomainError> {
    let hash = secrets::sha256_hex(secret);
    if let Some(existing) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    match insert(db, workspace_id, name, role, None, secret, None).await {
        Err(DomainError::Db(e)) if DomainError::is_unique_violation(&e) => api_key::Entity::find()
            .filter(api_key::Column::KeyHash.eq(secrets::sha256_hex(secret)))
            .one(db)
            .await?
            .ok_or(DomainError::not_found("api key")),
        other => other,
    }
}

pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    page: super::Page,
) -> Result<Vec<api_key::Model>, DomainError> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await?)
}

/// Revokes a key of this workspace. Revoking twice is fine; another workspace's key is 404.
pub async fn revoke(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<api_key::Model, DomainError> {
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or(DomainError::not_found("api key"))?;
    if key.revoked_at.is_some() {
        return Ok(key);
    }
    Ok(api_key::ActiveModel {
        id: Set(key.id),
        revoked_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await?)
}
