use sea_orm::ConnectionTrait;
use serde_json::Value;

use crate::harness::{TestApp, invalid_at, problem};

#[tokio::test]
async fn unknown_routes_and_methods_use_the_problem_shape() {
    let app = TestApp::spawn().await;
    let body = problem(
        app.get("/no/such/route", &app.admin_token).await,
        404,
        "not_found",
    )
    .await;
    assert!(body["detail"].as_str().unwrap().contains("/no/such/route"));
    let res = app.delete("/auth/me", &app.admin_token).await;
    problem(res, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn malformed_json_is_422_naming_the_position() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .post(app.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{\"email\": \"a@b.co\",\n \"password\": }")
        .send()
        .await
        .unwrap();
    let body = problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["type"], "json_invalid");
    assert!(
        body["detail"].as_str().unwrap().contains("line 2"),
        "{body}"
    );
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_refused_as_the_schema_says() {
    // serde reads a struct from an array, field by position; the schema says object.
    let app = TestApp::spawn().await;
    let path = format!("/customers/{}", uuid::Uuid::now_v7());
    for body in ["[]", "[\"Acme\", 1000]", "\"Acme\"", "null"] {
        let res = app
            .http
            .patch(app.url(&path))
            .bearer_auth(&app.admin_token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let problem = problem(res, 422, "validation_failed").await;
        assert_eq!(
            problem["errors"][0]["type"], "type_error",
            "{body}: {problem}"
        );
        assert_eq!(problem["errors"][0]["loc"], serde_json::json!(["body"]));
    }
}

#[tokio::test]
async fn bodies_are_read_as_json_schema_reads_them() {
    // A NUL escape used to reach PostgreSQL (a 500); `3.0` is the integer 3.
    let app = TestApp::spawn().await;
    let ticket = r#"{"jira_key": "PROD-77", "title": "Export\u0000 stalls", "story_points": 3.0}"#;
    let res = app
        .http
        .post(app.url("/jira/tickets"))
        .bearer_auth(&app.admin_token)
        .header("content-type", "application/json")
        .body(ticket)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    assert_eq!(body["title"], "Export stalls");
    assert_eq!(body["story_points"], 3);
}

#[tokio::test]
async fn field_errors_name_their_location() {
    let app = TestApp::spawn().await;
    let res = app
        .post_anonymous(
            "/auth/login",
            &serde_json::json!({"email": "not-an-email", "password": "x"}),
        )
        .await;
    invalid_at(res, serde_json::json!(["body", "email"])).await;

    let res = app
        .post_anonymous("/auth/login", &serde_json::json!({"password": "x"}))
        .await;
    let body = problem(res, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["type"], "missing");

    invalid_at(
        app.get("/jobs?limit=0", &app.admin_token).await,
        serde_json::json!(["query", "limit"]),
    )
    .await;
    invalid_at(
        app.get("/jobs?limit=ten", &app.admin_token).await,
        serde_json::json!(["query", "limit"]),
    )
    .await;
    invalid_at(
        app.get("/jobs?status=done", &app.admin_token).await,
        serde_json::json!(["query", "status"]),
    )
    .await;
    let body = problem(
        app.get("/jobs/not-a-uuid", &app.admin_token).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["loc"][0], "path");
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let app = TestApp::spawn().await;
    let res = app
        .http
        .get(app.url("/auth/me"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["request_id"], "abc-123");
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert!(!res.headers()["x-request-id"].is_empty());
}

#[tokio::test]
async fn internal_errors_expose_no_internals() {
    let app = TestApp::spawn().await;
    // Break the schema under the running API: listing keys now fails inside the database.
    app.db()
        .execute_unprepared("ALTER TABLE api_keys RENAME TO api_keys_gone")
        .await
        .unwrap();
    let body = problem(
        app.get("/api-keys", &app.admin_token).await,
        500,
        "internal_error",
    )
    .await;
    let detail = body["detail"].as_str().unwrap();
    assert!(
        !detail.contains("api_keys") && !detail.to_lowercase().contains("relation"),
        "{detail}"
    );
}

#[tokio::test]
async fn cors_allows_the_configured_origin_only() {
    let app = TestApp::spawn().await;
    let ok = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/auth/me"))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(ok.headers()["access-control-allow-credentials"], "true");
    let evil = app
        .http
        .request(reqwest::Method::OPTIONS, app.url("/auth/me"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert!(evil.headers().get("access-control-allow-origin").is_none());
}
