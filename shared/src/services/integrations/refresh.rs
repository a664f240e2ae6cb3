//! Keeping OAuth connections alive: access tokens that lapse within `REFRESH_AHEAD` are
//! renewed with their refresh token. A provider that refuses the grant (`invalid_grant`: the
//! user revoked access, or the token aged out) marks the connection expired, which
//! `/integrations` shows; an unreachable provider is tried again by the job's retries.

use chrono::{Duration, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::ExposeSecret;
use serde::Serialize;
use uuid::Uuid;

use super::{
    OAuthProvider,
    crypto::TokenCipher,
    oauth::{OAuthError, client_credentials, token_request},
};
use crate::{DomainError, config::IntegrationsSettings, db::statement as raw};

/// Tokens lapsing sooner than this are refreshed.
pub const REFRESH_AHEAD: Duration = Duration::minutes(30);

#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct RefreshReport {
    pub refreshed: usize,
    /// Refused by the provider: the connection is now `expired`.
    pub expired: usize,
    /// The provider could not be reached; tried again later.
    pub failed: usize,
}

/// Refreshes one connection's tokens; `Ok(false)` when the provider refused the grant (the
/// connection is then marked expired). `held` is the access token (as stored, encrypted)
/// the caller found wanting: refreshes of one connection are serialised, and one that finds
/// the token already replaced by another refresher uses that instead of spending the
/// refresh token again. Zoom rotates refresh tokens on every use, so two refreshes with the
/// same one used to make the loser mark a healthy connection expired.
pub async fn refresh_connection(
    db: &(impl ConnectionTrait + TransactionTrait),
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    id: Uuid,
    held: Option<&str>,
) -> Result<bool, OAuthError> {
    let txn = db.begin().await.map_err(DomainError::from)?;
    // Held until commit: the next refresher of this connection waits for this one's result.
    txn.execute_raw(raw(
        "SELECT pg_advisory_xact_lock(hashtextextended('oauth-refresh:' || $1::text, 0))",
        vec![id.into()],
    ))
    .await?;
    let row = txn
        .query_one_raw(raw(
            "SELECT provider, refresh_token, access_token FROM integration_connections \
             WHERE id = $1 AND refresh_token IS NOT NULL",
            vec![id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("connection"))?;
    let current: Option<String> = row.try_get("", "access_token")?;
    if let Some(held) = held
        && current.as_deref() != Some(held)
    {
        // Another refresher got here first; its token is the one to use.
        txn.commit().await.map_err(DomainError::from)?;
        return Ok(current.is_some());
    }
    let name: String = row.try_get("", "provider")?;
    let Some(provider) = OAuthProvider::parse(&name) else {
        return Err(OAuthError::Upstream(format!(
            "{name} connections have no OAuth refresh"
        )));
    };
    let sealed_refresh: String = row.try_get("", "refresh_token")?;
    let refresh = cipher.decrypt(&sealed_refresh)?;
    let (client_id, secret) = client_credentials(settings, cipher, provider)?;
    let outcome = token_request(
        settings,
        provider,
        &client_id,
        &secret,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose_secret()),
        ],
    )
    .await;
    let renewed = match outcome {
        Ok(tokens) => {
            let expires_at = Utc::now() + Duration::seconds(tokens.expires_in.unwrap_or(3600));
            // Zoom rotates the refresh token on every use; Google keeps the old one.
            let new_refresh = tokens
                .refresh_token
                .as_ref()
                .map(|t| cipher.encrypt(t.expose_secret()))
                .transpose()?;
            txn.execute_raw(raw(
                "UPDATE integration_connections SET access_token = $2, \
                     refresh_token = coalesce($3, refresh_token), expires_at = $4, status = 'active', \
                     last_error = NULL, updated_at = now() WHERE id = $1",
                vec![
                    id.into(),
                    cipher.encrypt(tokens.access_token.expose_secret())?.into(),
                    new_refresh.into(),
                    expires_at.into(),
                ],
            ))
            .await?;
            true
        }
        Err(e @ OAuthError::Denied { .. }) => {
            // Only the refresh token that was refused condemns the connection.
            txn.execute_raw(raw(
                "UPDATE integration_connections SET status = 'expired', last_error = $2, updated_at = now() \
                 WHERE id = $1 AND refresh_token = $3",
                vec![
                    id.into(),
                    format!("{e}; connect the account again").into(),
                    sealed_refresh.into(),
                ],
            ))
            .await?;
            tracing::warn!(provider = provider.as_str(), connection = %id, error = %e, "refresh refused; connection expired");
            false
        }
        Err(e) => return Err(e),
    };
    txn.commit().await.map_err(DomainError::from)?;
    Ok(renewed)
}

/// Refreshes every active connection, of every workspace, whose access token lapses within
/// `REFRESH_AHEAD`.
pub async fn refresh_due(
    db: &(impl ConnectionTrait + TransactionTrait),
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
) -> Result<RefreshReport, DomainError> {
    let due = db
        .query_all_raw(raw(
            "SELECT id, access_token FROM integration_connections WHERE status = 'active' AND refresh_token IS NOT NULL \
             AND provider IN ('google', 'zoom') AND expires_at < now() + make_interval(secs => $1) ORDER BY expires_at",
            vec![(REFRESH_AHEAD.num_seconds() as f64).into()],
        ))
        .await?;
    let mut report = RefreshReport::default();
    for r in due {
        let id: Uuid = r.try_get("", "id")?;
        let held: Option<String> = r.try_get("", "access_token")?;
        match refresh_connection(db, settings, cipher, id, held.as_deref()).await {
            Ok(true) => report.refreshed += 1,
            Ok(false) => report.expired += 1,
            Err(OAuthError::Domain(d)) => return Err(d),
            Err(e) => {
                tracing::warn!(connection = %id, error = %e, "token refresh failed; will retry");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}
