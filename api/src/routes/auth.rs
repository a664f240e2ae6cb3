//! `/auth/*`: login, refresh-token rotation, logout, the console's cookie session, and who
//! am I.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        console_sessions,
        principal::Actor,
        sign_in::{self, IssuedSession, SessionPolicy},
        users, workspaces,
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::{Auth, SESSION_COOKIE, authenticating_session, session_cookie, wants_secure_cookie},
    error::ApiError,
    extract::ValidJson,
    origin::ClientIp,
    routes::users::UserOut,
    state::AppState,
};

/// Credentials for a password login.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(example = login_example())]
pub struct LoginIn {
    /// Account email (case-insensitive).
    #[validate(email, length(max = 320))]
    pub email: String,
    #[validate(length(min = 1, max = 1024))]
    pub password: String,
    /// Workspace to sign in to; defaults to the user's first workspace.
    #[serde(default)]
    pub workspace_id: Option<Uuid>,
}

fn login_example() -> serde_json::Value {
    serde_json::json!({"email": "pm@example.com", "password": "correct horse battery staple"})
}

/// A refresh token, as returned by login or a previous refresh.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshIn {
    #[validate(length(min = 1, max = 512))]
    pub refresh_token: String,
}

/// A new session. The refresh token is shown only here; store it securely.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenOut {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Always `bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use token for `POST /auth/refresh`.
    pub refresh_token: String,
    pub refresh_expires_at: DateTime<Utc>,
    pub user: UserOut,
    pub workspace: WorkspaceOut,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct WorkspaceOut {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
}

impl From<shared::entities::workspace::Model> for WorkspaceOut {
    fn from(w: shared::entities::workspace::Model) -> Self {
        Self {
            id: w.id,
            name: w.name,
            slug: w.slug,
        }
    }
}

/// The caller: which workspace it acts in, with which role, through which credential.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MeOut {
    /// `jwt`, `session` (the console's cookie), `api_key` or `disabled` (auth.disabled
    /// local mode).
    pub auth: &'static str,
    pub role: Role,
    pub workspace: WorkspaceOut,
    /// The signed-in user (absent for API keys and local mode).
    pub user: Option<UserOut>,
    /// The API key id, when authenticated by key.
    pub api_key_id: Option<Uuid>,
    /// With a console session: the token to send as `X-CSRF-Token` on every change.
    pub csrf_token: Option<String>,
}

/// A console session was started; the cookie carries it, this body tells the page who
/// signed in and the CSRF token its changes must carry.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionOut {
    /// Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the cookie.
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
    pub role: Role,
    pub user: UserOut,
    pub workspace: WorkspaceOut,
}

pub(crate) fn policy(state: &AppState) -> SessionPolicy<'_> {
    SessionPolicy {
        keys: &state.keys,
        refresh_ttl_secs: state.settings.auth.refresh_token_ttl_secs,
    }
}

pub(crate) async fn token_out(
    state: &AppState,
    s: IssuedSession,
) -> Result<Json<TokenOut>, ApiError> {
    let member = users::get(&state.db, s.workspace_id, s.user_id).await?;
    let ws = workspaces::get(&state.db, s.workspace_id).await?;
    Ok(Json(TokenOut {
        access_token: s.access_token,
        token_type: "bearer",
        expires_in: state.settings.auth.access_token_ttl_secs as i64,
        refresh_token: s.refresh_token,
        refresh_expires_at: s.refresh_expires_at,
        user: member.into(),
        workspace: ws.into(),
    }))
}

async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ValidJson(body): ValidJson<LoginIn>,
) -> Result<Json<TokenOut>, ApiError> {
    let session = sign_in::login(
        &state.db,
        &state.login_limiter,
        &policy(&state),
        &body.email,
        &body.password,
        body.workspace_id,
        &ip,
    )
    .await?;
    token_out(&state, session).await
}

async fn refresh(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<RefreshIn>,
) -> Result<Json<TokenOut>, ApiError> {
    let session = sign_in::refresh(&state.db, &policy(&state), &body.refresh_token).await?;
    token_out(&state, session).await
}

