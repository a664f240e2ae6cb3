//! Slack: a bot token and the channels a workspace opts in. The sync reads
//! `conversations.history` page by page from the newest message already stored, folds each
//! thread (`conversations.replies`) into one item, names people through `users.info`
//! (cached), and skips bot, join and emoji-only messages. Pushed events are verified with the
//! app's signing secret and stored once per event id.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use super::{
    connections::{TokenConnection, store_token_connection},
    crypto::TokenCipher,
    vendor::{self, Fetched, SyncError, record_sync},
};
use crate::{
    DomainError,
    config::Settings,
    db::statement as raw,
    services::{
        feedback::{self, NewFeedback},
        workspaces,
    },
};

/// A channel the workspace opted in, and the account its messages come from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SlackChannel {
    /// The channel id, e.g. C0123456789.
    pub id: String,
    /// The customer the channel is with (a shared channel), if any.
    #[serde(default)]
    pub account: Option<String>,
}

/// A Web API call: `ok: false` answers become errors that say what to do.
async fn call(
    settings: &Settings,
    token: &SecretString,
    method: &str,
    params: &[(&str, &str)],
) -> Result<Value, SyncError> {
    let base = settings
        .integrations
        .slack
        .api_base_url
        .trim_end_matches('/');
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let url = format!("{base}/{method}?{query}");
    let res = match vendor::get("Slack", &url, token.expose_secret()).await? {
        Fetched::Ok(res) => res,
        Fetched::Unauthorized => {
            return Err(SyncError::NotConnected(
                "Slack refused the bot token".into(),
            ));
        }
    };
    let body: Value = res.json().await.map_err(|e| {
        SyncError::Unavailable(format!("Slack's {method} answer is not usable: {e}"))
    })?;
    if body["ok"].as_bool() == Some(true) {
        return Ok(body);
    }
    let error = body["error"].as_str().unwrap_or("unknown_error").to_owned();
    Err(match error.as_str() {
        "invalid_auth" | "not_authed" | "token_revoked" | "account_inactive" | "token_expired" => {
            SyncError::NotConnected(format!(
                "Slack refused the bot token ({error}); store a new one with PUT /integrations/slack"
            ))
        }
        "ratelimited" => SyncError::Unavailable("Slack is rate limiting; try again later".into()),
        _ => SyncError::Refused(format!("Slack {method} failed: {error}")),
    })
}

/// The connected Slack team.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SlackConnected {
    pub team_id: String,
    pub team: String,
    pub channels: Vec<SlackChannel>,
}

/// Checks the bot token with `auth.test` and stores it (encrypted) with the channels.
pub async fn connect(
    db: &impl ConnectionTrait,
    settings: &Settings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
    owner: &str,
    bot_token: &SecretString,
    channels: Vec<SlackChannel>,
) -> Result<SlackConnected, SyncError> {
    let me = call(settings, bot_token, "auth.test", &[]).await?;
    let team_id = me["team_id"].as_str().unwrap_or_default().to_owned();
    let team = me["team"].as_str().unwrap_or_default().to_owned();
    store_token_connection(
        db,
        cipher,
        workspace_id,
        TokenConnection {
            provider: "slack",
            account: &team,
            token: bot_token,
            owner,
            external_id: &team_id,
            settings: json!({ "channels": channels }),
        },
    )
    .await?;
    Ok(SlackConnected {
        team_id,
        team,
        channels,
    })
}

struct Connection {
    id: Uuid,
    token: SecretString,
    channels: Vec<SlackChannel>,
    cursor: HashMap<String, String>,
}

async fn connection(
    db: &impl ConnectionTrait,
    cipher: &TokenCipher,
    workspace_id: Uuid,
) -> Result<Connection, SyncError> {
    let row = db
        .query_one_raw(raw(
            "SELECT id, access_token, settings, sync_cursor FROM integration_connections \
             WHERE workspace_id = $1 AND provider = 'slack' AND status = 'active' AND access_token IS NOT NULL",
            vec![workspace_id.into()],
        ))
        .await?
        .ok_or_else(|| {
            SyncError::NotConnected(
                "no Slack connection for this workspace; an admin stores a bot token and channels with PUT /integrations/slack"
                    .into(),
            )
        })?;
    let settings: Value = row.try_get("", "settings")?;
    let cursor: Option<Value> = row.try_get("", "sync_cursor")?;
    Ok(Connection {
        id: row.try_get("", "id")?,
        token: cipher
            .decrypt(&row.try_get::<String>("", "access_token")?)
            .map_err(|e| SyncError::NotConnected(e.to_string()))?,
        channels: serde_json::from_value(settings["channels"].clone()).unwrap_or_default(),
        cursor: cursor
            .and_then(|c| serde_json::from_value(c["channels"].clone()).ok())
            .unwrap_or_default(),
    })
}

