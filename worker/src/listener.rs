//! The worker's own small HTTP listener (`worker.metrics_addr`): `/metrics` for Prometheus
//! and `/healthz` for orchestrators. Same access rule as the API's `/metrics`.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    Router,
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::Runtime;

/// Binds `addr` and serves until the process ends; returns the bound address (port 0 picks one).
pub async fn spawn(runtime: Arc<Runtime>, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .with_state(runtime);
    tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the worker's metrics listener stopped");
        }
    });
    Ok(bound)
}

async fn metrics(
    State(rt): State<Arc<Runtime>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !shared::metrics::scrape_allowed(&rt.settings.metrics, Some(peer.ip()), authorization) {
        return (
            StatusCode::UNAUTHORIZED,
            "metrics need the configured bearer token\n",
        )
            .into_response();
    }
    let body = shared::metrics::render(&rt.db, &rt.registry.kinds()).await;
    (
        [(header::CONTENT_TYPE, shared::metrics::CONTENT_TYPE)],
        body,
    )
        .into_response()
}

async fn healthz(State(rt): State<Arc<Runtime>>) -> Response {
    let reach = shared::health::check(&rt.db, &rt.queue.connection()).await;
    let status = if reach.all_up() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if reach.all_up() { "ok" } else { "error" },
        "database": shared::health::Reachability::word(reach.database),
        "redis": shared::health::Reachability::word(reach.redis),
        "worker": rt.name,
    });
    (status, axum::Json(body)).into_response()
}
