//! `GET /healthz`: is the API able to reach PostgreSQL and Redis? `GET /readyz`: and is the
//! schema at the version this build expects? Unauthenticated. Both keep a plain JSON shape
//! (not problem+json) because monitors and orchestrators parse it.

use std::time::Duration;

use aide::axum::{ApiRouter, routing::get_with};
use axum::{Json, extract::State, http::StatusCode};
use schemars::JsonSchema;
use serde::Serialize;

use shared::health::Reachability;

use crate::state::AppState;

const MIGRATION_CHECK_BUDGET: Duration = Duration::from_millis(1500);

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

async fn healthz(State(state): State<AppState>) -> (StatusCode, Json<HealthOut>) {
    let (status, body, _) = dependencies(&state).await;
    (status, Json(body))
}

/// Reachability of PostgreSQL and Redis: the status to answer, the body, and whether each
/// answered.
async fn dependencies(state: &AppState) -> (StatusCode, HealthOut, Reachability) {
    let reach = shared::health::check(&state.db, &state.redis).await;
    let body = HealthOut {
        status: if reach.all_up() { "ok" } else { "error" },
        database: Reachability::word(reach.database),
        redis: Reachability::word(reach.redis),
        error: reach.problem(),
    };
    let status = if reach.all_up() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, body, reach)
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
    /// The embedder new feedback is embedded with.
    pub embedder: shared::ai::embeddings::EmbedderStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<ReadyOut>) {
    use migration::MigratorTrait;
    let (_, health, reach) = dependencies(&state).await;
    let db_ok = reach.database;
    let expected = migration::Migrator::migrations()
        .last()
        .map(|m| m.name().to_owned())
        .unwrap_or_default();
    let pending = if db_ok {
        tokio::time::timeout(
            MIGRATION_CHECK_BUDGET,
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
        embedder: state.ai.embedder_status(),
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
