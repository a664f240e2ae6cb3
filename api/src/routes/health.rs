//! `GET /healthz`: is the API able to reach PostgreSQL and Redis? `GET /readyz`: and is the
//! schema at the version this build expects? Unauthenticated. Both keep a plain JSON shape
//! (not problem+json) because monitors and orchestrators parse it.

use std::time::Duration;

use aide::axum::{ApiRouter, routing::get_with};
use axum::{Json, extract::State, http::StatusCode};
use schemars::JsonSchema;
use sea_orm::ConnectionTrait;
use serde::Serialize;

use crate::state::AppState;

/// Reachability of the system's dependencies.
#[derive(Debug, Serialize, JsonSchema)]
pub struct HealthOut {
    /// `ok` when everything is reachable, else `error`.
    pub status: &'static str,
    /// `connected` or `disconnected`.
    pub database: &'static str,
    /// `connected` or `disconnected`.
    pub redis: &'static str,
    /// Which dependency is down (absent when healthy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

const CHECK_BUDGET: Duration = Duration::from_millis(1500);

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<HealthOut>) {
    let (status, body, _, _) = dependencies(&state).await;
    (status, Json(body))
}

/// Reachability of PostgreSQL and Redis: the status to answer, the body, and whether each
/// answered.
async fn dependencies(state: &AppState) -> (StatusCode, HealthOut, bool, bool) {
    let db_check = async {
        matches!(
            tokio::time::timeout(CHECK_BUDGET, state.db.execute_unprepared("SELECT 1")).await,
            Ok(Ok(_))
        )
    };
    let mut redis = state.redis.clone();
    let redis_check = shared::redis_conn::ping(&mut redis, CHECK_BUDGET);
    let (db_ok, redis_ok) = tokio::join!(db_check, redis_check);
    let word = |ok| if ok { "connected" } else { "disconnected" };
    let down: Vec<&str> = [(db_ok, "database"), (redis_ok, "redis")]
        .into_iter()
        .filter(|(ok, _)| !ok)
        .map(|(_, name)| name)
        .collect();
    let body = HealthOut {
        status: if down.is_empty() { "ok" } else { "error" },
        database: word(db_ok),
        redis: word(redis_ok),
        error: (!down.is_empty()).then(|| format!("{} unreachable", down.join(" and "))),
    };
    let status = if down.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body, db_ok, redis_ok)
}

/// Whether this replica should take traffic.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ReadyOut {
    /// `ready`, or `not_ready` with `error` saying why.
    pub status: &'static str,
    /// `connected` or `disconnected`.
    pub database: &'static str,
    /// `connected` or `disconnected`.
    pub redis: &'static str,
    /// The newest migration this build knows.
    pub expected_migration: String,
    /// Migrations of this build not yet applied to the database (null when it cannot be read).
    pub pending_migrations: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<ReadyOut>) {
    use migration::MigratorTrait;
    let (_, health, db_ok, _) = dependencies(&state).await;
    let expected = migration::Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default();
    let pending = if db_ok {
        tokio::time::timeout(
            CHECK_BUDGET,
            migration::Migrator::get_pending_migrations(&state.db),
        )
        .await
        .ok()
        .and_then(Result::ok)
        .map(|p| p.len())
    } else {
        None
    };
    let mut errors: Vec<String> = health.error.into_iter().collect();
    match pending {
        Some(0) => {}
        Some(n) => errors.push(format!(
            "{n} migrations are not applied (run produck-api migrate)"
        )),
        None if db_ok => errors.push("the migration table cannot be read".into()),
        None => {}
    }
    let ready = errors.is_empty();
    let body = ReadyOut {
        status: if ready { "ready" } else { "not_ready" },
        database: health.database,
        redis: health.redis,
        expected_migration: expected,
        pending_migrations: pending,
        error: (!ready).then(|| errors.join("; ")),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/readyz",
            get_with(readyz, |op| {
                op.summary("Readiness check")
                    .description(
                        "200 when PostgreSQL and Redis answer and every migration of this build is applied; 503 \
                         with `status: \"not_ready\"` and the reason otherwise (a replica started before \
                         `produck-api migrate` ran, or a dependency down). No authentication.",
                    )
                    .tag("health")
                    .security_requirement_multi(std::iter::empty())
                    .response::<200, Json<ReadyOut>>()
                    .response_with::<503, Json<ReadyOut>, _>(|r| r.description("Not ready"))
            }),
        )
        .api_route(
        "/healthz",
        get_with(healthz, |op| {
            op.summary("Health check")
                .description(
                    "Checks PostgreSQL and Redis within 2 seconds. 200 when both answer; 503 with \
                     `status: \"error\"` naming what is down otherwise. No authentication.",
                )
                .tag("health")
                .security_requirement_multi(std::iter::empty())
                .response::<200, Json<HealthOut>>()
                .response_with::<503, Json<HealthOut>, _>(|r| {
                    r.description("A dependency is unreachable")
                })
        }),
    )
}
