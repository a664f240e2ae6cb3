//! Uploaded files: stored in PostgreSQL until a worker processes them (so any worker on any
//! host can), then parsed and ingested in one transaction, then released.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::{
    DomainError,
    entities::{upload, workspace},
    ingest::{self, FileKind, ParseError, ParsedFile},
    services::source::Source,
    services::{
        customers::CustomerFacts,
        feedback::{self, IngestReport, NewFeedback},
    },
};

pub struct NewUpload<'a> {
    pub workspace_id: Uuid,
    pub filename: &'a str,
    pub content_type: Option<&'a str>,
    pub kind: FileKind,
    pub bytes: Vec<u8>,
    pub requested_by: Option<String>,
}

pub async fn store(
    db: &impl ConnectionTrait,
    new: NewUpload<'_>,
) -> Result<upload::Model, DomainError> {
    let sha = hex::encode(Sha256::digest(&new.bytes));
    Ok(upload::ActiveModel {
        id: Set(Uuid::now_v7()),
        workspace_id: Set(new.workspace_id),
        job_id: Set(None),
        filename: Set(new.filename.to_owned()),
        content_type: Set(new.content_type.map(str::to_owned)),
        kind: Set(new.kind.as_str().to_owned()),
        size_bytes: Set(new.bytes.len() as i64),
        sha256: Set(sha),
        data: Set(Some(new.bytes)),
        status: Set("stored".into()),
        items: Set(0),
        skipped: Set(0),
        error: Set(None),
        requested_by: Set(new.requested_by),
        created_at: Set(Utc::now()),
        processed_at: Set(None),
    }
    .insert(db)
    .await?)
}

