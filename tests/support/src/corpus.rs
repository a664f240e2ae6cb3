//! Real text for the benchmarks: a CSV's `text` column (e.g. Banking77) loaded into a test
//! workspace and embedded with the local model.

use sea_orm::EntityTrait;
use shared::{
    ai::embeddings::local::MiniLm,
    entities::workspace,
    services::{
        embedding,
        feedback::{self, NewFeedback},
    },
};

use crate::{TestApp, repo_path};

/// The `text` column of a CSV file, the first `limit` rows when given.
pub fn csv_texts(path: &str, limit: Option<usize>) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).expect("a readable CSV");
    let text_col = reader
        .headers()
        .expect("a header row")
        .iter()
        .position(|h| h == "text")
        .expect("a text column");
    reader
        .records()
        .take(limit.unwrap_or(usize::MAX))
        .map(|r| r.expect("a CSV record")[text_col].to_owned())
        .collect()
}

/// A test app and its workspace, with the `text` column of the CSV at `path` (the first
/// `limit` rows when given) to load into it.
pub async fn app_with_texts(
    path: &str,
    limit: Option<usize>,
) -> (TestApp, workspace::Model, Vec<String>) {
    let texts = csv_texts(path, limit);
    let app = TestApp::spawn().await;
    let ws = app.workspace().await;
    (app, ws, texts)
}

/// The local embedding model from the checkout (`scripts/fetch-model.sh` fetches it).
pub fn local_model() -> MiniLm {
    MiniLm::load(
        &std::path::PathBuf::from(repo_path("models/all-MiniLM-L6-v2")),
        "all-MiniLM-L6-v2",
    )
    .expect("the model (run scripts/fetch-model.sh)")
}

/// Stores `items` in the test workspace and embeds them with the local model.
pub async fn ingest_embedded(app: &TestApp, ws: &workspace::Model, items: Vec<NewFeedback>) {
    feedback::ingest(app.db(), ws, items)
        .await
        .expect("storing the corpus");
    embed_all(app, &local_model()).await;
}

/// Embeds every feedback item of the test workspace that has no vector yet.
pub async fn embed_all(app: &TestApp, model: &MiniLm) {
    while embedding::embed_next_batch(app.db(), app.workspace_id, model, 512)
        .await
        .expect("embedding a batch")
        > 0
    {}
}

impl TestApp {
    /// The test workspace's row.
    pub async fn workspace(&self) -> workspace::Model {
        workspace::Entity::find_by_id(self.workspace_id)
            .one(self.db())
            .await
            .expect("reading the workspace")
            .expect("the test workspace")
    }
}