/// Messages that carry no customer voice: joins and other subtypes, bots, emoji alone.
fn skipped(m: &Value) -> bool {
    if m["subtype"].is_string() || m["bot_id"].is_string() {
        return true;
    }
    let text = m["text"].as_str().unwrap_or_default().trim();
    text.is_empty()
        || text.split_whitespace().all(|w| {
            w.len() > 2
                && w.starts_with(':')
                && w.ends_with(':')
                && !w[1..w.len() - 1].contains(' ')
        })
}

fn ts_time(ts: &str) -> Option<DateTime<Utc>> {
    let secs: f64 = ts.parse().ok()?;
    DateTime::from_timestamp_millis((secs * 1000.0) as i64)
}

/// Slack `ts` values compare as numbers (seconds with six decimals).
fn later(a: &str, b: &str) -> bool {
    a.parse::<f64>().unwrap_or(0.0) > b.parse::<f64>().unwrap_or(0.0)
}

/// Names behind user ids, looked up once per sync.
struct People<'a> {
    settings: &'a Settings,
    token: &'a SecretString,
    names: HashMap<String, String>,
}

impl People<'_> {
    async fn name(&mut self, user: &str) -> String {
        if let Some(n) = self.names.get(user) {
            return n.clone();
        }
        let name = match call(self.settings, self.token, "users.info", &[("user", user)]).await {
            Ok(v) => {
                let u = &v["user"];
                [&u["profile"]["display_name"], &u["real_name"], &u["name"]]
                    .iter()
                    .filter_map(|n| n.as_str())
                    .find(|n| !n.is_empty())
                    .unwrap_or(user)
                    .to_owned()
            }
            Err(e) => {
                tracing::debug!(user, error = %e, "users.info failed; keeping the id");
                user.to_owned()
            }
        };
        self.names.insert(user.to_owned(), name.clone());
        name
    }
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct SlackSyncStats {
    pub channels_synced: usize,
    pub messages_fetched: usize,
    pub threads: usize,
    pub messages_skipped: usize,
    pub feedback_created: usize,
    pub feedback_updated: usize,
}

fn item(
    channel: &SlackChannel,
    key: &str,
    text: String,
    speaker: Option<String>,
    meta: Value,
) -> NewFeedback {
    NewFeedback {
        source: "slack",
        source_id: format!("{}:{key}", channel.id),
        text,
        account: channel.account.clone(),
        created_at: ts_time(key),
        meta,
        speaker,
        ..Default::default()
    }
}

pub async fn sync(
    db: &(impl ConnectionTrait + TransactionTrait),
    settings: &Settings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
) -> Result<SlackSyncStats, SyncError> {
    let conn = connection(db, cipher, workspace_id).await?;
    let outcome = run(db, settings, &conn, workspace_id).await;
    let cursor = outcome
        .as_ref()
        .map(|(_, cursor)| Some(json!({ "channels": cursor })));
    record_sync(db, conn.id, cursor).await?;
    outcome.map(|(stats, _)| stats)
}

