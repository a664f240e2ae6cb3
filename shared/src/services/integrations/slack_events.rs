//! Slack's Events API: pushed messages are verified with the app's signing secret, stored
//! once per event id, and named afterwards by the `slack:names` job (Slack wants its
//! answer within 3 s, so nothing here waits on users.info).

use std::collections::HashMap;

use chrono::Utc;
use hmac::{Hmac, Mac};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use sha2::Sha256;
use uuid::Uuid;

use super::{
    crypto::TokenCipher,
    slack::{People, SlackChannel, connection, item, skipped},
    vendor::SyncError,
};
use crate::{
    DomainError,
    config::{IntegrationsSettings, JobSettings},
    db::statement as raw,
    jobs::JobQueue,
    services::{
        feedback,
        jobs::{
            self, NewJob,
            contract::{NoParams, SlackNames},
        },
        workspaces,
    },
};

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
    settings: &IntegrationsSettings,
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> Result<EventOutcome, EventError> {
    let secret = settings
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
            "SELECT workspace_id, settings FROM integration_connections \
             WHERE provider = 'slack' AND external_id = $1 AND status = 'active'",
            vec![team.into()],
        ))
        .await?
    else {
        return Ok(EventOutcome::Ignored(
            "no workspace is connected to this Slack team",
        ));
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
    // Slack wants an answer within 3 s: the name is looked up by a job afterwards
    // (`name_pending_speakers`), never here.
    let user = event["user"].as_str().unwrap_or("unknown");
    let workspace = workspaces::get(db, workspace_id).await?;
    let meta = json!({"channel": channel.id, "ts": ts, "event_id": event_id,
                      "thread_ts": event["thread_ts"], "user": user, PENDING_NAME: true});
    let new = item(
        channel,
        ts,
        event["text"].as_str().unwrap_or_default().to_owned(),
        Some(user.to_owned()),
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

/// Marks a pushed message whose speaker is still a user id.
const PENDING_NAME: &str = "speaker_pending";
/// Messages named per pass of the naming job.
const NAMES_PER_PASS: u64 = 500;

/// Replaces the user ids that pushed messages were stored with by people's names
/// (users.info, once per person); returns how many messages were named. Runs until none is
/// left, so messages pushed while it runs are named too.
pub async fn name_pending_speakers(
    db: &(impl ConnectionTrait + TransactionTrait),
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
) -> Result<usize, SyncError> {
    let conn = connection(db, cipher, workspace_id).await?;
    let mut people = People {
        settings,
        token: &conn.token,
        names: HashMap::new(),
    };
    let mut named = 0;
    loop {
        let rows = db
            .query_all_raw(raw(
                "SELECT id, meta->>'user' AS user FROM feedback WHERE workspace_id = $1 AND source = 'slack' \
                 AND meta ? $2 ORDER BY id LIMIT $3",
                vec![workspace_id.into(), PENDING_NAME.into(), (NAMES_PER_PASS as i64).into()],
            ))
            .await?;
        if rows.is_empty() {
            return Ok(named);
        }
        for row in &rows {
            let id: Uuid = row.try_get("", "id")?;
            let user: Option<String> = row.try_get("", "user")?;
            let name = people.name(user.as_deref().unwrap_or("unknown")).await;
            db.execute_raw(raw(
                "UPDATE feedback SET speaker = $2, meta = meta - $3 WHERE id = $1",
                vec![id.into(), name.into(), PENDING_NAME.into()],
            ))
            .await?;
            named += 1;
        }
    }
}

/// What a stored event asks for next: its embedding and its sender's name, both as jobs.
pub async fn after_event_stored(
    db: &impl ConnectionTrait,
    queue: &JobQueue,
    jobs_settings: &JobSettings,
    workspace_id: Uuid,
) -> Result<(), DomainError> {
    jobs::request_embedding(db, queue, jobs_settings, workspace_id).await?;
    let naming = NewJob::of::<SlackNames>(jobs_settings, workspace_id, &NoParams {}).singleton();
    jobs::start(db, queue, naming).await?;
    Ok(())
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
}
