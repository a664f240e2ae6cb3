//! Google Drive: the documents of the configured folders. Google Docs are exported as text;
//! DOCX, PDF, TXT and Markdown files are downloaded and read with the upload parsers; each
//! document is cut into chunks (source `gdoc`, `<file id>_chunk_<n>`). A document is read
//! again only when its `modifiedTime` changed, its chunks are then replaced in one
//! transaction, and a document trashed or moved out of the folders loses its chunks.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

use super::{
    OAuthProvider,
    crypto::TokenCipher,
    meeting_transcript::account_from_topic,
    vendor::{self, Session, SyncError, record_sync},
};
use crate::{
    DomainError,
    config::{IngestSettings, IntegrationsSettings},
    db::statement as raw,
    entities::workspace,
    ingest::{
        ParseLimits, chunk, format,
        sandbox::{Sandbox, SandboxError},
    },
    services::source::Source,
    services::{
        feedback::{self, NewFeedback},
        workspaces,
    },
};

const GOOGLE_DOC: &str = "application/vnd.google-apps.document";
/// Pages of a folder listing read at most (100 files each).
const MAX_PAGES: usize = 100;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileList {
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    files: Vec<DriveFile>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DriveFile {
    id: String,
    name: String,
    mime_type: String,
    modified_time: DateTime<Utc>,
    #[serde(default)]
    web_view_link: Option<String>,
    #[serde(default)]
    owners: Vec<Owner>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Owner {
    #[serde(default)]
    email_address: Option<String>,
}

#[derive(Debug, Default, Clone, Serialize, serde::Deserialize)]
pub struct DriveSyncStats {
    pub folders_scanned: usize,
    pub documents_fetched: usize,
    pub chunks_created: usize,
    /// Unchanged since the last sync, not read again.
    pub documents_unchanged: usize,
    /// Trashed or moved out of the folders: their chunks were removed.
    pub documents_removed: usize,
    /// Files of a kind no parser reads (images, sheets...).
    pub files_skipped: usize,
    pub files_found: usize,
    pub documents_processed: usize,
    pub feedback_created: usize,
    pub feedback_updated: usize,
    /// Files a parser refused or could not read safely, with the reason; read again when
    /// they change.
    pub files_unreadable: Vec<UnreadableFile>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct UnreadableFile {
    pub id: String,
    pub name: String,
    pub error: String,
}

/// What a listed file gave.
enum Document {
    Text(String),
    /// A kind no parser reads (images, sheets...).
    Unsupported,
    Unreadable(String),
}

/// Drive's names for folders that are not one folder: an alias reads a whole drive.
const ALIASES: [&str; 1] = ["root"];

/// A change of the folders Drive syncs read.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct FolderChange {
    pub previous: Vec<String>,
    pub folder_ids: Vec<String>,
    /// Documents stored from folders no longer listed: the next sync removes them.
    pub documents_to_remove: i64,
}

/// Stores the folders to read with the Google connection (used by scheduled syncs too) and
/// says what the change removes. `root` (a whole drive) is refused unless `allow_alias`.
pub async fn change_folders(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    folder_ids: &[String],
    allow_alias: bool,
) -> Result<FolderChange, SyncError> {
    if let Some(alias) = folder_ids
        .iter()
        .find(|id| ALIASES.iter().any(|a| id.eq_ignore_ascii_case(a)))
        .filter(|_| !allow_alias)
    {
        return Err(SyncError::Refused(format!(
            "{alias:?} is not one folder but a whole drive; an admin who means it passes allow_root=true"
        )));
    }
    let row = db
        .query_one_raw(raw(
            "SELECT id, settings->'folder_ids' AS f FROM integration_connections \
             WHERE workspace_id = $1 AND provider = 'google' FOR UPDATE",
            vec![workspace_id.into()],
        ))
        .await?
        .ok_or_else(|| {
            SyncError::NotConnected(
                "no Google connection for this workspace; connect it through GET /auth/google/start".into(),
            )
        })?;
    let previous: Vec<String> = row
        .try_get::<Option<serde_json::Value>>("", "f")?
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let removed = db
        .query_one_raw(raw(
            "SELECT count(DISTINCT meta->>'document_id')::int8 AS n FROM feedback \
             WHERE workspace_id = $1 AND source = 'gdoc' AND meta ? 'drive_file' \
             AND NOT (meta->>'drive_folder' = ANY($2))",
            vec![workspace_id.into(), folder_ids.to_vec().into()],
        ))
        .await?
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0);
    db.execute_raw(raw(
        "UPDATE integration_connections SET settings = settings || jsonb_build_object('folder_ids', $2::jsonb) \
         WHERE id = $1",
        vec![row.try_get::<Uuid>("", "id")?.into(), json!(folder_ids).into()],
    ))
    .await?;
    Ok(FolderChange {
        previous,
        folder_ids: folder_ids.to_vec(),
        documents_to_remove: removed,
    })
}

/// The folders stored with the workspace's Google connection, if it has a list.
pub async fn stored_folders(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<Option<Vec<String>>, DomainError> {
    let row = db
        .query_one_raw(raw(
            "SELECT settings->'folder_ids' AS f FROM integration_connections \
             WHERE workspace_id = $1 AND provider = 'google'",
            vec![workspace_id.into()],
        ))
        .await?;
    Ok(row
        .and_then(|r| {
            r.try_get::<Option<serde_json::Value>>("", "f")
                .ok()
                .flatten()
        })
        .and_then(|v| serde_json::from_value(v).ok()))
}

/// The Drive documents already stored: file id → the `modifiedTime` they were read at.
async fn stored(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
) -> Result<HashMap<String, String>, SyncError> {
    let rows = db
        .query_all_raw(raw(
            "SELECT meta->>'document_id' AS id, max(meta->>'modified_time') AS modified FROM feedback \
             WHERE workspace_id = $1 AND source = 'gdoc' AND meta ? 'drive_file' GROUP BY 1",
            vec![workspace_id.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get("", "id")?,
                r.try_get::<Option<String>>("", "modified")?
                    .unwrap_or_default(),
            ))
        })
        .collect()
}

pub async fn sync(
    db: &(impl ConnectionTrait + TransactionTrait),
    (settings, ingest): (&IntegrationsSettings, &IngestSettings),
    cipher: &TokenCipher,
    workspace_id: Uuid,
) -> Result<DriveSyncStats, SyncError> {
    let mut session =
        Session::open(db, settings, cipher, workspace_id, OAuthProvider::Google).await?;
    let connection = session.connection_id;
    let outcome = run(db, (settings, ingest), &mut session, workspace_id).await;
    record_sync(db, connection, outcome.as_ref().map(|_| None)).await?;
    outcome
}

async fn run<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    (settings, ingest): (&IntegrationsSettings, &IngestSettings),
    session: &mut Session<'_, C>,
    workspace_id: Uuid,
) -> Result<DriveSyncStats, SyncError> {
    let folder_ids = stored_folders(db, workspace_id).await?.unwrap_or_default();
    if folder_ids.is_empty() {
        return Err(SyncError::Refused(
            "no Drive folders are configured: POST /integrations/google/sync?folder_ids=<id>,<id>"
                .into(),
        ));
    }
    let workspace = workspaces::get(db, workspace_id).await?;
    let base = settings
        .google
        .api_base_url
        .trim_end_matches('/')
        .to_owned();
    let known = stored(db, workspace_id).await?;
    let mut seen = HashSet::new();
    let mut stats = DriveSyncStats::default();
    for folder in &folder_ids {
        stats.folders_scanned += 1;
        let q = format!(
            "'{}' in parents and trashed = false",
            folder.replace('\'', "\\'")
        );
        let mut page: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = url::Url::parse(&format!("{base}/drive/v3/files"))
                .map_err(|e| SyncError::Refused(e.to_string()))?;
            url.query_pairs_mut()
                .append_pair("q", &q)
                .append_pair("pageSize", "100")
                .append_pair(
                    "fields",
                    "nextPageToken,files(id,name,mimeType,modifiedTime,webViewLink,owners(emailAddress))",
                );
            if let Some(p) = page.as_deref() {
                url.query_pairs_mut().append_pair("pageToken", p);
            }
            let list: FileList =
                vendor::read_json("Google Drive", session.get(url.as_str()).await?).await?;
            for file in list.files {
                stats.files_found += 1;
                seen.insert(file.id.clone());
                let modified = file.modified_time.to_rfc3339();
                if known.get(&file.id).is_some_and(|m| *m == modified) {
                    stats.documents_unchanged += 1;
                    continue;
                }
                let text = match document_text(session, &base, &file, ingest).await? {
                    Document::Text(text) => text,
                    Document::Unsupported => {
                        stats.files_skipped += 1;
                        continue;
                    }
                    Document::Unreadable(error) => {
                        tracing::warn!(file = %file.name, %error, "a Drive file could not be read; skipped");
                        stats.files_skipped += 1;
                        stats.files_unreadable.push(UnreadableFile {
                            id: file.id.clone(),
                            name: file.name.clone(),
                            error,
                        });
                        continue;
                    }
                };
                let items = chunks(&file, folder, &modified, &text);
                let report = replace(db, &workspace, &file.id, items).await?;
                stats.documents_fetched += 1;
                stats.chunks_created += report.created;
                stats.feedback_created += report.created;
                stats.feedback_updated += report.updated;
            }
            page = list.next_page_token.filter(|t| !t.is_empty());
            if page.is_none() {
                break;
            }
        }
    }
    // Stored documents no longer listed (trashed, moved away) go.
    for gone in known.keys().filter(|id| !seen.contains(*id)) {
        replace(db, &workspace, gone, Vec::new()).await?;
        stats.documents_removed += 1;
    }
    stats.documents_processed = stats.documents_fetched;
    Ok(stats)
}

