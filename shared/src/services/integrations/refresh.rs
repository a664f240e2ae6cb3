//! Keeping OAuth connections alive: access tokens that lapse within `REFRESH_AHEAD` are
//! renewed with their refresh token. A provider that refuses the grant (`invalid_grant`: the
//! user revoked access, or the token aged out) marks the connection expired, which
//! `/integrations` shows; an unreachable provider is tried again by the job's retries.

use chrono::{Duration, Utc};
use sea_orm::ConnectionTrait;
use secrecy::ExposeSecret;
use serde::Serialize;
use uuid::Uuid;

use super::{
    OAuthProvider,
    crypto::TokenCipher,
    oauth::{OAuthError, client_credentials, token_request},
};
use crate::{DomainError, config::Settings, db::statement as raw};

/// Tokens lapsing sooner than this are refreshed.
pub const REFRESH_AHEAD: Duration = Duration::minutes(30);

#[derive(Debug, Default, Clone, Serialize)]
pub struct RefreshReport {
    pub refreshed: usize,
    /// Refused by the provider: the connection is now `expired`.
    pub expired: usize,
    /// The provider could not be reached; tried again later.
    pub failed: usize,
}

/// Refreshes one connection's tokens; `Ok(false)` when the provider refused the grant (the
/// connection is then marked expired).
pub async fn refresh_connection(
    db: &impl ConnectionTrait,
    settings: &Settings,
    cipher: &TokenCipher,
    id: Uuid,
) -> Result<bool, OAuthError> {
    let row = db
        .query_one_raw(raw(
            "SELECT provider, refresh_token FROM integration_connections WHERE id = $1 AND refresh_token IS NOT NULL",
            vec![id.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("connection"))?;
    let provider = match row.try_get::<String>("", "provider")?.as_str() {
        "google" => OAuthProvider::Google,
        "zoom" => OAuthProvider::Zoom,
        other => {
            return Err(OAuthError::Upstream(format!(
                "{other} connections have no OAuth refresh"
            )));
        }
    };
    let refresh = cipher.decrypt(&row.try_get::<String>("", "refresh_token")?)?;
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
    match outcome {
        Ok(tokens) => {
            let expires_at = Utc::now() + Duration::seconds(tokens.expires_in.unwrap_or(3600));
            // Zoom rotates the refresh token on every use; Google keeps the old one.
            let new_refresh = tokens
                .refresh_token
                .as_ref()
                .map(|t| cipher.encrypt(t.expose_secret()))
                .transpose()?;
            db.execute_raw(raw(
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
            Ok(true)
        }
        Err(e @ OAuthError::Denied { .. }) => {
            db.execute_raw(raw(
                "UPDATE integration_connections SET status = 'expired', last_error = $2, updated_at = now() \
                 WHERE id = $1",
                vec![
                    id.into(),
                    format!("{e}; connect the account again").into(),
                ],
            ))
            .await?;
            tracing::warn!(provider = provider.as_str(), connection = %id, error = %e, "refresh refused; connection expired");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// Refreshes every active connection, of every workspace, whose access token lapses within
/// `REFRESH_AHEAD`.
pub async fn refresh_due(
    db: &impl ConnectionTrait,
    settings: &Settings,
    cipher: &TokenCipher,
) -> Result<RefreshReport, DomainError> {
    let due = db
        .query_all_raw(raw(
            "SELECT id FROM integration_connections WHERE status = 'active' AND refresh_token IS NOT NULL \
             AND provider IN ('google', 'zoom') AND expires_at < now() + make_interval(secs => $1) ORDER BY expires_at",
            vec![(REFRESH_AHEAD.num_seconds() as f64).into()],
        ))
        .await?;
    let mut report = RefreshReport::default();
    for r in due {
        let id: Uuid = r.try_get("", "id")?;
        match refresh_connection(db, settings, cipher, id).await {
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
