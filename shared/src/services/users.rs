//! Workspace members: listing, inviting (creating), changing role, deactivating.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    DomainError,
    auth::{Role, password},
    entities::{membership, user},
    services::sign_in,
};

/// A user as seen from one workspace.
#[derive(Debug, Clone)]
pub struct Member {
    pub user: user::Model,
    pub membership: membership::Model,
}

impl Member {
    pub fn role(&self) -> Role {
        self.membership.role.parse().unwrap_or(Role::Viewer)
    }
}

pub struct NewMember {
    pub email: String,
    pub password: String,
    pub display_name: Option<String>,
    pub role: Role,
}

pub async fn list(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    page: super::Page,
) -> Result<Vec<Member>, DomainError> {
    let rows = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(workspace_id))
        .find_also_related(user::Entity)
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::UserId)
        .limit(page.limit)
        .offset(page.offset)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(m, u)| {
            u.map(|user| Member {
                user,
                membership: m,
            })
        })
        .collect())
}

pub async fn get(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<Member, DomainError> {
    membership::Entity::find_by_id((workspace_id, user_id))
        .find_also_related(user::Entity)
        .one(db)
        .await?
        .and_then(|(m, u)| {
            u.map(|user| Member {
                user,
                membership: m,
            })
        })
        .ok_or(DomainError::not_found("user"))
}

/// Creates the user (or reuses an existing account with that email) and adds it to the
/// workspace. An existing account keeps its password; adding a current member is a conflict.
pub async fn add(
    db: &impl TransactionTrait,
    workspace_id: Uuid,
    new: NewMember,
) -> Result<Member, DomainError> {
    let email = new.email.trim().to_lowercase();
    let hash = password::hash(new.password).await?;
    let txn = db.begin().await?;
    let existing = user::Entity::find()
        .filter(Expr::cust_with_values("lower(email) = $1", [email.clone()]))
        .one(&txn)
        .await?;
    let now = Utc::now();
    let user = match existing {
        Some(u) => u,
        None => user::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(email.clone()),
            password_hash: Set(hash),
            display_name: Set(new.display_name),
            created_at: Set(now),
            updated_at: Set(now),
            last_login_at: Set(None),
        }
        .insert(&txn)
        .await
        .map_err(|e| conflict_on_unique(e, "a user with this email already exists"))?,
    };
    let membership = membership::ActiveModel {
        workspace_id: Set(workspace_id),
        user_id: Set(user.id),
        role: Set(new.role.as_str().to_owned()),
        deactivated_at: Set(None),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .map_err(|e| conflict_on_unique(e, "this user is already a member of the workspace"))?;
    txn.commit().await?;
    Ok(Member { user, membership })
}

pub struct MemberPatch {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Changes a member's role or active state. The workspace always keeps one active admin.
pub async fn update(
    db: &impl TransactionTrait,
    workspace_id: Uuid,
    user_id: Uuid,
    patch: MemberPatch,
) -> Result<Member, DomainError> {
    let txn = db.begin().await?;
    // Lock the active admins first: two concurrent demotions then see each other's result
    // instead of both counting two admins and leaving none.
    let active_admins = membership::Entity::find()
        .filter(membership::Column::WorkspaceId.eq(workspace_id))
        .filter(membership::Column::Role.eq("admin"))
        .filter(membership::Column::DeactivatedAt.is_null())
        .order_by_asc(membership::Column::UserId)
        .lock_exclusive()
        .all(&txn)
        .await?
        .len();
    let current = get(&txn, workspace_id, user_id).await?;
    let was_active_admin =
        current.role() == Role::Admin && current.membership.deactivated_at.is_none();
    let new_role = patch.role.unwrap_or(current.role());
    let new_active = patch
        .active
        .unwrap_or(current.membership.deactivated_at.is_none());
    if was_active_admin && (new_role != Role::Admin || !new_active) && active_admins <= 1 {
        return Err(DomainError::Conflict(
            "the workspace must keep at least one active admin".into(),
        ));
    }
    let deactivated_at = match (new_active, current.membership.deactivated_at) {
        (true, _) => None,
        (false, Some(t)) => Some(t),
        (false, None) => Some(Utc::now()),
    };
    let updated = membership::ActiveModel {
        workspace_id: Set(workspace_id),
        user_id: Set(user_id),
        role: Set(new_role.as_str().to_owned()),
        deactivated_at: Set(deactivated_at),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    if !new_active || new_role < current.role() {
        // Sessions issued under the old rights end now; access tokens already check per request.
        sign_in::revoke_member(&txn, workspace_id, user_id).await?;
    }
    txn.commit().await?;
    Ok(Member {
        user: current.user,
        membership: updated,
    })
}

fn conflict_on_unique(e: sea_orm::DbErr, message: &str) -> DomainError {
    if DomainError::is_unique_violation(&e) {
        DomainError::Conflict(message.to_owned())
    } else {
        e.into()
    }
}
