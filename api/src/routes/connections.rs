//! Sources connected with a token rather than OAuth: `PUT`/`DELETE /integrations/slack` and
//! `/integrations/jira` (checked with the vendor, stored encrypted, audited in the same
//! transaction), and Slack's Events API, which pushes messages of the opted-in channels.

use aide::axum::{
    ApiRouter,
    routing::{post_with, put_with},
};
use axum::{Json, extract::State, http::HeaderMap};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        integrations::{
            connections,
            jira::{self, JiraSite},
            slack::SlackChannel,
            slack_events::{self, EventError, EventOutcome},
            slack_setup::{self, SlackConnected},
        },
    },
};
use validator::Validate;

use super::integrations::sync_error;
use crate::{auth::Auth, error::ApiError, origin::AuditOrigin, state::AppState};

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlackIn {
    /// The app's bot token (xoxb-...); checked with auth.test, stored encrypted.
    #[validate(
        length(min = 10, max = 512),
        regex(
            path = *crate::extract::TOKEN_CHARS,
            code = "token",
            message = "must be the token exactly as issued (visible ASCII, no spaces)"
        )
    )]
    pub bot_token: String,
    /// The channels to read, each with the account it is with (shared channels).
    #[validate(length(min = 1, max = 200))]
    pub channels: Vec<SlackChannel>,
}

async fn put_slack(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    crate::extract::ValidJson(body): crate::extract::ValidJson<SlackIn>,
) -> Result<Json<SlackConnected>, ApiError> {
    let p = auth.require(Role::Admin)?;
    if let Some(bad) = body
        .channels
        .iter()
        .position(|c| c.id.trim().is_empty() || c.id.chars().count() > 64)
    {
        return Err(ApiError::field(
            &["body", "channels", &bad.to_string(), "id"],
            "a Slack channel id such as C0123456789",
            "value_error",
        ));
    }
    let token = secrecy::SecretString::from(body.bot_token);
    let txn = state.db.begin().await?;
    let connected = slack_setup::connect(
        &txn,
        &state.settings.integrations,
        &state.tokens,
        p.workspace_id,
        &p.label(),
        &token,
        body.channels,
    )
    .await
    .map_err(|e| sync_error("slack_refused", e))?;
    let event = Event::new("integration.connected", "integration", "slack")
        .details(serde_json::to_value(&connected).unwrap_or_default());
    audit::commit(txn, p, &origin, event).await?;
    Ok(Json(connected))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SourceDisconnected {
    pub message: String,
    /// False when the source was not connected (nothing changed).
    pub was_connected: bool,
}

/// Forgets a token-based source's credentials; audited when something was connected.
async fn disconnect_source(
    state: &AppState,
    auth: &Auth,
    origin: &audit::Origin,
    source: &'static str,
    title: &str,
) -> Result<Json<SourceDisconnected>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    let was_connected = connections::disconnect_source(&txn, p.workspace_id, source).await?;
    if was_connected {
        let event = Event::new("integration.disconnected", "integration", source);
        audit::commit(txn, p, origin, event).await?;
    }
    Ok(Json(SourceDisconnected {
        message: if was_connected {
            format!("{title} disconnected")
        } else {
            format!("{title} was not connected")
        },
        was_connected,
    }))
}

async fn delete_slack(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
) -> Result<Json<SourceDisconnected>, ApiError> {
    disconnect_source(&state, &auth, &origin, "slack", "Slack").await
}

async fn delete_jira(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
) -> Result<Json<SourceDisconnected>, ApiError> {
    disconnect_source(&state, &auth, &origin, "jira", "Jira").await
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("anyOf" = [
    {"required": ["feedback_jql"], "properties": {"feedback_jql": {"type": "string"}}},
    {"required": ["roadmap_jql"], "properties": {"roadmap_jql": {"type": "string"}}},
]))]
pub struct JiraIn {
    /// https://<site>.atlassian.net (must be https and public).
    #[validate(length(min = 8, max = 300))]
    pub site_url: String,
    #[validate(email)]
    pub email: String,
    /// An Atlassian API token of that account; stored encrypted.
    #[validate(
        length(min = 8, max = 512),
        regex(
            path = *crate::extract::TOKEN_CHARS,
            code = "token",
            message = "must be the token exactly as issued (visible ASCII, no spaces)"
        )
    )]
    pub api_token: String,
    /// Issues that are customer feedback (they become feedback items).
    #[validate(length(min = 1, max = 2000))]
    #[serde(default)]
    pub feedback_jql: Option<String>,
    /// Roadmap tickets to score by customer evidence (they become /jira/tickets).
    #[validate(length(min = 1, max = 2000))]
    #[serde(default)]
    pub roadmap_jql: Option<String>,
}

