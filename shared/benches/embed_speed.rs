//! The local embedding model alone: texts/s and tokens/s, batched as the embed job batches.
//!   cargo bench -p shared --bench embed_speed [-- path/to/file.csv] [--limit N] [--batch N]
//! With a CSV (a `text` column, e.g. Banking77's train.csv) it embeds those texts; without
//! one, 4 096 short generated feedback lines. The target is sentence-transformers on
//! PyTorch on the same CPU: 236 texts/s for Banking77's short texts on the 2-core machine.

use std::{path::PathBuf, time::Instant};

use shared::ai::embeddings::local::MiniLm;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn texts() -> (Vec<String>, String) {
    let limit: usize = arg("--limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let path = std::env::args().skip(1).find(|a| a.ends_with(".csv"));
    if let Some(path) = path {
        let mut reader = csv::Reader::from_path(&path).expect("readable CSV");
        let headers = reader.headers().expect("header").clone();
        let col = headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case("text"))
            .expect("a text column");
        let texts = reader
            .records()
            .take(limit)
            .map(|r| r.expect("row")[col].to_owned())
            .collect();
        return (texts, path);
    }
    const LINES: &[&str] = &[
        "the CSV export times out on large reports",
        "we need SAML single sign-on before rolling out to the whole company",
        "the dashboard takes twenty seconds to load every morning",
        "the iPad app crashes when a ticket has many attachments",
        "please add a dark mode for night shifts",
        "we got surprise API overage charges this month",
        "bulk import from spreadsheets would save our team hours",
        "search ranks archived items above current ones",
    ];
    let texts = (0..limit.min(4096))
        .map(|i| format!("Customer {i}: {}", LINES[i % LINES.len()]))
        .collect();
    (texts, "generated".into())
}

fn main() {
    let (texts, from) = texts();
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2");
    let model =
        MiniLm::load(&dir, "all-MiniLM-L6-v2").expect("model files (run scripts/fetch-model.sh)");
    let batch: usize = arg("--batch").and_then(|v| v.parse().ok()).unwrap_or(256);
    // Warm-up: first-touch of weights and thread pools is not the steady state.
    model
        .embed_blocking(&texts[..texts.len().min(64)])
        .expect("embedding");
    let tokens = model.count_tokens(&texts);
    let started = Instant::now();
    for chunk in texts.chunks(batch) {
        model.embed_blocking(chunk).expect("embedding");
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "embed_speed: {} texts from {from} ({:.1} tokens each) in batches of {batch}: {:.0} texts/s, {:.0} tokens/s \
         (target >= 236 texts/s on Banking77, sentence-transformers on PyTorch here)",
        texts.len(),
        tokens as f64 / texts.len() as f64,
        texts.len() as f64 / secs,
        tokens as f64 / secs,
    );
}