async fn logout(
    State(state): State<AppState>,
    ValidJson(body): ValidJson<RefreshIn>,
) -> Result<StatusCode, ApiError> {
    sign_in::logout(&state.db, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
) -> Result<Json<MeOut>, ApiError> {
    let p = auth.0;
    let ws = workspaces::get(&state.db, p.workspace_id).await?;
    let session = authenticating_session(&headers);
    let (kind, user, api_key_id) = match &p.actor {
        Actor::User { id, .. } => (
            if session.is_some() { "session" } else { "jwt" },
            Some(users::get(&state.db, p.workspace_id, *id).await?.into()),
            None,
        ),
        Actor::ApiKey { id } => ("api_key", None, Some(*id)),
        Actor::Local => ("disabled", None, None),
    };
    let csrf_token = session
        .filter(|_| kind == "session")
        .map(|secret| console_sessions::csrf_token(&secret));
    Ok(Json(MeOut {
        auth: kind,
        role: p.role,
        workspace: ws.into(),
        user,
        api_key_id,
        csrf_token,
    }))
}

fn session_cookie_header(
    headers: &HeaderMap,
    state: &AppState,
    value: &str,
    max_age: i64,
) -> HeaderValue {
    let secure = if wants_secure_cookie(headers, &state.settings.integrations.public_url) {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("produck_session=; Path=/; Max-Age=0"))
}

async fn start_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    ValidJson(body): ValidJson<LoginIn>,
) -> Result<Response, ApiError> {
    let ttl = state.settings.auth.session_ttl_secs;
    let session = console_sessions::sign_in(
        &state.db,
        &state.login_limiter,
        &body.email,
        &body.password,
        body.workspace_id,
        &ip,
        ttl,
    )
    .await?;
    let member = users::get(&state.db, session.workspace_id, session.user_id).await?;
    let ws = workspaces::get(&state.db, session.workspace_id).await?;
    let role = member.role();
    let cookie = session_cookie_header(&headers, &state, &session.secret, ttl as i64);
    let mut res = Json(SessionOut {
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
        role,
        user: member.into(),
        workspace: ws.into(),
    })
    .into_response();
    res.headers_mut().append(header::SET_COOKIE, cookie);
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    _auth: Auth,
) -> Result<Response, ApiError> {
    if let Some(secret) = session_cookie(&headers) {
        console_sessions::sign_out(&state.db, &secret).await?;
    }
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        session_cookie_header(&headers, &state, "", 0),
    );
    Ok(res)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/auth/login",
            post_with(login, |op| {
                op.summary("Sign in with email and password")
                    .description(
                        "Returns a short-lived access token (about 15 minutes) and a single-use refresh \
                         token. Failed attempts are limited per account and per client IP: past the \
                         limit the answer is 429 with `Retry-After`.",
                    )
                    .tag("auth")
                    .security_requirement_multi(std::iter::empty())
                    .response_with::<401, ApiError, _>(|r| r.description("Wrong email or password"))
                    .response_with::<429, ApiError, _>(|r| r.description("Too many failed attempts"))
            }),
        )
        .api_route(
            "/auth/refresh",
            post_with(refresh, |op| {
                op.summary("Rotate a refresh token")
                    .description(
                        "Spends the refresh token and returns a new access and refresh token. Presenting \
                         an already-spent refresh token revokes every token of that session.",
                    )
                    .tag("auth")
                    .security_requirement_multi(std::iter::empty())
                    .response_with::<401, ApiError, _>(|r| r.description("Invalid, expired, revoked or reused token"))
            }),
        )
        .api_route(
            "/auth/logout",
            post_with(logout, |op| {
                op.summary("Sign out")
                    .description("Revokes the session the refresh token belongs to. Always 204.")
                    .tag("auth")
                    .security_requirement_multi(std::iter::empty())
                    .response::<204, ()>()
            }),
        )
        .api_route(
            "/auth/session",
            post_with(start_session, |op| {
                op.summary("Sign in to the console")
                    .description(
                        "Checks email and password like `POST /auth/login` (same limits), then sets an \
                         HttpOnly, SameSite=Lax session cookie (`Secure` over https) valid for \
                         auth.session_ttl_secs. No token readable by scripts is returned: requests \
                         made with the cookie are authenticated by it, and every POST, PUT, PATCH \
                         and DELETE among them must carry `X-CSRF-Token` with the `csrf_token` \
                         returned here (also in `GET /auth/me`), else 403 `csrf_failed`. A request \
                         with an `Authorization` header is authenticated by that header alone.",
                    )
                    .tag("auth")
                    .security_requirement_multi(std::iter::empty())
                    .response_with::<200, Json<SessionOut>, _>(|r| {
                        r.description("Signed in; the session cookie is set")
                    })
                    .response_with::<401, ApiError, _>(|r| r.description("Wrong email or password"))
                    .response_with::<429, ApiError, _>(|r| r.description("Too many failed attempts"))
            })
            .delete_with(end_session, |op| {
                op.summary("Sign out of the console")
                    .description(
                        "Ends the console session the cookie carries (at once, for every later \
                         request) and clears the cookie. Needs `X-CSRF-Token`.",
                    )
                    .tag("auth")
                    .response::<204, ()>()
            }),
        )
        .api_route(
            "/auth/me",
            get_with(me, |op| {
                op.summary("The current caller")
                    .description("Workspace, role and identity behind the presented credential.")
                    .tag("auth")
            }),
        )
}
