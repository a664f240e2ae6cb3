//! Synthetic workspaces for the benchmarks: feedback over 60 topics (a fifth of it mentions
//! "card"), 300 customers, and topic-shaped 384-d vectors, so timings are the product's and
//! not the embedding model's.

use sea_orm::ConnectionTrait;
use shared::{
    jobs::CancelFlag,
    services::{
        feedback::{self, NewFeedback},
        themes::{self, ClusterSummary},
        workspaces,
    },
};

use crate::TestApp;

pub const TOPICS: usize = 60;
pub const DIM: usize = 384;
pub const MODEL: &str = "all-MiniLM-L6-v2";

/// A small deterministic generator (no dependency on the rand crate's versions).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn unit(&mut self) -> f32 {
        (self.next() % 1_000_000) as f32 / 1_000_000.0 - 0.5
    }
}

const SUBJECTS: [&str; 12] = [
    "card",
    "export",
    "dashboard",
    "login",
    "search",
    "invoice",
    "mobile app",
    "report",
    "integration",
    "notification",
    "permission",
    "import",
];
const PROBLEMS: [&str; 5] = [
    "is too slow",
    "keeps failing",
    "needs a bulk option",
    "shows the wrong totals",
    "is confusing",
];

pub fn text_for(topic: usize, i: usize) -> String {
    // Topics 0-11 are about cards: a fifth of all items match "card".
    let subject = if topic < TOPICS / 5 {
        "card"
    } else {
        SUBJECTS[1 + topic % (SUBJECTS.len() - 1)]
    };
    let problem = PROBLEMS[topic % PROBLEMS.len()];
    format!(
        "The {subject} {problem} for team {} since last week (topic {topic}, note {i})",
        i % 97
    )
}

/// `n` feedback items over `TOPICS` topics and 300 customers, with topic-shaped vectors of
/// `MODEL` written straight to the rows.
pub async fn seed(app: &TestApp, n: usize) {
    let ws = workspaces::get(app.db(), app.workspace_id).await.unwrap();
    let mut rng = Lcg(42);
    let centers: Vec<Vec<f32>> = (0..TOPICS)
        .map(|_| (0..DIM).map(|_| rng.unit()).collect())
        .collect();
    for start in (0..n).step_by(5000) {
        let batch: Vec<NewFeedback> = (start..(start + 5000).min(n))
            .map(|i| NewFeedback {
                source: "api",
                source_id: format!("scale-{i}"),
                text: text_for(i % TOPICS, i),
                account: Some(format!("Account {}", i % 300)),
                customer_facts: shared::services::customers::CustomerFacts {
                    acv: Some(5_000.0 + ((i % 300) as f64) * 3_000.0),
                    ..Default::default()
                },
                created_at: Some(chrono::Utc::now() - chrono::Duration::hours((i % 2000) as i64)),
                meta: serde_json::json!({}),
                ..Default::default()
            })
            .collect();
        feedback::ingest(app.db(), &ws, batch).await.unwrap();
    }
    // Topic-shaped vectors written straight to the rows, in id order.
    let ids: Vec<(uuid::Uuid, String, String)> = app
        .db()
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT id, source_id, text FROM feedback WHERE workspace_id = $1",
            [app.workspace_id.into()],
        ))
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get("", "id").unwrap(),
                r.try_get("", "source_id").unwrap(),
                r.try_get("", "text").unwrap(),
            )
        })
        .collect();
    for chunk in ids.chunks(5000) {
        let vectors: Vec<(uuid::Uuid, &str, Vec<f32>)> = chunk
            .iter()
            .map(|(id, source_id, text)| {
                let i: usize = source_id.trim_start_matches("scale-").parse().unwrap();
                let mut v: Vec<f32> = centers[i % TOPICS]
                    .iter()
                    .map(|c| c + 0.12 * rng.unit())
                    .collect();
                shared::ai::embeddings::normalise(&mut v);
                (*id, text.as_str(), v)
            })
            .collect();
        let items: Vec<_> = vectors
            .iter()
            .map(|(id, text, v)| (*id, *text, v.as_slice()))
            .collect();
        shared::services::embedding::store_vectors(app.db(), MODEL, &items)
            .await
            .unwrap();
    }
    app.db().execute_unprepared("ANALYZE").await.unwrap();
}

/// Clusters the seeded vectors through the production pipeline (insights by the rules).
pub async fn cluster(app: &TestApp) -> ClusterSummary {
    themes::run_clustering(
        app.db(),
        app.workspace_id,
        MODEL,
        app.settings.clustering.params(),
        None,
        &CancelFlag::new(),
        |_, _| async {},
    )
    .await
    .unwrap()
}
