//! Ingestion benchmarks against real PostgreSQL and Redis, printed as throughput:
//!   cargo bench -p api --bench ingest            (all)
//!   cargo bench -p api --bench ingest -- csv     (only the CSV throughput run)
//!   cargo bench -p api --bench ingest -- embedded-upload --file train.csv
//!                                               (upload that CSV, e.g. Banking77's first 10 000
//!                                                rows, instead of the generated one)
//! 1. CSV ingest end to end (HTTP upload -> worker parse -> redact, sentiment, upsert), no embeddings.
//! 2. A 10 000-row CSV upload with local MiniLM embeddings included.
//! 3. Local embedding throughput, batched and one text at a time.

use std::time::{Duration, Instant};

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use shared::ai::embeddings::local::MiniLm;
use test_support::{TestApp, rss};
use worker::JobRegistry;

const TOPICS: &[&str] = &[
    "the CSV export times out on large reports",
    "we need SAML single sign-on before rolling out",
    "the dashboard takes twenty seconds to load",
    "the iPad app crashes with many attachments",
    "please add a dark mode for night shifts",
    "we got surprise API overage charges",
    "bulk import from spreadsheets would save hours",
    "search ranks archived items above current ones",
    "webhooks are dropped without retries",
    "auditors need read-only roles",
];

fn csv(rows: usize) -> Vec<u8> {
    let mut out = String::from("customer,acv,feedback,date\n");
    for i in 0..rows {
        let topic = TOPICS[i % TOPICS.len()];
        out.push_str(&format!(
            "Account {},{}k,\"Row {i}: {topic}; contact ops{i}@example.com or 555-{:03}-{:04}.\",2026-{:02}-{:02}\n",
            i % 50,
            10 + (i % 50) * 20,
            i % 1000,
            i % 10000,
            1 + i % 12,
            1 + i % 28
        ));
    }
    out.into_bytes()
}

async fn upload_and_wait(app: &TestApp, name: &str, bytes: Vec<u8>) -> (Duration, Value) {
    let started = Instant::now();
    let form = Form::new().part("files", Part::bytes(bytes).file_name(name.to_owned()));
    let res = app
        .http
        .post(app.url("/upload/upload-feedback"))
        .bearer_auth(&app.admin_token)
        .header("prefer", "respond-async")
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let body: Value = res.json().await.expect("upload body");
    let job: uuid::Uuid = body["files"][0]["job_id"]
        .as_str()
        .expect("job id")
        .parse()
        .expect("uuid");
    let done = app.wait_job(job, Duration::from_secs(600)).await;
    assert_eq!(done.status, "completed", "{done:?}");
    (started.elapsed(), done.result.unwrap_or_default())
}

async fn csv_throughput(rows: usize) {
    // Only the file job is registered: embeddings are excluded from this measurement.
    let registry = JobRegistry::production();
    let only_files = JobRegistry::empty().register("process_file", move |ctx| {
        let handler = registry.get("process_file").expect("process_file");
        async move { handler.run(ctx).await }
    });
    let app = TestApp::builder()
        .env("PRODUCK__JOBS__SYNC_WAIT_SECS", "1")
        .env("PRODUCK__JOBS__KINDS__PROCESS_FILE__TIMEOUT_SECS", "600")
        .workers(1, only_files)
        .spawn()
        .await;
    let bytes = csv(rows);
    let mb = bytes.len() as f64 / 1e6;
    let (elapsed, result) = upload_and_wait(&app, "bench.csv", bytes).await;
    assert_eq!(result["items"].as_u64(), Some(rows as u64));
    println!(
        "csv ingest end to end: {rows} rows ({mb:.1} MB) in {:.2} s = {:.0} rows/s (embeddings excluded; parse {} s, store {} s)",
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64(),
        result["parse_seconds"],
        result["store_seconds"]
    );
}

