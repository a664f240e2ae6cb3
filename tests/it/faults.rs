//! Faults with real processes: workers killed with SIGKILL or stopped with SIGTERM mid-job,
//! and Redis stopped and restarted under the running system.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Statement};
use shared::{entities::job_run, jobs::kinds};
use uuid::Uuid;

use crate::harness::{TestApp, problem, processes::PrivateRedis};

fn csv(rows: usize, tag: &str) -> Vec<u8> {
    let mut out = String::from("text,customer\n");
    for i in 0..rows {
        out.push_str(&format!(
            "\"{tag} report {i}: the export to spreadsheet stalls at step {}\",Account {}\n",
            i % 97,
            i % 41
        ));
    }
    out.into_bytes()
}

/// Uploads without waiting for processing; returns the file's job id.
async fn upload_async(app: &TestApp, name: &str, bytes: Vec<u8>) -> Uuid {
    app.upload_async(vec![(name, bytes)]).await[0].1
}

async fn job(app: &TestApp, id: Uuid) -> job_run::Model {
    use sea_orm::EntityTrait;
    job_run::Entity::find_by_id(id)
        .one(app.db())
        .await
        .unwrap()
        .unwrap()
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db()
        .query_one_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            sql,
            [app.workspace_id.into()],
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index(0).unwrap()
}