/// The document's text: Google Docs exported, other files read like uploads, in the same
/// sandboxed parser child.
async fn document_text<C: ConnectionTrait + TransactionTrait>(
    session: &mut Session<'_, C>,
    base: &str,
    file: &DriveFile,
    ingest: &IngestSettings,
) -> Result<Document, SyncError> {
    let cap = ingest.max_file_bytes;
    if file.mime_type == GOOGLE_DOC {
        let url = format!(
            "{base}/drive/v3/files/{}/export?mimeType=text/plain",
            file.id
        );
        return Ok(match download(session, &url, cap).await? {
            Ok(bytes) => Document::Text(String::from_utf8_lossy(&bytes).into_owned()),
            Err(why) => Document::Unreadable(why),
        });
    }
    if file.mime_type.starts_with("application/vnd.google-apps.") {
        return Ok(Document::Unsupported);
    }
    let Ok(kind) = format::detect(&file.name, &[]) else {
        return Ok(Document::Unsupported);
    };
    if matches!(kind, format::FileKind::Audio | format::FileKind::Csv) {
        return Ok(Document::Unsupported);
    }
    let url = format!("{base}/drive/v3/files/{}?alt=media", file.id);
    let bytes = match download(session, &url, cap).await? {
        Ok(bytes) => bytes,
        Err(why) => return Ok(Document::Unreadable(why)),
    };
    let limits = ParseLimits::from_settings(ingest, crate::jobs::CancelFlag::new());
    let sandbox =
        Sandbox::from_settings(ingest).map_err(|e| SyncError::Unavailable(e.to_string()))?;
    match sandbox.parse(kind, bytes, &limits).await {
        Ok(parsed) => Ok(Document::Text(
            parsed
                .items
                .iter()
                .map(|i| i.text.as_str())
                .collect::<Vec<_>>()
                .join("\n\n"),
        )),
        Err(SandboxError::File(e)) => Ok(Document::Unreadable(e.0)),
        Err(e) => Err(SyncError::Unavailable(e.to_string())),
    }
}

