//! Text embeddings behind one trait. The model name is stored with every vector; vectors of
//! different models are never compared.

pub mod lexical;
pub mod local;
pub mod remote;

use std::{path::Path, sync::Arc};

use futures::future::BoxFuture;

use super::AiError;
use crate::ai_config::{AiConfig, EmbeddingProvider};

/// Vectors with the input tokens a provider billed for them.
pub type Counted = (Vec<Vec<f32>>, u32);

pub trait Embedder: Send + Sync {
    /// Stored with each vector, e.g. `all-MiniLM-L6-v2`.
    fn model(&self) -> &str;
    fn dimensions(&self) -> usize;
    /// One L2-normalised vector per text, in order.
    fn embed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Vec<Vec<f32>>, AiError>>;

    /// The vectors and the input tokens a provider billed for them (0 when nobody bills).
    fn embed_counted<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Counted, AiError>> {
        Box::pin(async move { Ok((self.embed(texts).await?, 0)) })
    }
}

/// A remote embedder whose calls are rows of the AI run log, attributed to `ctx`.
pub struct Logged {
    pub inner: Arc<dyn Embedder>,
    pub log: super::runs::RunLog,
    pub ctx: super::runs::RunContext,
}

impl Embedder for Logged {
    fn model(&self) -> &str {
        self.inner.model()
    }

    fn dimensions(&self) -> usize {
        self.inner.dimensions()
    }

    fn embed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Vec<Vec<f32>>, AiError>> {
        Box::pin(async move { Ok(self.embed_counted(texts).await?.0) })
    }

    fn embed_counted<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Counted, AiError>> {
        Box::pin(async move {
            let started = std::time::Instant::now();
            let result = self.inner.embed_counted(texts).await;
            let tokens = result.as_ref().map_or(0, |(_, t)| *t);
            let input = format!(
                "{} texts: {}",
                texts.len(),
                texts.first().map(String::as_str).unwrap_or_default()
            );
            let outcome = super::runs::Outcome::of(result.as_ref().err());
            self.log
                .record(&self.ctx, &input, started, (tokens, 0), outcome)
                .await;
            result
        })
    }
}

/// The embedder `ai_config.yaml` asks for. A missing local model falls back to the lexical
/// embedder with a warning, so a fresh checkout still works (vectors then carry its name).
pub fn from_config(ai: &AiConfig, base_dir: &Path) -> Result<Arc<dyn Embedder>, AiError> {
    match ai.embeddings.provider {
        EmbeddingProvider::Local => {
            let dir = base_dir.join(&ai.embeddings.model_dir);
            match local::MiniLm::load(&dir, &ai.embeddings.model) {
                Ok(model) => Ok(Arc::new(model)),
                Err(e) => {
                    tracing::warn!(
                        dir = %dir.display(),
                        error = %e,
                        "local embedding model unavailable (run scripts/fetch-model.sh); using the lexical fallback"
                    );
                    Ok(Arc::new(lexical::Lexical))
                }
            }
        }
        EmbeddingProvider::Openai => {
            let endpoint = ai.embeddings.endpoint.as_deref().unwrap_or_default();
            let provider = super::openai::provider(ai, endpoint)?;
            Ok(Arc::new(remote::OpenAiEmbedder::new(
                provider,
                &ai.embeddings.model,
            )))
        }
        EmbeddingProvider::Lexical => Ok(Arc::new(lexical::Lexical)),
    }
}

/// Vectors are stored as little-endian f32 bytes.
pub fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn from_bytes(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip() {
        let v = vec![0.25f32, -1.5, 3.0e-7];
        assert_eq!(from_bytes(&to_bytes(&v)), v);
        assert!((cosine(&v, &v) - 1.0).abs() < 1e-6);
    }
}
