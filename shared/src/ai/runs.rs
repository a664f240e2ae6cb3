//! The AI run log: every chat-completion call, whichever feature makes it, is one row of
//! `ai_runs` with its caller, agent, model, tokens, latency, outcome and estimated cost.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::{AiError, AiServices, chat::configured};
use crate::{ai_config::AiConfig, db::statement as raw};

/// Who a call is made for; stored with its run.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    pub workspace_id: Option<Uuid>,
    /// `user:<id>`, `api_key:<id>`, `local` or `job:<id>`.
    pub owner: Option<String>,
    pub conversation_id: Option<Uuid>,
    pub message_id: Option<Uuid>,
}

impl RunContext {
    pub fn for_workspace(workspace_id: Uuid, owner: impl Into<String>) -> Self {
        Self {
            workspace_id: Some(workspace_id),
            owner: Some(owner.into()),
            ..Self::default()
        }
    }
}

/// One finished call.
pub(crate) struct Run<'a> {
    pub agent: &'a str,
    pub model: &'a str,
    pub provider: &'a str,
    pub input: &'a str,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub latency_ms: u64,
    pub outcome: Outcome,
}

/// How a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    /// The provider failed; the code says how.
    Failed(&'static str),
    /// Stopped by us because nobody was waiting for the answer any more.
    Cancelled,
}

impl Outcome {
    pub fn of(error: Option<&AiError>) -> Self {
        match error {
            None => Self::Success,
            Some(AiError::Transient(_)) => Self::Failed("provider_unavailable"),
            Some(AiError::Permanent(_)) => Self::Failed("provider_error"),
        }
    }

    fn status(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failed(_) => "error",
            Self::Cancelled => "cancelled",
        }
    }

    fn code(self) -> Option<&'static str> {
        match self {
            Self::Success => None,
            Self::Failed(code) => Some(code),
            Self::Cancelled => Some("client_disconnected"),
        }
    }
}

const PREVIEW_CHARS: usize = 200;

/// Estimated USD from `prices` in ai_config.yaml (0 for a model without a price).
pub fn cost(ai: &AiConfig, model: &str, prompt_tokens: u32, completion_tokens: u32) -> f64 {
    ai.prices.get(model).map_or(0.0, |p| {
        (f64::from(prompt_tokens) * p.input_per_million
            + f64::from(completion_tokens) * p.output_per_million)
            / 1_000_000.0
    })
}

/// Stores the run; a failure to log never fails the call it describes.
pub(crate) async fn record(db: &DatabaseConnection, ai: &AiConfig, ctx: &RunContext, run: Run<'_>) {
    let preview: String = run.input.chars().take(PREVIEW_CHARS).collect();
    let result = db
        .execute_raw(raw(
            "INSERT INTO ai_runs (id, workspace_id, owner, agent, model, provider, input_preview, prompt_tokens, \
                                  completion_tokens, latency_ms, status, error_code, cost_usd, conversation_id, message_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            vec![
                Uuid::now_v7().into(),
                ctx.workspace_id.into(),
                ctx.owner.clone().into(),
                run.agent.into(),
                run.model.into(),
                run.provider.into(),
                preview.into(),
                (run.prompt_tokens as i32).into(),
                (run.completion_tokens as i32).into(),
                (run.latency_ms.min(i32::MAX as u64) as i32).into(),
                run.outcome.status().into(),
                run.outcome.code().map(str::to_owned).into(),
                cost(ai, run.model, run.prompt_tokens, run.completion_tokens).into(),
                ctx.conversation_id.into(),
                ctx.message_id.into(),
            ],
        ))
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, agent = run.agent, "could not record the AI run");
    }
}

/// Logs one call of `agent` made through `services` (when they keep a log and the agent has
/// a provider): its input, tokens, how long it took since `started`, and its outcome.
pub(crate) async fn log_call(
    services: &AiServices,
    ctx: &RunContext,
    agent_name: &str,
    input: &str,
    started: std::time::Instant,
    (prompt_tokens, completion_tokens): (u32, u32),
    outcome: Outcome,
) {
    let (Some(db), Some(agent)) = (&services.run_log, configured(&services.config, agent_name))
    else {
        return;
    };
    let run = Run {
        agent: agent_name,
        model: &agent.model,
        provider: agent.provider.as_deref().unwrap_or_default(),
        input,
        prompt_tokens,
        completion_tokens,
        latency_ms: started.elapsed().as_millis() as u64,
        outcome,
    };
    record(db, &services.config, ctx, run).await;
}
