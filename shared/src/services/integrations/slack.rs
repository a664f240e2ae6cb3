//! Slack: a bot token and the channels a workspace opts in. The sync reads
//! `conversations.history` page by page from the newest message already stored, folds each
//! thread (`conversations.replies`) into one item, names people through `users.info`
//! (cached), and skips bot, join and emoji-only messages. Each channel commits with its own
//! cursor; a channel Slack refuses is recorded and the others go on; a run that spends its
//! budget resumes at Slack's page cursor next time. Channels are checked when saved, and a
//! Slack team belongs to one workspace. Pushed events are handled in `slack_events`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    crypto::TokenCipher,
    vendor::{self, Fetched, SyncError},
};
use crate::{
    config::IntegrationsSettings,
    db::statement as raw,
    services::source::Source,
    services::{
        feedback::{self, NewFeedback},
        workspaces,
    },
};

/// A channel the workspace opted in, and the account its messages come from.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SlackChannel {
    /// The channel id, e.g. C0123456789.
    #[schemars(length(min = 1, max = 64), pattern(r"\S"))]
    pub id: String,
    /// The customer the channel is with (a shared channel), if any.
    #[serde(default)]
    pub account: Option<String>,
}

/// A Web API call: `ok: false` answers become errors that say what to do.
pub(super) async fn call(
    settings: &IntegrationsSettings,
    token: &SecretString,
    method: &str,
    params: &[(&str, &str)],
) -> Result<Value, SyncError> {
    let base = settings.slack.api_base_url.trim_end_matches('/');
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
    answer(method, vendor::read_json("Slack", res).await?)
}

/// A Web API method that writes (`chat.postMessage`): a JSON body, sent once per call. It
/// never retries by itself (a retried post could say the same thing twice); a caller that
/// prefers a late post to a lost one retries through its job (`slack_alert`).
pub(super) async fn post(
    settings: &IntegrationsSettings,
    token: &SecretString,
    method: &str,
    body: &Value,
) -> Result<Value, SyncError> {
    crate::ai::init_crypto();
    let url = format!(
        "{}/{method}",
        settings.slack.api_base_url.trim_end_matches('/')
    );
    let res = reqwest::Client::new()
        .post(url)
        .bearer_auth(token.expose_secret())
        .timeout(std::time::Duration::from_secs(15))
        .json(body)
        .send()
        .await
        .map_err(|e| SyncError::Unavailable(format!("Slack is unreachable: {e}")))?;
    if !res.status().is_success() {
        return Err(SyncError::Unavailable(format!(
            "Slack answered {}",
            res.status()
        )));
    }
    answer(method, vendor::read_json("Slack", res).await?)
}

/// Slack's envelope: `ok: false` answers become errors that say what to do.
fn answer(method: &str, body: Value) -> Result<Value, SyncError> {
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

pub(super) struct Connection {
    id: Uuid,
    pub(super) token: SecretString,
    channels: Vec<SlackChannel>,
    /// Channel → the newest message stored.
    cursor: HashMap<String, String>,
    /// Channel → where a read that ran out of budget stopped.
    resume: HashMap<String, Resume>,
}

/// A channel read left partway: Slack's page cursor within the read, and the read's bounds.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Resume {
    cursor: String,
    oldest: Option<String>,
    newest: Option<String>,
}

pub(super) async fn connection(
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
        resume: cursor
            .as_ref()
            .and_then(|c| serde_json::from_value(c["resume"].clone()).ok())
            .unwrap_or_default(),
        cursor: cursor
            .and_then(|c| serde_json::from_value(c["channels"].clone()).ok())
            .unwrap_or_default(),
    })
}

/// Messages that carry no customer voice: joins and other subtypes, bots, emoji alone.
pub(super) fn skipped(m: &Value) -> bool {
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
pub(super) struct People<'a> {
    pub(super) settings: &'a IntegrationsSettings,
    pub(super) token: &'a SecretString,
    pub(super) names: HashMap<String, String>,
}

