use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde_json::{Value, json};
use shared::{
    entities::job_run,
    services::jobs::{self, StartOutcome},
};
use worker::{JobContext, JobError, JobRegistry};

use crate::harness::{TestApp, TestWorker, problem};

/// Job kinds that exist only in tests.
pub(crate) fn test_registry() -> JobRegistry {
    JobRegistry::empty()
        .register("test_echo", |ctx: JobContext| async move {
            Ok(json!({"echo": ctx.job.params}))
        })
        .register("test_flaky", |ctx: JobContext| async move {
            // Fails transiently on the first attempts, then succeeds.
            let fail_until = ctx.job.params["fail_attempts"].as_i64().unwrap_or(2) as i32;
            if ctx.job.attempts <= fail_until {
                Err(JobError::transient(format!(
                    "upstream 503 on attempt {}",
                    ctx.job.attempts
                )))
            } else {
                Ok(json!({"succeeded_on_attempt": ctx.job.attempts}))
            }
        })
        .register("test_permanent", |_ctx: JobContext| async move {
            Err::<Value, _>(JobError::permanent("the file is not a CSV"))
        })
        .register("test_panic", |_ctx: JobContext| async move {
            if std::hint::black_box(true) {
                panic!("boom in handler");
            }
            Ok(Value::Null)
        })
        .register("test_db_error", |ctx: JobContext| async move {
            use sea_orm::ConnectionTrait;
            ctx.db()
                .execute_unprepared("SELECT secret_column FROM no_such_table")
                .await
                .map_err(shared::DomainError::from)?;
            Ok(Value::Null)
        })
        .register("test_slow", |ctx: JobContext| async move {
            let ms = ctx.job.params["ms"].as_u64().unwrap_or(1000);
            ctx.progress(50, "half way").await?;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(json!({"slept_ms": ms, "attempt": ctx.job.attempts, "worker": ctx.worker_name()}))
        })
}

async fn app_with_workers(n: usize) -> TestApp {
    TestApp::builder().workers(n, test_registry()).spawn().await
}

#[tokio::test]
async fn a_job_runs_and_its_state_is_visible_over_http() {
    let app = app_with_workers(1).await;
    let id = app.start("test_echo", json!({"hello": "world"})).await;
    let job = app.wait_job(id, Duration::from_secs(10)).await;
    assert_eq!(job.status, "completed");
    let body: Value = app.get_body(&format!("/jobs/{id}"), &app.admin_token).await;
    assert_eq!(body["status"], "completed");
    assert_eq!(body["progress"], 100);
    assert_eq!(body["attempts"], 1);
    assert_eq!(body["result"]["echo"]["hello"], "world");
    assert!(body["started_at"].is_string() && body["finished_at"].is_string());
    let list: Value = app
        .get_body("/jobs?kind=test_echo&status=completed", &app.admin_token)
        .await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["jobs"][0]["id"], id.to_string());
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_until_success() {
    let app = app_with_workers(1).await;
    let id = app.start("test_flaky", json!({"fail_attempts": 2})).await;
    let job = app.wait_job(id, Duration::from_secs(15)).await;
    assert_eq!(job.status, "completed", "{job:?}");
    assert_eq!(job.attempts, 3);
    assert_eq!(job.result.unwrap()["succeeded_on_attempt"], 3);
    // Backoff: 100 ms then 200 ms in the test profile, so at least 300 ms passed.
    let took = job.finished_at.unwrap() - job.created_at;
    assert!(took.num_milliseconds() >= 300, "took {took}");
}

#[tokio::test]
async fn transient_failures_give_up_after_the_attempt_limit() {
    let app = app_with_workers(1).await;
    let id = app.start("test_flaky", json!({"fail_attempts": 99})).await;
    let job = app.wait_job(id, Duration::from_secs(20)).await;
    assert_eq!(job.status, "failed");
    assert_eq!(job.attempts, app.settings.jobs.max_attempts as i32);
    assert!(job.error.unwrap().contains("gave up after 5 attempts"));
}

#[tokio::test]
async fn permanent_failures_fail_at_once_with_their_message() {
    let app = app_with_workers(1).await;
    let id = app.start("test_permanent", json!({})).await;
    let job = app.wait_job(id, Duration::from_secs(10)).await;
    assert_eq!(job.status, "failed");
    assert_eq!(job.attempts, 1);
    assert_eq!(job.error.as_deref(), Some("the file is not a CSV"));
}