async fn csv_with_embeddings(rows: usize) {
    let app = TestApp::builder()
        .workers(1, JobRegistry::production())
        .spawn()
        .await;
    let file = std::env::args()
        .skip_while(|a| a != "--file")
        .nth(1)
        .map(|path| std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}")));
    let (name, bytes) = match file {
        Some(bytes) => ("given.csv", bytes),
        None => ("bench.csv", csv(rows)),
    };
    let started = Instant::now();
    let (parsed, stored) = upload_and_wait(&app, name, bytes).await;
    let rows = stored["created"].as_u64().map_or(rows, |n| n as usize);
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let pending =
            shared::services::embedding::pending(app.db(), app.workspace_id, "all-MiniLM-L6-v2")
                .await
                .unwrap();
        if pending == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "embedding did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let total = started.elapsed().as_secs_f64();
    let embed_secs = total - parsed.as_secs_f64();
    println!(
        "csv upload with local embeddings: {rows} rows stored in {:.2} s, embedded by {total:.2} s = {:.0} rows/s end to end \
         ({:.1}x the original's 47 rows/s); process peak RSS {} MB",
        parsed.as_secs_f64(),
        rows as f64 / total,
        rows as f64 / total / 47.0,
        rss::rss_kb("VmHWM:") / 1024
    );
    // The model alone on exactly the texts the job embedded (redacted, as stored), in the
    // same process, for the product-path ratio.
    use sea_orm::{EntityTrait, QuerySelect};
    let texts: Vec<String> = shared::entities::feedback::Entity::find()
        .select_only()
        .column(shared::entities::feedback::Column::Text)
        .into_tuple()
        .all(app.db())
        .await
        .unwrap();
    drop(app);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2");
    let model = MiniLm::load(&dir, "all-MiniLM-L6-v2").expect("model files");
    let alone = tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        model.embed_blocking(&texts).expect("embedding");
        texts.len() as f64 / started.elapsed().as_secs_f64()
    })
    .await
    .unwrap();
    let product = rows as f64 / embed_secs;
    println!(
        "embedding through the product path (upload -> process_file -> embed job): {product:.0} texts/s; \
         the model alone on the same texts: {alone:.0} texts/s; ratio {:.2} (target >= 0.80)",
        product / alone
    );
}

fn embedding_throughput() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/all-MiniLM-L6-v2");
    let model =
        MiniLm::load(&dir, "all-MiniLM-L6-v2").expect("model files (run scripts/fetch-model.sh)");
    let texts: Vec<String> = (0..1024)
        .map(|i| format!("Row {i}: {}", TOPICS[i % TOPICS.len()]))
        .collect();
    let before = rss::rss_kb("VmRSS:");
    let started = Instant::now();
    model.embed_blocking(&texts).expect("embedding");
    let batch = started.elapsed().as_secs_f64();
    let started = Instant::now();
    for t in texts.iter().take(128) {
        model
            .embed_blocking(std::slice::from_ref(t))
            .expect("embedding");
    }
    let single = started.elapsed().as_secs_f64();
    println!(
        "local embeddings: batched {:.0} texts/s, one at a time {:.0} texts/s ({:.1} ms each); RSS {} MB -> peak {} MB",
        texts.len() as f64 / batch,
        128.0 / single,
        single * 1000.0 / 128.0,
        before / 1024,
        rss::rss_kb("VmHWM:") / 1024
    );
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter: Vec<String> = args
        .iter()
        .enumerate()
        .filter(|(i, a)| !a.starts_with('-') && (*i == 0 || args[i - 1] != "--file"))
        .map(|(_, a)| a.clone())
        .collect();
    let wants = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
    if wants("csv") {
        csv_throughput(100_000).await;
    }
    if wants("embedded-upload") {
        csv_with_embeddings(10_000).await;
    }
    if wants("embeddings") {
        tokio::task::spawn_blocking(embedding_throughput)
            .await
            .expect("bench thread");
    }
}
