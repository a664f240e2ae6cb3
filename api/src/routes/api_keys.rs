//! `/api-keys`: keys for scripts and services, managed by admins.

use aide::axum::{
    ApiRouter,
    routing::{delete_with, get_with},
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use sea_orm::TransactionTrait;
use serde::{Deserialize, Serialize};
use shared::{
    auth::Role,
    entities::api_key,
    services::{
        api_keys,
        audit::{self, Event},
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

/// An API key without its secret.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ApiKeyOut {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key, to recognise it.
    pub prefix: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When the key stops working; null when it does not expire.
    pub expires_at: Option<DateTime<Utc>>,
    /// The member the key acts for (its role never exceeds theirs); null for keys an
    /// operator provisioned and keys those minted.
    pub created_by: Option<Uuid>,
    /// The key that minted this one, when a key did.
    pub created_by_key: Option<Uuid>,
}

impl From<api_key::Model> for ApiKeyOut {
    fn from(k: api_key::Model) -> Self {
        Self {
            role: k.role.parse().unwrap_or(Role::Viewer),
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
            expires_at: k.expires_at,
            created_by: k.created_by,
            created_by_key: k.created_by_key,
        }
    }
}

/// A freshly created key. `key` is shown only in this response.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CreatedApiKeyOut {
    /// The secret: send as `Authorization: Bearer <key>`. It cannot be retrieved again.
    pub key: String,
    #[serde(flatten)]
    pub api_key: ApiKeyOut,
}

#[derive(Debug, Deserialize, Validate, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyIn {
    /// What the key is for, e.g. "CI import script".
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// Role the key acts with (default viewer).
    #[serde(default = "default_role")]
    pub role: Role,
    /// Days until the key stops working (1-3650); omit for a key that does not expire.
    #[validate(range(min = 1, max = 3650))]
    #[serde(default)]
    pub expires_in_days: Option<u32>,
}

fn default_role() -> Role {
    Role::Viewer
}

crate::id_path!(ApiKeyPath, "API key id.");

async fn list_keys(
    State(state): State<AppState>,
    auth: Auth,
    ValidQuery(page): ValidQuery<PageQuery<100, 500>>,
) -> Result<Json<Vec<ApiKeyOut>>, ApiError> {
    let p = auth.require(Role::Admin)?;
    let keys = api_keys::list(&state.db, p.workspace_id, page.into()).await?;
    Ok(Json(keys.into_iter().map(ApiKeyOut::from).collect()))
}

async fn create_key(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidJson(body): ValidJson<ApiKeyIn>,
) -> Result<(StatusCode, Json<CreatedApiKeyOut>), ApiError> {
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    let created = api_keys::create(
        &txn,
        p.workspace_id,
        &body.name,
        body.role,
        api_keys::Minter::of(&txn, p).await?,
        body.expires_in_days
            .map(|d| Utc::now() + chrono::Duration::days(i64::from(d))),
    )
    .await?;
    let event = Event::new("api_key.created", "api_key", created.key.id).details(
        serde_json::json!({ "name": created.key.name, "role": created.key.role, "expires_at": created.key.expires_at }),
    );
    audit::commit(txn, p, &origin, event).await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiKeyOut {
            key: created.secret,
            api_key: created.key.into(),
        }),
    ))
}

async fn revoke_key(
    State(state): State<AppState>,
    auth: Auth,
    AuditOrigin(origin): AuditOrigin,
    ValidPath(path): ValidPath<ApiKeyPath>,
) -> Result<StatusCode, ApiError> {
    let p = auth.require(Role::Admin)?;
    let txn = state.db.begin().await?;
    let key = api_keys::revoke(&txn, p.workspace_id, path.id).await?;
    let event = Event::new("api_key.revoked", "api_key", key.id)
        .details(serde_json::json!({ "name": key.name, "role": key.role }));
    audit::commit(txn, p, &origin, event).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router() -> ApiRouter<AppState> {
    ApiRouter::new()
        .api_route(
            "/api-keys",
            get_with(list_keys, |op| {
                op.summary("List API keys").description("Keys of the caller's workspace, newest first, without secrets. Admins only.").tag("api-keys")
            })
            .post_with(create_key, |op| {
                op.summary("Create an API key")
                    .description("Returns the secret once; only its hash is stored. Admins only.")
                    .tag("api-keys")
                    .response::<201, Json<CreatedApiKeyOut>>()
            }),
        )
        .api_route(
            "/api-keys/{id}",
            delete_with(revoke_key, |op| {
                op.summary("Revoke an API key")
                    .description("The key stops working at once. Revoking twice is harmless. Admins only.")
                    .tag("api-keys")
                    .response::<204, ()>()
            }),
        )
}
