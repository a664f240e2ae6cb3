//! Any OpenAI-compatible `/embeddings` endpoint.

use async_openai::types::embeddings::CreateEmbeddingRequestArgs;
use futures::future::BoxFuture;

use super::{Counted, Embedder, normalise};
use crate::{
    ai::{AiError, openai},
    ai_config::Provider,
};

const BATCH: usize = 96;

pub struct OpenAiEmbedder {
    client: async_openai::Client<async_openai::config::OpenAIConfig>,
    model: String,
    dimensions: std::sync::atomic::AtomicUsize,
}

impl OpenAiEmbedder {
    pub fn new(provider: &Provider, model: &str) -> Self {
        Self {
            client: openai::client(provider),
            model: model.to_owned(),
            dimensions: 0.into(),
        }
    }
}

impl Embedder for OpenAiEmbedder {
    fn model(&self) -> &str {
        &self.model
    }

    /// Known after the first call (0 before).
    fn dimensions(&self) -> usize {
        self.dimensions.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn embed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Vec<Vec<f32>>, AiError>> {
        Box::pin(async move { Ok(self.embed_counted(texts).await?.0) })
    }

    fn embed_counted<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Counted, AiError>> {
        Box::pin(async move {
            let mut out = Vec::with_capacity(texts.len());
            let mut tokens = 0u32;
            for batch in texts.chunks(BATCH) {
                let request = CreateEmbeddingRequestArgs::default()
                    .model(self.model.clone())
                    .input(batch.to_vec())
                    .build()
                    .map_err(|e| AiError::Permanent(e.to_string()))?;
                let response = self
                    .client
                    .embeddings()
                    .create(request)
                    .await
                    .map_err(openai::classify)?;
                tokens = tokens.saturating_add(response.usage.prompt_tokens);
                let mut data = response.data;
                data.sort_by_key(|d| d.index);
                if data.len() != batch.len() {
                    return Err(AiError::Permanent(format!(
                        "the embedding provider returned {} vectors for {} texts",
                        data.len(),
                        batch.len()
                    )));
                }
                for d in data {
                    let mut v = d.embedding;
                    normalise(&mut v);
                    self.dimensions
                        .store(v.len(), std::sync::atomic::Ordering::Relaxed);
                    out.push(v);
                }
            }
            Ok((out, tokens))
        })
    }
}
