//! Console sign-ins. The browser keeps an opaque secret in an HttpOnly cookie; the server
//! keeps its SHA-256 with the member and workspace it signs in to. Every state-changing
//! request made with the cookie must also carry the session's CSRF token, which is derived
//! from the secret, so a page on another site (which can make the browser send the cookie
//! but cannot read anything) cannot produce it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::{
    DomainError,
    auth::{Role, secrets},
    services::{
        principal::{Actor, Principal},
        rate_limit::WindowLimiter,
        sign_in,
    },
};

/// A new console session: the secret goes into the cookie, the CSRF token to the page.
pub struct BrowserSession {
    pub secret: String,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub user_id: Uuid,
    pub workspace_id: Uuid,
}

/// The CSRF token that belongs to a session secret. Derived, not stored: knowing it
/// requires the secret, and it changes with every sign-in.
pub fn csrf_token(secret: &str) -> String {
    secrets::sha256_hex(&format!("produck-csrf:{secret}"))[..43].to_owned()
}

/// Compares a presented CSRF token in time independent of where they differ.
pub fn csrf_matches(secret: &str, presented: &str) -> bool {
    let expected = csrf_token(secret);
    expected.len() == presented.len()
        && expected
            .bytes()
            .zip(presented.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

pub async fn sign_in(
    db: &impl ConnectionTrait,
    limiter: &WindowLimiter,
    email: &str,
    password: &str,
    workspace_id: Option<Uuid>,
    client_ip: &str,
    ttl_secs: u64,
) -> Result<BrowserSession, DomainError> {
    let member =
        sign_in::check_password(db, limiter, email, password, workspace_id, client_ip).await?;
    let secret = secrets::random_token(32);
    let expires_at = Utc::now() + Duration::seconds(ttl_secs as i64);
    db.execute_raw(crate::db::statement(
        "INSERT INTO browser_sessions (id, user_id, workspace_id, token_hash, expires_at) \
         VALUES ($1, $2, $3, $4, $5)",
        [
            Uuid::now_v7().into(),
            member.user_id.into(),
            member.workspace_id.into(),
            secrets::sha256_hex(&secret).into(),
            expires_at.into(),
        ],
    ))
    .await?;
    Ok(BrowserSession {
        csrf_token: csrf_token(&secret),
        secret,
        expires_at,
        user_id: member.user_id,
        workspace_id: member.workspace_id,
    })
}

const SESSION_INVALID: &str = "your session has ended; sign in again";

/// The member behind a session cookie, read fresh on every request so signing out, a
/// deactivation or a role change acts at once.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Principal, DomainError> {
    let found = db
        .query_one_raw(crate::db::statement(
            "SELECT m.role, u.email, s.user_id, s.workspace_id FROM browser_sessions s \
             JOIN memberships m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id \
             JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() \
               AND m.deactivated_at IS NULL",
            [secrets::sha256_hex(secret).into()],
        ))
        .await?
        .ok_or_else(|| DomainError::Unauthorized(SESSION_INVALID.into()))?;
    let role: String = found.try_get_by_index(0)?;
    let role: Role = role.parse().map_err(|e: String| anyhow::anyhow!(e))?;
    Ok(Principal {
        workspace_id: found.try_get_by_index(3)?,
        role,
        actor: Actor::User {
            id: found.try_get_by_index(2)?,
            email: found.try_get_by_index(1)?,
        },
    })
}

/// When the live session behind `secret` ends.
pub async fn expires_at(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<chrono::DateTime<Utc>, DomainError> {
    let row = db
        .query_one_raw(crate::db::statement("SELECT expires_at FROM browser_sessions              WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()",
            [secrets::sha256_hex(secret).into()],
        ))
        .await?
        .ok_or_else(|| DomainError::Unauthorized(SESSION_INVALID.into()))?;
    Ok(row.try_get_by_index(0)?)
}

/// Ends a session. Idempotent: an unknown or already ended session is not an error.
pub async fn sign_out(db: &impl ConnectionTrait, secret: &str) -> Result<(), DomainError> {
    db.execute_raw(crate::db::statement(
        "UPDATE browser_sessions SET revoked_at = now() \
         WHERE token_hash = $1 AND revoked_at IS NULL",
        [secrets::sha256_hex(secret).into()],
    ))
    .await?;
    Ok(())
}

/// Removes sessions that ended more than a day ago (maintenance).
pub async fn prune(db: &impl ConnectionTrait) -> Result<u64, DomainError> {
    let done = db
        .execute_raw(crate::db::statement("DELETE FROM browser_sessions WHERE coalesce(revoked_at, expires_at) < now() - interval '1 day'",
            [],
        ))
        .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_belong_to_one_secret() {
        let a = secrets::random_token(32);
        let b = secrets::random_token(32);
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&a, &csrf_token(&b)));
        assert!(!csrf_matches(&a, ""));
        assert!(!csrf_matches(&a, &csrf_token(&a)[..42]));
    }
}