async fn run(
    db: &(impl ConnectionTrait + TransactionTrait),
    settings: &Settings,
    conn: &Connection,
    workspace_id: Uuid,
) -> Result<(SlackSyncStats, HashMap<String, String>), SyncError> {
    let workspace = workspaces::get(db, workspace_id).await?;
    let mut people = People {
        settings,
        token: &conn.token,
        names: HashMap::new(),
    };
    let mut stats = SlackSyncStats::default();
    let mut cursor = conn.cursor.clone();
    for channel in &conn.channels {
        let oldest = cursor.get(&channel.id).cloned();
        let mut newest = oldest.clone();
        let mut items = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut params = vec![("channel", channel.id.as_str()), ("limit", "200")];
            if let Some(o) = oldest.as_deref() {
                params.push(("oldest", o));
            }
            if let Some(p) = page.as_deref() {
                params.push(("cursor", p));
            }
            let history = call(settings, &conn.token, "conversations.history", &params).await?;
            for m in history["messages"].as_array().cloned().unwrap_or_default() {
                stats.messages_fetched += 1;
                let ts = m["ts"].as_str().unwrap_or_default().to_owned();
                if newest.as_deref().is_none_or(|n| later(&ts, n)) {
                    newest = Some(ts.clone());
                }
                if m["reply_count"].as_u64().unwrap_or(0) > 0 {
                    let thread =
                        thread_text(settings, &conn.token, &mut people, &channel.id, &ts).await?;
                    if let Some((text, speakers)) = thread {
                        stats.threads += 1;
                        let meta =
                            json!({"channel": channel.id, "thread_ts": ts, "speakers": speakers});
                        items.push(item(channel, &ts, text, speakers.first().cloned(), meta));
                    }
                    continue;
                }
                if skipped(&m) {
                    stats.messages_skipped += 1;
                    continue;
                }
                let name = people.name(m["user"].as_str().unwrap_or("unknown")).await;
                let meta = json!({"channel": channel.id, "ts": ts});
                items.push(item(
                    channel,
                    &ts,
                    m["text"].as_str().unwrap_or_default().to_owned(),
                    Some(name),
                    meta,
                ));
            }
            page = history["response_metadata"]["next_cursor"]
                .as_str()
                .filter(|c| !c.is_empty() && history["has_more"].as_bool() != Some(false))
                .map(str::to_owned);
            if page.is_none() {
                break;
            }
        }
        if !items.is_empty() {
            let txn = db.begin().await?;
            let report = feedback::ingest(&txn, &workspace, items).await?;
            txn.commit().await?;
            stats.feedback_created += report.created;
            stats.feedback_updated += report.updated;
        }
        if let Some(n) = newest {
            cursor.insert(channel.id.clone(), n);
        }
        stats.channels_synced += 1;
    }
    Ok((stats, cursor))
}

/// A thread as one conversation: "Name: text" per message, bots and emoji left out.
async fn thread_text(
    settings: &Settings,
    token: &SecretString,
    people: &mut People<'_>,
    channel: &str,
    ts: &str,
) -> Result<Option<(String, Vec<String>)>, SyncError> {
    let mut lines = Vec::new();
    let mut speakers: Vec<String> = Vec::new();
    let mut page: Option<String> = None;
    loop {
        let mut params = vec![("channel", channel), ("ts", ts), ("limit", "200")];
        if let Some(p) = page.as_deref() {
            params.push(("cursor", p));
        }
        let replies = call(settings, token, "conversations.replies", &params).await?;
        for m in replies["messages"].as_array().cloned().unwrap_or_default() {
            if skipped(&m) {
                continue;
            }
            let name = people.name(m["user"].as_str().unwrap_or("unknown")).await;
            if !speakers.contains(&name) {
                speakers.push(name.clone());
            }
            lines.push(format!(
                "{name}: {}",
                m["text"].as_str().unwrap_or_default().trim()
            ));
        }
        page = replies["response_metadata"]["next_cursor"]
            .as_str()
            .filter(|c| !c.is_empty())
            .map(str::to_owned);
        if page.is_none() {
            break;
        }
    }
    Ok((!lines.is_empty()).then(|| (lines.join("\n"), speakers)))
}

/// Why a pushed event was refused.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("integrations.slack.signing_secret is not set; Slack events cannot be verified")]
    NotConfigured,
    #[error("the request's Slack signature is missing, stale or wrong")]
    BadSignature,
    #[error("the event body is not valid JSON: {0}")]
    BadBody(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<sea_orm::DbErr> for EventError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Domain(e.into())
    }
}

/// What became of a pushed event.
#[derive(Debug, PartialEq, Eq)]
pub enum EventOutcome {
    /// Slack's URL check: answer with this challenge.
    Challenge(String),
    /// Stored as feedback in this workspace (embed it).
    Stored(Uuid),
    /// Seen before, for no connected team, outside the opted-in channels, or not feedback.
    Ignored(&'static str),
}

/// Slack's v0 signature: HMAC-SHA256 over `v0:<timestamp>:<body>`, within five minutes.
pub fn verify(
    secret: &SecretString,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: i64,
) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now - ts).abs() > 300 {
        return false;
    }
    let Some(hex_sig) = signature.trim().strip_prefix("v0=") else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose_secret().as_bytes()) else {
        return false;
    };
    mac.update(format!("v0:{ts}:").as_bytes());
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&expected).is_ok()
}

