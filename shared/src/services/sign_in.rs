//! Login, refresh-token rotation with reuse detection, and logout.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionSession, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    DomainError,
    auth::{Role, password, secrets, tokens::TokenKeys},
    entities::{membership, refresh_token, user},
    services::rate_limit::WindowLimiter,
};

/// A fresh access token plus the refresh token that renews it (shown to the caller once).
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub access_token: String,
    pub access_expires_at: i64,
    pub refresh_token: String,
    pub refresh_expires_at: chrono::DateTime<Utc>,
    pub user_id: Uuid,
    pub workspace_id: Uuid,
    pub role: Role,
}

pub struct SessionPolicy<'a> {
    pub keys: &'a TokenKeys,
    pub refresh_ttl_secs: u64,
}

const LOGIN_FAILED: &str = "email or password is incorrect";

pub async fn login(
    db: &(impl ConnectionTrait + TransactionTrait),
    limiter: &WindowLimiter,
    policy: &SessionPolicy<'_>,
    email: &str,
    password_attempt: &str,
    workspace_id: Option<Uuid>,
    client_ip: &str,
) -> Result<IssuedSession, DomainError> {
    let member = check_password(
        db,
        limiter,
        email,
        password_attempt,
        workspace_id,
        client_ip,
    )
    .await?;
    issue(db, policy, member.user_id, &member, Uuid::new_v4()).await
}

/// Checks an email and password under the login limiter and returns the active membership
/// signed in to (the requested workspace, else the user's first). Every kind of sign-in, a
/// token pair or a console session, goes through here.
pub async fn check_password(
    db: &impl ConnectionTrait,
    limiter: &WindowLimiter,
    email: &str,
    password_attempt: &str,
    workspace_id: Option<Uuid>,
    client_ip: &str,
) -> Result<membership::Model, DomainError> {
    let email = email.trim().to_lowercase();
    // Failures count per account *and address*: counted per account alone, anyone could
    // lock a member out by guessing at their address; the address's own allowance still
    // bounds how many accounts one client may try.
    let account_at_address = format!("{email}|{client_ip}");
    let subjects = [
        ("account_ip", account_at_address.as_str()),
        ("ip", client_ip),
    ];
    limiter.attempt(&subjects).await?;

    // The slow password check runs before any transaction holds a pooled connection.
    let found = user::Entity::find()
        .filter(Expr::cust_with_values("lower(email) = $1", [email.clone()]))
        .one(db)
        .await?;
    let ok = password::verify(
        password_attempt.to_owned(),
        found.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let Some(user) = found.filter(|_| ok) else {
        return Err(DomainError::Unauthorized(LOGIN_FAILED.into()));
    };
    let mut memberships = membership::Entity::find()
        .filter(membership::Column::UserId.eq(user.id))
        .filter(membership::Column::DeactivatedAt.is_null())
        .order_by_asc(membership::Column::CreatedAt);
    if let Some(ws) = workspace_id {
        memberships = memberships.filter(membership::Column::WorkspaceId.eq(ws));
    }
    let Some(member) = memberships.one(db).await? else {
        return Err(DomainError::Unauthorized(LOGIN_FAILED.into()));
    };
    user::ActiveModel {
        id: Set(user.id),
        last_login_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(db)
    .await?;
    limiter
        .succeeded(("account_ip", &account_at_address), &[("ip", client_ip)])
        .await?;
    Ok(member)
}

/// A new session (a fresh refresh-token family) for an active membership.
pub async fn issue_new(
    db: &impl ConnectionTrait,
    policy: &SessionPolicy<'_>,
    member: &membership::Model,
) -> Result<IssuedSession, DomainError> {
    issue(db, policy, member.user_id, member, Uuid::new_v4()).await
}

async fn issue(
    db: &impl ConnectionTrait,
    policy: &SessionPolicy<'_>,
    user_id: Uuid,
    member: &membership::Model,
    family_id: Uuid,
) -> Result<IssuedSession, DomainError> {
    let (access_token, access_expires_at) = policy.keys.issue(user_id, member.workspace_id)?;
    let refresh = secrets::new_refresh_token();
    let refresh_expires_at = Utc::now() + Duration::seconds(policy.refresh_ttl_secs as i64);
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        workspace_id: Set(member.workspace_id),
        family_id: Set(family_id),
        token_hash: Set(secrets::sha256_hex(&refresh)),
        created_at: Set(Utc::now()),
        expires_at: Set(refresh_expires_at),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(IssuedSession {
        access_token,
        access_expires_at,
        refresh_token: refresh,
        refresh_expires_at,
        user_id,
        workspace_id: member.workspace_id,
        role: member
            .role
            .parse()
            .map_err(|e: String| anyhow::anyhow!(e))?,
    })
}

const REFRESH_INVALID: &str = "refresh token is invalid, expired or already used";

/// Spends a refresh token and issues a new pair in the same family. Presenting a token that
/// was already spent means it leaked: the whole family is revoked.
pub async fn refresh(
    db: &impl TransactionTrait,
    policy: &SessionPolicy<'_>,
    presented: &str,
) -> Result<IssuedSession, DomainError> {
    let txn = db.begin().await?;
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secrets::sha256_hex(presented)))
        .lock_exclusive()
        .one(&txn)
        .await?;
    let Some(row) = row else {
        txn.rollback().await?;
        return Err(DomainError::Unauthorized(REFRESH_INVALID.into()));
    };
    if row.used_at.is_some() && row.revoked_at.is_none() {
        revoke_family(&txn, row.family_id).await?;
        txn.commit().await?;
        tracing::warn!(family = %row.family_id, user = %row.user_id, "refresh token reuse: family revoked");
        return Err(DomainError::Unauthorized(REFRESH_INVALID.into()));
    }
    if row.revoked_at.is_some() || row.used_at.is_some() || row.expires_at <= Utc::now() {
        txn.rollback().await?;
        return Err(DomainError::Unauthorized(REFRESH_INVALID.into()));
    }
    let member = membership::Entity::find_by_id((row.workspace_id, row.user_id))
        .one(&txn)
        .await?
        .filter(|m| m.deactivated_at.is_none());
    let Some(member) = member else {
        revoke_family(&txn, row.family_id).await?;
        txn.commit().await?;
        return Err(DomainError::Unauthorized(REFRESH_INVALID.into()));
    };
    refresh_token::ActiveModel {
        id: Set(row.id),
        used_at: Set(Some(Utc::now())),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    let session = issue(&txn, policy, row.user_id, &member, row.family_id).await?;
    txn.commit().await?;
    Ok(session)
}

/// Ends the session the refresh token belongs to (its whole family). Unknown tokens are
/// accepted silently so logout never reveals whether a token existed.
pub async fn logout(db: &impl ConnectionTrait, presented: &str) -> Result<(), DomainError> {
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(secrets::sha256_hex(presented)))
        .one(db)
        .await?;
    if let Some(row) = row {
        revoke_family(db, row.family_id).await?;
    }
    Ok(())
}

pub async fn revoke_family(db: &impl ConnectionTrait, family_id: Uuid) -> Result<(), DomainError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes every live refresh token of a member (used when deactivated or demoted).
pub async fn revoke_member(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    user_id: Uuid,
) -> Result<(), DomainError> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::WorkspaceId.eq(workspace_id))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
