use serde_json::{Value, json};
use shared::auth::Role;

use crate::harness::{ADMIN_EMAIL, ADMIN_PASSWORD, JsonOf, TestApp, problem};

#[tokio::test]
async fn login_returns_tokens_that_authenticate_me() {
    let app = TestApp::spawn().await;
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["email"], ADMIN_EMAIL);
    assert_eq!(body["user"]["role"], "admin");
    let me: Value = app
        .get_body("/auth/me", body["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["auth"], "jwt");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["workspace"]["id"], app.workspace_id.to_string());
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn wrong_password_and_unknown_account_get_the_same_401() {
    let app = TestApp::spawn().await;
    let wrong = problem(
        app.login(ADMIN_EMAIL, "nope-nope").await,
        401,
        "unauthorized",
    )
    .await;
    let unknown = problem(
        app.login("ghost@example.com", "nope-nope").await,
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

#[tokio::test]
async fn repeated_failed_logins_are_rate_limited_with_retry_after() {
    let app = TestApp::builder()
        .env("PRODUCK__AUTH__LOGIN_MAX_FAILURES", "3")
        .spawn()
        .await;
    for _ in 0..3 {
        assert_eq!(app.login(ADMIN_EMAIL, "bad-password").await.status(), 401);
    }
    // Even the right password is refused while the account is locked out.
    let res = app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await;
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 900);
    problem(res, 429, "rate_limited").await;
}

#[tokio::test]
async fn guessing_from_one_address_cannot_lock_the_owner_out_from_another() {
    let app = TestApp::builder()
        .env("PRODUCK__AUTH__LOGIN_MAX_FAILURES", "3")
        .env("PRODUCK__SERVER__CLIENT_IP_HEADER", "x-real-ip")
        .spawn()
        .await;
    let login_from = |ip: &'static str, password: &'static str| {
        app.http
            .post(app.url("/auth/login"))
            .header("x-real-ip", ip)
            .json(&json!({"email": ADMIN_EMAIL, "password": password}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            login_from("203.0.113.66", "guess").await.unwrap().status(),
            401
        );
    }
    let attacker = login_from("203.0.113.66", "guess").await.unwrap();
    problem(attacker, 429, "rate_limited").await;
    assert_eq!(
        login_from("198.51.100.5", ADMIN_PASSWORD)
            .await
            .unwrap()
            .status(),
        200,
        "the owner signs in from their own address"
    );
}

#[tokio::test]
async fn parallel_guesses_cannot_slip_past_the_limiter() {
    let app = TestApp::spawn().await;
    let limit = app.settings.auth.login_max_failures as usize;
    let wrong: Vec<String> = (0..30).map(|i| format!("guess-{i}")).collect();
    let answers = futures::future::join_all(wrong.iter().map(|p| app.login(ADMIN_EMAIL, p))).await;
    let evaluated = answers.iter().filter(|r| r.status() == 401).count();
    let refused: Vec<_> = answers.iter().filter(|r| r.status() == 429).collect();
    assert_eq!(
        evaluated, limit,
        "only the allowance may reach the password check"
    );
    assert_eq!(refused.len(), 30 - limit);
    assert!(
        refused
            .iter()
            .all(|r| r.headers().contains_key("retry-after"))
    );
}

#[tokio::test]
async fn successful_logins_do_not_use_up_the_address_allowance() {
    let app = TestApp::spawn().await;
    for _ in 0..(app.settings.auth.login_max_failures + 3) {
        assert_eq!(app.login(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(), 200);
    }
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let first: Value = app
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let r1 = first["refresh_token"].as_str().unwrap();

    let res = app
        .post_anonymous("/auth/refresh", &json!({"refresh_token": r1}))
        .await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap();
    assert_ne!(r1, r2);
    assert_eq!(
        app.get("/auth/me", second["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // r1 was spent: presenting it again is treated as theft.
    let reuse = app
        .post_anonymous("/auth/refresh", &json!({"refresh_token": r1}))
        .await;
    problem(reuse, 401, "unauthorized").await;
    // ...and the legitimate successor r2 is dead too.
    let after = app
        .post_anonymous("/auth/refresh", &json!({"refresh_token": r2}))
        .await;
    problem(after, 401, "unauthorized").await;
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let s: Value = app
        .login(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let rt = s["refresh_token"].as_str().unwrap();
    let res = app
        .post_anonymous("/auth/logout", &json!({"refresh_token": rt}))
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post_anonymous("/auth/refresh", &json!({"refresh_token": rt}))
        .await;
    problem(res, 401, "unauthorized").await;
}

#[tokio::test]
async fn missing_and_bad_tokens_are_401_with_www_authenticate() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/auth/me")).send().await.unwrap();
    assert_eq!(
        res.headers()["www-authenticate"],
        "Bearer realm=\"produck\""
    );
    problem(res, 401, "unauthorized").await;
    problem(
        app.get("/auth/me", "not-a-token").await,
        401,
        "unauthorized",
    )
    .await;
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
    problem(app.get("/auth/me", forged).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_deactivated_member_loses_access_at_once() {
    let app = TestApp::spawn().await;
    let token = app.member_token("viewer@example.com", Role::Viewer).await;
    assert_eq!(app.get("/auth/me", &token).await.status(), 200);
    let users: Value = app.get_body("/users", &app.admin_token).await;
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "viewer@example.com")
        .unwrap()["id"]
        .clone();
    let res = app
        .send_json(
            reqwest::Method::PATCH,
            &format!("/users/{}", id.as_str().unwrap()),
            &app.admin_token,
            &json!({"active": false}),
        )
        .await;
    assert_eq!(res.status(), 200);
    problem(app.get("/auth/me", &token).await, 401, "unauthorized").await;
    problem(
        app.login("viewer@example.com", "member-password-1").await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn auth_disabled_acts_as_the_default_admin() {
    let app = TestApp::builder()
        .env("PRODUCK__AUTH__DISABLED", "true")
        .spawn()
        .await;
    let me: Value = app.http.get(app.url("/auth/me")).json_of().await;
    assert_eq!(me["auth"], "disabled");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["workspace"]["id"], app.workspace_id.to_string());
}

#[tokio::test]
async fn auth_disabled_serves_only_loopback_hosts_and_known_origins() {
    let app = TestApp::builder()
        .env("PRODUCK__AUTH__DISABLED", "true")
        .spawn()
        .await;
    // DNS rebinding: a page on evil.example resolves its name to 127.0.0.1.
    let res = app
        .http
        .get(app.url("/feedback"))
        .header("host", "evil.example:8000")
        .send()
        .await
        .unwrap();
    problem(res, 403, "forbidden").await;
    // A cross-site change is refused; the configured web UI's origin is served.
    let post = |origin: &'static str| {
        app.http
            .post(app.url("/ingest/slack"))
            .header("origin", origin)
            .send()
    };
    problem(
        post("https://evil.example").await.unwrap(),
        403,
        "forbidden",
    )
    .await;
    assert!(
        post("http://localhost:3000")
            .await
            .unwrap()
            .status()
            .is_success()
    );
    // Reads from any page stay governed by CORS alone.
    let res = app
        .http
        .get(app.url("/feedback"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

async fn post_typed(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: String,
) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(&app.admin_token)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_json_body_needs_a_json_content_type() {
    let app = TestApp::spawn().await;
    let login = format!(r#"{{"email":"{ADMIN_EMAIL}","password":"{ADMIN_PASSWORD}"}}"#);
    let res = post_typed(&app, "/auth/login", "text/plain", login.clone()).await;
    problem(res, 415, "unsupported_media_type").await;
    let form = "application/x-www-form-urlencoded";
    let res = post_typed(&app, "/customers", form, r#"{"name":"Acme"}"#.into()).await;
    problem(res, 415, "unsupported_media_type").await;
    // A JSON type with parameters is fine, and bodiless posts are unaffected.
    let res = post_typed(
        &app,
        "/auth/login",
        "application/json; charset=utf-8",
        login,
    )
    .await;
    assert_eq!(res.status(), 200);
    let res = app.post("/ingest/slack", &app.admin_token).await;
    assert!(res.status().is_success(), "{}", res.status());
}
