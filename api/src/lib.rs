//! `produck-api`: the HTTP API. Thin handlers: extract, authorise, call a service, map to a DTO.

pub mod allowed;
pub mod app;
pub mod auth;
pub mod cached_json;
pub mod console;
pub mod docs;
pub mod error;
pub mod extract;
pub mod http_metrics;
pub mod job_wait;
pub mod mcp;
pub mod openapi;
pub mod operator;
pub mod origin;
pub mod paging;
pub mod rate_limit;
pub mod request_id;
pub mod routes;
pub mod sse;
pub mod state;
pub mod timeout;

use std::{future::Future, net::SocketAddr, sync::Arc};

use anyhow::Context as _;
use secrecy::SecretString;
use shared::{
    auth::tokens::TokenKeys,
    config::Settings,
    jobs::JobQueue,
    services::{bootstrap, rate_limit::WindowLimiter},
};
use tokio::net::TcpListener;

pub use state::AppState;

/// Connects to PostgreSQL (creating the database first when configured to), optionally
/// migrates, ensures the default workspace and provisioned key, and builds the state.
pub async fn prepare(settings: Arc<Settings>, migrate: bool) -> anyhow::Result<AppState> {
    if settings.database.create_if_missing {
        shared::db::create_if_missing(&settings.database)
            .await
            .context("creating the database (is PostgreSQL running?)")?;
    }
    let db = shared::db::connect(&settings.database)
        .await
        .context("connecting to PostgreSQL")?;
    if migrate {
        use migration::MigratorTrait;
        migration::Migrator::up(&db, None)
            .await
            .context("running migrations")?;
    }
    let ws = bootstrap::on_start(&db, &settings)
        .await
        .context("preparing the default workspace (have migrations run? try --migrate)")?;
    let redis = shared::redis_conn::connect_lazy(&settings.redis).context("redis.url")?;
    state_from_parts(settings, db, redis, ws.id)
}

/// Builds the state from existing connections (tests use this with lazy connections).
pub fn state_from_parts(
    settings: Arc<Settings>,
    db: sea_orm::DatabaseConnection,
    redis: redis::aio::ConnectionManager,
    default_workspace_id: uuid::Uuid,
) -> anyhow::Result<AppState> {
    let ai = shared::ai::AiServices::load(&settings)
        .context("loading ai_config.yaml")?
        .with_run_log(db.clone());
    shared::auth::password::set_concurrency(settings.auth.max_concurrent_hashes);
    shared::metrics::install();
    // With auth disabled no token is ever checked; a random key keeps the type total.
    let secret = settings
        .auth
        .jwt_secret
        .clone()
        .unwrap_or_else(|| SecretString::from(uuid::Uuid::new_v4().to_string().repeat(2)));
    Ok(AppState::new(state::Services {
        ai: Arc::new(ai),
        keys: TokenKeys::new(&secret, settings.auth.access_token_ttl_secs),
        login_limiter: WindowLimiter::new(
            redis.clone(),
            &settings.jobs.queue_prefix,
            settings.auth.login_max_failures,
            settings.auth.login_window_secs,
        ),
        chat_limiter: WindowLimiter::new(
            redis.clone(),
            &format!("{}:chat", settings.jobs.queue_prefix),
            settings.chat.questions_per_minute,
            60,
        ),
        limiter: shared::services::request_limits::RequestLimiter::new(
            redis.clone(),
            &settings.jobs.queue_prefix,
            settings.rate_limits.clone(),
        ),
        queue: JobQueue::new(redis.clone(), settings.clone()),
        tokens: shared::services::integrations::crypto::TokenCipher::from_settings(
            &settings.integrations,
        ),
        job_events: shared::services::job_events::JobEvents::new(db.clone()),
        job_kinds: Arc::new(
            shared::jobs::kinds::ALL
                .iter()
                .map(|k| (*k).to_owned())
                .collect(),
        ),
        board_cache: cached_json::RenderCache::new(32 << 20),
        db,
        redis,
        settings,
        default_workspace_id,
    }))
}

/// Serves until `shutdown` resolves, then drains in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    if state.settings.auth.disabled {
        tracing::warn!("auth.disabled is on: every request acts as the default workspace's admin");
    }
    let app = app::router(state);
    // Small writes (a streamed event, a short JSON answer) go out at once instead of waiting
    // for the client's delayed ACK (Nagle's algorithm costs ~40 ms per exchange otherwise).
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
