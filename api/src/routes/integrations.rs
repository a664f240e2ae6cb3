//! Live syncs of the connected sources and the connections made with a token: Zoom, Slack,
//! Jira and Google Drive syncs on demand (`/integrations/{source}/sync`, also behind
//! `/ingest/{source}` live mode), `PUT /integrations/slack|jira`, and Slack's Events API.

use aide::axum::{
    ApiRouter,
    routing::{post_with, put_with},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        integrations::{
            connections, drive,
            jira::{self, JiraSite},
            slack::{self, EventError, EventOutcome, SlackChannel, SlackConnected},
        },
    },
};
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{AuditOrigin, ValidQuery},
    state::AppState,
};

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct ZoomSyncQuery {
    /// Days of recordings to read, 1-365 (default 30); a later sync starts from the newest
    /// meeting already read when that is more recent.
    #[validate(range(min = 1, max = 365))]
    #[serde(default = "thirty")]
    pub days_back: u32,
}

fn thirty() -> u32 {
    30
}

/// A source that syncs live, and what to connect first.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LiveSource {
    Zoom,
    Slack,
    Jira,
    Drive,
}

impl LiveSource {
    fn provider(self) -> &'static str {
        match self {
            Self::Zoom => "zoom",
            Self::Slack => "slack",
            Self::Jira => "jira",
            Self::Drive => "google",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Zoom => "Zoom",
            Self::Slack => "Slack",
            Self::Jira => "Jira",
            Self::Drive => "Google Drive",
        }
    }

    fn kind(self) -> &'static str {
        shared::services::integrations::sync_kind(self.provider()).unwrap_or_default()
    }

    fn how_to_connect(self) -> &'static str {
        match self {
            Self::Zoom => "an admin connects it through GET /auth/zoom/start",
            Self::Slack => "an admin stores a bot token and channels with PUT /integrations/slack",
            Self::Jira => {
                "an admin stores the site, email, API token and JQL with PUT /integrations/jira"
            }
            Self::Drive => "an admin connects Google through GET /auth/google/start",
        }
    }
}

/// Starts (or joins) the workspace's sync of `source` and waits for it within the sync bound.
pub(crate) async fn live_sync_job(
    state: &AppState,
    principal: &shared::services::principal::Principal,
    source: LiveSource,
    params: serde_json::Value,
    prefer_async: bool,
) -> Result<shared::entities::job_run::Model, ApiError> {
    use shared::services::jobs::{self, NewJob, StartOutcome};
    if !connections::is_connected(&state.db, principal.workspace_id, source.provider()).await? {
        return Err(ApiError {
            code: "not_connected",
            ..ApiError::bad_request(format!(
                "live {} ingestion needs a {} connection: {}",
                source.provider(),
                source.title(),
                source.how_to_connect()
            ))
        });
    }
    let new = NewJob::for_workspace(
        &state.settings,
        principal.workspace_id,
        source.kind(),
        params,
    )
    .singleton()
    .requested_by(principal.label());
    let job = match jobs::start(&state.db, &state.queue, new).await? {
        StartOutcome::Started(job) | StartOutcome::AlreadyRunning(job) => job,
        StartOutcome::Duplicate => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "the sync could not be started",
            ));
        }
    };
    let wait = if prefer_async {
        std::time::Duration::ZERO
    } else {
        std::time::Duration::from_secs(state.settings.jobs.sync_wait_secs)
    };
    Ok(
        jobs::wait_for(&state.db, principal.workspace_id, &[job.id], wait)
            .await?
            .pop()
            .unwrap_or(job),
    )
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SyncOut {
    /// "Zoom sync completed", or where to poll while it runs.
    pub message: String,
    /// recordings_fetched, transcripts_processed, feedback_items_created (and the original web
    /// UI's recordings_found, transcripts_found, feedback_created, feedback_updated).
    pub stats: serde_json::Value,
    pub task_id: uuid::Uuid,
}

