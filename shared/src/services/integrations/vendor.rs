//! Calling a connected vendor's API on behalf of a workspace: the access token from the
//! connection (refreshed once when the vendor answers 401), 429 honoured with its
//! `Retry-After`, 5xx and network errors retried with backoff.

use std::time::Duration;

use sea_orm::{ConnectionTrait, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

use super::{
    OAuthProvider, crypto::TokenCipher, http, oauth::OAuthError, refresh::refresh_connection,
};
use crate::{DomainError, config::IntegrationsSettings, db::statement as raw};

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
pub struct Session<'a, C: ConnectionTrait + TransactionTrait> {
    db: &'a C,
    settings: &'a IntegrationsSettings,
    cipher: &'a TokenCipher,
    provider: OAuthProvider,
    pub connection_id: Uuid,
    token: SecretString,
    /// The token as stored (encrypted): tells a refresh whether another got there first.
    sealed: String,
}

impl<'a, C: ConnectionTrait + TransactionTrait> Session<'a, C> {
    /// The connection's current token, renewed first when it lapses soon.
    pub async fn open(
        db: &'a C,
        settings: &'a IntegrationsSettings,
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
        let sealed: String = row.try_get("", "access_token")?;
        let mut session = Self {
            db,
            settings,
            cipher,
            provider,
            connection_id,
            token: cipher
                .decrypt(&sealed)
                .map_err(|e| SyncError::NotConnected(e.to_string()))?,
            sealed,
        };
        if row.try_get::<bool>("", "due")? && row.try_get::<bool>("", "refreshable")? {
            session.refresh().await?;
        }
        Ok(session)
    }

