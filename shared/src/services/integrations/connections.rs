//! What the workspace is connected to, disconnecting (revoking at the provider), and
//! re-encrypting stored tokens after a key rotation.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, FromQueryResult};
use secrecy::ExposeSecret;
use serde::Serialize;
use uuid::Uuid;

use super::{OAuthProvider, crypto::TokenCipher, http};
use crate::{
    DomainError, config::IntegrationsSettings, db::statement as raw, services::source::Source,
};

#[derive(Debug, FromQueryResult)]
struct Row {
    provider: String,
    account_email: Option<String>,
    scopes: Option<String>,
    expires_at: Option<DateTime<Utc>>,
    status: String,
    has_token: bool,
    last_sync_at: Option<DateTime<Utc>>,
    last_sync_status: Option<String>,
    last_error: Option<String>,
    /// No successful sync for three intervals (false for sources that do not sync).
    stale: bool,
    item_errors: Option<serde_json::Value>,
}

impl Row {
    /// The stored status, with a lapsed access token reported as `expired`.
    fn status(&self) -> Option<&str> {
        match self.status.as_str() {
            "disconnected" => None,
            "active" if self.expires_at.is_some_and(|e| e <= Utc::now()) => Some("expired"),
            "active" if self.stale => Some("stale"),
            s => Some(s),
        }
    }

    fn connected(&self) -> bool {
        self.has_token && matches!(self.status(), Some("active" | "stale"))
    }
}

/// `sync_interval_secs`: how often sources sync (`integrations.sync_interval_secs`).
async fn rows(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    sync_interval_secs: u64,
) -> Result<Vec<Row>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT provider, account_email, scopes, expires_at, status, access_token IS NOT NULL AS has_token, \
                    last_sync_at, last_sync_status, last_error, sync_cursor->'item_errors' AS item_errors, \
                    (provider IN ('zoom', 'slack', 'jira') OR (provider = 'google' AND settings ? 'folder_ids')) \
                      AND coalesce(last_success_at, created_at) < now() - make_interval(secs => $2 * 3) AS stale \
             FROM integration_connections WHERE workspace_id = $1 ORDER BY updated_at DESC",
            vec![workspace_id.into(), (sync_interval_secs as f64).into()],
        ))
        .await?;
    Ok(rows
        .iter()
        .map(|r| Row::from_query_result(r, ""))
        .collect::<Result<_, _>>()?)
}

/// An OAuth connection as `/auth/connections` lists it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ConnectionView {
    pub provider: String,
    pub account_email: Option<String>,
    pub scopes: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Seconds until the access token lapses (0 once it has).
    pub expires_in_seconds: i64,
    /// active or expired.
    pub status: String,
}

/// The workspace's OAuth connections that hold tokens, newest first.
pub async fn connections(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    sync_interval_secs: u64,
) -> Result<Vec<ConnectionView>, DomainError> {
    Ok(rows(db, workspace_id, sync_interval_secs)
        .await?
        .into_iter()
        .filter(|r| r.has_token && OAuthProvider::parse(&r.provider).is_some())
        .filter_map(|r| {
            let status = r.status()?.to_owned();
            Some(ConnectionView {
                expires_in_seconds: r
                    .expires_at
                    .map_or(0, |e| (e - Utc::now()).num_seconds().max(0)),
                provider: r.provider,
                account_email: r.account_email,
                scopes: r.scopes,
                expires_at: r.expires_at,
                status,
            })
        })
        .collect())
}

/// One source as the integrations page shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IntegrationView {
    /// zoom, google, slack or jira.
    pub provider: String,
    /// Holds a usable token.
    pub connected: bool,
    pub account_email: Option<String>,
    pub scopes: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    /// active, stale (no successful sync for three intervals), expired or error; null when
    /// never connected or disconnected.
    pub status: Option<String>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub last_sync_status: Option<String>,
    pub last_error: Option<String>,
    /// Channels (Slack) or meetings (Zoom) the syncs could not read, with why; the rest of
    /// the source syncs on. An item leaves the list once it is read.
    pub item_errors: Vec<ItemError>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ItemError {
    /// The channel id or meeting id.
    pub item: String,
    pub error: String,
    pub at: Option<DateTime<Utc>>,
}

fn item_errors(stored: Option<serde_json::Value>) -> Vec<ItemError> {
    let Some(serde_json::Value::Object(errors)) = stored else {
        return Vec::new();
    };
    let mut out: Vec<ItemError> = errors
        .into_iter()
        .map(|(item, e)| ItemError {
            item,
            error: e["error"].as_str().unwrap_or_default().to_owned(),
            at: e["at"].as_str().and_then(|s| s.parse().ok()),
        })
        .collect();
    out.sort_by(|a, b| a.item.cmp(&b.item));
    out
}

