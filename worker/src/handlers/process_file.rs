//! Parses one uploaded file and stores its feedback in one transaction.

use shared::{
    entities::{upload, workspace},
    ingest::{
        self, ParseError, ParsedFile,
        sandbox::{Sandbox, SandboxError},
    },
    services::{
        jobs::contract::{FileOutcome, UploadJob},
        uploads,
    },
};

use crate::{JobContext, JobError};

pub(crate) async fn load(
    ctx: &JobContext,
    params: &UploadJob,
) -> Result<(workspace::Model, upload::Model), JobError> {
    use sea_orm::EntityTrait;
    let ws_id = ctx.workspace_id()?;
    let upload = uploads::load(ctx.db(), ws_id, params.upload_id).await?;
    let ws = workspace::Entity::find_by_id(ws_id)
        .one(ctx.db())
        .await
        .map_err(shared::DomainError::from)?
        .ok_or_else(|| JobError::permanent("the workspace no longer exists"))?;
    Ok((ws, upload))
}

/// Stores a parsed file and returns the job result (its kind lands text: the worker asks
/// for the embeddings). A file already processed (a redelivered job) returns its earlier
/// outcome.
pub(crate) async fn finish(
    ctx: &JobContext,
    ws: &workspace::Model,
    upload: &upload::Model,
    parsed: Result<ParsedFile, ParseError>,
) -> Result<FileOutcome, JobError> {
    let keep = ctx.settings().ingest.keep_uploaded_files;
    let parsed = match parsed {
        Ok(p) => p,
        Err(e) => {
            uploads::mark_failed(ctx.db(), upload.id, &e, keep).await?;
            return Err(JobError::permanent(e.0));
        }
    };
    ctx.progress(60, &format!("storing {} items", parsed.items.len()))
        .await?;
    let started = std::time::Instant::now();
    let report = uploads::ingest_parsed(ctx.db(), ws, upload, &parsed, keep).await?;
    let store_seconds = started.elapsed().as_secs_f64();
    Ok(FileOutcome {
        store_seconds: Some(millis(store_seconds)),
        ..uploads::outcome(upload, &report, parsed.skipped)
    })
}

/// Seconds to the millisecond, as results report them.
fn millis(seconds: f64) -> f64 {
    (seconds * 1000.0).round() / 1000.0
}

pub(crate) fn already_done(upload: &upload::Model) -> Option<Result<FileOutcome, JobError>> {
    match upload.status.as_str() {
        "processed" => Some(Ok(uploads::earlier_outcome(upload))),
        "failed" => Some(Err(JobError::permanent(
            upload
                .error
                .clone()
                .unwrap_or_else(|| "the file failed".into()),
        ))),
        _ => None,
    }
}

/// Parses in the sandboxed child: a file at fault is an `Err` to record on the upload; the
/// machine at fault (or a cancelled job) is the job's error, to be retried.
async fn parse_isolated(
    ctx: &JobContext,
    kind: ingest::FileKind,
    data: Vec<u8>,
    limits: &ingest::ParseLimits,
) -> Result<Result<ParsedFile, ParseError>, JobError> {
    let sandbox = Sandbox::from_settings(&ctx.settings().ingest)
        .map_err(|e| JobError::transient(e.to_string()))?;
    match sandbox.parse(kind, data, limits).await {
        Ok(parsed) => Ok(Ok(parsed)),
        Err(SandboxError::File(e)) => Ok(Err(e)),
        Err(e) => Err(JobError::transient(e.to_string())),
    }
}

pub async fn run(ctx: JobContext, params: UploadJob) -> Result<FileOutcome, JobError> {
    let (ws, upload) = load(&ctx, &params).await?;
    if let Some(done) = already_done(&upload) {
        return done;
    }
    ctx.progress(10, &format!("parsing {}", upload.filename))
        .await?;
    let kind = uploads::kind_of(&upload)?;
    let data = upload
        .data
        .clone()
        .ok_or_else(|| JobError::permanent("the file's data was already released"))?;
    let started = std::time::Instant::now();
    let limits =
        ingest::ParseLimits::from_settings(&ctx.settings().ingest, ctx.cancel_flag().clone());
    let parsed = parse_isolated(&ctx, kind, data, &limits).await?;
    let parse_seconds = started.elapsed().as_secs_f64();
    let outcome = finish(&ctx, &ws, &upload, parsed).await?;
    Ok(FileOutcome {
        parse_seconds: Some(millis(parse_seconds)),
        ..outcome
    })
}
