//! Live syncs of the connected sources: Zoom, Slack, Jira and Google Drive syncs on demand
//! (`/integrations/{source}/sync`, also behind `/ingest/{source}` live mode) and the Drive
//! folders they read. Connecting Slack and Jira with a token is `connections`.

use aide::axum::{
    ApiRouter,
    routing::{post_with, put_with},
};
use axum::{Json, extract::State, http::StatusCode, response::Response};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        integrations::{connections, drive},
        jobs::contract::{ZoomSyncParams, vendor_sync_result},
        source::Source,
    },
};
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::ValidQuery,
    job_wait::{Answer, Standing, WaitBound, settle},
    origin::AuditOrigin,
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

/// What an admin does to connect a source that syncs live.
fn how_to_connect(source: Source) -> &'static str {
    match source {
        Source::Zoom => "an admin connects it through GET /auth/zoom/start",
        Source::Slack => "an admin stores a bot token and channels with PUT /integrations/slack",
        Source::Jira => {
            "an admin stores the site, email, API token and JQL with PUT /integrations/jira"
        }
        Source::Google => "an admin connects Google through GET /auth/google/start",
        Source::Upload | Source::Api => "nothing connects it; it does not sync",
    }
}

/// Starts (or joins) the workspace's sync of `source` and waits for it within the bound.
pub(crate) async fn live_sync_job(
    state: &AppState,
    principal: &shared::services::principal::Principal,
    source: Source,
    zoom: ZoomSyncParams,
    bound: WaitBound,
) -> Result<shared::entities::job_run::Model, ApiError> {
    use shared::services::jobs;
    let ws = principal.workspace_id;
    let name = source.connection_name().unwrap_or(source.feedback_name());
    if !connections::is_connected(&state.db, ws, name).await? {
        return Err(ApiError {
            code: "not_connected",
            ..ApiError::bad_request(format!(
                "live {name} ingestion needs a {} connection: {}",
                source.title(),
                how_to_connect(source)
            ))
        });
    }
    let new = jobs::vendor_sync(&state.settings.jobs, ws, source, zoom)
        .ok_or_else(|| ApiError::bad_request(format!("{} does not sync", source.title())))?
        .requested_by(principal.label());
    let job = jobs::start(&state.db, &state.queue, new)
        .await?
        .into_job()
        .ok_or_else(|| ApiError::new(StatusCode::CONFLICT, "the sync could not be started"))?;
    settle(state, ws, job, bound).await
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
    source: Source,
    job: shared::entities::job_run::Model,
) -> Result<Response, ApiError> {
    let title = source.title();
    let standing = Standing::of_job(
        &job,
        |job| {
            let outcome = vendor_sync_result(job);
            SyncOut {
                message: outcome
                    .as_ref()
                    .map_or_else(|| format!("{title} sync completed"), |o| o.message.clone()),
                stats: outcome.map(|o| o.stats).unwrap_or_default(),
                task_id: job.id,
            }
        },
        |job| SyncOut {
            message: format!("{title} sync running; poll /jobs/{}", job.id),
            stats: serde_json::json!({}),
            task_id: job.id,
        },
    );
    let what = format!("the {title} sync");
    Answer::poll_job(&what, "sync_failed", &job).respond(standing)
}

async fn zoom_sync(
    State(state): State<AppState>,
    auth: Auth,
    bound: WaitBound,
    ValidQuery(q): ValidQuery<ZoomSyncQuery>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    let zoom = ZoomSyncParams {
        days_back: Some(q.days_back),
    };
    let job = live_sync_job(&state, p, Source::Zoom, zoom, bound).await?;
    sync_answer(Source::Zoom, job)
}

async fn slack_sync(
    State(state): State<AppState>,
    auth: Auth,
    bound: WaitBound,
) -> Result<Response, ApiError> {
    sync_now(&state, &auth, Source::Slack, bound).await
}

/// Starts a source's sync for an editor and answers with its outcome.
async fn sync_now(
    state: &AppState,
    auth: &Auth,
    source: Source,
    bound: WaitBound,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    let job = live_sync_job(state, p, source, ZoomSyncParams::default(), bound).await?;
    sync_answer(source, job)
}

/// A vendor refusing a connection's settings is the caller's to fix (400 `code`).
pub(crate) fn sync_error(
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
#[schemars(inline)]
#[serde(deny_unknown_fields)]
pub struct DriveSyncQuery {
    /// Comma-separated Drive folder ids to read (kept for scheduled syncs); empty: the
    /// folders given last time.
    #[validate(length(max = 4000))]
    #[schemars(schema_with = "folder_list_schema")]
    #[serde(default)]
    pub folder_ids: String,
    /// Let `root` (a whole drive) be read; admins only, and only when meant.
    #[serde(default)]
    pub allow_root: bool,
}

/// Folder ids from `a,b , c`; each must look like a Drive id.
/// What a Drive folder id looks like; `folder_list` and the schemas read this one pattern.
const FOLDER_ID: &str = "[A-Za-z0-9_-]{1,128}";

static FOLDER_ID_RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(&format!("^{FOLDER_ID}$")).expect("a valid pattern")
});

/// `a,b , c`: folder ids separated by commas, blanks around them and empty parts ignored.
fn folder_list_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let one = format!("(?:{FOLDER_ID}\\s*)?");
    schemars::json_schema!({"type": "string", "pattern": format!("^\\s*{one}(?:,\\s*{one})*$")})
}

/// One folder id per item (blanks around it, and blank items, ignored).
pub(crate) fn folder_ids_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let item = format!("^\\s*(?:{FOLDER_ID})?\\s*$");
    schemars::json_schema!({"type": "array", "items": {"type": "string", "pattern": item}})
}

pub(crate) fn folder_list(raw: &str) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = ids.iter().find(|id| !FOLDER_ID_RE.is_match(id)) {
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
    bound: WaitBound,
) -> Result<shared::entities::job_run::Model, ApiError> {
    if !folder_ids.is_empty() {
        choose_drive_folders(state, principal, origin, folder_ids, allow_root).await?;
    }
    live_sync_job(
        state,
        principal,
        Source::Google,
        ZoomSyncParams::default(),
        bound,
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
    audit::commit(txn, principal, origin, event).await?;
    Ok(change)
}

async fn drive_sync(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    bound: WaitBound,
    ValidQuery(q): ValidQuery<DriveSyncQuery>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Editor)?;
    let folders = folder_list(&q.folder_ids)?;
    let job = drive_sync_job(&state, p, &origin, &folders, q.allow_root, bound).await?;
    sync_answer(Source::Google, job)
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DriveFoldersIn {
    /// Drive folder ids to read from now on.
    #[validate(length(min = 1, max = 50))]
    #[schemars(schema_with = "folder_ids_schema", length(min = 1, max = 50))]
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
    bound: WaitBound,
) -> Result<Response, ApiError> {
    sync_now(&state, &auth, Source::Jira, bound).await
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
}