#[tokio::test]
async fn a_panicking_job_fails_and_the_worker_survives() {
    let app = app_with_workers(1).await;
    let id = app.start("test_panic", json!({})).await;
    let job = app.wait_job(id, Duration::from_secs(10)).await;
    assert_eq!(job.status, "failed");
    // Viewers see a safe message; the panic text goes to the worker log only.
    let error = job.error.unwrap();
    assert!(error.contains("internal error"), "{error}");
    assert!(!error.contains("boom"), "{error}");
    let next = app.start("test_echo", json!({})).await;
    assert_eq!(
        app.wait_job(next, Duration::from_secs(10)).await.status,
        "completed"
    );
}

#[tokio::test]
async fn internal_causes_are_not_shown_to_viewers() {
    let app = app_with_workers(1).await;
    let id = app.start("test_db_error", json!({})).await;
    let job = app.wait_job(id, Duration::from_secs(10)).await;
    assert_eq!(job.status, "failed");
    let viewer = app
        .member_token("viewer@example.com", shared::auth::Role::Viewer)
        .await;
    let body: Value = app.get_body(&format!("/jobs/{id}"), &viewer).await;
    let shown = body["error"].as_str().unwrap_or_default();
    assert!(shown.contains("internal error"), "{body}");
    assert!(
        !shown.contains("no_such_table") && !shown.contains("secret_column"),
        "{body}"
    );
}

