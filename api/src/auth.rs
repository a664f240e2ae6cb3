//! The `Auth` extractor: every protected handler takes it, so no route can forget to
//! authenticate. It yields the caller's workspace and role. A bearer credential (access
//! token or API key) wins; without one, the console's session cookie is accepted, and then
//! every state-changing request must also carry the session's CSRF token.

use aide::{
    OperationInput,
    generate::GenContext,
    openapi::{Operation, Response as OaResponse, StatusCode as OaStatus},
};
use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, HeaderName, HeaderValue, Method, header, request::Parts},
};
use indexmap::IndexMap;
use shared::{
    auth::Role,
    services::{
        console_sessions,
        principal::{self, Actor, Principal},
    },
};

use crate::{
    error::{ApiError, problem_response},
    state::AppState,
};

pub struct Auth(pub Principal);

impl Auth {
    /// 403 unless the caller has at least `role`.
    pub fn require(&self, role: Role) -> Result<&Principal, ApiError> {
        self.0.require(role)?;
        Ok(&self.0)
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if state.settings.auth.disabled {
            local_only(parts, &state.settings.server.cors_origins)?;
            return Ok(Self(Principal {
                workspace_id: state.default_workspace_id,
                role: Role::Admin,
                actor: Actor::Local,
            }));
        }
        if let Some(header_value) = parts.headers.get(header::AUTHORIZATION) {
            let token = bearer_token(header_value).ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be: Bearer <token>")
            })?;
            let principal = principal::authenticate(&state.db, &state.keys, token).await?;
            return Ok(Self(principal));
        }
        let Some(secret) = session_cookie(&parts.headers) else {
            return Err(ApiError::unauthorized(
                "missing Authorization: Bearer <token> header (or a console session)",
            ));
        };
        let principal = console_sessions::authenticate(&state.db, &secret).await?;
        if !is_safe(&parts.method) {
            let presented = parts
                .headers
                .get(&CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !console_sessions::csrf_matches(&secret, presented) {
                return Err(ApiError {
                    code: "csrf_failed",
                    ..ApiError::forbidden(
                        "this change was sent with the session cookie but without its X-CSRF-Token header; reload the page and try again",
                    )
                });
            }
        }
        Ok(Self(principal))
    }
}

/// The header a cookie-authenticated change must carry (bearer clients never need it).
pub static CSRF_HEADER: HeaderName = HeaderName::from_static("x-csrf-token");

/// The console's session cookie.
pub const SESSION_COOKIE: &str = "produck_session";

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn bearer_token(value: &HeaderValue) -> Option<&str> {
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The value of a named cookie, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| !v.is_empty())
}

/// The console session secret, when the request carries the session cookie.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION_COOKIE)
}

/// The console session that authenticates this request: its cookie counts only when no
/// `Authorization` header was presented (that one wins).
pub fn authenticating_session(headers: &HeaderMap) -> Option<String> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        None
    } else {
        session_cookie(headers)
    }
}

/// Whether cookies set for this request should be `Secure`: the request came over https,
/// directly or (as the proxy in front of us says) to the proxy, or the public URL is https.
pub fn wants_secure_cookie(headers: &HeaderMap, public_url: &str) -> bool {
    public_url.starts_with("https://")
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// With auth disabled anyone who can reach the port is an admin, so the request must really
/// come from this machine: a loopback `Host` (a rebinding DNS name is refused), and for
/// changes an `Origin`, when the browser sends one, of our own or a configured origin.
fn local_only(parts: &Parts, allowed_origins: &[String]) -> Result<(), ApiError> {
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()));
    if let Some(host) = &host
        && !is_loopback_host(host)
    {
        return Err(ApiError::forbidden(format!(
            "authentication is disabled, so only requests to a loopback address are served (Host: {host})"
        )));
    }
    let safe = is_safe(&parts.method);
    let origin = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    if let Some(origin) = origin.filter(|_| !safe) {
        let own = host
            .as_deref()
            .is_some_and(|h| origin.strip_prefix("http://") == Some(h));
        if !own && !allowed_origins.iter().any(|o| o == origin) {
            return Err(ApiError::forbidden(format!(
                "authentication is disabled, so changes are accepted only from server.cors_origins (Origin: {origin})"
            )));
        }
    }
    Ok(())
}

/// `localhost`, `*.localhost`, 127.0.0.0/8 or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or_default()
    } else {
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl OperationInput for Auth {
    fn operation_input(_ctx: &mut GenContext, operation: &mut Operation) {
        let requirement = IndexMap::from_iter([("bearer".to_owned(), Vec::<String>::new())]);
        if !operation.security.contains(&requirement) {
            operation.security.push(requirement);
        }
    }

    fn inferred_early_responses(
        ctx: &mut GenContext,
        _op: &mut Operation,
    ) -> Vec<(Option<OaStatus>, OaResponse)> {
        vec![
            (
                Some(OaStatus::Code(401)),
                problem_response(ctx, "Missing, invalid or expired credentials"),
            ),
            (
                Some(OaStatus::Code(403)),
                problem_response(ctx, "The caller's role is too weak"),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::is_loopback_host;

    #[test]
    fn only_loopback_hosts_pass() {
        for ok in [
            "localhost",
            "localhost:8000",
            "127.0.0.1:8000",
            "127.1.2.3",
            "[::1]:8000",
            "app.localhost",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.example:8000",
            "10.0.0.5",
            "localhost.evil.example",
            "[2001:db8::1]:80",
            "127.0.0.1.nip.io",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
