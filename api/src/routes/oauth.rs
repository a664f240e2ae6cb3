//! Connecting Google and Zoom through OAuth, and the integrations page: `/auth/{provider}/*`
//! (the original web UI's flow), `/integrations/{provider}/authorize|disconnect` (its second
//! set of names for the same flow) and `GET /integrations`.

use aide::axum::{
    ApiRouter,
    routing::{delete_with, get_with, post_with},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        integrations::{
            OAuthProvider,
            connections::{self, ConnectionView, IntegrationView},
            oauth::{self, Callback, Finisher, OAuthError},
        },
    },
};
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidPath, ValidQuery},
    origin::AuditOrigin,
    state::AppState,
};

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(inline)]
pub struct ProviderPath {
    /// google or zoom.
    pub provider: OAuthProvider,
}

fn oauth_error(e: OAuthError) -> ApiError {
    match e {
        OAuthError::NotConfigured { .. } => ApiError {
            code: "not_configured",
            ..ApiError::new(StatusCode::BAD_REQUEST, e.to_string())
        },
        OAuthError::InvalidState { code, message } => ApiError {
            code,
            ..ApiError::new(StatusCode::BAD_REQUEST, message)
        },
        OAuthError::Denied { .. } => ApiError {
            code: "oauth_denied",
            ..ApiError::new(StatusCode::BAD_REQUEST, e.to_string())
        },
        OAuthError::Upstream(message) => ApiError {
            code: "upstream_unavailable",
            ..ApiError::new(StatusCode::BAD_GATEWAY, message)
        },
        OAuthError::Domain(d) => d.into(),
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StartOut {
    /// Send the browser here.
    pub authorization_url: String,
    /// Single use, valid for integrations.state_ttl_secs.
    pub state: String,
}

/// The cookie that binds a flow to the browser that started it.
fn binding_cookie(provider: OAuthProvider) -> String {
    format!("produck_oauth_{}", provider.as_str())
}

fn cookie_header(state: &AppState, provider: OAuthProvider, value: &str, max_age: u64) -> String {
    let secure = if state
        .settings
        .integrations
        .public_url
        .starts_with("https://")
    {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{}={value}; Path=/auth/{}/callback; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
        binding_cookie(provider),
        provider.as_str()
    )
}

fn presented_binding(headers: &HeaderMap, provider: OAuthProvider) -> Option<String> {
    crate::auth::cookie(headers, &binding_cookie(provider))
}

async fn start(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<ProviderPath>,
) -> Result<Response, ApiError> {
    let p = auth.require(Role::Admin)?;
    // Under auth.disabled one local admin exists and the original web UI starts flows
    // cross-origin, where its browser would not keep the cookie.
    let binding = (!state.settings.auth.disabled).then(|| shared::auth::secrets::random_token(32));
    let started = oauth::start(
        &state.db,
        &state.settings.integrations,
        &state.tokens,
        p.workspace_id,
        &p.label(),
        path.provider,
        binding.as_deref(),
    )
    .await
    .map_err(oauth_error)?;
    let mut res = Json(StartOut {
        authorization_url: started.authorization_url,
        state: started.state,
    })
    .into_response();
    if let Some(binding) = binding {
        let cookie = cookie_header(
            &state,
            path.provider,
            &binding,
            state.settings.integrations.state_ttl_secs,
        );
        if let Ok(value) = header::HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    Ok(res)
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
pub struct CallbackQuery {
    /// The authorization code (absent when the user declined). Providers' codes are far
    /// shorter; the bounds keep the whole redirect under the server's 64 KB URI limit.
    #[validate(length(max = 1024))]
    pub code: Option<String>,
    #[validate(length(min = 1, max = 256))]
    pub state: String,
    /// The provider's error, e.g. access_denied.
    #[validate(length(max = 256))]
    pub error: Option<String>,
    #[validate(length(max = 1024))]
    pub error_description: Option<String>,
    /// Google echoes the granted scopes; not needed.
    #[validate(length(max = 1024))]
    pub scope: Option<String>,
}

impl CallbackQuery {
    /// What the provider's redirect carried, with who is finishing the flow.
    fn into_callback(self, finisher: Finisher) -> Callback {
        Callback {
            code: self.code,
            state: self.state,
            error: self.error,
            error_description: self.error_description,
            finisher,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CallbackOut {
    pub status: &'static str,
    pub provider: OAuthProvider,
    pub account_email: Option<String>,
    pub expires_at: DateTime<Utc>,
    /// The web UI's integrations page, where a browser is sent (303) after connecting.
    pub redirect_url: String,
    pub message: String,
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// The one route of the flow without a caller: the state says whose flow it is.
async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<ProviderPath>,
    ValidQuery(q): ValidQuery<CallbackQuery>,
) -> Result<Response, ApiError> {
    let provider = path.provider;
    let callback = q.into_callback(Finisher {
        binding: presented_binding(&headers, provider),
        caller: None,
    });
    let connected = finish(&state, &origin, provider, &callback).await?;
    let out = connected_out(&state, provider, connected);
    if wants_html(&headers) {
        let mut res = Redirect::to(&out.redirect_url).into_response();
        // The flow is done: the browser forgets its binding.
        if let Ok(value) = header::HeaderValue::from_str(&cookie_header(&state, provider, "", 0)) {
            res.headers_mut().append(header::SET_COOKIE, value);
        }
        return Ok(res);
    }
    Ok(Json(out).into_response())
}

/// Exchanges the code and records the connection in the audit trail.
async fn finish(
    state: &AppState,
    origin: &audit::Origin,
    provider: OAuthProvider,
    callback: &Callback,
) -> Result<oauth::Connected, ApiError> {
    let connected = oauth::complete(
        &state.db,
        &state.settings.integrations,
        &state.tokens,
        provider,
        callback,
    )
    .await
    .map_err(oauth_error)?;
    let event = Event::new("integration.connected", "integration", provider.as_str())
        .details(serde_json::json!({ "account_email": connected.account_email }));
    audit::record_for(
        &state.db,
        connected.workspace_id,
        &connected.connected_by,
        origin,
        event,
    )
    .await?;
    Ok(connected)
}

fn connected_out(
    state: &AppState,
    provider: OAuthProvider,
    connected: oauth::Connected,
) -> CallbackOut {
    let ui = state.settings.integrations.web_ui_url();
    CallbackOut {
        status: "success",
        provider,
        account_email: connected.account_email,
        expires_at: connected.expires_at,
        redirect_url: format!(
            "{ui}/integrations?status=success&provider={}",
            provider.as_str()
        ),
        message: format!("{} account connected successfully!", provider.title()),
    }
}

/// Finishing a flow as the signed-in member who started it (a client that handles the
/// provider's redirect itself, or a browser other than the one that started).
async fn complete(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<ProviderPath>,
    crate::extract::ValidJson(body): crate::extract::ValidJson<CallbackQuery>,
) -> Result<Json<CallbackOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let callback = body.into_callback(Finisher {
        binding: presented_binding(&headers, path.provider),
        caller: Some(p.label()),
    });
    let connected = finish(&state, &origin, path.provider, &callback).await?;
    Ok(Json(connected_out(&state, path.provider, connected)))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionsOut {
    pub connections: Vec<ConnectionView>,
}

async fn list_connections(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<ConnectionsOut>, ApiError> {
    Ok(Json(ConnectionsOut {
        connections: connections::connections(
            &state.db,
            auth.0.workspace_id,
            state.settings.integrations.sync_interval_secs,
        )
        .await?,
    }))
}

/// The connection is forgotten and its entry written in one transaction; the provider's
/// revocation, which cannot be rolled back, follows the commit.
async fn disconnect(
    state: &AppState,
    auth: &Auth,
    origin: &audit::Origin,
    provider: OAuthProvider,
) -> Result<(), ApiError> {
    use sea_orm::TransactionTrait;
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    let Some(token) = connections::forget(&txn, p.workspace_id, provider).await? else {
        return Ok(());
    };
    let event = Event::new("integration.disconnected", "integration", provider.as_str());
    audit::commit(txn, p, origin, event).await?;
    connections::revoke_forgotten(&state.settings.integrations, &state.tokens, provider, token)
        .await;
    Ok(())
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct DisconnectOut {
    pub status: &'static str,
    pub message: String,
}

async fn auth_disconnect(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<ProviderPath>,
) -> Result<Json<DisconnectOut>, ApiError> {
    disconnect(&state, &auth, &origin, path.provider).await?;
    Ok(Json(DisconnectOut {
        status: "success",
        message: format!("{} disconnected", path.provider.title()),
    }))
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct MessageOut {
    pub message: String,
}

async fn integration_disconnect(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<ProviderPath>,
) -> Result<Json<MessageOut>, ApiError> {
    disconnect(&state, &auth, &origin, path.provider).await?;
    Ok(Json(MessageOut {
        message: format!(
            "{} integration disconnected successfully",
            path.provider.title()
        ),
    }))
}

async fn list_integrations(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<IntegrationView>>, ApiError> {
    Ok(Json(
        connections::integrations(
            &state.db,
            auth.0.workspace_id,
            state.settings.integrations.sync_interval_secs,
        )
        .await?,
    ))
}

const START: &str = "Admin. Starts an authorization-code flow with PKCE (S256): a single-use state bound to the \
workspace and caller, valid for integrations.state_ttl_secs, and to this browser through an HttpOnly SameSite cookie \
(not under auth.disabled): the callback connects only in the browser that started, so a forwarded link connects \
nothing. 400 `not_configured` naming the config keys to set \
when the client id, secret or token key is missing.";

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/auth/{provider}/start",
            get_with(start, |op| {
                op.summary("Start connecting Google or Zoom")
                    .description(START)
                    .tag("integrations")
                    .response::<200, Json<StartOut>>()
            }),
        )
        .api_route(
            "/integrations/{provider}/authorize",
            get_with(start, |op| {
                op.summary("Start connecting Google or Zoom (integrations page)")
                    .description(START)
                    .tag("integrations")
                    .response::<200, Json<StartOut>>()
            }),
        )
        .api_route(
            "/auth/{provider}/complete",
            post_with(complete, |op| {
                op.summary("Finish connecting as the member who started")
                    .description(
                        "Admin. Exchanges the code and state the provider's redirect carried, for a flow this \
                         caller started (a client handling the redirect itself, or another browser than the one \
                         that started). 400 `oauth_unbound` for someone else's flow, else as the callback.",
                    )
                    .tag("integrations")
            }),
        )
        .api_route(
            "/auth/{provider}/callback",
            get_with(callback, |op| {
                op.summary("Finish connecting (the provider's redirect)")
                    .description(
                        "Unauthenticated: the state identifies the workspace. Exchanges the code (sending the PKCE \
                         verifier), reads the account's email and stores the tokens encrypted. A browser \
                         (`Accept: text/html`) is sent to the web UI with 303. 400 `invalid_state`, `state_used`, \
                         `state_expired`, or `oauth_denied` (the user declined or the provider refused the code); \
                         502 when the provider cannot be reached.",
                    )
                    .tag("integrations")
                    .security_requirement_multi(std::iter::empty())
                    .response::<200, Json<CallbackOut>>()
                    .response_with::<303, (), _>(|r| r.description("Browser: back to the web UI"))
            }),
        )
        .api_route(
            "/auth/connections",
            get_with(list_connections, |op| {
                op.summary("Connected OAuth accounts")
                    .description("The workspace's Google and Zoom connections that hold tokens (never the tokens).")
                    .tag("integrations")
            }),
        )
        .api_route(
            "/auth/{provider}/disconnect",
            post_with(auth_disconnect, |op| {
                op.summary("Disconnect Google or Zoom")
                    .description("Admin. Revokes the grant at the provider (best effort) and forgets the tokens.")
                    .tag("integrations")
            }),
        )
        .api_route(
            "/integrations/{provider}/disconnect",
            delete_with(integration_disconnect, |op| {
                op.summary("Disconnect Google or Zoom (integrations page)")
                    .description("Admin. Revokes the grant at the provider (best effort) and forgets the tokens.")
                    .tag("integrations")
            }),
        )
        .api_route(
            "/integrations",
            get_with(list_integrations, |op| {
                op.summary("Every source and its connection")
                    .description(
                        "One entry per source (zoom, google, slack, jira): connected, account_email, scopes, \
                         expires_at, status (active, stale, expired, error; null when not connected) and the last sync.",
                    )
                    .tag("integrations")
            }),
        )
}