/// Every source a connection pulls from, connected or not, in `Source::CONNECTED` order.
pub async fn integrations(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    sync_interval_secs: u64,
) -> Result<Vec<IntegrationView>, DomainError> {
    let mut rows = rows(db, workspace_id, sync_interval_secs).await?;
    Ok(Source::CONNECTED
        .iter()
        .filter_map(|s| s.connection_name())
        .map(
            |source| match rows.iter().position(|r| r.provider == source) {
                Some(i) => {
                    let r = rows.swap_remove(i);
                    IntegrationView {
                        connected: r.connected(),
                        status: r.status().map(str::to_owned),
                        provider: r.provider,
                        account_email: r.account_email,
                        scopes: r.scopes,
                        expires_at: r.expires_at,
                        last_sync_at: r.last_sync_at,
                        last_sync_status: r.last_sync_status,
                        last_error: r.last_error,
                        item_errors: item_errors(r.item_errors),
                    }
                }
                None => IntegrationView {
                    provider: source.to_owned(),
                    connected: false,
                    account_email: None,
                    scopes: None,
                    expires_at: None,
                    status: None,
                    last_sync_at: None,
                    last_sync_status: None,
                    last_error: None,
                    item_errors: Vec::new(),
                },
            },
        )
        .collect())
}

/// A connection whose secret the user gave directly (a Slack bot token, a Jira API token):
/// stored encrypted, replacing the workspace's earlier one for `provider`.
pub struct TokenConnection<'a> {
    pub provider: &'static str,
    pub account: &'a str,
    pub token: &'a secrecy::SecretString,
    pub owner: &'a str,
    /// The vendor's id for the account (routes pushed events).
    pub external_id: &'a str,
    pub settings: serde_json::Value,
}

