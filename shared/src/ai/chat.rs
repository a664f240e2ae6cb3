//! Chat completions for the agents in `ai_config.yaml` (OpenAI-compatible providers).
//! Callers validate what comes back and fall back to their deterministic path on any error.

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessageArgs, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs,
    ChatCompletionResponseStream, ChatCompletionStreamOptions, CreateChatCompletionRequest,
    CreateChatCompletionRequestArgs,
};
use futures::StreamExt;
use serde_json::Value;

use super::{
    AiError, AiServices, openai,
    runs::{Outcome, RunContext, log_call},
};
use crate::ai_config::{Agent, AiConfig};

pub use crate::ai_config::configured;

/// Sends the agent's prompt and `user` text; returns the reply text.
pub async fn complete(
    ai: &AiServices,
    ctx: &RunContext,
    agent_name: &str,
    user: &str,
) -> Result<String, AiError> {
    Ok(converse(ai, ctx, agent_name, &[], user).await?.text)
}

/// A model's answer and the tokens it cost.
pub struct Reply {
    pub text: String,
    pub tokens: u32,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub model: String,
}

/// Who said an earlier turn of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turn {
    User,
    Assistant,
}

/// The agent's prompt, earlier turns (oldest first), then `user`; the call is logged as a
/// run for `ctx` whatever its outcome.
async fn converse(
    services: &AiServices,
    ctx: &RunContext,
    agent_name: &str,
    history: &[(Turn, String)],
    user: &str,
) -> Result<Reply, AiError> {
    let started = std::time::Instant::now();
    let result = call(&services.config, agent_name, history, user).await;
    let tokens = result
        .as_ref()
        .map_or((0, 0), |r| (r.prompt_tokens, r.completion_tokens));
    log_call(
        services,
        ctx,
        agent_name,
        user,
        started,
        tokens,
        Outcome::of(result.as_ref().err()),
    )
    .await;
    result
}

fn request(
    agent: &Agent,
    history: &[(Turn, String)],
    user: &str,
) -> Result<CreateChatCompletionRequest, AiError> {
    let bad = |e: async_openai::error::OpenAIError| AiError::Permanent(e.to_string());
    let mut messages: Vec<ChatCompletionRequestMessage> = vec![
        ChatCompletionRequestSystemMessageArgs::default()
            .content(agent.prompt.clone())
            .build()
            .map_err(bad)?
            .into(),
    ];
    for (turn, content) in history {
        messages.push(match turn {
            Turn::User => ChatCompletionRequestUserMessageArgs::default()
                .content(content.clone())
                .build()
                .map_err(bad)?
                .into(),
            Turn::Assistant => ChatCompletionRequestAssistantMessageArgs::default()
                .content(content.clone())
                .build()
                .map_err(bad)?
                .into(),
        });
    }
    messages.push(
        ChatCompletionRequestUserMessageArgs::default()
            .content(user.to_owned())
            .build()
            .map_err(bad)?
            .into(),
    );
    CreateChatCompletionRequestArgs::default()
        .model(agent.model.clone())
        .temperature(agent.temperature)
        .max_completion_tokens(agent.max_tokens)
        .messages(messages)
        .build()
        .map_err(bad)
}

fn agent_client<'a>(
    ai: &'a AiConfig,
    agent_name: &str,
) -> Result<
    (
        &'a Agent,
        async_openai::Client<async_openai::config::OpenAIConfig>,
    ),
    AiError,
> {
    let agent = configured(ai, agent_name)
        .ok_or_else(|| AiError::Permanent(format!("agent {agent_name} has no provider")))?;
    let provider = openai::provider(ai, agent.provider.as_deref().unwrap_or_default())?;
    Ok((agent, openai::client(provider)))
}

async fn call(
    ai: &AiConfig,
    agent_name: &str,
    history: &[(Turn, String)],
    user: &str,
) -> Result<Reply, AiError> {
    let (agent, client) = agent_client(ai, agent_name)?;
    let request = request(agent, history, user)?;
    let started = std::time::Instant::now();
    let response = client
        .chat()
        .create(request)
        .await
        .map_err(openai::classify)?;
    let usage = response.usage.as_ref();
    let tokens = usage.map(|u| u.total_tokens).unwrap_or(0);
    let prompt_tokens = usage.map(|u| u.prompt_tokens).unwrap_or(0);
    let completion_tokens = usage.map(|u| u.completion_tokens).unwrap_or(0);
    let text = response
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .unwrap_or_default();
    tracing::info!(
        agent = agent_name,
        model = %agent.model,
        tokens,
        ms = started.elapsed().as_millis() as u64,
        "llm call"
    );
    Ok(Reply {
        text,
        tokens,
        prompt_tokens,
        completion_tokens,
        model: agent.model.clone(),
    })
}

/// One piece of a streamed reply: text, and on the provider's last chunk what it cost.
#[derive(Debug, Default)]
pub struct Chunk {
    pub text: String,
    /// (prompt, completion) tokens, when the provider reports them.
    pub usage: Option<(u32, u32)>,
}

/// A reply the provider is still writing. Dropping it closes the provider's connection,
/// which stops the generation.
pub struct ReplyStream {
    pub model: String,
    inner: ChatCompletionResponseStream,
}

impl ReplyStream {
    /// The next piece; `None` once the provider has finished.
    pub async fn next(&mut self) -> Option<Result<Chunk, AiError>> {
        let item = self.inner.next().await?;
        Some(item.map_err(openai::classify).map(|chunk| {
            Chunk {
                text: chunk
                    .choices
                    .into_iter()
                    .filter_map(|c| c.delta.content)
                    .collect(),
                usage: chunk.usage.map(|u| (u.prompt_tokens, u.completion_tokens)),
            }
        }))
    }
}

/// Starts the agent's reply as a stream (with usage reported at the end). The caller logs
/// the run once it knows how the stream ended (`runs::log_call`).
pub async fn open_stream(
    services: &AiServices,
    agent_name: &str,
    history: &[(Turn, String)],
    user: &str,
) -> Result<ReplyStream, AiError> {
    let (agent, client) = agent_client(&services.config, agent_name)?;
    let mut request = request(agent, history, user)?;
    request.stream_options = Some(ChatCompletionStreamOptions {
        include_usage: Some(true),
        include_obfuscation: None,
    });
    let inner = client
        .chat()
        .create_stream(request)
        .await
        .map_err(openai::classify)?;
    Ok(ReplyStream {
        model: agent.model.clone(),
        inner,
    })
}

/// The first JSON object in a reply (models sometimes wrap it in prose or code fences).
pub fn extract_json(reply: &str) -> Option<Value> {
    let start = reply.find('{')?;
    let end = reply.rfind('}')?;
    serde_json::from_str(reply.get(start..=end)?).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn json_is_found_inside_prose_and_fences() {
        let v = super::extract_json("Sure!\n```json\n{\"a\": 1}\n```").unwrap();
        assert_eq!(v["a"], 1);
        assert!(super::extract_json("no json here").is_none());
        assert!(super::extract_json("{broken").is_none());
    }
}