#[tokio::test]
async fn a_job_of_a_killed_worker_completes_on_another() {
    let mut app = app_with_workers(1).await;
    let id = app.start("test_slow", json!({"ms": 4000})).await;
    // Wait until the first worker has it, then kill that worker mid-job.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let j = jobs::get(app.db(), app.workspace_id, id).await.unwrap();
        if j.status == "running" && j.progress == 50 {
            break;
        }
        assert!(Instant::now() < deadline, "job never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let first_worker = jobs::get(app.db(), app.workspace_id, id)
        .await
        .unwrap()
        .worker
        .unwrap();
    app.workers.remove(0).kill();
    app.add_worker();
    let job = app.wait_job(id, Duration::from_secs(30)).await;
    assert_eq!(job.status, "completed", "{job:?}");
    assert_eq!(job.attempts, 2);
    let result = job.result.unwrap();
    assert_ne!(result["worker"], first_worker);
}

#[tokio::test]
async fn graceful_shutdown_lets_the_running_job_finish() {
    let mut app = app_with_workers(1).await;
    let id = app.start("test_slow", json!({"ms": 1500})).await;
    app.wait_running(id, Duration::from_secs(10)).await;
    app.workers.remove(0).stop().await.expect("clean shutdown");
    let job = jobs::get(app.db(), app.workspace_id, id).await.unwrap();
    assert_eq!(job.status, "completed", "{job:?}");
    assert_eq!(job.attempts, 1);
}

#[tokio::test]
async fn a_job_whose_enqueue_was_lost_is_recovered_by_the_sweeper() {
    let app = app_with_workers(1).await;
    // A committed row that never reached Redis (as if the enqueue call had failed), old
    // enough for the sweeper to take it for lost.
    let new = jobs::NewJob {
        workspace_id: Some(app.workspace_id),
        kind: "test_echo".into(),
        params: json!({"lost": true}),
        requested_by: None,
        singleton: false,
        dedupe_key: None,
        max_attempts: 5,
    };
    let id = jobs::create(app.db(), new)
        .await
        .unwrap()
        .into_job()
        .expect("a new row")
        .id;
    app.db()
        .execute_raw(shared::db::statement(
            "UPDATE job_runs SET enqueued_at = now() - interval '8 seconds', \
             created_at = now() - interval '8 seconds' WHERE id = $1",
            [id.into()],
        ))
        .await
        .unwrap();
    let job = app.wait_job(id, Duration::from_secs(15)).await;
    assert_eq!(job.status, "completed");
}

#[tokio::test]
async fn racing_singleton_starts_create_one_job() {
    let app = TestApp::spawn().await;
    let starts = (0..8).map(|_| app.start_job(app.workspace_id, "test_singleton", json!({}), true));
    let outcomes = futures::future::join_all(starts).await;
    let started: Vec<_> = outcomes
        .iter()
        .filter(|o| matches!(o, StartOutcome::Started(_)))
        .collect();
    let running = outcomes
        .iter()
        .filter(|o| matches!(o, StartOutcome::AlreadyRunning(_)))
        .count();
    assert_eq!(started.len(), 1, "{outcomes:?}");
    assert_eq!(running, 7);
    // Another workspace may run its own.
    let (other, _) = app.other_workspace().await;
    assert!(matches!(
        app.start_job(other, "test_singleton", json!({}), true)
            .await,
        StartOutcome::Started(_)
    ));
}

#[tokio::test]
async fn jobs_of_another_workspace_are_not_found() {
    let app = TestApp::spawn().await;
    let (other, other_token) = app.other_workspace().await;
    let StartOutcome::Started(theirs) = app.start_job(other, "test_echo", json!({}), false).await
    else {
        panic!()
    };
    problem(
        app.get(&format!("/jobs/{}", theirs.id), &app.admin_token)
            .await,
        404,
        "not_found",
    )
    .await;
    let mine: Value = app.get_body("/jobs", &app.admin_token).await;
    assert_eq!(mine["total"], 0);
    assert_eq!(
        app.get(&format!("/jobs/{}", theirs.id), &other_token)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn an_idle_worker_is_woken_for_a_new_job_at_once() {
    let app = app_with_workers(1).await;
    // Warm up: the worker has registered and polled at least once.
    let warm = app.start("test_echo", json!({})).await;
    app.wait_job(warm, Duration::from_secs(10)).await;
    let mut waits = Vec::new();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(37)).await;
        let id = app.start("test_echo", json!({})).await;
        let job = app.wait_job(id, Duration::from_secs(5)).await;
        let pickup = job.started_at.unwrap() - job.created_at;
        waits.push(pickup.num_milliseconds());
    }
    waits.sort_unstable();
    let p50 = waits[waits.len() / 2];
    let max = *waits.last().unwrap();
    println!("pickup latency ms: p50={p50} max={max} all={waits:?}");
    assert!(p50 <= 50, "p50 {p50} ms: {waits:?}");
    // A missed wake-up would wait for the 5 s safety poll; anything far below that was woken
    // (a loaded CI machine adds its own tens of milliseconds).
    assert!(max < 1000, "max {max} ms: {waits:?}");
}

#[tokio::test]
async fn maintenance_prunes_expired_tokens_and_old_job_runs() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use shared::entities::refresh_token;

    let app = TestApp::with_worker().await;
    // An old finished job run and a long-expired refresh token.
    let StartOutcome::Started(old) = app
        .start_job(app.workspace_id, "test_old", json!({}), false)
        .await
    else {
        panic!()
    };
    let long_ago = chrono::Utc::now() - chrono::Duration::days(400);
    job_run::ActiveModel {
        id: Set(old.id),
        status: Set("completed".into()),
        finished_at: Set(Some(long_ago)),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    let session: Value = app
        .login(crate::harness::ADMIN_EMAIL, crate::harness::ADMIN_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let hash = shared::auth::secrets::sha256_hex(session["refresh_token"].as_str().unwrap());
    refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::ExpiresAt,
            sea_orm::sea_query::Expr::value(long_ago),
        )
        .filter(refresh_token::Column::TokenHash.eq(hash.clone()))
        .exec(app.db())
        .await
        .unwrap();

    let id = app.start("maintenance", json!({})).await;
    let job = app.wait_job(id, Duration::from_secs(15)).await;
    assert_eq!(job.status, "completed", "{job:?}");
    let result = job.result.unwrap();
    assert_eq!(result["job_runs_deleted"], 1, "{result}");
    assert!(
        result["refresh_tokens_deleted"].as_u64().unwrap() >= 1,
        "{result}"
    );
    assert!(result["queue_entries_vacuumed"].is_u64(), "{result}");
    assert!(
        job_run::Entity::find_by_id(old.id)
            .one(app.db())
            .await
            .unwrap()
            .is_none()
    );
    let left = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(app.db())
        .await
        .unwrap();
    assert!(left.is_none());
}

/// How many times each job's handler ran to its end, shared with the handlers of a test.
#[derive(Clone, Default)]
struct Runs(Arc<Mutex<HashMap<uuid::Uuid, usize>>>);

impl Runs {
    fn record(&self, id: uuid::Uuid) {
        *self.0.lock().unwrap().entry(id).or_default() += 1;
    }

    fn of(&self, id: uuid::Uuid) -> usize {
        self.0.lock().unwrap().get(&id).copied().unwrap_or(0)
    }
}

fn counting_registry(runs: Runs) -> JobRegistry {
    JobRegistry::empty().register("test_counted", move |ctx: JobContext| {
        let runs = runs.clone();
        async move {
            let ms = ctx.job.params["ms"].as_u64().unwrap_or(0);
            tokio::time::sleep(Duration::from_millis(ms)).await;
            runs.record(ctx.job.id);
            Ok(json!({"ran": true}))
        }
    })
}

/// A worker that consumes some other kind: it sweeps, but never runs `test_counted`.
fn bystander_registry() -> JobRegistry {
    JobRegistry::empty().register("test_bystander", |_ctx: JobContext| async move {
        Ok(Value::Null)
    })
}

/// Sweeps fast and would have failed a waiting job after 1 s x (1 attempt + 1) before.
const IMPATIENT: [(&str, &str); 3] = [
    ("PRODUCK__JOBS__QUEUED_TIMEOUT_SECS", "1"),
    ("PRODUCK__JOBS__KINDS__TEST_COUNTED__MAX_ATTEMPTS", "1"),
    ("PRODUCK__JOBS__KINDS__TEST_COUNTED__CONCURRENCY", "1"),
];

fn impatient_app() -> crate::harness::TestAppBuilder {
    IMPATIENT
        .iter()
        .fold(TestApp::builder(), |b, (k, v)| b.env(k, v))
}

async fn start_many(app: &TestApp, kind: &str, n: usize, params: Value) -> Vec<uuid::Uuid> {
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        ids.push(app.start(kind, params.clone()).await);
    }
    ids
}

