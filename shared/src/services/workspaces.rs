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
    let slug = slugify(name);
    if slug.is_empty() {
        return Err(DomainError::invalid(
            "name",
            "workspace name needs a letter or digit",
        ));
    }
    if let Some(found) = find_by_slug(db, &slug).await? {
        return Ok(found);
    }
    let created = workspace::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.trim().to_owned()),
        slug: Set(slug.clone()),
        pii_redaction: Set(true),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await;
    match created {
        Ok(ws) => Ok(ws),
        // Another process created it concurrently: use theirs.
        Err(e) if DomainError::is_unique_violation(&e) => find_by_slug(db, &slug)
            .await?
            .ok_or(DomainError::not_found("workspace")),
        Err(e) => Err(e.into()),
    }
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
