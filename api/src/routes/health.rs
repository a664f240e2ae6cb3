//! `GET /healthz`: is the API able to reach PostgreSQL and Redis? Unauthenticated.
//! Keeps the original's JSON shape (not problem+json) because monitors parse it.

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
    (status, Json(body))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
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
