//! Request rate limits, applied before any handler runs. The caller is the principal behind
//! a verified credential (the user an access token names, so refreshing tokens mints no
//! fresh allowance; an API key by its hash), or its client address when it presents none.
//! An access token that fails verification is charged to the address up front, and any
//! credential answered with 401 is charged to it too, so junk tokens buy nothing.

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use shared::services::request_limits::{Class, Decision, Unreachable};

use crate::{error::ApiError, origin::client_ip, state::AppState};

pub static RATE_LIMIT: HeaderName = HeaderName::from_static("ratelimit");
pub static RATE_LIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");

/// Probes, scrapes, docs, the console's static files and the signed Slack webhook are never
/// limited: orchestrators and Slack retry on their own schedule, and a dropped event would be
/// lost data.
fn exempt(path: &str) -> bool {
    matches!(
        path,
        "/healthz" | "/readyz" | "/metrics" | "/openapi.json" | "/integrations/slack/events"
    ) || path == "/docs"
        || path.starts_with("/docs/")
        || crate::console::serves(path)
}

pub fn class_of(method: &Method, path: &str) -> Option<Class> {
    if *method == Method::OPTIONS || exempt(path) {
        return None;
    }
    // An MCP request (`mcp::PATH`) is counted as a read; its tools that change data or ask
    // the copilot are charged their own class as well (`admit`).
    if matches!(*method, Method::GET | Method::HEAD) || path == "/mcp" {
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

/// Whom a request is counted against.
enum Caller {
    /// A user (from a verified access token) or an API key (by its hash).
    Principal(String),
    /// An access token that fails verification.
    Junk,
    Anonymous,
}

fn caller(headers: &HeaderMap, keys: &shared::auth::tokens::TokenKeys) -> Caller {
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty())
    else {
        // A console session is its member's until it is checked; a forged cookie costs
        // its sender the 401 charged below.
        return crate::auth::session_cookie(headers).map_or(Caller::Anonymous, |secret| {
            let digest = shared::auth::secrets::sha256_hex(&secret);
            Caller::Principal(format!("session:{}", &digest[..32]))
        });
    };
    if shared::auth::tokens::looks_like_jwt(token) {
        return match keys.verify(token) {
            Some(claims) => Caller::Principal(format!("user:{}", claims.sub)),
            None => Caller::Junk,
        };
    }
    let digest = shared::auth::secrets::sha256_hex(token);
    Caller::Principal(format!("cred:{}", &digest[..32]))
}

/// Whom a request is counted against, and the client address that must also have
/// allowance left when that is a principal (so one address cannot rotate keys forever).
fn subject_of(state: &AppState, parts: &Parts) -> (Caller, String) {
    let ip = client_ip(parts, state.settings.server.client_ip_header.as_deref())
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    (caller(&parts.headers, &state.keys), format!("ip:{ip}"))
}

async fn decide(
    state: &AppState,
    class: Class,
    caller: &Caller,
    address: &str,
) -> Result<Option<Decision>, Unreachable> {
    let (subject, guard) = match caller {
        Caller::Principal(p) => (p.as_str(), Some(address)),
        Caller::Junk | Caller::Anonymous => (address, None),
    };
    state.limiter.check(class, subject, guard).await
}

fn refusal(class: Class, d: &Decision) -> ApiError {
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
    refused
}

/// Counts one request of another `class` against the caller of an admitted request: an MCP
/// tool call arrives as a read, and one that changes data or asks the copilot is charged
/// like the HTTP route it stands for. `Err` is the 429.
pub async fn admit(state: &AppState, parts: &Parts, class: Class) -> Result<(), ApiError> {
    if state.limiter.limit(class) == 0 {
        return Ok(());
    }
    let (caller, address) = subject_of(state, parts);
    match decide(state, class, &caller, &address).await {
        Ok(Some(d)) if !d.allowed => Err(refusal(class, &d)),
        Ok(_) => Ok(()),
        Err(e) => {
            tracing::warn!(error = %e, class = class.as_str(), "rate limiter unavailable: request let through unlimited");
            Ok(())
        }
    }
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
    let (caller, address) = subject_of(&state, &parts);
    let decision = match decide(&state, class, &caller, &address).await {
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
        let mut res = refusal(class, d).into_response();
        add_headers(res.headers_mut(), class, d);
        return res;
    }
    let mut res = next.run(Request::from_parts(parts, body)).await;
    if matches!(caller, Caller::Principal(_)) && res.status() == StatusCode::UNAUTHORIZED {
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
            (Method::POST, "/mcp", Some(Class::Reads)),
        ];
        for (method, path, class) in cases {
            assert_eq!(class_of(&method, path), class, "{method} {path}");
        }
    }

    #[test]
    fn callers_are_principals_keyed_by_digest_or_by_the_user_a_valid_token_names() {
        let keys =
            shared::auth::tokens::TokenKeys::new(&secrecy::SecretString::from("k".repeat(40)), 900);
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
            caller(&headers, &keys)
        };
        let Caller::Principal(key) = with("Bearer pk_secret_value") else {
            panic!("an API key is a principal");
        };
        assert!(key.starts_with("cred:") && !key.contains("secret"));
        let user = uuid::Uuid::new_v4();
        let (a, _) = keys.issue(user, uuid::Uuid::new_v4()).unwrap();
        let (b, _) = keys.issue(user, uuid::Uuid::new_v4()).unwrap();
        let (Caller::Principal(pa), Caller::Principal(pb)) =
            (with(&format!("Bearer {a}")), with(&format!("Bearer {b}")))
        else {
            panic!("valid tokens are principals");
        };
        assert_eq!(pa, format!("user:{user}"));
        assert_eq!(pa, pb, "two tokens of one user share one allowance");
        assert!(matches!(with("Bearer aaa.bbb.ccc"), Caller::Junk));
        assert!(matches!(with("Bearer "), Caller::Anonymous));
    }
}
