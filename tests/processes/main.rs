//! Tests that run the real `produck-worker` binary as separate processes.

use test_support::{db, repo_path};

use std::{
    collections::BTreeMap,
    process::{Child, Command, Stdio},
    time::Duration,
};

use sea_orm::{ConnectionTrait, Database, Statement};

fn spawn_worker(db_url: &str, prefix: &str) -> Child {
    spawn_worker_with(
        Command::new(env!("CARGO_BIN_EXE_produck-worker")),
        db_url,
        prefix,
    )
}

fn spawn_worker_with(mut command: Command, db_url: &str, prefix: &str) -> Child {
    command
        .env("PRODUCK_ENV", "test")
        .env("PRODUCK_CONFIG_DIR", repo_path("config"))
        .env("PRODUCK__AI__CONFIG_PATH", repo_path("ai_config.yaml"))
        .env("DATABASE_URL", db_url)
        .env("REDIS_URL", db::redis_url())
        .env("PRODUCK__JOBS__QUEUE_PREFIX", prefix)
        .env("PRODUCK__WORKER__MAINTENANCE_SCHEDULE", "* * * * * *")
        .env("PRODUCK__WORKER__SYNC_SCHEDULE", "* * * * * *")
        .env("PRODUCK__WORKER__TOKEN_REFRESH_SCHEDULE", "* * * * * *")
        .env("PRODUCK__WORKER__DIGEST_SCHEDULE", "* * * * * *")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting produck-worker")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn terminate(child: &mut Child) -> std::process::ExitStatus {
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    for _ in 0..200 {
        if let Ok(Some(status)) = child.try_wait() {
            return status;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    panic!("worker {pid} ignored SIGTERM for 10 s");
}

#[tokio::test]
async fn the_schedule_fires_once_per_tick_across_three_worker_processes() {
    let test_db = db::TestDb::new().await;
    let prefix = format!("p{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let mut workers: Vec<Child> = (0..3)
        .map(|_| spawn_worker(&test_db.url, &prefix))
        .collect();
    tokio::time::sleep(Duration::from_millis(5500)).await;
    for w in &mut workers {
        let status = terminate(w);
        assert!(status.success(), "worker exited with {status} on SIGTERM");
    }

    let conn = Database::connect(test_db.url.as_str()).await.unwrap();
    // Every scheduled kind: housekeeping, the sync check, the token refresh and the Slack
    // digest.
    for kind in [
        "maintenance",
        "sync_schedule",
        "token_refresh",
        "slack_digest",
    ] {
        let rows = conn
            .query_all_raw(Statement::from_sql_and_values(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT dedupe_key, status FROM job_runs WHERE kind = $1 ORDER BY dedupe_key",
                [kind.into()],
            ))
            .await
            .unwrap();
        let mut per_tick: BTreeMap<i64, usize> = BTreeMap::new();
        let mut completed = 0;
        for row in &rows {
            let key: String = row.try_get("", "dedupe_key").unwrap();
            let tick: i64 = key.trim_start_matches("tick:").parse().unwrap();
            *per_tick.entry(tick).or_default() += 1;
            let status: String = row.try_get("", "status").unwrap();
            completed += usize::from(status == "completed");
        }
        assert!(
            per_tick.len() >= 3,
            "{kind}: expected at least 3 ticks, got {per_tick:?}"
        );
        assert!(
            per_tick.values().all(|n| *n == 1),
            "{kind}: a tick fired more than once: {per_tick:?}"
        );
        let (first, last) = (
            *per_tick.keys().next().unwrap(),
            *per_tick.keys().last().unwrap(),
        );
        assert_eq!(
            per_tick.len() as i64,
            last - first + 1,
            "{kind}: a tick was skipped: {per_tick:?}"
        );
        assert!(
            completed + 1 >= rows.len(),
            "{kind}: runs did not complete: {completed} of {}",
            rows.len()
        );
    }
    conn.close().await.ok();
}

#[tokio::test]
async fn a_worker_serves_health_and_metrics_on_its_own_listener() {
    let test_db = db::TestDb::new().await;
    let prefix = format!("p{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let port = free_port();
    let mut worker = Command::new(env!("CARGO_BIN_EXE_produck-worker"));
    worker.env("PRODUCK__WORKER__METRICS_ADDR", format!("127.0.0.1:{port}"));
    let mut child = spawn_worker_with(worker, &test_db.url, &prefix);
    shared::ai::init_crypto();
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let mut health = None;
    for _ in 0..100 {
        if let Ok(res) = http.get(format!("{base}/healthz")).send().await {
            health = Some((res.status().as_u16(), res.text().await.unwrap_or_default()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body) = health.expect("the worker's listener never answered");
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"], "connected");
    assert_eq!(body["redis"], "connected");
    // The every-second maintenance schedule gives the worker jobs of its own to count.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let metrics = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(r#"produck_jobs_queued{kind="cluster"} 0"#),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("produck_jobs_finished_total")
                && l.contains(r#"kind="maintenance""#)
                && l.contains(r#"outcome="completed""#)),
        "{text}"
    );
    assert!(terminate(&mut child).success());
}

#[test]
fn a_worker_that_cannot_reach_redis_exits_non_zero_with_a_message() {
    let out = Command::new(env!("CARGO_BIN_EXE_produck-worker"))
        .env("PRODUCK_ENV", "test")
        .env("PRODUCK_CONFIG_DIR", repo_path("config"))
        .env("PRODUCK__AI__CONFIG_PATH", repo_path("ai_config.yaml"))
        .env("DATABASE_URL", db::admin_url())
        .env("REDIS_URL", "redis://127.0.0.1:1/")
        .output()
        .expect("running produck-worker");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Redis"), "{stderr}");
}

#[test]
fn an_unknown_queue_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_produck-worker"))
        .args(["--queues", "maintenance,nope"])
        .env("PRODUCK_ENV", "test")
        .env("PRODUCK_CONFIG_DIR", repo_path("config"))
        .env("PRODUCK__AI__CONFIG_PATH", repo_path("ai_config.yaml"))
        .output()
        .expect("running produck-worker");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown queue \"nope\""));
}
