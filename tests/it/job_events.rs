//! `/jobs/{id}/events` and `/cluster/events`: progress as Server-Sent Events, woken by
//! PostgreSQL notifications, ending with the outcome.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    harness::{TestApp, problem},
    jobs::test_registry,
};

/// (event name, data) of every event of a finished stream; comments are skipped.
fn named_events(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = "message".to_owned();
            let mut data = None;
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_owned();
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(d).ok();
                }
            }
            data.map(|d| (name, d))
        })
        .collect()
}

async fn follow(app: &TestApp, path: &str) -> reqwest::Response {
    let res = app.get(path, &app.admin_token).await;
    assert_eq!(res.status(), 200, "{path}");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    res
}

async fn read_to_end(res: reqwest::Response) -> Vec<(String, Value)> {
    let body = tokio::time::timeout(Duration::from_secs(30), res.text())
        .await
        .expect("the stream did not end after the job finished")
        .unwrap();
    named_events(&body)
}

#[tokio::test]
async fn a_job_stream_shows_each_change_once_and_ends_with_the_outcome() {
    // No worker yet: the stream opens on a queued job.
    let mut app = TestApp::builder().workers(0, test_registry()).spawn().await;
    let id = app.start("test_slow", json!({"ms": 600})).await;
    let res = follow(&app, &format!("/jobs/{id}/events")).await;
    app.add_worker();
    let events = read_to_end(res).await;

    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"progress"), "{events:?}");
    assert_eq!(events[0].1["status"], "queued");
    assert_eq!(names.last(), Some(&"completed"), "{events:?}");
    assert!(
        events.iter().any(|(_, d)| d["status"] == "running"
            && d["progress"] == 50
            && d["message"] == "half way"),
        "{events:?}"
    );
    let last = &events.last().unwrap().1;
    assert_eq!(last["id"], id.to_string());
    assert_eq!(last["progress"], 100);
    assert_eq!(last["result"]["slept_ms"], 600);
    for pair in events.windows(2) {
        assert_ne!(pair[0].1, pair[1].1, "the same state was sent twice");
    }
}

#[tokio::test]
async fn a_failing_job_ends_its_stream_with_the_failure() {
    let app = TestApp::builder().workers(1, test_registry()).spawn().await;
    let id = app.start("test_permanent", json!({})).await;
    let events = read_to_end(follow(&app, &format!("/jobs/{id}/events")).await).await;
    let (name, data) = events.last().expect("events");
    assert_eq!(name, "failed");
    assert_eq!(data["error"], "the file is not a CSV");
    // A stream opened after the end is the final event alone.
    let again = read_to_end(follow(&app, &format!("/jobs/{id}/events")).await).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].0, "failed");
}

#[tokio::test]
async fn another_workspaces_job_cannot_be_followed() {
    let app = TestApp::builder().workers(0, test_registry()).spawn().await;
    let id = app.start("test_echo", json!({})).await;
    let (_, other) = app.other_workspace().await;
    let res = app.get(&format!("/jobs/{id}/events"), &other).await;
    problem(res, 404, "not_found").await;
    let anonymous = app
        .http
        .get(app.url(&format!("/jobs/{id}/events")))
        .send()
        .await
        .unwrap();
    problem(anonymous, 401, "unauthorized").await;
}

#[tokio::test]
async fn the_clustering_stream_follows_a_run_to_its_end() {
    let app = TestApp::demo().await;
    // Nothing running: the current state, as the final event.
    let idle = read_to_end(follow(&app, "/cluster/events").await).await;
    assert_eq!(idle.len(), 1, "{idle:?}");
    assert_eq!(idle[0].0, "end");
    assert_eq!(idle[0].1["status"], "idle");

    let run: Value = app.post_body("/cluster/run", &app.admin_token).await;
    let events = read_to_end(follow(&app, "/cluster/events").await).await;
    assert_eq!(events[0].0, "status", "{events:?}");
    assert_eq!(events[0].1["is_running"], true);
    assert_eq!(events[0].1["task_id"], run["task_id"]);
    let (name, last) = events.last().unwrap();
    assert_eq!(name, "end");
    assert_eq!(last["status"], "completed");
    assert!(
        last["themes_created"].as_u64().is_some_and(|n| n > 0),
        "{last}"
    );
    // Progress steps of the run were streamed, not only its start and end.
    assert!(events.len() >= 3, "{events:?}");
}