/// One file's bytes within `cap`; `Ok(Err(why))` when Drive refuses this file alone (gone,
/// no access, too large), so the others are read on.
async fn download<C: ConnectionTrait + TransactionTrait>(
    session: &mut Session<'_, C>,
    url: &str,
    cap: usize,
) -> Result<Result<Vec<u8>, String>, SyncError> {
    let fetched = match session.get(url).await {
        Ok(res) => vendor::read_capped("Google Drive", res, cap).await,
        Err(e) => Err(e),
    };
    match fetched {
        Ok(bytes) => Ok(Ok(bytes)),
        Err(SyncError::Refused(why)) => Ok(Err(why)),
        Err(e) => Err(e),
    }
}

fn chunks(file: &DriveFile, folder: &str, modified: &str, text: &str) -> Vec<NewFeedback> {
    let owner = file.owners.first().and_then(|o| o.email_address.clone());
    let parts = chunk::chunk(text, chunk::DEFAULT_MAX_CHARS, chunk::DEFAULT_OVERLAP);
    let total = parts.len();
    parts
        .into_iter()
        .map(|c| NewFeedback {
            source: Source::Google.feedback_name(),
            source_id: format!("{}_chunk_{}", file.id, c.index),
            text: c.text,
            account: account_from_topic(&file.name),
            created_at: Some(file.modified_time),
            meta: json!({
                "document_id": file.id, "title": file.name, "owner": owner, "drive_file": true,
                "drive_folder": folder, "modified_time": modified, "mime_type": file.mime_type,
                "chunk_idx": c.index, "total_chunks": total, "heading": c.heading, "header_level": c.header_level,
            }),
            doc_url: file.web_view_link.clone(),
            ..Default::default()
        })
        .collect()
}

/// Replaces a document's chunks (none: removes it) in one transaction.
async fn replace(
    db: &(impl ConnectionTrait + TransactionTrait),
    workspace: &workspace::Model,
    document_id: &str,
    items: Vec<NewFeedback>,
) -> Result<feedback::IngestReport, SyncError> {
    let txn = db.begin().await?;
    // Before the delete, as in `feedback::delete`: a swap must not wait on links this
    // transaction has locked while it waits on the swap.
    crate::services::themes::lock_workspace_themes(&txn, workspace.id).await?;
    let removed = txn
        .execute_raw(raw(
            "DELETE FROM feedback WHERE workspace_id = $1 AND source = 'gdoc' AND meta->>'document_id' = $2 \
             AND meta ? 'drive_file' AND NOT (source_id = ANY($3))",
            vec![
                workspace.id.into(),
                document_id.into(),
                items.iter().map(|i| i.source_id.clone()).collect::<Vec<_>>().into(),
            ],
        ))
        .await?
        .rows_affected();
    let report = if items.is_empty() {
        feedback::IngestReport::default()
    } else {
        feedback::ingest(&txn, workspace, items).await?
    };
    // Removed chunks change their themes; an ingest that re-scored saw the removal already.
    if removed > 0 && !report.rescored {
        crate::services::themes::after_evidence_changed(&txn, workspace.id).await?;
    }
    txn.commit().await?;
    Ok(report)
}
