//! Chat completions for the agents in `ai_config.yaml` (OpenAI-compatible providers).
//! Callers validate what comes back and fall back to their deterministic path on any error.

use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessageArgs, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessageArgs, ChatCompletionRequestUserMessageArgs,
    CreateChatCompletionRequestArgs,
};
use serde_json::Value;

use super::{
    AiError, AiServices, openai,
    runs::{RunContext, log_call},
};
use crate::ai_config::{Agent, AiConfig};

/// The agent if it has a provider; `None` means "use the deterministic fallback".
pub fn configured<'a>(ai: &'a AiConfig, agent: &str) -> Option<&'a Agent> {
    ai.agents.get(agent).filter(|a| a.provider.is_some())
}

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
pub async fn converse(
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
        result.as_ref().err(),
    )
    .await;
    result
}

async fn call(
    ai: &AiConfig,
    agent_name: &str,
    history: &[(Turn, String)],
    user: &str,
) -> Result<Reply, AiError> {
    let agent = configured(ai, agent_name)
        .ok_or_else(|| AiError::Permanent(format!("agent {agent_name} has no provider")))?;
    let provider = openai::provider(ai, agent.provider.as_deref().unwrap_or_default())?;
    let client = openai::client(provider);
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
    let request = CreateChatCompletionRequestArgs::default()
        .model(agent.model.clone())
        .temperature(agent.temperature)
        .max_completion_tokens(agent.max_tokens)
        .messages(messages)
        .build()
        .map_err(bad)?;
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
