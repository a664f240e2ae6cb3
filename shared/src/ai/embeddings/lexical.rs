//! Deterministic hashing embedder: words and word pairs hashed into 384 signed buckets with
//! sub-linear term weights. No model, no network; similar wording gives similar vectors.

use futures::future::BoxFuture;

use super::{Embedder, normalise};
use crate::ai::AiError;

pub const DIMENSIONS: usize = 384;
pub const MODEL: &str = "lexical-hash-v1";

const STOP_WORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "with", "by",
    "from", "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these",
    "those", "we", "our", "us", "you", "your", "they", "their", "i", "me", "my", "he", "she", "as",
    "so", "do", "does", "did", "have", "has", "had", "can", "could", "would", "should", "will",
    "just", "very", "really", "there", "here", "what", "when", "which",
];

#[derive(Debug, Default, Clone)]
pub struct Lexical;

fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Light stemming so "exports", "exporting" and "export" land together.
fn stem(w: &str) -> &str {
    for suffix in ["ing", "ed", "es", "s"] {
        if let Some(s) = w.strip_suffix(suffix)
            && s.len() >= 3
        {
            return s;
        }
    }
    w
}

pub fn embed_one(text: &str) -> Vec<f32> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 1 && !STOP_WORDS.contains(w))
        .map(stem)
        .collect();
    let mut counts: std::collections::HashMap<String, f32> = std::collections::HashMap::new();
    for w in &words {
        *counts.entry((*w).to_owned()).or_default() += 1.0;
    }
    for pair in words.windows(2) {
        *counts
            .entry(format!("{} {}", pair[0], pair[1]))
            .or_default() += 0.5;
    }
    let mut v = vec![0.0f32; DIMENSIONS];
    for (term, tf) in counts {
        let h = fnv1a(&term);
        let idx = (h % DIMENSIONS as u64) as usize;
        let sign = if (h >> 63) & 1 == 1 { -1.0 } else { 1.0 };
        v[idx] += sign * (1.0 + tf.ln());
    }
    normalise(&mut v);
    v
}

impl Embedder for Lexical {
    fn model(&self) -> &str {
        MODEL
    }

    fn dimensions(&self) -> usize {
        DIMENSIONS
    }

    fn embed<'a>(&'a self, texts: &'a [String]) -> BoxFuture<'a, Result<Vec<Vec<f32>>, AiError>> {
        Box::pin(async move { Ok(texts.iter().map(|t| embed_one(t)).collect()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ai::embeddings::cosine;

    #[test]
    fn similar_wording_is_closer_than_unrelated_text() {
        let a = embed_one("CSV export times out on large reports");
        let b = embed_one("Exporting large reports to CSV keeps timing out");
        let c = embed_one("Please add a dark mode to the mobile app");
        assert!(
            cosine(&a, &b) > cosine(&a, &c) + 0.2,
            "{} vs {}",
            cosine(&a, &b),
            cosine(&a, &c)
        );
        assert_eq!(a.len(), DIMENSIONS);
        assert_eq!(
            a,
            embed_one("CSV export times out on large reports"),
            "deterministic"
        );
    }
}
