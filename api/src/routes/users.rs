//! `/users`: workspace members, managed by admins.

use aide::axum::{
    ApiRouter,
    routing::{get_with, patch_with},
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    services::{
        audit::{self, Event},
        users::{self, Member, MemberPatch, NewMember},
    },
};
use uuid::Uuid;
use validator::Validate;

use crate::{
    auth::Auth,
    error::ApiError,
    extract::{ValidJson, ValidPath, ValidQuery},
    origin::AuditOrigin,
    paging::PageQuery,
    state::AppState,
};

/// A member of the workspace.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserOut {
    pub id: Uuid,
    pub email: String,
    pub display_name: Option<String>,
    /// Role in this workspace.
    pub role: Role,
    /// False once an admin deactivated the member.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

impl From<Member> for UserOut {
    fn from(m: Member) -> Self {
        Self {
            role: m.role(),
            id: m.user.id,
            email: m.user.email,
            display_name: m.user.display_name,
            active: m.membership.deactivated_at.is_none(),
            created_at: m.user.created_at,
            last_login_at: m.user.last_login_at,
        }
    }
}

/// A new member. An existing account with this email joins with its current password.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserIn {
    #[validate(email, length(max = 320))]
    pub email: String,
    /// At least 8 characters.
    #[validate(length(min = 8, max = 1024))]
    pub password: String,
    #[validate(length(min = 1, max = 200))]
    #[serde(default)]
    pub display_name: Option<String>,
    pub role: Role,
}

/// Fields to change; absent fields stay as they are.
#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    pub role: Option<Role>,
    /// false deactivates the member (their sessions end at once); true reactivates.
    pub active: Option<bool>,
}

crate::id_path!(UserPath, "User id.");

async fn list_users(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(page): ValidQuery<PageQuery<100, 500>>,
) -> Result<Json<Vec<UserOut>>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let members = users::list(&state.db, p.workspace_id, page.into()).await?;
    Ok(Json(members.into_iter().map(UserOut::from).collect()))
}

async fn create_user(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidJson(body): ValidJson<UserIn>,
) -> Result<(StatusCode, Json<UserOut>), ApiError> {
    let p = auth.require(Role::Admin)?;
    let new = NewMember {
        email: body.email,
        password: body.password,
        display_name: body.display_name,
        role: body.role,
    };
    let txn = state.db.begin().await?;
    let member = users::add(&txn, p.workspace_id, new).await?;
    let event = Event::new("member.added", "user", member.user.id)
        .details(serde_json::json!({ "email": member.user.email, "role": member.role() }));
    audit::commit(txn, p, &origin, event).await?;
    Ok((StatusCode::CREATED, Json(member.into())))
}

async fn update_user(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<UserPath>,
    ValidJson(body): ValidJson<UserPatch>,
) -> Result<Json<UserOut>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    let patch = MemberPatch {
        role: body.role,
        active: body.active,
    };
    let member = users::update(&txn, p.workspace_id, path.id, patch).await?;
    let event = Event::new("member.updated", "user", member.user.id).details(serde_json::json!({
        "email": member.user.email,
        "role": member.role(),
        "active": member.membership.deactivated_at.is_none(),
        "changed": { "role": body.role, "active": body.active },
    }));
    audit::commit(txn, p, &origin, event).await?;
    Ok(Json(member.into()))
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/users",
            get_with(list_users, |op| {
                op.summary("List members").description("Every member of the caller's workspace. Admins only.").tag("users")
            })
            .post_with(create_user, |op| {
                op.summary("Add a member")
                    .description("Creates the account (or reuses one with this email) and adds it with the given role. Admins only.")
                    .tag("users")
                    .response::<201, Json<UserOut>>()
                    .response_with::<409, ApiError, _>(|r| r.description("Already a member"))
            }),
        )
        .api_route(
            "/users/{id}",
            patch_with(update_user, |op| {
                op.summary("Change a member's role or deactivate them")
                    .description("The workspace always keeps one active admin (409 otherwise). Admins only.")
                    .tag("users")
                    .response_with::<409, ApiError, _>(|r| r.description("Would leave no active admin"))
            }),
        )
}