    async fn refresh(&mut self) -> Result<(), SyncError> {
        let renewed = refresh_connection(
            self.db,
            self.settings,
            self.cipher,
            self.connection_id,
            Some(&self.sealed),
        )
        .await?;
        if !renewed {
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
        self.sealed = row.try_get::<String>("", "access_token")?;
        self.token = self
            .cipher
            .decrypt(&self.sealed)
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

/// The largest listing or API answer read from a vendor (files are capped by
/// `ingest.max_file_bytes` instead): a broken or hostile vendor cannot exhaust memory.
pub const MAX_ANSWER_BYTES: usize = 32 << 20;

/// Reads a vendor's answer, refusing one larger than `cap` bytes as it streams in.
pub async fn read_capped(
    vendor: &str,
    mut res: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, SyncError> {
    let too_large = || {
        SyncError::Refused(format!(
            "{vendor}'s answer is larger than {} MB; it was not read",
            cap.div_ceil(1 << 20)
        ))
    };
    if res.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut out = Vec::new();
    while let Some(chunk) = res
        .chunk()
        .await
        .map_err(|e| SyncError::Unavailable(format!("reading {vendor}'s answer: {e}")))?
    {
        if out.len() + chunk.len() > cap {
            return Err(too_large());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// A vendor's JSON answer, read within `MAX_ANSWER_BYTES`.
pub async fn read_json<T: serde::de::DeserializeOwned>(
    vendor: &str,
    res: reqwest::Response,
) -> Result<T, SyncError> {
    let body = read_capped(vendor, res, MAX_ANSWER_BYTES).await?;
    serde_json::from_slice(&body)
        .map_err(|e| SyncError::Unavailable(format!("{vendor}'s answer is not usable: {e}")))
}

/// A vendor's text answer (an exported document, a transcript), read within `cap` bytes.
pub async fn read_text(
    vendor: &str,
    res: reqwest::Response,
    cap: usize,
) -> Result<String, SyncError> {
    let body = read_capped(vendor, res, cap).await?;
    Ok(String::from_utf8_lossy(&body).into_owned())
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

/// Changes the connection's sync cursor in place (inside the caller's transaction, so an
/// item's progress commits with its feedback and survives a later failure of the run).
pub async fn update_cursor(
    db: &impl ConnectionTrait,
    connection_id: Uuid,
    change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Result<(), DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT sync_cursor FROM integration_connections WHERE id = $1 FOR UPDATE",
            vec![connection_id.into()],
        ))
        .await?;
    let mut cursor = row
        .and_then(|r| {
            r.try_get::<Option<serde_json::Value>>("", "sync_cursor")
                .ok()
                .flatten()
        })
        .and_then(|c| match c {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        })
        .unwrap_or_default();
    change(&mut cursor);
    db.execute_raw(raw(
        "UPDATE integration_connections SET sync_cursor = $2 WHERE id = $1",
        vec![
            connection_id.into(),
            serde_json::Value::Object(cursor).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// How much one sync run may still read: pages and time. A run that spends it stops at a
/// page boundary, commits, and reports itself partial; the next run continues.
pub struct RunBudget {
    pages_left: usize,
    deadline: std::time::Instant,
    /// Set once a page was refused: the run ends partial.
    pub exhausted: bool,
}

impl RunBudget {
    pub fn new(settings: &IntegrationsSettings) -> Self {
        Self {
            pages_left: settings.max_sync_pages,
            deadline: std::time::Instant::now() + Duration::from_secs(settings.max_sync_secs),
            exhausted: false,
        }
    }

    /// Whether another page may be read; counts it.
    pub fn take_page(&mut self) -> bool {
        if self.exhausted || self.pages_left == 0 || std::time::Instant::now() >= self.deadline {
            self.exhausted = true;
            return false;
        }
        self.pages_left -= 1;
        true
    }
}

/// Where a cursor keeps the items (channels, meetings) its last syncs could not read.
pub const ITEM_ERRORS: &str = "item_errors";

/// Records (`Some`) or clears (`None`) why one item could not be read; `GET /integrations`
/// shows what is recorded.
pub fn set_item_error(
    cursor: &mut serde_json::Map<String, serde_json::Value>,
    item: &str,
    error: Option<&str>,
) {
    let errors = cursor
        .entry(ITEM_ERRORS)
        .or_insert_with(|| serde_json::json!({}));
    let Some(errors) = errors.as_object_mut() else {
        *errors = serde_json::json!({});
        return set_item_error(cursor, item, error);
    };
    match error {
        Some(e) => {
            errors.insert(
                item.to_owned(),
                serde_json::json!({"error": e, "at": chrono::Utc::now()}),
            );
        }
        None => {
            errors.remove(item);
        }
    }
}

/// Records a sync's outcome on the connection (and its cursor, on success only).
pub async fn record_sync(
    db: &impl ConnectionTrait,
    connection_id: Uuid,
    outcome: Result<Option<serde_json::Value>, &SyncError>,
) -> Result<(), DomainError> {
    record_run(db, connection_id, outcome, false).await
}

/// `record_sync`, saying whether the run stopped at its budget with work left (`partial`:
/// progress was committed, and the next schedule tick continues).
pub async fn record_run(
    db: &impl ConnectionTrait,
    connection_id: Uuid,
    outcome: Result<Option<serde_json::Value>, &SyncError>,
    partial: bool,
) -> Result<(), DomainError> {
    let (status, error, cursor) = match outcome {
        Ok(cursor) if partial => ("partial", None, cursor),
        Ok(cursor) => ("success", None, cursor),
        Err(e) => ("error", Some(e.to_string()), None),
    };
    db.execute_raw(raw(
        "UPDATE integration_connections SET last_sync_at = now(), last_sync_status = $2, last_error = $3, \
             sync_cursor = coalesce(sync_cursor, '{}'::jsonb) || coalesce($4, '{}'::jsonb), \
             last_success_at = CASE WHEN $2 IN ('success', 'partial') THEN now() ELSE last_success_at END, updated_at = now() \
             WHERE id = $1",
        vec![connection_id.into(), status.into(), error.into(), cursor.into()],
    ))
    .await?;
    Ok(())
}
