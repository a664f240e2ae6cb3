//! A BERT encoder for inference only, shaped for sentence embeddings on a CPU.
//!
//! Why not the general-purpose model: a padded batch spends work on padding and runs every
//! elementwise step (bias, GELU, softmax, layer norm) as its own pass, GELU through a scalar
//! `erf`. Here the sequences of a batch are packed end to end, so every linear layer is one
//! matrix product over the batch's real tokens only (candle's gemm, AVX-512 where the CPU
//! has it); attention runs per sequence and head, so it needs no mask; and the elementwise
//! steps are fused into the pass that reads each product, compiled for the CPU's vector
//! width at run time. The arithmetic is the reference model's; the parity test holds it to
//! the sentence-transformers vectors.

use candle_core::{DType, Device, Storage, Tensor};
use candle_nn::VarBuilder;
use rayon::prelude::*;

use crate::{
    config::Config,
    fastmath::{erf, exp},
};

/// Rows (tokens) handled per task in the elementwise passes.
const ROWS_PER_TASK: usize = 16;

pub struct Encoder {
    embeddings: Embeddings,
    layers: Vec<Layer>,
    hidden: usize,
    heads: usize,
    eps: f32,
}

struct Embeddings {
    words: Vec<f32>,
    positions: Vec<f32>,
    /// Every token of a single-segment input has type 0.
    segment: Vec<f32>,
    norm: Norm,
}

struct Linear {
    /// `[in, out]`, contiguous, so the product reads it row by row.
    weight: Tensor,
    bias: Vec<f32>,
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
}

struct Layer {
    /// Query, key and value in one product: `[in, 3 * hidden]`.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    up: Linear,
    down: Linear,
    output_norm: Norm,
}

/// What the packed product of one linear layer is followed by, fused into one pass.
enum Then<'a> {
    Nothing,
    Gelu,
    AddAndNorm(&'a [f32], &'a Norm, f32),
}

fn vector(vb: &VarBuilder, len: usize, name: &str) -> candle_core::Result<Vec<f32>> {
    vb.get(len, name)?.to_vec1()
}

impl Linear {
    fn load(
        vb: &VarBuilder,
        names: &[&str],
        input: usize,
        output: usize,
    ) -> candle_core::Result<Self> {
        let weights = names
            .iter()
            .map(|n| vb.get((output, input), &format!("{n}.weight")))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let mut bias = Vec::with_capacity(output * names.len());
        for n in names {
            bias.extend(vector(vb, output, &format!("{n}.bias"))?);
        }
        let weight = Tensor::cat(&weights, 0)?.t()?.contiguous()?;
        Ok(Self { weight, bias })
    }

    fn outputs(&self) -> usize {
        self.bias.len()
    }

    /// `x · W + b` over `rows` packed tokens, followed by `then`.
    fn apply(&self, x: Vec<f32>, rows: usize, then: Then) -> candle_core::Result<Vec<f32>> {
        let input = x.len() / rows.max(1);
        let product = Tensor::from_vec(x, (rows, input), &Device::Cpu)?.matmul(&self.weight)?;
        let (storage, layout) = product.storage_and_layout();
        let Storage::Cpu(cpu) = &*storage else {
            candle_core::bail!("the encoder runs on the CPU");
        };
        let (start, end) = layout
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("product is not contiguous".into()))?;
        let product = &cpu.as_slice::<f32>()?[start..end];
        let width = self.outputs();
        let mut out = vec![0f32; product.len()];
        let bias = &self.bias;
        let arch = pulp::Arch::new();
        out.par_chunks_mut(width * ROWS_PER_TASK)
            .zip(product.par_chunks(width * ROWS_PER_TASK))
            .enumerate()
            .for_each(|(task, (out, product))| {
                arch.dispatch(|| {
                    for (row, (o, p)) in out
                        .chunks_exact_mut(width)
                        .zip(product.chunks_exact(width))
                        .enumerate()
                    {
                        match &then {
                            Then::Nothing => add(o, p, bias),
                            Then::Gelu => add_gelu(o, p, bias),
                            Then::AddAndNorm(residual, norm, eps) => {
                                let at = (task * ROWS_PER_TASK + row) * width;
                                add_residual(o, p, bias, &residual[at..at + width]);
                                norm.apply(o, *eps);
                            }
                        }
                    }
                })
            });
        Ok(out)
    }
}

#[inline(always)]
fn add(out: &mut [f32], product: &[f32], bias: &[f32]) {
    for ((o, p), b) in out.iter_mut().zip(product).zip(bias) {
        *o = p + b;
    }
}

#[inline(always)]
fn add_gelu(out: &mut [f32], product: &[f32], bias: &[f32]) {
    for ((o, p), b) in out.iter_mut().zip(product).zip(bias) {
        let x = p + b;
        *o = 0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2));
    }
}

