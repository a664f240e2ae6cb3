//! `POST /chat` as a PM meets it (release build, real HTTP API, demo data clustered, no
//! LLM so the timing is the product's: retrieval with the local model embedding each
//! question, the rule-based answer, citations and the conversation write):
//!   cargo bench -p api --bench chat -- [--requests 300] [--concurrency 8]
//! Prints latency percentiles one request at a time and throughput with concurrent callers.

mod support;

#[path = "../tests/it/harness/mod.rs"]
#[allow(dead_code)]
mod harness;

use std::time::{Duration, Instant};

use harness::TestApp;
use serde_json::json;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(default)
}

const QUESTIONS: [&str; 4] = [
    "What are our enterprise blockers?",
    "What should we focus on this quarter?",
    "What are customers saying about exports?",
    "Which complaints come up most?",
];

async fn ask(app: &TestApp, i: usize) -> Duration {
    let t = Instant::now();
    let res = app
        .http
        .post(app.url("/chat"))
        .bearer_auth(&app.admin_token)
        .json(&json!({"message": QUESTIONS[i % QUESTIONS.len()]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let _ = res.bytes().await.unwrap();
    t.elapsed()
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let requests = arg("--requests", 300);
    let concurrency = arg("--concurrency", 8);
    let app = TestApp::builder()
        .env("PRODUCK__CHAT__QUESTIONS_PER_MINUTE", "1000000")
        .env("PRODUCK__CHAT__MAX_ACTIVE_CONVERSATIONS", "1000000")
        .env("PRODUCK__DATABASE__MAX_CONNECTIONS", "20")
        .workers(1, worker::JobRegistry::production())
        .spawn()
        .await;
    app.load_demo().await;
    app.wait_all_embedded(Duration::from_secs(120)).await;
    app.cluster().await;
    ask(&app, 0).await; // loads the model once
    let mut one: Vec<Duration> = Vec::with_capacity(requests);
    for i in 0..requests {
        one.push(ask(&app, i).await);
    }
    one.sort();
    println!(
        "POST /chat one at a time ({requests} questions, demo data, rule-based answers): p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        pct(&one, 0.5),
        pct(&one, 0.95),
        pct(&one, 0.99)
    );
    let t = Instant::now();
    let mut all: Vec<Duration> = Vec::with_capacity(requests);
    for chunk in (0..requests).collect::<Vec<_>>().chunks(concurrency) {
        let batch = futures::future::join_all(chunk.iter().map(|i| ask(&app, *i))).await;
        all.extend(batch);
    }
    let secs = t.elapsed().as_secs_f64();
    all.sort();
    println!(
        "POST /chat with {concurrency} concurrent callers: {:.0} answers/s, p50 {:.1} ms, p95 {:.1} ms",
        requests as f64 / secs,
        pct(&all, 0.5),
        pct(&all, 0.95)
    );
    println!(
        "peak RSS of the process (API + worker + model + bench): {} MB",
        support::rss_kb("VmHWM:") / 1024
    );
}
