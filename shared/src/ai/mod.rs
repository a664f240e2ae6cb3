//! AI services configured by `ai_config.yaml`: embeddings (local MiniLM, an OpenAI-compatible
//! endpoint, or a deterministic lexical fallback) and audio transcription.

pub mod budget;
pub mod chat;
pub mod embeddings;
pub mod openai;
pub mod runs;
pub mod services;
pub mod transcribe;

/// reqwest (inside async-openai) needs a process-wide TLS provider; we use ring, which the
/// database driver already links. Idempotent.
pub fn init_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Why an AI call failed, and whether trying again can help.
#[derive(Debug, thiserror::Error)]
pub enum AiError {
    /// Timeouts, 429 and 5xx: retry later.
    #[error("{0}")]
    Transient(String),
    /// Bad input, 4xx, missing configuration: retrying will not help.
    #[error("{0}")]
    Permanent(String),
}

impl From<AiError> for crate::DomainError {
    fn from(e: AiError) -> Self {
        match e {
            AiError::Transient(msg) => crate::DomainError::Unavailable {
                service: "AI provider",
                source: Some(anyhow::anyhow!(msg)),
            },
            AiError::Permanent(msg) => crate::DomainError::Other(anyhow::anyhow!(msg)),
        }
    }
}
pub use services::AiServices;
