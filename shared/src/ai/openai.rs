//! Clients for OpenAI-compatible providers declared in `ai_config.yaml`.

use async_openai::{Client, config::OpenAIConfig, error::OpenAIError};

use super::AiError;
use crate::ai_config::{AiConfig, Provider};

pub fn client(provider: &Provider) -> Client<OpenAIConfig> {
    super::init_crypto();
    let key = match &provider.api_key {
        Some(key) => secrecy::ExposeSecret::expose_secret(key).to_owned(),
        None => provider
            .api_key_env
            .as_deref()
            .and_then(|var| std::env::var(var).ok())
            .unwrap_or_default(),
    };
    let config = OpenAIConfig::new()
        .with_api_base(provider.base_url.trim_end_matches('/'))
        .with_api_key(key);
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(provider.timeout_secs))
        .build()
        .unwrap_or_default();
    Client::with_config(config).with_http_client(http)
}

pub fn provider<'a>(ai: &'a AiConfig, name: &str) -> Result<&'a Provider, AiError> {
    ai.providers.get(name).ok_or_else(|| {
        AiError::Permanent(format!(
            "provider {name:?} is not configured in ai_config.yaml"
        ))
    })
}

/// Sorts provider errors into retryable and not.
pub fn classify(e: OpenAIError) -> AiError {
    let text = e.to_string();
    match &e {
        OpenAIError::Reqwest(inner) => {
            if inner.is_timeout()
                || inner.is_connect()
                || inner
                    .status()
                    .is_none_or(|s| s.is_server_error() || s.as_u16() == 429)
            {
                AiError::Transient(format!("provider unreachable or busy: {text}"))
            } else {
                AiError::Permanent(format!("provider refused the request: {text}"))
            }
        }
        OpenAIError::ApiError(api) => {
            let status = api.status_code.as_u16();
            if status == 429 || status == 408 || status >= 500 {
                AiError::Transient(format!("provider busy or failing: {text}"))
            } else {
                AiError::Permanent(format!("provider refused the request: {text}"))
            }
        }
        _ => AiError::Transient(format!("provider call failed: {text}")),
    }
}
