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
use serde::Serialize;
use shared::{
    auth::Role,
    config::IngestSettings,
    ingest::format::FORMATS,
    services::upload_intake::{self, IncomingFile},
};
use uuid::Uuid;

use crate::{auth::Auth, error::ApiError, job_wait::WaitBound, state::AppState};

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

/// Reads the multipart body, enforcing the file count, the per-file size and the total
/// size as bytes arrive.
async fn read_files(
    mut multipart: Multipart,
    limits: &IngestSettings,
) -> Result<Vec<IncomingFile>, ApiError> {
    let too_large = |msg: String| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, msg);
    let malformed = |e: axum::extract::multipart::MultipartError| {
        ApiError::bad_request(format!("malformed multipart body: {}", e.body_text()))
    };
    let mb = |bytes: usize| bytes / (1024 * 1024);
    let mut files = Vec::new();
    let mut total = 0usize;
    while let Some(mut field) = multipart.next_field().await.map_err(malformed)? {
        if !matches!(field.name(), Some("files") | Some("file")) {
            continue;
        }
        if files.len() == limits.max_files_per_upload {
            return Err(too_large(format!(
                "at most {} files per upload",
                limits.max_files_per_upload
            )));
        }
        let filename = field
            .file_name()
            .map(str::to_owned)
            .filter(|f| !f.trim().is_empty())
            .unwrap_or_else(|| format!("file-{}", files.len() + 1));
        let content_type = field.content_type().map(str::to_owned);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(malformed)? {
            if bytes.len() + chunk.len() > limits.max_file_bytes {
                return Err(too_large(format!(
                    "{filename} is larger than the {} MB limit per file",
                    mb(limits.max_file_bytes)
                )));
            }
            total += chunk.len();
            if total > limits.max_upload_bytes {
                return Err(too_large(format!(
                    "the upload is larger than the {} MB limit per request",
                    mb(limits.max_upload_bytes)
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
    bound: WaitBound,
    multipart: Multipart,
) -> Result<Response, ApiError> {
    let principal = auth.require(Role::Editor)?;
    let files = read_files(multipart, &state.settings.ingest).await?;
    let total_files = files.len();
    let accepted = upload_intake::accept(
        &state.db,
        &state.queue,
        &state.settings.jobs,
        principal.workspace_id,
        &principal.label(),
        files,
    )
    .await?;
    let wait = bound.from_now();
    let states =
        upload_intake::wait(&state.db, principal.workspace_id, &accepted.stored, wait).await?;

    let mut errors: Vec<FileErrorOut> = accepted
        .refused
        .into_iter()
        .map(|e| FileErrorOut {
            filename: e.filename,
            error: e.error,
        })
        .collect();
    let ok = states.iter().filter(|f| f.succeeded()).count();
    let pending = states.iter().filter(|f| !f.is_finished()).count();
    let items: u64 = states
        .iter()
        .filter(|f| f.succeeded())
        .filter_map(|f| f.items)
        .sum();
    errors.extend(
        states
            .iter()
            .filter(|f| f.is_finished() && !f.succeeded())
            .map(|f| FileErrorOut {
                filename: f.file.filename.clone(),
                error: f
                    .error
                    .clone()
                    .unwrap_or_else(|| "processing failed".into()),
            }),
    );
    let accepted_only = pending > 0;
    let location = states.first().map(|f| format!("/jobs/{}", f.file.job_id));
    let body = UploadOut {
        total_files,
        successful_files: ok,
        failed_files: errors.len(),
        total_feedback_items: items,
        message: if accepted_only {
            format!("{pending} of {total_files} file(s) still processing; poll /jobs/{{job_id}}")
        } else {
            summary_message(ok, total_files)
        },
        errors,
        status: if accepted_only {
            "accepted"
        } else {
            "completed"
        },
        files: states
            .into_iter()
            .map(|f| FileJobOut {
                filename: f.file.filename,
                job_id: f.file.job_id,
                upload_id: f.file.upload_id,
                status: f.status,
                items: f.items,
            })
            .collect(),
    };
    if accepted_only {
        return Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, location.unwrap_or_default())],
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
                    .response_with::<200, Json<UploadOut>, _>(|r| r.description("Every file processed within the wait"))
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
