//! `POST /chat` as a PM meets it (release build, real HTTP API, no LLM so the timing is the
//! product's: retrieval with the local model embedding each question, the rule-based answer,
//! citations and the conversation write):
//!   cargo bench -p api --bench chat -- [--items 100000] [--requests 300] [--concurrency 8]
//! Without `--items` the workspace is the demo data set, clustered; with it, that many
//! synthetic feedback items (see `synthetic.rs`), clustered. Prints retrieval latency alone,
//! answer latency one at a time, time to the first streamed event and to the first delta,
//! and throughput with concurrent callers.

use std::time::{Duration, Instant};

use serde_json::json;
use shared::{ai::runs::RunContext, services::chat::retrieval};
use test_support::{TestApp, cli, rss, synthetic};

const QUESTIONS: [&str; 6] = [
    "What are our enterprise blockers?",
    "What should we focus on this quarter?",
    "What are customers saying about exports?",
    "Which complaints come up most?",
    "Why does the card keep failing?",
    "Is the dashboard too slow for big teams?",
];

async fn ask(app: &TestApp, i: usize) -> Duration {
    let t = Instant::now();
    let res = app
        .post_json(
            "/chat",
            &app.admin_token,
            &json!({"message": QUESTIONS[i % QUESTIONS.len()]}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let _ = res.bytes().await.unwrap();
    t.elapsed()
}

/// Time to the first event and to the first `delta` of a streamed answer.
async fn ask_streaming(app: &TestApp, i: usize) -> (Duration, Duration) {
    let t = Instant::now();
    let mut res = app
        .post_json(
            "/chat",
            &app.admin_token,
            &json!({"message": QUESTIONS[i % QUESTIONS.len()], "stream": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let (mut first, mut first_delta) = (None, None);
    let mut body = String::new();
    while let Some(chunk) = res.chunk().await.unwrap() {
        first.get_or_insert_with(|| t.elapsed());
        body.push_str(std::str::from_utf8(&chunk).unwrap());
        if first_delta.is_none() && body.contains("\"type\":\"delta\"") {
            first_delta = Some(t.elapsed());
        }
    }
    assert!(body.contains("\"type\":\"done\""), "{body}");
    (first.unwrap(), first_delta.expect("a delta"))
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

fn summary(mut d: Vec<Duration>) -> String {
    d.sort();
    format!(
        "p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms",
        pct(&d, 0.5),
        pct(&d, 0.95),
        pct(&d, 0.99)
    )
}

#[tokio::main]
async fn main() {
    let items = cli::number("--items", 0);
    let requests = cli::number("--requests", 300);
    let concurrency = cli::number("--concurrency", 8);
    let app = TestApp::builder()
        .env("PRODUCK__CHAT__QUESTIONS_PER_MINUTE", "1000000")
        .env("PRODUCK__CHAT__MAX_ACTIVE_CONVERSATIONS", "1000000")
        .bench_database(20)
        .workers(1, worker::JobRegistry::production())
        .spawn()
        .await;
    let data = if items == 0 {
        app.load_demo().await;
        app.wait_all_embedded(Duration::from_secs(120)).await;
        app.cluster().await;
        "demo data".to_owned()
    } else {
        synthetic::seed(&app, items).await;
        let s = synthetic::cluster(&app).await;
        format!("{items} feedback items, {} themes", s.themes)
    };
    ask(&app, 0).await; // loads the model once

    let run = RunContext::for_workspace(app.workspace_id, "bench");
    let mut gather = Vec::with_capacity(requests);
    for i in 0..requests {
        let t = Instant::now();
        let context = retrieval::gather(
            app.db(),
            &app.state.ai,
            &run,
            app.workspace_id,
            QUESTIONS[i % QUESTIONS.len()],
            None,
        )
        .await
        .unwrap();
        assert!(!context.passages.is_empty());
        gather.push(t.elapsed());
    }
    println!(
        "retrieval alone ({requests} questions, {data}; the local model embeds each question): {}",
        summary(gather)
    );

    let mut one = Vec::with_capacity(requests);
    for i in 0..requests {
        one.push(ask(&app, i).await);
    }
    println!(
        "POST /chat one at a time (rule-based answers): {}",
        summary(one)
    );

    let (mut first, mut delta) = (Vec::new(), Vec::new());
    for i in 0..requests {
        let (f, d) = ask_streaming(&app, i).await;
        first.push(f);
        delta.push(d);
    }
    println!(
        "POST /chat streamed (fallback path): first event {}; first delta {}",
        summary(first),
        summary(delta)
    );

    let t = Instant::now();
    let mut all: Vec<Duration> = Vec::with_capacity(requests);
    for chunk in (0..requests).collect::<Vec<_>>().chunks(concurrency) {
        let batch = futures::future::join_all(chunk.iter().map(|i| ask(&app, *i))).await;
        all.extend(batch);
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "POST /chat with {concurrency} concurrent callers: {:.0} answers/s, {}",
        requests as f64 / secs,
        summary(all)
    );
    println!(
        "peak RSS of the process (API + worker + model + bench): {} MB",
        rss::rss_kb("VmHWM:") / 1024
    );
}
