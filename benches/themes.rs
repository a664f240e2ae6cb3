//! Clustering + labelling + scoring of pre-embedded feedback through the production
//! pipeline (PostgreSQL in, themes and insights out), with the process's peak RSS:
//!   cargo bench -p api --bench themes -- path/to/texts.csv     (a `text` column; 10 000 rows used)

use std::time::Instant;

use shared::services::feedback::NewFeedback;
use test_support::{corpus, rss, synthetic};

#[tokio::main]
async fn main() {
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .expect("usage: themes <file.csv with a text column>");
    let (app, ws, texts) = corpus::app_with_texts(&path, Some(10_000)).await;
    let items: Vec<NewFeedback> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| NewFeedback {
            source: "api",
            source_id: format!("bench-{i}"),
            text: t.clone(),
            account: Some(format!("Account {}", i % 40)),
            created_at: Some(chrono::Utc::now() - chrono::Duration::days((i % 90) as i64)),
            meta: serde_json::json!({}),
            ..Default::default()
        })
        .collect();
    corpus::ingest_embedded(&app, &ws, items).await;
    let rss_before = rss::rss_kb("VmRSS:");
    let started = Instant::now();
    let summary = synthetic::cluster(&app).await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "themes from {} pre-embedded items: {} themes, {:.1}% coverage in {secs:.2} s (clustering + labelling + scoring + write); \
         RSS before {} MB, process peak {} MB",
        summary.items,
        summary.themes,
        summary.coverage * 100.0,
        rss_before / 1024,
        rss::rss_kb("VmHWM:") / 1024
    );
}
