//! Telling the team in Slack, through the connected bot: an alert when a high-priority
//! insight appears or rises past the workspace's line (posted by a `slack_alert` job, so
//! Slack being down or rate limiting delays it instead of losing it), and a weekly digest
//! (new themes, top movers, tickets whose priority disagrees with the evidence). The digest
//! is claimed per workspace and week before it is posted, so however many workers fire the
//! schedule, and however often a tick's job is retried, a workspace gets one digest a week.

use chrono::{DateTime, Duration, Utc};
use schemars::JsonSchema;
use sea_orm::{ConnectionTrait, FromQueryResult};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{crypto::TokenCipher, slack, vendor::SyncError};
use crate::{
    DomainError, config::IntegrationsSettings, db::statement as raw,
    services::themes::wording::plural,
};

/// Where and when the workspace hears from ProduckAI in Slack.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema, FromQueryResult)]
pub struct Notifications {
    /// The channel posts go to (the bot must be a member).
    pub channel_id: String,
    /// Alerts for insights at or above this priority (new, or risen past it).
    pub min_priority: i32,
    /// The weekly digest on `worker.digest_schedule`.
    pub weekly_digest: bool,
    /// When the last digest was posted.
    pub last_digest_at: Option<DateTime<Utc>>,
}

pub async fn get(
    db: &impl ConnectionTrait,
    ws: Uuid,
) -> Result<Option<Notifications>, DomainError> {
    Ok(Notifications::find_by_statement(raw(
        "SELECT channel_id, min_priority, weekly_digest, last_digest_at FROM slack_notifications WHERE workspace_id = $1",
        [ws.into()],
    ))
    .one(db)
    .await?)
}

/// The settings an admin saves.
pub struct NotificationsIn<'a> {
    pub channel_id: &'a str,
    pub min_priority: i32,
    pub weekly_digest: bool,
}

/// Saves the settings after checking, with the connected bot, that it can see the channel.
pub async fn save(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    ws: Uuid,
    who: &str,
    new: NotificationsIn<'_>,
) -> Result<Notifications, SyncError> {
    let NotificationsIn {
        channel_id,
        min_priority,
        weekly_digest,
    } = new;
    let connection = slack::connection(db, cipher, ws).await?;
    let info = slack::call(
        settings,
        &connection.token,
        "conversations.info",
        &[("channel", channel_id)],
    )
    .await?;
    if info["channel"]["is_member"].as_bool() == Some(false) {
        return Err(SyncError::Refused(format!(
            "the bot is not in #{}; invite it with /invite @ProduckAI, then save again",
            info["channel"]["name"].as_str().unwrap_or(channel_id)
        )));
    }
    let row = db
        .query_one_raw(raw(
            "INSERT INTO slack_notifications (workspace_id, channel_id, min_priority, weekly_digest, updated_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (workspace_id) DO UPDATE SET channel_id = EXCLUDED.channel_id, \
             min_priority = EXCLUDED.min_priority, weekly_digest = EXCLUDED.weekly_digest, \
             updated_by = EXCLUDED.updated_by, updated_at = now() \
             RETURNING channel_id, min_priority, weekly_digest, last_digest_at",
            vec![ws.into(), channel_id.into(), min_priority.into(), weekly_digest.into(), who.into()],
        ))
        .await?
        .ok_or(DomainError::not_found("slack notifications"))?;
    Ok(Notifications::from_query_result(&row, "")?)
}

/// Posts `text` (with `blocks`) to `channel` through the workspace's bot.
async fn post(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    ws: Uuid,
    channel: &str,
    text: &str,
    blocks: Value,
) -> Result<(), SyncError> {
    let connection = slack::connection(db, cipher, ws).await?;
    let body = json!({ "channel": channel, "text": text, "blocks": blocks, "unfurl_links": false });
    slack::post(settings, &connection.token, "chat.postMessage", &body).await?;
    Ok(())
}

fn section(markdown: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": markdown } })
}