pub async fn attach_job(
    db: &impl ConnectionTrait,
    upload_id: Uuid,
    job_id: Uuid,
) -> Result<(), DomainError> {
    upload::ActiveModel {
        id: Set(upload_id),
        job_id: Set(Some(job_id)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn load(
    db: &impl ConnectionTrait,
    workspace_id: Uuid,
    id: Uuid,
) -> Result<upload::Model, DomainError> {
    upload::Entity::find_by_id(id)
        .filter(upload::Column::WorkspaceId.eq(workspace_id))
        .one(db)
        .await?
        .ok_or(DomainError::not_found("upload"))
}

pub fn kind_of(upload: &upload::Model) -> Result<FileKind, DomainError> {
    ingest::detect(&upload.filename, upload.data.as_deref().unwrap_or_default())
        .map_err(|e| DomainError::invalid("file", e.0))
}

/// Turns parsed items into feedback. Source ids are the file's content hash plus the item's
/// position, so uploading the same file again updates rather than duplicates.
pub fn to_feedback(upload: &upload::Model, parsed: &ParsedFile) -> Vec<NewFeedback> {
    let base_time = upload.created_at;
    parsed
        .items
        .iter()
        .map(|item| {
            let mut meta = item.meta.clone();
            meta.insert("filename".into(), Value::from(upload.filename.clone()));
            meta.insert("upload_id".into(), Value::from(upload.id.to_string()));
            meta.insert(
                "document_id".into(),
                Value::from(format!("upload:{}", &upload.sha256[..16])),
            );
            meta.insert(
                "title".into(),
                Value::from(
                    parsed
                        .title
                        .clone()
                        .unwrap_or_else(|| upload.filename.clone()),
                ),
            );
            let offset = |s: Option<f64>| {
                s.map(|sec| base_time + Duration::milliseconds((sec * 1000.0) as i64))
            };
            NewFeedback {
                source: Source::Upload.feedback_name(),
                source_id: format!("{}:{}", &upload.sha256[..16], item.key),
                text: item.text.clone(),
                account: item.customer.clone(),
                customer_facts: CustomerFacts {
                    acv: item.acv,
                    segment: item.segment,
                    email_domain: item
                        .contact_email
                        .as_deref()
                        .and_then(|e| e.split_once('@'))
                        .map(|(_, d)| d.to_lowercase()),
                },
                created_at: item.created_at,
                meta: Value::Object(meta),
                doc_url: None,
                speaker: item.speaker.clone(),
                started_at: offset(item.start_seconds),
                ended_at: offset(item.end_seconds),
            }
        })
        .collect()
}

/// Ingests a parsed upload and marks it processed, all in one transaction: a failure leaves
/// no partial rows. The file's bytes are released unless `keep_files`.
pub async fn ingest_parsed(
    db: &impl TransactionTrait,
    workspace: &workspace::Model,
    upload: &upload::Model,
    parsed: &ParsedFile,
    keep_files: bool,
) -> Result<IngestReport, DomainError> {
    let txn = db.begin().await?;
    let report = feedback::ingest(&txn, workspace, to_feedback(upload, parsed)).await?;
    let mut am: upload::ActiveModel = upload::ActiveModel {
        id: Set(upload.id),
        ..Default::default()
    };
    am.status = Set("processed".into());
    am.items = Set(report.total() as i32);
    am.skipped = Set(parsed.skipped as i32);
    am.processed_at = Set(Some(Utc::now()));
    if !keep_files {
        am.data = Set(None);
    }
    am.update(&txn).await?;
    txn.commit().await?;
    Ok(report)
}

pub async fn mark_failed(
    db: &impl ConnectionTrait,
    upload_id: Uuid,
    error: &ParseError,
    keep_files: bool,
) -> Result<(), DomainError> {
    let mut am = upload::ActiveModel {
        id: Set(upload_id),
        ..Default::default()
    };
    am.status = Set("failed".into());
    am.error = Set(Some(error.0.clone()));
    am.processed_at = Set(Some(Utc::now()));
    if !keep_files {
        am.data = Set(None);
    }
    am.update(db).await?;
    Ok(())
}

/// Marks the uploads of jobs that ended in failure (a panic, a database error, attempts
/// exhausted, no worker) as failed with the job's message, so no upload stays "stored"
/// forever. Uploads already processed or failed are left as they are.
pub async fn mark_failed_for_jobs(
    db: &impl ConnectionTrait,
    failures: &[(Uuid, String)],
    keep_files: bool,
) -> Result<u64, DomainError> {
    if failures.is_empty() {
        return Ok(0);
    }
    let payload: Vec<Value> = failures
        .iter()
        .map(|(job, error)| json!({"job_id": job, "error": error}))
        .collect();
    let res = db
        .execute_raw(crate::db::statement(
            "UPDATE uploads u SET status = 'failed', error = x.error, processed_at = now(), \
                 data = CASE WHEN $2 THEN u.data ELSE NULL END \
             FROM jsonb_to_recordset($1::jsonb) AS x(job_id uuid, error text) \
             WHERE u.job_id = x.job_id AND u.status NOT IN ('processed', 'failed')",
            [Value::Array(payload).into(), keep_files.into()],
        ))
        .await?;
    Ok(res.rows_affected())
}

/// Deletes upload records (and any kept bytes) finished more than `retention_days` ago.
pub async fn prune(db: &impl ConnectionTrait, retention_days: u32) -> Result<u64, DomainError> {
    let res = db
        .execute_raw(crate::db::statement(
            "DELETE FROM uploads WHERE status IN ('processed', 'failed') \
             AND coalesce(processed_at, created_at) < now() - make_interval(days => $1)",
            [(retention_days as i32).into()],
        ))
        .await?;
    Ok(res.rows_affected())
}

/// The job result recorded for a processed file.
pub fn outcome(
    upload: &upload::Model,
    report: &IngestReport,
    skipped: usize,
) -> crate::services::jobs::contract::FileOutcome {
    crate::services::jobs::contract::FileOutcome {
        upload_id: upload.id,
        filename: upload.filename.clone(),
        items: report.total() as u64,
        created: Some(report.created as u64),
        updated: Some(report.updated as u64),
        unchanged: Some(report.unchanged as u64),
        skipped: skipped as u64,
        ..Default::default()
    }
}

/// What a file already processed added, for a redelivered job.
pub fn earlier_outcome(upload: &upload::Model) -> crate::services::jobs::contract::FileOutcome {
    crate::services::jobs::contract::FileOutcome {
        upload_id: upload.id,
        filename: upload.filename.clone(),
        items: upload.items.max(0) as u64,
        skipped: upload.skipped.max(0) as u64,
        ..Default::default()
    }
}
