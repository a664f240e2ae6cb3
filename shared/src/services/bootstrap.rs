//! First-install setup: the default workspace, its first admin, and the provisioned key.

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, sea_query::Expr};
use secrecy::ExposeSecret;

use crate::{
    DomainError,
    auth::Role,
    config::Settings,
    entities::{user, workspace},
    services::{api_keys, users, workspaces},
};

pub enum AdminOutcome {
    Created(Box<users::Member>),
    AlreadyMember,
}

/// Creates the default workspace and an admin with this email and password. Running it
/// again with the same email changes nothing.
pub async fn create_admin(
    db: &DatabaseConnection,
    settings: &Settings,
    email: &str,
    password: &str,
) -> Result<(workspace::Model, AdminOutcome), DomainError> {
    if password.chars().count() < 8 {
        return Err(DomainError::invalid(
            "password",
            "must be at least 8 characters",
        ));
    }
    let ws = workspaces::ensure(db, &settings.auth.default_workspace).await?;
    let existing = user::Entity::find()
        .filter(Expr::cust_with_values(
            "lower(email) = $1",
            [email.trim().to_lowercase()],
        ))
        .one(db)
        .await?;
    if let Some(u) = existing
        && users::get(db, ws.id, u.id).await.is_ok()
    {
        return Ok((ws, AdminOutcome::AlreadyMember));
    }
    let member = users::add(
        db,
        ws.id,
        users::NewMember {
            email: email.to_owned(),
            password: password.to_owned(),
            display_name: None,
            role: Role::Admin,
        },
    )
    .await?;
    Ok((ws, AdminOutcome::Created(Box::new(member))))
}

/// Runs at every start: the default workspace exists, and the provisioned admin key (if
/// configured) exists with exactly its value.
pub async fn on_start(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<workspace::Model, DomainError> {
    let ws = workspaces::ensure(db, &settings.auth.default_workspace).await?;
    if let Some(secret) = &settings.auth.bootstrap_api_key {
        api_keys::ensure_exact(db, ws.id, "bootstrap", Role::Admin, secret.expose_secret()).await?;
    }
    Ok(ws)
}

/// The default workspace, used by `auth.disabled`.
pub async fn default_workspace(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<workspace::Model, DomainError> {
    workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(workspaces::slugify(&settings.auth.default_workspace)))
        .one(db)
        .await?
        .ok_or(DomainError::not_found("workspace"))
}
