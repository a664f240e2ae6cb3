//! Who is calling: resolves a bearer credential (JWT or API key) to a workspace and role.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{
    DomainError,
    auth::{Role, secrets, tokens::TokenKeys},
    entities::{api_key, membership},
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User {
        id: Uuid,
        email: String,
    },
    ApiKey {
        id: Uuid,
    },
    /// `auth.disabled`: the single local operator.
    Local,
}

/// The authenticated caller, scoped to exactly one workspace.
#[derive(Debug, Clone)]
pub struct Principal {
    pub workspace_id: Uuid,
    pub role: Role,
    pub actor: Actor,
}

impl Principal {
    /// Recorded as `requested_by` on jobs and audit fields.
    pub fn label(&self) -> String {
        match &self.actor {
            Actor::User { id, .. } => format!("user:{id}"),
            Actor::ApiKey { id } => format!("api_key:{id}"),
            Actor::Local => "local".to_owned(),
        }
    }

    /// How a person reads who did something: a member's email, else the label.
    pub fn display_name(&self) -> String {
        match &self.actor {
            Actor::User { email, .. } => email.clone(),
            _ => self.label(),
        }
    }

    pub fn user_id(&self) -> Option<Uuid> {
        match self.actor {
            Actor::User { id, .. } => Some(id),
            _ => None,
        }
    }

    pub fn require(&self, needed: Role) -> Result<(), DomainError> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(DomainError::Forbidden(format!(
                "this action needs the {needed} role"
            )))
        }
    }
}

const BAD_CREDENTIALS: &str = "invalid or expired credentials";

/// Resolves a bearer token. Both paths read the database so a deactivated member or a
/// revoked key loses access at once.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    keys: &TokenKeys,
    bearer: &str,
) -> Result<Principal, DomainError> {
    if crate::auth::tokens::looks_like_jwt(bearer) {
        let claims = keys
            .verify(bearer)
            .ok_or_else(|| DomainError::Unauthorized(BAD_CREDENTIALS.into()))?;
        // One narrow statement: this runs on every request a signed-in member makes.
        let found = db
            .query_one_raw(crate::db::statement(
                "SELECT m.role, u.email FROM memberships m JOIN users u ON u.id = m.user_id \
                 WHERE m.workspace_id = $1 AND m.user_id = $2 AND m.deactivated_at IS NULL",
                [claims.ws.into(), claims.sub.into()],
            ))
            .await?
            .ok_or_else(|| DomainError::Unauthorized(BAD_CREDENTIALS.into()))?;
        let role: String = found.try_get_by_index(0)?;
        Ok(Principal {
            workspace_id: claims.ws,
            role: role.parse().map_err(|e: String| anyhow::anyhow!(e))?,
            actor: Actor::User {
                id: claims.sub,
                email: found.try_get_by_index(1)?,
            },
        })
    } else {
        let key = find_api_key(db, bearer)
            .await?
            .ok_or_else(|| DomainError::Unauthorized(BAD_CREDENTIALS.into()))?;
        if key.expires_at.is_some_and(|t| t <= Utc::now()) {
            return Err(DomainError::Unauthorized("this API key has expired".into()));
        }
        let mut role: Role = key.role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
        if let Some(creator) = key.created_by {
            // A key never acts above its human's current role: a demotion or a
            // deactivation takes effect on the member's keys at once.
            let Some(creator_role) = creator_role(db, key.workspace_id, creator).await? else {
                return Err(DomainError::Unauthorized(
                    "the member who created this API key is no longer active in the workspace"
                        .into(),
                ));
            };
            role = role.min(creator_role);
        }
        touch_api_key(db, &key).await;
        Ok(Principal {
            workspace_id: key.workspace_id,
            role,
            actor: Actor::ApiKey { id: key.id },
        })
    }
}

/// The creator's current role in the key's workspace, or None once the membership is gone
/// or deactivated.
async fn creator_role(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Role>, DomainError> {
    let member = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(workspace_id))
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::DeactivatedAt.is_null())
        .one(db)
        .await?;
    Ok(member.and_then(|m| m.role.parse().ok()))
}

/// Finds a live key by its clear prefix, then compares the full secret's hash in constant time.
pub async fn find_api_key(
    db: &impl ConnectionTrait,
    presented: &str,
) -> Result<Option<api_key::Model>, DomainError> {
    let candidates = api_key::Entity::find()
        .filter(api_key::Column::Prefix.eq(secrets::lookup_prefix(presented)))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(db)
        .await?;
    let mut hit = None;
    for candidate in candidates {
        if secrets::matches_hash(presented, &candidate.key_hash) {
            hit = Some(candidate);
        }
    }
    Ok(hit)
}

/// Records use at most once a minute per key, so busy keys do not write on every request.
async fn touch_api_key(db: &impl ConnectionTrait, key: &api_key::Model) {
    let now = Utc::now();
    if key
        .last_used_at
        .is_some_and(|t| (now - t).num_seconds() < 60)
    {
        return;
    }
    let update = api_key::ActiveModel {
        id: Set(key.id),
        last_used_at: Set(Some(now)),
        ..Default::default()
    };
    if let Err(e) = update.update(db).await {
        tracing::warn!(error = %e, "could not record api key use");
    }
}
