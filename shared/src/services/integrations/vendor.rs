//! Calling a connected vendor's API on behalf of a workspace: the access token from the
//! connection (refreshed once when the vendor answers 401), 429 honoured with its
//! `Retry-After`, 5xx and network errors retried with backoff.

use std::time::Duration;

use sea_orm::ConnectionTrait;
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{
    OAuthProvider, crypto::TokenCipher, http, oauth::OAuthError, refresh::refresh_connection,
};
use crate::{DomainError, config::Settings, db::statement as raw};

/// A token lapsing sooner than this is renewed before a sync uses it.
const RENEW_WITHIN_SECS: f64 = 60.0;
/// Attempts per request before giving up (the first included).
const ATTEMPTS: u32 = 4;
/// Longest `Retry-After` honoured inside one request; longer waits fail the sync, whose job
/// retries later.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Nothing to sync with: connect (or reconnect) first.
    #[error("{0}")]
    NotConnected(String),
    /// The vendor is failing or unreachable: try again later.
    #[error("{0}")]
    Unavailable(String),
    /// The vendor refused for good (revoked access, a missing scope).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<sea_orm::DbErr> for SyncError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Domain(e.into())
    }
}

impl From<OAuthError> for SyncError {
    fn from(e: OAuthError) -> Self {
        match e {
            OAuthError::Domain(d) => Self::Domain(d),
            OAuthError::Upstream(m) => Self::Unavailable(m),
            e @ OAuthError::Denied { .. } => {
                Self::NotConnected(format!("{e}; connect the account again"))
            }
            e => Self::Refused(e.to_string()),
        }
    }
}

/// A workspace's live connection to one OAuth vendor.
pub struct Session<'a, C: ConnectionTrait> {
    db: &'a C,
    settings: &'a Settings,
    cipher: &'a TokenCipher,
    provider: OAuthProvider,
    pub connection_id: Uuid,
    token: SecretString,
}

impl<'a, C: ConnectionTrait> Session<'a, C> {
    /// The connection's current token, renewed first when it lapses soon.
    pub async fn open(
        db: &'a C,
        settings: &'a Settings,
        cipher: &'a TokenCipher,
        workspace_id: Uuid,
        provider: OAuthProvider,
    ) -> Result<Self, SyncError> {
        let not_connected = || {
            SyncError::NotConnected(format!(
                "no active {} connection for this workspace; connect it through GET /auth/{}/start",
                provider.title(),
                provider.as_str()
            ))
        };
        let row = db
            .query_one_raw(raw(
                "SELECT id, access_token, expires_at < now() + make_interval(secs => $3) AS due, \
                        refresh_token IS NOT NULL AS refreshable \
                 FROM integration_connections WHERE workspace_id = $1 AND provider = $2 \
                 AND status = 'active' AND access_token IS NOT NULL",
                vec![
                    workspace_id.into(),
                    provider.as_str().into(),
                    RENEW_WITHIN_SECS.into(),
                ],
            ))
            .await?
            .ok_or_else(not_connected)?;
        let connection_id: Uuid = row.try_get("", "id")?;
        let mut session = Self {
            db,
            settings,
            cipher,
            provider,
            connection_id,
            token: cipher
                .decrypt(&row.try_get::<String>("", "access_token")?)
                .map_err(|e| SyncError::NotConnected(e.to_string()))?,
        };
        if row.try_get::<bool>("", "due")? && row.try_get::<bool>("", "refreshable")? {
            session.refresh().await?;
        }
        Ok(session)
    }

    async fn refresh(&mut self) -> Result<(), SyncError> {
        if !refresh_connection(self.db, self.settings, self.cipher, self.connection_id).await? {
            return Err(SyncError::NotConnected(format!(
                "{} refused to renew the connection; connect the account again",
                self.provider.title()
            )));
        }
        let row = self
            .db
            .query_one_raw(raw(
                "SELECT access_token FROM integration_connections WHERE id = $1",
                vec![self.connection_id.into()],
            ))
            .await?
            .ok_or(DomainError::not_found("connection"))?;
        self.token = self
            .cipher
            .decrypt(&row.try_get::<String>("", "access_token")?)
            .map_err(|e| SyncError::NotConnected(e.to_string()))?;
        Ok(())
    }

