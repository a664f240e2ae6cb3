//! The one way a copilot answer is made: gather the passages, choose the writer, write the
//! answer as the events of seed 003 (`session_init`, `tool_use`, `delta`, `citations`, `done`,
//! `error`) to a channel, and store it with its question. A streaming client reads the
//! channel; a non-streaming one gets the same answer collected ([`collect`]).
//!
//! A streamed answer runs in its own task, apart from the response, so it can notice the
//! client going away (the channel closes) and still finish its bookkeeping: the model's stream
//! is dropped, which closes the provider connection and stops the generation, and the text
//! written so far is stored with its question in one transaction, marked incomplete.

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use serde::Serialize;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{
    AGENT, Answer, Citation, InlineCitation, Question, Writer,
    citations::StreamingResolver,
    conversations::{self, Limits, RecordError, Slot},
    llm, retrieval, writer,
};
use crate::ai::{
    AiError, AiServices,
    chat::{self, Turn},
    runs::{Outcome, RunContext, log_call},
};

/// One Server-Sent Event of a streamed answer.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StreamEvent {
    SessionInit {
        conversation_id: Uuid,
        message_id: Uuid,
    },
    ToolUse {
        tool: &'static str,
        /// start or complete.
        status: &'static str,
        /// Passages found, on `complete`.
        #[serde(skip_serializing_if = "Option::is_none")]
        results: Option<usize>,
    },
    Delta {
        content: String,
    },
    Citations {
        citations: Vec<Citation>,
        inline_citations: Vec<InlineCitation>,
    },
    Done {
        message_id: Uuid,
        tokens_used: u32,
        generated_by: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        fallback_reason: Option<String>,
    },
    /// Terminal: the answer could not be finished. `code` is stable; `error` is for people.
    Error {
        code: &'static str,
        error: String,
        /// The stored, incomplete answer, when some of it was written.
        #[serde(skip_serializing_if = "Option::is_none")]
        message_id: Option<Uuid>,
    },
}

/// Everything a streamed answer needs, owned so it can run in its own task.
pub struct StreamRequest {
    pub workspace_id: Uuid,
    pub owner: String,
    pub slot: Slot,
    pub limits: Limits,
    pub message: String,
    pub selected_insight: Option<Uuid>,
    pub history: Vec<(Turn, String)>,
    pub budgets: crate::ai::budget::TokenBudgets,
}

const TOOL: &str = "feedback_search";
/// Rule-based answers are sent in pieces of about this many bytes.
const FALLBACK_PIECE: usize = 48;

/// Writes the answer to `tx` until it is done or nobody listens; stores it in every case
/// where a question was asked.
pub async fn run(
    db: DatabaseConnection,
    ai: Arc<AiServices>,
    req: StreamRequest,
    tx: mpsc::Sender<StreamEvent>,
) {
    if let Err(e) = respond(&db, &ai, &req, &tx).await {
        let (code, error) = match e {
            RecordError::Refused(r) => (r.code(), r.message()),
            RecordError::Domain(d) => {
                tracing::error!(error = %d, "streamed answer failed");
                (
                    "chat_failed",
                    "the answer could not be written; try again".to_owned(),
                )
            }
        };
        let _ = tx
            .send(StreamEvent::Error {
                code,
                error,
                message_id: None,
            })
            .await;
    }
}

/// The whole answer for a caller that does not stream: the same orchestration, its events
/// read and dropped as they come (so the model is never cut off for want of a reader).
pub async fn collect(
    db: &DatabaseConnection,
    ai: &AiServices,
    req: &StreamRequest,
) -> Result<Answer, RecordError> {
    let (tx, mut rx) = mpsc::channel::<StreamEvent>(32);
    let drain = tokio::spawn(async move { while rx.recv().await.is_some() {} });
    let answer = respond(db, ai, req, &tx).await;
    drop(tx);
    let _ = drain.await;
    answer?.ok_or_else(|| {
        // The drain reads until `tx` is dropped, so only a panic in it gets here.
        RecordError::Domain(crate::DomainError::Other(anyhow::anyhow!(
            "the answer's events lost their reader"
        )))
    })
}

/// Writes the answer to `tx` and stores it; `None` when the reader went away before the
/// question was taken (nothing was asked, nothing stored).
async fn respond(
    db: &DatabaseConnection,
    ai: &AiServices,
    req: &StreamRequest,
    tx: &mpsc::Sender<StreamEvent>,
) -> Result<Option<Answer>, RecordError> {
    let message_id = req.slot.answer_id;
    let init = StreamEvent::SessionInit {
        conversation_id: req.slot.conversation_id,
        message_id,
    };
    if tx.send(init).await.is_err() {
        return Ok(None);
    }
    let _ = tx
        .send(StreamEvent::ToolUse {
            tool: TOOL,
            status: "start",
            results: None,
        })
        .await;
    let q = Question {
        message: &req.message,
        selected_insight: req.selected_insight,
        history: req.history.clone(),
    };
    let run = req.slot.run_context(req.workspace_id, &req.owner);
    let context = retrieval::gather(
        db,
        ai,
        &run,
        req.workspace_id,
        q.message,
        q.selected_insight,
    )
    .await?;
    let _ = tx
        .send(StreamEvent::ToolUse {
            tool: TOOL,
            status: "complete",
            results: Some(context.passages.len()),
        })
        .await;

    let answer = match writer(db, ai, &run, &req.budgets).await? {
        Writer::Model => match from_model(ai, &run, &context, &q, tx).await {
            Ok(answer) => answer,
            Err(reason) => rules(&context, &q, Some(reason), tx).await,
        },
        Writer::Rules(reason) => rules(&context, &q, reason, tx).await,
    };
    conversations::record(
        db,
        req.workspace_id,
        &req.owner,
        req.slot,
        req.limits,
        &req.message,
        &answer,
    )
    .await?;
    let citations = StreamEvent::Citations {
        citations: answer.citations.clone(),
        inline_citations: answer.inline_citations.clone(),
    };
    let last = match answer.stop_reason {
        None => StreamEvent::Done {
            message_id,
            tokens_used: answer.tokens_used,
            generated_by: answer.generated_by,
            fallback_reason: answer.fallback_reason.clone(),
        },
        Some(code) => StreamEvent::Error {
            code,
            error: "the model stopped answering; what it wrote so far is stored, marked incomplete"
                .into(),
            message_id: Some(message_id),
        },
    };
    let _ = tx.send(citations).await;
    let _ = tx.send(last).await;
    Ok(Some(answer))
}