async fn put_jira(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    crate::extract::ValidJson(body): crate::extract::ValidJson<JiraIn>,
) -> Result<Json<JiraSite>, ApiError> {
    let p = auth.require(Role::Admin)?;
    if body.feedback_jql.is_none() && body.roadmap_jql.is_none() {
        return Err(ApiError::field(
            &["body", "feedback_jql"],
            "give feedback_jql, roadmap_jql or both",
            "value_error",
        ));
    }
    let site = JiraSite {
        site_url: body.site_url,
        email: body.email,
        feedback_jql: body.feedback_jql,
        roadmap_jql: body.roadmap_jql,
    };
    let token = secrecy::SecretString::from(body.api_token);
    let txn = state.db.begin().await?;
    let connected = jira::connect(
        &txn,
        &state.settings.integrations,
        &state.tokens,
        p.workspace_id,
        &p.label(),
        site,
        token,
    )
    .await
    .map_err(|e| sync_error("jira_refused", e))?;
    let event = Event::new("integration.connected", "integration", "jira")
        .details(serde_json::to_value(&connected).unwrap_or_default());
    audit::commit(txn, p, &origin, event).await?;
    Ok(Json(connected))
}

/// What Slack is told about a pushed event.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SlackEventOut {
    /// Echoed for url_verification.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
    /// Why the event was acknowledged without storing anything.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored: Option<&'static str>,
}

/// Slack's Events API: verified by signature, not by a caller.
async fn slack_events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<SlackEventOut>, ApiError> {
    let header_str = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let outcome = slack_events::handle_event(
        &state.db,
        &state.settings.integrations,
        &header_str("x-slack-request-timestamp"),
        &header_str("x-slack-signature"),
        &body,
    )
    .await
    .map_err(|e| match e {
        EventError::BadSignature => ApiError::unauthorized(e.to_string()),
        EventError::NotConfigured => ApiError {
            code: "not_configured",
            ..ApiError::bad_request(e.to_string())
        },
        EventError::BadBody(_) => ApiError::bad_request(e.to_string()),
        EventError::Domain(d) => d.into(),
    })?;
    let (challenge, ignored) = match outcome {
        EventOutcome::Challenge(challenge) => (Some(challenge), None),
        EventOutcome::Stored(ws) => {
            slack_events::after_event_stored(&state.db, &state.queue, &state.settings.jobs, ws)
                .await?;
            (None, None)
        }
        EventOutcome::Ignored(reason) => (None, Some(reason)),
    };
    Ok(Json(SlackEventOut {
        ok: challenge.is_none().then_some(true),
        challenge,
        ignored,
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/integrations/slack",
            put_with(put_slack, |op| {
                op.summary("Connect Slack")
                    .description(
                        "Admin. Stores the app's bot token (checked with auth.test, encrypted at rest) and the \
                         channels to read, each with the account it is with. The team id routes pushed events.",
                    )
                    .tag("integrations")
                    .response_with::<502, ApiError, _>(|r| r.description("Slack could not be reached (`upstream_unavailable`)"))
            })
            .delete_with(delete_slack, |op| {
                op.summary("Disconnect Slack")
                    .description(
                        "Admin, audited. Forgets the bot token: scheduled syncs and pushed events stop. Feedback \
                         already read stays. Slack keeps the token valid until the app is removed from the workspace \
                         there.",
                    )
                    .tag("integrations")
            }),
        )
        .api_route(
            "/integrations/jira",
            put_with(put_jira, |op| {
                op.summary("Connect Jira")
                    .description(
                        "Admin. Stores the site URL, account email, API token (encrypted) and the feedback and/or \
                         roadmap JQL, after checking them with /rest/api/3/myself. The site must be https and resolve \
                         to public addresses only (integrations.jira.allowed_hosts lists exceptions): 400 \
                         `jira_refused` otherwise, or when Jira refuses the credentials.",
                    )
                    .tag("integrations")
                    .response_with::<502, ApiError, _>(|r| r.description("Jira could not be reached (`upstream_unavailable`)"))
            })
            .delete_with(delete_jira, |op| {
                op.summary("Disconnect Jira")
                    .description(
                        "Admin, audited. Forgets the site's API token: scheduled syncs stop. Feedback and tickets \
                         already read stay. Revoke the token in the Atlassian account to end it there.",
                    )
                    .tag("integrations")
            }),
        )
        .api_route(
            "/integrations/slack/events",
            post_with(slack_events, |op| {
                op.summary("Slack Events API endpoint")
                    .description(
                        "Unauthenticated: every request must carry Slack's v0 signature (HMAC-SHA256 of \
                         `v0:<timestamp>:<body>` with integrations.slack.signing_secret, within 5 minutes), else 401 \
                         and nothing is stored. Answers url_verification; stores each message event of an opted-in \
                         channel once (by event_id) in the workspace connected to its team_id, with the sender's user id as \
                         speaker; a job names the sender afterwards (users.info), so the answer never waits on Slack.",
                    )
                    .tag("integrations")
                    .security_requirement_multi(std::iter::empty())
            }),
        )
}