fn insight_link(public_url: &str, id: &Value, title: &Value) -> String {
    format!(
        "<{}/app/insights/{}|{}>",
        public_url.trim_end_matches('/'),
        id.as_str().unwrap_or_default(),
        title
            .as_str()
            .unwrap_or_default()
            .replace(['<', '>', '|'], " ")
    )
}

/// An alert about to be posted: composed once when the run ends, so every retry of its
/// `slack_alert` job posts the same words to the same channel.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alert {
    pub channel_id: String,
    /// One line per insight, with its link and priority.
    pub lines: Vec<String>,
}

impl Alert {
    pub fn title(&self) -> String {
        format!(
            "{} on the board",
            plural(
                self.lines.len(),
                "high-priority insight",
                "high-priority insights"
            )
        )
    }
}

/// What posting an alert did.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct AlertReport {
    /// Insights the alert named.
    pub insights: usize,
}

/// The alert for a run's changes (the webhook events it produced) that reach the line: new
/// insights at or above it, and insights that rose past it. None when the workspace has no
/// notifications or nothing reached the line.
pub async fn alert_for(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    ws: Uuid,
    changes: &[(&'static str, Value)],
) -> Result<Option<Alert>, DomainError> {
    let Some(n) = get(db, ws).await? else {
        return Ok(None);
    };
    let lines: Vec<String> = changes
        .iter()
        .filter_map(|(event, d)| {
            let priority = d["priority_score"].as_i64()? as i32;
            let link = insight_link(&settings.public_url, &d["insight_id"], &d["title"]);
            match *event {
                "insight.created" if priority >= n.min_priority => {
                    Some(format!("• New: {link} — priority *{priority}*"))
                }
                "insight.priority_changed"
                    if priority >= n.min_priority && d["direction"] == "above" =>
                {
                    Some(format!(
                        "• Rising: {link} — priority *{}* → *{priority}*",
                        d["previous_priority"]
                    ))
                }
                _ => None,
            }
        })
        .collect();
    if lines.is_empty() {
        return Ok(None);
    }
    Ok(Some(Alert {
        channel_id: n.channel_id,
        lines,
    }))
}

/// Posts a composed alert through the workspace's bot.
pub async fn post_alert(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    ws: Uuid,
    alert: &Alert,
) -> Result<AlertReport, SyncError> {
    let title = alert.title();
    let blocks = json!([
        section(&format!("*{title}*")),
        section(&alert.lines.join("\n"))
    ]);
    post(db, settings, cipher, ws, &alert.channel_id, &title, blocks).await?;
    Ok(AlertReport {
        insights: alert.lines.len(),
    })
}

/// What a digest run did.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct DigestReport {
    /// Workspaces whose digest was due this tick.
    pub due: usize,
    pub posted: usize,
    /// Workspaces whose post failed (their digest is due again next tick).
    pub failed: usize,
}

/// Posts the weekly digest of every workspace that wants one and has not had one in the
/// last six days. Each workspace's week is claimed before posting (and released if the post
/// fails), so concurrent runs post it once.
pub async fn post_digests(
    db: &impl ConnectionTrait,
    settings: &IntegrationsSettings,
    cipher: &TokenCipher,
    now: DateTime<Utc>,
) -> Result<DigestReport, DomainError> {
    #[derive(FromQueryResult)]
    struct Due {
        workspace_id: Uuid,
        channel_id: String,
        previous: Option<DateTime<Utc>>,
    }
    let due = Due::find_by_statement(raw(
        "WITH due AS (SELECT workspace_id, last_digest_at FROM slack_notifications \
             WHERE weekly_digest AND (last_digest_at IS NULL OR last_digest_at <= $1) FOR UPDATE SKIP LOCKED) \
         UPDATE slack_notifications n SET last_digest_at = $2 FROM due WHERE n.workspace_id = due.workspace_id \
         RETURNING n.workspace_id, n.channel_id, due.last_digest_at AS previous",
        [(now - Duration::days(6)).into(), now.into()],
    ))
    .all(db)
    .await?;
    let mut report = DigestReport {
        due: due.len(),
        ..Default::default()
    };
    for d in due {
        let (text, blocks) = digest(db, &settings.public_url, d.workspace_id, now).await?;
        match post(
            db,
            settings,
            cipher,
            d.workspace_id,
            &d.channel_id,
            &text,
            blocks,
        )
        .await
        {
            Ok(()) => report.posted += 1,
            Err(e) => {
                tracing::warn!(workspace = %d.workspace_id, error = %e, "weekly digest not posted");
                report.failed += 1;
                db.execute_raw(raw(
                    "UPDATE slack_notifications SET last_digest_at = $2 WHERE workspace_id = $1 AND last_digest_at = $3",
                    [d.workspace_id.into(), d.previous.into(), now.into()],
                ))
                .await?;
            }
        }
    }
    Ok(report)
}

/// The week in one message: new themes, top movers, and tickets whose priority disagrees
/// with their evidence.
pub async fn digest(
    db: &impl ConnectionTrait,
    public_url: &str,
    ws: Uuid,
    now: DateTime<Utc>,
) -> Result<(String, Value), DomainError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: Uuid,
        title: String,
        priority_score: i32,
        trend: f32,
    }
    let rows = |filter: &'static str, order: &'static str, values: Vec<sea_orm::Value>| {
        Row::find_by_statement(raw(
            &format!(
                "SELECT i.id, i.title, i.priority_score, coalesce(m.trend, 0)::real AS trend FROM insights i \
                 JOIN themes t ON t.id = i.theme_id LEFT JOIN theme_metrics m ON m.theme_id = t.id \
                 WHERE i.workspace_id = $1 AND i.hidden_at IS NULL AND {filter} ORDER BY {order}, i.id LIMIT 5"
            ),
            values,
        ))
        .all(db)
    };
    let week_ago = now - Duration::days(7);
    let new = rows(
        "i.created_at >= $2",
        "i.priority_score DESC",
        vec![ws.into(), week_ago.into()],
    )
    .await?;
    let movers = rows("coalesce(m.trend, 0) > 0", "m.trend DESC", vec![ws.into()]).await?;
    let gaps = crate::services::webhooks::events::ticket_gaps(db, ws).await?;
    let link = |r: &Row| insight_link(public_url, &json!(r.id), &json!(r.title));
    let list = |rows: &[Row], what: &dyn Fn(&Row) -> String| {
        if rows.is_empty() {
            "_none_".to_owned()
        } else {
            rows.iter()
                .map(|r| format!("• {} — {}", link(r), what(r)))
                .collect::<Vec<_>>()
                .join("\n")
        }
    };
    let gap_lines = if gaps.is_empty() {
        "_none_".to_owned()
    } else {
        gaps.values()
            .take(5)
            .map(|g| {
                format!(
                    "• *{}* {} — {}",
                    g["ticket_key"].as_str().unwrap_or_default(),
                    g["title"].as_str().unwrap_or_default(),
                    g["gap"]["message"].as_str().unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let text = format!(
        "ProduckAI weekly digest: {}, {} rising, {} out of line with the evidence",
        plural(new.len(), "new theme", "new themes"),
        movers.len(),
        plural(gaps.len(), "ticket", "tickets"),
    );
    let blocks = json!([
        { "type": "header", "text": { "type": "plain_text", "text": "ProduckAI weekly digest" } },
        section(&format!("*New themes this week*\n{}", list(&new, &|r| format!("priority {}", r.priority_score)))),
        section(&format!("*Top movers*\n{}", list(&movers, &|r| format!("priority {}, trend +{:.2}", r.priority_score, r.trend)))),
        section(&format!("*Tickets whose priority disagrees with the evidence*\n{gap_lines}")),
    ]);
    Ok((text, blocks))
}