/// The rule-based answer, sent in word-aligned pieces (it exists whole before the first).
async fn rules(
    context: &retrieval::Context,
    q: &Question<'_>,
    reason: Option<String>,
    tx: &mpsc::Sender<StreamEvent>,
) -> Answer {
    let answer = Answer::fallback(context, q, reason);
    let mut piece = String::new();
    for word in answer.text.split_inclusive(' ') {
        piece.push_str(word);
        if piece.len() >= FALLBACK_PIECE {
            let content = std::mem::take(&mut piece);
            let _ = tx.send(StreamEvent::Delta { content }).await;
        }
    }
    if !piece.is_empty() {
        let _ = tx.send(StreamEvent::Delta { content: piece }).await;
    }
    answer
}

/// Why a model's stream ended before its last chunk.
enum Stop {
    ClientGone,
    Upstream(AiError),
}

/// Tokens of text a provider did not count for us (a stream cut before its usage chunk):
/// about four characters per token, as for English with OpenAI's tokenizers.
fn estimate_tokens(text: &str) -> u32 {
    (text.chars().count() as u32).div_ceil(4)
}

/// The model's answer, forwarded as it is written. `Err(reason)` when nothing usable came
/// (no provider connection, a failure before the first text, an empty reply): the rules
/// answer instead. A stream that stops after some text is an answer with a `stop_reason`.
async fn from_model(
    ai: &AiServices,
    run: &RunContext,
    context: &retrieval::Context,
    q: &Question<'_>,
    tx: &mpsc::Sender<StreamEvent>,
) -> Result<Answer, String> {
    let (history, user) = llm::prompt(context, q);
    let started = std::time::Instant::now();
    // Every call is in the run log, however it ended.
    let logged = |tokens: (u32, u32), outcome: Outcome| {
        log_call(ai, run, AGENT, &user, started, tokens, outcome)
    };
    let mut reply = match chat::open_stream(ai, AGENT, &history, &user).await {
        Ok(reply) => reply,
        Err(e) => {
            logged((0, 0), Outcome::of(Some(&e))).await;
            return Err(llm::failure_reason(&e));
        }
    };
    let mut resolver = StreamingResolver::new(&context.passages);
    let mut usage = None;
    let mut stop = None;
    loop {
        let next = tokio::select! {
            biased;
            _ = tx.closed() => { stop = Some(Stop::ClientGone); break; }
            next = reply.next() => next,
        };
        match next {
            None => break,
            Some(Ok(chunk)) => {
                usage = chunk.usage.or(usage);
                let content = resolver.push(&chunk.text);
                if !content.is_empty() && tx.send(StreamEvent::Delta { content }).await.is_err() {
                    stop = Some(Stop::ClientGone);
                    break;
                }
            }
            Some(Err(e)) => {
                stop = Some(Stop::Upstream(e));
                break;
            }
        }
    }
    let model = reply.model.clone();
    // Closes the provider connection: a generation nobody reads stops here.
    drop(reply);
    let prompt_chars: String = history
        .iter()
        .map(|(_, t)| t.as_str())
        .chain([user.as_str()])
        .collect();
    let (prompt_tokens, completion_tokens) = usage.unwrap_or_else(|| {
        (
            estimate_tokens(&prompt_chars),
            estimate_tokens(resolver.raw()),
        )
    });
    let outcome = match &stop {
        None => Outcome::Success,
        Some(Stop::ClientGone) => Outcome::Cancelled,
        Some(Stop::Upstream(e)) => Outcome::of(Some(e)),
    };
    logged((prompt_tokens, completion_tokens), outcome).await;

    let (text, inline_citations, citations, stop_reason) = match stop {
        None => {
            if resolver.raw().trim().is_empty() {
                return Err(llm::EMPTY_REPLY.into());
            }
            let (rest, (text, inline, cited)) = resolver.finish();
            if !rest.is_empty() {
                let _ = tx.send(StreamEvent::Delta { content: rest }).await;
            }
            (text, inline, cited, None)
        }
        Some(Stop::Upstream(e)) if resolver.is_empty() => return Err(llm::failure_reason(&e)),
        Some(Stop::Upstream(e)) => {
            tracing::warn!(error = %e, "chat_copilot stream failed mid-answer");
            let (text, inline, cited) = resolver.partial();
            (text, inline, cited, Some("upstream_failed"))
        }
        Some(Stop::ClientGone) => {
            tracing::info!("client went away mid-answer; the generation was stopped");
            let (text, inline, cited) = resolver.partial();
            (text, inline, cited, Some("client_disconnected"))
        }
    };
    Ok(Answer {
        text,
        citations,
        inline_citations,
        generated_by: "llm",
        model: Some(model),
        tokens_used: prompt_tokens + completion_tokens,
        fallback_reason: None,
        stop_reason,
    })
}
