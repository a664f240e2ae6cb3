//! Per-route time limits. Uploads stream large bodies and may wait for processing, so they
//! get `ingest.upload_timeout_secs`; every other route `server.request_timeout_secs`. The
//! deadline is handed to handlers, which keep their own waits inside it.

use std::time::Duration;

use axum::{
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tokio::time::Instant;

use crate::{error::ApiError, state::AppState};

/// When the current request's time is up.
#[derive(Debug, Clone, Copy)]
pub struct RequestDeadline(pub Instant);

impl RequestDeadline {
    pub fn remaining(&self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

/// Routes with their own, longer limit.
const UPLOAD_ROUTE: &str = "/upload/upload-feedback";

pub async fn middleware(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let limit = if req.uri().path() == UPLOAD_ROUTE {
        Duration::from_secs(state.settings.ingest.upload_timeout_secs)
    } else {
        Duration::from_secs(state.settings.server.request_timeout_secs)
    };
    let deadline = Instant::now() + limit;
    req.extensions_mut().insert(RequestDeadline(deadline));
    match tokio::time::timeout_at(deadline, next.run(req)).await {
        Ok(res) => res,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "the request took too long; try again",
        )
        .into_response(),
    }
}