impl People<'_> {
    pub(super) async fn name(&mut self, user: &str) -> String {
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

/// Pages of one thread's replies read at most.
const MAX_PAGES: usize = 200;

#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct SlackSyncStats {
    pub channels_synced: usize,
    /// Channels Slack refused this time, with why (also in `GET /integrations`).
    pub channels_failed: Vec<FailedChannel>,
    /// The run spent its budget (integrations.max_sync_pages / max_sync_secs) with
    /// messages left: it continues at the next schedule tick.
    pub partial: bool,
    pub messages_fetched: usize,
    pub threads: usize,
    pub messages_skipped: usize,
    pub feedback_created: usize,
    pub feedback_updated: usize,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct FailedChannel {
    pub channel: String,
    pub error: String,
}

pub(super) fn item(
    channel: &SlackChannel,
    key: &str,
    text: String,
    speaker: Option<String>,
    meta: Value,
) -> NewFeedback {
    NewFeedback {
        source: Source::Slack.feedback_name(),
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
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
) -> Result<SlackSyncStats, SyncError> {
    let conn = connection(db, cipher, workspace_id).await?;
    let outcome = run(db, settings, &conn, workspace_id).await;
    // Each channel's cursor was saved when that channel committed.
    let partial = outcome.as_ref().is_ok_and(|s| s.partial);
    vendor::record_run(db, conn.id, outcome.as_ref().map(|_| None), partial).await?;
    outcome
}

/// Every opted-in channel in turn. A channel Slack refuses (the app is not in it, it was
/// deleted or archived) is recorded with its reason and the others go on; the token, Slack
/// itself or the database failing ends the run, keeping what earlier channels committed.
async fn run(
    db: &(impl ConnectionTrait + TransactionTrait),
    settings: &IntegrationsSettings,
    conn: &Connection,
    workspace_id: Uuid,
) -> Result<SlackSyncStats, SyncError> {
    let workspace = workspaces::get(db, workspace_id).await?;
    let mut people = People {
        settings,
        token: &conn.token,
        names: HashMap::new(),
    };
    let mut stats = SlackSyncStats::default();
    let mut budget = vendor::RunBudget::new(settings);
    for channel in &conn.channels {
        if budget.exhausted {
            // The channels after it continue in the next run.
            break;
        }
        let read = Channel {
            db,
            settings,
            conn,
            workspace: &workspace,
            channel,
        };
        match read.sync(&mut people, &mut budget, &mut stats).await {
            Ok(()) => stats.channels_synced += 1,
            Err(SyncError::Refused(reason)) => {
                tracing::warn!(channel = %channel.id, %reason, "a Slack channel could not be read; the others go on");
                vendor::update_cursor(db, conn.id, |c| {
                    vendor::set_item_error(c, &channel.id, Some(&reason));
                })
                .await?;
                stats.channels_failed.push(FailedChannel {
                    channel: channel.id.clone(),
                    error: reason,
                });
            }
            Err(e) => return Err(e),
        }
    }
    stats.partial = budget.exhausted;
    Ok(stats)
}

/// One channel's sync.
struct Channel<'a, C> {
    db: &'a C,
    settings: &'a IntegrationsSettings,
    conn: &'a Connection,
    workspace: &'a crate::entities::workspace::Model,
    channel: &'a SlackChannel,
}

impl<C: ConnectionTrait + TransactionTrait> Channel<'_, C> {
    /// Reads the channel from its cursor (or where a read stopped) while the budget lasts,
    /// and commits its items with its new cursor or resume point (and its error cleared) in
    /// one transaction.
    async fn sync(
        &self,
        people: &mut People<'_>,
        budget: &mut vendor::RunBudget,
        stats: &mut SlackSyncStats,
    ) -> Result<(), SyncError> {
        let (settings, conn, channel) = (self.settings, self.conn, self.channel);
        let resume = conn.resume.get(&channel.id);
        let oldest = match resume {
            Some(r) => r.oldest.clone(),
            None => conn.cursor.get(&channel.id).cloned(),
        };
        let mut newest = resume.map_or_else(|| oldest.clone(), |r| r.newest.clone());
        let mut page: Option<String> = resume.map(|r| r.cursor.clone());
        let mut finished = false;
        let mut items = Vec::new();
        while budget.take_page() {
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
                        thread_text(settings, &conn.token, people, &channel.id, &ts).await?;
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
                finished = true;
                break;
            }
        }
        let txn = self.db.begin().await?;
        if !items.is_empty() {
            let report = feedback::ingest(&txn, self.workspace, items).await?;
            stats.feedback_created += report.created;
            stats.feedback_updated += report.updated;
        }
        vendor::update_cursor(&txn, conn.id, |c| {
            let stopped = match (finished, page) {
                (false, Some(cursor)) => Some(Resume {
                    cursor,
                    oldest,
                    newest: newest.clone(),
                }),
                _ => None,
            };
            if stopped.is_none()
                && let Some(n) = &newest
            {
                object_entry(c, "channels").insert(channel.id.clone(), json!(n));
            }
            match stopped {
                Some(r) => object_entry(c, "resume").insert(channel.id.clone(), json!(r)),
                None => object_entry(c, "resume").remove(&channel.id),
            };
            vendor::set_item_error(c, &channel.id, None);
        })
        .await?;
        txn.commit().await?;
        Ok(())
    }
}

/// The object under `key`, made one if it is missing or not an object.
fn object_entry<'m>(
    map: &'m mut serde_json::Map<String, Value>,
    key: &str,
) -> &'m mut serde_json::Map<String, Value> {
    let entry = map.entry(key).or_insert_with(|| json!({}));
    if !entry.is_object() {
        *entry = json!({});
    }
    match entry {
        Value::Object(object) => object,
        _ => unreachable!("replaced by an object above"),
    }
}

/// A thread as one conversation: "Name: text" per message, bots and emoji left out.
async fn thread_text(
    settings: &IntegrationsSettings,
    token: &SecretString,
    people: &mut People<'_>,
    channel: &str,
    ts: &str,
) -> Result<Option<(String, Vec<String>)>, SyncError> {
    let mut lines = Vec::new();
    let mut speakers: Vec<String> = Vec::new();
    let mut page: Option<String> = None;
    for _ in 0..MAX_PAGES {
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

#[cfg(test)]
mod tests {
    use super::*;

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
