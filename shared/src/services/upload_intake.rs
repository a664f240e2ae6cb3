//! Accepting an upload: every accepted file is stored with its processing job in one
//! transaction, the jobs are enqueued after the commit, and the caller may wait for them.
//! Only ids and names are kept after storing, so a long wait holds no file bytes.

use std::time::Duration;

use sea_orm::{ConnectionTrait, TransactionSession, TransactionTrait};
use uuid::Uuid;

use crate::{
    DomainError,
    config::JobSettings,
    entities::job_run,
    ingest::{self, FileKind},
    jobs::{JobQueue, status},
    services::{
        jobs::{
            self, NewJob, StartOutcome,
            contract::{ProcessFile, Transcribe, UploadJob},
        },
        uploads::{self, NewUpload},
    },
};

/// A file as it arrived.
pub struct IncomingFile {
    pub filename: String,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// A file refused or failed, with the reason shown to the uploader.
#[derive(Debug, Clone)]
pub struct FileError {
    pub filename: String,
    pub error: String,
}

/// A stored file and the job processing it.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub upload_id: Uuid,
    pub filename: String,
    pub job_id: Uuid,
}

/// What `accept` did: files refused up front, and files handed to workers.
#[derive(Debug, Default)]
pub struct Accepted {
    pub refused: Vec<FileError>,
    pub stored: Vec<StoredFile>,
}

/// Detects each file's kind, stores the accepted ones with their jobs in one transaction,
/// then enqueues the jobs.
pub async fn accept(
    db: &(impl ConnectionTrait + TransactionTrait),
    queue: &JobQueue,
    jobs_settings: &JobSettings,
    workspace_id: Uuid,
    requested_by: &str,
    files: Vec<IncomingFile>,
) -> Result<Accepted, DomainError> {
    let mut accepted = Accepted::default();
    let mut jobs_started: Vec<job_run::Model> = Vec::new();
    let txn = db.begin().await?;
    for file in files {
        let kind = match ingest::detect(&file.filename, &file.bytes) {
            Ok(k) => k,
            Err(e) => {
                accepted.refused.push(FileError {
                    filename: file.filename,
                    error: e.0,
                });
                continue;
            }
        };
        let upload = uploads::store(
            &txn,
            NewUpload {
                workspace_id,
                filename: &file.filename,
                content_type: file.content_type.as_deref(),
                kind,
                bytes: file.bytes,
                requested_by: Some(requested_by.to_owned()),
            },
        )
        .await?;
        let params = UploadJob {
            upload_id: upload.id,
            filename: upload.filename.clone(),
        };
        let new = if kind == FileKind::Audio {
            NewJob::of::<Transcribe>(jobs_settings, workspace_id, &params)
        } else {
            NewJob::of::<ProcessFile>(jobs_settings, workspace_id, &params)
        }
        .requested_by(requested_by);
        if let StartOutcome::Started(job) = jobs::create(&txn, new).await? {
            uploads::attach_job(&txn, upload.id, job.id).await?;
            accepted.stored.push(StoredFile {
                upload_id: upload.id,
                filename: upload.filename,
                job_id: job.id,
            });
            jobs_started.push(job);
        }
    }
    txn.commit().await?;
    for job in &jobs_started {
        jobs::enqueue(queue, job).await;
    }
    Ok(accepted)
}

/// One stored file as last seen.
#[derive(Debug, Clone)]
pub struct FileState {
    pub file: StoredFile,
    pub status: String,
    pub items: Option<u64>,
    pub error: Option<String>,
}

impl FileState {
    pub fn is_finished(&self) -> bool {
        [status::COMPLETED, status::FAILED, status::CANCELLED].contains(&self.status.as_str())
    }

    pub fn succeeded(&self) -> bool {
        self.status == status::COMPLETED
    }
}

/// Waits up to `within` for the stored files' jobs, then reports each one's state.
pub async fn wait(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    stored: &[StoredFile],
    within: Duration,
) -> Result<Vec<FileState>, DomainError> {
    let ids: Vec<Uuid> = stored.iter().map(|f| f.job_id).collect();
    let rows = jobs::wait_for(db, workspace_id, &ids, within).await?;
    Ok(stored
        .iter()
        .filter_map(|file| {
            let job = rows.iter().find(|j| j.id == file.job_id)?;
            Some(FileState {
                file: file.clone(),
                status: job.status.clone(),
                // Either kind's outcome: both are `FileOutcome`.
                items: jobs::result_of::<ProcessFile>(job).map(|o| o.items),
                error: job.error.clone(),
            })
        })
        .collect())
}
