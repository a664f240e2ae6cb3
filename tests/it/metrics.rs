//! `GET /metrics`: Prometheus text, route templates as labels, job and model counters, the
//! cluster's queue gauges from the database, and who may scrape.

use std::time::Duration;

use crate::harness::{TestApp, problem};

/// The value of the first sample named `name` whose labels include every `label="value"`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| {
            l.split(['{', ' '])
                .next()
                .is_some_and(|metric| metric == name)
        })
        .find(|l| labels.iter().all(|want| l.contains(want)))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let res = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    res.text().await.unwrap()
}

#[tokio::test]
async fn requests_are_counted_by_route_template_and_jobs_by_kind_and_outcome() {
    let app = TestApp::demo().await;
    let status = app.cluster().await;
    let missing = uuid::Uuid::new_v4();
    for _ in 0..3 {
        let res = app.get(&format!("/jobs/{missing}"), &app.admin_token).await;
        assert_eq!(res.status(), 404);
    }
    assert_eq!(
        app.get("/themes?limit=5", &app.admin_token).await.status(),
        200
    );

    let text = scrape(&app).await;
    let jobs_404 = sample(
        &text,
        "produck_http_requests_total",
        &[
            r#"method="GET""#,
            r#"route="/jobs/{id}""#,
            r#"status="404""#,
        ],
    );
    assert_eq!(jobs_404, Some(3.0), "{text}");
    assert!(
        !text.contains(&missing.to_string()),
        "a raw path leaked into the labels"
    );
    assert!(
        sample(
            &text,
            "produck_http_request_duration_seconds_count",
            &[r#"route="/themes""#]
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    let embedded = sample(&text, "produck_embedded_texts_total", &[]).unwrap_or(0.0);
    assert!(embedded >= 60.0, "demo items embedded: {embedded}");
    for kind in ["embed", "cluster"] {
        let done = sample(
            &text,
            "produck_jobs_finished_total",
            &[&format!(r#"kind="{kind}""#), r#"outcome="completed""#],
        );
        assert!(done.is_some_and(|n| n >= 1.0), "{kind}: {text}");
        let waited = sample(
            &text,
            "produck_job_queue_wait_seconds_count",
            &[&format!(r#"kind="{kind}""#)],
        );
        assert!(
            waited.is_some_and(|n| n >= 1.0),
            "{kind} queue wait: {text}"
        );
    }
    // No provider is configured in tests: every insight came from the fallback writer.
    let fallbacks = sample(
        &text,
        "produck_ai_fallback_answers_total",
        &[r#"agent="insight_writer""#],
    );
    assert_eq!(fallbacks, status["themes_created"].as_f64(), "{status}");
    assert_eq!(
        sample(&text, "produck_jobs_queued", &[r#"kind="cluster""#]),
        Some(0.0)
    );
}

#[tokio::test]
async fn queue_gauges_come_from_the_database_whichever_replica_answers() {
    // No worker: what is enqueued stays queued.
    let app = TestApp::spawn().await;
    let (_, other) = app.other_workspace().await;
    for token in [&app.admin_token, &other] {
        let res = app.post("/cluster/run", token).await;
        assert!(res.status().is_success(), "{}", res.status());
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let text = scrape(&app).await;
    assert_eq!(
        sample(&text, "produck_jobs_queued", &[r#"kind="cluster""#]),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "produck_jobs_due", &[r#"kind="cluster""#]),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, "produck_jobs_running", &[r#"kind="cluster""#]),
        Some(0.0)
    );
    let age = sample(
        &text,
        "produck_jobs_oldest_queued_age_seconds",
        &[r#"kind="cluster""#],
    );
    assert!(age.is_some_and(|a| (1.0..60.0).contains(&a)), "{age:?}");
    // Idle kinds are present as zero.
    assert_eq!(
        sample(&text, "produck_jobs_queued", &[r#"kind="embed""#]),
        Some(0.0)
    );
}

#[tokio::test]
async fn with_a_token_configured_scrapes_must_carry_it() {
    let token = "scrape-token-0123456789";
    let app = TestApp::builder()
        .env("PRODUCK__METRICS__TOKEN", token)
        .spawn()
        .await;
    let bare = app.http.get(app.url("/metrics")).send().await.unwrap();
    problem(bare, 401, "unauthorized").await;
    // A user's token is not the scrape token.
    problem(
        app.get("/metrics", &app.admin_token).await,
        401,
        "unauthorized",
    )
    .await;
    let ok = app.get("/metrics", token).await;
    assert_eq!(ok.status(), 200);
    assert!(
        ok.text()
            .await
            .unwrap()
            .contains("# TYPE produck_jobs_queued gauge")
    );
}
