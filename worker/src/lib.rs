//! `produck-worker`: consumes the job queues. One apalis worker per job kind, a sweeper that
//! recovers lost jobs, and the cluster-wide maintenance schedule.

pub mod context;
pub mod error;
pub mod handlers;
pub mod lifecycle;
pub mod listener;
pub mod poll;
pub mod recovery;
pub mod registry;
pub mod runner;
pub mod schedule;
pub mod sweeper;

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context as _;
use apalis::prelude::{Monitor, PollWith, WorkerBuilder, WorkerBuilderExt};
use shared::{config::Settings, jobs::JobQueue};

pub use context::JobContext;
pub use error::JobError;
pub use registry::JobRegistry;

/// Everything a running job needs, shared by all kinds in one process.
pub struct Runtime {
    pub db: sea_orm::DatabaseConnection,
    pub queue: JobQueue,
    pub settings: Arc<Settings>,
    pub registry: JobRegistry,
    pub ai: Arc<shared::ai::AiServices>,
    /// Unique per process (host + pid + random): apalis keeps in-flight sets per name.
    pub name: String,
    /// Where this process's sweeps go on scanning for lost queue entries.
    pub sweep_position: recovery::SweepPosition,
}

/// Host, pid and a random suffix, so a restarted worker never collides with its old name.
pub fn unique_worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "worker".to_owned());
    let suffix: u32 = rand::random();
    format!("{host}-{}-{suffix:08x}", std::process::id())
}

/// Which kinds this process consumes: all registered ones, or the subset asked for.
pub fn select_kinds(
    registry: &JobRegistry,
    only: Option<&[String]>,
) -> anyhow::Result<Vec<String>> {
    let all = registry.kinds();
    match only {
        None => Ok(all),
        Some(wanted) => {
            for kind in wanted {
                if !all.contains(kind) {
                    anyhow::bail!("unknown queue {kind:?}; known queues: {}", all.join(", "));
                }
            }
            Ok(wanted.to_vec())
        }
    }
}

/// Runs the worker until `shutdown` resolves, then stops fetching and lets in-flight jobs
/// finish within `worker.shutdown_grace_secs`. Returns an error if the workers stop on
/// their own (for example when one could not register), so the process exits non-zero.
pub async fn run(
    runtime: Arc<Runtime>,
    kinds: Vec<String>,
    with_schedule: bool,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let settings = runtime.settings.clone();
    let poll_every = Duration::from_millis(settings.worker.poll_interval_ms);
    let wake = shared::jobs::wake::WakeHub::new(&kinds);
    let listener = tokio::spawn(wake.clone().listen(settings.clone()));
    let mut monitor = Monitor::new()
        .shutdown_timeout(Duration::from_secs(settings.worker.shutdown_grace_secs))
        // A Redis outage ends the backend's stream; the worker is started again (about twice
        // a second) until Redis is back, however long that takes, so an outage needs no
        // process restart. Logged at the first attempts, then every twentieth.
        .should_restart(|w, e| {
            let n = w.restarts();
            if n < 3 || n % 20 == 0 {
                tracing::warn!(worker = %w.name(), restarts = n, error = %e, "worker stopped; restarting");
            }
            true
        });
    for kind in &kinds {
        let limits = settings.jobs.limits_for(kind);
        let storage = runtime.queue.storage(kind);
        let name = format!("{}-{kind}", runtime.name);
        let rt = runtime.clone();
        let signal = wake.signal(kind);
        monitor = monitor.register(move |restarts| {
            // A restarted worker registers under a fresh name: apalis refuses a name that
            // heartbeated recently.
            let name = if restarts == 0 {
                name.clone()
            } else {
                format!("{name}-r{restarts}")
            };
            WorkerBuilder::new(name)
                .backend(PollWith::new(
                    storage.clone(),
                    poll::WakeOrTick::new(signal.clone(), poll_every),
                ))
                .catch_panic()
                .concurrency(limits.concurrency)
                .data(rt.clone())
                .build(runner::execute)
        });
    }
    if with_schedule {
        monitor = schedule::register(monitor, runtime.clone())?;
    }
    let ctx = monitor.context();
    let sweeper = tokio::spawn(sweeper::run(runtime.clone(), kinds.clone()));
    let run = monitor.run();
    tokio::pin!(run);
    tokio::pin!(shutdown);
    let outcome = tokio::select! {
        res = &mut run => Err(match res {
            Ok(()) => anyhow::anyhow!("the job workers stopped without a shutdown signal"),
            Err(e) => anyhow::anyhow!("the job workers failed: {e}"),
        }),
        () = &mut shutdown => {
            tracing::info!("shutdown requested: finishing in-flight jobs");
            let _ = ctx.shutdown();
            let grace = Duration::from_secs(settings.worker.shutdown_grace_secs + 1);
            match tokio::time::timeout(grace, &mut run).await {
                Ok(_) => Ok(()),
                Err(_) => {
                    tracing::warn!("grace period over; unfinished jobs will be retried by the sweeper");
                    Ok(())
                }
            }
        }
    };
    sweeper.abort();
    listener.abort();
    outcome
}

/// Connects to Postgres and Redis and builds the shared runtime.
pub async fn connect(
    settings: Arc<Settings>,
    registry: JobRegistry,
) -> anyhow::Result<Arc<Runtime>> {
    let db = shared::db::connect(&settings.database)
        .await
        .context("connecting to PostgreSQL")?;
    let redis = shared::redis_conn::connect(&settings.redis)
        .await
        .context("connecting to Redis")?;
    let ai = Arc::new(shared::ai::AiServices::load(&settings)?.with_run_log(db.clone()));
    shared::ai::init_crypto();
    shared::metrics::install();
    Ok(Arc::new(Runtime {
        ai,
        db,
        queue: JobQueue::new(redis, settings.clone()),
        settings,
        registry,
        name: unique_worker_name(),
        sweep_position: Default::default(),
    }))
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
}
