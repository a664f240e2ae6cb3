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
            oauth::{self, Callback, OAuthError},
        },
    },
};
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{AuditOrigin, ValidPath, ValidQuery},
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

async fn start(
    State(state): State<AppState>,
    auth: Auth,
    ValidPath(path): ValidPath<ProviderPath>,
) -> Result<Json<StartOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let started = oauth::start(
        &state.db,
        &state.settings,
        &state.tokens,
        p.workspace_id,
        &p.label(),
        path.provider,
    )
    .await
    .map_err(oauth_error)?;
    Ok(Json(StartOut {
        authorization_url: started.authorization_url,
        state: started.state,
    }))
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[schemars(inline)]
pub struct CallbackQuery {
    /// The authorization code (absent when the user declined).
    #[validate(length(max = 4096))]
    pub code: Option<String>,
    #[validate(length(min = 1, max = 256))]
    pub state: String,
    /// The provider's error, e.g. access_denied.
    #[validate(length(max = 256))]
    pub error: Option<String>,
    #[validate(length(max = 2048))]
    pub error_description: Option<String>,
    /// Google echoes the granted scopes; not needed.
    #[validate(length(max = 4096))]
    pub scope: Option<String>,
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
    let callback = Callback {
        code: q.code,
        state: q.state,
        error: q.error,
        error_description: q.error_description,
    };
    let connected = oauth::complete(
        &state.db,
        &state.settings,
        &state.tokens,
        provider,
        &callback,
    )
    .await
    .map_err(oauth_error)?;
    let event = Event::new("integration.connected", "integration", provider.as_str())
        .details(serde_json::json!({ "account_email": connected.account_email }));
    audit::record_for(
        &state.db,
        connected.workspace_id,
        &connected.connected_by,
        &origin,
        event,
    )
    .await?;
    let ui = state
        .settings
        .integrations
        .web_ui_url(&state.settings.server);
    let redirect_url = format!(
        "{ui}/integrations?status=success&provider={}",
        provider.as_str()
    );
    if wants_html(&headers) {
        return Ok(Redirect::to(&redirect_url).into_response());
    }
    Ok(Json(CallbackOut {
        status: "success",
        provider,
        account_email: connected.account_email,
        expires_at: connected.expires_at,
        redirect_url,
        message: format!("{} account connected successfully!", provider.title()),
    })
    .into_response())
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

/// The provider's revocation cannot be rolled back, so the entry follows the change.
async fn disconnect(
    state: &AppState,
    auth: &Auth,
    origin: &audit::Origin,
    provider: OAuthProvider,
) -> Result<(), ApiError> {
    let p = auth.require(Role::Admin)?;
    let was_connected = connections::disconnect(
        &state.db,
        &state.settings,
        &state.tokens,
        p.workspace_id,
        provider,
    )
    .await?;
    if was_connected {
        let event = Event::new("integration.disconnected", "integration", provider.as_str());
        audit::record(&state.db, p, origin, event).await?;
    }
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
workspace and caller, valid for integrations.state_ttl_secs. 400 `not_configured` naming the config keys to set \
when the client id, secret or token key is missing.";

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/auth/{provider}/start",
            get_with(start, |op| {
                op.summary("Start connecting Google or Zoom")
                    .description(START)
                    .tag("integrations")
            }),
        )
        .api_route(
            "/integrations/{provider}/authorize",
            get_with(start, |op| {
                op.summary("Start connecting Google or Zoom (integrations page)")
                    .description(START)
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
