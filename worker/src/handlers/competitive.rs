//! A research session: competitor moves in, scored competitive insights out, written with
//! the session's completion in one transaction. A finished session is never run twice.

use crate::{JobContext, JobError};
use shared::{
    ai::AiError,
    services::competitive::{
        AGENT,
        evidence::EvidenceIndex,
        research,
        sessions::{self, status},
    },
    services::jobs::contract::{ResearchOutcome, ResearchParams},
};

pub async fn run(ctx: JobContext, params: ResearchParams) -> Result<ResearchOutcome, JobError> {
    let ws = ctx.workspace_id()?;
    let id = params.session_id;
    let session = sessions::get(ctx.db(), ws, id).await?;
    if session.status != status::RUNNING {
        return Ok(summary(&session));
    }
    let research_request = session.research()?;
    ctx.progress(10, "matching the moves to customer insights")
        .await?;
    let embedder = ctx.embedder().await?;
    let index = EvidenceIndex::load(
        ctx.db(),
        ws,
        embedder.as_ref(),
        ctx.settings().competitive.evidence_threshold,
    )
    .await?;
    let writer = if shared::ai::chat::configured(&ctx.ai().config, AGENT).is_some() {
        "asking the competitive analyst"
    } else {
        "writing the cards by the documented rules"
    };
    ctx.progress(30, writer).await?;
    let run = ctx.run_context()?;
    let today = chrono::Utc::now().date_naive();
    let outcome = research::run(&research::Inputs {
        ai: ctx.ai(),
        run: &run,
        research: &research_request,
        index: &index,
        embedder: embedder.as_ref(),
        today,
    })
    .await;
    match outcome {
        Ok(outcome) => {
            let session = sessions::complete(ctx.db(), ws, id, outcome).await?;
            Ok(summary(&session))
        }
        Err(AiError::Transient(msg)) if ctx.job.attempts < ctx.job.max_attempts => {
            Err(JobError::transient(msg))
        }
        Err(e) => {
            sessions::fail(ctx.db(), ws, id, &e.to_string()).await?;
            Err(JobError::permanent(e))
        }
    }
}

fn summary(session: &sessions::Session) -> ResearchOutcome {
    ResearchOutcome {
        session_id: session.id,
        status: session.status.clone(),
        insights: session.insights_generated.len(),
        cards_dropped: session.cards_dropped,
        generated_by: session.generated_by.clone(),
    }
}
