use std::{sync::Arc, time::Instant};

use serde_json::Value;

use crate::harness::{TestApp, TestDb, assert_mentions, test_settings};

#[tokio::test]
async fn healthy_when_both_dependencies_answer() {
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"status": "ok", "database": "connected", "redis": "connected"})
    );
}

/// A closed local port: nothing listens on port 1.
const CLOSED: &str = "127.0.0.1:1";

async fn health_with(db_url: String, redis_url: String) -> (u16, Value, std::time::Duration) {
    let db = TestDb::new().await;
    let db_url = if db_url.is_empty() {
        db.url.clone()
    } else {
        db_url
    };
    let settings = Arc::new(
        test_settings(
            &db_url,
            &[
                ("REDIS_URL", &redis_url),
                ("PRODUCK__DATABASE__CONNECT_TIMEOUT_SECS", "1"),
            ],
        )
        .unwrap(),
    );
    let conn = shared::db::connect_lazy(&settings.database).await.unwrap();
    let redis = shared::redis_conn::connect_lazy(&settings.redis).unwrap();
    let state = api::state_from_parts(settings, conn, redis, uuid::Uuid::new_v4()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(api::serve(listener, state, std::future::pending()));
    shared::ai::init_crypto();
    let started = Instant::now();
    let res = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    server.abort();
    (status, body, elapsed)
}

#[tokio::test]
async fn redis_down_is_503_within_two_seconds() {
    let (status, body, elapsed) = health_with(String::new(), format!("redis://{CLOSED}/")).await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "error");
    assert_eq!(body["database"], "connected");
    assert_eq!(body["redis"], "disconnected");
    assert_eq!(body["error"], "redis unreachable");
    assert!(elapsed.as_millis() < 2000, "took {elapsed:?}");
}

#[tokio::test]
async fn postgres_down_is_503_within_two_seconds() {
    let (status, body, elapsed) = health_with(
        format!("postgres://postgres@{CLOSED}/nothing"),
        crate::harness::db::redis_url(),
    )
    .await;
    assert_eq!(status, 503);
    assert_eq!(body["database"], "disconnected");
    assert_eq!(body["redis"], "connected");
    assert_eq!(body["error"], "database unreachable");
    assert!(elapsed.as_millis() < 2000, "took {elapsed:?}");
}

#[tokio::test]
async fn every_connection_has_a_statement_timeout() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::builder()
        .env("PRODUCK__DATABASE__STATEMENT_TIMEOUT_SECS", "1")
        .spawn()
        .await;
    let err = app
        .db()
        .execute_unprepared("SELECT pg_sleep(3)")
        .await
        .expect_err("a 3 s statement must be cancelled");
    assert!(err.to_string().contains("statement timeout"), "{err}");
}

#[tokio::test]
async fn ready_only_when_the_schema_is_at_this_builds_version() {
    use migration::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let newest = migration::Migrator::migrations()
        .last()
        .unwrap()
        .name()
        .to_owned();
    let app = TestApp::spawn().await;
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["pending_migrations"], 0);
    assert_eq!(body["expected_migration"], newest.as_str());

    // A database one migration behind (as before `produck-api migrate` on an upgrade).
    app.db()
        .execute_unprepared(&format!(
            "DELETE FROM seaql_migrations WHERE version = '{newest}'"
        ))
        .await
        .unwrap();
    let res = app.http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "not_ready");
    assert_eq!(body["pending_migrations"], 1);
    assert_mentions(&body["error"], "produck-api migrate");
    // Liveness does not depend on the schema.
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
