//! Transcribes an uploaded recording with the configured provider, then stores it like a
//! call transcript (90-second chunks).

use shared::{
    ai::transcribe,
    ingest::{self, ParseError, ParsedFile, transcript},
    services::jobs::contract::{FileOutcome, UploadJob},
};

use crate::{JobContext, JobError, handlers::process_file};

pub async fn run(ctx: JobContext, params: UploadJob) -> Result<FileOutcome, JobError> {
    let (ws, upload) = process_file::load(&ctx, &params).await?;
    if let Some(done) = process_file::already_done(&upload) {
        return done;
    }
    let data = upload
        .data
        .clone()
        .ok_or_else(|| JobError::permanent("the file's data was already released"))?;
    ctx.progress(10, &format!("transcribing {}", upload.filename))
        .await?;
    let run = ctx.run_context()?;
    let parsed = match transcribe::transcribe(ctx.ai(), &run, &upload.filename, data).await {
        Ok(cues) => ingest::finish(
            to_parsed(&cues),
            &ingest::ParseLimits::from_settings(&ctx.settings().ingest, ctx.cancel_flag().clone()),
        ),
        Err(shared::ai::AiError::Permanent(msg)) => Err(ParseError::new(msg)),
        Err(transient) => return Err(transient.into()),
    };
    process_file::finish(&ctx, &ws, &upload, parsed).await
}

fn to_parsed(cues: &[transcript::Cue]) -> ParsedFile {
    ingest::transcript_file(&transcript::to_vtt(cues)).unwrap_or_default()
}