/// Until a worker process has recorded its first heartbeat (it is connected and sweeping).
async fn wait_for_a_worker(app: &TestApp) {
    for _ in 0..500 {
        let alive = app
            .db()
            .query_one_raw(Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT count(*) FROM worker_heartbeats",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        if alive > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no worker process came up");
}

async fn wait_until_running(app: &TestApp, id: Uuid) {
    for _ in 0..1500 {
        let j = job(app, id).await;
        if j.status == "running" {
            return;
        }
        assert!(
            j.status == "queued",
            "job ended before it could be interrupted: {j:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("job {id} never started");
}

#[tokio::test]
async fn a_worker_killed_mid_upload_leaves_the_job_to_another_and_every_row_lands_once() {
    const ROWS: usize = 30_000;
    let app = TestApp::spawn().await;
    let mut first = app.worker_process(&[kinds::PROCESS_FILE], &[]);
    let id = upload_async(&app, "big.csv", csv(ROWS, "kill")).await;
    wait_until_running(&app, id).await;
    tokio::time::sleep(Duration::from_millis(150)).await;
    first.kill9();
    let interrupted = job(&app, id).await;
    assert_eq!(
        interrupted.status, "running",
        "the kill came too late to test anything: {interrupted:?}"
    );

    let _second = app.worker_process(&[kinds::PROCESS_FILE], &[]);
    let done = app.wait_job(id, Duration::from_secs(120)).await;
    assert_eq!(done.status, "completed", "{done:?}");
    assert!(
        done.attempts >= 2,
        "the second worker ran it again: {done:?}"
    );
    let items = scalar(
        &app,
        "SELECT count(*) FROM feedback WHERE workspace_id = $1",
    )
    .await;
    let distinct = scalar(
        &app,
        "SELECT count(DISTINCT source_id) FROM feedback WHERE workspace_id = $1",
    )
    .await;
    assert_eq!(items, ROWS as i64, "every row exactly once");
    assert_eq!(distinct, ROWS as i64);
    let uploads = scalar(
        &app,
        "SELECT count(*) FROM uploads WHERE workspace_id = $1 AND status = 'processed'",
    )
    .await;
    assert_eq!(uploads, 1);
}

#[tokio::test]
async fn sigterm_lets_a_busy_worker_finish_its_job_or_hand_it_back() {
    let app = TestApp::builder()
        .env("PRODUCK__WORKER__SHUTDOWN_GRACE_SECS", "1")
        .spawn()
        .await;
    let mut busy = app.worker_process(
        &[kinds::PROCESS_FILE],
        &[("PRODUCK__WORKER__SHUTDOWN_GRACE_SECS", "1")],
    );
    let id = upload_async(&app, "term.csv", csv(30_000, "term")).await;
    wait_until_running(&app, id).await;
    let status = busy.terminate(Duration::from_secs(10));
    assert!(status.success(), "a stopped worker exits cleanly: {status}");
    let _next = app.worker_process(&[kinds::PROCESS_FILE], &[]);
    let done = app.wait_job(id, Duration::from_secs(120)).await;
    assert_eq!(done.status, "completed", "{done:?}");
    let items = scalar(
        &app,
        "SELECT count(*) FROM feedback WHERE workspace_id = $1",
    )
    .await;
    assert_eq!(items, 30_000);
}

#[tokio::test]
async fn redis_stopped_and_restarted_under_load_loses_nothing() {
    let mut redis = PrivateRedis::start();
    let url = redis.url();
    let app = TestApp::builder()
        .env("REDIS_URL", &url)
        .env("PRODUCK__RATE_LIMITS__READS_PER_MINUTE", "1000")
        .spawn()
        .await;
    let mut worker = app.worker_process(&[kinds::PROCESS_FILE], &[]);
    wait_for_a_worker(&app).await;
    // In flight when Redis goes away.
    let before = upload_async(&app, "before.csv", csv(20_000, "before")).await;
    wait_until_running(&app, before).await;
    redis.stop();

    // During the outage: reads work, sign-in and health say 503, uploads are accepted.
    assert_eq!(app.get("/themes", &app.admin_token).await.status(), 200);
    let login = app.login("admin@example.com", "wrong-or-right").await;
    assert!(login.headers().contains_key("retry-after"));
    problem(login, 503, "upstream_unavailable").await;
    let health = app.get("/healthz", "").await;
    assert_eq!(health.status(), 503);
    let during = upload_async(&app, "during.csv", csv(200, "during")).await;

    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.resume();
    for id in [before, during] {
        let done = app.wait_job(id, Duration::from_secs(60)).await;
        assert_eq!(done.status, "completed", "{done:?}");
    }
    let items = scalar(
        &app,
        "SELECT count(*) FROM feedback WHERE workspace_id = $1",
    )
    .await;
    assert_eq!(items, 20_200, "both files, once each");
    assert!(
        worker.is_running(),
        "the worker rode out the outage without a restart"
    );
    let health = app.get("/healthz", "").await;
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_worker_killed_mid_clustering_leaves_one_complete_result() {
    let app = TestApp::spawn().await;
    crate::synthetic::seed(&app, 6000).await;
    let mut first = app.worker_process(&[kinds::CLUSTER], &[]);
    let id = app.start_clustering().await;
    wait_until_running(&app, id).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill9();
    let interrupted = job(&app, id).await;
    assert_eq!(
        interrupted.status, "running",
        "the kill came too late to test anything: {interrupted:?}"
    );
    assert_eq!(
        scalar(&app, "SELECT count(*) FROM themes WHERE workspace_id = $1").await,
        0,
        "a half-done run wrote nothing"
    );

    let _second = app.worker_process(&[kinds::CLUSTER], &[]);
    let done = app.wait_job(id, Duration::from_secs(110)).await;
    assert_eq!(done.status, "completed", "{done:?}");
    assert!(done.attempts >= 2, "{done:?}");
    let result = done.result.unwrap();
    let themes = scalar(&app, "SELECT count(*) FROM themes WHERE workspace_id = $1").await;
    assert!(themes > 0);
    assert_eq!(
        themes,
        result["themes"].as_i64().unwrap(),
        "one result, once"
    );
}

#[tokio::test]
async fn postgres_restarted_means_503_within_two_seconds_then_recovery_on_its_own() {
    use migration::MigratorTrait;
    let pg = crate::harness::processes::PrivatePostgres::start();
    let admin = sea_orm::Database::connect(pg.url("postgres"))
        .await
        .unwrap();
    admin
        .execute_unprepared("CREATE DATABASE produck")
        .await
        .unwrap();
    admin.close().await.ok();
    let conn = sea_orm::Database::connect(pg.url("produck")).await.unwrap();
    migration::Migrator::up(&conn, None).await.unwrap();
    conn.close().await.ok();

    let app = TestApp::builder()
        .database(&pg.url("produck"))
        .spawn()
        .await;
    assert_eq!(app.get("/themes", &app.admin_token).await.status(), 200);
    pg.stop();
    for path in ["/healthz", "/themes"] {
        let asked = std::time::Instant::now();
        let res = app.get(path, &app.admin_token).await;
        let took = asked.elapsed();
        assert_eq!(res.status(), 503, "{path} while the database is down");
        assert!(took <= Duration::from_millis(2500), "{path} took {took:?}");
        if path == "/themes" {
            assert!(res.headers().contains_key("retry-after"), "{path}");
            problem(res, 503, "upstream_unavailable").await;
        }
    }

    pg.resume();
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let status = app.get("/themes", &app.admin_token).await.status();
        if status == 200 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still {status} after the restart"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(app.get("/healthz", "").await.status(), 200);
}
