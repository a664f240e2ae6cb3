//! Builds the router: routes, docs, error normalisation and the middleware stack.

use std::{sync::Arc, time::Duration};

use aide::{axum::ApiRouter, openapi::OpenApi};
use axum::{
    Extension, Json, Router,
    extract::DefaultBodyLimit,
    http::{HeaderValue, Method, StatusCode, header},
    middleware,
    response::{IntoResponse, Response},
};
use tower_http::{
    catch_panic::CatchPanicLayer,
    cors::{AllowHeaders, AllowOrigin, CorsLayer},
    trace::TraceLayer,
};

use crate::{
    console, docs, error::ApiError, http_metrics, mcp, openapi, rate_limit, request_id, routes,
    state::AppState, timeout,
};

fn documented_routes() -> ApiRouter<AppState> {
    routes::api_router()
}

/// The OpenAPI document, built from the routes alone (no connections needed).
pub fn spec() -> OpenApi {
    aide::generate::extract_schemas(true);
    aide::generate::infer_responses(true);
    aide::generate::all_error_responses(true);
    let mut api = openapi::base();
    let _ = documented_routes().finish_api_with(&mut api, openapi::finalize);
    api
}

pub fn router(state: AppState) -> Router {
    let api = Arc::new(spec());
    let settings = state.settings.clone();
    let limits = middleware::from_fn_with_state(state.clone(), rate_limit::middleware);
    let app: Router<AppState> = documented_routes().into();
    app.route("/openapi.json", axum::routing::get(serve_spec))
        .merge(docs::routes())
        .merge(console::routes())
        .merge(mcp::routes(&state))
        .fallback(unknown_route)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            timeout::middleware,
        ))
        .with_state(state)
        .layer(Extension(api))
        .layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                tracing::error!("handler panicked");
                ApiError::internal().into_response()
            },
        ))
        .layer(DefaultBodyLimit::max(settings.server.body_limit_bytes))
        .layer(middleware::map_response(problem_for_bare_errors))
        .layer(limits)
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(http_metrics::middleware))
        .layer(cors(&settings.server.cors_origins))
        .layer(middleware::from_fn(request_id::middleware))
}

async fn serve_spec(Extension(api): Extension<Arc<OpenApi>>) -> impl IntoResponse {
    Json(api.as_ref().clone())
}

async fn unknown_route(method: Method, uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no route for {method} {}", uri.path()))
}

/// Responses made by layers or by axum itself (405, timeouts, panics, body limits) get the
/// problem shape too, so clients see one error format everywhere. A short plain-text
/// explanation of a 4xx (the MCP transport's, say) becomes the problem's detail.
async fn problem_for_bare_errors(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.starts_with("application/problem+json") || ct.starts_with("application/json")
        });
    if is_json {
        return res;
    }
    let allow = res.headers().get(header::ALLOW).cloned();
    let text = if status.is_client_error() {
        axum::body::to_bytes(res.into_body(), 512)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty() && !t.contains('\n'))
    } else {
        None
    };
    let detail = match (status, text) {
        (StatusCode::METHOD_NOT_ALLOWED, _) => {
            "this method is not allowed on this route".to_owned()
        }
        (StatusCode::SERVICE_UNAVAILABLE, _) => "the request took too long; try again".to_owned(),
        (StatusCode::PAYLOAD_TOO_LARGE, _) => "the request body is too large".to_owned(),
        (_, Some(text)) => text,
        (s, None) => s
            .canonical_reason()
            .unwrap_or("request failed")
            .to_lowercase(),
    };
    let mut out = ApiError::new(status, detail).into_response();
    if let Some(allow) = allow {
        out.headers_mut().insert(header::ALLOW, allow);
    }
    out
}

fn cors(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_credentials(true)
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            request_id::REQUEST_ID.clone(),
            header::RETRY_AFTER,
            header::LOCATION,
            rate_limit::RATE_LIMIT.clone(),
            rate_limit::RATE_LIMIT_POLICY.clone(),
        ])
        .max_age(Duration::from_secs(600))
}
