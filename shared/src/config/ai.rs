//! AI providers, budgets and the copilot.

use std::path::PathBuf;

use schemars::JsonSchema;
use secrecy::SecretString;
use serde::Deserialize;

use super::ConfigError;

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AiSettings {
    /// The `ai_config.yaml` that declares providers, the embedder and the agents; relative
    /// paths inside it are relative to its folder.
    pub config_path: PathBuf,
    /// LLM tokens a workspace may spend per UTC day, every agent together (0: no budget).
    pub daily_token_budget: u64,
    /// LLM tokens one member (or API key) may spend per UTC day (0: no budget).
    pub member_daily_token_budget: u64,
    /// An OpenAI-compatible endpoint (`https://api.openai.com/v1`, Ollama's
    /// `http://ollama:11434/v1`) every writing agent uses instead of what `ai_config.yaml`
    /// names: insights, labels, PRDs, the copilot, competitive analysis (not transcription).
    #[serde(default)]
    pub llm_base_url: Option<String>,
    /// The model those agents ask `llm_base_url` for (`gpt-4o-mini`, `llama3.2`); unset keeps
    /// each agent's model from `ai_config.yaml`.
    #[serde(default)]
    pub llm_model: Option<String>,
    /// The key sent to `llm_base_url` (none for a local server).
    #[serde(default)]
    #[schemars(with = "Option<String>", extend("x-secret" = true))]
    pub llm_api_key: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// Messages (questions and answers) one conversation may hold; then start a new one.
    pub max_messages_per_conversation: usize,
    /// Active (not archived) conversations per caller.
    pub max_active_conversations: usize,
    /// Copilot questions per caller per minute, across API replicas.
    pub questions_per_minute: u32,
    /// The older name of `ai.daily_token_budget`; when set it wins.
    #[serde(default)]
    pub daily_token_budget: Option<u64>,
}

impl AiSettings {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.llm_base_url {
            let parsed = url::Url::parse(url)
                .map_err(|e| ConfigError::new("ai.llm_base_url", e.to_string()))?;
            if !["http", "https"].contains(&parsed.scheme()) {
                return Err(ConfigError::new(
                    "ai.llm_base_url",
                    "must be an http(s) URL",
                ));
            }
        }
        Ok(())
    }
}
