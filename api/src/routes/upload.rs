//! `/upload/*`: feedback files. Files are checked while they stream in, stored in the
//! database, and processed by workers (one job per file); the answer waits for them up to
//! the configured bound.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{
    Json,
    extract::{DefaultBodyLimit, Multipart, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use schemars::JsonSchema;
use sea_orm::TransactionTrait as _;
use serde::Serialize;
use shared::{
    auth::Role,
    ingest::{self, FileKind, format::FORMATS},
    jobs::{kinds, status},
    services::{
        jobs::{self, NewJob, StartOutcome},
        uploads::{self, NewUpload},
    },
};
use uuid::Uuid;

use crate::{auth::Auth, error::ApiError, extract::PreferAsync, state::AppState};

/// A file that could not be processed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileErrorOut {
    pub filename: String,
    pub error: String,
}

/// A file handed to a worker.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FileJobOut {
    pub filename: String,
    pub job_id: Uuid,
    pub upload_id: Uuid,
    /// queued, running, completed or failed.
    pub status: String,
    /// Feedback items from this file (once completed).
    pub items: Option<u64>,
}

/// The outcome of an upload.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UploadOut {
    pub total_files: usize,
    pub successful_files: usize,
    pub failed_files: usize,
    pub total_feedback_items: u64,
    pub errors: Vec<FileErrorOut>,
    pub message: String,
    /// `completed`, or `accepted` while files are still being processed.
    pub status: &'static str,
    pub files: Vec<FileJobOut>,
}

struct IncomingFile {
    filename: String,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// Reads the multipart body, enforcing the file count and per-file size as bytes arrive.
async fn read_files(
    mut multipart: Multipart,
    max_files: usize,
    max_bytes: usize,
) -> Result<Vec<IncomingFile>, ApiError> {
    let too_large = |msg: String| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, msg);
    let malformed = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("malformed multipart body: {}", e.body_text()))
    };
    let mut files = Vec::new();
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        if !matches!(field.name(), Some("files") | Some("file")) {
            continue;
        }
        if files.len() == max_files {
            return Err(too_large(format!("at most {max_files} files per upload")));
        }
        let filename = field
            .file_name()
            .map(str::to_owned)
            .filter(|f| !f.trim().is_empty())
            .unwrap_or_else(|| format!("file-{}", files.len() + 1));
        let content_type = field.content_type().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if bytes.len() + chunk.len() > max_bytes {
                return Err(too_large(format!(
                    "{filename} is larger than the {} MB limit per file",
                    max_bytes / (1024 * 1024)
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        files.push(IncomingFile {
            filename,
            content_type,
            bytes,
        });
    }
    if files.is_empty() {
        return Err(ApiError::field(
            &["body", "files"],
            "at least one file is required (multipart field `files`)",
            "missing",
        ));
    }
    Ok(files)
}

fn summary_message(ok: usize, total: usize) -> String {
    if ok == 0 {
        "All files failed to process".to_owned()
    } else if ok == total {
        format!("Successfully processed all {total} file(s)")
    } else {
        format!("Processed {ok}/{total} file(s) successfully")
    }
}

async fn upload_feedback(
    State(state): State<AppState>,
    auth: Auth,
    PreferAsync(prefer_async): PreferAsync,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let principal = auth.require(Role::Editor)?;
    let limits = &state.settings.ingest;
    let files = read_files(
        multipart,
        limits.max_files_per_upload,
        limits.max_file_bytes,
    )
    .await?;
    let total_files = files.len();

    // Store every accepted file and its job together, then enqueue after the commit.
    let mut errors = Vec::new();
    let mut started = Vec::new();
    let txn = state.db.begin().await.map_err(shared::DomainError::from)?;
    for file in files {
        let kind = match ingest::detect(&file.filename, &file.bytes) {
            Ok(k) => k,
            Err(e) => {
                errors.push(FileErrorOut {
                    filename: file.filename,
                    error: e.0,
                });
                continue;
            }
        };
        let upload = uploads::store(
            &txn,
            NewUpload {
                workspace_id: principal.workspace_id,
                filename: &file.filename,
                content_type: file.content_type.as_deref(),
                kind,
                bytes: file.bytes,
                requested_by: Some(principal.label()),
            },
        )
        .await?;
        let job_kind = if kind == FileKind::Audio {
            kinds::TRANSCRIBE
        } else {
            kinds::PROCESS_FILE
        };
        let params = serde_json::json!({"upload_id": upload.id, "filename": upload.filename});
        let new = NewJob::for_workspace(&state.settings, principal.workspace_id, job_kind, params)
            .requested_by(principal.label());
        if let StartOutcome::Started(job) = jobs::create(&txn, new).await? {
            uploads::attach_job(&txn, upload.id, job.id).await?;
            started.push((upload, job));
        }
    }
    txn.commit().await.map_err(shared::DomainError::from)?;
    for (_, job) in &started {
        jobs::enqueue(&state.queue, job).await;
    }

    let wait = if prefer_async || started.is_empty() {
        std::time::Duration::ZERO
    } else {
        std::time::Duration::from_secs(state.settings.jobs.sync_wait_secs)
    };
    let ids: Vec<Uuid> = started.iter().map(|(_, j)| j.id).collect();
    let finished = jobs::wait_for(&state.db, principal.workspace_id, &ids, wait).await?;
    let mut files_out = Vec::new();
    let mut items = 0u64;
    let mut ok = 0;
    let mut pending = 0;
    for ((upload, _), job) in started.iter().zip(&finished) {
        let file_items = job.result.as_ref().and_then(|r| r["items"].as_u64());
        match job.status.as_str() {
            status::COMPLETED => {
                ok += 1;
                items += file_items.unwrap_or(0);
            }
            status::FAILED | status::CANCELLED => errors.push(FileErrorOut {
                filename: upload.filename.clone(),
                error: job
                    .error
                    .clone()
                    .unwrap_or_else(|| "processing failed".into()),
            }),
            _ => pending += 1,
        }
        files_out.push(FileJobOut {
            filename: upload.filename.clone(),
            job_id: job.id,
            upload_id: upload.id,
            status: job.status.clone(),
            items: file_items,
        });
    }
    let accepted = pending > 0;
    let body = UploadOut {
        total_files,
        successful_files: ok,
        failed_files: errors.len(),
        total_feedback_items: items,
        message: if accepted {
            format!("{pending} of {total_files} file(s) still processing; poll /jobs/{{job_id}}")
        } else {
            summary_message(ok, total_files)
        },
        errors,
        status: if accepted { "accepted" } else { "completed" },
        files: files_out,
    };
    if accepted {
        let location = ids
            .first()
            .map(|id| format!("/jobs/{id}"))
            .unwrap_or_default();
        return Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, location)],
            Json(body),
        )
            .into_response());
    }
    Ok(Json(body).into_response())
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FormatOut {
    pub format: &'static str,
    pub extensions: &'static [&'static str],
    pub mime_types: &'static [&'static str],
    pub description: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub example_columns: Option<&'static [&'static str]>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SupportedFormatsOut {
    pub supported_formats: Vec<FormatOut>,
    /// e.g. "50MB".
    pub max_file_size: String,
    pub max_files_per_upload: usize,
}

