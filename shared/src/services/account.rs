//! A member's own account: changing their password, the workspaces they belong to, creating
//! another workspace, and moving a sign-in to another of their workspaces. An operator's
//! password reset (`produck-api user reset-password`) goes through here too.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    TransactionSession, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    DomainError,
    auth::{Role, password, secrets},
    entities::{membership, refresh_token, user, workspace},
    services::{
        audit::{self, Event, Origin},
        principal::Principal,
        rate_limit::WindowLimiter,
        sign_in::{self, IssuedSession, SessionPolicy},
        workspaces,
    },
};

/// Who set a password, for the audit trail (written in the same transaction as the change).
pub enum ChangedBy<'a> {
    /// The member themself, through the API.
    Member(&'a Principal, &'a Origin),
    /// An operator on the server (`produck-api user reset-password`): recorded in every
    /// workspace the account belongs to.
    Operator,
}

/// The shortest password accepted anywhere.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// One workspace the user is an active member of, with their role there.
#[derive(Debug, Clone)]
pub struct WorkspaceMembership {
    pub workspace: workspace::Model,
    pub role: Role,
}

fn check_new_password(new: &str) -> Result<(), DomainError> {
    if new.chars().count() < MIN_PASSWORD_CHARS {
        return Err(DomainError::invalid(
            "new_password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    Ok(())
}

/// Changes the caller's password after checking the current one (under the sign-in limiter,
/// so a borrowed session cannot guess it). Every other sign-in of the user ends: refresh
/// tokens are revoked and console sessions other than `keep_session` (the caller's own
/// cookie, if any) are signed out.
#[allow(clippy::too_many_arguments)]
pub async fn change_password(
    db: &(impl ConnectionTrait + TransactionTrait),
    limiter: &WindowLimiter,
    who: &Principal,
    user_id: Uuid,
    current: &str,
    new: &str,
    origin: &Origin,
    keep_session: Option<&str>,
) -> Result<(), DomainError> {
    let client_ip = origin.ip.as_deref().unwrap_or("unknown");
    check_new_password(new)?;
    if current == new {
        return Err(DomainError::invalid(
            "new_password",
            "must differ from the current password",
        ));
    }
    let found = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(DomainError::not_found("user"))?;
    match sign_in::check_password(
        db,
        limiter,
        &found.email,
        current,
        Some(who.workspace_id),
        client_ip,
    )
    .await
    {
        Ok(_) => {}
        Err(DomainError::Unauthorized(_)) => {
            return Err(DomainError::invalid(
                "current_password",
                "is not your current password",
            ));
        }
        Err(e) => return Err(e),
    }
    set_password(
        db,
        user_id,
        new,
        keep_session,
        ChangedBy::Member(who, origin),
    )
    .await
}

/// Sets a new password for the account with this email (an operator's reset) and ends all
/// of its sign-ins.
pub async fn reset_password(
    db: &(impl ConnectionTrait + TransactionTrait),
    email: &str,
    new: &str,
) -> Result<user::Model, DomainError> {
    check_new_password(new)?;
    let found = user::Entity::find()
        .filter(Expr::cust_with_values(
            "lower(email) = $1",
            [email.trim().to_lowercase()],
        ))
        .one(db)
        .await?
        .ok_or(DomainError::not_found("user"))?;
    set_password(db, found.id, new, None, ChangedBy::Operator).await?;
    Ok(found)
}

async fn set_password(
    db: &impl TransactionTrait,
    user_id: Uuid,
    new: &str,
    keep_session: Option<&str>,
    by: ChangedBy<'_>,
) -> Result<(), DomainError> {
    let hash = password::hash(new.to_owned()).await?;
    let txn = db.begin().await?;
    user::ActiveModel {
        id: Set(user_id),
        password_hash: Set(hash),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    let keep = keep_session.map(secrets::sha256_hex).unwrap_or_default();
    txn.execute_raw(crate::db::statement(
        "UPDATE browser_sessions SET revoked_at = now() \
         WHERE user_id = $1 AND revoked_at IS NULL AND token_hash <> $2",
        [user_id.into(), keep.into()],
    ))
    .await?;
    match by {
        ChangedBy::Member(who, origin) => {
            let event = Event::new("member.password_changed", "user", user_id);
            audit::record(&txn, who, origin, event).await?;
        }
        ChangedBy::Operator => {
            for m in membership::Entity::find()
                .filter(membership::Column::UserId.eq(user_id))
                .all(&txn)
                .await?
            {
                let event = Event::new("member.password_reset", "user", user_id);
                let actor = "operator (produck-api user reset-password)";
                audit::record_for(&txn, m.workspace_id, actor, &Origin::default(), event).await?;
            }
        }
    }
    txn.commit().await?;
    Ok(())
}

/// The workspaces the user is an active member of, by name.
pub async fn workspaces_of(
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> Result<Vec<WorkspaceMembership>, DomainError> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user_id))
        .filter(membership::Column::DeactivatedAt.is_null())
        .all(db)
        .await?;
    let ids: Vec<Uuid> = memberships.iter().map(|m| m.workspace_id).collect();
    let spaces = workspace::Entity::find()
        .filter(workspace::Column::Id.is_in(ids))
        .order_by_asc(workspace::Column::Name)
        .all(db)
        .await?;
    Ok(spaces
        .into_iter()
        .filter_map(|ws| {
            let m = memberships.iter().find(|m| m.workspace_id == ws.id)?;
            Some(WorkspaceMembership {
                role: m.role.parse().unwrap_or(Role::Viewer),
                workspace: ws,
            })
        })
        .collect())
}

/// Creates a workspace with `creator` (a signed-in member) as its first admin, audited in
/// the new workspace. A name whose slug is taken is a conflict (never a way into someone
/// else's workspace).
pub async fn create_workspace(
    db: &impl TransactionTrait,
    creator: &Principal,
    origin: &Origin,
    name: &str,
) -> Result<workspace::Model, DomainError> {
    let Some(creator_id) = creator.user_id() else {
        return Err(DomainError::Forbidden(
            "only a signed-in member can create a workspace".into(),
        ));
    };
    let txn = db.begin().await?;
    let ws = workspaces::create(&txn, name).await?;
    membership::ActiveModel {
        workspace_id: Set(ws.id),
        user_id: Set(creator_id),
        role: Set(Role::Admin.as_str().to_owned()),
        deactivated_at: Set(None),
        created_at: Set(ws.created_at),
    }
    .insert(&txn)
    .await?;
    let event = Event::new("workspace.created", "workspace", ws.id)
        .details(serde_json::json!({ "name": ws.name, "from_workspace": creator.workspace_id }));
    audit::record_for(&txn, ws.id, &creator.label(), origin, event).await?;
    txn.commit().await?;
    Ok(ws)
}

async fn active_membership(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    workspace_id: Uuid,
) -> Result<membership::Model, DomainError> {
    membership::Entity::find_by_id((workspace_id, user_id))
        .filter(membership::Column::DeactivatedAt.is_null())
        .one(db)
        .await?
        .ok_or(DomainError::not_found("workspace"))
}

/// A new token pair naming another workspace of the user.
pub async fn switch_tokens(
    db: &impl ConnectionTrait,
    policy: &SessionPolicy<'_>,
    user_id: Uuid,
    workspace_id: Uuid,
) -> Result<IssuedSession, DomainError> {
    let member = active_membership(db, user_id, workspace_id).await?;
    sign_in::issue_new(db, policy, &member).await
}

/// Moves the console session behind `secret` to another workspace of its user; the cookie
/// and its CSRF token stay as they are.
pub async fn switch_browser_session(
    db: &impl ConnectionTrait,
    secret: &str,
    user_id: Uuid,
    workspace_id: Uuid,
) -> Result<membership::Model, DomainError> {
    let member = active_membership(db, user_id, workspace_id).await?;
    let moved = db
        .execute_raw(crate::db::statement(
            "UPDATE browser_sessions SET workspace_id = $1 \
             WHERE token_hash = $2 AND user_id = $3 AND revoked_at IS NULL AND expires_at > now()",
            [
                workspace_id.into(),
                secrets::sha256_hex(secret).into(),
                user_id.into(),
            ],
        ))
        .await?;
    if moved.rows_affected() == 0 {
        return Err(DomainError::Unauthorized(
            "your session has ended; sign in again".into(),
        ));
    }
    Ok(member)
}