/// The sync job's outcome: 200 with its stats, 202 while it runs, 502 when it failed.
fn sync_answer(
    source: LiveSource,
    job: shared::entities::job_run::Model,
) -> Result<Response, ApiError> {
    let title = source.title();
    match job.status.as_str() {
        "completed" => {
            let r = job.result.unwrap_or_default();
            Ok(Json(SyncOut {
                message: r["message"]
                    .as_str()
                    .map_or_else(|| format!("{title} sync completed"), str::to_owned),
                stats: r["stats"].clone(),
                task_id: job.id,
            })
            .into_response())
        }
        "failed" | "cancelled" => Err(ApiError {
            code: "sync_failed",
            ..ApiError::new(
                StatusCode::BAD_GATEWAY,
                format!("the {title} sync failed: {}", job.error.unwrap_or_default()),
            )
        }),
        _ => Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/jobs/{}", job.id))],
            Json(SyncOut {
                message: format!("{title} sync running; poll /jobs/{}", job.id),
                stats: serde_json::json!({}),
                task_id: job.id,
            }),
        )
            .into_response()),
    }
}

async fn zoom_sync(
    State(state): State<AppState>,
    auth: Auth,
    crate::extract::PreferAsync(prefer_async): crate::extract::PreferAsync,
    ValidQuery(q): ValidQuery<ZoomSyncQuery>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    let params = serde_json::json!({ "days_back": q.days_back });
    let job = live_sync_job(&state, p, LiveSource::Zoom, params, prefer_async).await?;
    sync_answer(LiveSource::Zoom, job)
}

async fn slack_sync(
    State(state): State<AppState>,
    auth: Auth,
    crate::extract::PreferAsync(prefer_async): crate::extract::PreferAsync,
) -> Result<Response, ApiError> {
    sync_now(&state, &auth, LiveSource::Slack, prefer_async).await
}

/// Starts a source's sync for an editor and answers with its outcome.
async fn sync_now(
    state: &AppState,
    auth: &Auth,
    source: LiveSource,
    prefer_async: bool,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    let job = live_sync_job(state, p, source, serde_json::json!({}), prefer_async).await?;
    sync_answer(source, job)
}

