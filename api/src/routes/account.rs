//! The caller's own account: changing their password, the workspaces they belong to,
//! creating another workspace, and switching a sign-in to another workspace.

use aide::axum::{
    ApiRouter,
    routing::{get_with, post_with},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use shared::{
    DomainError,
    auth::Role,
    services::{
        account,
        principal::{Actor, Principal},
        users, workspaces,
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::{Auth, authenticating_session},
    error::ApiError,
    extract::ValidJson,
    origin::AuditOrigin,
    routes::auth::{SessionOut, TokenOut, WorkspaceOut, policy, token_out},
    state::AppState,
};

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordIn {
    #[validate(length(min = 1, max = 1024))]
    pub current_password: String,
    /// At least 8 characters, different from the current one.
    #[validate(length(min = 8, max = 1024))]
    pub new_password: String,
}

/// A workspace the caller belongs to.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MyWorkspaceOut {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    /// The caller's role there.
    pub role: Role,
    /// True for the workspace the presented credential acts in.
    pub current: bool,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkspaceIn {
    /// Display name; its slug (letters and digits, dashed) must be unused, so it needs an
    /// ASCII letter or digit.
    #[validate(length(min = 1, max = 200))]
    #[schemars(pattern(r"[A-Za-z0-9]"))]
    pub name: String,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SwitchIn {
    pub workspace_id: Uuid,
}

/// The signed-in user behind a credential; API keys and local mode have no account.
fn user_of(p: &Principal) -> Result<Uuid, ApiError> {
    match &p.actor {
        Actor::User { id, .. } => Ok(*id),
        _ => Err(DomainError::Forbidden(
            "only a signed-in member has an account (API keys and auth.disabled do not)".into(),
        )
        .into()),
    }
}

async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidJson(body): ValidJson<PasswordIn>,
) -> Result<StatusCode, ApiError> {
    let p = auth.0;
    let user_id = user_of(&p)?;
    let keep = authenticating_session(&headers);
    account::change_password(
        &state.db,
        &state.login_limiter,
        &p,
        user_id,
        &body.current_password,
        &body.new_password,
        &origin,
        keep.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn my_workspaces(
    State(state): State<AppState>,
    auth: Auth,
) -> Result<Json<Vec<MyWorkspaceOut>>, ApiError> {
    let p = auth.0;
    let current = p.workspace_id;
    let list = match &p.actor {
        Actor::User { id, .. } => account::workspaces_of(&state.db, *id).await?,
        // A key or local mode acts in exactly one workspace.
        _ => vec![account::WorkspaceMembership {
            workspace: workspaces::get(&state.db, current).await?,
            role: p.role,
        }],
    };
    Ok(Json(
        list.into_iter()
            .map(|m| MyWorkspaceOut {
                current: m.workspace.id == current,
                id: m.workspace.id,
                name: m.workspace.name,
                slug: m.workspace.slug,
                role: m.role,
            })
            .collect(),
    ))
}

async fn create_workspace(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidJson(body): ValidJson<WorkspaceIn>,
) -> Result<(StatusCode, Json<WorkspaceOut>), ApiError> {
    let p = auth.require(Role::Admin)?;
    user_of(p)?;
    let ws = account::create_workspace(&state.db, p, &origin, &body.name).await?;
    Ok((StatusCode::CREATED, Json(ws.into())))
}

async fn switch_tokens(
    State(state): State<AppState>,
    auth: Auth,
    ValidJson(body): ValidJson<SwitchIn>,
) -> Result<Json<TokenOut>, ApiError> {
    let user_id = user_of(&auth.0)?;
    let session =
        account::switch_tokens(&state.db, &policy(&state), user_id, body.workspace_id).await?;
    token_out(&state, session).await
}

async fn switch_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    auth: Auth,
    ValidJson(body): ValidJson<SwitchIn>,
) -> Result<Json<SessionOut>, ApiError> {
    let user_id = user_of(&auth.0)?;
    let secret = authenticating_session(&headers).ok_or_else(|| {
        DomainError::invalid(
            "cookie",
            "this moves a console session; with a bearer token use POST /auth/switch",
        )
    })?;
    let member =
        account::switch_browser_session(&state.db, &secret, user_id, body.workspace_id).await?;
    let member = users::get(&state.db, member.workspace_id, user_id).await?;
    let ws = workspaces::get(&state.db, body.workspace_id).await?;
    Ok(Json(SessionOut {
        csrf_token: shared::services::console_sessions::csrf_token(&secret),
        expires_at: shared::services::console_sessions::expires_at(&state.db, &secret).await?,
        role: member.role(),
        user: member.into(),
        workspace: ws.into(),
    }))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/auth/password",
            post_with(change_password, |op| {
                op.summary("Change your password")
                    .description(
                        "Checks the current password (under the sign-in limits) and sets the new one. \
                         Every other sign-in of the account ends: refresh tokens are revoked and other \
                         console sessions signed out; the console session making the change stays. \
                         Signed-in members only (not API keys).",
                    )
                    .tag("auth")
                    .response::<204, ()>()
                    .response_with::<422, ApiError, _>(|r| {
                        r.description("The current password is wrong, or the new one too short")
                    })
                    .response_with::<429, ApiError, _>(|r| r.description("Too many wrong attempts"))
            }),
        )
        .api_route(
            "/auth/workspaces",
            get_with(my_workspaces, |op| {
                op.summary("Your workspaces")
                    .description(
                        "Every workspace the signed-in member is active in, with their role there and \
                         which one the presented credential acts in. An API key sees its own.",
                    )
                    .tag("auth")
            }),
        )
        .api_route(
            "/auth/switch",
            post_with(switch_tokens, |op| {
                op.summary("Switch workspace (token sign-in)")
                    .description(
                        "A token names one workspace: this issues a new access and refresh token for \
                         another workspace the member belongs to. The old tokens stay valid for their \
                         own workspace until they expire or are logged out.",
                    )
                    .tag("auth")
                    .response_with::<404, ApiError, _>(|r| r.description("Not a member of that workspace"))
            }),
        )
        .api_route(
            "/auth/session/switch",
            post_with(switch_session, |op| {
                op.summary("Switch workspace (console session)")
                    .description(
                        "Moves the console session in the cookie to another workspace the member \
                         belongs to; the cookie and CSRF token stay the same. Needs `X-CSRF-Token`.",
                    )
                    .tag("auth")
                    .response_with::<404, ApiError, _>(|r| r.description("Not a member of that workspace"))
            }),
        )
        .api_route(
            "/workspaces",
            post_with(create_workspace, |op| {
                op.summary("Create a workspace")
                    .description(
                        "Admins create further workspaces; the creator is the new workspace's first \
                         admin and adds members there (`POST /users` after switching). A name whose \
                         slug is taken is 409.",
                    )
                    .tag("auth")
                    .response_with::<201, Json<WorkspaceOut>, _>(|r| r.description("Created"))
                    .response_with::<409, ApiError, _>(|r| r.description("The name is taken"))
            }),
        )
}
