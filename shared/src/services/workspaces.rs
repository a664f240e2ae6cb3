//! Workspaces: the tenant boundary of every table.

use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use crate::{DomainError, entities::workspace};

/// A URL-safe slug from a display name: "Acme Corp." -> "acme-corp".
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// Returns the workspace with this name's slug, creating it when missing.
pub async fn ensure(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<workspace::Model, DomainError> {
    if let Some(found) = find_by_slug(db, &slugify(name)).await? {
        return Ok(found);
    }
    match create(db, name).await {
        // Another process created it concurrently: use theirs.
        Err(DomainError::Conflict(_)) => find_by_slug(db, &slugify(name))
            .await?
            .ok_or(DomainError::not_found("workspace")),
        other => other,
    }
}

/// Creates a workspace; a name whose slug is taken is a conflict.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<workspace::Model, DomainError> {
    let slug = slugify(name);
    if slug.is_empty() {
        return Err(DomainError::invalid(
            "name",
            "a workspace name needs a letter or digit",
        ));
    }
    workspace::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.trim().to_owned()),
        slug: Set(slug),
        pii_redaction: Set(true),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await
    .map_err(|e| {
        if DomainError::is_unique_violation(&e) {
            DomainError::Conflict("a workspace with this name already exists".into())
        } else {
            e.into()
        }
    })
}

/// A workspace by id.
pub async fn get(db: &impl ConnectionTrait, id: Uuid) -> Result<workspace::Model, DomainError> {
    workspace::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DomainError::not_found("workspace"))
}

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> Result<Option<workspace::Model>, DomainError> {
    Ok(workspace::Entity::find()
        .filter(workspace::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_are_lowercase_and_dashed() {
        assert_eq!(super::slugify("  Acme Corp. "), "acme-corp");
        assert_eq!(super::slugify("Default"), "default");
        assert_eq!(super::slugify("!!"), "");
    }
}
