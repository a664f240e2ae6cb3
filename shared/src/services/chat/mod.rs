//! The PM copilot: an answer grounded in the workspace's insights and feedback, every claim
//! marked with the passage behind it. The `chat_copilot` agent writes it when an LLM is
//! configured; otherwise (or when the call fails) rule-based intents answer with real
//! figures and the same citations. [`stream`] makes every answer, streamed or not.

pub mod citations;
pub mod conversations;
mod llm;
pub mod retrieval;
mod rules;
pub mod stream;
pub mod suggestions;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    DomainError,
    ai::{AiServices, budget::TokenBudgets, chat::Turn},
};

pub use citations::{Citation, InlineCitation};

/// One numbered piece of evidence the answer may cite.
#[derive(Debug, Clone)]
pub struct Passage {
    /// 1-based, as cited: `[n]`.
    pub n: usize,
    pub kind: PassageKind,
    pub id: Uuid,
    /// The insight's title, or the feedback's source and account.
    pub source_name: String,
    pub text: String,
    pub source: Option<String>,
    pub account: Option<String>,
    pub date: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PassageKind {
    Insight,
    Feedback,
}

/// An answer with its evidence.
#[derive(Debug, Clone)]
pub struct Answer {
    pub text: String,
    pub citations: Vec<Citation>,
    pub inline_citations: Vec<InlineCitation>,
    /// `llm` or `fallback`.
    pub generated_by: &'static str,
    pub model: Option<String>,
    pub tokens_used: u32,
    /// Why the fallback answered although an LLM is configured.
    pub fallback_reason: Option<String>,
    /// Set when a streamed answer stopped before the model finished (the text is what was
    /// written until then): `client_disconnected` or `upstream_failed`.
    pub stop_reason: Option<&'static str>,
}

impl Answer {
    fn fallback(context: &retrieval::Context, q: &Question<'_>, reason: Option<String>) -> Self {
        let mut answer = rules::answer(context, q);
        answer.fallback_reason = reason;
        crate::metrics::fallback_answers(AGENT, 1);
        answer
    }
}

/// What the caller asked, with the turns before it (oldest first).
pub struct Question<'a> {
    pub message: &'a str,
    pub selected_insight: Option<Uuid>,
    pub history: Vec<(Turn, String)>,
}

pub const AGENT: &str = "chat_copilot";

/// Turns kept from the conversation for the model.
pub const HISTORY_TURNS: usize = 4;

/// Who writes an answer.
enum Writer {
    Model,
    /// The rules, with why when a model is configured.
    Rules(Option<String>),
}

/// The agent when one is configured and neither the workspace's nor the caller's daily
/// token budget is spent, else the rules.
async fn writer(
    db: &impl ConnectionTrait,
    ai: &AiServices,
    run: &crate::ai::runs::RunContext,
    budgets: &TokenBudgets,
) -> Result<Writer, DomainError> {
    if crate::ai::chat::configured(&ai.config, AGENT).is_none() {
        return Ok(Writer::Rules(None));
    }
    if let Some(why) = budgets.exhausted(db, run).await? {
        return Ok(Writer::Rules(Some(why)));
    }
    Ok(Writer::Model)
}