#[tokio::test]
async fn a_long_backlog_behind_one_slow_consumer_completes_without_failures_or_reruns() {
    let runs = Runs::default();
    // A worker for the kind is alive, so even a short no-worker bound fails nothing.
    let app = impatient_app()
        .env("PRODUCK__JOBS__NO_WORKER_TIMEOUT_SECS", "2")
        .workers(1, counting_registry(runs.clone()))
        .spawn()
        .await;
    let ids = start_many(&app, "test_counted", 300, json!({"ms": 15})).await;
    let started = Instant::now();
    for id in &ids {
        let job = app.wait_job(*id, Duration::from_secs(120)).await;
        assert_eq!(job.status, "completed", "{job:?}");
        assert_eq!(job.attempts, 1, "{job:?}");
    }
    assert!(
        started.elapsed() > Duration::from_secs(4),
        "the backlog must outlast the old failure bound to prove anything"
    );
    for id in &ids {
        assert_eq!(runs.of(*id), 1, "job {id} ran {} times", runs.of(*id));
    }
}

#[tokio::test]
async fn jobs_wait_out_a_worker_outage_and_complete_when_a_worker_returns() {
    let runs = Runs::default();
    // Only a worker of another kind runs (and sweeps) during the outage.
    let mut app = impatient_app()
        .workers(1, bystander_registry())
        .spawn()
        .await;
    let ids = start_many(&app, "test_counted", 20, json!({})).await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    for id in &ids {
        let job = jobs::get(app.db(), app.workspace_id, *id).await.unwrap();
        assert_eq!(job.status, "queued", "{job:?}");
    }
    app.workers.push(TestWorker::start(
        app.settings.clone(),
        counting_registry(runs.clone()),
    ));
    for id in &ids {
        assert_eq!(
            app.wait_job(*id, Duration::from_secs(30)).await.status,
            "completed"
        );
        assert_eq!(runs.of(*id), 1);
    }
}

#[tokio::test]
async fn a_job_fails_only_when_no_worker_for_its_kind_is_alive_and_says_so() {
    let app = impatient_app()
        .env("PRODUCK__JOBS__NO_WORKER_TIMEOUT_SECS", "2")
        .workers(1, bystander_registry())
        .spawn()
        .await;
    let id = app.start("test_counted", json!({})).await;
    let job = app.wait_job(id, Duration::from_secs(20)).await;
    assert_eq!(job.status, "failed");
    let error = job.error.unwrap_or_default();
    assert!(
        error.contains("no worker for test_counted jobs has been running"),
        "{error}"
    );
}