async fn supported_formats(
    State(state): State<AppState>,
    _auth: Auth,
) -> Json<SupportedFormatsOut> {
    Json(SupportedFormatsOut {
        supported_formats: FORMATS
            .iter()
            .map(|f| FormatOut {
                format: f.format,
                extensions: f.extensions,
                mime_types: f.mime_types,
                description: f.description,
                example_columns: f.example_columns,
            })
            .collect(),
        max_file_size: format!("{}MB", state.settings.ingest.max_file_bytes / (1024 * 1024)),
        max_files_per_upload: state.settings.ingest.max_files_per_upload,
    })
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/upload/upload-feedback",
            post_with(upload_feedback, |op| {
                op.summary("Upload feedback files")
                    .description(
                        "multipart/form-data with one or more `files` (CSV, PDF, DOCX, TXT, Markdown, VTT, SRT, audio). \
                         Limits (default 10 files, 50 MB each) are enforced while the body streams: over them the \
                         whole request is 413. Each file is processed by a worker in one transaction (a failing file \
                         leaves nothing behind) and re-uploading a file updates instead of duplicating. The answer \
                         waits for the files up to the configured bound, else (or with `Prefer: respond-async`) it \
                         is 202 with the jobs to poll. Editors and admins.",
                    )
                    .tag("upload")
                    .response_with::<202, Json<UploadOut>, _>(|r| r.description("Files still processing"))
                    .response_with::<413, ApiError, _>(|r| r.description("Too many or too large files"))
                    .response_with::<400, ApiError, _>(|r| r.description("Malformed multipart body"))
            })
            // Limits are enforced per file while streaming, not by the global body limit.
            .layer(DefaultBodyLimit::disable()),
        )
        .api_route(
            "/upload/upload/supported-formats",
            get_with(supported_formats, |op| {
                op.summary("Supported upload formats").description("File types, what is read from each, and the limits.").tag("upload")
            }),
        )
}
