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

#[tokio::test]
async fn refreshed_tokens_share_their_user_allowance_and_junk_tokens_pay_from_the_address() {
    let app = TestApp::builder()
        .env("PRODUCK__RATE_LIMITS__READS_PER_MINUTE", "3")
        .spawn()
        .await;
    // The harness signed in once already; a second sign-in is the same user.
    let login: Value = app
        .login(crate::harness::ADMIN_EMAIL, crate::harness::ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(app.get("/themes", &app.admin_token).await.status(), 200);
    assert_eq!(
        app.get("/themes", login["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let refreshed: Value = app
        .post_anonymous(
            "/auth/refresh",
            &json!({"refresh_token": login["refresh_token"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let fresh = refreshed["access_token"].as_str().unwrap();
    assert_eq!(app.get("/themes", fresh).await.status(), 200);
    problem(app.get("/themes", fresh).await, 429, "rate_limited").await;

    // Forged access tokens are charged to the address before any handler runs.
    let other = TestApp::builder()
        .env("PRODUCK__RATE_LIMITS__READS_PER_MINUTE", "3")
        .spawn()
        .await;
    for i in 0..3 {
        let forged = format!("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged{i}");
        assert_eq!(other.get("/themes", &forged).await.status(), 401);
    }
    problem(
        other
            .get("/themes", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged4")
            .await,
        429,
        "rate_limited",
    )
    .await;
}

/// A whole-millisecond emission interval capped every limit above 60 000 a minute at 1 000
/// a second: 70 000 checks within a few seconds were refused past ~63 000.
#[tokio::test]
async fn a_limit_of_600_000_a_minute_is_honoured_under_load() {
    use shared::services::request_limits::Class;
    let app = TestApp::builder()
        .env("PRODUCK__RATE_LIMITS__READS_PER_MINUTE", "600000")
        .spawn()
        .await;
    let limiter = app.state.limiter.clone();
    let subject = format!("load:{}", uuid::Uuid::new_v4());
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (limiter, subject) = (limiter.clone(), subject.clone());
            tokio::spawn(async move {
                let mut refused = 0;
                for _ in 0..70_000 / 32 + 1 {
                    let d = limiter
                        .check(Class::Reads, &subject, None)
                        .await
                        .unwrap()
                        .unwrap();
                    refused += usize::from(!d.allowed);
                }
                refused
            })
        })
        .collect();
    let mut refused = 0;
    for t in tasks {
        refused += t.await.unwrap();
    }
    let last = limiter
        .check(Class::Reads, &subject, None)
        .await
        .unwrap()
        .unwrap();
    // Measured after the last check: the allowance earned back by the time it ran counts.
    let elapsed = started.elapsed();
    println!(
        "{} checks in {elapsed:?}, {refused} refused, {} remaining",
        (70_000 / 32 + 1) * 32,
        last.remaining
    );
    assert_eq!(
        refused, 0,
        "every one of ~70 000 requests fits 600 000 a minute"
    );
    // 70 033 spent, at most elapsed × 10 000/s earned back.
    let spent = (70_000 / 32 + 1) * 32 + 1;
    let earned = (elapsed.as_secs_f64() * 10_000.0).ceil() as u32 + 1;
    assert!(
        last.remaining <= 600_000 - spent as u32 + earned
            && last.remaining + 1 >= 600_000 - spent as u32,
        "remaining {} after {spent} in {elapsed:?}",
        last.remaining
    );
}