#[tokio::test]
async fn a_copy_whose_lease_was_taken_stops_and_records_nothing() {
    let runs = Runs::default();
    let app = TestApp::builder()
        .workers(1, counting_registry(runs.clone()))
        .spawn()
        .await;
    let id = app.start("test_counted", json!({"ms": 6000})).await;
    app.wait_running(id, Duration::from_secs(10)).await;
    // Another worker took the run over (as the sweeper does after a lapsed lease).
    let lease = chrono::Utc::now() + chrono::Duration::seconds(60);
    job_run::ActiveModel {
        id: Set(id),
        worker: Set(Some("another-worker".into())),
        lease_until: Set(Some(lease)),
        ..Default::default()
    }
    .update(app.db())
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert_eq!(runs.of(id), 0, "the abandoned copy ran to its end");
    let job = jobs::get(app.db(), app.workspace_id, id).await.unwrap();
    assert_eq!(job.status, "running", "{job:?}");
    assert_eq!(job.worker.as_deref(), Some("another-worker"));
}

#[tokio::test]
async fn a_timeout_stops_blocking_work_through_the_cancel_flag() {
    let ticks = Arc::new(AtomicUsize::new(0));
    let registry = JobRegistry::empty().register("test_blocking", {
        let ticks = ticks.clone();
        move |ctx: JobContext| {
            let ticks = ticks.clone();
            async move {
                let cancel = ctx.cancel_flag().clone();
                tokio::task::spawn_blocking(move || {
                    for _ in 0..2000 {
                        if cancel.is_cancelled() {
                            return;
                        }
                        ticks.fetch_add(1, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(5));
                    }
                })
                .await
                .ok();
                Ok(Value::Null)
            }
        }
    });
    let app = TestApp::builder()
        .env("PRODUCK__JOBS__KINDS__TEST_BLOCKING__TIMEOUT_SECS", "1")
        .env("PRODUCK__JOBS__KINDS__TEST_BLOCKING__MAX_ATTEMPTS", "1")
        .workers(1, registry)
        .spawn()
        .await;
    let id = app.start("test_blocking", json!({})).await;
    let job = app.wait_job(id, Duration::from_secs(10)).await;
    assert_eq!(job.status, "failed");
    assert!(job.error.unwrap_or_default().contains("timed out"));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let after_stop = ticks.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        ticks.load(Ordering::SeqCst),
        after_stop,
        "the blocking loop kept running"
    );
    assert!(after_stop < 1000, "the loop ran to its end: {after_stop}");
}

/// After a Redis flush, the sweeper used to check only the oldest 500 due runs each time:
/// once those were re-pushed and alive (a kind nobody consumes), it checked the same 500
/// forever and the runs behind them never reached a queue again.
#[tokio::test]
async fn after_a_redis_flush_every_lost_run_is_pushed_again_behind_a_backlog_nobody_consumes() {
    let runs = Runs::default();
    let mut app = impatient_app().spawn().await;
    // The oldest 600 belong to a kind no worker consumes; 1 400 consumed runs wait behind.
    let unconsumed = start_many(&app, "test_bystander", 600, json!({})).await;
    let consumed = start_many(&app, "test_counted", 1400, json!({})).await;
    // Redis loses every queue entry of this app (its prefix), as a restart without
    // persistence does.
    let mut redis = app.state.redis.clone();
    let pattern = format!("{}:*", app.settings.jobs.queue_prefix);
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(&pattern)
        .query_async(&mut redis)
        .await
        .unwrap();
    assert!(!keys.is_empty(), "the runs were enqueued under {pattern}");
    for chunk in keys.chunks(500) {
        let _: () = redis::cmd("DEL")
            .arg(chunk)
            .query_async(&mut redis)
            .await
            .unwrap();
    }
    let flushed = Instant::now();
    app.workers.push(TestWorker::start(
        app.settings.clone(),
        counting_registry(runs.clone()),
    ));
    let done = || async {
        use sea_orm::ConnectionTrait;
        app.db()
            .query_one_raw(sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT count(*) FROM job_runs WHERE kind = 'test_counted' AND status = 'completed'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
    };
    while done().await < consumed.len() as i64 {
        assert!(
            flushed.elapsed() < Duration::from_secs(90),
            "{} of {} consumed runs completed within 90 s of the flush",
            done().await,
            consumed.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "2 000-run backlog (600 unconsumed first): all 1 400 consumed runs completed {:.1} s after the Redis flush",
        flushed.elapsed().as_secs_f64()
    );
    for id in &consumed {
        assert_eq!(runs.of(*id), 1, "job {id} ran {} times", runs.of(*id));
    }
    for id in unconsumed.iter().take(5) {
        let job = jobs::get(app.db(), app.workspace_id, *id).await.unwrap();
        assert_eq!(job.status, "queued", "they wait for their worker: {job:?}");
    }
}
