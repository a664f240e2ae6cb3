//! The AI run log: every model call, whichever feature makes it (chat completions,
//! transcriptions, remote embeddings), is one row of `ai_runs` with its caller, agent, model,
//! tokens, latency, outcome and estimated cost.

use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::{AiError, AiServices};
use crate::ai_config::configured;
use crate::{
    ai_config::{AiConfig, Price},
    db::statement as raw,
};

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

/// Where one kind of model call is logged, and as what (agent, model, provider, price).
#[derive(Clone)]
pub struct RunLog {
    db: DatabaseConnection,
    agent: String,
    model: String,
    provider: String,
    price: Option<Price>,
}

/// The agent name embedding calls are logged under.
pub const EMBEDDINGS: &str = "embeddings";

impl RunLog {
    /// For an agent of `ai_config.yaml` that has a provider, when `services` keep a log.
    fn for_agent(services: &AiServices, agent_name: &str) -> Option<Self> {
        let db = services.run_log.clone()?;
        let agent = configured(&services.config, agent_name)?;
        Some(Self {
            db,
            agent: agent_name.to_owned(),
            model: agent.model.clone(),
            provider: agent.provider.clone().unwrap_or_default(),
            price: services.config.prices.get(&agent.model).copied(),
        })
    }

    /// For the remote embeddings endpoint, when one is configured and `services` keep a log.
    pub(crate) fn for_embeddings(services: &AiServices) -> Option<Self> {
        let db = services.run_log.clone()?;
        let e = &services.config.embeddings;
        if e.provider != crate::ai_config::EmbeddingProvider::Openai {
            return None;
        }
        Some(Self {
            db,
            agent: EMBEDDINGS.to_owned(),
            model: e.model.clone(),
            provider: e.endpoint.clone().unwrap_or_default(),
            price: services.config.prices.get(&e.model).copied(),
        })
    }

    /// Stores one finished call made for `ctx`; a failure to log never fails the call it
    /// describes.
    pub async fn record(
        &self,
        ctx: &RunContext,
        input: &str,
        started: std::time::Instant,
        (prompt_tokens, completion_tokens): (u32, u32),
        outcome: Outcome,
    ) {
        let preview: String = input.chars().take(PREVIEW_CHARS).collect();
        let latency_ms = started.elapsed().as_millis().min(i32::MAX as u128) as i32;
        let cost_usd = self
            .price
            .map_or(0.0, |p| price_of(p, prompt_tokens, completion_tokens));
        let result = self
            .db
            .execute_raw(raw(
                "INSERT INTO ai_runs (id, workspace_id, owner, agent, model, provider, input_preview, prompt_tokens, \
                                      completion_tokens, latency_ms, status, error_code, cost_usd, conversation_id, message_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                vec![
                    Uuid::now_v7().into(),
                    ctx.workspace_id.into(),
                    ctx.owner.clone().into(),
                    self.agent.clone().into(),
                    self.model.clone().into(),
                    self.provider.clone().into(),
                    preview.into(),
                    (prompt_tokens as i32).into(),
                    (completion_tokens as i32).into(),
                    latency_ms.into(),
                    outcome.status().into(),
                    outcome.code().map(str::to_owned).into(),
                    cost_usd.into(),
                    ctx.conversation_id.into(),
                    ctx.message_id.into(),
                ],
            ))
            .await;
        use crate::metrics::{AI_CALLS, AI_TOKENS};
        metrics::counter!(AI_CALLS, "agent" => self.agent.clone(), "status" => outcome.status())
            .increment(1);
        metrics::counter!(AI_TOKENS, "agent" => self.agent.clone(), "type" => "prompt")
            .increment(u64::from(prompt_tokens));
        metrics::counter!(AI_TOKENS, "agent" => self.agent.clone(), "type" => "completion")
            .increment(u64::from(completion_tokens));
        if let Err(e) = result {
            tracing::warn!(error = %e, agent = self.agent, "could not record the AI run");
        }
    }
}

fn price_of(p: Price, prompt_tokens: u32, completion_tokens: u32) -> f64 {
    (f64::from(prompt_tokens) * p.input_per_million
        + f64::from(completion_tokens) * p.output_per_million)
        / 1_000_000.0
}

/// Estimated USD from `prices` in ai_config.yaml (0 for a model without a price).
pub fn cost(ai: &AiConfig, model: &str, prompt_tokens: u32, completion_tokens: u32) -> f64 {
    ai.prices
        .get(model)
        .map_or(0.0, |p| price_of(*p, prompt_tokens, completion_tokens))
}

/// Logs one call of `agent` made through `services` (when they keep a log and the agent has
/// a provider): its input, tokens, how long it took since `started`, and its outcome.
pub(crate) async fn log_call(
    services: &AiServices,
    ctx: &RunContext,
    agent_name: &str,
    input: &str,
    started: std::time::Instant,
    tokens: (u32, u32),
    outcome: Outcome,
) {
    if let Some(log) = RunLog::for_agent(services, agent_name) {
        log.record(ctx, input, started, tokens, outcome).await;
    }
}
