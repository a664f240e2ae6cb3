use serde_json::{Value, json};

use crate::harness::{TestApp, problem};

fn header<'r>(res: &'r reqwest::Response, name: &str) -> &'r str {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn each_caller_has_its_own_allowance_and_is_told_when_to_come_back() {
    let app = TestApp::builder()
        .env("PRODUCK__RATE_LIMITS__READS_PER_MINUTE", "3")
        .spawn()
        .await;
    for left in [2, 1, 0] {
        let res = app.get("/themes", &app.admin_token).await;
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "ratelimit-policy"), "\"reads\";q=3;w=60");
        assert!(
            header(&res, "ratelimit").starts_with(&format!("\"reads\";r={left};t=")),
            "{}",
            header(&res, "ratelimit")
        );
    }
    let refused = app.get("/feedback", &app.admin_token).await;
    let retry: u64 = header(&refused, "retry-after").parse().unwrap();
    assert!(
        (1..=20).contains(&retry),
        "one request frees up every 20 s: {retry}"
    );
    assert!(header(&refused, "ratelimit").starts_with("\"reads\";r=0;t="));
    let body = problem(refused, 429, "rate_limited").await;
    assert!(body["detail"].as_str().unwrap().contains("3 per minute"));

    // Another credential has its own allowance; probes are never limited; writes are
    // another class.
    let key: Value = app
        .post_json("/api-keys", &app.admin_token, &json!({"name": "script"}))
        .await
        .json()
        .await
        .unwrap();
    let key = key["key"].as_str().unwrap();
    assert_eq!(app.get("/themes", key).await.status(), 200);
    for _ in 0..5 {
        assert_eq!(app.get("/healthz", "").await.status(), 200);
    }
}

#[tokio::test]
async fn junk_credentials_spend_the_client_address_allowance() {
    let app = TestApp::builder()
        .env("PRODUCK__RATE_LIMITS__READS_PER_MINUTE", "3")
        .spawn()
        .await;
    for i in 0..3 {
        let res = app.get("/themes", &format!("pk_made_up_{i}")).await;
        assert_eq!(res.status(), 401);
    }
    // Fresh junk tokens no longer buy fresh allowances from this address.
    problem(
        app.get("/themes", "pk_made_up_4").await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn without_redis_reads_go_through_unlimited_and_sign_in_is_refused() {
    let app = TestApp::builder()
        .env("PRODUCK__AUTH__DISABLED", "true")
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .env("PRODUCK__RATE_LIMITS__READS_PER_MINUTE", "1")
        .env("PRODUCK__RATE_LIMITS__WRITES_PER_MINUTE", "1")
        .spawn()
        .await;
    for _ in 0..3 {
        let res = app.get("/themes", "").await;
        assert_eq!(res.status(), 200);
        assert!(res.headers().get("ratelimit").is_none());
    }
    let login = app.login("admin@example.com", "whatever-password").await;
    assert_eq!(header(&login, "retry-after"), "5");
    problem(login, 503, "upstream_unavailable").await;
}