/// A vendor refusing a connection's settings is the caller's to fix (400 `code`).
fn sync_error(
    code: &'static str,
    e: shared::services::integrations::vendor::SyncError,
) -> ApiError {
    use shared::services::integrations::vendor::SyncError;
    match e {
        SyncError::NotConnected(m) | SyncError::Refused(m) => ApiError {
            code,
            ..ApiError::bad_request(m)
        },
        SyncError::Unavailable(m) => ApiError {
            code: "upstream_unavailable",
            ..ApiError::new(StatusCode::BAD_GATEWAY, m)
        },
        SyncError::Domain(d) => d.into(),
    }
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlackIn {
    /// The app's bot token (xoxb-...); checked with auth.test, stored encrypted.
    #[validate(
        length(min = 10, max = 512),
        custom(function = "crate::extract::token_chars")
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
        .position(|c| c.id.trim().is_empty() || c.id.len() > 64)
    {
        return Err(ApiError::field(
            &["body", "channels", &bad.to_string(), "id"],
            "a Slack channel id such as C0123456789",
            "value_error",
        ));
    }
    let token = secrecy::SecretString::from(body.bot_token);
    let connected = slack::connect(
        &state.db,
        &state.settings,
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
    audit::record(&state.db, p, &origin, event).await?;
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
    let was_connected = connections::disconnect_source(&state.db, p.workspace_id, source).await?;
    if was_connected {
        let event = Event::new("integration.disconnected", "integration", source);
        audit::record(&state.db, p, origin, event).await?;
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
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct DriveSyncQuery {
    /// Comma-separated Drive folder ids to read (kept for scheduled syncs); empty: the
    /// folders given last time.
    #[validate(length(max = 4000))]
    #[serde(default)]
    pub folder_ids: String,
    /// Let `root` (a whole drive) be read; admins only, and only when meant.
    #[serde(default)]
    pub allow_root: bool,
}

/// Folder ids from `a,b , c`; each must look like a Drive id.
pub(crate) fn folder_list(raw: &str) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = ids.iter().find(|id| {
        id.len() > 128
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }) {
        return Err(ApiError::field(
            &["query", "folder_ids"],
            format!("{bad:?} is not a Drive folder id"),
            "value_error",
        ));
    }
    Ok(ids)
}

/// Starts the Drive sync, storing `folder_ids` first when they change the list (admins
/// only, audited).
pub(crate) async fn drive_sync_job(
    state: &AppState,
    principal: &shared::services::principal::Principal,
    origin: &audit::Origin,
    folder_ids: &[String],
    allow_root: bool,
    prefer_async: bool,
) -> Result<shared::entities::job_run::Model, ApiError> {
    if !folder_ids.is_empty() {
        choose_drive_folders(state, principal, origin, folder_ids, allow_root).await?;
    }
    live_sync_job(
        state,
        principal,
        LiveSource::Drive,
        serde_json::json!({}),
        prefer_async,
    )
    .await
}

/// Stores the folders Drive syncs read: admins only, audited with what the change removes.
async fn choose_drive_folders(
    state: &AppState,
    principal: &shared::services::principal::Principal,
    origin: &audit::Origin,
    folder_ids: &[String],
    allow_root: bool,
) -> Result<drive::FolderChange, ApiError> {
    use sea_orm::TransactionTrait;
    let txn = state.db.begin().await?;
    let stored = drive::stored_folders(&txn, principal.workspace_id).await?;
    if stored.as_deref() == Some(folder_ids) {
        txn.commit().await?;
        return Ok(drive::FolderChange {
            previous: folder_ids.to_vec(),
            folder_ids: folder_ids.to_vec(),
            documents_to_remove: 0,
        });
    }
    principal.require(Role::Admin).map_err(|_| {
        ApiError::forbidden("only admins choose which Drive folders are read; sync without folder_ids to read the chosen ones")
    })?;
    let change = drive::change_folders(&txn, principal.workspace_id, folder_ids, allow_root)
        .await
        .map_err(|e| sync_error("drive_refused", e))?;
    let event = Event::new("integration.drive_folders_changed", "integration", "google")
        .details(serde_json::to_value(&change).unwrap_or_default());
    audit::record(&txn, principal, origin, event).await?;
    txn.commit().await?;
    Ok(change)
}

async fn drive_sync(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    crate::extract::PreferAsync(prefer_async): crate::extract::PreferAsync,
    ValidQuery(q): ValidQuery<DriveSyncQuery>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    let folders = folder_list(&q.folder_ids)?;
    let job = drive_sync_job(&state, p, &origin, &folders, q.allow_root, prefer_async).await?;
    sync_answer(LiveSource::Drive, job)
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DriveFoldersIn {
    /// Drive folder ids to read from now on.
    #[validate(length(min = 1, max = 50))]
    pub folder_ids: Vec<String>,
    /// Let `root` (a whole drive) be read.
    #[serde(default)]
    pub allow_root: bool,
}

async fn put_drive_folders(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    crate::extract::ValidJson(body): crate::extract::ValidJson<DriveFoldersIn>,
) -> Result<Json<drive::FolderChange>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let folders = folder_list(&body.folder_ids.join(","))?;
    Ok(Json(
        choose_drive_folders(&state, p, &origin, &folders, body.allow_root).await?,
    ))
}

async fn jira_sync(
    State(state): State<AppState>,
    auth: Auth,
    crate::extract::PreferAsync(prefer_async): crate::extract::PreferAsync,
) -> Result<Response, ApiError> {
    sync_now(&state, &auth, LiveSource::Jira, prefer_async).await
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraIn {
    /// https://<site>.atlassian.net (must be https and public).
    #[validate(length(min = 8, max = 300))]
    pub site_url: String,
    #[validate(email)]
    pub email: String,
    /// An Atlassian API token of that account; stored encrypted.
    #[validate(
        length(min = 8, max = 512),
        custom(function = "crate::extract::token_chars")
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
    let connected = jira::connect(
        &state.db,
        &state.settings,
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
    audit::record(&state.db, p, &origin, event).await?;
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
    let outcome = slack::handle_event(
        &state.db,
        &state.settings,
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
            slack::after_event_stored(&state.db, &state.queue, &state.settings, ws).await?;
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
            "/integrations/zoom/sync",
            post_with(zoom_sync, |op| {
                op.summary("Sync Zoom recordings now")
                    .description(
                        "Editors. Reads the connected account's cloud recordings in 30-day windows, downloads each \
                         meeting's VTT transcript and stores its 90-second chunks (speakers, times; the topic names \
                         the account), idempotent per meeting chunk. Waits up to jobs.sync_wait_secs, else 202 with \
                         Location (also with `Prefer: respond-async`); one sync per workspace at a time (a second \
                         request joins it). 400 `not_connected` without a Zoom connection; 502 `sync_failed`.",
                    )
                    .tag("integrations")
                    .response::<200, Json<SyncOut>>()
                    .response_with::<202, Json<SyncOut>, _>(|r| r.description("Still running"))
            }),
        )
        .api_route(
            "/integrations/slack",
            put_with(put_slack, |op| {
                op.summary("Connect Slack")
                    .description(
                        "Admin. Stores the app's bot token (checked with auth.test, encrypted at rest) and the \
                         channels to read, each with the account it is with. The team id routes pushed events.",
                    )
                    .tag("integrations")
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
            "/integrations/slack/sync",
            post_with(slack_sync, |op| {
                op.summary("Sync Slack channels now")
                    .description(
                        "Editors. Reads each opted-in channel's history from the newest message already stored \
                         (a thread becomes one item; bot, join and emoji-only messages are skipped; names from \
                         users.info). Waits up to jobs.sync_wait_secs, else 202 with Location. 400 `not_connected` \
                         without a Slack connection; 502 `sync_failed`.",
                    )
                    .tag("integrations")
                    .response::<200, Json<SyncOut>>()
            }),
        )
        .api_route(
            "/integrations/google/folders",
            put_with(put_drive_folders, |op| {
                op.summary("Choose the Drive folders to read")
                    .description(
                        "Admin, audited. Stores the folders scheduled and manual Drive syncs read and answers how many \
                         stored documents the next sync removes (those from folders no longer listed). `root` (a \
                         whole drive) is refused unless `allow_root` is true. 400 `drive_refused`, `not_connected`.",
                    )
                    .tag("integrations")
            }),
        )
        .api_route(
            "/integrations/google/sync",
            post_with(drive_sync, |op| {
                op.summary("Sync Google Drive folders now")
                    .description(
                        "Editors; choosing other `folder_ids` (kept for scheduled syncs, audited) is for admins, and \
                         `root` needs `allow_root=true`. Lists the folders following \
                         nextPageToken; Google Docs are exported as text, DOCX/PDF/TXT/Markdown files read like \
                         uploads, each cut into chunks (the account from the title's head). Only documents whose \
                         modifiedTime changed are read again, their chunks replaced; trashed or moved documents lose \
                         theirs. Stats: folders_scanned, documents_fetched, chunks_created (and files_found, \
                         documents_processed).",
                    )
                    .tag("integrations")
                    .response::<200, Json<SyncOut>>()
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
            "/integrations/jira/sync",
            post_with(jira_sync, |op| {
                op.summary("Sync Jira now")
                    .description(
                        "Editors. Searches the feedback JQL (issues become feedback: summary, description and \
                         comments as text, the account from a `customer:<name>` label) and the roadmap JQL (issues \
                         upserted into /jira/tickets, then embedded and scored). Waits up to jobs.sync_wait_secs, \
                         else 202 with Location.",
                    )
                    .tag("integrations")
                    .response::<200, Json<SyncOut>>()
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
            }),
        )
}
