//! Clustering + labelling + scoring of pre-embedded feedback through the production
//! pipeline (PostgreSQL in, themes and insights out), with the process's peak RSS:
//!   cargo bench -p api --bench themes -- path/to/texts.csv     (a `text` column; 10 000 rows used)

use test_support::rss;

use std::time::Instant;

use shared::{
    ai::embeddings::local::MiniLm,
    entities::workspace,
    services::{
        embedding,
        feedback::{self, NewFeedback},
        themes,
    },
};
use test_support::TestApp;

#[tokio::main]
async fn main() {
    use sea_orm::EntityTrait;
    let path = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .expect("usage: themes <file.csv with a text column>");
    let mut reader = csv::Reader::from_path(&path).expect("CSV");
    let text_col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "text")
        .expect("text column");
    let texts: Vec<String> = reader
        .records()
        .take(10_000)
        .map(|r| r.unwrap()[text_col].to_owned())
        .collect();
    let app = TestApp::spawn().await;
    let ws = workspace::Entity::find_by_id(app.workspace_id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap();
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
    feedback::ingest(app.db(), &ws, items).await.unwrap();
    let model = MiniLm::load(
        &std::path::PathBuf::from(test_support::repo_path("models/all-MiniLM-L6-v2")),
        "all-MiniLM-L6-v2",
    )
    .expect("model");
    while embedding::embed_next_batch(app.db(), ws.id, &model, 512)
        .await
        .unwrap()
        > 0
    {}
    drop(model);
    let rss_before = rss::rss_kb("VmRSS:");
    let started = Instant::now();
    let summary = themes::run_clustering(
        app.db(),
        ws.id,
        "all-MiniLM-L6-v2",
        app.settings.clustering.params(),
        None,
        &shared::jobs::CancelFlag::new(),
        |_, _| async {},
    )
    .await
    .unwrap();
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
