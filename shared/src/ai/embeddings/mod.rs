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

/// Which embedder a process will use, told without loading it (readiness and the admin
/// configuration report it; production refuses to start on the silent fallback).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct EmbedderStatus {
    /// `local`, `openai` or `lexical`: what embeds new feedback.
    pub provider: String,
    /// The model stored with every vector.
    pub model: String,
    /// True when the configured local model's files are missing, so the lexical embedder
    /// stands in (development only; production refuses to start so).
    pub fallback: bool,
}

/// The files a local model needs, all three.
const LOCAL_MODEL_FILES: [&str; 3] = ["config.json", "tokenizer.json", "model.safetensors"];

pub fn status(ai: &AiConfig, base_dir: &Path) -> EmbedderStatus {
    match ai.embeddings.provider {
        EmbeddingProvider::Local => {
            let dir = base_dir.join(&ai.embeddings.model_dir);
            let present = LOCAL_MODEL_FILES.iter().all(|f| dir.join(f).is_file());
            if present {
                EmbedderStatus {
                    provider: "local".into(),
                    model: ai.embeddings.model.clone(),
                    fallback: false,
                }
            } else {
                EmbedderStatus {
                    provider: "lexical".into(),
                    model: lexical::MODEL.into(),
                    fallback: true,
                }
            }
        }
        EmbeddingProvider::Openai => EmbedderStatus {
            provider: "openai".into(),
            model: ai.embeddings.model.clone(),
            fallback: false,
        },
        EmbeddingProvider::Lexical => EmbedderStatus {
            provider: "lexical".into(),
            model: lexical::MODEL.into(),
            fallback: false,
        },
    }
}

/// Why a production process must not start with this embedder, if it must not: the silent
/// fallback would embed every item with the lexical hashing and cluster it badly.
pub fn production_refusal(status: &EmbedderStatus, model_dir: &Path) -> Option<String> {
    status.fallback.then(|| {
        format!(
            "the local embedding model is missing from {} (config.json, tokenizer.json and \
             model.safetensors); put it there (scripts/fetch-model.sh) or choose the lexical \
             embedder on purpose with `embeddings.provider: lexical` in ai_config.yaml",
            model_dir.display()
        )
    })
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

#[cfg(test)]
mod status_tests {
    use super::*;

    fn config(provider: EmbeddingProvider, dir: &Path) -> AiConfig {
        let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ai_config.yaml");
        let mut ai = AiConfig::load(&shipped).expect("the shipped ai_config.yaml");
        ai.embeddings.provider = provider;
        ai.embeddings.model_dir = dir.display().to_string();
        ai
    }

    #[test]
    fn a_missing_local_model_is_a_fallback_that_production_refuses() {
        let empty = std::env::temp_dir().join(format!("produck-no-model-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let missing = status(&config(EmbeddingProvider::Local, &empty), Path::new("/"));
        assert_eq!(missing.provider, "lexical");
        assert!(missing.fallback);
        assert!(
            production_refusal(&missing, &empty)
                .unwrap()
                .contains("embeddings.provider: lexical")
        );

        // Chosen on purpose, the lexical embedder is not a fallback.
        let chosen = status(&config(EmbeddingProvider::Lexical, &empty), Path::new("/"));
        assert_eq!(
            (chosen.provider.as_str(), chosen.fallback),
            ("lexical", false)
        );
        assert_eq!(production_refusal(&chosen, &empty), None);

        for f in LOCAL_MODEL_FILES {
            std::fs::write(empty.join(f), b"x").unwrap();
        }
        let present = status(&config(EmbeddingProvider::Local, &empty), Path::new("/"));
        assert_eq!(
            (
                present.provider.as_str(),
                present.model.as_str(),
                present.fallback
            ),
            ("local", "all-MiniLM-L6-v2", false)
        );
        std::fs::remove_dir_all(&empty).unwrap();
    }
}
