//! Request rate limits, applied before any handler runs. The caller is the credential it
//! presents (hashed), or its client address when it presents none; a credential that fails
//! authentication is charged to the address too, so minting junk tokens buys nothing.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use shared::services::request_limits::{Class, Decision};

use crate::{error::ApiError, extract::client_ip, state::AppState};

pub static RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");
pub static RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// Probes, scrapes, docs and the signed Slack webhook are never limited: orchestrators and
/// Slack retry on their own schedule, and a dropped event would be lost data.
fn exempt(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | "/openapi.json" | "/integrations/slack/events"
    ) || path == "/docs"
        || path.starts_with("/docs/")
}

pub fn class_of(method: &Method, path: &str) -> Option<Class> {
    if *method == Method::OPTIONS || exempt(path) {
        return None;
    }
    if matches!(*method, Method::GET | Method::HEAD) {
        return Some(Class::Reads);
    }
    if path.starts_with("/upload/") || path == "/jira/tickets/import" {
        return Some(Class::Uploads);
    }
    if path == "/chat" || path.starts_with("/chat/") {
        return Some(Class::Chat);
    }
    Some(Class::Writes)
}

/// Sign-in must not be open to guessing while the limiter is blind.
fn fails_closed(path: &str) -> bool {
    matches!(path, "/auth/login" | "/auth/refresh")
}

fn credential(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.split_once(' ')?.1.trim();
    (!token.is_empty()).then(|| {
        let digest = shared::auth::secrets::sha256_hex(token);
        format!("cred:{}", &digest[..32])
    })
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let Some(class) = class_of(req.method(), &path) else {
        return next.run(req).await;
    };
    let limiter = &state.limiter;
    if limiter.limit(class) == 0 {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let ip = client_ip(&parts, state.settings.server.client_ip_header.as_deref())
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    let address = format!("ip:{ip}");
    let credential = credential(&parts.headers);
    let (subject, guard) = match &credential {
        Some(c) => (c.as_str(), Some(address.as_str())),
        None => (address.as_str(), None),
    };
    let decision = match limiter.check(class, subject, guard).await {
        Ok(decision) => decision,
        Err(e) if fails_closed(&path) => {
            tracing::warn!(error = %e, %path, "rate limiter unavailable: refusing sign-in");
            let mut refused = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "sign-in is paused while the rate limiter is unavailable; try again shortly",
            );
            refused.retry_after = Some(5);
            return refused.into_response();
        }
        Err(e) => {
            tracing::warn!(error = %e, class = class.as_str(), "rate limiter unavailable: request let through unlimited");
            None
        }
    };
    if let Some(d) = decision.as_ref().filter(|d| !d.allowed) {
        metrics::counter!(shared::metrics::RATE_LIMITED, "class" => class.as_str()).increment(1);
        let mut refused = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "too many {} requests: {} per minute allowed; retry in {} s",
                class.as_str(),
                d.limit,
                d.retry_after_secs
            ),
        );
        refused.retry_after = Some(d.retry_after_secs);
        let mut res = refused.into_response();
        add_headers(res.headers_mut(), class, d);
        return res;
    }
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if credential.is_some() && res.status() == StatusCode::UNAUTHORIZED {
        limiter.charge(class, &address).await;
    }
    if let Some(d) = &decision {
        add_headers(res.headers_mut(), class, d);
    }
    res
}

/// The IETF `RateLimit` and `RateLimit-Policy` fields (draft-ietf-httpapi-ratelimit-headers).
fn add_headers(headers: &mut HeaderMap, class: Class, d: &Decision) {
    let name = class.as_str();
    let policy = format!("\"{name}\";q={};w=60", d.limit);
    let state = format!("\"{name}\";r={};t={}", d.remaining, d.reset_secs);
    if let (Ok(p), Ok(s)) = (
        HeaderValue::from_str(&policy),
        HeaderValue::from_str(&state),
    ) {
        headers.insert(RATE_LIMIT_POLICY.clone(), p);
        headers.insert(RATE_LIMIT.clone(), s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_into_the_documented_classes() {
        let cases = [
            (Method::GET, "/themes", Some(Class::Reads)),
            (Method::HEAD, "/feedback", Some(Class::Reads)),
            (Method::POST, "/cluster/run", Some(Class::Writes)),
            (Method::DELETE, "/feedback/1", Some(Class::Writes)),
            (
                Method::POST,
                "/upload/upload-feedback",
                Some(Class::Uploads),
            ),
            (Method::POST, "/jira/tickets/import", Some(Class::Uploads)),
            (Method::POST, "/chat", Some(Class::Chat)),
            (Method::PATCH, "/chat/conversations/1", Some(Class::Chat)),
            (Method::POST, "/chatter", Some(Class::Writes)),
            (Method::GET, "/healthz", None),
            (Method::GET, "/metrics", None),
            (Method::GET, "/docs/scalar.js", None),
            (Method::POST, "/integrations/slack/events", None),
            (Method::OPTIONS, "/themes", None),
        ];
        for (method, path, class) in cases {
            assert_eq!(class_of(&method, path), class, "{method} {path}");
        }
    }

    #[test]
    fn credentials_are_keyed_by_digest_never_by_value() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer pk_secret_value"),
        );
        let key = credential(&headers).unwrap();
        assert!(key.starts_with("cred:") && !key.contains("secret"));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer "));
        assert_eq!(credential(&headers), None);
    }
}
