//! `GET /metrics`: Prometheus text for this replica's requests, jobs and model calls, plus
//! the cluster's queue gauges. Guarded by `metrics.token`, or loopback-only without one.

use aide::axum::{ApiRouter, routing::get_with};
use axum::{
    extract::State,
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
};

use crate::{error::ApiError, origin::PeerIp, state::AppState};

async fn metrics(
    State(state): State<AppState>,
    PeerIp(peer): PeerIp,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !shared::metrics::scrape_allowed(&state.settings.metrics, peer, authorization) {
        return Err(ApiError::unauthorized(
            "metrics need the bearer token set in metrics.token (or a client on this machine when none is set)",
        ));
    }
    let body = shared::metrics::render(&state.db, &state.job_kinds).await;
    Ok((
        [(header::CONTENT_TYPE, shared::metrics::CONTENT_TYPE)],
        body,
    )
        .into_response())
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new().api_route(
        "/metrics",
        get_with(metrics, |op| {
            op.summary("Prometheus metrics")
                .description(
                    "Prometheus text format. This replica's counters and histograms \
                     (`produck_http_requests_total`, `produck_http_request_duration_seconds`, \
                     `produck_jobs_finished_total`, `produck_job_duration_seconds`, \
                     `produck_job_queue_wait_seconds`, `produck_embedded_texts_total`, \
                     `produck_ai_calls_total`, `produck_ai_tokens_total`, \
                     `produck_ai_fallback_answers_total`, `produck_rate_limited_total`) and the \
                     whole cluster's queue gauges read from the database (`produck_jobs_queued`, \
                     `produck_jobs_due`, `produck_jobs_running`, \
                     `produck_jobs_oldest_queued_age_seconds`, by kind), so an autoscaler may \
                     scrape any replica. Send `Authorization: Bearer <metrics.token>`; without a \
                     configured token only clients on the API's own machine are answered.",
                )
                .tag("health")
                .security_requirement_multi(std::iter::empty())
                .response_with::<200, String, _>(|r| {
                    r.description("Prometheus text exposition format")
                })
                .response_with::<401, ApiError, _>(|r| {
                    r.description("Missing or wrong metrics token")
                })
        }),
    )
}