#[inline(always)]
fn add_residual(out: &mut [f32], product: &[f32], bias: &[f32], residual: &[f32]) {
    for (((o, p), b), r) in out.iter_mut().zip(product).zip(bias).zip(residual) {
        *o = p + b + r;
    }
}

/// Sum in eight independent lanes, so the loop vectorises without reordering any one sum.
#[inline(always)]
fn lane_sum(values: impl Iterator<Item = f32>) -> f32 {
    let mut lanes = [0f32; 8];
    for (i, v) in values.enumerate() {
        lanes[i % 8] += v;
    }
    lanes.iter().sum()
}

#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 8];
    for (ca, cb) in a.chunks_exact(8).zip(b.chunks_exact(8)) {
        for j in 0..8 {
            lanes[j] += ca[j] * cb[j];
        }
    }
    let tail: f32 = a
        .chunks_exact(8)
        .remainder()
        .iter()
        .zip(b.chunks_exact(8).remainder())
        .map(|(x, y)| x * y)
        .sum();
    lanes.iter().sum::<f32>() + tail
}

impl Norm {
    fn load(vb: &VarBuilder, len: usize, name: &str) -> candle_core::Result<Self> {
        Ok(Self {
            gamma: vector(vb, len, &format!("{name}.weight"))?,
            beta: vector(vb, len, &format!("{name}.bias"))?,
        })
    }

    #[inline(always)]
    fn apply(&self, row: &mut [f32], eps: f32) {
        let n = row.len() as f32;
        let mean = lane_sum(row.iter().copied()) / n;
        let var = lane_sum(row.iter().map(|x| (x - mean) * (x - mean))) / n;
        let scale = 1.0 / (var + eps).sqrt();
        for ((x, g), b) in row.iter_mut().zip(&self.gamma).zip(&self.beta) {
            *x = (*x - mean) * scale * g + b;
        }
    }
}

