//! Connecting Slack: the bot token checked with `auth.test`, every opted-in channel with
//! `conversations.info` (it must exist and hold the app), then stored encrypted; one
//! workspace per Slack team.

use schemars::JsonSchema;
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{
    connections::{TokenConnection, store_token_connection},
    crypto::TokenCipher,
    slack::{SlackChannel, call},
    vendor::SyncError,
};
use crate::{DomainError, config::IntegrationsSettings, db::statement as raw};

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
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    workspace_id: Uuid,
    owner: &str,
    bot_token: &SecretString,
    channels: Vec<SlackChannel>,
) -> Result<SlackConnected, SyncError> {
    let me = call(settings, bot_token, "auth.test", &[]).await?;
    let team_id = me["team_id"].as_str().unwrap_or_default().to_owned();
    let team = me["team"].as_str().unwrap_or_default().to_owned();
    let claimed = db
        .query_one_raw(raw(
            "SELECT 1 AS one FROM integration_connections WHERE provider = 'slack' AND status = 'active' \
             AND external_id = $1 AND workspace_id <> $2",
            vec![team_id.clone().into(), workspace_id.into()],
        ))
        .await?;
    let team_taken = || {
        SyncError::Refused(format!(
            "the Slack team {team} ({team_id}) is already connected to another ProduckAI workspace; \
             disconnect it there first (pushed events are routed by team)"
        ))
    };
    if claimed.is_some() {
        return Err(team_taken());
    }
    for channel in &channels {
        check_channel(settings, bot_token, channel).await?;
    }
    let stored = store_token_connection(
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
    .await;
    match stored {
        Err(DomainError::Db(e)) if DomainError::is_unique_violation(&e) => {
            return Err(team_taken());
        }
        other => other?,
    }
    Ok(SlackConnected {
        team_id,
        team,
        channels,
    })
}

/// The channel must exist and hold the app, or every sync would fail on it.
async fn check_channel(
    settings: &IntegrationsSettings,
    token: &SecretString,
    channel: &SlackChannel,
) -> Result<(), SyncError> {
    let info = call(settings, token, "conversations.info", &[("channel", &channel.id)])
        .await
        .map_err(|e| match e {
            SyncError::Refused(m) if m.contains("channel_not_found") => SyncError::Refused(format!(
                "Slack has no channel {} that the app can see; check the id (the channel's details show it)",
                channel.id
            )),
            e => e,
        })?;
    if info["channel"]["is_member"].as_bool() == Some(false) {
        let name = info["channel"]["name"].as_str().unwrap_or(&channel.id);
        return Err(SyncError::Refused(format!(
            "the app is not a member of #{name} ({}); invite it there (/invite @your-app) and connect again",
            channel.id
        )));
    }
    Ok(())
}