pub async fn store_token_connection(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    workspace_id: Uuid,
    c: TokenConnection<'_>,
) -> Result<(), DomainError> {
    let sealed = cipher
        .encrypt(c.token.expose_secret())
        .map_err(|e| DomainError::Unavailable {
            service: "token encryption",
            source: Some(e.into()),
        })?;
    db.execute_raw(raw(
        "INSERT INTO integration_connections (id, workspace_id, provider, account_email, access_token, status, \
                                              connected_by, external_id, settings) \
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8) \
         ON CONFLICT (workspace_id, provider) DO UPDATE SET account_email = EXCLUDED.account_email, \
             access_token = EXCLUDED.access_token, status = 'active', connected_by = EXCLUDED.connected_by, \
             external_id = EXCLUDED.external_id, settings = EXCLUDED.settings, last_error = NULL, updated_at = now()",
        vec![
            Uuid::now_v7().into(),
            workspace_id.into(),
            c.provider.into(),
            c.account.into(),
            sealed.into(),
            c.owner.into(),
            c.external_id.into(),
            c.settings.into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Whether the workspace holds a connection to `provider` a sync can use (an access token
/// that lapsed still counts: the sync renews it first).
pub async fn is_connected(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    provider: &str,
) -> Result<bool, DomainError> {
    Ok(db
        .query_one_raw(raw(
            "SELECT 1 AS one FROM integration_connections WHERE workspace_id = $1 AND provider = $2 \
             AND status = 'active' AND access_token IS NOT NULL",
            vec![workspace_id.into(), provider.into()],
        ))
        .await?
        .is_some())
}

/// Forgets an OAuth connection's tokens inside the caller's transaction; the token to revoke
/// once that commits (`revoke_forgotten`), or None when nothing was connected.
pub async fn forget(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    provider: OAuthProvider,
) -> Result<Option<ForgottenToken>, DomainError> {
    let token = forget_credentials(db, workspace_id, provider.as_str()).await?;
    if token.is_some() {
        tracing::info!(provider = provider.as_str(), workspace = %workspace_id, "account disconnected");
    }
    Ok(token.map(ForgottenToken))
}

/// A forgotten connection's stored (encrypted) token, still valid at its provider.
pub struct ForgottenToken(String);

/// Revokes a forgotten token at its provider. Best effort: ProduckAI no longer holds it, and
/// a revocation cannot be rolled back, so it runs after the forgetting committed.
pub async fn revoke_forgotten(
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    provider: OAuthProvider,
    ForgottenToken(token): ForgottenToken,
) {
    match cipher.decrypt(&token) {
        Ok(token) => revoke(settings, provider, token.expose_secret()).await,
        Err(e) => {
            tracing::warn!(provider = provider.as_str(), error = %e, "could not read the token to revoke it; it was forgotten but not revoked")
        }
    }
}

/// Disconnects a token-based source (Slack, Jira): its stored credentials are forgotten and
/// its syncs and events stop. The vendor keeps the token valid until it is revoked there.
pub async fn disconnect_source(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    source: &str,
) -> Result<bool, DomainError> {
    let forgotten = forget_credentials(db, workspace_id, source)
        .await?
        .is_some();
    if forgotten {
        tracing::info!(source, workspace = %workspace_id, "source disconnected");
    }
    Ok(forgotten)
}

/// Marks the connection `disconnected` and drops its tokens; returns the stored (encrypted)
/// token, or None when nothing was connected.
async fn forget_credentials(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    provider: &str,
) -> Result<Option<String>, DomainError> {
    let row = db
        .query_one_raw(raw(
            "WITH old AS (SELECT id, coalesce(refresh_token, access_token) AS token FROM integration_connections \
                          WHERE workspace_id = $1 AND provider = $2 AND access_token IS NOT NULL FOR UPDATE) \
             UPDATE integration_connections c SET status = 'disconnected', access_token = NULL, \
                 refresh_token = NULL, updated_at = now() \
             FROM old WHERE c.id = old.id RETURNING old.token",
            vec![workspace_id.into(), provider.into()],
        ))
        .await?;
    Ok(row.map(|r| r.try_get("", "token")).transpose()?)
}

/// Revoking a refresh token ends the whole grant at both providers.
async fn revoke(settings: &IntegrationsSettings, provider: OAuthProvider, token: &str) {
    let ps = provider.settings(settings);
    let mut req = http().post(&ps.revoke_url).form(&[("token", token)]);
    if provider == OAuthProvider::Zoom
        && let (Some(id), Some(secret)) = (&ps.client_id, &ps.client_secret)
    {
        req = req.basic_auth(id, Some(secret.expose_secret()));
    }
    match req.send().await {
        Ok(r) if r.status().is_success() => {}
        Ok(r) => {
            tracing::warn!(provider = provider.as_str(), status = %r.status(), "the provider did not revoke the token")
        }
        Err(e) => {
            tracing::warn!(provider = provider.as_str(), error = %e, "could not reach the provider to revoke the token")
        }
    }
}

/// Connections of every workspace whose source syncs and whose last sync (successful or
/// not) is older than `sync_interval_secs`, or stopped partway with work left:
/// (workspace, provider).
pub async fn due_syncs(
    db: &impl ConnectionTrait,
    sync_interval_secs: u64,
) -> Result<Vec<(Uuid, Source)>, DomainError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT workspace_id, provider FROM integration_connections \
             WHERE status = 'active' AND access_token IS NOT NULL AND provider IN ('zoom', 'slack', 'jira', 'google') \
             AND (provider <> 'google' OR settings ? 'folder_ids') \
             AND (last_sync_at IS NULL OR last_sync_status = 'partial' \
                  OR last_sync_at < now() - make_interval(secs => $1)) \
             ORDER BY last_sync_at NULLS FIRST",
            vec![(sync_interval_secs as f64).into()],
        ))
        .await?;
    let mut due = Vec::with_capacity(rows.len());
    for r in &rows {
        let provider: String = r.try_get("", "provider")?;
        if let Some(source) = Source::from_connection_name(&provider) {
            due.push((r.try_get("", "workspace_id")?, source));
        }
    }
    Ok(due)
}

/// Re-encrypts every stored token and PKCE verifier not yet under the current key; returns
/// how many values were rewritten. Safe to run again (values already current are skipped).
pub async fn rotate_keys(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
) -> Result<usize, DomainError> {
    let current = cipher
        .current_key_id()
        .ok_or_else(|| DomainError::Invalid {
            field: "integrations.current_token_key".into(),
            message: "set the key to rotate to".into(),
        })?;
    let mut rewritten = 0;
    for (table, key, column) in [
        ("integration_connections", "id::text", "access_token"),
        ("integration_connections", "id::text", "refresh_token"),
        ("oauth_states", "state_hash", "code_verifier"),
    ] {
        let rows = db
            .query_all_raw(raw(
                &format!(
                    "SELECT {key} AS k, {column} AS v FROM {table} \
                     WHERE {column} IS NOT NULL AND {column} NOT LIKE $1"
                ),
                vec![format!("v1.{current}.%").into()],
            ))
            .await?;
        for r in rows {
            let k: String = r.try_get("", "k")?;
            let v: String = r.try_get("", "v")?;
            let plain = cipher.decrypt(&v).map_err(|e| DomainError::Invalid {
                field: format!("{table}.{column}"),
                message: e.to_string(),
            })?;
            let sealed =
                cipher
                    .encrypt(plain.expose_secret())
                    .map_err(|e| DomainError::Invalid {
                        field: "integrations.current_token_key".into(),
                        message: e.to_string(),
                    })?;
            db.execute_raw(raw(
                &format!("UPDATE {table} SET {column} = $2 WHERE {key} = $1 AND {column} = $3"),
                vec![k.into(), sealed.into(), v.into()],
            ))
            .await?;
            rewritten += 1;
        }
    }
    Ok(rewritten)
}
