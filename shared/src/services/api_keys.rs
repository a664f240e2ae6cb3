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

/// Who a new key is minted by: the human it acts for, and the key that minted it, if any.
#[derive(Debug, Clone, Copy, Default)]
pub struct Minter {
    pub human: Option<Uuid>,
    pub key: Option<Uuid>,
}

impl Minter {
    /// The human behind `principal`: the user, or, for a key, the human behind that key (so
    /// a chain of keys never loses its owner, and every key is capped by that owner's role).
    pub async fn of(
        db: &impl ConnectionTrait,
        principal: &crate::services::principal::Principal,
    ) -> Result<Self, DomainError> {
        use crate::services::principal::Actor;
        Ok(match &principal.actor {
            Actor::User { id, .. } => Self {
                human: Some(*id),
                key: None,
            },
            Actor::ApiKey { id } => Self {
                human: api_key::Entity::find_by_id(*id)
                    .one(db)
                    .await?
                    .and_then(|k| k.created_by),
                key: Some(*id),
            },
            Actor::Local => Self::default(),
        })
    }
}

pub async fn create(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    name: &str,
    role: Role,
    minter: Minter,
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
        NewKey {
            workspace_id,
            name,
            role,
            minter,
            provisioned: false,
        },
        &secret,
        expires_at,
    )
    .await?;
    Ok(CreatedKey { key, secret })
}

struct NewKey<'a> {
    workspace_id: Uuid,
    name: &'a str,
    role: Role,
    minter: Minter,
    provisioned: bool,
}

async fn insert(
    db: &impl ConnectionTrait,
    new: NewKey<'_>,
    secret: &str,
    expires_at: Option<chrono::DateTime<Utc>>,
) -> Result<api_key::Model, DomainError> {
    Ok(api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(new.workspace_id),
        name: Set(new.name.trim().to_owned()),
        prefix: Set(secrets::lookup_prefix(secret)),
        key_hash: Set(secrets::sha256_hex(secret)),
        role: Set(new.role.as_str().to_owned()),
        created_by: Set(new.minter.human),
        created_by_key: Set(new.minter.key),
        provisioned: Set(new.provisioned),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?)
}

/// Ensures a key with exactly this secret exists (operators provision it through the
/// environment), and revokes any earlier provisioned key of the workspace: rotating the
/// value must end the old one. Idempotent: a second start finds it by hash.
pub async fn ensure_exact(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    name: &str,
    role: Role,
    secret: &str,
) -> Result<api_key::Model, DomainError> {
    let hash = secrets::sha256_hex(secret);
    let existing = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash.clone()))
        .one(db)
        .await?;
    let key = match existing {
        Some(existing) => existing,
        None => {
            let new = NewKey {
                workspace_id,
                name,
                role,
                minter: Minter::default(),
                provisioned: true,
            };
            match insert(db, new, secret, None).await {
                Err(DomainError::Db(e)) if DomainError::is_unique_violation(&e) => {
                    api_key::Entity::find()
                        .filter(api_key::Column::KeyHash.eq(hash))
                        .one(db)
                        .await?
                        .ok_or(DomainError::not_found("api key"))?
                }
                other => other?,
            }
        }
    };
    let rotated = api_key::Entity::update_many()
        .col_expr(
            api_key::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(api_key::Column::WorkspaceId.eq(workspace_id))
        .filter(api_key::Column::Provisioned.eq(true))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(api_key::Column::Id.ne(key.id))
        .exec(db)
        .await?;
    if rotated.rows_affected > 0 {
        tracing::info!(
            revoked = rotated.rows_affected,
            "auth.bootstrap_api_key changed: the earlier provisioned key was revoked"
        );
    }
    Ok(key)
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