pub async fn handle_event(
    db: &(impl ConnectionTrait + TransactionTrait),
    settings: &Settings,
    cipher: &TokenCipher,
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> Result<EventOutcome, EventError> {
    let secret = settings
        .integrations
        .slack
        .signing_secret
        .as_ref()
        .ok_or(EventError::NotConfigured)?;
    if !verify(secret, timestamp, signature, body, Utc::now().timestamp()) {
        return Err(EventError::BadSignature);
    }
    let envelope: Value =
        serde_json::from_slice(body).map_err(|e| EventError::BadBody(e.to_string()))?;
    match envelope["type"].as_str() {
        Some("url_verification") => {
            return Ok(EventOutcome::Challenge(
                envelope["challenge"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            ));
        }
        Some("event_callback") => {}
        _ => return Ok(EventOutcome::Ignored("not an event callback")),
    }
    let team = envelope["team_id"].as_str().unwrap_or_default();
    let event_id = envelope["event_id"].as_str().unwrap_or_default();
    let event = &envelope["event"];
    let Some(row) = db
        .query_one_raw(raw(
            "SELECT workspace_id, access_token, settings FROM integration_connections \
             WHERE provider = 'slack' AND external_id = $1 AND status = 'active' ORDER BY updated_at DESC LIMIT 1",
            vec![team.into()],
        ))
        .await?
    else {
        return Ok(EventOutcome::Ignored("no workspace is connected to this Slack team"));
    };
    let workspace_id: Uuid = row.try_get("", "workspace_id")?;
    let channels: Vec<SlackChannel> =
        serde_json::from_value(row.try_get::<Value>("", "settings")?["channels"].clone())
            .unwrap_or_default();
    let channel = event["channel"].as_str().unwrap_or_default();
    let Some(channel) = channels.iter().find(|c| c.id == channel) else {
        return Ok(EventOutcome::Ignored("the channel is not opted in"));
    };
    if event["type"].as_str() != Some("message") || skipped(event) || event_id.is_empty() {
        return Ok(EventOutcome::Ignored("not a customer message"));
    }
    let ts = event["ts"].as_str().unwrap_or_default();
    let user = event["user"].as_str().unwrap_or("unknown");
    let speaker = match row
        .try_get::<Option<String>>("", "access_token")?
        .and_then(|t| cipher.decrypt(&t).ok())
    {
        Some(token) => {
            People {
                settings,
                token: &token,
                names: HashMap::new(),
            }
            .name(user)
            .await
        }
        None => user.to_owned(),
    };
    let workspace = workspaces::get(db, workspace_id).await?;
    let meta = json!({"channel": channel.id, "ts": ts, "event_id": event_id,
                      "thread_ts": event["thread_ts"]});
    let new = item(
        channel,
        ts,
        event["text"].as_str().unwrap_or_default().to_owned(),
        Some(speaker),
        meta,
    );
    // The event is marked handled in the same transaction that stores it: a failure leaves
    // neither, and Slack's retry tries again.
    let txn = db.begin().await?;
    let fresh = txn
        .execute_raw(raw(
            "INSERT INTO slack_events (event_id, workspace_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            vec![event_id.into(), workspace_id.into()],
        ))
        .await?
        .rows_affected()
        == 1;
    if !fresh {
        return Ok(EventOutcome::Ignored("already handled"));
    }
    feedback::ingest(&txn, &workspace, vec![new]).await?;
    txn.commit().await?;
    Ok(EventOutcome::Stored(workspace_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("v0:{ts}:").as_bytes());
        mac.update(body);
        format!("v0={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked_over_timestamp_and_body_within_five_minutes() {
        let secret = SecretString::from("8f742231b10e8888abcd99yyyzzz85a5");
        let body = br#"{"type":"event_callback"}"#;
        let now = 1_700_000_000;
        let good = sign("8f742231b10e8888abcd99yyyzzz85a5", now, body);
        assert!(verify(&secret, &now.to_string(), &good, body, now + 10));
        assert!(!verify(
            &secret,
            &now.to_string(),
            &good,
            b"{\"type\":\"other\"}",
            now
        ));
        assert!(!verify(&secret, &(now + 1).to_string(), &good, body, now));
        assert!(
            !verify(&secret, &now.to_string(), &good, body, now + 301),
            "replayed late"
        );
        assert!(!verify(&secret, &now.to_string(), "v0=zz", body, now));
        assert!(!verify(
            &secret,
            &now.to_string(),
            &good.replace("v0=", "v1="),
            body,
            now
        ));
    }

    #[test]
    fn joins_bots_and_emoji_alone_are_not_feedback() {
        assert!(skipped(
            &json!({"subtype": "channel_join", "text": "joined"})
        ));
        assert!(skipped(&json!({"bot_id": "B1", "text": "Deploy done"})));
        assert!(skipped(&json!({"text": ":+1: :tada:"})));
        assert!(!skipped(&json!({"text": "Exports time out :cry:"})));
    }
}