    /// GETs `url` with the connection's token: a 401 renews it once and tries again.
    pub async fn get(&mut self, url: &str) -> Result<reqwest::Response, SyncError> {
        let vendor = self.provider.title();
        match get(vendor, url, self.token.expose_secret()).await? {
            Fetched::Ok(res) => Ok(res),
            Fetched::Unauthorized => {
                self.refresh().await?;
                match get(vendor, url, self.token.expose_secret()).await? {
                    Fetched::Ok(res) => Ok(res),
                    Fetched::Unauthorized => Err(SyncError::NotConnected(format!(
                        "{vendor} refuses the renewed token; connect the account again"
                    ))),
                }
            }
        }
    }
}

/// A vendor's answer to a GET: the 2xx response, or 401 for the caller to handle.
pub enum Fetched {
    Ok(reqwest::Response),
    Unauthorized,
}

/// GETs `url` with a bearer token: 429 waits its `Retry-After`, 5xx and network errors back
/// off; other failures are errors.
pub async fn get(vendor: &str, url: &str, token: &str) -> Result<Fetched, SyncError> {
    send(vendor, || http().get(url).bearer_auth(token)).await
}

/// Sends the request `make` builds (again for each attempt) with `get`'s retry rules.
pub async fn send(
    vendor: &str,
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Result<Fetched, SyncError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let res = match make().send().await {
            Ok(res) => res,
            Err(e) if attempt < ATTEMPTS => {
                tracing::warn!(vendor, error = %e, attempt, "vendor unreachable; retrying");
                tokio::time::sleep(backoff(attempt)).await;
                continue;
            }
            Err(e) => {
                return Err(SyncError::Unavailable(format!(
                    "{vendor} is unreachable: {e}"
                )));
            }
        };
        let status = res.status();
        if status.is_success() {
            return Ok(Fetched::Ok(res));
        }
        if status.as_u16() == 401 {
            return Ok(Fetched::Unauthorized);
        }
        if (status.as_u16() == 429 || status.is_server_error()) && attempt < ATTEMPTS {
            let wait = retry_after(&res).unwrap_or_else(|| backoff(attempt));
            if wait > MAX_RETRY_AFTER {
                return Err(SyncError::Unavailable(format!(
                    "{vendor} asks to wait {} s before the next request",
                    wait.as_secs()
                )));
            }
            tracing::info!(vendor, %status, wait_ms = wait.as_millis() as u64, "vendor busy; waiting");
            tokio::time::sleep(wait).await;
            continue;
        }
        let body = res.text().await.unwrap_or_default();
        let detail: String = body.chars().take(300).collect();
        return Err(if status.is_server_error() || status.as_u16() == 429 {
            SyncError::Unavailable(format!("{vendor} answered {status}: {detail}"))
        } else {
            SyncError::Refused(format!("{vendor} answered {status}: {detail}"))
        });
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(250 * 2u64.pow(attempt.saturating_sub(1)))
}

/// `Retry-After` in seconds (the form vendors use for 429).
fn retry_after(res: &reqwest::Response) -> Option<Duration> {
    res.headers()
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// Records a sync's outcome on the connection (and its cursor, on success only).
pub async fn record_sync(
    db: &impl ConnectionTrait,
    connection_id: Uuid,
    outcome: Result<Option<serde_json::Value>, &SyncError>,
) -> Result<(), DomainError> {
    let (status, error, cursor) = match outcome {
        Ok(cursor) => ("success", None, cursor),
        Err(e) => ("error", Some(e.to_string()), None),
    };
    db.execute_raw(raw(
        "UPDATE integration_connections SET last_sync_at = now(), last_sync_status = $2, last_error = $3, \
             sync_cursor = coalesce($4, sync_cursor), \
             last_success_at = CASE WHEN $2 = 'success' THEN now() ELSE last_success_at END, updated_at = now() \
             WHERE id = $1",
        vec![connection_id.into(), status.into(), error.into(), cursor.into()],
    ))
    .await?;
    Ok(())
}