impl Encoder {
    /// From a Hugging Face checkpoint: its `config.json` and `model.safetensors` bytes.
    pub fn from_checkpoint(config: &[u8], weights: Vec<u8>) -> Result<Self, String> {
        let config = Config::parse(config)?;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu)
            .map_err(|e| format!("model.safetensors: {e}"))?;
        Self::load(vb, &config).map_err(|e| format!("loading BERT weights: {e}"))
    }

    fn load(vb: VarBuilder, config: &Config) -> candle_core::Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") {
            vb.pp("bert")
        } else {
            vb
        };
        let h = config.hidden_size;
        let e = vb.pp("embeddings");
        let words = e
            .get((config.vocab_size, h), "word_embeddings.weight")?
            .flatten_all()?
            .to_vec1()?;
        let positions = e
            .get(
                (config.max_position_embeddings, h),
                "position_embeddings.weight",
            )?
            .flatten_all()?
            .to_vec1()?;
        let segment = e
            .get((config.type_vocab_size, h), "token_type_embeddings.weight")?
            .get(0)?
            .to_vec1()?;
        let embeddings = Embeddings {
            words,
            positions,
            segment,
            norm: Norm::load(&e, h, "LayerNorm")?,
        };
        let layers = (0..config.num_hidden_layers)
            .map(|i| {
                let l = vb.pp(format!("encoder.layer.{i}"));
                Ok(Layer {
                    qkv: Linear::load(
                        &l,
                        &[
                            "attention.self.query",
                            "attention.self.key",
                            "attention.self.value",
                        ],
                        h,
                        h,
                    )?,
                    attention_out: Linear::load(&l, &["attention.output.dense"], h, h)?,
                    attention_norm: Norm::load(&l, h, "attention.output.LayerNorm")?,
                    up: Linear::load(&l, &["intermediate.dense"], h, config.intermediate_size)?,
                    down: Linear::load(&l, &["output.dense"], config.intermediate_size, h)?,
                    output_norm: Norm::load(&l, h, "output.LayerNorm")?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        if e.dtype() != DType::F32 {
            candle_core::bail!("the encoder expects f32 weights");
        }
        Ok(Self {
            embeddings,
            layers,
            hidden: h,
            heads: config.num_attention_heads,
            eps: config.layer_norm_eps as f32,
        })
    }

    pub fn max_positions(&self) -> usize {
        self.embeddings.positions.len() / self.hidden
    }

    /// Mean-pooled sentence vectors, one per token sequence (not normalised).
    pub fn embed(&self, sequences: &[Vec<u32>]) -> candle_core::Result<Vec<Vec<f32>>> {
        let spans = spans(sequences);
        let rows = spans.last().map_or(0, |&(start, len)| start + len);
        if rows == 0 {
            return Ok(vec![vec![0.0; self.hidden]; sequences.len()]);
        }
        let mut x = self.embed_tokens(sequences)?;
        for layer in &self.layers {
            x = self.layer(layer, x, rows, &spans)?;
        }
        Ok(spans
            .iter()
            .map(|&(start, len)| self.pool(&x[start * self.hidden..(start + len) * self.hidden]))
            .collect())
    }

    fn embed_tokens(&self, sequences: &[Vec<u32>]) -> candle_core::Result<Vec<f32>> {
        let h = self.hidden;
        let e = &self.embeddings;
        let vocab = e.words.len() / h;
        let mut x = Vec::with_capacity(sequences.iter().map(Vec::len).sum::<usize>() * h);
        for ids in sequences {
            if ids.len() > self.max_positions() {
                candle_core::bail!("sequence longer than {} tokens", self.max_positions());
            }
            for (position, &id) in ids.iter().enumerate() {
                let id = id as usize;
                if id >= vocab {
                    candle_core::bail!("token id {id} outside the vocabulary");
                }
                let start = x.len();
                x.extend(
                    e.words[id * h..(id + 1) * h]
                        .iter()
                        .zip(&e.positions[position * h..(position + 1) * h])
                        .zip(&e.segment)
                        .map(|((w, p), s)| w + p + s),
                );
                e.norm.apply(&mut x[start..], self.eps);
            }
        }
        Ok(x)
    }

    fn layer(
        &self,
        layer: &Layer,
        x: Vec<f32>,
        rows: usize,
        spans: &[(usize, usize)],
    ) -> candle_core::Result<Vec<f32>> {
        let qkv = layer.qkv.apply(x.clone(), rows, Then::Nothing)?;
        let context = self.attention(&qkv, spans);
        let attended = layer.attention_out.apply(
            context,
            rows,
            Then::AddAndNorm(&x, &layer.attention_norm, self.eps),
        )?;
        let up = layer.up.apply(attended.clone(), rows, Then::Gelu)?;
        layer.down.apply(
            up,
            rows,
            Then::AddAndNorm(&attended, &layer.output_norm, self.eps),
        )
    }

    /// Scaled dot-product attention of every sequence with itself, head by head.
    fn attention(&self, qkv: &[f32], spans: &[(usize, usize)]) -> Vec<f32> {
        let h = self.hidden;
        let head_dim = h / self.heads;
        let scale = 1.0 / (head_dim as f32).sqrt();
        let total = spans.last().map_or(0, |&(s, l)| s + l);
        let mut context = vec![0f32; total * h];
        // Each sequence writes only its own rows: split the output accordingly.
        let mut parts = Vec::with_capacity(spans.len());
        let mut rest = context.as_mut_slice();
        for &(start, len) in spans {
            let (mine, tail) = rest.split_at_mut(len * h);
            parts.push((start, len, mine));
            rest = tail;
        }
        let arch = pulp::Arch::new();
        parts.into_par_iter().for_each(|(start, len, out)| {
            arch.dispatch(|| {
                let row = |i: usize| &qkv[(start + i) * 3 * h..(start + i + 1) * 3 * h];
                let mut scores = vec![0f32; len];
                for head in 0..self.heads {
                    let (q_at, k_at, v_at) = (
                        head * head_dim,
                        h + head * head_dim,
                        2 * h + head * head_dim,
                    );
                    for i in 0..len {
                        let q = &row(i)[q_at..q_at + head_dim];
                        for (j, s) in scores.iter_mut().enumerate() {
                            *s = dot(q, &row(j)[k_at..k_at + head_dim]) * scale;
                        }
                        softmax(&mut scores);
                        let o = &mut out[i * h + q_at..i * h + q_at + head_dim];
                        for (j, &p) in scores.iter().enumerate() {
                            for (o, v) in o.iter_mut().zip(&row(j)[v_at..v_at + head_dim]) {
                                *o += p * v;
                            }
                        }
                    }
                }
            })
        });
        context
    }

    fn pool(&self, tokens: &[f32]) -> Vec<f32> {
        let count = (tokens.len() / self.hidden).max(1) as f32;
        let mut v = vec![0f32; self.hidden];
        for row in tokens.chunks_exact(self.hidden) {
            for (a, x) in v.iter_mut().zip(row) {
                *a += x;
            }
        }
        v.iter_mut().for_each(|a| *a /= count);
        v
    }
}

#[inline(always)]
fn softmax(scores: &mut [f32]) {
    let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for s in scores.iter_mut() {
        *s = exp(*s - max);
        sum += *s;
    }
    let inv = 1.0 / sum;
    scores.iter_mut().for_each(|s| *s *= inv);
}

/// `(first row, length)` of each sequence once packed end to end.
fn spans(sequences: &[Vec<u32>]) -> Vec<(usize, usize)> {
    let mut start = 0;
    sequences
        .iter()
        .map(|s| {
            let span = (start, s.len());
            start += s.len();
            span
        })
        .collect()
}
